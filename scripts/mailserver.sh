#!/usr/bin/env bash
# smtp-sansio interop mail server: a private Postfix + Dovecot on loopback high ports.
#
# Purpose
#   The interop tests (tests/interop_*.rs, the `check` example) talk to a real Postfix so that
#   the client is proven against a server it did not write. This script installs Postfix and
#   Dovecot from the distribution (Debian/Ubuntu, apt-get), writes a self-contained
#   configuration under one state directory, starts both, and stops exactly what it started.
#   It never uses /etc/postfix, /etc/dovecot, systemctl or the system's default services, and
#   it never stops any process but its own Postfix master and its own Dovecot master.
#
# Usage
#   scripts/mailserver.sh start          install if needed, configure, start, wait for every port
#   scripts/mailserver.sh stop [--clean] stop this instance; --clean also removes the state dir
#   scripts/mailserver.sh status         say what runs and which ports answer (exit 0 = all up)
#   scripts/mailserver.sh env            print `export` lines for the tests:
#                                          eval "$(scripts/mailserver.sh env)"
#
#   Run locally:
#     scripts/mailserver.sh start
#     eval "$(scripts/mailserver.sh env)"
#     cargo test --test interop_smoke -- --nocapture
#     scripts/mailserver.sh stop
#
#   start and stop need root (Postfix's master runs as root and drops privileges per service).
#   As a normal user the script re-runs itself with `sudo -n`; with neither root nor
#   passwordless sudo it prints a notice and exits 3, so a caller can skip the interop tests.
#   `status` and `env` need no privileges. `start` is idempotent: run twice, it starts nothing
#   new (a changed configuration is reloaded). Exit codes: 0 ok, 1 failure, 2 usage,
#   3 no root and no sudo.
#
# Listeners (all on 127.0.0.1; each port can be overridden by the variable of the same name
# when running `start`; `env` then prints what the running instance uses)
#   SMTP_SANSIO_PORT_MX=2525           like port 25 / an MX: no AUTH, STARTTLS offered,
#                                      accepts mail for example.test only; other domains get
#                                      554 5.7.1 Relay access denied; unknown local users get
#                                      550 5.1.1 User unknown at RCPT; PIPELINING, CHUNKING,
#                                      SIZE 200000, 8BITMIME, SMTPUTF8 (Postfix defaults).
#   SMTP_SANSIO_PORT_PLAIN=2526        the MX without STARTTLS at all (for "TLS required by the
#                                      client but not offered"); otherwise like the MX port.
#   SMTP_SANSIO_PORT_SUBMISSION=2587   submission: STARTTLS offered, AUTH PLAIN LOGIN (Dovecot
#                                      SASL) offered only after TLS (smtpd_tls_auth_only);
#                                      authenticated users may relay anywhere (relayed mail is
#                                      discarded, nothing leaves the machine); unauthenticated
#                                      clients may send to example.test but not relay (554).
#   SMTP_SANSIO_PORT_SUBMISSIONS=2465  implicit TLS (smtpd_tls_wrappermode), same AUTH rules.
#   SMTP_SANSIO_PORT_LMTP=2424         Dovecot LMTP (RFC 2033): LHLO, one reply per accepted
#                                      recipient after the final dot, delivers to a Maildir.
#
# Test accounts and limits
#   sender@example.test / sansio-test-password   SASL login (PLAIN, LOGIN) and a mailbox
#   user@example.test   / sansio-test-password   the usual recipient; may log in too
#   A wrong password gets "535 5.7.8 Error: authentication failed: (reason unavailable)" about
#   2 s later (Dovecot's auth_failure_delay).
#   message_size_limit = 200000 octets, advertised as SIZE 200000. MAIL FROM with SIZE=200001
#   or more gets "552 5.3.4 Message size exceeds fixed limit"; a longer message sent without
#   SIZE= gets "552 5.3.4 Error: message file too big" after the final dot.
#   TLS: a test CA (ca.pem) signs the server certificate (CN localhost, SAN DNS:localhost,
#        DNS:mx.example.test, DNS:mx2.example.test and IP:127.0.0.1; the MX names are for the
#        domain-check tests). Trust ca.pem ($SMTP_SANSIO_CA) with the client's --ca.
#
# State directory: ${SMTP_SANSIO_MAILSERVER_DIR:-/tmp/smtp-sansio-mailserver}
#   postfix/etc      main.cf, master.cf, vmailbox   (postfix -c / postconf -c this directory)
#   postfix/spool    queue_directory (master pid in postfix/spool/pid/master.pid)
#   postfix/data     data_directory
#   dovecot/         dovecot.conf, users (passwd-file), run/ (base_dir, master.pid, auth socket),
#                    state/ (state_dir)
#   tls/             ca.pem, ca.key, server.pem, server.key
#   mail/example.test/<user>/          Maildirs written by Postfix (SMTP delivery)
#   lmtp-mail/example.test/<user>/Maildir/  Maildirs written by Dovecot (LMTP delivery)
#   log/postfix.log, log/dovecot.log   (no syslog needed: Postfix logs through its postlog service)
#   ports.env        the ports and mailbox owner the instance was started with
#
# Reading delivered mail back
#   A delivered message is one file in the Maildir's new/ directory. Delivery happens just
#   after the server's 250 to the final dot, so poll new/ for a moment (up to a few seconds).
#   Send a unique header (X-Test-Id: <random>) and look for the file that contains it: mtimes
#   have one-second resolution, so "newest file" (`ls -t "$SMTP_SANSIO_MAILDIR/new" | head -n1`)
#   is only safe with one message in flight. From that header on, the file holds the message
#   exactly as sent, with CRLF turned into LF and dot-stuffing undone; before it are the lines
#   the server prepends: Return-Path, X-Original-To, Delivered-To, Received (Postfix, SMTP)
#   or Return-Path, Received (Dovecot, LMTP). Nothing in the message itself is added or
#   rewritten (no Message-ID, Date, To or address rewriting for network clients).
#   The Maildirs belong to the user who ran `start` through sudo ($SUDO_UID), or to nobody when
#   root ran it: run the tests as that user, or as root.

set -euo pipefail

readonly STATE="${SMTP_SANSIO_MAILSERVER_DIR:-/tmp/smtp-sansio-mailserver}"
readonly HOST=127.0.0.1
readonly DOMAIN=example.test
readonly HOSTNAME_FQDN=mx.example.test
readonly TEST_USER=sender@example.test
readonly TEST_RCPT=user@example.test
readonly TEST_PASSWORD=sansio-test-password
readonly SIZE_LIMIT=200000
readonly START_TIMEOUT=30
readonly MARKER="$STATE/.smtp-sansio-mailserver"

readonly PF_CONF="$STATE/postfix/etc"
readonly PF_QUEUE="$STATE/postfix/spool"
readonly PF_DATA="$STATE/postfix/data"
readonly DC_DIR="$STATE/dovecot"
readonly DC_CONF="$DC_DIR/dovecot.conf"
readonly DC_BASE="$DC_DIR/run"
readonly DC_STATE="$DC_DIR/state"
readonly DC_USERS="$DC_DIR/users"
readonly AUTH_SOCKET="$DC_BASE/auth-postfix"
readonly TLS_DIR="$STATE/tls"
readonly MAIL_DIR="$STATE/mail"
readonly LMTP_MAIL_DIR="$STATE/lmtp-mail"
readonly LOG_DIR="$STATE/log"
readonly PORTS_FILE="$STATE/ports.env"

readonly PACKAGES=(postfix dovecot-core dovecot-lmtpd openssl)

log() { printf 'mailserver: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# Ports: a running instance's recorded ports win over the defaults, so `env`, `status` and
# `stop` agree with what `start` opened; `start` itself takes overrides from the environment.
load_ports() {
    PORT_MX=2525 PORT_PLAIN=2526 PORT_SUBMISSION=2587 PORT_SUBMISSIONS=2465 PORT_LMTP=2424
    MB_UID='' MB_GID=''
    if [[ -r $PORTS_FILE ]]; then
        # shellcheck disable=SC1090
        source "$PORTS_FILE"
    fi
}

ports_from_environment() {
    PORT_MX=${SMTP_SANSIO_PORT_MX:-2525}
    PORT_PLAIN=${SMTP_SANSIO_PORT_PLAIN:-2526}
    PORT_SUBMISSION=${SMTP_SANSIO_PORT_SUBMISSION:-2587}
    PORT_SUBMISSIONS=${SMTP_SANSIO_PORT_SUBMISSIONS:-2465}
    PORT_LMTP=${SMTP_SANSIO_PORT_LMTP:-2424}
    local p
    for p in "$PORT_MX" "$PORT_PLAIN" "$PORT_SUBMISSION" "$PORT_SUBMISSIONS" "$PORT_LMTP"; do
        if ! [[ $p =~ ^[0-9]+$ ]] || ((p == 0 || p > 65535)); then
            die "bad port number: $p"
        fi
    done
}

all_ports() { echo "$PORT_MX $PORT_PLAIN $PORT_SUBMISSION $PORT_SUBMISSIONS $PORT_LMTP"; }

# --- privileges ------------------------------------------------------------------------------

# start and stop need root. Re-run under passwordless sudo when we are not root, passing on the
# variables that choose the state dir and the ports; otherwise say so and exit 3.
ensure_root() {
    ((EUID == 0)) && return 0
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        local vars=() v
        for v in SMTP_SANSIO_MAILSERVER_DIR SMTP_SANSIO_PORT_MX SMTP_SANSIO_PORT_PLAIN \
            SMTP_SANSIO_PORT_SUBMISSION SMTP_SANSIO_PORT_SUBMISSIONS SMTP_SANSIO_PORT_LMTP; do
            [[ -n ${!v:-} ]] && vars+=("$v=${!v}")
        done
        exec sudo -n env "${vars[@]}" bash "$0" "$@"
    fi
    cat >&2 <<EOF
mailserver: notice: '$1' needs root (Postfix's master runs as root) and this shell is neither
mailserver: root nor allowed to use passwordless sudo, so nothing was done. Run this script as
mailserver: root or with sudo, or skip the interop tests (exit code 3).
EOF
    exit 3
}

# --- installation ----------------------------------------------------------------------------

have_binaries() {
    [[ -x /usr/sbin/postfix && -x /usr/sbin/postconf && -x /usr/sbin/dovecot ]] &&
        [[ -x /usr/lib/dovecot/lmtp ]] && command -v openssl >/dev/null 2>&1
}

# Install the packages without starting or configuring the system's own instances:
#  - debconf gets "No configuration" for Postfix, so no /etc/postfix/main.cf is written and the
#    package's service has nothing to run;
#  - a policy-rc.d that answers 101 ("action forbidden") is put in place for the duration of the
#    install if the machine has none, so neither package's service is started by the install.
# We never depend on those services and never stop them.
install_packages() {
    have_binaries && return 0
    command -v apt-get >/dev/null 2>&1 ||
        die "postfix/dovecot are not installed and apt-get is missing; install ${PACKAGES[*]} by hand"
    log "installing ${PACKAGES[*]} (apt-get, non-interactive)"
    export DEBIAN_FRONTEND=noninteractive
    if command -v debconf-set-selections >/dev/null 2>&1; then
        printf '%s\n' 'postfix postfix/main_mailer_type select No configuration' |
            debconf-set-selections
    fi
    local policy=/usr/sbin/policy-rc.d made_policy=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\n# temporary, from smtp-sansio scripts/mailserver.sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        made_policy=1
        # shellcheck disable=SC2064
        trap "rm -f '$policy'" EXIT
        # shellcheck disable=SC2064
        trap "rm -f '$policy'; exit 1" INT TERM
    fi
    local apt=(apt-get -y -q -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef
        -o Dpkg::Options::=--force-confold install --no-install-recommends "${PACKAGES[@]}")
    if ! "${apt[@]}" >"/tmp/smtp-sansio-apt.log" 2>&1; then
        log "apt-get install failed; running apt-get update and trying again"
        apt-get -q -o DPkg::Lock::Timeout=300 update >>"/tmp/smtp-sansio-apt.log" 2>&1 || true
        "${apt[@]}" >>"/tmp/smtp-sansio-apt.log" 2>&1 || {
            tail -n 30 /tmp/smtp-sansio-apt.log >&2
            die "apt-get install ${PACKAGES[*]} failed (log: /tmp/smtp-sansio-apt.log)"
        }
    fi
    if ((made_policy)); then
        rm -f "$policy"
        trap - EXIT INT TERM
    fi
    have_binaries || die "packages installed but postfix/dovecot binaries are still missing"
}

# --- configuration ---------------------------------------------------------------------------

CHANGED=0
# write_file PATH MODE: write stdin to PATH if its content differs; remember that it changed.
write_file() {
    local path=$1 mode=$2 tmp
    tmp=$(mktemp "$path.XXXXXX")
    cat >"$tmp"
    chmod "$mode" "$tmp"
    if [[ -f $path ]] && cmp -s "$tmp" "$path"; then
        rm -f "$tmp"
    else
        mv -f "$tmp" "$path"
        CHANGED=1
    fi
}

# Who owns the delivered mail: the user who asked for the server (through sudo) so that the
# tests can read it without root; root itself cannot own virtual mailboxes, so then nobody.
mailbox_owner() {
    local uid=${SUDO_UID:-$EUID} gid=${SUDO_GID:-}
    if ((uid == 0)); then
        uid=$(id -u nobody) gid=$(id -g nobody)
    fi
    [[ -n $gid ]] || gid=$(id -g "$uid")
    MB_UID=$uid MB_GID=$gid
}

make_certificates() {
    mkdir -p "$TLS_DIR"
    chmod 755 "$TLS_DIR"
    if [[ -s $TLS_DIR/ca.pem && -s $TLS_DIR/server.pem && -s $TLS_DIR/server.key ]] &&
        openssl x509 -checkend 86400 -noout -in "$TLS_DIR/server.pem" >/dev/null 2>&1; then
        # A certificate made before the MX names were added (tests/domain_check.rs checks
        # this server as the MX of example.test): issue a new one from the same CA.
        if openssl x509 -noout -ext subjectAltName -in "$TLS_DIR/server.pem" 2>/dev/null |
            grep -q "DNS:$HOSTNAME_FQDN"; then
            return 0
        fi
        if [[ -s $TLS_DIR/ca.key ]]; then
            log "adding the MX names to the server certificate in $TLS_DIR (same CA)"
            write_openssl_cnf
            make_server_certificate
            # A running Postfix reloads, to present the new certificate.
            CHANGED=1
            return 0
        fi
    fi
    log "making the test CA and server certificate in $TLS_DIR"
    # A CA made with `openssl req -x509` signs a leaf for localhost: rustls/webpki refuse a
    # CA:TRUE certificate used as the server's own, so a lone self-signed cert is not enough.
    write_openssl_cnf
    local cnf=$TLS_DIR/openssl.cnf
    openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 3650 -config "$cnf" \
        -extensions ca_ext -subj "/CN=smtp-sansio interop test CA" \
        -keyout "$TLS_DIR/ca.key" -out "$TLS_DIR/ca.pem" 2>/dev/null
    make_server_certificate
}

# The server certificate's names: localhost and 127.0.0.1 (the interop tests), and the MX
# names of example.test (the domain-check tests resolve mx and mx2.example.test to 127.0.0.1
# in their DNS fixtures, and verify the certificate for the MX name, RFC 7672 s3.2.2).
write_openssl_cnf() {
    cat >"$TLS_DIR/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = localhost
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, DNS:mx.example.test, DNS:mx2.example.test, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
}

make_server_certificate() {
    local cnf=$TLS_DIR/openssl.cnf
    openssl req -new -newkey rsa:2048 -nodes -sha256 -config "$cnf" -subj "/CN=localhost" \
        -keyout "$TLS_DIR/server.key" -out "$TLS_DIR/server.csr" 2>/dev/null
    openssl x509 -req -sha256 -days 3650 -in "$TLS_DIR/server.csr" -CA "$TLS_DIR/ca.pem" \
        -CAkey "$TLS_DIR/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
        -extfile "$cnf" -extensions server_ext -out "$TLS_DIR/server.pem" 2>/dev/null
    rm -f "$TLS_DIR/server.csr"
    chmod 600 "$TLS_DIR/ca.key" "$TLS_DIR/server.key"
    chmod 644 "$TLS_DIR/ca.pem" "$TLS_DIR/server.pem"
}

write_postfix_config() {
    mkdir -p "$PF_CONF" "$PF_QUEUE" "$PF_DATA"
    chmod 755 "$PF_CONF" "$PF_QUEUE"
    chown postfix: "$PF_DATA"
    write_file "$PF_CONF/main.cf" 644 <<EOF
# Generated by smtp-sansio scripts/mailserver.sh; rewritten on every start.
compatibility_level = 3.6
queue_directory = $PF_QUEUE
data_directory = $PF_DATA
mail_owner = postfix
setgid_group = postdrop
maillog_file = $LOG_DIR/postfix.log
maillog_file_prefixes = $LOG_DIR

myhostname = $HOSTNAME_FQDN
mydomain = $DOMAIN
myorigin = \$myhostname
mydestination =
inet_interfaces = $HOST
inet_protocols = ipv4
# Never used in a restriction: loopback clients get no relay rights from their address.
mynetworks = $HOST/32
smtpd_banner = \$myhostname ESMTP Postfix (smtp-sansio interop server)
biff = no
append_dot_mydomain = no
alias_maps =
alias_database =
smtpd_peername_lookup = no
smtp_dns_support_level = disabled

# Keep received messages as sent: no header or address rewriting for network clients.
local_header_rewrite_clients =
always_add_missing_headers = no

message_size_limit = $SIZE_LIMIT
virtual_mailbox_limit = 0

# Mail for example.test goes to Maildirs under $MAIL_DIR; nothing else is ever delivered:
# relayed mail (authenticated submission) and bounces to other domains are discarded.
virtual_mailbox_domains = $DOMAIN
virtual_mailbox_base = $MAIL_DIR
virtual_mailbox_maps = texthash:$PF_CONF/vmailbox
virtual_uid_maps = static:$MB_UID
virtual_gid_maps = static:$MB_GID
virtual_minimum_uid = 1
local_transport = error:5.1.1 local delivery is disabled on this test server
default_transport = discard:relayed mail is discarded by the smtp-sansio test server
relay_transport = discard:relayed mail is discarded by the smtp-sansio test server

smtpd_tls_cert_file = $TLS_DIR/server.pem
smtpd_tls_key_file = $TLS_DIR/server.key
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_tls_loglevel = 1
smtpd_tls_received_header = no

smtpd_sasl_auth_enable = no
smtpd_sasl_type = dovecot
smtpd_sasl_path = $AUTH_SOCKET
smtpd_sasl_security_options = noanonymous
smtpd_sasl_tls_security_options = noanonymous
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions =
EOF
    write_file "$PF_CONF/vmailbox" 644 <<EOF
$TEST_RCPT $DOMAIN/${TEST_RCPT%@*}/
$TEST_USER $DOMAIN/${TEST_USER%@*}/
EOF
    local submission_opts="
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject_unauth_destination"
    write_file "$PF_CONF/master.cf" 644 <<EOF
# Generated by smtp-sansio scripts/mailserver.sh; rewritten on every start. No chroot anywhere.
# service       type  private unpriv chroot wakeup maxproc command
$HOST:$PORT_MX      inet  n       -      n      -      -       smtpd
  -o syslog_name=postfix/mx
$HOST:$PORT_PLAIN   inet  n       -      n      -      -       smtpd
  -o syslog_name=postfix/plain
  -o smtpd_tls_security_level=none
$HOST:$PORT_SUBMISSION inet n     -      n      -      -       smtpd
  -o syslog_name=postfix/submission$submission_opts
$HOST:$PORT_SUBMISSIONS inet n    -      n      -      -       smtpd
  -o syslog_name=postfix/submissions
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt$submission_opts
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

write_dovecot_config() {
    mkdir -p "$DC_DIR" "$DC_BASE" "$DC_STATE"
    chmod 755 "$DC_DIR" "$DC_BASE"
    # passwd-file: user:password:uid:gid:gecos:home (Dovecot's "passwd-file" format).
    local u lines=''
    for u in "$TEST_USER" "$TEST_RCPT"; do
        lines+="$u:{PLAIN}$TEST_PASSWORD:$MB_UID:$MB_GID::$LMTP_MAIL_DIR/$DOMAIN/${u%@*}"$'\n'
    done
    printf '%s' "$lines" | write_file "$DC_USERS" 640
    chown root:dovecot "$DC_USERS"
    write_file "$DC_CONF" 644 <<EOF
# Generated by smtp-sansio scripts/mailserver.sh; rewritten on every start.
# Only two jobs: the SASL auth socket for this Postfix, and LMTP on $HOST:$PORT_LMTP.
instance_name = smtp-sansio
base_dir = $DC_BASE
state_dir = $DC_STATE
log_path = $LOG_DIR/dovecot.log
info_log_path = $LOG_DIR/dovecot.log
hostname = $HOSTNAME_FQDN
protocols = lmtp
listen = $HOST
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
first_valid_uid = $MB_UID
last_valid_uid = 0
mail_location = maildir:~/Maildir

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DC_USERS
}
userdb {
  driver = passwd-file
  args = username_format=%u $DC_USERS
}

service auth {
  unix_listener ${AUTH_SOCKET#"$DC_BASE/"} {
    mode = 0660
    user = postfix
    group = postfix
  }
}
service lmtp {
  inet_listener lmtp {
    address = $HOST
    port = $PORT_LMTP
  }
}
EOF
}

configure() {
    mkdir -p "$STATE"
    chmod 755 "$STATE"
    touch "$MARKER"
    mkdir -p "$LOG_DIR" "$MAIL_DIR" "$LMTP_MAIL_DIR"
    mailbox_owner
    # Recursively: a previous start may have been by another user (root's mail is nobody's).
    chown -R "$MB_UID:$MB_GID" "$MAIL_DIR" "$LMTP_MAIL_DIR"
    chmod 755 "$MAIL_DIR" "$LMTP_MAIL_DIR"
    make_certificates
    write_postfix_config
    write_dovecot_config
    write_file "$PORTS_FILE" 644 <<EOF
PORT_MX=$PORT_MX
PORT_PLAIN=$PORT_PLAIN
PORT_SUBMISSION=$PORT_SUBMISSION
PORT_SUBMISSIONS=$PORT_SUBMISSIONS
PORT_LMTP=$PORT_LMTP
MB_UID=$MB_UID
MB_GID=$MB_GID
EOF
}

# --- processes -------------------------------------------------------------------------------

pid_alive() { [[ -n ${1:-} && -d /proc/$1 ]]; }

# Our Postfix is the master whose pid is in our queue directory and which runs in it (the
# master chdirs to its queue_directory): a reused pid or the system's Postfix never matches.
postfix_pid() {
    local f=$PF_QUEUE/pid/master.pid pid cwd
    [[ -r $f ]] || return 1
    pid=$(tr -dc 0-9 <"$f")
    pid_alive "$pid" && grep -qa master "/proc/$pid/cmdline" 2>/dev/null || return 1
    cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || cwd=$PF_QUEUE # unreadable unless root
    [[ $cwd == "$PF_QUEUE" ]] || return 1
    echo "$pid"
}

# Our Dovecot is the master whose pid is in our base_dir and whose command line names our
# config file: a reused pid or another Dovecot never matches.
dovecot_pid() {
    local f=$DC_BASE/master.pid pid
    [[ -r $f ]] || return 1
    pid=$(tr -dc 0-9 <"$f")
    pid_alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$DC_CONF" ||
        return 1
    echo "$pid"
}

# probe_plain PORT / probe_tls PORT: true when the port greets with 220 (then QUIT).
# The inner script's $0 and $1 are the host and port, hence the single quotes.
probe_plain() {
    local port=$1
    # shellcheck disable=SC2016
    timeout 5 bash -c '
        exec 3<>"/dev/tcp/$0/$1" || exit 1
        IFS= read -r -t 4 line <&3 || exit 1
        printf "QUIT\r\n" >&3
        [[ $line == 220[\ -]* ]]' "$HOST" "$port" 2>/dev/null
}

probe_tls() {
    local port=$1
    local out
    # Read it all first: `| grep -q` could close the pipe early and fail the probe on SIGPIPE.
    out=$(printf 'QUIT\r\n' | timeout 5 openssl s_client -connect "$HOST:$port" \
        -servername localhost -CAfile "$TLS_DIR/ca.pem" -verify_return_error -quiet 2>/dev/null) ||
        true
    grep -q '^220[ -]' <<<"$out"
}

# Prints the ports that do not greet with 220, nothing when all do.
probe_all() {
    local failed=()
    probe_plain "$PORT_MX" || failed+=("mx:$PORT_MX")
    probe_plain "$PORT_PLAIN" || failed+=("plain:$PORT_PLAIN")
    probe_plain "$PORT_SUBMISSION" || failed+=("submission:$PORT_SUBMISSION")
    probe_tls "$PORT_SUBMISSIONS" || failed+=("submissions:$PORT_SUBMISSIONS")
    probe_plain "$PORT_LMTP" || failed+=("lmtp:$PORT_LMTP")
    ((${#failed[@]} == 0)) || echo "${failed[*]}"
}

port_listening() {
    # shellcheck disable=SC2016
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$HOST" "$1" 2>/dev/null
}

# The lines that explain a failed start: only what was logged since this start began, each
# line once (timestamps and pids dropped: the probes repeat them), warnings and errors first.
LOG_OFFSETS=()
mark_logs() {
    local f
    LOG_OFFSETS=()
    for f in "$LOG_DIR/postfix.log" "$LOG_DIR/dovecot.log"; do
        LOG_OFFSETS+=("$(stat -c %s "$f" 2>/dev/null || echo 0)")
    done
}

show_logs() {
    local f i=0 since
    for f in "$LOG_DIR/postfix.log" "$LOG_DIR/dovecot.log"; do
        since=${LOG_OFFSETS[i]:-0}
        i=$((i + 1))
        [[ -s $f ]] || continue
        log "warnings and errors in $f during this start:"
        tail -c "+$((since + 1))" "$f" | grep -aiE 'warning|error|fatal|panic|fail' |
            sed -E 's/^[A-Z][a-z]{2} +[0-9]+ [0-9:]+ //; s/\[[0-9]+\]//' | awk '!seen[$0]++' |
            head -n 15 >&2 || true
        log "last lines of $f:"
        tail -c "+$((since + 1))" "$f" | grep -avE '(C|c)onnect from|(D|d)isconnect from' |
            sed -E 's/^[A-Z][a-z]{2} +[0-9]+ [0-9:]+ //; s/\[[0-9]+\]//' | awk '!seen[$0]++' |
            tail -n 8 >&2 || true
    done
}

# Each start_* returns non-zero (after saying why) instead of exiting, so that cmd_start can
# stop what it already started.
start_dovecot() {
    doveconf -c "$DC_CONF" -n >/dev/null || {
        log "dovecot rejects $DC_CONF (see above)"
        return 1
    }
    # The daemons must not inherit our stdout/stderr: Dovecot's log process keeps them open,
    # and a caller reading our output through a pipe (`start | tee`) would then never see EOF.
    dovecot -c "$DC_CONF" </dev/null >>"$LOG_DIR/dovecot.log" 2>&1 || {
        log "dovecot -c $DC_CONF failed to start"
        return 1
    }
}

start_postfix() {
    postfix -c "$PF_CONF" check || {
        log "postfix check failed for $PF_CONF (see above)"
        return 1
    }
    postfix -c "$PF_CONF" start </dev/null >>"$LOG_DIR/postfix.log" 2>&1 || {
        log "postfix -c $PF_CONF start failed"
        return 1
    }
}

wait_for_ports() {
    local deadline=$((SECONDS + START_TIMEOUT)) down
    while :; do
        down=$(probe_all)
        [[ -z $down ]] && return 0
        if ((SECONDS >= deadline)); then
            log "not answering 220 after ${START_TIMEOUT}s: $down"
            return 1
        fi
        sleep 0.3
    done
}

cmd_start() {
    ensure_root start
    ports_from_environment
    install_packages
    if ! postfix_pid >/dev/null || ! dovecot_pid >/dev/null; then
        # Refuse to start over ports that something else holds: the tests would talk to it.
        local p
        for p in $(all_ports); do
            if port_listening "$p"; then
                postfix_pid >/dev/null && [[ $p != "$PORT_LMTP" ]] && continue
                dovecot_pid >/dev/null && [[ $p == "$PORT_LMTP" ]] && continue
                die "port $HOST:$p is already in use by another process (ss -ltnp 'sport = :$p')"
            fi
        done
    fi
    configure
    mark_logs
    local started=() ok=1
    if dovecot_pid >/dev/null; then
        ((CHANGED)) && kill -HUP "$(dovecot_pid)"
    elif start_dovecot; then
        started+=(dovecot)
    else
        ok=0
    fi
    if ((ok)) && postfix_pid >/dev/null; then
        ((CHANGED)) && postfix -c "$PF_CONF" reload </dev/null >>"$LOG_DIR/postfix.log" 2>&1
    elif ((ok)) && start_postfix; then
        started+=(postfix)
    else
        ok=0
    fi
    ((ok)) && wait_for_ports || ok=0
    if ((!ok)); then
        show_logs
        ((${#started[@]} == 0)) || stop_masters "${started[@]}"
        die "the interop mail server did not start (state and logs: $STATE)"
    fi
    if ((${#started[@]})); then
        log "started ${started[*]}; all ports answer 220 (state: $STATE)"
    else
        log "already running; all ports answer 220 (state: $STATE)"
    fi
}

wait_gone() {
    local pid=$1 deadline=$((SECONDS + $2))
    while pid_alive "$pid"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

# stop_masters NAME...: stop our Postfix and/or Dovecot master, if running, and wait for them.
# Both are signalled first, then waited for: each takes a second or three to exit.
stop_masters() {
    local name pid pids=()
    for name in "$@"; do
        pid=$("${name}_pid") || continue
        case $name in
        postfix) postfix -c "$PF_CONF" stop </dev/null >>"$LOG_DIR/postfix.log" 2>&1 || true ;;
        dovecot) kill -TERM "$pid" ;;
        esac
        pids+=("$name:$pid")
    done
    for name in "${pids[@]}"; do
        pid=${name#*:} name=${name%%:*}
        if ! wait_gone "$pid" 15; then
            log "$name master $pid did not exit; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        log "stopped $name (master pid $pid)"
    done
}

cmd_stop() {
    local clean=0
    case ${1:-} in
    --clean) clean=1 ;;
    '') ;;
    *) usage ;;
    esac
    ensure_root stop "$@"
    load_ports
    stop_masters postfix dovecot
    local deadline=$((SECONDS + 15)) p open
    while :; do
        open=()
        for p in $(all_ports); do port_listening "$p" && open+=("$p"); done
        ((${#open[@]} == 0)) && break
        if ((SECONDS >= deadline)); then
            log "warning: still listening after stop: ${open[*]} (not ours to kill)"
            break
        fi
        sleep 0.2
    done
    if ((clean)); then
        # Only a directory this script made (it holds our marker) is ever removed.
        if [[ -f $MARKER && $STATE != / ]]; then
            rm -rf -- "$STATE"
            log "removed $STATE"
        elif [[ -e $STATE ]]; then
            log "not removing $STATE: it has no $MARKER"
        fi
    fi
}

# One line per master, one for the ports; exit 0 only when every port answers 220. Without
# root the pid files may be unreadable, so then the ports alone decide.
cmd_status() {
    load_ports
    local rc=0 pid name file
    for name in postfix dovecot; do
        [[ $name == postfix ]] && file=$PF_QUEUE/pid/master.pid || file=$DC_BASE/master.pid
        if pid=$("${name}_pid"); then
            echo "$name: running (master pid $pid)"
        elif [[ -e $file && ! -r $file ]]; then
            echo "$name: unknown ($file is not readable by this user)"
        else
            echo "$name: not running"
            rc=1
        fi
    done
    local down
    down=$(probe_all)
    if [[ -z $down ]]; then echo "ports: all answer 220 ($(all_ports))"; else
        echo "ports not answering 220: $down"
        rc=1
    fi
    return $rc
}

cmd_env() {
    load_ports
    [[ -n $MB_UID ]] || log "note: $STATE has not been started yet; printing the defaults"
    cat <<EOF
export SMTP_SANSIO_MAILSERVER='$STATE'
export SMTP_SANSIO_MAILSERVER_DIR='$STATE'
export SMTP_SANSIO_HOST='$HOST'
export SMTP_SANSIO_PORT_MX='$PORT_MX'                   # MX-like: no AUTH, STARTTLS, example.test only
export SMTP_SANSIO_PORT_PLAIN='$PORT_PLAIN'                # like MX but no STARTTLS
export SMTP_SANSIO_PORT_SUBMISSION='$PORT_SUBMISSION'           # STARTTLS, then AUTH PLAIN LOGIN; auth may relay
export SMTP_SANSIO_PORT_SUBMISSIONS='$PORT_SUBMISSIONS'          # implicit TLS, then AUTH PLAIN LOGIN
export SMTP_SANSIO_PORT_LMTP='$PORT_LMTP'                 # Dovecot LMTP (RFC 2033)
export SMTP_SANSIO_TLS_NAME='localhost'
export SMTP_SANSIO_CA='$TLS_DIR/ca.pem'
export SMTP_SANSIO_CERT='$TLS_DIR/server.pem'
export SMTP_SANSIO_DOMAIN='$DOMAIN'
export SMTP_SANSIO_USER='$TEST_USER'
export SMTP_SANSIO_PASSWORD='$TEST_PASSWORD'
export SMTP_SANSIO_RCPT='$TEST_RCPT'
export SMTP_SANSIO_SIZE_LIMIT='$SIZE_LIMIT'
export SMTP_SANSIO_MAILDIR='$MAIL_DIR/$DOMAIN/${TEST_RCPT%@*}'
export SMTP_SANSIO_SENDER_MAILDIR='$MAIL_DIR/$DOMAIN/${TEST_USER%@*}'
export SMTP_SANSIO_LMTP_MAILDIR='$LMTP_MAIL_DIR/$DOMAIN/${TEST_RCPT%@*}/Maildir'
export SMTP_SANSIO_LOG_DIR='$LOG_DIR'
EOF
}

usage() {
    sed -n '2,/^$/p' "$0" | sed -n '/^# Usage/,/^# Listeners/p' | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}

case ${1:-} in
start) cmd_start ;;
stop)
    shift
    cmd_stop "$@"
    ;;
status) cmd_status ;;
env) cmd_env ;;
*) usage ;;
esac
