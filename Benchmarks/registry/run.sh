#!/bin/sh
# Benchmark of the WindowsRegistry Wine hive codec on a ~40 MB system.reg made from real Wine content.
# Usage: Benchmarks/registry/run.sh [WINEPREFIX-with-a-system.reg]
# Needs: swift, python3, /usr/bin/time (package "time"), wine + wine64 (for the wine reg query baseline).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
scratch="$repo/.build-release-registry"
mkdir -p "$scratch"
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" LANG=C.UTF-8
unset DISPLAY || true

prefix=${1:-$scratch/prefix}
if [ ! -f "$prefix/system.reg" ]; then
    echo "creating a Wine prefix in $prefix (about 11 s)"
    WINEPREFIX="$prefix" wineboot -i >/dev/null 2>&1
    WINEPREFIX="$prefix" wineserver -w
fi

big="$scratch/system-40mb.reg"
python3 "$here/scale_hive.py" "$prefix/system.reg" "$big" 40000000
echo "input: $(wc -c < "$big") bytes, $(wc -l < "$big") lines"

echo "release build of the codec + driver"
swiftc -O -module-name WindowsRegistryBenchmark -o "$scratch/registry-bench" \
    "$repo"/Sources/WindowsRegistry/*.swift "$here/main.swift" 2>&1 | grep -v '^$' || true

measure() {
    label=$1; shift
    /usr/bin/time -f "$label: %e s wall, %M KB peak RSS" "$@" > "$scratch/out.txt" 2> "$scratch/time.txt" || true
    tail -n 1 "$scratch/time.txt"
}
key='HKLM\Software\Microsoft\Windows NT\CurrentVersion'
measure "wc -l" wc -l "$big"
measure "python naive parser" python3 "$here/naive_parser.py" "$big"
measure "swift full parse" "$scratch/registry-bench" parse "$big"
cat "$scratch/out.txt"
mkdir -p "$scratch/bench-prefix"
ln -f "$big" "$scratch/bench-prefix/system.reg"
measure "swift query process" "$scratch/registry-bench" query "$scratch/bench-prefix" "$key"
head -n 3 "$scratch/out.txt"
measure "swift parse+modify+write" "$scratch/registry-bench" write "$big"
cmp -s "$big" "$big.out" && echo "write: unexpected identical file" || echo "write: $(wc -c < "$big.out") bytes written"
# `wine reg query`, cold, first on the prefix as Wine made it, then with the same 40 MB system.reg
# (the original is put back afterwards).
WINEPREFIX="$prefix" wineserver -w
measure "wine reg query, original prefix (cold)" env WINEPREFIX="$prefix" wine reg query "$key"
WINEPREFIX="$prefix" wineserver -w
cp "$prefix/system.reg" "$scratch/system.reg.orig"
cp "$big" "$prefix/system.reg"
measure "wine reg query, 40 MB system.reg (cold)" env WINEPREFIX="$prefix" wine reg query "$key"
WINEPREFIX="$prefix" wineserver -k || true
WINEPREFIX="$prefix" wineserver -w
cp "$scratch/system.reg.orig" "$prefix/system.reg"
rm -f "$big.out" "$scratch/system.reg.orig"
