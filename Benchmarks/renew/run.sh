#!/usr/bin/env bash
# Times a whole CMP renewal as a user runs it — process start, the gate (every check), RSA-2048 key generation,
# the key update exchange over HTTP with a local test CA that really signs, the new PFX, its verification,
# archive and rename — with a release build. The CA is the test CMP server of Tests/TestSupport, hosted by the
# (debug) test binary. Fails when the median run takes 1 s or more.
#   Benchmarks/renew/run.sh [RUNS]        (default 10)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-10}
limit_ms=1000

swift build -c release --product certdoctor --scratch-path .build-release-renew >/dev/null
swift build --build-tests >/dev/null
certdoctor=.build-release-renew/release/certdoctor
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

times=()
for run in $(seq 1 "$runs"); do
    cp "$work/original.pfx" "$pfx"
    rm -rf "$work/cert/archive" "$work/state"
    start=$(date +%s%N)
    XDG_STATE_HOME="$work/state" "$certdoctor" renew --pfx "$pfx" --password-file "$work/pw" --backend cmp \
        --ca-url "$url" --ca-cert "$work/ca.pem" --format json >"$work/run-$run.json" 2>"$work/run-$run.err" || {
        echo "run $run failed:" >&2; cat "$work/run-$run.err" >&2; exit 1; }
    end=$(date +%s%N)
    if cmp -s "$work/original.pfx" "$pfx"; then echo "run $run did not install a certificate" >&2; exit 1; fi
    times+=($(( (end - start) / 1000000 )))
done

sorted=($(printf '%s\n' "${times[@]}" | sort -n))
median=${sorted[$(( runs / 2 ))]}
echo "renew --backend cmp (gate + RSA-2048 key + KUR/certConf over HTTP + PFX + verification), $runs runs:"
echo "  min ${sorted[0]} ms, median $median ms, max ${sorted[$(( runs - 1 ))]} ms (limit $limit_ms ms)"
[ "$median" -lt "$limit_ms" ]
