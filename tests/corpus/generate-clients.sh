#!/bin/bash
# Makes tests/corpus/clients/*.eml with mail clients Debian ships (mutt, s-nail, swaks,
# Python's email package), the way partners' mail reaches a hub. Run by hand after
# `apt-get install mutt s-nail swaks python3`; the output is committed, so the tests do
# not need these clients. Each message has a NAME.expect file beside it, written by hand.
set -eu
cd "$(dirname "$0")/clients"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work LANG=C.UTF-8 TZ=Europe/London

# A "sendmail" that writes the message it is given to $OUT.
cat >"$work/capture" <<'SH'
#!/bin/sh
cat >"$OUT"
SH
chmod +x "$work/capture"

# A small PDF and PNG to attach.
printf '%%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%%%EOF\n' >"$work/Partnership offer 2026.pdf"
printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\1\0\0\0\1\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\x0f\0\0\1\1\0\x05\x18\xd8N\0\0\0\0IEND\xaeB`\x82' >"$work/choir.png"

# mutt: UTF-8 text with a PDF attachment.
cat >"$work/mutt-body" <<'TXT'
Dear Hub team,

I am Ciarán Ó Briain, director of Riverside Youth Choir. We rehearse on
Thursday evenings at St Mary's Church Hall and would like to become a hub
partner: we can offer progression routes for young singers leaving primary
school, and we run SEND-friendly sessions.

Our partnership offer is attached.

Le gach dea-ghuí,
Ciarán Ó Briain
Director, Riverside Youth Choir
07700 900123
TXT
OUT=mutt-utf8-attachment.eml mutt -n -F /dev/null \
	-e "set sendmail=$work/capture" -e 'set from="Ciarán Ó Briain <ciaran@youthchoir.test>"' \
	-e 'set use_from=yes' -e 'set send_charset="utf-8"' -e 'set charset="utf-8"' \
	-e 'set realname="Ciarán Ó Briain"' \
	-s 'Expression of interest – Riverside Youth Choir' \
	-a "$work/Partnership offer 2026.pdf" -- hub@hub.test <"$work/mutt-body"

# s-nail: ISO-8859-1 text (as an older setup sends it), with an image.
printf 'Hello,\n\nThe Caf\xe9 Concert Society would like to talk to you about a partnership.\nWe host a monthly concert series and can offer our hall free of charge to\nthe hub\x27s ensembles.\n\nRegards,\nRen\xe9e Martin\nSecretary\n' >"$work/snail-body"
OUT=s-nail-latin1-image.eml s-nail -n -# \
	-S mta="$work/capture" -S sendcharsets=iso-8859-1 -S ttycharset=iso-8859-1 \
	-r 'Renée Martin <renee@cafeconcerts.test>' \
	-s 'Partnership with the Café Concert Society' \
	-a "$work/choir.png" hub@hub.test <"$work/snail-body" || true
OUT=s-nail-latin1-image.eml; [ -s "$OUT" ]

# swaks: a plain message as a script or a web form's mailer would send it.
swaks --to hub@hub.test --from 'website@primary.sch.test' \
	--header 'Subject: New enquiry from the school website' \
	--header 'Reply-To: Head Teacher <head@primary.sch.test>' \
	--header 'From: "Oakfield Primary Website" <website@primary.sch.test>' \
	--body $'Name: Margaret Jones\nRole: Head Teacher\nSchool: Oakfield Primary School\nEmail: head@primary.sch.test\nMessage: We would like whole-class ukulele lessons for Year 4.\n' \
	--dump-mail 2>/dev/null >swaks-webform.eml

# Python's email package: multipart/alternative with an HTML part, as a webmail sends.
/usr/bin/python3 - <<'PY'
from email.message import EmailMessage
from email.headerregistry import Address
from email.utils import formatdate, make_msgid
import email.policy

m = EmailMessage()
m["From"] = Address("Łukasz Kowalski", "lukasz", "strings.test")
m["To"] = "hub@hub.test"
m["Subject"] = "Strings tuition – partnership enquiry"
m["Date"] = formatdate(1795305600)
m["Message-ID"] = make_msgid(domain="strings.test")
m.set_content("Dear Hub,\n\nI am a freelance violin and viola teacher (Łukasz Kowalski)\n"
              "offering tuition in schools across the city. I would like to join your\n"
              "network of partners.\n\nBest regards,\nŁukasz\n")
m.add_alternative("<html><body><p>Dear Hub,</p><p>I am a freelance violin and viola "
                  "teacher (<b>Łukasz Kowalski</b>) offering tuition in schools across the "
                  "city. I would like to join your network of partners.</p>"
                  "<p>Best regards,<br>Łukasz</p></body></html>", subtype="html")
open("python-alternative.eml", "wb").write(m.as_bytes(policy=email.policy.SMTP))

# A reply to our acknowledgement: quoted history below the new text.
r = EmailMessage()
r["From"] = Address("Łukasz Kowalski", "lukasz.k", "strings.test")
r["To"] = "Riverside Music Hub <hub@hub.test>"
r["Subject"] = "Re: Strings tuition"
r["Date"] = formatdate(1795309200)
r["Message-ID"] = make_msgid(domain="strings.test")
r.set_content("Thank you! I am free on Tuesday afternoons for a call.\n\n"
              "On Sun, 22 Nov 2026 at 00:00, Riverside Music Hub <hub@hub.test> wrote:\n"
              "> Dear Łukasz Kowalski,\n>\n> Thank you for your expression of interest.\n")
open("python-reply-quoted.eml", "wb").write(r.as_bytes(policy=email.policy.SMTP))
PY
ls -l
