#!/bin/bash
# The walking skeleton end to end: a partner's enquiry delivered through Postfix is
# filed as exactly one lead and acknowledged exactly once; a second pass files and
# sends nothing; the daemon polls and stops cleanly on SIGTERM.
set -u
. "$(dirname "$0")/lib/mailstack.sh"
. "$(dirname "$0")/lib/testlib.sh"
mailstack_start
dir=$(t_dir)
cfg=$(write_config "$dir")
STORE=$dir/data/overture.db

mail_text 'Priya Patel <partner@partner.test>' hub@hub.test \
	'Partnership enquiry: Oakfield Primary School' \
	'Dear Hub team,

We are a primary school in Derby and would like to offer our hall for
weekend ensemble rehearsals. Could we talk about becoming a partner?

Best wishes,
Priya Patel
Music Lead, Oakfield Primary School' >"$dir/enquiry.eml"
enquiry_id=$(header Message-ID <"$dir/enquiry.eml")
deliver partner@partner.test hub@hub.test "$dir/enquiry.eml"
wait_queue_empty

# A first try with --dry-run: says what would happen, changes nothing anywhere.
out=$(overture run -c "$cfg" --once --dry-run 2>&1)
is "$?" 0 "run --dry-run exits 0"
like "$out" "would send EOI-[0-9]{4}-0001 ack to partner@partner.test" "--dry-run says which ack it would send"
like "$out" "1 message would be sent" "--dry-run counts what it would send"
check "--dry-run creates no store" test ! -e "$STORE"
unseen=$(imap hub@hub.test INBOX -X 'UID SEARCH UNSEEN' | tr -d '\r' | sed -n 's/^\* SEARCH *//p')
is "$unseen" 1 "--dry-run leaves the message unread on the server"
wait_queue_empty
is "$(imap_count partner@partner.test)" 0 "--dry-run sends nothing"

overture run -c "$cfg" --once 2>"$dir/run1.log"
is "$?" 0 "run --once exits 0"
wait_queue_empty

leads=$(overture leads -c "$cfg" --json)
is "$(echo "$leads" | jq length)" 1 "exactly one lead is filed"
ref=$(echo "$leads" | jq -r '.[0].ref')
like "$ref" "^EOI-$(date -u +%Y)-0001$" "the lead has a reference PREFIX-YEAR-NNNN"
is "$(echo "$leads" | jq -r '.[0].applicant_email')" partner@partner.test "the applicant is the sender"
is "$(echo "$leads" | jq -r '.[0].contact_name')" "Priya Patel" "the contact name is the sender's name"
is "$(echo "$leads" | jq -r '.[0].subject')" "Partnership enquiry: Oakfield Primary School" "the subject is kept"
is "$(echo "$leads" | jq -r '.[0].status')" new "a new lead has status new"
like "$(echo "$leads" | jq -r '.[0].id')" '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' "the lead id is a random UUID"

shown=$(overture show -c "$cfg" "$ref" --json)
like "$(echo "$shown" | jq -r '.thread[0].text')" "offer our hall for" "the body text is filed"
is "$(echo "$shown" | jq -r '.thread[0].decision')" acknowledged "the decision is recorded"
is "$(echo "$shown" | jq -r '.thread[1].status')" sent "the ack is marked sent"
ack_id=$(echo "$shown" | jq -r '.thread[1].message_id')

# The partner's view: exactly one acknowledgement, with every header it should carry.
is "$(imap_count partner@partner.test)" 1 "exactly one ack arrives in partner@'s INBOX"
ack=$(imap_message partner@partner.test "$(imap_uids partner@partner.test)")
is "$(echo "$ack" | header From)" "Riverside Music Hub <hub@hub.test>" "ack From is the hub"
is "$(echo "$ack" | header To)" "Priya Patel <partner@partner.test>" "ack To is the applicant"
like "$(echo "$ack" | header Subject)" "\\[$ref\\]" "ack Subject carries [REF]"
like "$(echo "$ack" | header Date)" "^[A-Z][a-z]{2}, [0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} " "ack has an RFC 5322 Date"
is "$(echo "$ack" | header Message-ID)" "<$ack_id>" "ack Message-ID is the one stored"
like "$ack_id" "^overture\\..*@hub\\.test$" "ack Message-ID is on the hub's domain"
is "$(echo "$ack" | header In-Reply-To)" "$enquiry_id" "ack In-Reply-To is the enquiry"
is "$(echo "$ack" | header References)" "$enquiry_id" "ack References the enquiry"
is "$(echo "$ack" | header Auto-Submitted)" auto-replied "ack is Auto-Submitted: auto-replied"
is "$(echo "$ack" | header X-Auto-Response-Suppress)" All "ack asks Exchange not to auto-reply"
like "$(echo "$ack" | header Content-Type)" "multipart/alternative" "ack is multipart/alternative"
like "$ack" "Content-Type: text/plain; charset=utf-8" "ack has a UTF-8 text part"
like "$ack" "Content-Type: text/html; charset=utf-8" "ack has a UTF-8 HTML part"
like "$ack" "Dear Priya Patel," "ack greets the contact by name"
like "$ack" "Your reference is $ref" "ack body gives the reference"
bare_lf=$(echo "$ack" | awk '!/\r$/' | grep -c . )
is "$bare_lf" 0 "ack lines all end in CRLF"

# The hub's mailbox: the enquiry is marked \Seen after filing (after_filing = seen).
seen=$(imap hub@hub.test INBOX -X 'UID SEARCH SEEN' | tr -d '\r' | sed -n 's/^\* SEARCH *//p')
is "$seen" "1" "the filed enquiry is marked \\Seen"

# Nothing twice: a second pass files nothing and sends nothing.
overture run -c "$cfg" --once 2>"$dir/run2.log"
is "$?" 0 "second run --once exits 0"
wait_queue_empty
is "$(overture leads -c "$cfg" --json | jq length)" 1 "second run files nothing"
is "$(sql 'SELECT count(*) FROM outbox')" 1 "second run queues nothing"
is "$(imap_count partner@partner.test)" 1 "second run sends nothing"
is "$(sql 'SELECT uidvalidity > 0, last_uid FROM mailbox_state')" "1|1" "progress is (UIDVALIDITY, last UID 1)"
is "$(sql 'SELECT count(*) FROM messages WHERE length(fingerprint) = 64')" 1 "the fingerprint is recorded"
raw=$(sql 'SELECT raw_path FROM messages')
check "the raw message is kept in the spool" test -s "$dir/data/spool/$raw"
like "$(cat "$dir/data/spool/$raw")" "offer our hall for" "the spool file holds the message"

# The daemon: files mail that arrives while it runs, and stops cleanly on SIGTERM.
"$OVERTURE" run -c "$cfg" 2>"$dir/daemon.log" &
daemon=$!
mailstack_track $daemon
mail_text 'Sam Green <sam@choir.test>' hub@hub.test 'Community choir partnership' \
	'We run a community choir and would like to partner with the hub.' >"$dir/second.eml"
deliver sam@choir.test hub@hub.test "$dir/second.eml"
for i in $(seq 1 100); do
	[ "$(imap_count sam@choir.test)" = 1 ] && break
	sleep 0.1
done
is "$(imap_count sam@choir.test)" 1 "the running daemon files and acknowledges new mail"
kill -TERM "$daemon"
wait "$daemon"
is "$?" 0 "the daemon exits 0 on SIGTERM"
like "$(cat "$dir/daemon.log")" "overture stopped" "the daemon says it stopped"
is "$(overture leads -c "$cfg" --json | jq length)" 2 "two leads in all"

done_testing
