#!/bin/bash
# Mail as real clients send it (tests/corpus/clients: made by mutt, s-nail, swaks and
# Python's email package, and hand-made Outlook, Gmail, Apple Mail and phone shapes):
# each is delivered through Postfix, filed, and must come out as its NAME.expect says:
# applicant, name, subject, the first words of its new text, its quoted history, and
# its attachments, which `overture attachment` gives back byte for byte.
set -u
. "$(dirname "$0")/lib/mailstack.sh"
. "$(dirname "$0")/lib/testlib.sh"
mailstack_start
dir=$(t_dir)
cfg=$(write_config "$dir" "store.max_attachment_size = 68")
STORE=$dir/data/overture.db
corpus=$TESTS_DIR/corpus/clients

expect_field() { # expect_field FILE KEY
	sed -n "s/^$2: \\{0,1\\}//p" "$1"
}
squash() { tr -s ' \n\t' '   ' | sed 's/^ //; s/ $//'; }

for eml in "$corpus"/*.eml; do
	applicant=$(expect_field "${eml%.eml}.expect" applicant)
	deliver "$applicant" hub@hub.test "$eml"
done
wait_queue_empty
overture run -c "$cfg" --once 2>"$dir/run.log"
is "$?" 0 "all the client messages are filed"

for eml in "$corpus"/*.eml; do
	name=$(basename "$eml" .eml)
	exp=${eml%.eml}.expect
	subject=$(expect_field "$exp" subject)
	id=$(sqlite3 "$STORE" "SELECT l.ref FROM leads l JOIN messages m ON m.lead_id = l.id WHERE m.subject = '$(echo "$subject" | sed "s/'/''/g")'")
	if [ -z "$id" ]; then
		fail "$name: filed under its subject" "no lead with subject '$subject'"
		continue
	fi
	shown=$(overture show -c "$cfg" "$id" --json)
	is "$(echo "$shown" | jq -r .applicant_email)" "$(expect_field "$exp" applicant)" "$name: applicant"
	is "$(echo "$shown" | jq -r .contact_name)" "$(expect_field "$exp" name)" "$name: name"
	want=$(expect_field "$exp" text | squash)
	got=$(echo "$shown" | jq -r '.thread[0].text' | squash)
	check "$name: text starts '${want:0:40}...'" test "${got:0:${#want}}" = "$want"
	[ "${got:0:${#want}}" = "$want" ] || echo "#   got: ${got:0:200}"
	quoted=$(expect_field "$exp" quoted)
	if [ -n "$quoted" ]; then
		like "$(echo "$shown" | jq -r '.thread[0].quoted')" "^$(printf '%s' "$quoted" | sed 's/[][\\.*^$()+?{}|]/\\&/g')" "$name: quoted history kept apart"
		unlike "$got" "$(printf '%s' "$quoted" | cut -c1-20 | sed 's/[][\\.*^$()+?{}|]/\\&/g')" "$name: and not in the new text"
	fi
	is "$(echo "$shown" | jq -r '[.thread[0].attachments[].filename] | join(", ")')" "$(expect_field "$exp" attachments)" "$name: attachments"
	check "$name: valid UTF-8 throughout" sh -c "printf '%s' \"\$1\" | iconv -f UTF-8 -t UTF-8 >/dev/null" _ "$shown"
done

# Attachments come back byte for byte: stored apart (small) or from the raw message
# (over max_attachment_size = 68 bytes here: the PDF has 69, the PNG 67).
ref=$(sqlite3 "$STORE" "SELECT l.ref FROM leads l WHERE applicant_email = 'ciaran@youthchoir.test'")
overture attachment -c "$cfg" "$ref" 1 >"$dir/offer.pdf"
is "$?" 0 "overture attachment writes the PDF"
is "$(sha256sum <"$dir/offer.pdf" | cut -d' ' -f1)" "$(overture show -c "$cfg" "$ref" --json | jq -r '.thread[0].attachments[0].sha256')" "its bytes match the SHA-256 filed"
like "$(head -c 8 "$dir/offer.pdf")" "^%PDF-1.4" "it is the PDF"
is "$(overture show -c "$cfg" "$ref" --json | jq -r '.thread[0].attachments[0].stored')" false "over max_attachment_size it is not stored apart"
like "$(overture show -c "$cfg" "$ref" --json | jq -r '.thread[0].attachments[0].note')" "larger than \\[store\\] max_attachment_size" "and says so"
ref2=$(sqlite3 "$STORE" "SELECT ref FROM leads WHERE applicant_email = 'renee@cafeconcerts.test'")
is "$(overture show -c "$cfg" "$ref2" --json | jq -r '.thread[0].attachments[0].stored')" true "a small attachment is stored apart"
overture attachment -c "$cfg" "$ref2" 1 -o "$dir/choir.png" 2>/dev/null
is "$(head -c 4 "$dir/choir.png" | od -An -c | tr -d ' ')" "211PNG" "and comes back as the PNG"
overture attachment -c "$cfg" "$ref2" 1 -o "$dir/choir.png" 2>"$dir/err"
check "-o never overwrites a file" test $? -ne 0
overture attachment -c "$cfg" "$ref2" 5 >/dev/null 2>"$dir/err"
like "$(cat "$dir/err")" "has 1 attachment \\(overture show" "a wrong number says how many there are"
fwd=$(sqlite3 "$STORE" "SELECT ref FROM leads WHERE subject LIKE 'Fwd:%'")
like "$(overture show -c "$cfg" "$fwd" --json | jq -r '.thread[0].attachments[0].text')" "I teach tabla" "an attached message's text is kept (searchable)"
like "$(overture show -c "$cfg" "$fwd" --full)" "--- attached message" "show --full prints it"

done_testing
