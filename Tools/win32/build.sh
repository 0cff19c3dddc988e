#!/bin/sh
# Builds the Win32 helpers run under Wine with mingw-w64:
#   certstore.exe  (32-bit Personal-store importer)     gcc-mingw-w64-i686-win32
#   zoneprobe32.exe, zoneprobe64.exe (urlmon zone probe; 32-bit because the SSCC controls run in 32-bit IE)
#                                                       gcc-mingw-w64-i686-win32, gcc-mingw-w64-x86-64-win32
# Usage: Tools/win32/build.sh [certstore|zoneprobe|all] [OUTPUT-DIRECTORY]   (default: all, Tools/win32)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
what=${1:-all}
out=${2:-"$here"}
flags="-O2 -s -Wall -Wextra -Werror -municode"
case $what in
certstore|all)
    # 32-bit, like the portal's controls: Debian's `wine` is the 32-bit loader once wine32 is installed (which
    # those controls need), and the Current User store it writes is shared by both views.
    i686-w64-mingw32-gcc $flags -o "$out/certstore.exe" "$here/certstore.c" -lcrypt32 ;;
esac
case $what in
zoneprobe|all)
    i686-w64-mingw32-gcc $flags -o "$out/zoneprobe32.exe" "$here/zoneprobe.c" -lurlmon -lole32 -luuid
    x86_64-w64-mingw32-gcc $flags -o "$out/zoneprobe64.exe" "$here/zoneprobe.c" -lurlmon -lole32 -luuid ;;
esac
