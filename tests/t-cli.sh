#!/bin/bash
# The command line as a coordinator and an administrator meet it: help everywhere,
# clear errors with exit codes, the review commands in their three output forms.
set -u
. "$(dirname "$0")/lib/mailstack.sh"
. "$(dirname "$0")/lib/testlib.sh"
mailstack_start
dir=$(t_dir)
cfg=$(write_config "$dir")

# --help on every command, each with an example.
out=$(overture help)
is "$?" 0 "overture help exits 0"
for cmd in run check leads show set assign note export attachment outbox classify reprocess; do
	like "$out" "^  $cmd " "overture help lists $cmd"
	h=$(overture "$cmd" --help 2>&1)
	is "$?" 0 "overture $cmd --help exits 0"
	like "$h" "^  overture $cmd \\[OPTION" "overture $cmd --help shows its usage"
	like "$h" "Example" "overture $cmd --help has an example"
done
is "$(overture help show | head -3 | tr '\n' ' ')" "$(overture show --help | head -3 | tr '\n' ' ')" "overture help show = overture show --help"
overture frobnicate 2>"$dir/err"
is "$?" 64 "an unknown command exits 64"
like "$(cat "$dir/err")" "unknown command 'frobnicate'. Try 'overture help'" "and says what to do"
overture leads --bogus 2>"$dir/err"
is "$?" 64 "an unknown option exits 64"
like "$(cat "$dir/err")" "Try 'overture leads --help'" "and points at --help"

# Configuration errors name the file and the key.
bad=$(write_config "$dir/bad" "imap.pol_interval = 60")
out=$(overture run -c "$bad" --once 2>&1)
is "$?" 78 "an unknown key exits 78 (EX_CONFIG)"
like "$out" "$bad: \\[imap\\] pol_interval: unknown key" "the error names the file, section and key"
bad=$(write_config "$dir/bad2" "imap.poll_interval = every minute")
out=$(overture run -c "$bad" --once 2>&1)
is "$?" 78 "a bad value exits 78"
like "$out" "\\[imap\\] poll_interval: \"every minute\" is not a duration \\(write e.g. 90, 90s, 15m, 2h or 1d\\)" "the error says what a good value looks like"
out=$(overture leads -c "$dir/nowhere.conf" 2>&1)
is "$?" 78 "a missing config file exits 78"
like "$out" "nowhere.conf.*-c FILE or \\\$OVERTURE_CONFIG" "and says how to give another"
out=$(OVERTURE_CONFIG=$cfg overture leads 2>&1)
is "$?" 0 "\$OVERTURE_CONFIG names the config file"
chmod 644 "$dir/password"
out=$(overture run -c "$cfg" --once 2>&1)
is "$?" 78 "a password file readable by everyone is refused"
like "$out" "readable by every user; make it private first" "and the error says how to fix it"
unlike "$out" "$MS_PASSWORD" "without printing the password"
is "$(overture leads -c "$cfg" --json 2>&1)" "[]" "coordinators' commands do not read password files"
chmod 600 "$dir/password"

# Two leads to review; one from a name with a tab-like oddity for the piped form.
mail_text 'Ana "Tab" Ruiz <ana@strings.test>' hub@hub.test 'Strings	tuition' 'We teach violin.' >"$dir/a.eml"
mail_text 'Ben Ode <ben@brass.test>' hub@hub.test 'Brass band partnership' 'Our brass band would like to partner.' >"$dir/b.eml"
deliver ana@strings.test hub@hub.test "$dir/a.eml"
deliver ben@brass.test hub@hub.test "$dir/b.eml"
wait_queue_empty
overture run -c "$cfg" --once 2>/dev/null
year=$(date -u +%Y)

piped=$(overture leads -c "$cfg")
is "$(echo "$piped" | wc -l)" 2 "piped leads: one line per lead"
is "$(echo "$piped" | awk -F'\t' '{print NF}' | sort -u)" 8 "each line has 8 tab-separated fields"
like "$(echo "$piped" | cut -f1 | tr '\n' ' ')" "^EOI-$year-000[12] EOI-$year-000[12] $" "first field is the reference"
like "$piped" "Strings tuition" "a tab in a subject does not break the line"

json=$(overture leads -c "$cfg" --json)
is "$(echo "$json" | jq -r '[.[].applicant_email] | sort | join(",")')" "ana@strings.test,ben@brass.test" "--json lists both applicants"
like "$(echo "$json" | jq -r '.[0].created_at')" "^$year-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$" "times are RFC 3339 UTC"
ref=$(echo "$json" | jq -r '.[] | select(.applicant_email=="ben@brass.test") | .ref')
is "$(echo "$json" | jq -r ".[] | select(.ref==\"$ref\") | .unread")" true "a new lead is unread"

shown=$(overture show -c "$cfg" "$ref")
is "$?" 0 "show prints a lead"
like "$shown" "^$ref  new" "show starts with the reference and status"
like "$shown" "Our brass band would like to partner" "show includes the text"
like "$shown" "out  ack to ben@brass.test" "show includes the acknowledgement"
like "$shown" "Status: sent" "show says the ack was sent"
is "$(overture leads -c "$cfg" --json | jq -r ".[] | select(.ref==\"$ref\") | .unread")" false "show marks the lead as read"
lower=$(overture show -c "$cfg" "$(echo "$ref" | tr A-Z a-z)" --json | jq -r .ref)
is "$lower" "$ref" "references are case-insensitive"
overture show -c "$cfg" EOI-1999-0001 2>"$dir/err"
is "$?" 66 "an unknown reference exits 66 (EX_NOINPUT)"
like "$(cat "$dir/err")" "no lead EOI-1999-0001 \\(overture leads lists them\\)" "and says where to look"
overture show -c "$cfg" 2>"$dir/err"
is "$?" 64 "show without a reference exits 64"

# classify reads a file and touches nothing.
before=$(sqlite3 "$dir/data/overture.db" 'SELECT count(*) FROM messages')
out=$(overture classify -c "$cfg" "$dir/a.eml")
is "$?" 0 "classify: a person's message exits 0"
like "$out" "^acknowledge: a person's message \\(reply to ana@strings.test\\)" "classify says it would acknowledge"
printf 'From: MAILER-DAEMON@mx.test\nSubject: Undelivered Mail\nAuto-Submitted: auto-replied\n\nSorry.\n' >"$dir/robot.eml"
out=$(overture classify -c "$cfg" "$dir/robot.eml")
is "$?" 1 "classify: a robot exits 1"
like "$out" "^withhold: auto-submitted: auto-replied" "classify gives the reason"
is "$(overture classify -c "$cfg" "$dir/robot.eml" --json | jq -r .decision)" withhold "classify --json"
is "$(sqlite3 "$dir/data/overture.db" 'SELECT count(*) FROM messages')" "$before" "classify files nothing"

done_testing
