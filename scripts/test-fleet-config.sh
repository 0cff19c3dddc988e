#!/usr/bin/env bash
# Fleet configuration checked by the tools that consume it: the Prometheus rules (promtool check + unit tests)
# and the systemd units (systemd-analyze verify, which works without systemd as PID 1).
set -euo pipefail
cd "$(dirname "$0")/.."
promtool check rules Reports/prometheus/certdoctor.rules.yml
(cd Reports/prometheus && promtool test rules certdoctor.rules.test.yml)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Unit tests that pass whatever the threshold prove nothing: move each threshold a little and the tests must fail.
mutations=(
  's/< 30 \* 86400/< 31 * 86400/g' 's/< 30 \* 86400/< 29 * 86400/g'
  's/< 7 \* 86400/< 8 * 86400/' 's/< 7 \* 86400/< 6 * 86400/'
  's/time() <= 0/time() <= 4000/'
  's/> 2 \* 86400/> 3 * 86400/' 's/> 2 \* 86400/> 1 * 86400/'
  's/exit_code > 1/exit_code > 0/' 's/exit_code > 1/exit_code > 66/'
  's/outcome=~"fail|error"/outcome=~"fail"/'
  's/"check_severity", "\$1", "severity"/"check_severity", "$1", "outcome"/'
)
mkdir "$work/mutant"
cp Reports/prometheus/certdoctor.rules.test.yml "$work/mutant/"
for mutation in "${mutations[@]}"; do
  sed "$mutation" Reports/prometheus/certdoctor.rules.yml >"$work/mutant/certdoctor.rules.yml"
  if cmp -s Reports/prometheus/certdoctor.rules.yml "$work/mutant/certdoctor.rules.yml"; then
    echo "mutation '$mutation' no longer matches the rules: update this list"; exit 1
  fi
  if (cd "$work/mutant" && promtool test rules certdoctor.rules.test.yml >/dev/null 2>&1); then
    echo "the rule tests still pass with '$mutation': a wrong threshold would go unnoticed"; exit 1
  fi
done

# verify resolves ExecStart's binary, so point it at a stand-in when certdoctor is not installed.
cp deploy/systemd/certdoctor-check.service deploy/systemd/certdoctor-check.timer "$work/"
if [ ! -x /usr/bin/certdoctor ]; then
  printf '#!/bin/sh\n' > "$work/certdoctor" && chmod +x "$work/certdoctor"
  sed -i "s|/usr/bin/certdoctor|$work/certdoctor|" "$work/certdoctor-check.service"
fi
out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$work/certdoctor-check.service" "$work/certdoctor-check.timer" 2>&1) || { echo "$out"; exit 1; }
# verify exits 0 on some unit warnings; any line naming our units is a finding.
if printf '%s\n' "$out" | grep -q certdoctor; then echo "$out"; exit 1; fi
# node_exporter (Debian's prometheus-node-exporter) reads its textfile directory; the service may write only there.
grep -q -- '--prometheus-textfile /var/lib/prometheus/node-exporter/certdoctor.prom' deploy/systemd/certdoctor-check.service \
  || { echo "the service does not write /var/lib/prometheus/node-exporter/certdoctor.prom"; exit 1; }
grep -q '^ReadWritePaths=-/var/lib/prometheus/node-exporter$' deploy/systemd/certdoctor-check.service \
  || { echo "the service cannot write node_exporter's textfile directory"; exit 1; }
for setting in ProtectSystem=strict PrivateTmp=yes NoNewPrivileges=yes LoadCredential=pfx-password; do
  grep -q "^$setting" deploy/systemd/certdoctor-check.service || { echo "missing $setting"; exit 1; }
done
for setting in Persistent=true RandomizedDelaySec= OnCalendar=daily; do
  grep -q "^$setting" deploy/systemd/certdoctor-check.timer || { echo "missing $setting"; exit 1; }
done
echo "fleet configuration: ok"
