#!/usr/bin/env bash
# Times a full `certdoctor check --pfx` (release build, every file-certificate check) against one
# `openssl pkcs12 -info -noout` on the same files: what a user would otherwise run to look at a PFX.
# Target: under 50 ms wall per check run, and no slower than one openssl call. A third column times the
# openssl pipeline that answers what `check` answers (opens, not expired, key matches, protection), since one
# `pkcs12 -info` call answers only the first question.
# Usage: Benchmarks/check/run.sh [runs]   (default 30 runs per file)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-30}
swift build -c release --product certdoctor >/dev/null 2>&1
certdoctor="$(swift build -c release --show-bin-path)/certdoctor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '123456\n' >"$work/pw"

# mean_ms COMMAND…: mean wall time of `runs` runs, in milliseconds (one warm-up run first).
mean_ms() {
  "$@" >/dev/null 2>&1 || true
  local start end
  start=$(date +%s%N)
  for ((i = 0; i < runs; i++)); do "$@" >/dev/null 2>&1 || true; done
  end=$(date +%s%N)
  awk -v ns=$((end - start)) -v n="$runs" 'BEGIN { printf "%.1f", ns / n / 1e6 }'
}

# What a user would script with openssl to learn what `check` says.
cat >"$work/equivalent.sh" <<'SH'
f=$1 pw=$2
openssl pkcs12 -info -noout -legacy -in "$f" -passin "file:$pw" 2>&1 | grep -q 'MAC: sha1' || true
openssl pkcs12 -legacy -in "$f" -passin "file:$pw" -nokeys -clcerts | openssl x509 -noout -checkend 0 -subject >/dev/null
a=$(openssl pkcs12 -legacy -in "$f" -passin "file:$pw" -nocerts -nodes | openssl pkey -pubout)
b=$(openssl pkcs12 -legacy -in "$f" -passin "file:$pw" -nokeys -clcerts | openssl x509 -noout -pubkey)
[ "$a" = "$b" ]
SH

printf '%-12s %14s %14s %8s %18s\n' file "certdoctor ms" "openssl ms" ratio "openssl script ms"
for kind in good-aes good-3des legacy-rc2; do
  mkdir -p "$work/$kind"
  cp "Tests/Fixtures/pfx/$kind/F000504Y0007#0.pfx" "$work/$kind/"
  file="$work/$kind/F000504Y0007#0.pfx"
  ours=$(CERTDOCTOR_PLUGIN_PATH= mean_ms "$certdoctor" check --pfx "$file" --password-file "$work/pw" --only certificate --format json)
  theirs=$(mean_ms openssl pkcs12 -info -noout -legacy -in "$file" -passin "file:$work/pw")
  ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.2f", a / b }')
  script=$(mean_ms sh "$work/equivalent.sh" "$file" "$work/pw")
  printf '%-12s %14s %14s %8s %18s\n' "$kind" "$ours" "$theirs" "$ratio" "$script"
done
