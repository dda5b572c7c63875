# Shared helpers for the integration tests: TAP-style assertions, the overture binary
# under test, a config pointing at the test mail stack, and ways to deliver mail and
# read mailboxes as a real partner or coordinator would (SMTP in, IMAP out).
# Source after mailstack.sh; call done_testing at the end.

TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOP=$(cd "$TESTS_DIR/.." && pwd)
OVERTURE=${OVERTURE:-$TOP/build/check/overture}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=86:fast_unwind_on_malloc=0}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$TESTS_DIR/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=87}

T_COUNT=0
T_FAILED=0

pass() {
	T_COUNT=$((T_COUNT + 1))
	echo "ok $T_COUNT - $1"
}

fail() {
	T_COUNT=$((T_COUNT + 1))
	T_FAILED=$((T_FAILED + 1))
	echo "not ok $T_COUNT - $1"
	shift
	local line
	for line in "$@"; do printf '#   %s\n' "$line"; done
}

# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then pass "$desc"; else fail "$desc" "command failed: $*"; fi
}

# is ACTUAL EXPECTED DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then pass "$3"; else fail "$3" "got:      '$1'" "expected: '$2'"; fi
}

# like TEXT EXTENDED-REGEX DESCRIPTION
like() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		pass "$3"
	else
		fail "$3" "no match for /$2/ in:" "$(printf '%s' "$1" | head -20)"
	fi
}

# unlike TEXT EXTENDED-REGEX DESCRIPTION
unlike() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		fail "$3" "unexpected match for /$2/ in:" "$(printf '%s' "$1" | grep -E -- "$2" | head -5)"
	else
		pass "$3"
	fi
}

done_testing() {
	echo "1..$T_COUNT"
	[ "$T_FAILED" -eq 0 ]
}

# The test's own scratch directory (inside the mail stack's, so it goes with it).
t_dir() {
	mkdir -p "$MS/work"
	echo "$MS/work"
}

# write_config DIR [EXTRA-INI-LINES]: overture.conf for the test stack in DIR; extra
# lines of the form "section.key = value" override or add keys.
write_config() {
	local dir=$1 extra=${2:-}
	mkdir -p "$dir"
	printf '%s\n' "$MS_PASSWORD" >"$dir/password"
	chmod 600 "$dir/password"
	ini_apply "$dir/overture.conf" "$extra" <<CONF
[hub]
name = Riverside Music Hub
address = hub@hub.test
reference_prefix = EOI
postcode_areas = DE, S
[imap]
url = imaps://127.0.0.1:$MS_IMAPS_PORT/INBOX
user = hub@hub.test
password_file = $dir/password
ca_file = $MS_CA
poll_interval = 1
after_filing = seen
backfill_days = 14
[smtp]
url = smtp://127.0.0.1:$MS_SUBMISSION_PORT
user = hub@hub.test
password_file = $dir/password
ca_file = $MS_CA
from = Riverside Music Hub <hub@hub.test>
retry_interval = 1s
[store]
path = $dir/data/overture.db
spool = $dir/data/spool
[ack]
templates = $TOP/templates
CONF
	echo "$dir/overture.conf"
}

# Writes stdin (an INI file) to FILE with the "section.key = value" lines of EXTRA
# applied: a key that exists is replaced, a new one is added to its section.
ini_apply() {
	local file=$1 extra=$2
	awk -v extra="$extra" '
	BEGIN {
		n = split(extra, lines, "\n")
		for (i = 1; i <= n; i++) {
			if (lines[i] !~ /=/) continue
			split(lines[i], kv, "=")
			key = kv[1]; gsub(/[ \t]/, "", key)
			val = substr(lines[i], index(lines[i], "=") + 1); sub(/^[ \t]+/, "", val)
			dot = index(key, ".")
			sec = substr(key, 1, dot - 1); k = substr(key, dot + 1)
			want[sec, k] = val; order[++m] = sec SUBSEP k
		}
	}
	function flush(s,   j, parts) {
		for (j = 1; j <= m; j++) {
			split(order[j], parts, SUBSEP)
			if (parts[1] == s && !done[order[j]]) { print parts[2] " = " want[order[j]]; done[order[j]] = 1 }
		}
	}
	/^\[/ { if (section != "") flush(section); section = substr($0, 2, length($0) - 2); seen[section] = 1; print; next }
	/=/ {
		key = $0; sub(/[ \t]*=.*/, "", key)
		if ((section, key) in want) { print key " = " want[section, key]; done[section SUBSEP key] = 1; next }
	}
	{ print }
	END {
		flush(section)
		for (j = 1; j <= m; j++) if (!done[order[j]]) {
			split(order[j], parts, SUBSEP)
			if (!(parts[1] in seen)) { print "[" parts[1] "]"; seen[parts[1]] = 1 }
			print parts[2] " = " want[order[j]]
		}
	}' >"$file"
}

# overture ARGS...: the binary under test. (In the background use "$OVERTURE" itself, so
# that $! is its pid and not a subshell's.)
overture() {
	"$OVERTURE" "$@"
}

# deliver FROM TO FILE: sends FILE through the stack's Postfix, as mail from outside.
deliver() {
	sed 's/\r$//' "$3" | curl -sS --crlf "smtp://127.0.0.1:$MS_SMTP_PORT" \
		--mail-from "$1" --mail-rcpt "$2" --upload-file - ||
		{ echo "deliver: could not send $3" >&2; return 1; }
}

# Waits until Postfix's queue is empty (everything delivered or bounced).
wait_queue_empty() {
	local i
	for i in $(seq 1 200); do
		[ -z "$(postqueue -c "$MS/etc/postfix" -j 2>/dev/null)" ] && return 0
		sleep 0.05
	done
	echo "wait_queue_empty: Postfix still has mail queued" >&2
	return 1
}

# imap USER URL-PATH [CURL-ARGS...]: one IMAP request as USER over IMAPS.
imap() {
	local user=$1 path=$2
	shift 2
	curl -sS --cacert "$MS_CA" "imaps://127.0.0.1:$MS_IMAPS_PORT/$path" \
		-u "$user:$MS_PASSWORD" "$@"
}

# imap_uids USER [MAILBOX]: the UIDs in USER's mailbox, space-separated.
imap_uids() {
	imap "$1" "${2:-INBOX}" -X 'UID SEARCH ALL' | tr -d '\r' | sed -n 's/^\* SEARCH *//p'
}

imap_count() {
	local uids
	uids=$(imap_uids "$@")
	set -- $uids
	echo $#
}

# imap_message USER UID [MAILBOX]: the raw message.
imap_message() {
	imap "$1" "${3:-INBOX};UID=$2"
}

# wait_count USER N [MAILBOX]: waits until USER's mailbox holds N messages.
wait_count() {
	local i
	for i in $(seq 1 100); do
		[ "$(imap_count "$1" "${3:-}")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# mail_text FROM TO SUBJECT BODY [EXTRA-HEADER-LINES]: a plain UTF-8 message on stdout.
mail_text() {
	printf 'From: %s\nTo: %s\nSubject: %s\nDate: %s\nMessage-ID: <%s.%s.%s@sender.test>\n' \
		"$1" "$2" "$3" "$(date -R)" "$(date +%s%N)" "$$" "$RANDOM"
	printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n'
	printf 'Content-Transfer-Encoding: 8bit\n'
	[ -n "${5:-}" ] && printf '%s\n' "$5"
	printf '\n%s\n' "$4"
}

# header NAME: the unfolded value of the first NAME header of the message on stdin.
header() {
	tr -d '\r' | awk -v want="$(echo "$1" | tr 'A-Z' 'a-z')" '
		/^$/ { exit }
		/^[ \t]/ { if (on) { sub(/^[ \t]+/, " "); value = value $0 }; next }
		{ if (on) { print value; found = 1; exit }
		  name = tolower($0); sub(/:.*/, "", name)
		  if (name == want) { on = 1; value = $0; sub(/^[^:]*:[ \t]*/, "", value) } }
		END { if (on && !found) print value }'
}

# sql QUERY: runs QUERY on the test store (read-only) and prints the result.
sql() {
	sqlite3 -readonly "$STORE" "$1"
}

# mailtool COMMAND [ARG]: reads the message on stdin with Python's email package
# (Debian's /usr/bin/python3): header NAME, text, html, parts.
mailtool() {
	/usr/bin/python3 "$TESTS_DIR/lib/mailtool.py" "$@"
}
