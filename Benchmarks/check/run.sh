#!/usr/bin/env bash
# `certdoctor check --pfx` (release build, static stdlib: the five certificate checks and the free-space check)
# against its anchor, one `openssl pkcs12 -info -noout` on the same file, alternating run by run. Prints the
# ratio of the medians per file and fails when one is over the bar (2.0×). A last column times the openssl
# pipeline that answers what `check` answers (opens, not expired, key matches, protection) for scale.
# Usage: Benchmarks/check/run.sh [RUNS]   (default 30 paired runs per file)
set -euo pipefail
cd "$(dirname "$0")/../.."
. Benchmarks/lib.sh
runs=${1:-30}
bar=2.0
bench_build_release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '123456\n' >"$work/pw"

# What a user would script with openssl to learn what `check` says.
cat >"$work/equivalent.sh" <<'SH'
f=$1 pw=$2
openssl pkcs12 -info -noout -legacy -in "$f" -passin "file:$pw" 2>&1 | grep -q 'MAC: sha1' || true
openssl pkcs12 -legacy -in "$f" -passin "file:$pw" -nokeys -clcerts | openssl x509 -noout -checkend 0 -subject >/dev/null
a=$(openssl pkcs12 -legacy -in "$f" -passin "file:$pw" -nocerts -nodes | openssl pkey -pubout)
b=$(openssl pkcs12 -legacy -in "$f" -passin "file:$pw" -nokeys -clcerts | openssl x509 -noout -pubkey)
[ "$a" = "$b" ]
SH

echo "check --pfx vs one openssl pkcs12 -info -noout, median of $runs paired runs ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
printf '  %-12s %14s %12s %8s %18s\n' file "certdoctor ms" "openssl ms" ratio "openssl script ms"
ratios=()
for kind in good-aes good-3des legacy-rc2; do
    mkdir -p "$work/$kind"
    cp "Tests/Fixtures/pfx/$kind/F000504Y0007#0.pfx" "$work/$kind/"
    file="$work/$kind/F000504Y0007#0.pfx"
    ours="CERTDOCTOR_PLUGIN_PATH= '$bench_certdoctor' check --pfx '$file' --password-file '$work/pw' --only certificate,host --format json"
    # The run must really have checked: six results, none an error.
    results=$(eval "$ours" | grep -c '"outcome"' || true)
    [ "$results" -ge 6 ] || { echo "check --pfx on $kind gave $results results, expected 6" >&2; exit 1; }
    bench_paired "$runs" "$ours" "openssl pkcs12 -info -noout -legacy -in '$file' -passin 'file:$work/pw'"
    ratio=$(bench_ratio "$bench_ours_ms" "$bench_anchor_ms")
    ratios+=("$ratio")
    script=()
    for _ in 1 2 3 4 5; do script+=("$(bench_ms sh "$work/equivalent.sh" "$file" "$work/pw")"); done
    printf '  %-12s %14s %12s %7s× %18s\n' "$kind" "$bench_ours_ms" "$bench_anchor_ms" "$ratio" "$(bench_median "${script[@]}")"
done
bench_verdict "check --pfx / openssl pkcs12 -info (worst file)" "$(printf '%s\n' "${ratios[@]}" | sort -g | tail -n 1)" "$bar" "×"
bench_finish
