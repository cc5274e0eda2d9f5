#!/usr/bin/env bash
# make-fixtures.sh: makes the log fixtures in tests/fixtures/logs/generated/ by
# running REAL mail clients (swaks, Python smtplib at debug levels 1 and 2, curl,
# msmtp, nodemailer, PHPMailer, Postfix) against the repo's fake Microsoft 365
# server (tests/fake-m365, loopback only), once per scenario, and writing what
# each client printed (stdout+stderr merged, untouched: timestamps, ids and TLS
# details are this run's) to generated/<client>/<scenario>.txt. Missing clients
# are installed (apt: swaks msmtp php-cli libphp-phpmailer; npm: nodemailer into
# ~/.cache/smtp-doctor-fixtures). Postfix is NOT installed: its .deb is fetched
# with `apt-get download`, unpacked with `dpkg -x` under /tmp/smtp-doctor-fixtures-postfix
# and run as a private instance (own config, queue and maillog, relayhost = the
# fake; needs root), so the system's mail configuration is untouched; its fixture
# is that instance's maillog. The fake listens on fixed ports (127.0.0.1:2587
# submission, :2525 Direct Send; FIXTURE_SUB_PORT / FIXTURE_MX_PORT), so no port
# has to be rewritten in the output. Sign-in is scanner@contoso.com with the
# fake's password `Correct-Horse-7` where it must succeed, `S3cret!` (the dummy
# password tests/parse_cli.rs looks for) where the scenario refuses it anyway;
# the script ends by checking that neither (plain, base64, AUTH PLAIN blob)
# reaches smtp-doctor's parse/diagnose output. A fixture the parser does not read
# right yet lives in generated/_pending/<client>/ without a sidecar (the script
# keeps writing it there). Then bless and review the sidecars (first_cause by hand):
#   SMTP_DOCTOR_UPDATE_FIXTURES=1 cargo test -p smtp-doctor-engine --test logparse_fixtures
# Usage: scripts/make-fixtures.sh [client ...]   (clients: swaks smtplib1 smtplib2
# curl msmtp nodemailer phpmailer postfix; FIXTURE_SCENARIOS="ok wrong-credentials"
# limits the scenarios)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/tests/fixtures/logs/generated
SUB_PORT=${FIXTURE_SUB_PORT:-2587}
MX_PORT=${FIXTURE_MX_PORT:-2525}
CACHE=${SMTP_DOCTOR_FIXTURE_CACHE:-$HOME/.cache/smtp-doctor-fixtures}
GOOD_PASS='Correct-Horse-7'
BAD_PASS='S3cret!'
USER_NAME='scanner@contoso.com'
CLIENTS=("$@")
[ ${#CLIENTS[@]} -eq 0 ] && CLIENTS=(swaks smtplib1 smtplib2 curl msmtp nodemailer phpmailer postfix)

# A fixed work directory, so that the paths clients print (the CA file) are the same on every run.
WORK=$CACHE/run
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
FAKE_PID=
cleanup() {
    [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null && wait "$FAKE_PID" 2>/dev/null
}
trap cleanup EXIT

log() { printf '== %s\n' "$*" >&2; }

# --- build the fake server and install the clients --------------------------------
log "building fake-m365"
(cd "$ROOT" && cargo build -q -p fake-m365) || exit 1
FAKE=$ROOT/target/debug/fake-m365

need_apt=()
command -v swaks >/dev/null || need_apt+=(swaks)
command -v msmtp >/dev/null || need_apt+=(msmtp)
command -v php >/dev/null || need_apt+=(php-cli)
[ -f /usr/share/php/libphp-phpmailer/autoload.php ] || need_apt+=(libphp-phpmailer)
if [ ${#need_apt[@]} -gt 0 ]; then
    log "apt-get install ${need_apt[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${need_apt[@]}" >"$WORK/apt.log" 2>&1 ||
        { log "apt-get failed (see below); clients that are missing are skipped"; tail -5 "$WORK/apt.log" >&2; }
fi
NODE_DIR=$CACHE/node
if [ ! -f "$NODE_DIR/node_modules/nodemailer/package.json" ] && command -v npm >/dev/null; then
    log "npm install nodemailer into $NODE_DIR"
    mkdir -p "$NODE_DIR" && (cd "$NODE_DIR" && npm install --silent --no-audit --no-fund nodemailer >/dev/null 2>&1)
fi

# Postfix drops privileges to `nobody`, which cannot enter /root: its files live under /tmp.
PF_DIR=/tmp/smtp-doctor-fixtures-postfix
PF_ROOT=$PF_DIR/root
PF_INJECT=127.0.0.1:10025
if [[ " ${CLIENTS[*]} " == *" postfix "* ]] && [ ! -x "$PF_ROOT/usr/lib/postfix/sbin/master" ] && [ "$(id -u)" = 0 ]; then
    log "apt-get download postfix, unpacked into $PF_ROOT (not installed)"
    mkdir -p "$PF_DIR/deb" && chmod 755 "$PF_DIR" && (cd "$PF_DIR/deb" && apt-get download postfix >/dev/null 2>&1) &&
        dpkg -x "$(ls "$PF_DIR"/deb/postfix_*.deb | head -1)" "$PF_ROOT"
fi

# --- the fake server ---------------------------------------------------------------
start_fake() { # scenario port
    local sc=$1 port=$2
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        log "port $port is busy: set FIXTURE_SUB_PORT / FIXTURE_MX_PORT"
        exit 1
    fi
    rm -f "$WORK/ca.pem" "$WORK/fake.err"
    "$FAKE" --scenario "$sc" --listen "127.0.0.1:$port" --ca-out "$WORK/ca.pem" 2>"$WORK/fake.err" &
    FAKE_PID=$!
    for _ in $(seq 100); do
        grep -q "Ctrl-C stops it" "$WORK/fake.err" 2>/dev/null && return 0
        sleep 0.05
    done
    log "fake-m365 did not start: $(cat "$WORK/fake.err")"
    exit 1
}
stop_fake() {
    [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null && wait "$FAKE_PID" 2>/dev/null
    FAKE_PID=
}

# --- scenarios ---------------------------------------------------------------------
# name | fake scenario | kind (sub: STARTTLS + AUTH LOGIN, mx: STARTTLS, no AUTH) |
# password | MAIL FROM | RCPT TO | tls (starttls, or implicit = TLS on connect) | verify the certificate
SCENARIOS=(
    "ok|ok|sub|$GOOD_PASS|scanner@contoso.com|reports@contoso.com|starttls"
    "wrong-credentials|wrong-credentials|sub|$BAD_PASS|scanner@contoso.com|reports@contoso.com|starttls"
    "auth-disabled-mailbox|auth-disabled-mailbox|sub|$BAD_PASS|scanner@contoso.com|reports@contoso.com|starttls"
    "auth-disabled-tenant|auth-disabled-tenant|sub|$BAD_PASS|scanner@contoso.com|reports@contoso.com|starttls"
    "auth-criteria-not-met|auth-criteria-not-met|sub|$BAD_PASS|scanner@contoso.com|reports@contoso.com|starttls"
    "send-as-denied|send-as-denied|sub|$GOOD_PASS|sales@contoso.com|reports@contoso.com|starttls"
    "restricted-sender|restricted-sender|sub|$GOOD_PASS|scanner@contoso.com|reports@contoso.com|starttls"
    "no-starttls|no-starttls|sub|$GOOD_PASS|scanner@contoso.com|reports@contoso.com|starttls"
    "implicit-tls-on-starttls-port|ok|sub|$GOOD_PASS|scanner@contoso.com|reports@contoso.com|implicit"
    "expired-cert|expired-cert|sub|$GOOD_PASS|scanner@contoso.com|reports@contoso.com|starttls"
    "direct-send-external|direct-send-external|mx||scanner@contoso.com|partner@fabrikam.com|starttls"
    "tenant-attribution|tenant-attribution|mx||scanner@contoso.com|partner@fabrikam.com|starttls"
)

MSG=$'Subject: smtp-doctor fixture\r\nFrom: Scanner <scanner@contoso.com>\r\n\r\nScanned document.\r\n'

# --- clients: each gets NAME SCENARIO-FIELDS... and prints the transcript ------------
# Variables set per run: HOST PORT KIND PASS FROM TO TLS CA
run_swaks() {
    command -v swaks >/dev/null || return 2
    local a=(--server "$HOST:$PORT" --helo scanner01.contoso.com --from "$FROM" --to "$TO"
        --header "Subject: smtp-doctor fixture" --body "Scanned document." --tls-verify --tls-ca-path "$CA")
    if [ "$TLS" = implicit ]; then a+=(--tls-on-connect); else a+=(--tls); fi
    [ "$KIND" = sub ] && a+=(--auth LOGIN --auth-user "$USER_NAME" --auth-password "$PASS")
    timeout 30 swaks "${a[@]}" 2>&1
}

run_smtplib() { # level
    local level=$1
    timeout 30 python3 - "$level" "$HOST" "$PORT" "$KIND" "$USER_NAME" "$PASS" "$FROM" "$TO" "$TLS" "$CA" "$MSG" <<'PY' 2>&1
import smtplib, ssl, sys
level, host, port, kind, user, password, mail_from, rcpt, tls, ca, msg = sys.argv[1:]
ctx = ssl.create_default_context(cafile=ca)
if tls == "implicit":
    s = smtplib.SMTP_SSL(context=ctx, timeout=20)
else:
    s = smtplib.SMTP(timeout=20)
s.set_debuglevel(int(level))
# SMTP(host, port) would connect before set_debuglevel (no `connect:` lines); connect()
# alone does not record the host that starttls()/SMTP_SSL check the certificate against.
s._host = host
try:
    s.connect(host, int(port))
    s.ehlo("scanner01.contoso.com")
    if tls != "implicit":
        s.starttls(context=ctx)
        s.ehlo("scanner01.contoso.com")
    if kind == "sub":
        # smtplib's default: `AUTH LOGIN <b64 user>` with the user name as initial response.
        s.login(user, password)
    s.sendmail(mail_from, [rcpt], msg)
    s.quit()
except Exception:
    import traceback
    traceback.print_exc()
    sys.exit(1)
PY
}

run_curl() {
    local url=smtp
    [ "$TLS" = implicit ] && url=smtps
    local a=(-v --no-progress-meter --ssl-reqd --cacert "$CA" --connect-timeout 10 -m 30 "$url://$HOST:$PORT"
        --mail-from "$FROM" --mail-rcpt "$TO" -T -)
    [ "$KIND" = sub ] && a+=(--user "$USER_NAME:$PASS")
    printf '%s' "$MSG" | curl "${a[@]}" 2>&1
}

run_msmtp() {
    command -v msmtp >/dev/null || return 2
    # A configuration file, as msmtp users have (a password on the command line would be
    # printed by --debug as `passwordeval = ...`); --debug prints it with `password = *`.
    local rc=$CACHE/msmtprc
    {
        echo "account fixture"
        echo "host $HOST"
        echo "port $PORT"
        echo "domain scanner01.contoso.com"
        echo "timeout 20"
        echo "from $FROM"
        echo "tls on"
        if [ "$TLS" = implicit ]; then echo "tls_starttls off"; else echo "tls_starttls on"; fi
        echo "tls_trust_file $CA"
        if [ "$KIND" = sub ]; then
            echo "auth login"
            echo "user $USER_NAME"
            echo "password $PASS"
        else
            echo "auth off"
        fi
    } >"$rc"
    chmod 600 "$rc"
    # stdbuf: the --debug lines (stdout) and the errors (stderr) in the order a terminal shows them.
    printf '%s' "$MSG" | timeout 30 stdbuf -oL -eL msmtp -C "$rc" -a fixture --debug -- "$TO" 2>&1
}

run_nodemailer() {
    [ -f "$NODE_DIR/node_modules/nodemailer/package.json" ] || return 2
    cat >"$NODE_DIR/send.js" <<'JS'
const nodemailer = require('nodemailer');
const fs = require('fs');
const [host, port, kind, user, pass, from, to, tls, ca] = process.argv.slice(2);
const transporter = nodemailer.createTransport({
  host, port: Number(port), secure: tls === 'implicit', requireTLS: tls !== 'implicit',
  name: 'scanner01.contoso.com',
  auth: kind === 'sub' ? { user, pass } : undefined,
  tls: { ca: fs.readFileSync(ca) },
  connectionTimeout: 20000, greetingTimeout: 20000, socketTimeout: 20000,
  logger: true, debug: true,
});
transporter.sendMail({ from, to, subject: 'smtp-doctor fixture', text: 'Scanned document.' })
  .then(info => console.log('Message sent: %s', info.messageId))
  .catch(err => { console.error(err); process.exitCode = 1; });
JS
    (cd "$NODE_DIR" && timeout 30 node send.js "$HOST" "$PORT" "$KIND" "$USER_NAME" "$PASS" "$FROM" "$TO" "$TLS" "$CA" 2>&1)
}

run_phpmailer() {
    command -v php >/dev/null && [ -f /usr/share/php/libphp-phpmailer/autoload.php ] || return 2
    timeout 30 php -d display_errors=stderr -r '
require "/usr/share/php/libphp-phpmailer/autoload.php";
use PHPMailer\PHPMailer\PHPMailer;
use PHPMailer\PHPMailer\SMTP;
[$_, $host, $port, $kind, $user, $pass, $from, $to, $tls, $ca] = $argv;
$mail = new PHPMailer(false);
$mail->isSMTP();
$mail->SMTPDebug = SMTP::DEBUG_SERVER;
$mail->Host = $host;
$mail->Port = (int)$port;
$mail->Hostname = "scanner01.contoso.com";
$mail->Timeout = 20;
$mail->SMTPAutoTLS = false;
$mail->SMTPSecure = $tls === "implicit" ? PHPMailer::ENCRYPTION_SMTPS : PHPMailer::ENCRYPTION_STARTTLS;
$mail->SMTPOptions = ["ssl" => ["cafile" => $ca]];
if ($kind === "sub") { $mail->SMTPAuth = true; $mail->AuthType = "LOGIN"; $mail->Username = $user; $mail->Password = $pass; }
$mail->setFrom($from);
$mail->addAddress($to);
$mail->Subject = "smtp-doctor fixture";
$mail->Body = "Scanned document.";
if (!$mail->send()) { echo "Mailer Error: " . $mail->ErrorInfo . "\n"; exit(1); }
echo "Message sent\n";
' -- "$HOST" "$PORT" "$KIND" "$USER_NAME" "$PASS" "$FROM" "$TO" "$TLS" "$CA" 2>&1
}

run_postfix() {
    [ "$(id -u)" = 0 ] && [ -x "$PF_ROOT/usr/lib/postfix/sbin/master" ] || return 2
    if (exec 3<>"/dev/tcp/${PF_INJECT%:*}/${PF_INJECT#*:}") 2>/dev/null; then
        log "postfix: $PF_INJECT is busy"
        return 1
    fi
    local R=$PF_ROOT I=$PF_DIR/instance
    local C=$I/etc
    rm -rf "$I" && mkdir -p "$C" "$I/spool" "$I/data" && chown nobody "$I/data"
    cp "$CA" "$C/ca.pem"
    cp -r "$R"/etc/postfix/postfix-files* "$C/"
    # The unpacked postdrop/postqueue as the package would install them (only this copy).
    chgrp mail "$R/usr/sbin/postdrop" "$R/usr/sbin/postqueue" && chmod 2755 "$R/usr/sbin/postdrop" "$R/usr/sbin/postqueue"
    # master.cf: the package's services without chroot, without the pipe services,
    # and one smtpd on loopback to receive the message to relay.
    awk '/^[a-z]/ && $2 ~ /^(unix|fifo|inet|unix-dgram)$/ && $8 != "pipe" && !($1 == "smtp" && $2 == "inet") { $5 = "n"; print }' \
        "$R/usr/share/postfix/master.cf.dist" >"$C/master.cf"
    echo "$PF_INJECT inet n - n - - smtpd" >>"$C/master.cf"
    local tls_level=encrypt
    [ "$NAME" = expired-cert ] && tls_level=verify
    cat >"$C/main.cf" <<MAINCF
compatibility_level = 3.6
config_directory = $C
meta_directory = $C
queue_directory = $I/spool
data_directory = $I/data
daemon_directory = $R/usr/lib/postfix/sbin
command_directory = $R/usr/sbin
shlib_directory = $R/usr/lib/postfix
sendmail_path = $R/usr/sbin/sendmail
newaliases_path = $R/usr/bin/newaliases
mailq_path = $R/usr/bin/mailq
manpage_directory = $R/usr/share/man
sample_directory = $R/usr/share/doc/postfix
readme_directory = $R/usr/share/doc/postfix
html_directory = $R/usr/share/doc/postfix/html
mail_owner = nobody
default_privs = daemon
setgid_group = mail
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C LD_LIBRARY_PATH=$R/usr/lib/postfix
maillog_file_prefixes = $I
maillog_file = $I/maillog
myhostname = scanner01.contoso.com
mydomain = contoso.com
myorigin = contoso.com
mydestination =
alias_maps =
alias_database =
local_recipient_maps =
inet_interfaces = loopback-only
inet_protocols = ipv4
smtp_dns_support_level = disabled
relayhost = [$HOST]:$PORT
smtp_tls_security_level = $tls_level
smtp_tls_CAfile = $C/ca.pem
smtp_tls_loglevel = 1
MAINCF
    [ "$TLS" = implicit ] && echo "smtp_tls_wrappermode = yes" >>"$C/main.cf"
    if [ "$KIND" = sub ]; then
        printf '[%s]:%s %s:%s\n' "$HOST" "$PORT" "$USER_NAME" "$PASS" >"$C/sasl_passwd"
        chmod 600 "$C/sasl_passwd"
        printf '%s\n' "smtp_sasl_auth_enable = yes" "smtp_sasl_password_maps = texthash:$C/sasl_passwd" \
            "smtp_sasl_security_options = noanonymous" >>"$C/main.cf"
    fi
    LD_LIBRARY_PATH=$R/usr/lib/postfix "$R/usr/sbin/postfix" -c "$C" start >"$I/start.log" 2>&1 ||
        { cat "$I/start.log" >&2; return 1; }
    # The application's side: a message handed to Postfix, which relays it to the fake.
    python3 - "${PF_INJECT%:*}" "${PF_INJECT#*:}" "$FROM" "$TO" "$MSG" <<'PY' >&2
import smtplib, sys, time
host, port, mail_from, rcpt, msg = sys.argv[1:]
for _ in range(50):
    try:
        s = smtplib.SMTP(host, int(port), timeout=10)
        break
    except OSError:
        time.sleep(0.1)
s.sendmail(mail_from, [rcpt], msg)
s.quit()
PY
    # Wait for the first delivery attempt and then for the log to settle (a bounce's own
    # delivery comes right after), at most about 15 s.
    local size=-1
    for _ in $(seq 30); do
        sleep 0.5
        grep -q 'status=' "$I/maillog" 2>/dev/null && [ "$(stat -c %s "$I/maillog")" = "$size" ] && break
        size=$(stat -c %s "$I/maillog" 2>/dev/null || echo -1)
    done
    LD_LIBRARY_PATH=$R/usr/lib/postfix "$R/usr/sbin/postfix" -c "$C" stop >/dev/null 2>&1
    cat "$I/maillog"
}

run_client() { # client
    case $1 in
        swaks) run_swaks ;;
        smtplib1) run_smtplib 1 ;;
        smtplib2) run_smtplib 2 ;;
        curl) run_curl ;;
        msmtp) run_msmtp ;;
        nodemailer) run_nodemailer ;;
        phpmailer) run_phpmailer ;;
        postfix) run_postfix ;;
        *) log "unknown client $1"; return 2 ;;
    esac
}

# --- run -------------------------------------------------------------------------------
HOST=127.0.0.1
CA=$WORK/ca.pem
made=()
for row in "${SCENARIOS[@]}"; do
    IFS='|' read -r NAME SC KIND PASS FROM TO TLS <<<"$row"
    if [ -n "${FIXTURE_SCENARIOS:-}" ] && [[ " $FIXTURE_SCENARIOS " != *" $NAME "* ]]; then continue; fi
    PORT=$SUB_PORT
    [ "$KIND" = mx ] && PORT=$MX_PORT
    for client in "${CLIENTS[@]}"; do
        start_fake "$SC" "$PORT"
        mkdir -p "$OUT/$client"
        out=$OUT/$client/$NAME.txt
        # A fixture the parser does not read right yet stays in _pending/ (no sidecar) until it does.
        [ -f "$OUT/_pending/$client/$NAME.txt" ] && out=$OUT/_pending/$client/$NAME.txt
        run_client "$client" >"$WORK/out.txt"
        rc=$?
        stop_fake
        if [ ! -s "$WORK/out.txt" ]; then
            [ $rc -eq 2 ] && log "skip $client (not available)" || log "$client/$NAME: no output (exit $rc)"
            continue
        fi
        mv "$WORK/out.txt" "$out"
        made+=("$out")
        log "$client/$NAME.txt (exit $rc, $(wc -l <"$out") lines)"
    done
done

# --- no password may reach smtp-doctor's output ----------------------------------------
b64() { printf '%s' "$1" | base64 -w0; }
secrets=()
for p in "$GOOD_PASS" "$BAD_PASS"; do
    secrets+=("$p" "$(b64 "$p")" "$(printf '\0%s\0%s' "$USER_NAME" "$p" | base64 -w0)")
done
if [ ${#made[@]} -gt 0 ]; then
    log "checking smtp-doctor's output for passwords"
    (cd "$ROOT" && cargo build -q) || exit 1
    bin=$ROOT/target/debug/smtp-doctor
    leak=0
    for args in "parse" "--format json parse" "parse --redact" "--format json diagnose" "diagnose"; do
        # shellcheck disable=SC2086
        outp=$("$bin" $args "${made[@]}" 2>&1)
        for s in "${secrets[@]}"; do
            if grep -qF -- "$s" <<<"$outp"; then
                log "LEAK: \`smtp-doctor $args\` prints $s"
                leak=1
            fi
        done
    done
    [ $leak -eq 0 ] && log "no password in any output"
    exit $leak
fi
