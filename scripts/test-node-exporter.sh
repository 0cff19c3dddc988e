#!/usr/bin/env bash
# End to end with the real consumer of the metrics file: certdoctor (the built executable) writes
# --prometheus-textfile, Debian's prometheus-node-exporter serves it on 127.0.0.1, curl scrapes it, and the samples
# must carry the certificate's own values. Then a failing check, and runs that end in a usage or input error, which
# must keep the previous samples. Fails loudly, never skips: every tool it needs is part of the test set-up.
set -euo pipefail
cd "$(dirname "$0")/.."

certdoctor=${CERTDOCTOR_EXECUTABLE:-$PWD/.build/debug/certdoctor}
exporter=/usr/bin/prometheus-node-exporter
fail() { echo "node_exporter textfile test: $*" >&2; exit 1; }
[ -x "$certdoctor" ] || fail "no certdoctor at $certdoctor (swift build first)"
[ -x "$exporter" ] || fail "$exporter is missing (scripts/bootstrap.sh --tests installs prometheus-node-exporter)"
for tool in curl openssl python3; do command -v "$tool" >/dev/null || fail "$tool is missing"; done

work=$(mktemp -d)
exporter_pid=
cleanup() {
  if [ -n "$exporter_pid" ]; then kill "$exporter_pid" 2>/dev/null || true; wait "$exporter_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
textfiles="$work/textfile"
prom="$textfiles/certdoctor.prom"
mkdir -p "$textfiles" "$work/ready" "$work/expired"
printf '123456\n' >"$work/pw"

# A gateway certificate made here with the openssl CLI. Its serial is 20 random bytes, far beyond 64 bits, so the
# decimal label can only be right if the conversion is.
gateway=F000504Y0007
serial_hex=$(openssl rand -hex 20 | sed 's/^./7/')
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 400 \
  -subj "/C=CN/O=Certdoctor Test/CN=$gateway" -set_serial "0x$serial_hex" 2>/dev/null
pfx="$work/ready/$gateway#0.pfx"
openssl pkcs12 -export -inkey "$work/key.pem" -in "$work/cert.pem" -name "$gateway" -passout pass:123456 -out "$pfx"
cp "Tests/Fixtures/pfx/expired/$gateway#0.pfx" "$work/expired/"
expired="$work/expired/$gateway#0.pfx"

# What openssl says about a PFX: its serial in decimal (from `openssl x509 -serial`) and its notAfter in seconds.
facts() {
  openssl pkcs12 -in "$1" -nokeys -clcerts -passin pass:123456 2>/dev/null >"$work/facts.pem"
  local hex end
  hex=$(openssl x509 -in "$work/facts.pem" -noout -serial | sed 's/^serial=//')
  end=$(openssl x509 -in "$work/facts.pem" -noout -enddate | sed 's/^notAfter=//')
  serial=$(python3 -c "print(int('$hex', 16))")
  not_after=$(date -d "$end" +%s)
}

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$exporter" --web.listen-address="127.0.0.1:$port" --collector.disable-defaults --collector.textfile \
  --collector.textfile.directory="$textfiles" >"$work/exporter.log" 2>&1 &
exporter_pid=$!
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$port/metrics" >/dev/null 2>&1 && break
  kill -0 "$exporter_pid" 2>/dev/null || { cat "$work/exporter.log" >&2; fail "node_exporter did not start"; }
  sleep 0.1
done

scrape() { curl -fsS "http://127.0.0.1:$port/metrics" >"$work/scrape" || fail "cannot scrape node_exporter"; }
# value NAME LABEL… — the value of the one sample of NAME that has every LABEL (name="value"), in any order.
value() {
  local name=$1; shift
  python3 - "$work/scrape" "$name" "$@" <<'PY'
import re, sys
path, name, wanted = sys.argv[1], sys.argv[2], sys.argv[3:]
found = []
for line in open(path, encoding="utf-8"):
    match = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)$', line.strip())
    if match and match.group(1) == name and all(label in (match.group(2) or "") for label in wanted):
        found.append(match.group(3))
print(found[0] if len(found) == 1 else f"<{len(found)} samples>")
PY
}
# expect NAME WANT LABEL… — numeric comparison: node_exporter prints 1.7963424e+09 for 1796342400.
expect() {
  local name=$1 want=$2; shift 2
  local got; got=$(value "$name" "$@")
  python3 -c "import sys; sys.exit(0 if float('$got') == float('$want') else 1)" 2>/dev/null \
    || { grep -v '^#' "$work/scrape" | grep -e certdoctor -e x509 -e textfile >&2 || true; fail "$name{$*} is $got, not $want"; }
}
run() { # run WANT-EXIT ARGS… — runs certdoctor check in the work directory, which must end with WANT-EXIT.
  local want=$1; shift
  local status=0
  (cd "$work" && "$certdoctor" check --no-discover --lang en "$@" --prometheus-textfile "$prom") \
    >"$work/out" 2>"$work/err" || status=$?
  [ "$status" -eq "$want" ] || { cat "$work/out" "$work/err" >&2; fail "check $* exited $status, not $want"; }
}
only_the_textfile() {
  [ "$(ls -A "$textfiles")" = "certdoctor.prom" ] || fail "the textfile directory holds $(ls -A "$textfiles" | tr '\n' ' ')"
  [ "$(stat -c %a "$prom")" = 644 ] || fail "certdoctor.prom is not world-readable (node_exporter's own user reads it)"
}

# 1. A certificate that is ready to renew.
before=$(date +%s)
run 0 --pfx "$pfx" --password-file pw --only certificate
only_the_textfile
facts "$pfx"
scrape
expect node_textfile_scrape_error 0
expect x509_cert_not_after "$not_after" "serial_number=\"$serial\"" "subject_CN=\"$gateway\"" "issuer_CN=\"$gateway\"" "filepath=\"$pfx\""
expect x509_cert_expired 0 "serial_number=\"$serial\""
expect certdoctor_ready_to_renew 1
expect certdoctor_last_run_exit_code 0
expect certdoctor_check_outcome 1 'check="cert.validity"' 'outcome="pass"' 'severity="required"'
[ "$(value node_textfile_mtime_seconds 'certdoctor.prom"')" != "<0 samples>" ] || fail "node_exporter does not list certdoctor.prom"
last_run=$(value certdoctor_last_run_timestamp_seconds)
python3 -c "import sys; sys.exit(0 if float('$last_run') >= $before else 1)" || fail "the last run's time is $last_run, before the run"

# Another tool's file in the same directory, for another certificate, with the same names and the same HELP text:
# node_exporter merges the two. With another HELP text it would drop one file's samples and still report no error.
cat >"$textfiles/other.prom" <<'PROM'
# HELP x509_cert_not_after Indicates the certificate's not after timestamp
# TYPE x509_cert_not_after gauge
x509_cert_not_after{filepath="/etc/ssl/other.pem",serial_number="42",subject_CN="other"} 1.8e+09
PROM
scrape
expect node_textfile_scrape_error 0
expect x509_cert_not_after 1.8e+09 'serial_number="42"'
expect x509_cert_not_after "$not_after" "serial_number=\"$serial\""
sed -i "s/^# HELP x509_cert_not_after .*/# HELP x509_cert_not_after Unix timestamp of the certificate's NotAfter./" "$textfiles/other.prom"
scrape
[ "$(value x509_cert_not_after "serial_number=\"$serial\"")" = "<0 samples>" ] || [ "$(value x509_cert_not_after 'serial_number="42"')" = "<0 samples>" ] \
  || fail "node_exporter merged two HELP texts for one name: the reason for using the exporter's own text is gone, review it"
rm "$textfiles/other.prom"

# 2. A failing check (an expired certificate): the file is written all the same, with exit code 1.
run 1 --pfx "$expired" --password-file pw --only certificate
only_the_textfile
facts "$expired"
scrape
expect node_textfile_scrape_error 0
expect x509_cert_not_after "$not_after" "serial_number=\"$serial\"" "filepath=\"$expired\""
expect x509_cert_expired 1 "serial_number=\"$serial\""
expect certdoctor_ready_to_renew 0
expect certdoctor_last_run_exit_code 1
expect certdoctor_check_outcome 1 'check="cert.validity"' 'outcome="fail"' 'severity="required"'
samples_time=$(value certdoctor_samples_timestamp_seconds)
grep -v -e certdoctor_last_run_ "$prom" >"$work/samples-after-2"

# 3. Runs that end before they have results keep those samples and record only their exit code and time:
# a mistyped check id (64, from the check itself), a value the argument parser refuses (64, before any command
# runs), a malformed profile (65) and a password file that is not there (66).
printf '{' >"$work/broken-profile.json"
for case in "64 --pfx $expired --password-file pw --only cert.valdity" "64 --pfx $expired --timeout 0" \
            "65 --pfx $expired --password-file pw --profile broken-profile.json" \
            "66 --pfx $expired --password-file no-such-file"; do
  set -- $case
  want=$1; shift
  sleep 1 # the run's time must visibly move on
  before=$(date +%s)
  run "$want" "$@"
  only_the_textfile
  scrape
  expect node_textfile_scrape_error 0
  expect certdoctor_last_run_exit_code "$want"
  expect certdoctor_ready_to_renew 0
  expect x509_cert_not_after "$not_after" "serial_number=\"$serial\"" "filepath=\"$expired\""
  expect certdoctor_check_outcome 1 'check="cert.validity"' 'outcome="fail"'
  expect certdoctor_samples_timestamp_seconds "$samples_time"
  last_run=$(value certdoctor_last_run_timestamp_seconds)
  python3 -c "import sys; sys.exit(0 if float('$last_run') >= $before else 1)" || fail "exit $want: the last run's time was not updated"
  grep -v -e certdoctor_last_run_ "$prom" | cmp -s - "$work/samples-after-2" || fail "exit $want: the previous samples changed"
done

# 4. A name node_exporter would never read is refused before anything is written.
status=0
(cd "$work" && "$certdoctor" check --no-discover --pfx "$expired" --password-file pw --prometheus-textfile "$textfiles/certdoctor.txt") \
  >/dev/null 2>"$work/err" || status=$?
[ "$status" -eq 64 ] || fail "--prometheus-textfile x.txt exited $status, not 64"
grep -q "ends in .prom" "$work/err" || fail "no reason given for refusing x.txt: $(cat "$work/err")"
only_the_textfile

kill "$exporter_pid"
wait "$exporter_pid" 2>/dev/null || true
exporter_pid=
echo "node_exporter textfile: ok"
