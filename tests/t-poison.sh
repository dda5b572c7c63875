#!/bin/bash
# Poison mail never blocks the mailbox: a message GMime cannot read, one over
# max_message_size and one the server refuses to give are filed as quarantined leads
# (with their reason and whatever bytes could be kept, no ack), the mail after them is
# filed normally, and `overture reprocess` runs them again after a fix.
set -u
. "$(dirname "$0")/lib/mailstack.sh"
. "$(dirname "$0")/lib/testlib.sh"
mailstack_start
dir=$(t_dir)
cfg=$(write_config "$dir" "imap.max_message_size = 100K")
STORE=$dir/data/overture.db

# 1. Not a message at all, put in the mailbox with IMAP APPEND (Postfix would add headers).
printf 'this line is not a header\nneither is this one\n\nbut there is a body\n' >"$dir/junk.eml"
imap hub@hub.test INBOX -T "$dir/junk.eml" >/dev/null
# 2. Over max_message_size: 200 KB of attachment.
{
	printf 'From: Big Sender <big@poison.test>\nTo: hub@hub.test\nSubject: Our brochure\n'
	printf 'Message-ID: <big-%s@poison.test>\nMIME-Version: 1.0\n' "$$"
	printf 'Content-Type: multipart/mixed; boundary=XX\n\n--XX\nContent-Type: text/plain\n\n'
	printf 'Please see our brochure.\n--XX\nContent-Type: application/pdf; name=brochure.pdf\n'
	printf 'Content-Transfer-Encoding: base64\n\n'
	head -c 150000 /dev/urandom | base64 -w 76
	printf -- '--XX--\n'
} >"$dir/big.eml"
deliver big@poison.test hub@hub.test "$dir/big.eml"
# 3. A good enquiry after them.
mail_text 'Good Sender <good@poison.test>' hub@hub.test 'A normal enquiry' 'We would like to partner.' >"$dir/good.eml"
deliver good@poison.test hub@hub.test "$dir/good.eml"
wait_queue_empty

overture run -c "$cfg" --once 2>"$dir/run1.log"
is "$?" 0 "run --once succeeds with poison in the mailbox"
wait_queue_empty
q=$(overture leads -c "$cfg" --status quarantined --json)
is "$(echo "$q" | jq length)" 2 "two quarantined leads"
junk_ref=$(echo "$q" | jq -r '.[] | select(.quarantine_reason | test("no message|GMime")) | .ref')
big_ref=$(echo "$q" | jq -r '.[] | select(.quarantine_reason | test("max_message_size")) | .ref')
check "the unreadable message is quarantined with GMime's reason" test -n "$junk_ref"
check "the oversize message is quarantined with the size reason" test -n "$big_ref"
like "$(echo "$q" | jq -r ".[] | select(.ref == \"$big_ref\") | .quarantine_reason")" "^[0-9]+ bytes, over \\[imap\\] max_message_size \\(102400\\)" "the reason gives the size and the limit"
is "$(echo "$q" | jq -r ".[] | select(.ref == \"$big_ref\") | .applicant_email")" big@poison.test "the oversize message's sender is known from its header section"
is "$(echo "$q" | jq -r ".[] | select(.ref == \"$junk_ref\") | .ack_decision")" "withheld: quarantined (GMime found no message in the file (no header section))" "no ack for the unreadable message"
raw=$(sqlite3 "$STORE" "SELECT raw_path FROM messages WHERE kind = 'quarantined' AND raw_size < 1000")
like "$(cat "$dir/data/spool/$raw")" "this line is not a header" "the unreadable message's bytes are kept"
big_raw=$(sqlite3 "$STORE" "SELECT raw_path FROM messages m JOIN leads l ON l.id = m.lead_id WHERE l.ref = '$big_ref'")
check "only the oversize message's header section is kept" test "$(wc -c <"$dir/data/spool/$big_raw")" -lt 2000
is "$(overture leads -c "$cfg" --status new --json | jq -r '.[].applicant_email')" good@poison.test "the good enquiry after them is filed normally"
is "$(imap_count good@poison.test)" 1 "and acknowledged"
is "$(imap_count big@poison.test)" 0 "the quarantined ones are not acknowledged"
like "$(overture leads -c "$cfg")" "quarantined" "coordinators see the quarantined leads in the queue"

# Reprocess: the unreadable one stays quarantined; the big one is fetched again whole
# once the limit is raised.
out=$(overture reprocess -c "$cfg" "$junk_ref" 2>&1)
is "$?" 65 "reprocessing a message that still cannot be read exits 65"
like "$out" "$junk_ref is still quarantined" "and says so"
overture reprocess -c "$cfg" "$big_ref" 2>"$dir/err"
check "reprocessing the oversize message under the same limit fails" test $? -ne 0
like "$(cat "$dir/err")" "cannot fetch UID [0-9]+ again: UID [0-9]+ is larger than 102400 bytes" "and says why"
cfg=$(write_config "$dir" "imap.max_message_size = 1M")
out=$(overture reprocess -c "$cfg" "$big_ref")
is "$?" 0 "after raising max_message_size, reprocess succeeds"
like "$out" "$big_ref reprocessed: acknowledged" "it says what was decided"
shown=$(overture show -c "$cfg" "$big_ref" --json)
is "$(echo "$shown" | jq -r .status)" new "the lead is now a normal new lead"
like "$(echo "$shown" | jq -r '.thread[0].text')" "Please see our brochure" "with its text"
is "$(echo "$shown" | jq -r '.thread[0].attachments[0].filename')" brochure.pdf "and its attachment"
like "$(echo "$shown" | jq -r '.history[].action')" "reprocessed" "the history records the reprocessing"
overture run -c "$cfg" --once 2>"$dir/run2.log"
wait_queue_empty
is "$(imap_count big@poison.test)" 1 "its acknowledgement is sent once"
overture reprocess -c "$cfg" "$big_ref" 2>"$dir/err"
is "$?" 65 "a lead that is not quarantined is not reprocessed"

# 4. A message the server refuses to give: tried on three passes, then quarantined;
# the mail after it is not held up.
mail_text 'Locked <locked@poison.test>' hub@hub.test 'Locked away' 'Cannot be read.' >"$dir/locked.eml"
deliver locked@poison.test hub@hub.test "$dir/locked.eml"
wait_queue_empty
imap_count hub@hub.test >/dev/null # a session moves new mail to cur/
locked_file=$(grep -l 'Locked away' "$MS"/mail/hub.test/hub/Maildir/new/* "$MS"/mail/hub.test/hub/Maildir/cur/* 2>/dev/null | head -1)
chmod 000 "$locked_file"
mail_text 'After <after@poison.test>' hub@hub.test 'After the locked one' 'Filed all the same.' >"$dir/after.eml"
deliver after@poison.test hub@hub.test "$dir/after.eml"
wait_queue_empty
overture run -c "$cfg" --once 2>"$dir/locked.log"
like "$(cat "$dir/locked.log")" "could not be fetched \\(attempt 1 of 3" "a refused fetch is logged with the attempt count"
is "$(sqlite3 "$STORE" "SELECT count(*) FROM leads WHERE applicant_email = 'after@poison.test'")" 1 "the message after it is filed at once"
overture run -c "$cfg" --once 2>>"$dir/locked.log"
overture run -c "$cfg" --once 2>>"$dir/locked.log"
locked=$(overture leads -c "$cfg" --status quarantined --json | jq -r '.[] | select(.quarantine_reason | test("refused")) | .ref')
check "after three refusals the message is quarantined" test -n "$locked"
like "$(overture show -c "$cfg" "$locked" --json | jq -r .quarantine_reason)" "the server refused to give the message 3 times" "with the reason"
chmod 600 "${locked_file%%:*}"* # Dovecot renames the file when its flags change
out=$(overture reprocess -c "$cfg" "$locked")
is "$?" 0 "once the server gives it, reprocess fetches it by UID"
is "$(overture show -c "$cfg" "$locked" --json | jq -r .applicant_email)" locked@poison.test "and files it properly"

done_testing
