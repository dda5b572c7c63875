#!/bin/bash
# kill -9 soak: a few hundred enquiries arrive while the daemon is killed with SIGKILL
# at random moments and restarted. At the end nothing may be lost or filed twice, no
# enquiry may have more than one acknowledgement Message-ID, and the database must be
# sound. Resent copies of the same Message-ID (the documented window) are counted.
# SOAK_ENQUIRIES sets the number of enquiries (default 300).
set -u
. "$(dirname "$0")/lib/mailstack.sh"
. "$(dirname "$0")/lib/testlib.sh"
mailstack_start
dir=$(t_dir)
cfg=$(write_config "$dir" "imap.poll_interval = 1")
STORE=$dir/data/overture.db
N=${SOAK_ENQUIRIES:-300}
# The release build: the soak is about timing, and the sanitizers slow it down.
BIN=$TOP/overture

deliver_all() {
	local i
	for i in $(seq 1 "$N"); do
		mail_text "Soak Sender $i <s$i@soak.test>" hub@hub.test "Soak enquiry $i" \
			"Enquiry $i: we would like to become a hub partner." |
			curl -sS --crlf "smtp://127.0.0.1:$MS_SMTP_PORT" --mail-from "s$i@soak.test" \
				--mail-rcpt hub@hub.test --upload-file - || echo "delivery $i failed" >&2
	done
}

deliver_all 2>"$dir/deliver.log" &
deliverer=$!
mailstack_track $deliverer

kills=0
start=$SECONDS
while kill -0 "$deliverer" 2>/dev/null || [ $((SECONDS - start)) -lt 20 ]; do
	"$BIN" run -c "$cfg" 2>>"$dir/daemon.log" &
	daemon=$!
	mailstack_track $daemon
	sleep "0.$((RANDOM % 9 + 2))"
	kill -KILL "$daemon" 2>/dev/null && kills=$((kills + 1))
	wait "$daemon" 2>/dev/null
done
wait "$deliverer"
wait_queue_empty

# Let one daemon finish the work.
started=$(grep -c "overture started" "$dir/daemon.log")
"$BIN" run -c "$cfg" 2>>"$dir/daemon.log" &
daemon=$!
mailstack_track $daemon
# A SIGTERM before it has set up its signal handling would kill it outright.
for i in $(seq 1 100); do
	[ "$(grep -c "overture started" "$dir/daemon.log")" -gt "$started" ] && break
	sleep 0.1
done
for i in $(seq 1 600); do
	filed=$(sqlite3 "$STORE" "SELECT count(*) FROM leads" 2>/dev/null)
	unsent=$(sqlite3 "$STORE" "SELECT count(*) FROM outbox WHERE status != 'sent'" 2>/dev/null)
	[ "$filed" = "$N" ] && [ "$unsent" = 0 ] && break
	sleep 0.2
done
kill -TERM "$daemon"
wait "$daemon"
is "$?" 0 "the last daemon stops cleanly"
wait_queue_empty

# Count what every sender received, over IMAP, eight mailboxes at a time.
cat >"$dir/acks.sh" <<SCRIPT
#!/bin/bash
u=\$1
for uid in \$(curl -sS --cacert "$MS_CA" "imaps://127.0.0.1:$MS_IMAPS_PORT/INBOX" -u "\$u:$MS_PASSWORD" -X 'UID SEARCH ALL' | tr -d '\r' | sed -n 's/^\* SEARCH *//p'); do
	id=\$(curl -sS --cacert "$MS_CA" "imaps://127.0.0.1:$MS_IMAPS_PORT/INBOX;UID=\$uid;SECTION=HEADER.FIELDS%20(MESSAGE-ID)" -u "\$u:$MS_PASSWORD" | tr -d '\r' | sed -n 's/^Message-I[Dd]: *//p')
	echo "\$u \$id"
done
SCRIPT
chmod +x "$dir/acks.sh"
seq 1 "$N" | sed 's/.*/s&@soak.test/' | xargs -P 8 -n 1 "$dir/acks.sh" >"$dir/acks.txt"

leads=$(sqlite3 "$STORE" "SELECT count(*) FROM leads")
applicants=$(sqlite3 "$STORE" "SELECT count(DISTINCT applicant_email) FROM leads")
lost=$((N - applicants))
duplicate_leads=$((leads - applicants))
copies=$(wc -l <"$dir/acks.txt")
distinct=$(sort -u "$dir/acks.txt" | wc -l)
multi=$(sort -u "$dir/acks.txt" | cut -d' ' -f1 | uniq -d | wc -l)
unacked=$((N - $(cut -d' ' -f1 "$dir/acks.txt" | sort -u | wc -l)))
resent=$((copies - distinct))
integrity=$(sqlite3 "$STORE" 'PRAGMA integrity_check')

echo "# soak: $N enquiries, $kills kills with SIGKILL"
echo "# soak: enquiries lost $lost, duplicate leads $duplicate_leads, enquiries without an ack $unacked,"
echo "# soak: enquiries with more than one ack Message-ID $multi, resent copies $resent, integrity $integrity"
check "the daemon was killed at least 10 times" test "$kills" -ge 10
is "$lost" 0 "no enquiry is lost"
is "$duplicate_leads" 0 "no enquiry is filed twice"
is "$unacked" 0 "every enquiry is acknowledged"
is "$multi" 0 "no enquiry has more than one acknowledgement Message-ID"
check "resent copies ($resent) stay within the kills ($kills)" test "$resent" -le "$kills"
is "$integrity" ok "PRAGMA integrity_check is ok"
is "$(sqlite3 "$STORE" 'SELECT count(*) FROM messages WHERE NOT marked')" 0 "every filed message is marked on the server"
is "$(imap hub@hub.test INBOX -X 'UID SEARCH UNSEEN' | tr -d '\r' | sed -n 's/^\* SEARCH *//p')" "" "no message is left unread in the hub mailbox"

done_testing
