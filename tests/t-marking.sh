#!/bin/bash
# What Overture does to the mailbox and what it reads of it: after_filing keep (people's
# unread mail stays unread), seen, move:Folder (created when missing, UID MOVE); the
# first run's backfill_days; and mail older than [ack] max_age (filed, not acknowledged).
set -u
. "$(dirname "$0")/lib/mailstack.sh"
. "$(dirname "$0")/lib/testlib.sh"
mailstack_start
dir=$(t_dir)

enquiry() { # enquiry MAILBOX-USER SENDER [AGE-TOUCH]: delivered, optionally back-dated
	mail_text "Partner <$2>" "$1" "Enquiry from $2" "We would like to partner." >"$dir/$2.eml"
	deliver "$2" "$1" "$dir/$2.eml"
	wait_queue_empty
	if [ -n "${3:-}" ]; then
		# Dovecot takes a new maildir file's INTERNALDATE from its mtime.
		local f
		f=$(grep -l "Enquiry from $2" "$MS/mail/hub.test/${1%@*}/Maildir/new/"*)
		touch -d "$3" "$f"
	fi
}
uids_where() { # uids_where USER CRITERIA [MAILBOX]
	imap "$1" "${3:-INBOX}" -X "UID SEARCH $2" | tr -d '\r' | sed -n 's/^\* SEARCH *//p'
}

# keep: what was unread stays unread, what was read stays read.
enquiry keep@hub.test a@keep.test
enquiry keep@hub.test b@keep.test
imap keep@hub.test INBOX -X 'UID STORE 2 +FLAGS (\Seen)' >/dev/null
cfg=$(write_config "$dir/keep" "imap.user = keep@hub.test
imap.after_filing = keep")
overture run -c "$cfg" --once 2>"$dir/keep.log"
is "$?" 0 "after_filing = keep: the run succeeds"
is "$(sqlite3 "$dir/keep/data/overture.db" 'SELECT count(*) FROM leads')" 2 "both are filed"
is "$(uids_where keep@hub.test UNSEEN)" 1 "the unread message is unread again (fetching had set \\Seen)"
is "$(uids_where keep@hub.test SEEN)" 2 "the read one is still read"

# seen: both marked.
enquiry seen@hub.test a@seen.test
cfg=$(write_config "$dir/seen" "imap.user = seen@hub.test")
overture run -c "$cfg" --once 2>"$dir/seen.log"
is "$(uids_where seen@hub.test SEEN)" 1 "after_filing = seen marks the message \\Seen"

# move:Folder with a space in its name: created, messages moved, not filed twice.
enquiry move@hub.test a@move.test
enquiry move@hub.test b@move.test
cfg=$(write_config "$dir/move" "imap.user = move@hub.test
imap.after_filing = move:Filed Enquiries")
overture run -c "$cfg" --once 2>"$dir/move.log"
is "$?" 0 "after_filing = move: the run succeeds"
like "$(cat "$dir/move.log")" "created IMAP folder Filed Enquiries" "the folder is created"
is "$(imap_count move@hub.test)" 0 "the filed messages left the INBOX"
is "$(imap_count move@hub.test 'Filed%20Enquiries')" 2 "and are in the folder"
enquiry move@hub.test c@move.test
overture run -c "$cfg" --once 2>>"$dir/move.log"
is "$(sqlite3 "$dir/move/data/overture.db" 'SELECT count(*) FROM leads')" 3 "a later message is filed and nothing twice"
is "$(imap_count move@hub.test 'Filed%20Enquiries')" 3 "and moved to the existing folder"

# backfill_days and max_age on a first run over a mailbox with history.
enquiry back@hub.test old@back.test '30 days ago'
enquiry back@hub.test recent@back.test '10 days ago'
enquiry back@hub.test new@back.test
cfg=$(write_config "$dir/back" "imap.user = back@hub.test
imap.backfill_days = 14
ack.max_age = 7d")
overture run -c "$cfg" --once 2>"$dir/back.log"
wait_queue_empty
filed=$(sqlite3 "$dir/back/data/overture.db" 'SELECT applicant_email FROM leads ORDER BY applicant_email' | tr '\n' ' ')
is "$filed" "new@back.test recent@back.test " "the first run files only the last 14 days"
like "$(cat "$dir/back.log")" "first run on .*: filing the mail of the last 14 days" "and says so"
decision=$(sqlite3 "$dir/back/data/overture.db" "SELECT decision FROM messages WHERE from_addr = 'recent@back.test'")
like "$decision" "^withheld: arrived 10 days ago, longer than \\[ack\\] max_age" "mail older than max_age is filed, not acknowledged"
is "$(imap_count recent@back.test)" 0 "no ack goes to it"
is "$(imap_count new@back.test)" 1 "new mail is acknowledged"

# backfill_days = 0: only mail that arrives from now on.
enquiry zero@hub.test before@zero.test
cfg=$(write_config "$dir/zero" "imap.user = zero@hub.test
imap.backfill_days = 0")
overture run -c "$cfg" --once 2>"$dir/zero.log"
is "$(sqlite3 "$dir/zero/data/overture.db" 'SELECT count(*) FROM leads')" 0 "backfill_days = 0 files nothing already there"
enquiry zero@hub.test after@zero.test
overture run -c "$cfg" --once 2>>"$dir/zero.log"
is "$(sqlite3 "$dir/zero/data/overture.db" 'SELECT applicant_email FROM leads')" after@zero.test "and files what arrives next"

done_testing
