#!/bin/bash
# Enquiries in UTF-8 and ISO-8859-1, with RFC 2047 subjects and names, are filed as
# clean UTF-8 text, and the acknowledgement greets the sender correctly.
set -u
. "$(dirname "$0")/lib/mailstack.sh"
. "$(dirname "$0")/lib/testlib.sh"
mailstack_start
dir=$(t_dir)
cfg=$(write_config "$dir")
STORE=$dir/data/overture.db

# UTF-8: base64 body, B-encoded subject split across two encoded words, Q-encoded name.
body_utf8=$(printf 'Bore da! Ysgol Gymraeg Aberhonddu would love to join the hub.\nOur pupils sing in Welsh and English; Zoë and Łukasz lead the choir.\n' | base64 -w 76)
subject_1=$(printf 'Partneriaeth / Partnership – ' | base64 -w0)
subject_2=$(printf 'Côr Ysgol Gymraeg' | base64 -w0)
cat >"$dir/utf8.eml" <<MAIL
From: =?UTF-8?Q?Zo=C3=AB_Evans?= <zoe@ysgol.test>
To: hub@hub.test
Subject: =?UTF-8?B?$subject_1?= =?UTF-8?B?$subject_2?=
Date: $(date -R)
Message-ID: <utf8-$$@ysgol.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: base64

$body_utf8
MAIL

# ISO-8859-1: quoted-printable body and subject, 8-bit free on the wire.
cat >"$dir/latin1.eml" <<MAIL
From: =?ISO-8859-1?Q?Ren=E9e_M=FCller?= <renee@musikschule.test>
To: hub@hub.test
Subject: =?ISO-8859-1?Q?Anfrage_f=FCr_eine_Partnerschaft_=96_Musikschule?=
Date: $(date -R)
Message-ID: <latin1-$$@musikschule.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-8859-1
Content-Transfer-Encoding: quoted-printable

Gr=FC=DFe aus der Musikschule! Wir m=F6chten gern Partner werden =
und bieten Kurse f=FCr Sch=FCler an (Geb=FChr: 5 =A3).
MAIL

deliver zoe@ysgol.test hub@hub.test "$dir/utf8.eml"
deliver renee@musikschule.test hub@hub.test "$dir/latin1.eml"
wait_queue_empty
overture run -c "$cfg" --once 2>"$dir/run.log"
is "$?" 0 "run --once exits 0"
wait_queue_empty

leads=$(overture leads -c "$cfg" --json)
is "$(echo "$leads" | jq length)" 2 "both enquiries are filed"
utf8_ref=$(echo "$leads" | jq -r '.[] | select(.applicant_email == "zoe@ysgol.test") | .ref')
latin_ref=$(echo "$leads" | jq -r '.[] | select(.applicant_email == "renee@musikschule.test") | .ref')

u=$(overture show -c "$cfg" "$utf8_ref" --json)
is "$(echo "$u" | jq -r .subject)" "Partneriaeth / Partnership – Côr Ysgol Gymraeg" "UTF-8 subject over two encoded words is whole"
is "$(echo "$u" | jq -r .contact_name)" "Zoë Evans" "UTF-8 Q-encoded name is decoded"
like "$(echo "$u" | jq -r '.thread[0].text')" "Zoë and Łukasz lead the choir" "UTF-8 base64 body is decoded"

l=$(overture show -c "$cfg" "$latin_ref" --json)
is "$(echo "$l" | jq -r .subject)" "Anfrage für eine Partnerschaft – Musikschule" "ISO-8859-1 subject is decoded (0x96 as windows-1252)"
is "$(echo "$l" | jq -r .contact_name)" "Renée Müller" "ISO-8859-1 name is decoded"
like "$(echo "$l" | jq -r '.thread[0].text')" "Grüße aus der Musikschule! Wir möchten gern Partner werden und bieten Kurse für Schüler an \\(Gebühr: 5 £\\)" "ISO-8859-1 quoted-printable body is decoded"

invalid=$(sql "SELECT count(*) FROM messages WHERE text != CAST(CAST(text AS BLOB) AS TEXT)")
is "$invalid" 0 "the store holds valid text"
check "every stored text is valid UTF-8" sh -c "sqlite3 '$STORE' 'SELECT subject, text, from_name FROM messages' | iconv -f UTF-8 -t UTF-8 >/dev/null"

# The acknowledgements greet each sender by their decoded name.
ack_z=$(imap_message zoe@ysgol.test "$(imap_uids zoe@ysgol.test)")
like "$(echo "$ack_z" | header To)" "^=\\?[a-zA-Z0-9-]+\\?[bBqQ]\\?" "a non-ASCII name in To is RFC 2047 encoded"
is "$(echo "$ack_z" | mailtool header To)" "Zoë Evans <zoe@ysgol.test>" "the To name decodes to Zoë Evans"
like "$ack_z" "Content-Transfer-Encoding: (quoted-printable|base64)" "a non-ASCII ack body is 7-bit safe"
unlike "$(echo "$ack_z" | LC_ALL=C grep -c $'[\x80-\xff]')" "^[1-9]" "the ack has no 8-bit bytes on the wire"
like "$(echo "$ack_z" | mailtool text)" "^Dear Zoë Evans," "the ack's text part greets Zoë Evans"
like "$(echo "$ack_z" | mailtool html)" "Dear Zoë Evans," "the ack's HTML part greets Zoë Evans"

done_testing
