#!/bin/sh
# Install the Debian 12 packages Overture needs to build (and, with --test, to run
# its test mail stack). Does nothing when everything is already installed.
# Never removes other software (apt-get --no-remove) and never starts the
# system's own Dovecot or Postfix: the tests run private instances on 127.0.0.1.
set -eu

build_pkgs="gcc make pkg-config libc6-dev libglib2.0-dev libcurl4-openssl-dev
  libgmime-3.0-dev libsqlite3-dev uuid-dev libxml2-dev"
mail_pkgs="dovecot-core dovecot-imapd dovecot-lmtpd dovecot-sieve postfix
  openssl ca-certificates curl sqlite3 procps jq python3"
fuzz_pkgs="clang libclang-rt-14-dev"

want=$build_pkgs
for arg in "$@"; do
	case $arg in
	--test) want="$want $mail_pkgs" ;;
	--fuzz) want="$want $fuzz_pkgs" ;;
	*) echo "usage: $0 [--test] [--fuzz]" >&2; exit 64 ;;
	esac
done

missing=
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "Overture needs these Debian packages:$missing" >&2
	echo "Install them as root:  apt-get install$missing" >&2
	exit 1
fi

echo "Installing Debian packages:$missing"
# Postfix asks how to configure itself; the tests bring their own configuration.
echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections

# A policy-rc.d that answers 101 stops the packages' services from starting
# during the install (Dovecot would otherwise listen on 143/993 on every interface).
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e $policy ]; then
	printf '#!/bin/sh\nexit 101\n' >$policy
	chmod 755 $policy
	made_policy=yes
fi
cleanup() { [ -n "$made_policy" ] && rm -f $policy; }
trap cleanup EXIT

had_dovecot=; had_postfix=
dpkg-query -W -f='${Status}' dovecot-core 2>/dev/null | grep -q 'ok installed' && had_dovecot=yes
dpkg-query -W -f='${Status}' postfix 2>/dev/null | grep -q 'ok installed' && had_postfix=yes

export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet.
if ! apt-get install -y --no-install-recommends --no-remove $missing; then
	apt-get update
	apt-get install -y --no-install-recommends --no-remove $missing
fi

# Installed only for the tests: keep the system's own servers from starting at boot.
if command -v systemctl >/dev/null 2>&1; then
	[ -z "$had_dovecot" ] && systemctl disable dovecot.service >/dev/null 2>&1 || true
	[ -z "$had_postfix" ] && systemctl disable postfix.service >/dev/null 2>&1 || true
fi
exit 0
