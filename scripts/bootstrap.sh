#!/usr/bin/env bash
# Installs what certdoctor needs to build, run and be tested on Debian 12 with the Swift toolchain.
# Idempotent: packages already present are not fetched again. Runs apt as root, through sudo otherwise.
set -euo pipefail

packages=(
  # building
  pkg-config libssl-dev libxml2-dev libxslt1-dev libpcsclite-dev libp11-kit-dev zlib1g-dev
  # running and testing
  openssl libxml2-utils python3
)
if [ "${1:-}" = "--benchmarks" ]; then
  # what Benchmarks/*/run.sh measure certdoctor against: xsltproc renders the report with the same libxslt
  packages+=(xsltproc)
fi
if [ "${1:-}" = "--tests" ]; then
  packages+=(
    # PC/SC with virtual readers and cards, PKCS#11 tokens
    pcscd libccid vsmartcard-vpcd python3-virtualsmartcard softhsm2 opensc
    # the Windows side: Wine and the Win32 helper's compiler
    wine wine64 wine32:i386 gcc-mingw-w64-x86-64-win32 gcc-mingw-w64-i686-win32
    # reports checked by what consumes them: a real browser (with CJK fonts), promtool, a JSON Schema validator
    chromium fonts-noto-cjk prometheus tar python3-jsonschema poppler-utils
    # the fleet set-up: systemd-analyze verifies the units; node_exporter serves the textfile and curl scrapes it;
    # Ansible rolls the role out to localhost
    systemd prometheus-node-exporter curl ansible
    # the Debian package: built with dpkg-deb and dpkg-shlibdeps, checked by lintian, its pages read with man
    dpkg-dev binutils lintian man-db
  )
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
# wine32 is an i386 package: the differential zone tests run Wine's own 32-bit urlmon, the one the portal's
# 32-bit controls meet. dpkg must know the architecture before apt can resolve it.
case " ${missing[*]} " in
  *:i386*) dpkg --print-foreign-architectures | grep -qx i386 || "${as_root[@]}" dpkg --add-architecture i386 ;;
esac
echo "installing: ${missing[*]}" >&2
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
