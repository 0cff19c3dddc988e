#!/usr/bin/env bash
# Builds certdoctor_<version>_amd64.deb with dpkg-deb:
#   /usr/bin/certdoctor                  release build, Swift standard library linked in (--static-swift-stdlib)
#   /usr/share/certdoctor/               profiles, manifests and their schema, the example plugin, report schemas
#   /usr/lib/certdoctor/certstore.exe    the Win32 store helper, prebuilt with mingw-w64 (not needed at run time)
#   /usr/share/man/man1/                 a page per command, from swift-argument-parser's generate-manual plugin
#   bash, zsh and fish completions       in Debian's vendor directories
# Depends is computed by dpkg-shlibdeps from the executable's shared libraries. The build fails if anything
# of the Swift toolchain is still needed at run time.
# Usage: scripts/package.sh [OUTPUT-DIRECTORY]   (default: the tree's root); prints the package's path.
# Needs: swift, git, dpkg-dev, binutils, gcc-mingw-w64-i686-win32 (scripts/bootstrap.sh --tests installs them).
set -euo pipefail
output=$(realpath "${1:-$(dirname "$0")/..}")
cd "$(dirname "$0")/.."
# Standard output carries only the package's path, for callers; everything else goes to standard error.
exec 3>&1 1>&2
scratch=.build-release
toolchain=$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")

fail() { echo "package.sh: $*" >&2; exit 1; }
for tool in swift dpkg-deb dpkg-shlibdeps i686-w64-mingw32-gcc git strip objcopy gzip readelf; do
    command -v "$tool" >/dev/null || fail "$tool is missing (scripts/bootstrap.sh --tests installs it)"
done

# --disable-local-rpath: no $ORIGIN RUNPATH, which a Debian binary must not have. -z now: symbols bound at
# start-up, so that the relocation table can be read-only (lintian's hardening-no-bindnow).
build_flags=(-c release --static-swift-stdlib --disable-local-rpath -Xlinker -z -Xlinker now --scratch-path "$scratch"
    --product certdoctor)
swift build "${build_flags[@]}"
binary=$(swift build "${build_flags[@]}" --show-bin-path)/certdoctor

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
package=$stage/certdoctor
install -d -m 0755 "$package/DEBIAN" "$package/usr/bin" "$package/usr/lib/certdoctor" \
    "$package/usr/share/certdoctor" "$package/usr/share/doc/certdoctor" "$package/usr/share/man/man1" \
    "$package/usr/share/bash-completion/completions" "$package/usr/share/zsh/vendor-completions" \
    "$package/usr/share/fish/vendor_completions.d"

# The executable, without its symbol table and debug information (Debian ships those apart, if at all).
install -m 0755 "$binary" "$package/usr/bin/certdoctor"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$package/usr/bin/certdoctor"

# The commit, written into the section CSystemShims keeps for it (`certdoctor --version` prints it): no
# generated file in the tree, and no rebuild for a new commit. A tree with uncommitted changes says so.
commit=$(git rev-parse --short=12 HEAD)
[ -z "$(git status --porcelain --untracked-files=no)" ] || commit="$commit-dirty"
printf '%s' "$commit" >"$stage/commit"
truncate -s 64 "$stage/commit"
objcopy --update-section ".certdoctor_commit=$stage/commit" "$package/usr/bin/certdoctor"
# (Captured first: `ldd | grep -q` under pipefail can fail by SIGPIPE and hide a match.)
libraries=$(ldd "$package/usr/bin/certdoctor")
if grep -qE "$toolchain|not found" <<<"$libraries"; then
    echo "$libraries" >&2
    fail "the executable loads libraries from the Swift toolchain ($toolchain) or misses some"
fi
dynamic=$(readelf -d "$package/usr/bin/certdoctor")
if grep -qE 'RUNPATH|RPATH' <<<"$dynamic"; then
    grep -E 'RUNPATH|RPATH' <<<"$dynamic" >&2
    fail "the executable has a library search path; a Debian binary needs none"
fi
about=$("$package/usr/bin/certdoctor" --version)
version=$(sed -n '1s/^certdoctor //p' <<<"$about")
[ -n "$version" ] || fail "certdoctor --version did not say its version"
grep -qx "commit $commit" <<<"$about" || fail "certdoctor --version does not say commit $commit: $about"
changelog_version=$(sed -n '1s/^certdoctor (\([^)]*\)).*/\1/p' packaging/debian/changelog)
[ "$version" = "$changelog_version" ] \
    || fail "the program says $version, packaging/debian/changelog's latest entry $changelog_version: add an entry"

# Data: what DataDirectory reads (Checks/) and the report schemas (XML, JSON) and stylesheet people use.
# The Reports/ scripts and fleet files are for building and deploying, not for running certdoctor.
cp -R Checks "$package/usr/share/certdoctor/Checks"
# The manifest and plugin READMEs are documentation, which Debian keeps in /usr/share/doc.
for part in manifests plugins; do
    install -d -m 0755 "$package/usr/share/doc/certdoctor/$part"
    gzip -9n <"Checks/$part/README.md" >"$package/usr/share/doc/certdoctor/$part/README.md.gz"
    rm "$package/usr/share/certdoctor/Checks/$part/README.md"
done
install -d -m 0755 "$package/usr/share/certdoctor/Reports"
install -m 0644 Reports/certdoctor-report.xsd Reports/certdoctor-report.xsl Reports/certdoctor-report.schema.json \
    Reports/junit.xsd "$package/usr/share/certdoctor/Reports/"

# The Win32 helper certdoctor runs under Wine to import a PFX: built here, so hosts need no mingw-w64. Wine
# reads it; it is data to Linux, so it is not marked executable.
Tools/win32/build.sh certstore "$package/usr/lib/certdoctor"
chmod 0644 "$package/usr/lib/certdoctor/certstore.exe"

# Manual pages: swift-argument-parser's plugin builds the package (debug: the tests' build, already there
# in CI) and runs generate-manual on it, dated by the changelog so that a rebuild gives the same pages. Its
# `certdoctor.check.1` become `certdoctor-check.1`, as git names its pages, so that `man certdoctor-check`
# finds them; titles (.Dt) and cross-references (.Xr) follow.
release_date=$(date -u -d "$(dpkg-parsechangelog -l packaging/debian/changelog -S Date)" +%F)
pages=.build/plugins/GenerateManual/outputs/certdoctor
rm -rf "$pages"  # no page of a command that no longer exists
env LANG=C.UTF-8 LC_ALL=C.UTF-8 swift package plugin generate-manual --configuration debug --multi-page \
    --date "$release_date" --authors "certdoctor maintainers"
[ -f "$pages/certdoctor.1" ] || fail "generate-manual wrote no certdoctor.1 into $pages"
for page in "$pages"/*.1; do
    name=$(basename "$page" .1)
    dashed=${name//./-}
    # NAME says the page's name (certdoctor-check), which whatis and lintian read; SYNOPSIS keeps the command
    # as it is typed (certdoctor check). An empty line in mdoc is a groff warning (lintian's groff-message); a
    # paragraph break is `.Pp`.
    awk -v dashed="$dashed" '
        $1 == ".Dt" || $1 == ".Xr" { gsub(/\./, "-", $2) }
        $1 == ".Nm" && NF > 1 && !named { named = 1; typed = substr($0, 5); print ".Nm " dashed; next }
        $0 == ".Nm" && typed != "" { print ".Nm " typed; next }
        NF == 0 { print ".Pp"; next }
        { print }' "$page" >"$stage/$name.1"
    gzip -9n <"$stage/$name.1" >"$package/usr/share/man/man1/$dashed.1.gz"
done

# Completions, from the executable being packaged.
# bash sources its completions, so the generated #! line goes.
"$package/usr/bin/certdoctor" --generate-completion-script bash | sed '1{/^#!/d}' \
    >"$package/usr/share/bash-completion/completions/certdoctor"
"$package/usr/bin/certdoctor" --generate-completion-script zsh >"$package/usr/share/zsh/vendor-completions/_certdoctor"
"$package/usr/bin/certdoctor" --generate-completion-script fish >"$package/usr/share/fish/vendor_completions.d/certdoctor.fish"

# Documentation Debian requires: the copyright file and the changelog (a native package's is changelog.gz).
install -m 0644 packaging/debian/copyright "$package/usr/share/doc/certdoctor/copyright"
gzip -9n <packaging/debian/changelog >"$package/usr/share/doc/certdoctor/changelog.gz"
gzip -9n <README.md >"$package/usr/share/doc/certdoctor/README.md.gz"

# Permissions as Debian expects regardless of the umask and of how the tree was checked out.
find "$package" -type d -exec chmod 0755 {} +
find "$package/usr/share" -type f -exec chmod 0644 {} +
chmod 0755 "$package/usr/share/certdoctor/Checks/plugins/examples/free-space"

# Depends: the shared libraries the executable loads, as Debian 12's packages provide them.
mkdir -p "$stage/shlibs/debian"
printf 'Source: certdoctor\n\nPackage: certdoctor\nArchitecture: amd64\n' >"$stage/shlibs/debian/control"
depends=$(cd "$stage/shlibs" && dpkg-shlibdeps -O "$package/usr/bin/certdoctor" 2>"$stage/shlibdeps.log" | sed -n 's/^shlibs:Depends=//p')
cat "$stage/shlibdeps.log" >&2
[ -n "$depends" ] || fail "dpkg-shlibdeps found no dependencies"
# A library linked but not used is loaded and bound at every start (libssl, libexslt and p11-kit were, with
# libgcrypt behind libexslt: 1.5 ms of a 20 ms check), and becomes a needless Depends.
! grep -q "useless dependency" "$stage/shlibdeps.log" \
    || fail "the executable is linked against libraries it does not use (dpkg-shlibdeps above): drop them from the module maps"

installed_size=$(du -sk --exclude=DEBIAN "$package" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@INSTALLED_SIZE@/$installed_size/" -e "s/@DEPENDS@/$depends/" \
    packaging/debian/control >"$package/DEBIAN/control"
(cd "$package" && find usr -type f -exec md5sum {} + | sort -k 2) >"$package/DEBIAN/md5sums"
chmod 0644 "$package/DEBIAN/control" "$package/DEBIAN/md5sums"

deb="$output/certdoctor_${version}_amd64.deb"
dpkg-deb --root-owner-group --build "$package" "$deb" >/dev/null
echo "$deb" >&3
