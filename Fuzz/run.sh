#!/bin/sh
# Builds and runs the libFuzzer targets.
# Usage: Fuzz/run.sh [SECONDS-PER-TARGET] [TARGET…]
#   WindowsRegistry: WineHive RegFile PolicyFile      XMLSupport: SiteList      CertDoctorCore: PluginResult
#   SmartCard: TokenDatabase      SSCCProfile: Profile     Reporting: Report     WindowsTarget: EdgePreferences
# Each target is one binary: its module's Swift sources compiled together with the target file; a module's
# C shim is compiled first into an object with a module map, so that the Swift sources can import it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
scratch="$repo/.build-fuzz-registry"
seconds=${1:-600}
[ $# -gt 0 ] && shift
targets=${*:-WineHive RegFile PolicyFile SiteList PluginResult}
mkdir -p "$scratch"

quiet() { grep -v "ld.gold: warning: Cannot export local symbol" || true; }

# c_shim NAME HEADER-DIR CFLAGS…: compiles every .c file of Sources/NAME for the fuzzer into one object,
# $scratch/NAME/shims.o, and writes a module map for its header into $scratch/NAME/ (SwiftPM generates one for a
# C target; swiftc alone does not).
c_shim() {
    name=$1 include=$2; shift 2
    mkdir -p "$scratch/$name"
    for source in "$repo/Sources/$name"/*.c; do
        clang -fsanitize=fuzzer-no-link,address -O1 -g -I"$include" "$@" \
            -c "$source" -o "$scratch/$name/part-$(basename "$source" .c).o"
    done
    ld -r "$scratch/$name"/part-*.o -o "$scratch/$name/shims.o"
    rm -f "$scratch/$name"/part-*.o
    printf 'module %s {\n    header "%s/%s.h"\n    export *\n}\n' "$name" "$include" "$name" \
        > "$scratch/$name/module.modulemap"
}

# embedded_resources OUT FILE…: the PackageResources struct SwiftPM generates for `.embedInCode` resources (one
# byte array per file, named after it with . and - as _), for a module built here without SwiftPM.
embedded_resources() {
    out=$1; shift
    {
        echo "struct PackageResources {"
        for file in "$@"; do
            printf '    static let %s: [UInt8] = [' "$(basename "$file" | tr '.-' '__')"
            od -An -v -tu1 "$file" | tr -s ' \n' ',,' | sed 's/^,//; s/,$//'
            echo "]"
        done
        echo "}"
    } > "$out"
}

# The Swift 6 language mode, as in the package (CertDoctorCore uses bare regex literals).
build() {
    target=$1 binary=$2
    case $target in
    WineHive | RegFile | PolicyFile)
        swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name WindowsRegistryFuzz \
            "$repo"/Sources/WindowsRegistry/*.swift "$here/${target}FuzzTarget.swift" -o "$binary" 2>&1 | quiet
        ;;
    SiteList)
        xml_cflags=$(pkg-config --cflags libxml-2.0 libxslt)
        # shellcheck disable=SC2086
        c_shim CXMLShims "$repo/Sources/CXMLShims/include" $xml_cflags
        # shellcheck disable=SC2086
        swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name XMLSupportFuzz -swift-version 6 \
            -I "$repo/Sources/CLibXML2" -I "$repo/Sources/CLibXSLT" -I "$scratch/CXMLShims" \
            $(for flag in $xml_cflags; do printf -- '-Xcc %s ' "$flag"; done) \
            "$repo"/Sources/XMLSupport/*.swift "$here/${target}FuzzTarget.swift" "$scratch/CXMLShims/shims.o" \
            -lxml2 -lxslt -lexslt -o "$binary" 2>&1 | quiet
        ;;
    PluginResult)
        c_shim CSystemShims "$repo/Sources/CSystemShims/include"
        swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name CertDoctorCoreFuzz -swift-version 6 \
            -I "$scratch/CSystemShims" \
            "$repo"/Sources/CertDoctorCore/*.swift "$here/${target}FuzzTarget.swift" "$scratch/CSystemShims/shims.o" \
            -o "$binary" 2>&1 | quiet
        ;;
    TokenDatabase)
        # Only the database's files: the rest of SmartCard needs PC/SC, p11-kit and XMLSupport, which it does not use.
        swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name SmartCardFuzz -swift-version 6 \
            "$repo"/Sources/SmartCard/TokenDatabase.swift "$repo"/Sources/SmartCard/ATR.swift \
            "$repo"/Sources/SmartCard/USBDevices.swift "$here/${target}FuzzTarget.swift" -o "$binary" 2>&1 | quiet
        ;;
    Profile)
        # ProfileLoader and SSCCProfile import CertDoctorCore: it is built first as a module of its own
        # (one object and its .swiftmodule), then linked in; nothing else of the package is compiled.
        c_shim CSystemShims "$repo/Sources/CSystemShims/include"
        mkdir -p "$scratch/CertDoctorCoreModule"
        swiftc -sanitize=fuzzer,address -parse-as-library -O -wmo -module-name CertDoctorCore -swift-version 6 \
            -I "$scratch/CSystemShims" -emit-module -emit-module-path "$scratch/CertDoctorCoreModule/CertDoctorCore.swiftmodule" \
            -c "$repo"/Sources/CertDoctorCore/*.swift -o "$scratch/CertDoctorCoreModule/CertDoctorCore.o" 2>&1 | quiet
        swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name SSCCProfileFuzz -swift-version 6 \
            -I "$scratch/CertDoctorCoreModule" -I "$scratch/CSystemShims" \
            "$repo"/Sources/SSCCProfile/*.swift \
            "$here/${target}FuzzTarget.swift" "$scratch/CertDoctorCoreModule/CertDoctorCore.o" "$scratch/CSystemShims/shims.o" \
            -o "$binary" 2>&1 | quiet
        ;;
    Report)
        # Reporting imports CertDoctorCore and XMLSupport: both are built first as modules of their own.
        c_shim CSystemShims "$repo/Sources/CSystemShims/include"
        xml_cflags=$(pkg-config --cflags libxml-2.0 libxslt)
        # shellcheck disable=SC2086
        c_shim CXMLShims "$repo/Sources/CXMLShims/include" $xml_cflags
        xcc=$(for flag in $xml_cflags; do printf -- '-Xcc %s ' "$flag"; done)
        mkdir -p "$scratch/CertDoctorCoreModule" "$scratch/XMLSupportModule"
        swiftc -sanitize=fuzzer,address -parse-as-library -O -wmo -module-name CertDoctorCore -swift-version 6 \
            -I "$scratch/CSystemShims" -emit-module -emit-module-path "$scratch/CertDoctorCoreModule/CertDoctorCore.swiftmodule" \
            -c "$repo"/Sources/CertDoctorCore/*.swift -o "$scratch/CertDoctorCoreModule/CertDoctorCore.o" 2>&1 | quiet
        # shellcheck disable=SC2086
        swiftc -sanitize=fuzzer,address -parse-as-library -O -wmo -module-name XMLSupport -swift-version 6 \
            -I "$repo/Sources/CLibXML2" -I "$repo/Sources/CLibXSLT" -I "$scratch/CXMLShims" $xcc \
            -emit-module -emit-module-path "$scratch/XMLSupportModule/XMLSupport.swiftmodule" \
            -c "$repo"/Sources/XMLSupport/*.swift -o "$scratch/XMLSupportModule/XMLSupport.o" 2>&1 | quiet
        embedded_resources "$scratch/ReportingResources.swift" "$repo"/Sources/Reporting/Resources/*
        # shellcheck disable=SC2086
        swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name ReportingFuzz -swift-version 6 \
            -I "$scratch/CertDoctorCoreModule" -I "$scratch/CSystemShims" -I "$scratch/XMLSupportModule" \
            -I "$repo/Sources/CLibXML2" -I "$repo/Sources/CLibXSLT" -I "$scratch/CXMLShims" $xcc \
            "$repo"/Sources/Reporting/*.swift "$scratch/ReportingResources.swift" "$here/${target}FuzzTarget.swift" \
            "$scratch/CertDoctorCoreModule/CertDoctorCore.o" "$scratch/CSystemShims/shims.o" \
            "$scratch/XMLSupportModule/XMLSupport.o" "$scratch/CXMLShims/shims.o" -lxml2 -lxslt -lexslt -o "$binary" 2>&1 | quiet
        ;;
    EdgePreferences)
        # Only the Preferences reader: it imports Foundation alone, so that it compiles here as it is.
        swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name WindowsTargetFuzz -swift-version 6 \
            "$repo"/Sources/WindowsTarget/EdgePreferences.swift "$here/${target}FuzzTarget.swift" -o "$binary" 2>&1 | quiet
        ;;
    *)
        echo "unknown target $target" >&2
        exit 64
        ;;
    esac
    [ -x "$binary" ] || { echo "$target: build failed" >&2; exit 1; }
}

for target in $targets; do
    binary="$scratch/$target-fuzzer"
    rm -f "$binary"
    build "$target" "$binary"
    # The Swift backtracer trips ASan while it reads the crashed process; libFuzzer reports instead.
    export SWIFT_BACKTRACE=enable=no
    corpus="$scratch/corpus-$target"
    mkdir -p "$corpus"
    cp "$here"/seeds/"$target"/* "$corpus"/ 2>/dev/null || true
    set --
    [ -f "$here/dicts/$target.dict" ] && set -- -dict="$here/dicts/$target.dict"
    echo "fuzzing $target for $seconds s"
    (cd "$scratch" && "$binary" "$@" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$scratch/$target-" "$corpus") > "$scratch/$target.log" 2>&1 \
        && echo "$target: no crash ($(grep -c '' "$scratch/$target.log") log lines)" \
        || { echo "$target: FAILED, see $scratch/$target.log"; tail -n 30 "$scratch/$target.log"; }
done
