#!/usr/bin/env bash
# `certdoctor report render` (release build: schema validation, then the XSLT to HTML) on saved reports of
# 1,000, 10,000 and 100,000 checks made from a real one by scale_report.py. Linear is the bar: ten times the
# checks may take at most eleven times as long, and 10,000 checks at most 2 s. Fails when one is missed.
#   Benchmarks/report/run.sh [RUNS]   (default 5 runs per size; the median counts)
set -euo pipefail
cd "$(dirname "$0")/../.."
. Benchmarks/lib.sh
runs=${1:-5}
bench_build_release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '123456\n' >"$work/pw"
mkdir -p "$work/cert"
cp "Tests/Fixtures/pfx/good-3des/F000504Y0007#0.pfx" "$work/cert/"
CERTDOCTOR_PLUGIN_PATH= "$bench_certdoctor" check --pfx "$work/cert/F000504Y0007#0.pfx" --password-file "$work/pw" \
    --only certificate,host --format xml >"$work/seed.xml" || true

echo "report render --html, median of $runs runs ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
declare -A ms
for count in 1000 10000 100000; do
    python3 Benchmarks/report/scale_report.py "$work/seed.xml" "$count" "$work/report-$count.xml"
    render="'$bench_certdoctor' report render '$work/report-$count.xml' --html '$work/report-$count.html'"
    eval "$render" >"$work/render.log" 2>&1 || { echo "render of $count checks failed:" >&2; cat "$work/render.log" >&2; exit 1; }
    sections=$(grep -o 'class="check o-' "$work/report-$count.html" | wc -l)
    [ "$sections" -eq "$count" ] || { echo "the page of $count checks shows $sections" >&2; exit 1; }
    times=()
    for _ in $(seq 1 "$runs"); do times+=("$(bench_ms eval "$render")"); done
    ms[$count]=$(bench_median "${times[@]}")
    printf '  %7d checks: %10s ms  (%s bytes of XML)\n' "$count" "${ms[$count]}" "$(wc -c <"$work/report-$count.xml")"
done
bench_verdict "10,000 / 1,000 checks, time ratio" "$(bench_ratio "${ms[10000]}" "${ms[1000]}")" 11 "×"
bench_verdict "100,000 / 10,000 checks, time ratio" "$(bench_ratio "${ms[100000]}" "${ms[10000]}")" 11 "×"
bench_verdict "10,000 checks" "$(awk -v m="${ms[10000]}" 'BEGIN { printf "%.3f", m / 1000 }')" 2 " s"
bench_finish
