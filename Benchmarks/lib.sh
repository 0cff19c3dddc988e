# Shared by the Benchmarks/*/run.sh scripts (bash): the release build they all time, paired timing, medians,
# and the bar check. A benchmark compares certdoctor with an anchor measured in the same run, alternating the
# two run by run, so that the ratio holds on a loaded machine where the milliseconds do not.

# The release build the Debian package ships: static Swift standard library.
bench_release_scratch=.build-release
bench_build_release() {
    swift build -c release --static-swift-stdlib --product certdoctor --scratch-path "$bench_release_scratch" >&2
    bench_certdoctor="$PWD/$bench_release_scratch/release/certdoctor"
}

# bench_ms COMMAND…: wall milliseconds of one run (output discarded, exit status ignored).
bench_ms() {
    local start=$EPOCHREALTIME
    "$@" >/dev/null 2>&1 || true
    local end=$EPOCHREALTIME
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", (b - a) * 1000 }'
}

# bench_median NUMBER…: the median.
bench_median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench_ratio A B: A / B to two places.
bench_ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}

# bench_at_most VALUE LIMIT: true when VALUE ≤ LIMIT.
bench_at_most() {
    awk -v v="$1" -v l="$2" 'BEGIN { exit !(v <= l) }'
}

# bench_paired RUNS 'OURS' 'ANCHOR': runs both commands (shell words, eval'd) alternately RUNS times after one
# warm-up each; sets bench_ours_ms and bench_anchor_ms to the medians.
bench_paired() {
    local runs=$1 ours=$2 anchor=$3 i
    local -a a=() b=()
    eval "$ours" >/dev/null 2>&1 || true
    eval "$anchor" >/dev/null 2>&1 || true
    for ((i = 0; i < runs; i++)); do
        a+=("$(bench_ms eval "$ours")")
        b+=("$(bench_ms eval "$anchor")")
    done
    bench_ours_ms=$(bench_median "${a[@]}")
    bench_anchor_ms=$(bench_median "${b[@]}")
}

# bench_verdict NAME VALUE LIMIT UNIT: prints one result line and records a miss.
bench_misses=0
bench_verdict() {
    local name=$1 value=$2 limit=$3 unit=$4
    if bench_at_most "$value" "$limit"; then
        printf '  %-58s %8s%s  (bar ≤ %s%s)  pass\n' "$name" "$value" "$unit" "$limit" "$unit"
    else
        printf '  %-58s %8s%s  (bar ≤ %s%s)  MISS\n' "$name" "$value" "$unit" "$limit" "$unit"
        bench_misses=$((bench_misses + 1))
    fi
}

# bench_finish: the exit status of the benchmark, non-zero when a bar was missed.
bench_finish() {
    if [ "$bench_misses" -gt 0 ]; then
        echo "$bench_misses bar(s) missed" >&2
        return 1
    fi
    echo "every bar holds"
}
