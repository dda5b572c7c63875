#!/bin/bash
# The SMTP side failing: Postfix down (acks stay queued, the daemon stays up, every ack
# arrives once when it is back), a 4xx deferral (retried with the server's words
# recorded), a 5xx rejection (failed at once, not retried, shown on the lead), and the
# give-up age.
set -u
. "$(dirname "$0")/lib/mailstack.sh"
. "$(dirname "$0")/lib/testlib.sh"
mailstack_start
dir=$(t_dir)
cfg=$(write_config "$dir" "imap.poll_interval = 1")
STORE=$dir/data/overture.db
PF=$MS/etc/postfix

enquiry() { # enquiry ADDRESS
	mail_text "Partner <$1>" hub@hub.test "Enquiry from $1" "Please get in touch." >"$dir/$1.eml"
	deliver "$1" hub@hub.test "$dir/$1.eml"
	wait_queue_empty
}
# recipient_access LINES: what Postfix answers for some recipients (reloads Postfix).
recipient_access() {
	printf '%s\n' "$@" >"$PF/recipient_access"
	postfix -c "$PF" reload >/dev/null 2>&1
	sleep 0.5
}
outbox_field() { # outbox_field RECIPIENT JQ-FIELD
	overture outbox -c "$cfg" --json | jq -r ".[] | select(.to == \"$1\") | .$2"
}

# 1. Postfix stopped.
enquiry down@outage.test
postfix -c "$PF" stop >/dev/null 2>&1
sleep 0.5
overture run -c "$cfg" --once 2>"$dir/down.log"
is "$?" 0 "run --once exits 0 while the SMTP server is down (the mailbox was read)"
is "$(outbox_field down@outage.test status)" queued "the ack stays queued"
like "$(outbox_field down@outage.test last_error)" "onnect" "the outbox records why (cannot connect)"
like "$(cat "$dir/down.log")" "deferred, retry in" "the log says when it retries"
"$OVERTURE" run -c "$cfg" 2>"$dir/daemon.log" &
daemon=$!
mailstack_track $daemon
sleep 3
check "the daemon stays up while the SMTP server is down" kill -0 "$daemon"
postfix -c "$PF" start >/dev/null 2>&1
for i in $(seq 1 100); do
	[ "$(outbox_field down@outage.test status)" = sent ] && break
	sleep 0.1
done
is "$(outbox_field down@outage.test status)" sent "when Postfix is back the ack is sent"
wait_queue_empty
is "$(imap_count down@outage.test)" 1 "and arrives exactly once"
kill -TERM "$daemon"
wait "$daemon"

# 2. A temporary refusal (450): deferred with the server's words, then sent once.
recipient_access "busy@outage.test 450 4.2.1 Mailbox busy, try again later"
enquiry busy@outage.test
overture run -c "$cfg" --once 2>"$dir/busy.log"
is "$(outbox_field busy@outage.test status)" queued "a 4xx leaves the ack queued"
like "$(outbox_field busy@outage.test last_error)" "450 4.2.1" "the server's words are recorded"
is "$(outbox_field busy@outage.test attempts)" 1 "one attempt so far"
sleep 1.1
overture run -c "$cfg" --once 2>>"$dir/busy.log"
is "$(outbox_field busy@outage.test attempts)" 2 "it is retried after the backoff"
recipient_access ""
sleep 2.1
overture run -c "$cfg" --once 2>>"$dir/busy.log"
is "$(outbox_field busy@outage.test status)" sent "when the server accepts, it is sent"
wait_queue_empty
is "$(imap_count busy@outage.test)" 1 "and arrives exactly once"

# 3. A permanent rejection (550): failed at once, never retried.
recipient_access "gone@outage.test 550 5.1.1 No such mailbox here"
enquiry gone@outage.test
overture run -c "$cfg" --once 2>"$dir/gone.log"
is "$(outbox_field gone@outage.test status)" failed "a 5xx marks the ack failed"
like "$(outbox_field gone@outage.test last_error)" "550 5.1.1" "with the server's words"
sleep 1.1
overture run -c "$cfg" --once 2>>"$dir/gone.log"
is "$(outbox_field gone@outage.test attempts)" 1 "a failed ack is not retried"
ref=$(overture leads -c "$cfg" --json | jq -r '.[] | select(.applicant_email == "gone@outage.test") | .ref')
like "$(overture show -c "$cfg" "$ref")" "Status: failed after 1 attempts: 550 5.1.1" "the lead shows the failure"
like "$(overture show -c "$cfg" "$ref" --json | jq -r '.history[].action')" "send failed" "the history records it"
piped=$(overture outbox -c "$cfg" --status failed)
like "$piped" "gone@outage.test" "overture outbox --status failed lists it"
# A coordinator fixes the cause and retries.
recipient_access ""
id=$(outbox_field gone@outage.test id)
out=$(overture outbox -c "$cfg" retry "$id" --as Alice)
is "$?" 0 "overture outbox retry ID succeeds"
like "$out" "is due now" "and says what happens next"
like "$(overture show -c "$cfg" "$ref" --json | jq -r '.history[] | select(.action == "outbox retry") | .actor')" "^Alice$" "the retry is in the history under the coordinator's name"
overture run -c "$cfg" --once 2>>"$dir/gone.log"
is "$(outbox_field gone@outage.test status)" sent "the retried ack is sent"
wait_queue_empty
is "$(imap_count gone@outage.test)" 1 "once"
overture outbox -c "$cfg" retry "$id" 2>"$dir/err"
is "$?" 65 "retrying a sent ack is refused"
like "$(cat "$dir/err")" "already sent: sending it again would send a second copy" "with the reason"

# 4. Giving up: temporary failures past give_up_after become failures.
cfg2=$(write_config "$dir/giveup" "smtp.give_up_after = 2s
store.path = $dir/giveup/o.db")
recipient_access "slow@outage.test 451 4.3.0 Temporary local problem"
enquiry slow@outage.test
"$OVERTURE" run -c "$cfg2" --once 2>"$dir/giveup.log"
sleep 2.2
"$OVERTURE" run -c "$cfg2" --once 2>>"$dir/giveup.log"
st=$(sqlite3 "$dir/giveup/o.db" "SELECT status, last_error FROM outbox WHERE recipient = 'slow@outage.test'")
like "$st" "^failed\\|gave up after 2 attempts: 451 4.3.0" "after give_up_after a temporary failure becomes a failure"
recipient_access ""

done_testing
