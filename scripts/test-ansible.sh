#!/usr/bin/env bash
# The Ansible role and playbooks run against this machine (connection: local): install.yml in --check --diff mode
# first (which must change nothing), then for real, then again with changed=0; then check.yml, which must bring the
# reports and a summary back. The certificate password comes from Ansible Vault and must never appear in Ansible's
# output. Fails loudly, never skips.
#
# The role writes below a scratch root (certdoctor_root), not this machine's /etc: a test must not leave a timer
# and a password file behind on the machine it runs on, and systemd is not PID 1 here, so the role takes its
# documented offline path and enables the timer with the real `systemctl --root`. The package is not installed
# (certdoctor_install_package: false): the built executable stands in for it — unless CERTDOCTOR_DEB names a built
# package, which the role then copies to the host and installs with apt (scripts/test-package.sh does that; the
# caller purges it afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."

deb=${CERTDOCTOR_DEB:-}
certdoctor=${CERTDOCTOR_EXECUTABLE:-$PWD/.build/debug/certdoctor}
# apt's module needs Debian's python3-apt, which only Debian's own interpreter has.
interpreter=$(command -v python3)
fail() { echo "ansible test: $*" >&2; exit 1; }
if [ -n "$deb" ]; then
  [ -f "$deb" ] || fail "no package at $deb"
  certdoctor=/usr/bin/certdoctor
  interpreter=/usr/bin/python3
  ! dpkg-query -W -f='${Status}' certdoctor 2>/dev/null | grep -q "install ok installed" || fail "certdoctor is installed already"
else
  [ -x "$certdoctor" ] || fail "no certdoctor at $certdoctor (swift build first)"
fi
for tool in ansible-playbook ansible-vault systemctl openssl python3; do
  command -v "$tool" >/dev/null || fail "$tool is missing (scripts/bootstrap.sh --tests installs it)"
done

work=$(mktemp -d)
trap 'rm -rf "$work"; [ -z "$deb" ] || rm -rf /var/cache/certdoctor' EXIT
root="$work/root"
reports="$work/reports"
mkdir -p "$root" "$work/srv"

# A certificate whose password is made for this run: six digits, so only a leak can put it in the output.
password=$(python3 -c 'import secrets; print(f"{secrets.randbelow(900000) + 100000}")')
gateway=F000504Y0007
pfx="$work/srv/$gateway#0.pfx"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 400 \
  -subj "/C=CN/O=Certdoctor Test/CN=$gateway" 2>/dev/null
openssl pkcs12 -export -inkey "$work/key.pem" -in "$work/cert.pem" -name "$gateway" -passout "pass:$password" -out "$pfx"
rm "$work/key.pem"

openssl rand -hex 32 >"$work/vault-password"
ansible-vault encrypt_string --vault-password-file "$work/vault-password" --name certdoctor_pfx_password "$password" \
  >"$work/secrets.yml" 2>/dev/null
grep -q '\$ANSIBLE_VAULT' "$work/secrets.yml" || fail "ansible-vault did not encrypt the password"
! grep -qw -- "$password" "$work/secrets.yml" || fail "the vaulted file holds the password in clear"

# inventory HOST=ROOT…: an inventory of local hosts, each with the root the role writes below.
inventory() {
  printf 'certdoctor:\n  hosts:\n'
  for host in "$@"; do
    printf '    %s:\n      ansible_connection: local\n      ansible_python_interpreter: %s\n      certdoctor_root: %s\n' \
      "${host%%=*}" "$interpreter" "${host#*=}"
  done
}
inventory "localhost=$root" >"$work/inventory.yml"
cat >"$work/vars.yml" <<YAML
certdoctor_install_package: $([ -n "$deb" ] && echo true || echo false)
certdoctor_deb: ${deb:-""}
certdoctor_binary: $certdoctor
certdoctor_args: ["--pfx", "$pfx", "--only", "certificate"]
certdoctor_reports_dir: $reports
YAML

export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_INVENTORY_UNPARSED_WARNING=0
# playbook NAME FILE ARGS… — output in $work/NAME.log, which must not hold the password; exit status $want (0).
playbook() {
  local name=$1 file=$2; shift 2
  local status=0
  ansible-playbook -i "${inventory:-$work/inventory.yml}" "deploy/ansible/$file" -e "@$work/vars.yml" \
    -e "@$work/secrets.yml" --vault-password-file "$work/vault-password" -v "$@" >"$work/$name.log" 2>&1 || status=$?
  if grep -qw -- "$password" "$work/$name.log"; then
    fail "$name: the certificate password appears in Ansible's output"
  fi
  [ "$status" -eq "${want:-0}" ] || { cat "$work/$name.log" >&2; fail "$name: ansible-playbook exited $status, not ${want:-0}"; }
}
recap() { grep -E "^${2:-localhost} +:" "$work/$1.log" || fail "$1: no play recap for ${2:-localhost}"; } # recap LOG [HOST]

# 1. --check --diff: says what it would do (a diff would show a password file's content, were it not hidden), and
# writes nothing.
playbook dry-run install.yml --check --diff
recap dry-run | grep -Eq 'changed=[1-9]' || fail "the dry run announced no change on a fresh root"
grep -q 'the output has been hidden' "$work/dry-run.log" || fail "the password task is not marked no_log"
[ -z "$(find "$root" -type f)" ] || fail "--check wrote files: $(find "$root" -type f)"

# 2. For real.
playbook first install.yml
recap first | grep -Eq 'changed=[1-9]' || fail "the first run changed nothing"
recap first | grep -Eq 'failed=0' || fail "the first run had a failure"
[ "$(cat "$root/etc/certdoctor/pfx-password")" = "$password" ] || fail "the password file does not hold the password"
[ "$(stat -c '%a %U' "$root/etc/certdoctor/pfx-password")" = "400 root" ] || fail "the password file is $(stat -c '%a %U' "$root/etc/certdoctor/pfx-password")"
[ "$(stat -c %a "$root/etc/certdoctor")" = 700 ] || fail "/etc/certdoctor is not 0700"
grep -qxF "CERTDOCTOR_ARGS=\"--pfx $pfx --only certificate\"" "$root/etc/default/certdoctor" \
  || fail "/etc/default/certdoctor: $(cat "$root/etc/default/certdoctor")"
! grep -qw -- "$password" "$root/etc/default/certdoctor" || fail "/etc/default/certdoctor holds the password"
for unit in certdoctor-check.service certdoctor-check.timer; do
  cmp -s "deploy/systemd/$unit" "$root/etc/systemd/system/$unit" || fail "$unit is not the one in deploy/systemd"
done
[ "$(systemctl --root="$root" is-enabled certdoctor-check.timer)" = enabled ] || fail "the timer is not enabled"
[ -L "$root/etc/systemd/system/timers.target.wants/certdoctor-check.timer" ] || fail "no timers.target.wants link"
[ -d "$root/var/lib/prometheus/node-exporter" ] || fail "no textfile directory"
if [ -n "$deb" ]; then
  dpkg-query -W -f='${Status}' certdoctor | grep -q "install ok installed" || fail "the role did not install $deb"
  /usr/bin/certdoctor --version | grep -q "^certdoctor " || fail "the installed certdoctor does not run"
fi

# 3. Again: idempotent.
playbook second install.yml -vvv # the most verbose: module arguments are printed, unless no_log hides them
recap second | grep -Eq 'changed=0 .*failed=0' || fail "the second run changed something: $(recap second)"
playbook second-dry-run install.yml --check --diff
recap second-dry-run | grep -Eq 'changed=0 .*failed=0' || fail "--check on a set-up host announces changes: $(recap second-dry-run)"

# 4. The check on every host, reports fetched, one summary. A second host that was never set up (its root has no
# /etc/default/certdoctor) fails, which ansible-playbook reports with exit 2, and gets an error line in the summary.
mkdir -p "$work/unconfigured-root"
inventory "localhost=$root" "unconfigured=$work/unconfigured-root" >"$work/fleet.yml"
want=2 inventory="$work/fleet.yml" playbook check check.yml
recap check | grep -Eq 'failed=0' || fail "the check failed on localhost: $(recap check)"
recap check unconfigured | grep -Eq 'failed=1' || fail "the unconfigured host did not fail: $(recap check unconfigured)"
[ ! -e "$reports/unconfigured" ] || fail "reports were fetched for a host whose check did not run"
for file in report.json report.html; do
  [ -s "$reports/localhost/$file" ] || fail "no $file fetched into reports/localhost/"
done
python3 - "$reports/localhost/report.json" <<'PY' || fail "the fetched report.json is not this run's report"
import json, sys
report = json.load(open(sys.argv[1], encoding="utf-8"))
assert report["tool"] == "certdoctor" and report["ready_to_renew"] is True, report.get("verdict")
PY
! grep -rqw -- "$password" "$reports" || fail "a fetched report holds the password"
end=$(openssl x509 -in "$work/cert.pem" -noout -enddate | sed 's/^notAfter=//')
days=$(( ($(date -d "$end" +%s) - $(date +%s)) / 86400 ))
expected=$(printf 'host,gateway,ready,days_left\nlocalhost,%s,true,%s\nunconfigured,,error,' "$gateway" "$days")
[ "$(cat "$reports/summary.csv")" = "$expected" ] || fail "summary.csv is
$(cat "$reports/summary.csv")
not
$expected"

echo "ansible: ok"
