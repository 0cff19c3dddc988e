#!/usr/bin/env bash
# The main job on a bundled sample environment: `certdoctor check` over file certificates that pass and fail,
# then the reports. Installs what it needs first.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift build -c release --product certdoctor 2>&1 | tail -1
certdoctor=$(swift build -c release --show-bin-path)/certdoctor
sample=$(mktemp -d)
trap 'rm -rf "$sample"' EXIT
printf '123456\n' >"$sample/pw"

show() {
  echo
  echo "\$ certdoctor $*"
  (cd "$sample" && "$certdoctor" "$@")
  echo "(exit status $?)"
}
cp "Tests/Fixtures/pfx/good-aes/F000504Y0007#0.pfx" "$sample/"
show check --pfx 'F000504Y0007#0.pfx' --password-file pw
mkdir -p "$sample/expired" && cp "Tests/Fixtures/pfx/expired/F000504Y0007#0.pfx" "$sample/expired/"
show check --pfx 'expired/F000504Y0007#0.pfx' --password-file pw --lang zh
cp "Tests/Fixtures/pfx/no-suffix/F000504Y0007.pfx" "$sample/"
show check --pfx 'F000504Y0007.pfx' --password-file pw -v --only cert.pfx-name
XDG_STATE_HOME="$sample/state" show fix --pfx 'F000504Y0007#0.pfx' --password-file pw --yes
XDG_STATE_HOME="$sample/state" show undo
show explain E5

# A customer's exported registry: the portal typed as the manual's typo, and the fix file for them to import.
cp "Tests/Fixtures/windows/trusted/typo-sccc.reg" "$sample/customer.reg"
show check --registry customer.reg --only browser
XDG_STATE_HOME="$sample/state" show fix --registry customer.reg --only browser.trusted-site --yes --report out
show registry export --registry out/certdoctor-fix-browser.trusted-site.reg 'HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings\ZoneMap' --format json
show check --registry customer.reg out/certdoctor-fix-browser.trusted-site.reg --only browser.trusted-site
echo
echo "Reports written to $sample/out (report.html, report.xml, report.json) are removed when the demo ends."
exit 0
