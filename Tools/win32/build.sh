#!/bin/sh
# Builds certstore.exe (the Personal-store importer run under Wine) with mingw-w64:
#   apt-get install gcc-mingw-w64-x86-64-win32
# Usage: Tools/win32/build.sh [OUTPUT]   (default: Tools/win32/certstore.exe)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/certstore.exe"}
x86_64-w64-mingw32-gcc -O2 -s -Wall -Wextra -Werror -municode -o "$out" "$here/certstore.c" -lcrypt32
