#!/usr/bin/env bash
# The Debian package, end to end, as root on Debian 12: builds it (scripts/package.sh), runs lintian on it,
# installs it with dpkg, and then — in a mount namespace where the Swift toolchain's directory is hidden, so
# that nothing of it can be used — runs the installed /usr/bin/certdoctor from `/`: `check` of a valid PFX,
# `fix` of a fresh Wine prefix (which imports the PFX with the prebuilt Win32 helper), and `man certdoctor-check`.
# Any failure ends it with a non-zero status; the package is purged at the end, however it ends.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "test-package.sh: FAIL: $*" >&2; exit 1; }
step() { echo "== $* ($(date -u +%T))" >&2; }
[ "$(id -u)" -eq 0 ] || fail "must run as root (dpkg -i, unshare -m)"
for tool in swift dpkg lintian unshare mount man wine wineboot wineserver python3; do
    command -v "$tool" >/dev/null || fail "$tool is missing (scripts/bootstrap.sh --tests installs it)"
done
dpkg-query -W -f='${Status}' certdoctor 2>/dev/null | grep -q "install ok installed" \
    && fail "certdoctor is already installed; this test installs and purges it, so it will not touch that one"
toolchain=$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")
[ -d "$toolchain" ] && [ "$toolchain" != / ] || fail "cannot tell the Swift toolchain's directory"

work=$(mktemp -d)
chmod 0755 "$work"
installed=false
cleanup() {
    status=$?
    if [ -n "${WINEPREFIX:-}" ]; then wineserver -k 2>/dev/null || true; fi
    if $installed; then dpkg --purge certdoctor >/dev/null || { echo "test-package.sh: could not purge certdoctor" >&2; status=1; }; fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT

step "building the package"
started=$SECONDS
deb=$(scripts/package.sh "$work")
[ -f "$deb" ] || fail "package.sh made no package"
echo "package built in $((SECONDS - started)) s: $(basename "$deb")" >&2

step "lintian"
# Errors and warnings both fail, and the package carries no overrides: a new warning is fixed, or an override
# with its reason is added under usr/share/lintian/overrides by package.sh.
lintian --fail-on error,warning --info "$deb" || fail "lintian found problems in $(basename "$deb")"

step "dpkg -i"
installed=true  # before dpkg -i: a half-configured package is purged too
dpkg -i "$deb" >/dev/null
[ -x /usr/bin/certdoctor ] || fail "/usr/bin/certdoctor is not installed"
[ -f /usr/lib/certdoctor/certstore.exe ] || fail "the prebuilt helper is not installed"

# The inputs: a valid gateway certificate from the test fixtures (F000504Y0007#0.pfx, password 123456)
# and a fresh Wine prefix, made before the toolchain is hidden and with no wineserver left running.
cp "Tests/Fixtures/pfx/good-3des/F000504Y0007#0.pfx" "$work/"
printf '123456\n' >"$work/pw"
export WINEPREFIX="$work/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" LANG=C.UTF-8 LC_ALL=C.UTF-8
unset DISPLAY
step "creating a fresh Wine prefix"
wineboot -i >/dev/null 2>&1 || fail "wineboot could not create $WINEPREFIX"
wineserver -w
empty="$work/empty"
mkdir "$empty"

# Runs a command in a new mount namespace where the toolchain's directory is an empty directory.
without_toolchain() {
    unshare -m --propagation private -- sh -c '
        mount --bind "$1" "$2" || exit 90
        [ -z "$(ls -A "$2")" ] || { echo "the toolchain is still visible at $2" >&2; exit 91; }
        shift 2
        cd / && exec "$@"' sh "$empty" "$toolchain" "$@"
}

step "certdoctor --version and check, without $toolchain"
without_toolchain /usr/bin/certdoctor --version | tee "$work/version" >&2
grep -q "^commit [0-9a-f]" "$work/version" || fail "--version does not name the commit it was built from"
grep -q "^OpenSSL 3" "$work/version" || fail "--version does not name the OpenSSL it runs with"
# Only the file certificate: without WINEPREFIX (and with a HOME that has no ~/.wine) no Windows side is examined.
without_toolchain env -u WINEPREFIX XDG_STATE_HOME="$work/state" HOME="$work" /usr/bin/certdoctor check \
    --pfx "$work/F000504Y0007#0.pfx" --password-file "$work/pw" --no-discover >"$work/check.txt" \
    || { cat "$work/check.txt" >&2; fail "certdoctor check of a valid PFX did not pass"; }
grep -q "Ready to renew" "$work/check.txt" || { cat "$work/check.txt" >&2; fail "check passed but did not say it is ready"; }
grep -q "host.free-space" "$work/check.txt" || { cat "$work/check.txt" >&2; fail "the built-in free-space check did not run"; }
# The example plugin and the manifest check come from /usr/share/certdoctor: the data directory was found.
without_toolchain env -u WINEPREFIX HOME="$work" /usr/bin/certdoctor list-checks \
    --plugins /usr/share/certdoctor/Checks/plugins/examples >"$work/examples.txt"
grep -q "example.free-space" "$work/examples.txt" || { cat "$work/examples.txt" >&2; fail "the installed example plugin is not listed"; }
without_toolchain /usr/bin/certdoctor list-checks >"$work/checks.txt"
grep -q "browser.zone-actions" "$work/checks.txt" || fail "the installed manifest check is not listed"

step "certdoctor fix --wine-prefix on a fresh prefix, without $toolchain"
fix_status=0
without_toolchain env XDG_STATE_HOME="$work/state" HOME="$work" /usr/bin/certdoctor fix \
    --pfx "$work/F000504Y0007#0.pfx" --password-file "$work/pw" --wine-prefix "$WINEPREFIX" \
    --only certificate,browser.trusted-site,browser.zone-actions,store.personal-cert --yes --format json >"$work/fix.json" \
    || fix_status=$?
wineserver -w
# The import used the package's helper: nothing was built into the cache, as a checkout's run would.
[ ! -e "$work/.cache/certdoctor/certstore.exe" ] || fail "fix built a helper into the cache instead of using /usr/lib/certdoctor's"
python3 - "$work/fix.json" "$fix_status" <<'EOF' || fail "certdoctor fix did not apply its fixes to the fresh prefix"
import json, sys
report = json.load(open(sys.argv[1]))
outcomes = {result["id"]: result["outcome"] for result in report["results"]}
print("fix exit status", sys.argv[2], "outcomes", outcomes, file=sys.stderr)
wanted = ["browser.trusted-site", "browser.zone-actions", "store.personal-cert"]
sys.exit(0 if sys.argv[2] == "0" and all(outcomes.get(check) == "fixed" for check in wanted) else 1)
EOF
# And a second look, as a person would take: the fixed prefix now passes those checks.
without_toolchain env XDG_STATE_HOME="$work/state" HOME="$work" /usr/bin/certdoctor check \
    --pfx "$work/F000504Y0007#0.pfx" --password-file "$work/pw" --wine-prefix "$WINEPREFIX" --no-discover \
    --only certificate,browser.trusted-site,browser.zone-actions,store.personal-cert >"$work/recheck.txt" \
    || { cat "$work/recheck.txt" >&2; fail "the fixed prefix does not pass the checks that were fixed"; }

step "man certdoctor-check"
without_toolchain env MANPAGER=cat MANWIDTH=100 man certdoctor-check >"$work/man.txt" 2>&1 \
    || { cat "$work/man.txt" >&2; fail "man certdoctor-check shows no page"; }
grep -q -- "--pfx" "$work/man.txt" || { cat "$work/man.txt" >&2; fail "the certdoctor-check page does not document --pfx"; }

step "completions"
for file in /usr/share/bash-completion/completions/certdoctor /usr/share/zsh/vendor-completions/_certdoctor \
    /usr/share/fish/vendor_completions.d/certdoctor.fish; do
    [ -s "$file" ] || fail "$file is not installed"
done
grep -q -- "---completion check -- --only" /usr/share/bash-completion/completions/certdoctor \
    || fail "the bash completion does not ask certdoctor for check ids"
# What bash's completion function runs for `certdoctor check --only cert.v<Tab>`: word 3, cursor at 6.
only=$(without_toolchain /usr/bin/certdoctor ---completion check -- --only 3 6 certdoctor check --only cert.v || true)
echo "$only" | grep -qx "cert.validity" || fail "completing --only cert.v does not offer cert.validity (got: $only)"

step "the Ansible role installs this package"
# The role's own install path (copy, apt), which the role test without a package cannot reach: purged first, the
# role installs it again, a second run changes nothing; the trap purges it at the end.
dpkg --purge certdoctor >/dev/null || fail "could not purge certdoctor before the role installs it"
CERTDOCTOR_DEB="$deb" scripts/test-ansible.sh || fail "the Ansible role did not install the package as it should"
dpkg-query -W -f='${Status}' certdoctor 2>/dev/null | grep -q "install ok installed" || fail "the role left certdoctor uninstalled"

echo "test-package.sh: the package builds, is lintian-clean, installs, and works without the Swift toolchain" \
    "($((SECONDS - started)) s)" >&2
