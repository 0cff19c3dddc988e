#!/bin/sh
# Renders a generated report of 1,000 checks (XML with schema validation, then HTML) in a
# release build and fails when that takes a second or more; then times headless Chromium
# laying the page out. Run from anywhere: sh Benchmarks/report-render.sh
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$root"
CERTDOCTOR_BENCHMARK_OUTPUT="$out" swift test -c release --scratch-path .build-release-xml \
    --filter ReportingTests.LargeReportTests >"$out/test.log" 2>&1 || { cat "$out/test.log"; exit 1; }
cat "$out/timings.txt"
total=$(awk '$1 == "total" { print $2 }' "$out/timings.txt")
if [ -x /usr/bin/chromium ]; then
    start=$(date +%s.%N)
    chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$out/profile" \
        --dump-dom "file://$out/report-1000.html" >"$out/dom.html" 2>/dev/null
    end=$(date +%s.%N)
    echo "chromium-dump-dom $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f", b - a }')"
    grep -o 'data-check="generated.check-999"' "$out/dom.html" >/dev/null
fi
if ! awk -v t="$total" 'BEGIN { exit !(t < 1.0) }'; then
    echo "FAIL: rendering 1,000 checks took ${total}s (budget 1s)" >&2
    exit 1
fi
echo "OK: 1,000 checks rendered in ${total}s (budget 1s)"
