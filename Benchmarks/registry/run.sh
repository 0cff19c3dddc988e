#!/usr/bin/env bash
# The Windows side on a Wine prefix whose user.reg is scaled to about 40 MB (scale_hive.py, from a prefix Wine
# made), release build, against anchors measured alternately in the same run:
#   check --wine-prefix + --pfx        ≤ 5× `grep -c -F` of the hive, and ≤ 0.2 s
#   fix --wine-prefix --yes            ≤ 1.5× that check, peak RSS ≤ 2× the hive
#   registry query, key present/absent ≤ 5× `grep -c -F` of the hive
# Fails when a bar is missed. The fix skips store.personal-cert, whose fix imports the PFX with a Win32 helper
# under Wine (seconds of Wine start-up that are not certdoctor's); its check still runs.
# Usage: Benchmarks/registry/run.sh [RUNS] [WINEPREFIX-made-by-wine]   (default 5 paired runs)
# Needs: python3, /usr/bin/time (package "time"), wine (only to make the source prefix once).
set -euo pipefail
cd "$(dirname "$0")/../.."
. Benchmarks/lib.sh
runs=${1:-5}
scratch=.build-release-registry
source_prefix=${2:-$scratch/prefix}
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" LANG=C.UTF-8
unset DISPLAY || true
mkdir -p "$scratch"
if [ ! -f "$source_prefix/user.reg" ]; then
    echo "creating a Wine prefix in $source_prefix (about 11 s)" >&2
    WINEPREFIX="$PWD/$source_prefix" wineboot -i >/dev/null 2>&1
    WINEPREFIX="$PWD/$source_prefix" wineserver -w
fi

bench_build_release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
mkdir -p "$prefix" "$work/pristine" "$work/cert"
cp "$source_prefix/system.reg" "$source_prefix/userdef.reg" "$work/pristine/"
python3 Benchmarks/registry/scale_hive.py "$source_prefix/user.reg" "$work/pristine/user.reg" 40000000
hive="$prefix/user.reg"
# New files, as Wine leaves its hives (it replaces them by rename): `cp` over the fixed hive would write into the
# inode the last fix's journal entry keeps as its record of what it wrote, and the next fix would then copy its
# backup instead of keeping the original's inode.
reset_prefix() { rm -f "$prefix/"*.reg; cp "$work/pristine/"*.reg "$prefix/"; }
reset_prefix
printf '123456\n' >"$work/pw"
cp "Tests/Fixtures/pfx/good-3des/F000504Y0007#0.pfx" "$work/cert/"
pfx="$work/cert/F000504Y0007#0.pfx"
hive_bytes=$(wc -c <"$hive")
echo "input: user.reg of $hive_bytes bytes, $(wc -l <"$hive") lines; median of $runs paired runs ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"

q() { printf "'%s'" "$1"; }
cd_=$(q "$bench_certdoctor")
# grep stops at the first match when its output is /dev/null: the count goes to a file, so it reads the hive.
grep_hit="grep -c -F 'Control Panel\\\\Desktop' $(q "$hive") >$(q "$work/count")"
grep_miss="grep -c -F 'CertDoctorBenchmark\\\\Missing' $(q "$hive") >$(q "$work/count")"

# registry query, a key that is there and one that is not.
bench_paired "$runs" "$cd_ registry query --wine-prefix $(q "$prefix") 'HKCU\\Control Panel\\Desktop'" "$grep_hit"
printf '  query (present): %s ms, grep -c -F %s ms\n' "$bench_ours_ms" "$bench_anchor_ms"
bench_verdict "registry query, key present / grep -c -F" "$(bench_ratio "$bench_ours_ms" "$bench_anchor_ms")" 5 "×"
bench_paired "$runs" "$cd_ registry query --wine-prefix $(q "$prefix") 'HKCU\\Software\\CertDoctorBenchmark\\Missing'" "$grep_miss"
printf '  query (absent): %s ms, grep -c -F %s ms\n' "$bench_ours_ms" "$bench_anchor_ms"
bench_verdict "registry query, key absent / grep -c -F" "$(bench_ratio "$bench_ours_ms" "$bench_anchor_ms")" 5 "×"

# check: the Windows side and the file certificate.
check="CERTDOCTOR_PLUGIN_PATH= $cd_ check --wine-prefix $(q "$prefix") --pfx $(q "$pfx") --password-file $(q "$work/pw") --format json"
eval "$check" >"$work/check.json" 2>"$work/check.err" || true
grep -q '"browser.trusted-site"' "$work/check.json" || { echo "check did not run the Windows side:" >&2; cat "$work/check.err" >&2; exit 1; }
bench_paired "$runs" "$check" "$grep_hit"
check_ms=$bench_ours_ms
printf '  check: %s ms, grep -c -F %s ms\n' "$check_ms" "$bench_anchor_ms"
bench_verdict "check --wine-prefix --pfx / grep -c -F" "$(bench_ratio "$check_ms" "$bench_anchor_ms")" 5 "×"
bench_verdict "check --wine-prefix --pfx" "$(awk -v m="$check_ms" 'BEGIN { printf "%.3f", m / 1000 }')" 0.2 " s"

# fix: the same run with its fixes applied; the prefix is put back (untimed) before every run.
fix="CERTDOCTOR_PLUGIN_PATH= XDG_STATE_HOME=$(q "$work/state") $cd_ fix --yes --wine-prefix $(q "$prefix") --pfx $(q "$pfx") --password-file $(q "$work/pw") --skip store.personal-cert --format json"
# A fix checks, then writes the hive durably: a durable copy of the hive (dd with fsync, into the same
# directory) is timed beside them, to show what the writing alone costs on this disk. Printed, not barred.
durable_copy="dd if=$(q "$hive") of=$(q "$prefix/.durable-copy") bs=4M conv=fsync status=none"
fix_ms=() paired_check_ms=() copy_ms=()
for _ in $(seq 1 "$runs"); do
    reset_prefix
    fix_ms+=("$(bench_ms eval "$fix")")
    cmp -s "$work/pristine/user.reg" "$hive" && { echo "fix changed nothing in user.reg" >&2; exit 1; }
    reset_prefix
    paired_check_ms+=("$(bench_ms eval "$check")")
    copy_ms+=("$(bench_ms eval "$durable_copy")")
    rm -f "$prefix/.durable-copy"
done
reset_prefix
/usr/bin/time -f '%M' -o "$work/rss" bash -c "$fix" >/dev/null 2>&1 || true
peak_kib=$(tail -n 1 "$work/rss")
fix_median=$(bench_median "${fix_ms[@]}")
check_median=$(bench_median "${paired_check_ms[@]}")
copy_median=$(bench_median "${copy_ms[@]}")
printf '  fix: %s ms, check %s ms; fix peak RSS %s KiB\n' "$fix_median" "$check_median" "$peak_kib"
printf '  durable copy of the hive (dd conv=fsync): %s ms, %s× the check\n' "$copy_median" "$(bench_ratio "$copy_median" "$check_median")"
# What the fix adds to its check (the write, its sync, the journal, the second check) against that copy alone.
printf '  fix beyond its check: %s ms, %s× the durable copy (printed, not barred)\n' \
    "$(awk -v f="$fix_median" -v c="$check_median" 'BEGIN { printf "%.2f", f - c }')" \
    "$(awk -v f="$fix_median" -v c="$check_median" -v d="$copy_median" 'BEGIN { printf "%.2f", (f - c) / d }')"
bench_verdict "fix --wine-prefix / check" "$(bench_ratio "$fix_median" "$check_median")" 1.5 "×"
bench_verdict "fix peak RSS / hive size" "$(awk -v k="$peak_kib" -v b="$hive_bytes" 'BEGIN { printf "%.2f", k * 1024 / b }')" 2 "×"
bench_finish
