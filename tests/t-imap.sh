#!/bin/bash
# The IMAP side failing or changing: the server restarting under a running daemon, a
# UIDVALIDITY reset (the mailbox renumbered, holding the same messages), a copy of a
# filed message in another folder, the same mail delivered twice, and a Message-ID
# reused by a different message. Nothing is lost, filed twice or acknowledged twice.
set -u
. "$(dirname "$0")/lib/mailstack.sh"
. "$(dirname "$0")/lib/testlib.sh"
mailstack_start
dir=$(t_dir)
cfg=$(write_config "$dir" "imap.poll_interval = 1")
STORE=$dir/data/overture.db

enquiry() { # enquiry ADDRESS
	mail_text "Partner <$1>" hub@hub.test "Enquiry from $1" "We would like to partner." >"$dir/$1.eml"
	deliver "$1" hub@hub.test "$dir/$1.eml"
}
leads() { sqlite3 "$STORE" 'SELECT count(*) FROM leads'; }
acks() { sqlite3 "$STORE" "SELECT count(*) FROM outbox WHERE kind = 'ack'"; }
wait_leads() { # wait_leads N
	for i in $(seq 1 150); do [ "$(leads)" = "$1" ] && return 0; sleep 0.1; done
	return 1
}
wait_sent() { # wait_sent N
	for i in $(seq 1 300); do
		[ "$(sqlite3 "$STORE" "SELECT count(*) FROM outbox WHERE status = 'sent'")" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
wait_log() { # wait_log FILE REGEX
	for i in $(seq 1 100); do grep -Eq -- "$2" "$1" && return 0; sleep 0.1; done
	return 1
}

# 1. Dovecot restarts under the running daemon.
"$OVERTURE" run -c "$cfg" 2>"$dir/daemon.log" &
daemon=$!
mailstack_track $daemon
enquiry one@imap.test
enquiry two@imap.test
wait_queue_empty
check "the daemon files the first two enquiries" wait_leads 2
check "and sends their acks" wait_sent 2
mailstack_stop_dovecot
check "it says it cannot reach the server and will retry" wait_log "$dir/daemon.log" "cannot reach the IMAP server.*will retry"
check "the daemon stays up while IMAP is down" kill -0 "$daemon"
enquiry three@imap.test   # Postfix keeps it queued: LMTP is down too
enquiry four@imap.test
mailstack_start_dovecot
postqueue -c "$MS/etc/postfix" -f
wait_queue_empty
check "after the restart the daemon files the new enquiries" wait_leads 4
check "and sends their acks" wait_sent 4
sleep 1
kill -TERM "$daemon"
wait "$daemon"
like "$(cat "$dir/daemon.log")" "the mailbox is reachable again" "it says when the server is back"
is "$(grep -c 'cannot reach the IMAP server' "$dir/daemon.log")" 1 "the outage is logged once, not at every retry"
wait_queue_empty
for a in one two three four; do
	is "$(imap_count $a@imap.test)" 1 "$a@ got exactly one ack"
done

# 2. UIDVALIDITY reset: the mailbox is renumbered, with the same messages in it.
old_validity=$(sqlite3 "$STORE" 'SELECT uidvalidity FROM mailbox_state')
mailstack_stop_dovecot
sleep 1.1
rm -f "$MS/mail/hub.test/hub/Maildir/dovecot-uidlist" "$MS/mail/hub.test/hub/Maildir/dovecot.index"*
mailstack_start_dovecot
overture run -c "$cfg" --once 2>"$dir/reset.log"
is "$?" 0 "the run after a UIDVALIDITY reset succeeds"
new_validity=$(sqlite3 "$STORE" 'SELECT uidvalidity FROM mailbox_state')
check "the mailbox really was renumbered" test "$new_validity" != "$old_validity"
like "$(cat "$dir/reset.log")" "UIDVALIDITY of .* changed from $old_validity to $new_validity" "the change is logged loudly"
is "$(leads)" 4 "nothing is filed twice after the reset"
is "$(acks)" 4 "nothing is acknowledged twice after the reset"
like "$(cat "$dir/reset.log")" "4 already filed" "the four messages are recognised as already filed"
enquiry five@imap.test
wait_queue_empty
overture run -c "$cfg" --once 2>>"$dir/reset.log"
is "$(leads)" 5 "new mail after the reset is filed"
wait_queue_empty
is "$(imap_count five@imap.test)" 1 "and acknowledged"

# 3. A copy of a filed message in another folder, read with the same store.
imap hub@hub.test "" -X 'CREATE "Archive"' >/dev/null
imap hub@hub.test INBOX -X 'UID COPY 1:* "Archive"' >/dev/null
archive=$(write_config "$dir/archive" "imap.url = imaps://127.0.0.1:$MS_IMAPS_PORT/Archive
store.path = $STORE
store.spool = $dir/data/spool")
overture run -c "$archive" --once 2>"$dir/archive.log"
is "$?" 0 "reading the Archive folder succeeds"
is "$(leads)" 5 "copies in another folder are not filed again"
is "$(acks)" 5 "nor acknowledged again"

# 4. The same mail delivered twice (a sender's retry, a forward loop).
mail_text "Twice <twice@imap.test>" hub@hub.test "Sent twice" "Same message twice." >"$dir/twice.eml"
deliver twice@imap.test hub@hub.test "$dir/twice.eml"
deliver twice@imap.test hub@hub.test "$dir/twice.eml"
wait_queue_empty
overture run -c "$cfg" --once 2>"$dir/twice.log"
is "$(sqlite3 "$STORE" "SELECT count(*) FROM leads WHERE applicant_email = 'twice@imap.test'")" 1 "the same mail delivered twice is one lead"
like "$(cat "$dir/twice.log")" "filed before.*same fingerprint" "the second copy is recognised"
wait_queue_empty
is "$(imap_count twice@imap.test)" 1 "and one ack"

# 5. A Message-ID reused by a different message: both are filed, with a note.
sed 's/Same message twice./A different text, same Message-ID./' "$dir/twice.eml" |
	sed 's/twice@imap.test/reuse@imap.test/' >"$dir/reuse.eml"
deliver reuse@imap.test hub@hub.test "$dir/reuse.eml"
wait_queue_empty
overture run -c "$cfg" --once 2>"$dir/reuse.log"
ref=$(overture leads -c "$cfg" --json | jq -r '.[] | select(.applicant_email == "reuse@imap.test") | .ref')
check "a different message with a reused Message-ID is filed" test -n "$ref"
like "$(overture show -c "$cfg" "$ref" --json | jq -r '.history[].action')" "reused Message-ID" "with a note in its history"

done_testing
