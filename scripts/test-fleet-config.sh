#!/usr/bin/env bash
# Fleet configuration checked by the tools that consume it: the Prometheus rules (promtool check + unit tests)
# and the systemd units (systemd-analyze verify, which works without systemd as PID 1).
set -euo pipefail
cd "$(dirname "$0")/.."
promtool check rules Reports/prometheus/certdoctor.rules.yml
(cd Reports/prometheus && promtool test rules certdoctor.rules.test.yml)

# verify resolves ExecStart's binary, so point it at a stand-in when certdoctor is not installed.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp deploy/systemd/certdoctor-check.service deploy/systemd/certdoctor-check.timer "$work/"
if [ ! -x /usr/bin/certdoctor ]; then
  printf '#!/bin/sh\n' > "$work/certdoctor" && chmod +x "$work/certdoctor"
  sed -i "s|/usr/bin/certdoctor|$work/certdoctor|" "$work/certdoctor-check.service"
fi
out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$work/certdoctor-check.service" "$work/certdoctor-check.timer" 2>&1) || { echo "$out"; exit 1; }
# verify exits 0 on some unit warnings; any line naming our units is a finding.
if printf '%s\n' "$out" | grep -q certdoctor; then echo "$out"; exit 1; fi
for setting in ProtectSystem=strict PrivateTmp=yes NoNewPrivileges=yes LoadCredential=pfx-password; do
  grep -q "^$setting" deploy/systemd/certdoctor-check.service || { echo "missing $setting"; exit 1; }
done
for setting in Persistent=true RandomizedDelaySec= OnCalendar=daily; do
  grep -q "^$setting" deploy/systemd/certdoctor-check.timer || { echo "missing $setting"; exit 1; }
done
echo "fleet configuration: ok"
