#!/bin/bash
# Crash at every step. The check build's hook (OVERTURE_CRASH_AFTER=N) kills overture
# with SIGKILL right after step N of a run that files three enquiries and sends their
# acknowledgements. After each crash a normal run resumes, and the outcome must equal
# an uninterrupted run: the same three leads, each enquiry acknowledged with exactly
# one Message-ID, one copy of it (two copies of the same Message-ID only when the crash
# fell in the documented window between the server's 250 and our commit), every
# message marked on the server, and a sound database.
set -u
. "$(dirname "$0")/lib/mailstack.sh"
. "$(dirname "$0")/lib/testlib.sh"
mailstack_start
dir=$(t_dir)
ENQUIRIES=3

# case_setup N: a fresh hub mailbox, store and three enquiries for case N.
case_setup() {
	local n=$1 k
	mkdir -p "$dir/c$n"
	write_config "$dir/c$n" "imap.user = hub$n@hub.test" >/dev/null
	for k in $(seq 1 $ENQUIRIES); do
		mail_text "Sender $k <c$n-$k@crash.test>" "hub$n@hub.test" "Enquiry $k of case $n" \
			"We would like to become partners ($k)." >"$dir/c$n/e$k.eml"
		deliver "c$n-$k@crash.test" "hub$n@hub.test" "$dir/c$n/e$k.eml"
	done
	wait_queue_empty
}

# The Message-IDs that reached SENDER's mailbox, one per copy.
ack_ids() {
	local uid
	for uid in $(imap_uids "$1"); do
		imap_message "$1" "$uid" | header Message-ID
	done
}

# case_check N STEP-NAME: the outcome of case N equals an uninterrupted run.
case_check() {
	local n=$1 step=$2 k ids copies distinct dup_total=0 problems=
	local cfg=$dir/c$n/overture.conf db=$dir/c$n/data/overture.db
	local leads
	leads=$(overture leads -c "$cfg" --json | jq -r '[.[].applicant_email] | sort | join(" ")')
	[ "$leads" = "c$n-1@crash.test c$n-2@crash.test c$n-3@crash.test" ] ||
		problems="$problems leads=[$leads]"
	for k in $(seq 1 $ENQUIRIES); do
		ids=$(ack_ids "c$n-$k@crash.test")
		copies=$(echo "$ids" | grep -c .)
		distinct=$(echo "$ids" | grep . | sort -u | wc -l)
		[ "$distinct" = 1 ] || problems="$problems enquiry$k:distinct_ids=$distinct"
		[ "$copies" -gt 1 ] && dup_total=$((dup_total + copies - 1))
	done
	if [ "$dup_total" -gt 0 ] && { [ "$step" != smtp-accepted ] || [ "$dup_total" -gt 1 ]; }; then
		problems="$problems second_copies=$dup_total(after $step)"
	fi
	[ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ] || problems="$problems integrity"
	[ "$(sqlite3 "$db" "SELECT count(*) FROM outbox WHERE status != 'sent'")" = 0 ] ||
		problems="$problems unsent"
	local unseen
	unseen=$(imap "hub$n@hub.test" INBOX -X 'UID SEARCH UNSEEN' | tr -d '\r' | sed -n 's/^\* SEARCH *//p')
	[ -z "$unseen" ] || problems="$problems unmarked_uids=[$unseen]"
	[ "$(sqlite3 "$db" 'SELECT count(*) FROM messages WHERE NOT marked')" = 0 ] ||
		problems="$problems unmarked_rows"
	CASE_DUPLICATES=$dup_total
	if [ -z "$problems" ]; then
		pass "crash after step $n ($step): same outcome as an uninterrupted run"
	else
		fail "crash after step $n ($step): same outcome as an uninterrupted run" "$problems"
	fi
}

# The uninterrupted run names the steps.
case_setup 0
OVERTURE_STEP_LOG=$dir/c0/steps "$OVERTURE" run -c "$dir/c0/overture.conf" --once 2>"$dir/c0/run.log"
is "$?" 0 "an uninterrupted run succeeds"
wait_queue_empty
steps=$(wc -l <"$dir/c0/steps")
check "the run has at least $((ENQUIRIES * 7)) steps to crash after" test "$steps" -ge $((ENQUIRIES * 7))
echo "# steps: $(cut -d' ' -f2 "$dir/c0/steps" | tr '\n' ' ')"
case_check 0 none

windows=0
for n in $(seq 1 "$steps"); do
	case_setup "$n"
	# (A subshell, so that the shell's "Killed" notice goes nowhere.)
	(OVERTURE_STEP_LOG=$dir/c$n/steps OVERTURE_CRASH_AFTER=$n \
		"$OVERTURE" run -c "$dir/c$n/overture.conf" --once 2>"$dir/c$n/crash.log") 2>/dev/null
	status=$?
	step=$(sed -n "${n}p" "$dir/c$n/steps" | cut -d' ' -f2)
	if [ "$status" != 137 ]; then
		fail "the hook kills overture after step $n" "exit status $status"
		continue
	fi
	"$OVERTURE" run -c "$dir/c$n/overture.conf" --once 2>"$dir/c$n/resume.log"
	is "$?" 0 "after the crash at step $n ($step) the next run succeeds"
	wait_queue_empty
	case_check "$n" "$step"
	[ "$step" = smtp-accepted ] && [ "$CASE_DUPLICATES" = 1 ] && windows=$((windows + 1))
	if [ "$step" = smtp-accepted ]; then
		like "$(cat "$dir/c$n/resume.log")" "sending it again with the same Message-ID" \
			"the resumed run says it resends the interrupted ack"
	fi
done
echo "# crashes: $steps, resent copies inside the documented window: $windows"
is "$windows" "$ENQUIRIES" "each crash between the server's 250 and our commit resent exactly one copy"

done_testing
