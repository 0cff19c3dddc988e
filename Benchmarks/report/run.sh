#!/usr/bin/env bash
# `certdoctor report render` (release build: schema validation, then the XSLT to HTML) on saved reports of
# 1,000, 10,000 and 100,000 checks made from a real one by scale_report.py, each paired run by run with
# `xsltproc` applying the same stylesheet to the same file: what a person would run instead, on the same
# libxslt and libxml2.
#
# Bars: 10,000 checks in at most 2 s; ten times the checks at most eleven times as long; and certdoctor adds no
# growth of its own to the library's: its time over xsltproc's may grow by at most 10% from 10,000 to 100,000
# checks. The last bar is the one certdoctor answers for above 10,000 checks: xsltproc alone takes 12–14 times
# as long for 100,000 checks as for 10,000 on Debian 12 — in user time libxml2 2.9.14's string dictionary, which
# stops growing its table at 16,384 buckets while every check's id enters it (the page's id attributes), in
# system time the first touch of the 2 GB the source and result trees take — so the plain ratio is printed
# there with xsltproc's beside it. Fails when a bar is missed.
#   Benchmarks/report/run.sh [RUNS]   (default 3 paired runs per size; the medians count)
set -euo pipefail
cd "$(dirname "$0")/../.."
. Benchmarks/lib.sh
runs=${1:-3}
command -v xsltproc >/dev/null || { echo "xsltproc is missing: scripts/bootstrap.sh --benchmarks installs it" >&2; exit 1; }
bench_build_release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '123456\n' >"$work/pw"
mkdir -p "$work/cert"
cp "Tests/Fixtures/pfx/good-3des/F000504Y0007#0.pfx" "$work/cert/"
CERTDOCTOR_PLUGIN_PATH= "$bench_certdoctor" check --pfx "$work/cert/F000504Y0007#0.pfx" --password-file "$work/pw" \
    --only certificate,host --format xml >"$work/seed.xml" || true
stylesheet=Sources/Reporting/Resources/certdoctor-report.xsl

echo "report render --html vs xsltproc, median of $runs paired runs ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
printf '  %7s %15s %13s %10s  %s\n' checks "certdoctor ms" "xsltproc ms" "cd/xslt" "XML bytes"
declare -A ms anchor
for count in 1000 10000 100000; do
    python3 Benchmarks/report/scale_report.py "$work/seed.xml" "$count" "$work/report-$count.xml"
    render="'$bench_certdoctor' report render '$work/report-$count.xml' --html '$work/report-$count.html' --lang en"
    eval "$render" >"$work/render.log" 2>&1 || { echo "render of $count checks failed:" >&2; cat "$work/render.log" >&2; exit 1; }
    sections=$(grep -o 'class="check o-' "$work/report-$count.html" | wc -l)
    [ "$sections" -eq "$count" ] || { echo "the page of $count checks shows $sections" >&2; exit 1; }
    xslt="xsltproc --nonet --stringparam lang en -o '$work/xsltproc-$count.html' '$stylesheet' '$work/report-$count.xml'"
    eval "$xslt" >/dev/null 2>&1
    # The same page both ways: the anchor does the same work.
    cmp -s "$work/report-$count.html" "$work/xsltproc-$count.html" \
        || { echo "xsltproc's page of $count checks differs from certdoctor's" >&2; exit 1; }
    bench_paired "$runs" "$render" "$xslt"
    ms[$count]=$bench_ours_ms
    anchor[$count]=$bench_anchor_ms
    printf '  %7d %15s %13s %9s×  %s\n' "$count" "${ms[$count]}" "${anchor[$count]}" \
        "$(bench_ratio "${ms[$count]}" "${anchor[$count]}")" "$(wc -c <"$work/report-$count.xml")"
done
echo "  100,000 / 10,000 checks: certdoctor $(bench_ratio "${ms[100000]}" "${ms[10000]}")×, xsltproc $(bench_ratio "${anchor[100000]}" "${anchor[10000]}")×"
bench_verdict "10,000 / 1,000 checks, time ratio" "$(bench_ratio "${ms[10000]}" "${ms[1000]}")" 11 "×"
growth=$(awk -v a="${ms[100000]}" -v b="${anchor[100000]}" -v c="${ms[10000]}" -v d="${anchor[10000]}" \
    'BEGIN { printf "%.2f", (a / b) / (c / d) }')
bench_verdict "certdoctor/xsltproc at 100,000 over at 10,000 checks" "$growth" 1.1 "×"
bench_verdict "10,000 checks" "$(awk -v m="${ms[10000]}" 'BEGIN { printf "%.3f", m / 1000 }')" 2 " s"
bench_finish
