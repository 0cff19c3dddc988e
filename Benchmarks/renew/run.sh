#!/usr/bin/env bash
# Times a whole CMP renewal as a user runs it — process start, the gate (every check), RSA-2048 key generation,
# the key update exchange over HTTP with a local test CA that really signs, the new PFX, its verification,
# archive and rename — with a release build. The CA is the test CMP server of Tests/TestSupport, hosted by the
# (debug) test binary. The anchor, timed alternately with it against the same CA, is what a person does with
# openssl: `openssl genpkey` (RSA-2048), `openssl cmp -cmd kur`, `openssl pkcs12 -export`. Prints the ratio of
# the medians and fails when it is over the bar (1.5×).
#   Benchmarks/renew/run.sh [RUNS]        (default 10)
set -euo pipefail
cd "$(dirname "$0")/../.."
. Benchmarks/lib.sh
runs=${1:-10}
bar=1.5

bench_build_release
swift build --build-tests >/dev/null
certdoctor=$bench_certdoctor
tests=.build/debug/certdoctorPackageTests.xctest
if ! "$certdoctor" renew --help >/dev/null 2>&1; then
    echo "certdoctor has no 'renew' subcommand: add RenewCommand.self to CertDoctor's subcommands" >&2
    exit 1
fi

work=$(mktemp -d)
ca_pid=
cleanup() {
    touch "$work/stop"
    if [ -n "$ca_pid" ]; then wait "$ca_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

CERTDOCTOR_RENEWAL_BENCHMARK_DIR=$work "$tests" --testing-library swift-testing \
    --filter BenchmarkCertificateAuthority/serveForBenchmark >"$work/ca.log" 2>&1 &
ca_pid=$!
for _ in $(seq 1 200); do
    [ -s "$work/url" ] && break
    sleep 0.05
done
[ -s "$work/url" ] || { echo "the test CA did not start:" >&2; cat "$work/ca.log" >&2; exit 1; }
url=$(cat "$work/url")
pfx="$work/cert/F000504Y0007#0.pfx"

# The anchor's inputs, taken out of the PFX once (not timed): the old certificate and key.
openssl pkcs12 -in "$work/original.pfx" -passin "file:$work/pw" -nokeys -clcerts -out "$work/old.crt" 2>/dev/null \
    || openssl pkcs12 -legacy -in "$work/original.pfx" -passin "file:$work/pw" -nokeys -clcerts -out "$work/old.crt"
openssl pkcs12 -in "$work/original.pfx" -passin "file:$work/pw" -nocerts -nodes -out "$work/old.key" 2>/dev/null \
    || openssl pkcs12 -legacy -in "$work/original.pfx" -passin "file:$work/pw" -nocerts -nodes -out "$work/old.key"
anchor() {
    rm -f "$work/new.key" "$work/new.crt" "$work/new.pfx"
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/new.key" 2>/dev/null &&
    openssl cmp -cmd kur -server "$url" -trusted "$work/ca.pem" -cert "$work/old.crt" -key "$work/old.key" \
        -newkey "$work/new.key" -certout "$work/new.crt" >"$work/anchor.log" 2>&1 &&
    openssl pkcs12 -export -in "$work/new.crt" -inkey "$work/new.key" -passout "file:$work/pw" -out "$work/new.pfx"
}
anchor || { echo "the openssl anchor failed against the test CA:" >&2; cat "$work/anchor.log" >&2; exit 1; }

run=0
reset() {
    cp "$work/original.pfx" "$pfx"
    rm -rf "$work/cert/archive" "$work/state"
}
ours() {
    run=$((run + 1))
    XDG_STATE_HOME="$work/state" "$certdoctor" renew --pfx "$pfx" --password-file "$work/pw" --backend cmp \
        --ca-url "$url" --ca-cert "$work/ca.pem" --format json >"$work/run.json" 2>"$work/run.err" || {
        echo "run $run failed:" >&2; cat "$work/run.err" >&2; return 1; }
    if cmp -s "$work/original.pfx" "$pfx"; then echo "run $run did not install a certificate" >&2; return 1; fi
}
ours_ms=() anchor_ms=()
for _ in $(seq 1 "$runs"); do
    # Putting the old PFX back is set-up, not renewal: not timed.
    reset
    start=$EPOCHREALTIME; ours || exit 1; end=$EPOCHREALTIME
    ours_ms+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", (b - a) * 1000 }')")
    start=$EPOCHREALTIME; anchor || exit 1; end=$EPOCHREALTIME
    anchor_ms+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", (b - a) * 1000 }')")
done
ours_median=$(bench_median "${ours_ms[@]}")
anchor_median=$(bench_median "${anchor_ms[@]}")
echo "renew --backend cmp (gate + RSA-2048 key + KUR/certConf over HTTP + PFX + verification) vs"
echo "openssl genpkey + cmp -cmd kur + pkcs12 -export, median of $runs paired runs ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "  certdoctor $ours_median ms, openssl $anchor_median ms"
bench_verdict "renew --backend cmp / openssl genpkey+cmp kur+pkcs12 -export" "$(bench_ratio "$ours_median" "$anchor_median")" "$bar" "×"
bench_finish
