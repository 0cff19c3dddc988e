#!/bin/sh
# Builds and runs the libFuzzer targets of the WindowsRegistry parsers.
# Usage: Fuzz/run.sh [SECONDS-PER-TARGET] [TARGET…]   (targets: WineHive RegFile PolicyFile)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
scratch="$repo/.build-fuzz-registry"
seconds=${1:-600}
[ $# -gt 0 ] && shift
targets=${*:-WineHive RegFile PolicyFile}
mkdir -p "$scratch"
for target in $targets; do
    binary="$scratch/$target-fuzzer"
    swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name WindowsRegistryFuzz \
        "$repo"/Sources/WindowsRegistry/*.swift "$here/${target}FuzzTarget.swift" -o "$binary" 2>&1 \
        | grep -v "ld.gold: warning: Cannot export local symbol" || true
    # The Swift backtracer trips ASan while it reads the crashed process; libFuzzer reports instead.
    export SWIFT_BACKTRACE=enable=no
    corpus="$scratch/corpus-$target"
    mkdir -p "$corpus"
    cp "$here"/seeds/"$target"/* "$corpus"/ 2>/dev/null || true
    echo "fuzzing $target for $seconds s"
    (cd "$scratch" && "$binary" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$scratch/$target-" "$corpus") > "$scratch/$target.log" 2>&1 \
        && echo "$target: no crash ($(grep -c '' "$scratch/$target.log") log lines)" \
        || { echo "$target: FAILED, see $scratch/$target.log"; tail -n 30 "$scratch/$target.log"; }
done
