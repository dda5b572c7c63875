# The test mail stack: a private Dovecot (IMAP, IMAPS, LMTP, SASL) and a private
# Postfix (inbound SMTP, submission with STARTTLS + AUTH, SMTPS) on 127.0.0.1,
# with a CA and server certificate made for this run, all under one temporary
# directory ($MS). Source this file, call mailstack_start, and the stack is
# stopped and removed when the shell exits, however it exits.
#
# Needs root (Postfix and Dovecot drop privileges themselves).

MS=
MS_PASSWORD=secret-$$-$RANDOM

ms_die() { echo "mailstack: $*" >&2; exit 1; }

# A TCP port on 127.0.0.1 that nothing listens on now.
ms_free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		case " $MS_PORTS_TAKEN " in *" $p "*) continue ;; esac
		(echo >/dev/tcp/127.0.0.1/$p) 2>/dev/null && continue
		MS_PORTS_TAKEN="$MS_PORTS_TAKEN $p"
		echo $p
		return
	done
}

ms_wait_port() {
	local i
	for i in $(seq 1 100); do
		(echo >/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0
		sleep 0.05
	done
	ms_die "nothing listens on 127.0.0.1:$1 (see $MS/log)"
}

ms_make_certs() {
	local t=$MS/tls
	mkdir -p $t
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout $t/ca.key -out $t/ca.pem -days 2 -subj "/CN=Overture test CA $$" \
		2>/dev/null || ms_die "openssl could not make the CA"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout $t/server.key -out $t/server.csr -subj /CN=localhost 2>/dev/null
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >$t/ext
	openssl x509 -req -in $t/server.csr -CA $t/ca.pem -CAkey $t/ca.key \
		-CAcreateserial -days 2 -extfile $t/ext -out $t/server.pem 2>/dev/null ||
		ms_die "openssl could not sign the server certificate"
	# A second CA that signed nothing here: trusting it must fail.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout $t/other-ca.key -out $t/other-ca.pem -days 2 \
		-subj "/CN=Some other CA" 2>/dev/null
	chmod 644 $t/*.pem
	chmod 600 $t/*.key
}

# mailstack_adduser ADDRESS [PASSWORD]: a user who can log in to IMAP and submission.
mailstack_adduser() {
	echo "$1:{PLAIN}${2:-$MS_PASSWORD}" >>$MS/etc/passwd
}

ms_write_dovecot_conf() {
	cat >$MS/etc/dovecot.conf <<CONF
base_dir = $MS/run/dovecot
state_dir = $MS/state/dovecot
instance_name = ovt-$(basename $MS)
listen = 127.0.0.1
protocols = imap lmtp
log_path = $MS/log/dovecot.log
info_log_path = $MS/log/dovecot.log
ssl = yes
ssl_cert = <$MS/tls/server.pem
ssl_key = <$MS/tls/server.key
ssl_dh = </usr/share/dovecot/dh.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
auth_username_format = %Lu
auth_failure_delay = 0
mail_max_userip_connections = 100
mail_location = maildir:~/Maildir
mail_plugins = \$mail_plugins
postmaster_address = postmaster@hub.test
hostname = mail.hub.test
submission_host = 127.0.0.1:$MS_SMTP_PORT
sendmail_path = /bin/false
recipient_delimiter =
stats_writer_socket_path =
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu $MS/etc/passwd
}
# Every other address of any domain can log in with the run's password, so a test
# can read the mailbox of whichever sender it made up.
passdb {
  driver = static
  args = password=$MS_PASSWORD
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=$MS/mail/%Ld/%Ln allow_all_users=yes
}
namespace inbox {
  inbox = yes
  separator = /
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $MS_IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $MS_IMAPS_PORT
    ssl = yes
  }
}
service lmtp {
  unix_listener lmtp {
    mode = 0666
  }
}
service auth {
  unix_listener auth-client {
    mode = 0666
  }
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
protocol lmtp {
  mail_plugins = \$mail_plugins sieve
}
plugin {
  sieve = file:~/sieve;active=~/.dovecot.sieve
}
CONF
}

ms_write_postfix_conf() {
	local pf=$MS/etc/postfix
	mkdir -p $pf $MS/postfix/queue $MS/postfix/data
	chown postfix $MS/postfix/data
	cat >$pf/main.cf <<CONF
compatibility_level = 3.6
queue_directory = $MS/postfix/queue
data_directory = $MS/postfix/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.hub.test
mydomain = hub.test
myorigin = hub.test
mydestination =
relay_domains =
local_recipient_maps =
alias_maps =
alias_database =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject
smtpd_reject_unlisted_recipient = no
default_transport = lmtp:unix:$MS/run/dovecot/lmtp
relay_transport = lmtp:unix:$MS/run/dovecot/lmtp
transport_maps = texthash:$pf/transport
# Postfix drops Bcc: headers on delivery; a WARN in the log shows any that arrive.
header_checks = regexp:$pf/header_checks
smtpd_recipient_restrictions = check_recipient_access texthash:$pf/recipient_access
smtpd_sasl_type = dovecot
smtpd_sasl_path = $MS/run/dovecot/auth-client
smtpd_tls_cert_file = $MS/tls/server.pem
smtpd_tls_key_file = $MS/tls/server.key
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
local_header_rewrite_clients =
maillog_file = $MS/log/postfix.log
maillog_file_prefixes = $MS
message_size_limit = 80000000
mailbox_size_limit = 0
biff = no
append_dot_mydomain = no
smtputf8_enable = yes
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
lmtp_destination_concurrency_limit = 4
CONF
	: >$pf/transport
	printf 'bounce.test error:5.1.1 mailbox does not exist\n' >$pf/transport
	: >$pf/recipient_access
	printf '/^Bcc:/ WARN injected Bcc header\n' >$pf/header_checks
	cat >$pf/master.cf <<CONF
$MS_SMTP_PORT inet n - n - - smtpd
$MS_SUBMISSION_PORT inet n - n - - smtpd
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
$MS_SMTPS_PORT inet n - n - - smtpd
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
tlsmgr unix - - n 1000? 1 tlsmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
lmtp unix - - n - - lmtp
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
CONF
	# Postfix waits ~2 s when its config files are younger than that.
	touch -d '-1 minute' $pf/main.cf $pf/master.cf
}

# Stops Dovecot alone (a server outage or restart in a test) and waits until it is gone.
mailstack_stop_dovecot() {
	local pid
	pid=$(cat "$MS/run/dovecot/master.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null
	while ms_running "$pid"; do sleep 0.05; done
}

mailstack_start_dovecot() {
	dovecot -c "$MS/etc/dovecot.conf" </dev/null >>"$MS/log/dovecot.stderr" 2>&1 ||
		ms_die "dovecot did not start again"
	ms_wait_port "$MS_IMAPS_PORT"
}

mailstack_start() {
	[ "$(id -u)" = 0 ] || ms_die "the test mail stack must be started as root"
	MS=$(mktemp -d /tmp/ovt.XXXXXX) || ms_die "mktemp failed"
	chmod 755 $MS
	trap mailstack_stop EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	mkdir -p $MS/etc $MS/run/dovecot $MS/state/dovecot $MS/log $MS/mail $MS/work
	chown 65534:65534 $MS/mail
	MS_PORTS_TAKEN=
	MS_IMAP_PORT=$(ms_free_port)
	MS_IMAPS_PORT=$(ms_free_port)
	MS_SMTP_PORT=$(ms_free_port)
	MS_SUBMISSION_PORT=$(ms_free_port)
	MS_SMTPS_PORT=$(ms_free_port)
	MS_CA=$MS/tls/ca.pem
	MS_OTHER_CA=$MS/tls/other-ca.pem
	ms_make_certs
	: >$MS/etc/passwd
	mailstack_adduser hub@hub.test
	mailstack_adduser partner@partner.test
	ms_write_dovecot_conf
	ms_write_postfix_conf
	dovecot -c $MS/etc/dovecot.conf </dev/null >>$MS/log/dovecot.stderr 2>&1 ||
		ms_die "dovecot did not start: $(tail -5 $MS/log/dovecot.log $MS/log/dovecot.stderr 2>/dev/null)"
	postfix -c $MS/etc/postfix start </dev/null >>$MS/log/postfix.stderr 2>&1 ||
		ms_die "postfix did not start: $(tail -5 $MS/log/postfix.stderr)"
	ms_wait_port $MS_IMAPS_PORT
	ms_wait_port $MS_SMTP_PORT
	ms_wait_port $MS_SUBMISSION_PORT
}

# True while PID runs (a zombie waiting for its parent does not count).
ms_running() {
	local state
	state=$(sed 's/.*) //' /proc/$1/stat 2>/dev/null | cut -c1) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# mailstack_track PID: a process of the test (a daemon under test) that is killed
# when the stack stops, so nothing outlives the test.
MS_TRACKED=
mailstack_track() {
	MS_TRACKED="$MS_TRACKED $1"
}

mailstack_stop() {
	[ -n "$MS" ] && [ -d "$MS" ] || return 0
	local p
	for p in $MS_TRACKED; do kill -KILL "$p" 2>/dev/null; done
	postfix -c $MS/etc/postfix stop </dev/null >>$MS/log/postfix.stderr 2>&1
	local i pid pids
	pids=$(cat $MS/run/dovecot/master.pid $MS/postfix/queue/pid/master.pid 2>/dev/null)
	[ -f $MS/run/dovecot/master.pid ] && kill $(cat $MS/run/dovecot/master.pid) 2>/dev/null
	# Wait for the masters to go before removing their directory.
	for i in $(seq 1 100); do
		local alive=
		for pid in $pids; do ms_running $pid && alive=yes; done
		[ -z "$alive" ] && break
		sleep 0.05
	done
	if [ -n "${OVT_KEEP:-}" ]; then
		echo "mailstack: kept $MS" >&2
	else
		rm -rf "$MS"
	fi
	MS=
}
