#!/bin/bash
# TLS and secrets: IMAPS and STARTTLS with the run's CA work; a CA that did not sign the
# server's certificate is refused in words an administrator understands; SMTPS works;
# a refused login and an unreachable server get their exit codes; the password is in
# no log line, whatever happens.
set -u
. "$(dirname "$0")/lib/mailstack.sh"
. "$(dirname "$0")/lib/testlib.sh"
mailstack_start
dir=$(t_dir)
logs=$dir/logs
mkdir -p "$logs"

enquiry() { # enquiry N: a fresh enquiry from its own address
	mail_text "Sender $1 <sender$1@tls.test>" hub@hub.test "Enquiry $1" "Enquiry number $1." >"$dir/e$1.eml"
	deliver "sender$1@tls.test" hub@hub.test "$dir/e$1.eml"
	wait_queue_empty
}

# IMAPS with the run's CA.
cfg=$(write_config "$dir/imaps")
enquiry 1
overture run -c "$cfg" --once -v 2>"$logs/imaps.log"
is "$?" 0 "imaps:// with ca_file = the run's CA files mail"
wait_queue_empty
is "$(imap_count sender1@tls.test)" 1 "and its ack went out over STARTTLS submission"

# STARTTLS on the plain IMAP port, and SMTPS (implicit TLS) for sending.
cfg=$(write_config "$dir/starttls" "imap.url = imap://127.0.0.1:$MS_IMAP_PORT/INBOX
smtp.url = smtps://127.0.0.1:$MS_SMTPS_PORT
store.path = $dir/starttls/data/o.db")
enquiry 2
overture run -c "$cfg" --once -v 2>"$logs/starttls.log"
is "$?" 0 "imap:// (STARTTLS required) files mail"
wait_queue_empty
is "$(imap_count sender2@tls.test)" 1 "and smtps:// sends its ack"

# A CA that did not sign the server's certificate.
cfg=$(write_config "$dir/wrongca" "imap.ca_file = $MS_OTHER_CA")
out=$(overture run -c "$cfg" --once 2>&1)
is "$?" 77 "a certificate we cannot verify exits 77"
like "$out" "certificate we do not trust" "the error says the certificate is not trusted"
like "$out" "ca_file" "the error says where to name the right CA"
echo "$out" >"$logs/wrongca.log"

# The system's CAs do not know the run's CA either.
cfg=$(write_config "$dir/noca" "imap.ca_file =")
sed -i '/^ca_file = *$/d' "$cfg"
out=$(overture run -c "$cfg" --once 2>&1)
is "$?" 77 "without ca_file the self-made CA is not trusted"
echo "$out" >"$logs/noca.log"

# SMTP with the wrong CA: the mail stays queued, the run still exits 0.
enquiry 3
cfg=$(write_config "$dir/smtpca" "smtp.ca_file = $MS_OTHER_CA")
overture run -c "$cfg" --once 2>"$logs/smtpca.log"
is "$?" 0 "an SMTP certificate problem does not fail the intake"
like "$(cat "$logs/smtpca.log")" "ca_file" "the SMTP certificate problem is reported with what to check"
is "$(sqlite3 "$dir/smtpca/data/overture.db" "SELECT count(*), count(*) FILTER (WHERE status = 'queued') FROM outbox")" "3|3" "the acks stay queued"

# A refused login.
cfg=$(write_config "$dir/badpw")
printf 'not-the-password\n' >"$dir/badpw/password"
out=$(overture run -c "$cfg" --once -v 2>&1)
is "$?" 77 "a refused login exits 77"
like "$out" "refused the login of hub@hub.test" "the error names the user whose login was refused"
like "$out" "password_file" "the error says what to check"
unlike "$out" "not-the-password" "the wrong password is not printed"
echo "$out" >"$logs/badpw.log"

# The daemon with a refused login stays up, says what to fix, and waits slowly.
"$OVERTURE" run -c "$cfg" 2>"$logs/badpw-daemon.log" &
daemon=$!
mailstack_track $daemon
sleep 2
check "the daemon stays up while its login is refused" kill -0 "$daemon"
like "$(cat "$logs/badpw-daemon.log")" "error: .*refused the login.*retrying every 10 minutes until this is fixed" "it says so once, as an error, and when it retries"
kill -TERM "$daemon"
wait "$daemon"
is "$?" 0 "SIGTERM during the long wait stops it at once, cleanly"

# An unreachable server.
cfg=$(write_config "$dir/down" "imap.url = imaps://127.0.0.1:1/INBOX")
out=$(overture run -c "$cfg" --once 2>&1)
is "$?" 75 "an unreachable IMAP server exits 75"
like "$out" "cannot reach the IMAP server" "the error says the server cannot be reached"
echo "$out" >"$logs/down.log"

# overture check says what works and what does not.
out=$(overture check -c "$dir/imaps/overture.conf" 2>&1)
is "$?" 0 "check passes on a good configuration"
like "$out" "ok +imap" "check reaches IMAP"
like "$out" "ok +smtp" "check logs in to SMTP"
echo "$out" >"$logs/check.log"
out=$(overture check -c "$dir/wrongca/overture.conf" 2>&1)
isnt_zero=$?
check "check fails on a wrong CA" test "$isnt_zero" -ne 0
like "$out" "FAILED +imap" "check shows which part failed"
echo "$out" >"$logs/check-bad.log"

# The password is in no log line, in any of the runs above.
check "the password appears in no log" sh -c "! grep -r -F -- '$MS_PASSWORD' '$logs'"
check "the logs are not empty (the check above means something)" test "$(cat "$logs"/* | wc -l)" -gt 10

done_testing
