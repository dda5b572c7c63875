#!/bin/bash
# Who is asking and what they offer (issue 7). Every labelled enquiry of
# tests/extraction/ is delivered through Postfix and filed; what the store holds is
# scored field by field against its NAME.expect (tests/lib/score_extraction.py prints
# per-field accuracy and fails below 95%). Then what a coordinator does with the fields:
# the filters, the export, the same organisation's other leads, corrections that later
# mail never overwrites, and the acknowledgements the fields decide.
set -u
. "$(dirname "$0")/lib/mailstack.sh"
. "$(dirname "$0")/lib/testlib.sh"
mailstack_start
dir=$(t_dir)
cfg=$(write_config "$dir" "ack.trusted_forms = forms@riversidemusichub.org.uk")
STORE=$dir/data/overture.db
labelled=$TESTS_DIR/extraction

expect() { # expect NAME FIELD
	sed -n "s/^$2: \\{0,1\\}//p" "$labelled/$1.expect"
}

ref_of() { # ref_of NAME: the lead filed from tests/extraction/NAME.eml
	local subject
	subject=$(mailtool header Subject <"$labelled/$1.eml")
	overture export -c "$cfg" --everything --format json |
		jq -r --arg s "$subject" '.[] | select(.subject == $s) | .ref'
}

count=0
for eml in "$labelled"/*.eml; do
	deliver sender@outside.test hub@hub.test "$eml"
	count=$((count + 1))
done
wait_queue_empty
overture run -c "$cfg" --once 2>"$dir/run.log"
is "$?" 0 "the $count labelled enquiries are filed"
wait_queue_empty

# ---- accuracy ----
overture export -c "$cfg" --everything --format json >"$dir/all.json"
is "$(jq length "$dir/all.json")" "$count" "each is one lead (--everything includes offers and newsletters)"
/usr/bin/python3 "$TESTS_DIR/lib/score_extraction.py" "$labelled" "$dir/all.json" --min 95 >"$dir/score"
status=$?
sed 's/^/# /' "$dir/score"
is "$status" 0 "extraction is at least 95% right over every field (exact after normalisation)"
overall=$(sed -n 's/^ *overall *[0-9]*\/[0-9]* *\([0-9.]*\)%$/\1/p' "$dir/score")
like "$overall" '^[0-9]' "the score reports an overall figure ($overall%)"

# `overture classify` reads the same fields from a file, touching nothing.
overture classify -c "$cfg" --json "$labelled"/*.eml >"$dir/classified.json"
/usr/bin/python3 "$TESTS_DIR/lib/score_extraction.py" "$labelled" "$dir/classified.json" --min 95 >"$dir/score2"
is "$(grep overall "$dir/score2")" "$(grep overall "$dir/score")" "classify finds what filing found"

# ---- the queue by the fields ----
not_partnership=$(grep -l '^is_partnership_enquiry: false' "$labelled"/*.expect | wc -l)
is "$(overture leads -c "$cfg" --all --json | jq length)" $((count - not_partnership)) \
	"offers, adverts and newsletters are filed but not queued ($not_partnership of them)"
want=$(for e in "$labelled"/*.expect; do
	n=$(basename "$e" .expect)
	[ "$(expect "$n" org_type)" = school ] && expect "$n" functions | grep -q inclusion &&
		mailtool header Subject <"$labelled/$n.eml"
done | sort)
got=$(overture leads -c "$cfg" --function inclusion --type school --json | jq -r '.[].subject' | sort)
is "$got" "$want" "leads --function inclusion --type school: the schools that offered inclusion"
check "that is more than one lead" test "$(echo "$got" | wc -l)" -gt 1
got=$(overture leads -c "$cfg" --function inclusion --type school | cut -f1 | sort)
check "and the same list as a table" test -n "$got"

overture export -c "$cfg" --type school -o "$dir/schools.csv" 2>/dev/null
head -1 "$dir/schools.csv" | tr -d '\r' >"$dir/columns"
for column in applicant_email contact_name organisation org_type phone website postcode area \
	functions is_partnership_enquiry out_of_area; do
	check "export has the column $column" grep -qw "$column" "$dir/columns"
done
row=$(grep "St Mary's C of E Primary School" "$dir/schools.csv" | tr -d '\r')
like "$row" ',\+441632960102,https://www.stmarys-belper.derbyshire.sch.uk,DE56 1BA,DE56 \(Riverside Music Hub\),"schools,inclusion",true,false' \
	"the export row carries the extracted fields"

# ---- the same organisation again ----
first=$(ref_of 09-outlook-school-signature)
again=$(ref_of 43-st-marys-again)
shown=$(overture show -c "$cfg" "$again" --json)
is "$(echo "$shown" | jq -r '[.related[].ref] | join(" ")')" "$first" \
	"St Marys Primary School is linked to St Mary's C of E Primary School"
is "$(overture leads -c "$cfg" --json | jq -r --arg r "$again" '.[] | select(.ref == $r) | .related | join(" ")')" \
	"$first" "leads --json carries the link"
like "$(overture show -c "$cfg" "$again" | grep -A1 'Also from this organisation (1):')" "^  $first  " \
	"show lists the other lead"
unrelated=$(ref_of 10-gmail-pianist)
is "$(overture show -c "$cfg" "$unrelated" --json | jq '.related | length')" 0 \
	"a webmail address links nobody"
like "$(overture show -c "$cfg" "$first")" "organisation +signature" "show says where each field came from"

# ---- acknowledgements the fields decide ----
decision() { overture show -c "$cfg" "$(ref_of "$1")" --json | jq -r .ack_decision; }
is "$(decision 09-outlook-school-signature)" acknowledged "a school's enquiry is acknowledged"
like "$(decision 16-seo-pitch)" "not a partnership enquiry" "a sales pitch gets no acknowledgement"
like "$(decision 19-forward-gmail)" "read from the message" \
	"a colleague's forward: the applicant is in the body, so a coordinator decides"
like "$(decision 05-elementor-freelancer)" "read from the message.*trusted_forms" \
	"a form with no Reply-To from a mailer not listed as trusted: a coordinator decides"
like "$(decision 42-form-from-hub-address)" "read from the message" \
	"a form sent from the hub's own address is an enquiry, not our own mail coming back"
is "$(overture show -c "$cfg" "$(ref_of 42-form-from-hub-address)" --json | jq -r .applicant_email)" \
	grace.oneill@harmonygospel.org.uk "and its applicant is the form's"
is "$(imap_count grace.oneill@harmonygospel.org.uk)" 0 "nothing was sent to an address read from a body"
is "$(imap_count kemi@panrhythms.org.uk)" 0 "nor to the forwarded applicant"

# A trusted form's applicant gets the ack: 28 has a Reply-To; take one without.
mail_text 'Riverside Music Hub <forms@riversidemusichub.org.uk>' hub@hub.test 'Website form: Ukulele club' \
	'Your name: Amira Haddad
Your email: amira@ukeclub.org.uk
Organisation: Long Eaton Ukulele Club
Your message: We would like to run a beginners club for families in the library.' >"$dir/trusted.eml"
deliver forms@riversidemusichub.org.uk hub@hub.test "$dir/trusted.eml"
wait_queue_empty
overture run -c "$cfg" --once 2>>"$dir/run.log"
wait_queue_empty
is "$(overture leads -c "$cfg" --search ukulele --json | jq -r '.[0].ack_decision')" acknowledged \
	"a form from a trusted mailer ([ack] trusted_forms) is acknowledged"
wait_count amira@ukeclub.org.uk 1
ack=$(imap_message amira@ukeclub.org.uk "$(imap_uids amira@ukeclub.org.uk)")
like "$(echo "$ack" | mailtool text)" "Dear Amira Haddad," "the ack greets the applicant by name"
like "$(echo "$ack" | mailtool text)" "on behalf of Long Eaton Ukulele Club" "and names the organisation"

# The ack uses what was found, and reads naturally when little was.
wait_count g.jones@stmarys-belper.derbyshire.sch.uk 1
ack=$(imap_message g.jones@stmarys-belper.derbyshire.sch.uk "$(imap_uids g.jones@stmarys-belper.derbyshire.sch.uk)" | mailtool text)
like "$ack" "on behalf of St Mary's C of E Primary School" "the ack names the school"
like "$(echo "$ack" | tr -s ' \n' '  ')" "especially work in schools and inclusion\." "and the functions they mentioned, in words"
wait_count jordanpike.drums@icloud.com 1
ack=$(imap_message jordanpike.drums@icloud.com "$(imap_uids jordanpike.drums@icloud.com)" | mailtool text)
unlike "$(echo "$ack" | tr -s ' \n' '  ')" "on behalf of|\\{\\{| ,| \\.|of \\." "with no organisation the sentences still read (no gaps, no placeholders)"
like "$ack" "^Dear Jordan Pike," "the name from the headers"

# ---- corrections stay; later mail fills gaps ----
church=$(ref_of 29-church-hall)
overture set -c "$cfg" "$church" organisation "St Alkmund's Church, Kedleston Road" --as Alice >/dev/null
overture set -c "$cfg" "$church" type venue --as Alice >/dev/null
ack_id=$(overture show -c "$cfg" "$church" --json | jq -r '.thread[] | select(.direction == "out") | .message_id')
mail_text 'Rev. Andrew Kirk <vicar@stalkmund-derby.org.uk>' hub@hub.test "Re: Rehearsal space [$church]" \
	'Dear all,

One more thing: our organist would help with a choir project too.

Andrew Kirk
Vicar, Derby Cathedral Parish Choir School
Tel: 01632 960 777
www.stalkmund-derby.org.uk' "In-Reply-To: $ack_id" >"$dir/followup.eml"
deliver vicar@stalkmund-derby.org.uk hub@hub.test "$dir/followup.eml"
wait_queue_empty
overture run -c "$cfg" --once 2>>"$dir/run.log"
shown=$(overture show -c "$cfg" "$church" --json)
is "$(echo "$shown" | jq -r '.thread | map(select(.direction == "in")) | length')" 2 "the follow-up joins the lead"
is "$(echo "$shown" | jq -r .organisation)" "St Alkmund's Church, Kedleston Road" "a coordinator's correction is not overwritten by later mail"
is "$(echo "$shown" | jq -r .org_type)" venue "nor is the corrected type"
is "$(echo "$shown" | jq -r .provenance.organisation)" "coordinator: Alice" "and still says who set it"
is "$(echo "$shown" | jq -r .phone)" "+441632960777" "an empty field is filled from the later message"
is "$(echo "$shown" | jq -r .provenance.phone)" "later message: signature" "saying where it came from"
like "$(echo "$shown" | jq -r '.history[] | "\(.actor) \(.action) \(.detail)"')" "overture filled phone: '\\+441632960777'" \
	"and the history records it"

# An offer filed as not a partnership enquiry can be queued by a coordinator.
pitch=$(ref_of 16-seo-pitch)
overture set -c "$cfg" "$pitch" partnership yes >/dev/null
is "$(overture leads -c "$cfg" --all --json | jq -r --arg r "$pitch" 'map(.ref) | index($r) != null')" true \
	"set REF partnership yes queues it"
overture set -c "$cfg" "$pitch" partnership perhaps 2>"$dir/err"
is "$?" 64 "partnership takes yes or no"
like "$(cat "$dir/err")" "partnership is yes or no" "and says so"

check "no errors were logged" sh -c "! grep -E 'ERROR|AddressSanitizer|runtime error' '$dir/run.log'"
done_testing
