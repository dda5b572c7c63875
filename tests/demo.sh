#!/bin/bash
# make demo: Overture against a private mail stack on 127.0.0.1, with sample
# enquiries, from a bare machine (as root). Everything lives in one temporary
# directory and is removed at the end.
set -u
cd "$(dirname "$0")/.."
. tests/lib/mailstack.sh
. tests/lib/testlib.sh
OVERTURE=$PWD/overture

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Starting a private Dovecot (IMAP) and Postfix (SMTP) on 127.0.0.1"
mailstack_start
echo "IMAPS 127.0.0.1:$MS_IMAPS_PORT, submission 127.0.0.1:$MS_SUBMISSION_PORT, in $MS"
dir=$(t_dir)
cfg=$(write_config "$dir" "imap.poll_interval = 60")
echo "Demo configuration: $cfg"

say "Delivering five messages to hub@hub.test through Postfix"
for f in tests/demo/*.eml; do
	from=$(header From <"$f" | sed 's/.*<//;s/>.*//')
	subject=$(mailtool header Subject <"$f")
	printf '  %-45s %s\n' "$from" "$subject"
	deliver "$from" hub@hub.test "$f"
done
wait_queue_empty

say "overture run --once  (file new mail, send acknowledgements)"
overture run -c "$cfg" --once
wait_queue_empty

say "overture leads  (the coordinators' review queue)"
COLUMNS=${COLUMNS:-120} script -qc "$OVERTURE leads -c $cfg" /dev/null 2>/dev/null ||
	overture leads -c "$cfg"

ref=$(overture leads -c "$cfg" --json | jq -r '.[] | select(.applicant_email | startswith("tom@")) | .ref')
say "overture show $ref"
overture show -c "$cfg" "$ref" | head -40

say "The acknowledgement as it arrived in tom@riverside-music.org.test's INBOX"
uid=$(imap_uids tom@riverside-music.org.test)
imap_message tom@riverside-music.org.test "$uid" | tr -d '\r' |
	sed -n '/^Date:/,/^$/p;/^$/q'
echo
imap_message tom@riverside-music.org.test "$uid" | mailtool text

say "overture leads --function inclusion  (filtered by what the partners offer)"
overture leads -c "$cfg" --function inclusion | cut -f1,2,6,7

say "overture export --format json  (the fields read from each enquiry)"
overture export -c "$cfg" --format json |
	jq -r '.[] | "\(.ref)  \(.organisation // "-")  [\(.org_type // "-")]  \(.functions | join(", "))"'

say "The out-of-office reply was filed but not acknowledged"
sqlite3 "$dir/data/overture.db" \
	"SELECT from_addr || ': ' || decision FROM messages WHERE kind = 'robot'"

cat <<TXT

== Your own mailbox
To point Overture at the hub's real mailbox:
  sudo make install                       # binary, templates, systemd unit, man page
  sudoedit /etc/overture/overture.conf    # [hub], [imap] and [smtp]: see overture(1)
  overture check                          # says what is wrong, if anything
  overture run --once --dry-run           # what would happen, touching nothing
  sudo systemctl enable --now overture
The demo's own configuration is printed above; the mail stack stops now.
TXT
