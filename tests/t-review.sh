#!/bin/bash
# The coordinators' review queue: filters, search, corrections, assignment, notes, the
# audit history, export for spreadsheets, notices to coordinators, and the commands
# working while the daemon files mail.
set -u
. "$(dirname "$0")/lib/mailstack.sh"
. "$(dirname "$0")/lib/testlib.sh"
mailstack_start
dir=$(t_dir)
cfg=$(write_config "$dir" "notify.to = coord@hub.test
imap.poll_interval = 1")
STORE=$dir/data/overture.db

enquiry() { # enquiry "Name <addr>" SUBJECT BODY
	local addr
	addr=$(echo "$1" | sed 's/.*<//;s/>.*//')
	mail_text "$1" hub@hub.test "$2" "$3" >"$dir/e.eml"
	deliver "$addr" hub@hub.test "$dir/e.eml"
}
ref_of() { sqlite3 "$STORE" "SELECT ref FROM leads WHERE applicant_email = '$1'"; }

enquiry 'Łukasz Kowalski <lukasz@strings.test>' 'Violin tuition' 'I teach violin and viola across the city.'
enquiry 'Priya Patel <priya@oakfield.test>' 'Oakfield Primary, singing' 'Our school would like singing assemblies and a choir.'
enquiry 'Tom Reid <tom@bigband.test>' 'Big band, "jazz" workshops, Saturdays' 'Jazz workshops for teenagers,
with a summer school.'
enquiry 'Zoë Adams <zoe@inclusive.test>' 'Inclusive music sessions' 'We run SEND-friendly sessions for young people.'
wait_queue_empty
overture run -c "$cfg" --once 2>"$dir/run.log"
wait_queue_empty
L=$(ref_of lukasz@strings.test)
P=$(ref_of priya@oakfield.test)
T=$(ref_of tom@bigband.test)
Z=$(ref_of zoe@inclusive.test)

# Notices to the coordinators: one per new lead, automatic, replying goes to the partner.
is "$(imap_count coord@hub.test)" 4 "a notice per new lead reaches the coordinators"
notice=$(for u in $(imap_uids coord@hub.test); do imap_message coord@hub.test "$u"; done | tr -d '\r')
like "$notice" "Subject: New expression of interest: Priya Patel \\[$P\\]" "the notice's subject names the applicant and carries [REF]"
like "$notice" "Auto-Submitted: auto-generated" "notices are Auto-Submitted: auto-generated"
like "$notice" "Reply-To: Priya Patel <priya@oakfield.test>" "replying to a notice writes to the applicant"
like "$notice" "overture show $P" "the notice says how to see the lead"
is "$(sqlite3 "$STORE" "SELECT count(*) FROM outbox WHERE kind = 'notification' AND status = 'sent'")" 4 "notices go through the outbox"

# Corrections, assignment, notes; every change in the history with who made it.
out=$(overture set -c "$cfg" "$P" type school)
is "$?" 0 "set TYPE succeeds"
overture set -c "$cfg" "$P" organisation "Oakfield Primary School" >/dev/null
overture set -c "$cfg" "$P" functions "Schools, partnerships" --as Alice >/dev/null
overture set -c "$cfg" "$Z" functions inclusion >/dev/null
overture set -c "$cfg" "$Z" type community_organisation >/dev/null
overture set -c "$cfg" "$T" type venue >/dev/null
shown=$(overture show -c "$cfg" "$P" --json)
is "$(echo "$shown" | jq -r .org_type)" school "the type is set"
is "$(echo "$shown" | jq -r '.functions | join(",")')" "partnerships,schools" "functions are kept in the Plan's order"
is "$(echo "$shown" | jq -r '.corrected | sort | join(",")')" "functions,org_type,organisation" "corrected fields are recorded"
is "$(echo "$shown" | jq -r .provenance.functions)" "coordinator: Alice" "and where each came from"
like "$(echo "$shown" | jq -r '.history[] | select(.action == "set") | "\(.actor) \(.detail)"')" "Alice functions: '[a-z,]*' -> 'partnerships,schools'" "the history has who, what, before and after"
overture set -c "$cfg" "$P" type shop 2>"$dir/err"
is "$?" 64 "an unknown type is refused"
like "$(cat "$dir/err")" "'shop' is not an organisation type; the types are: school, academy_trust" "with the list of types"
overture set -c "$cfg" "$P" functions "music, schools" 2>"$dir/err"
like "$(cat "$dir/err")" "'music' is not one of the strategic functions" "an unknown function is refused"
overture set -c "$cfg" "$P" colour blue 2>"$dir/err"
is "$?" 64 "an unknown field is refused"
like "$(cat "$dir/err")" "the fields are: status, organisation, type" "with the list of fields"
overture set -c "$cfg" "$P" status reviewing >/dev/null
is "$(overture show -c "$cfg" "$P" --json | jq -r .status)" reviewing "set status changes the status"
overture set -c "$cfg" "$P" status pending 2>"$dir/err"
is "$?" 64 "an unknown status is refused"
like "$(cat "$dir/err")" "'pending' is not a status; the statuses are: new, reviewing, contacted, partner, declined, spam" "with the statuses"
overture set -c "$cfg" "$P" status quarantined 2>"$dir/err"
like "$(cat "$dir/err")" "only intake quarantines a lead" "quarantined cannot be set by hand"
overture assign -c "$cfg" "$P" Alice >/dev/null
overture assign -c "$cfg" "$Z" Bob >/dev/null
overture note -c "$cfg" "$P" Phoned Priya, visit on Tuesday >/dev/null
printf 'Second note\nfrom standard input.\n' | overture note -c "$cfg" "$P" --as Carol >/dev/null
shown=$(overture show -c "$cfg" "$P" --json)
is "$(echo "$shown" | jq -r .assigned_to)" Alice "assign sets the coordinator"
is "$(echo "$shown" | jq -r '[.notes[].text] | join("|")')" "Phoned Priya, visit on Tuesday|Second note
from standard input." "notes from arguments and from standard input"
is "$(echo "$shown" | jq -r '.notes[1].author')" Carol "--as names the author"
is "$(echo "$shown" | jq -r '.notes[0].author')" "$(id -un)" "the author is otherwise the user"
like "$(overture show -c "$cfg" "$P")" "Notes:" "show prints the notes"
overture assign -c "$cfg" "$Z" none >/dev/null
is "$(overture show -c "$cfg" "$Z" --json | jq -r .assigned_to)" null "assign none unassigns"

# Filters and search.
refs() { overture leads -c "$cfg" "$@" --json | jq -r '[.[].ref] | sort | join(" ")'; }
is "$(refs --status reviewing)" "$P" "--status"
is "$(refs --type school)" "$P" "--type"
is "$(refs --function inclusion)" "$Z" "--function"
is "$(refs --function Inclusion --type community_organisation)" "$Z" "--function with --type"
is "$(refs --assigned Alice)" "$P" "--assigned"
is "$(refs --assigned none | wc -w)" 3 "--assigned none"
is "$(refs --search lukasz)" "$L" "--search lukasz finds Łukasz"
is "$(refs --search 'ZOË')" "$Z" "--search is case- and accent-insensitive"
is "$(refs --search 'jazz summer')" "$T" "every word must appear"
is "$(refs --search 'jazz violin')" "" "and not just one of them"
is "$(refs --search 'Oakfield Primary School')" "$P" "the organisation is searched"
is "$(refs --search 'viol')" "$L" "words match by prefix"
is "$(refs --search '\"; DROP TABLE leads; --')" "" "search text is never SQL or FTS syntax"
is "$(refs --since 1d | wc -w)" 4 "--since 1d"
is "$(refs --since 2099-01-01)" "" "--since a date"
overture leads -c "$cfg" --since yesterday 2>"$dir/err"
is "$?" 64 "--since nonsense is refused"
overture leads -c "$cfg" --status maybe 2>"$dir/err"
is "$?" 64 "--status nonsense is refused"
overture show -c "$cfg" "$L" >/dev/null
unread=$(refs --unread)
unlike "$unread" "$L" "--unread leaves out a lead a coordinator has opened"
like "$unread" "$T" "and keeps the others"
overture leads -c "$cfg" --limit 2 >"$dir/two" 2>"$dir/err"
is "$(wc -l <"$dir/two")" 2 "--limit N shows N"
like "$(cat "$dir/err")" "showing the newest 2 leads; more match: --limit N or --all shows them" "and says that more match"
is "$(overture leads -c "$cfg" --all | wc -l)" 4 "--all shows all"
tty_out=$(COLUMNS=80 script -qc "$OVERTURE leads -c $cfg" /dev/null | tr -d '\r')
like "$(echo "$tty_out" | head -1)" "^REF +STATUS +FL +RECEIVED +FROM" "on a terminal: a table with a header"
is "$(printf '%s\n' "$tty_out" | /usr/bin/python3 -c 'import sys; print(max(len(l.rstrip("\n")) for l in sys.stdin))')" 80 "the table uses the 80 columns and no more"
like "$tty_out" "$P +reviewing" "references and statuses are never cut"

# Export.
overture export -c "$cfg" --bom -o "$dir/all.csv" 2>/dev/null
is "$?" 0 "export writes a CSV file"
is "$(head -c 3 "$dir/all.csv" | od -An -tx1 | tr -d ' ')" efbbbf "--bom starts it with a UTF-8 BOM"
is "$(head -1 "$dir/all.csv" | tail -c 2 | od -An -c | tr -d ' ')" '\r\n' "the CSV lines end in CRLF"
parsed=$(/usr/bin/python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
print(len(rows))
for r in rows:
    if r["applicant_email"] == "tom@bigband.test":
        print(r["subject"])
    if r["applicant_email"] == "priya@oakfield.test":
        print(r["organisation"], r["org_type"], r["functions"], r["assigned_to"], r["status"])
' "$dir/all.csv")
is "$(echo "$parsed" | head -1)" 4 "a spreadsheet reads four leads"
like "$parsed" 'Big band, "jazz" workshops, Saturdays' "commas and quotes survive (RFC 4180)"
like "$parsed" "Oakfield Primary School school partnerships,schools Alice reviewing" "with every field"
overture set -c "$cfg" "$L" organisation '=HYPERLINK("http://evil.test")' >/dev/null
overture export -c "$cfg" --search lukasz >"$dir/evil.csv"
like "$(cat "$dir/evil.csv")" "\"'=HYPERLINK" "a formula is neutralised for spreadsheets"
is "$(overture export -c "$cfg" --format json --function inclusion | jq -r '.[].ref')" "$Z" "export --format json takes the same filters"
overture export -c "$cfg" -o "$dir/all.csv" 2>"$dir/err"
check "export -o never overwrites a file" test $? -ne 0

# The coordinators' commands while the daemon files mail.
"$OVERTURE" run -c "$cfg" 2>"$dir/daemon.log" &
daemon=$!
mailstack_track $daemon
for n in $(seq 1 20); do
	enquiry "Busy $n <busy$n@review.test>" "Busy enquiry $n" "Number $n."
done
failures=0
for n in $(seq 1 15); do
	overture note -c "$cfg" "$P" "note $n while the daemon works" >/dev/null 2>>"$dir/concurrent.err" || failures=$((failures + 1))
	overture set -c "$cfg" "$T" area "Area $n" >/dev/null 2>>"$dir/concurrent.err" || failures=$((failures + 1))
	overture leads -c "$cfg" --all >/dev/null 2>>"$dir/concurrent.err" || failures=$((failures + 1))
done
wait_queue_empty
for i in $(seq 1 100); do [ "$(sqlite3 "$STORE" 'SELECT count(*) FROM leads')" = 24 ] && break; sleep 0.1; done
kill -TERM "$daemon"
wait "$daemon"
is "$failures" 0 "45 coordinator commands succeed while the daemon files mail"
is "$(cat "$dir/concurrent.err")" "" "none of them saw a locked database"
is "$(sqlite3 "$STORE" 'SELECT count(*) FROM leads')" 24 "the daemon filed all twenty meanwhile"
is "$(sqlite3 "$STORE" "SELECT count(*) FROM notes WHERE text LIKE 'note % while the daemon works'")" 15 "and every note is there"

# The daily digest instead of a notice per lead.
cfgd=$(write_config "$dir/digest" "notify.to = digest@hub.test
notify.mode = digest
notify.digest_every = 1s
imap.user = dig@hub.test")
mail_text "A <a@digest.test>" dig@hub.test "Digest one" "One." >"$dir/d1.eml"
deliver a@digest.test dig@hub.test "$dir/d1.eml"
wait_queue_empty
"$OVERTURE" run -c "$cfgd" --once 2>"$dir/digest.log"   # starts the digest clock
mail_text "B <b@digest.test>" dig@hub.test "Digest two" "Two." >"$dir/d2.eml"
deliver b@digest.test dig@hub.test "$dir/d2.eml"
wait_queue_empty
sleep 1.1
"$OVERTURE" run -c "$cfgd" --once 2>>"$dir/digest.log"
wait_queue_empty
is "$(imap_count digest@hub.test)" 1 "mode digest sends one digest, not a notice per lead"
digest=$(imap_message digest@hub.test "$(imap_uids digest@hub.test)" | tr -d '\r')
like "$digest" "Subject: Riverside Music Hub: 1 new expressions of interest" "the digest counts the new leads since the clock started"
like "$digest" "Digest two" "and lists them"
like "$digest" "Auto-Submitted: auto-generated" "it is Auto-Submitted"
"$OVERTURE" run -c "$cfgd" --once 2>>"$dir/digest.log"
wait_queue_empty
is "$(imap_count digest@hub.test)" 1 "no new leads: no new digest"

done_testing
