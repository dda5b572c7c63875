#!/bin/bash
# No loops and no injection: two Overture instances whose mailboxes write to each other
# send one ack each and then stay quiet; hostile values in a partner's mail (CR/LF in
# the name and subject, HTML in the name, raw 8-bit bytes) cannot add or change a
# header of the ack, and are escaped in its HTML part.
set -u
. "$(dirname "$0")/lib/mailstack.sh"
. "$(dirname "$0")/lib/testlib.sh"
mailstack_start
dir=$(t_dir)

# Two hubs that enquire with each other.
cfga=$(write_config "$dir/a" "hub.address = a@hub.test
imap.user = a@hub.test
smtp.from = Hub A <a@hub.test>
imap.poll_interval = 1")
cfgb=$(write_config "$dir/b" "hub.address = b@other.test
hub.name = Other Hub
imap.user = b@other.test
smtp.from = Hub B <b@other.test>
imap.poll_interval = 1")
mail_text "Hub B <b@other.test>" a@hub.test "Partnership between our hubs?" "Shall we work together?" >"$dir/b-to-a.eml"
mail_text "Hub A <a@hub.test>" b@other.test "Partnership between our hubs?" "Shall we work together?" >"$dir/a-to-b.eml"
deliver b@other.test a@hub.test "$dir/b-to-a.eml"
deliver a@hub.test b@other.test "$dir/a-to-b.eml"
wait_queue_empty
for cycle in 1 2 3 4 5; do
	overture run -c "$cfga" --once 2>>"$dir/a.log"
	overture run -c "$cfgb" --once 2>>"$dir/b.log"
	wait_queue_empty
done
is "$(sqlite3 "$dir/a/data/overture.db" 'SELECT count(*) FROM outbox')" 1 "hub A sent exactly one ack in five cycles"
is "$(sqlite3 "$dir/b/data/overture.db" 'SELECT count(*) FROM outbox')" 1 "hub B sent exactly one ack in five cycles"
is "$(imap_count a@hub.test)" 2 "A's mailbox holds B's enquiry and B's ack, nothing more"
is "$(imap_count b@other.test)" 2 "B's mailbox holds A's enquiry and A's ack, nothing more"
like "$(sqlite3 "$dir/a/data/overture.db" "SELECT decision FROM messages WHERE subject LIKE 'Thank you%'")" "^withheld: auto-submitted: auto-replied$" "A does not answer B's ack"

# Hostile values, with templates that put the partner's own words in the ack's subject.
mkdir -p "$dir/tpl"
cp "$TOP"/templates/* "$dir/tpl/"
printf 'Re: {{their_subject}} from {{contact_name}} [{{reference}}]\n' >"$dir/tpl/ack.subject"
cfg=$(write_config "$dir/h" "ack.templates = $dir/tpl
ack.min_interval = 0")
cat >"$dir/evil1.eml" <<'MAIL'
From: =?UTF-8?Q?Evil=0D=0ABcc:_victim@evil.test=0D=0AX-Injected:_yes?= <evil@hostile.test>
To: hub@hub.test
Subject: =?UTF-8?Q?Hello=0D=0AX-Injected-Subject:_yes=0A=0ABody_injection?=
Message-ID: <evil1@hostile.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hostile one.
MAIL
cat >"$dir/evil2.eml" <<'MAIL'
From: Html Tester <html@hostile.test>
To: hub@hub.test
Subject: <img src=x onerror=alert(2)>
Message-ID: <evil2@hostile.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Name: Html Tester
Email: html@hostile.test
Organisation: <script>alert(1)</script> <b>Bold</b> & Co
Message: Hostile two.
MAIL
printf 'From: Ren\xe9e \xabRaw\xbb <raw8@hostile.test>\nTo: hub@hub.test\nSubject: Caf\xe9 8-bit\nMessage-ID: <evil3@hostile.test>\n\nHostile three.\n' >"$dir/evil3.eml"
for n in 1 2 3; do
	imap hub@hub.test INBOX -T "$dir/evil$n.eml" >/dev/null # as-is: no MTA cleans them up
done
overture run -c "$cfg" --once 2>"$dir/hostile.log"
is "$?" 0 "the run over hostile mail succeeds"
wait_queue_empty

ack1=$(imap_message evil@hostile.test "$(imap_uids evil@hostile.test)" | tr -d '\r')
headers1=$(echo "$ack1" | sed '/^$/q')
unlike "$headers1" "^(Bcc|X-Injected|X-Injected-Subject):" "CR/LF in a name or subject adds no header to the ack"
like "$(echo "$ack1" | mailtool header Subject)" "^Re: Hello X-Injected-Subject: yes Body injection from \\[EOI-" "the words stay inside the Subject, on one line"
is "$(echo "$ack1" | mailtool header To)" 'evil@hostile.test' "a display name with headers in it is no person's name: the bare address"
unlike "$(cat "$MS/log/postfix.log")" "injected Bcc header" "Postfix saw no Bcc header in any mail"
is "$(imap_count victim@evil.test)" 0 "nothing reached the injected Bcc address"

ack2=$(imap_message html@hostile.test "$(imap_uids html@hostile.test)" | tr -d '\r')
html2=$(echo "$ack2" | mailtool html)
like "$html2" "on behalf of &lt;script&gt;alert\\(1\\)&lt;/script&gt; &lt;b&gt;Bold&lt;/b&gt; &amp; Co" "HTML in a form's organisation is escaped in the HTML part"
unlike "$html2" "<script>|<b>Bold|<img" "no markup from the mail reaches the HTML part"
like "$(echo "$ack2" | mailtool text | tr -s ' \n' '  ')" "on behalf of <script>alert\\(1\\)</script> <b>Bold</b> & Co" "the text part shows it as written"

ack3=$(imap_message raw8@hostile.test "$(imap_uids raw8@hostile.test)" | tr -d '\r')
is "$(echo "$ack3" | mailtool header To)" "Renée «Raw» <raw8@hostile.test>" "a raw 8-bit name (windows-1252) is decoded and re-encoded properly"
like "$(echo "$ack3" | mailtool header Subject)" "^Re: Café 8-bit from Renée «Raw»" "so is a raw 8-bit subject"
unlike "$(echo "$ack3" | sed '/^$/q' | LC_ALL=C grep -c -P '[\x80-\xff]')" "^[1-9]" "the ack's headers are 7-bit"

done_testing
