#!/bin/sh
# Regenerates the Windows-side fixtures in the formats Windows writes them: `.reg` files as regedit/`reg export`
# write version 5 (UTF-16LE with a byte order mark, CRLF line ends, a blank line before each key), and
# Registry.pol files in the PReg format of [MS-GPREG]. The Wine-prefix examples import the same `.reg` files
# into a real prefix with `wine reg import`, so each fixture is read both by Wine and by certdoctor.
set -eu
cd "$(dirname "$0")"

IS='Software\Microsoft\Windows\CurrentVersion\Internet Settings'
PIS='Software\Policies\Microsoft\Windows\CurrentVersion\Internet Settings'

# reg5 FILE: the text on stdin (LF ends, backslashes single) becomes a v5 .reg file.
reg5() {
    mkdir -p "$(dirname "$1")"
    { printf '\377\376'; { printf 'Windows Registry Editor Version 5.00\n\n'; cat; printf '\n'; } | sed 's/$/\r/' | iconv -f UTF-8 -t UTF-16LE; } > "$1"
}

# --- browser.trusted-site (R2) -------------------------------------------------------------------------------
reg5 trusted/https.reg <<EOF
[HKEY_CURRENT_USER\\$IS\\ZoneMap\\Domains\\sscc.com\\biz]
"https"=dword:00000002
EOF
reg5 trusted/domain-wildcard.reg <<EOF
[HKEY_CURRENT_USER\\$IS\\ZoneMap\\Domains\\sscc.com]
"*"=dword:00000002
EOF
reg5 trusted/upper-case.reg <<EOF
[HKEY_CURRENT_USER\\$IS\\ZoneMap\\Domains\\SSCC.COM\\BIZ]
"https"=dword:00000002
EOF
reg5 trusted/http-only.reg <<EOF
[HKEY_CURRENT_USER\\$IS\\ZoneMap\\Domains\\sscc.com\\biz]
"http"=dword:00000002
EOF
reg5 trusted/restricted-zone.reg <<EOF
[HKEY_CURRENT_USER\\$IS\\ZoneMap\\Domains\\sscc.com\\biz]
"https"=dword:00000004
EOF
reg5 trusted/typo-sccc.reg <<EOF
[HKEY_CURRENT_USER\\$IS\\ZoneMap\\Domains\\sccc.com\\biz]
"https"=dword:00000002
EOF
# A machine-wide entry, in the 64-bit key and its 32-bit twin (32-bit IE reads the twin in a win64 prefix).
reg5 trusted/machine-only.reg <<EOF
[HKEY_LOCAL_MACHINE\\$IS\\ZoneMap\\Domains\\sscc.com\\biz]
"https"=dword:00000002

[HKEY_LOCAL_MACHINE\\Software\\Wow6432Node\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\ZoneMap\\Domains\\sscc.com\\biz]
"https"=dword:00000002
EOF
# The user trusts the portal, but the machine's Site-to-Zone policy puts it in Restricted sites.
reg5 trusted/policy-overrides-user.reg <<EOF
[HKEY_CURRENT_USER\\$IS\\ZoneMap\\Domains\\sscc.com\\biz]
"https"=dword:00000002

[HKEY_LOCAL_MACHINE\\$PIS]
"ListBox_Support_ZoneMapKey"=dword:00000001

[HKEY_LOCAL_MACHINE\\$PIS\\ZoneMapKey]
"https://biz.sscc.com"="4"
EOF
# Security_HKLM_only: the user's own entry does not count on Windows.
reg5 trusted/hklm-only-policy.reg <<EOF
[HKEY_CURRENT_USER\\$IS\\ZoneMap\\Domains\\sscc.com\\biz]
"https"=dword:00000002

[HKEY_LOCAL_MACHINE\\$PIS]
"Security_HKLM_only"=dword:00000001
EOF

# --- browser.zone-actions (R3) -------------------------------------------------------------------------------
reg5 zone-actions/enabled.reg <<EOF
[HKEY_CURRENT_USER\\$IS\\Zones\\2]
"2201"=dword:00000000
"1004"=dword:00000000
"1803"=dword:00000000
"2200"=dword:00000000
EOF
reg5 zone-actions/prompt.reg <<EOF
[HKEY_CURRENT_USER\\$IS\\Zones\\2]
"2201"=dword:00000000
"1004"=dword:00000001
"1803"=dword:00000000
"2200"=dword:00000000
EOF
reg5 zone-actions/policy-disables-download.reg <<EOF
[HKEY_CURRENT_USER\\$IS\\Zones\\2]
"2201"=dword:00000000
"1004"=dword:00000000
"1803"=dword:00000000
"2200"=dword:00000000

[HKEY_LOCAL_MACHINE\\$PIS\\Zones\\2]
"1803"=dword:00000003
EOF
reg5 zone-actions/hklm-only-policy.reg <<EOF
[HKEY_CURRENT_USER\\$IS\\Zones\\2]
"2201"=dword:00000000
"1004"=dword:00000000
"1803"=dword:00000000
"2200"=dword:00000000

[HKEY_LOCAL_MACHINE\\$PIS]
"Security_HKLM_only"=dword:00000001
EOF

# --- browser.downloads (R1) ----------------------------------------------------------------------------------
reg5 downloads/allowed.reg <<EOF
[HKEY_CURRENT_USER\\Software\\Microsoft\\Internet Explorer\\New Windows\\Allow]
"biz.sscc.com"=hex:00,00

[HKEY_CURRENT_USER\\$IS\\Zones\\2]
"2200"=dword:00000000
EOF
reg5 downloads/no-allow-list.reg <<EOF
[HKEY_CURRENT_USER\\$IS\\Zones\\2]
"2200"=dword:00000000
EOF
reg5 downloads/policy-allow.reg <<EOF
[HKEY_LOCAL_MACHINE\\Software\\Policies\\Microsoft\\Internet Explorer\\New Windows]
"ListBox_Support_Allow"=dword:00000001

[HKEY_LOCAL_MACHINE\\Software\\Policies\\Microsoft\\Internet Explorer\\New Windows\\Allow]
"*.sscc.com"="*.sscc.com"

[HKEY_CURRENT_USER\\$IS\\Zones\\2]
"2200"=dword:00000000
EOF
# Linux browsers: a directory standing for / with the managed-policy files and an executable in usr/bin.
browser_root() {  # browser_root DIR BROWSER-BINARY POLICY-DIR FILE JSON
    mkdir -p "linux-browsers/$1/usr/bin" "linux-browsers/$1/$3"
    printf '#!/bin/sh\n' > "linux-browsers/$1/usr/bin/$2"; chmod +x "linux-browsers/$1/usr/bin/$2"
    printf '%s\n' "$5" > "linux-browsers/$1/$3/$4"
}
browser_root chromium-allowed chromium etc/chromium/policies/managed sscc.json \
    '{"PopupsAllowedForUrls": ["https://biz.sscc.com"], "AutomaticDownloadsAllowedForUrls": ["[*.]sscc.com"]}'
browser_root chromium-popups-only chromium etc/chromium/policies/managed sscc.json '{"PopupsAllowedForUrls": ["https://biz.sscc.com"]}'
browser_root firefox-allowed firefox etc/firefox/policies policies.json \
    '{"policies": {"PopupBlocking": {"Allow": ["https://biz.sscc.com"], "Default": true, "Locked": false}}}'
mkdir -p linux-browsers/none/etc && touch linux-browsers/none/etc/.keep

# --- browser.ie-mode (R4, R5) --------------------------------------------------------------------------------
edge() {  # edge DIR: Edge's IE-mode policy with a site list at the path a customer's admin would use
    reg5 "ie-mode/$1/edge.reg" <<EOF
[HKEY_LOCAL_MACHINE\\Software\\Policies\\Microsoft\\Edge]
"InternetExplorerIntegrationLevel"=dword:00000001
"InternetExplorerIntegrationSiteList"="C:\\\\ProgramData\\\\SSCC\\\\sites.xml"
EOF
}
sitelist() {  # sitelist DIR HOST
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<site-list version="1">\n  <site url="%s">\n    <compat-mode>Default</compat-mode>\n    <open-in allow-redirect="true">IE11</open-in>\n  </site>\n</site-list>\n' "$2" > "ie-mode/$1/sites.xml"
}
edge site-list; sitelist site-list biz.sscc.com
edge typo; sitelist typo biz.sccc.com
edge missing-file
reg5 ie-mode/user-list/edge.reg <<EOF
[HKEY_CURRENT_USER\\Software\\Policies\\Microsoft\\Edge]
"InternetExplorerIntegrationReloadInIEModeAllowed"=dword:00000001
"InternetExplorerIntegrationLevel"=dword:00000001
EOF
printf '{"dual_engine": {"consumer_mode": {"enabled_state": 1}, "user_list_data_1": {"https://biz.sscc.com/": {"date_added": "13378000000000000", "engine": 2, "visits_after_expiration": 0}, "https://biz.sscc.com/index.html#/myCenter": {"date_added": "13378000000000000", "engine": 2, "visits_after_expiration": 0}}}}\n' > ie-mode/user-list/Preferences

# --- activex.* (R8, R9, R17) --------------------------------------------------------------------------------
CE='{33BBBFD1-0A97-4339-9032-F68F19CB3030}'
JV='{707C7D52-85A8-4584-8954-573EFCE77488}'
JX='{B0EF56AD-D711-412D-BE74-A751595F3633}'

# control CLSID NAME DLL VERSION(a,b,c,d): what IE writes when it installs a CAB, as a 64-bit Windows exports it.
control() {
    cat <<EOF
[HKEY_LOCAL_MACHINE\\Software\\Classes\\Wow6432Node\\CLSID\\$1]
@="$2"

[HKEY_LOCAL_MACHINE\\Software\\Classes\\Wow6432Node\\CLSID\\$1\\InprocServer32]
@="C:\\\\Windows\\\\Downloaded Program Files\\\\$3"
"ThreadingModel"="Apartment"

[HKEY_LOCAL_MACHINE\\Software\\Wow6432Node\\Microsoft\\Code Store Database\\Distribution Units\\$1\\InstalledVersion]
@="$4"
EOF
}
control "$CE" "CertEnroll Control" JITCertEnroll.dll 2,0,4,8 | reg5 activex/certenroll-2048.reg
control "$CE" "CertEnroll Control" JITCertEnroll.dll 2,0,4,6 | reg5 activex/certenroll-2046.reg
{ control "$CE" "CertEnroll Control" JITCertEnroll.dll 2,0,4,8; printf '\n[HKEY_LOCAL_MACHINE\\Software\\Wow6432Node\\Microsoft\\Internet Explorer\\ActiveX Compatibility\\%s]\n"Compatibility Flags"=dword:00000400\n' "$CE"; } | reg5 activex/certenroll-killbit.reg
{ control "$CE" "CertEnroll Control" JITCertEnroll.dll 2,0,4,8; printf '\n[HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Ext\\Settings\\%s]\n"Flags"=dword:00000001\n' "$CE"; } | reg5 activex/certenroll-disabled.reg
control "$JV" "JITVCTK Class" JITComVCTK_S.dll 2,0,24,43 | reg5 activex/jitvctk-2-0-24-43.reg
control "$JV" "JITVCTK Class" JITComVCTK_S.dll 2,0,24,41 | reg5 activex/jitvctk-2-0-24-41.reg
control "$JX" "JITVCTKEx Class" JITDSign.dll 2,1,9,4 | reg5 activex/jitvctkex-2-1-9-4.reg
control "$JX" "JITVCTKEx Class" JITDSign.dll 2,1,9,3 | reg5 activex/jitvctkex-2-1-9-3.reg

# Prefix fixtures: the registration as regsvr32 leaves it, and a DLL with a real version resource built with
# mingw-w64 (the version is read from the file; the Code Store entry is left out on purpose).
dll() {  # dll OUT a,b,c,d
    work=$(mktemp -d)
    printf '1 VERSIONINFO\nFILEVERSION %s\nPRODUCTVERSION %s\nBEGIN\n BLOCK "StringFileInfo"\n BEGIN\n  BLOCK "040904b0"\n  BEGIN\n   VALUE "FileVersion", "%s"\n  END\n END\nEND\n' "$2" "$2" "$2" > "$work/v.rc"
    printf 'int __stdcall DllMain(void *h, unsigned long r, void *p) { return 1; }\n' > "$work/d.c"
    x86_64-w64-mingw32-windres "$work/v.rc" -O coff -o "$work/v.o"
    mkdir -p "$(dirname "$1")"
    x86_64-w64-mingw32-gcc -shared -s -nostdlib -e DllMain -o "$1" "$work/d.c" "$work/v.o"
    rm -r "$work"
}
regsvr() {  # regsvr CLSID NAME DLL
    cat <<EOF
[HKEY_LOCAL_MACHINE\\Software\\Classes\\Wow6432Node\\CLSID\\$1]
@="$2"

[HKEY_LOCAL_MACHINE\\Software\\Classes\\Wow6432Node\\CLSID\\$1\\InprocServer32]
@="C:\\\\windows\\\\Downloaded Program Files\\\\$3"
"ThreadingModel"="Apartment"

[HKEY_LOCAL_MACHINE\\Software\\Classes\\Wow6432Node\\CLSID\\$1\\ProgID]
@="JIT.CertEnroll.1"

[HKEY_LOCAL_MACHINE\\Software\\Classes\\JIT.CertEnroll.1\\CLSID]
@="$1"

[HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Ext\\Stats\\$1\\iexplore]
"Count"=dword:00000003
EOF
}
regsvr "$CE" "CertEnroll Control" JITCertEnroll.dll | reg5 activex/prefix-certenroll-2048/register.reg
dll "activex/prefix-certenroll-2048/drive_c/windows/Downloaded Program Files/JITCertEnroll.dll" 2,0,4,8
regsvr "$CE" "CertEnroll Control" JITCertEnroll.dll | reg5 activex/prefix-certenroll-2046/register.reg
dll "activex/prefix-certenroll-2046/drive_c/windows/Downloaded Program Files/JITCertEnroll.dll" 2,0,4,6
regsvr "$CE" "CertEnroll Control" JITCertEnroll.dll | reg5 activex/prefix-certenroll-half/register.reg

# --- driver.token-csp (R7, E3) -------------------------------------------------------------------------------
# The CSP registration as the Feitian installer writes it for 32-bit programs; the image is a mingw-built DLL.
csp() {
    reg5 "token-csp/$1/csp.reg" <<EOF
[HKEY_LOCAL_MACHINE\\Software\\Wow6432Node\\Microsoft\\Cryptography\\Defaults\\Provider\\EnterSafe ePass3003 CSP v1.0]
"Image Path"="%SystemRoot%\\\\system32\\\\EnterSafe3003Csp.dll"
"Type"=dword:00000001
EOF
}
csp good; dll "token-csp/good/drive_c/windows/syswow64/EnterSafe3003Csp.dll" 1,0,0,0
csp missing-image
csp other-vendor; dll "token-csp/other-vendor/drive_c/windows/syswow64/EnterSafe3003Csp.dll" 1,0,0,0
# A Mingwah card entry whose ATR and mask match the test ATR (3B 9F 95 81 31 FE 9F 00 66 46 53 05 10 00 11 71).
reg5 token-csp/other-vendor/mingwah.reg <<EOF
[HKEY_LOCAL_MACHINE\\Software\\Wow6432Node\\Microsoft\\Cryptography\\Calais\\SmartCards\\Mingwah USBKey]
"ATR"=hex:3b,9f,95,81,31,fe,9f,00,66,46,53,05,10,00,11,71
"ATRMask"=hex:ff,ff,ff,ff,ff,ff,ff,ff,ff,ff,ff,ff,00,00,00,00
"Crypto Provider"="Mingwah USBKey CSP"
EOF

# --- the engine's rules: zone views, Site-to-Zone list, ESC, controls, add-on policy, Edge -------------------
# Each file is a 64-bit Windows export: the 32-bit view of HKLM\Software is under Wow6432Node.
rules_fixtures() {
# Only the 64-bit view trusts the portal; 32-bit IE reads the Wow6432Node twin, which has no entry.
reg5 trusted/machine-64-bit-only.reg <<EOF
[HKEY_LOCAL_MACHINE\\$IS\\ZoneMap\\Domains\\sscc.com\\biz]
"https"=dword:00000002

[HKEY_LOCAL_MACHINE\\Software\\Wow6432Node\\Microsoft\\Windows\\CurrentVersion\\Internet Settings]
"ActiveXCache"="C:\\\\Windows\\\\Downloaded Program Files"
EOF
# The Site-to-Zone list is on and does not name the portal: the user's own Trusted entry does not count.
reg5 trusted/site-to-zone-list-hides-user.reg <<EOF
[HKEY_CURRENT_USER\\$IS\\ZoneMap\\Domains\\sscc.com\\biz]
"https"=dword:00000002

[HKEY_LOCAL_MACHINE\\$PIS]
"ListBox_Support_ZoneMapKey"=dword:00000001

[HKEY_LOCAL_MACHINE\\$PIS\\ZoneMapKey]
"https://www.example.com"="2"
EOF
# IE Enhanced Security Configuration: EscDomains decide, so an entry in Domains alone does not.
reg5 trusted/esc-domains.reg <<EOF
[HKEY_CURRENT_USER\\$IS\\ZoneMap]
"IEHarden"=dword:00000001

[HKEY_CURRENT_USER\\$IS\\ZoneMap\\EscDomains\\sscc.com\\biz]
"https"=dword:00000002
EOF
reg5 trusted/esc-domains-only-in-domains.reg <<EOF
[HKEY_CURRENT_USER\\$IS\\ZoneMap]
"IEHarden"=dword:00000001

[HKEY_CURRENT_USER\\$IS\\ZoneMap\\Domains\\sscc.com\\biz]
"https"=dword:00000002
EOF
# Installed Version decides before the Code Store Database (which says 2.0.4.6 here).
{ control "$CE" "CertEnroll Control" JITCertEnroll.dll 2,0,4,6
  printf '\n[HKEY_LOCAL_MACHINE\\Software\\Classes\\Wow6432Node\\CLSID\\%s\\Installed Version]\n@="2,0,4,8"\n' "$CE"; } | reg5 activex/certenroll-installed-version.reg
# Registered with an empty InprocServer32: half-installed.
printf '[HKEY_LOCAL_MACHINE\\Software\\Classes\\Wow6432Node\\CLSID\\%s]\n@="CertEnroll Control"\n\n[HKEY_LOCAL_MACHINE\\Software\\Classes\\Wow6432Node\\CLSID\\%s\\InprocServer32]\n@=""\n' "$CE" "$CE" \
    | reg5 activex/certenroll-no-server.reg
# Registered only for 64-bit programs; the export has a 32-bit view (its Code Store entry), without the class.
control "$CE" "CertEnroll Control" JITCertEnroll.dll 2,0,4,8 | sed 's/Classes\\Wow6432Node\\CLSID/Classes\\CLSID/' | reg5 activex/certenroll-64-bit-only.reg
# The 32-bit kill bit counts; a native-view Compatibility Flags of 0 does not lift it.
{ control "$CE" "CertEnroll Control" JITCertEnroll.dll 2,0,4,8
  printf '\n[HKEY_LOCAL_MACHINE\\Software\\Wow6432Node\\Microsoft\\Internet Explorer\\ActiveX Compatibility\\%s]\n"Compatibility Flags"=dword:00000400\n' "$CE"
  printf '\n[HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Internet Explorer\\ActiveX Compatibility\\%s]\n"Compatibility Flags"=dword:00000000\n' "$CE"; } \
    | reg5 activex/certenroll-killbit-32-bit.reg
# Add-on List policy: "1" allows and overrides the user's disable flag, "2" leaves it to the user, "0" denies;
# RestrictToList=1 denies a control the list does not name.
addon() {  # addon FILE VALUE: the user disabled the control; the machine policy says VALUE
    { control "$CE" "CertEnroll Control" JITCertEnroll.dll 2,0,4,8
      printf '\n[HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Ext\\Settings\\%s]\n"Flags"=dword:00000001\n' "$CE"
      printf '\n[HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\Ext\\CLSID]\n"%s"="%s"\n' "$CE" "$2"; } | reg5 "activex/$1"
}
addon certenroll-addon-policy-allows.reg 1
addon certenroll-addon-policy-user-managed.reg 2
addon certenroll-addon-policy-denies.reg 0
{ control "$CE" "CertEnroll Control" JITCertEnroll.dll 2,0,4,8
  printf '\n[HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\Ext]\n"RestrictToList"=dword:00000001\n'; } \
    | reg5 activex/certenroll-restrict-to-list.reg
# Edge: IE mode set only as a recommended policy, which Edge does not apply for these two policies.
reg5 ie-mode/recommended-only/edge.reg <<EOF
[HKEY_LOCAL_MACHINE\\Software\\Policies\\Microsoft\\Edge\\Recommended]
"InternetExplorerIntegrationLevel"=dword:00000001
"InternetExplorerIntegrationSiteList"="C:\\\\ProgramData\\\\SSCC\\\\sites.xml"
EOF
sitelist recommended-only biz.sscc.com
# Two entries cover the portal: the more specific one (biz.sscc.com → Edge) decides over sscc.com → IE11.
edge most-specific
printf '<?xml version="1.0" encoding="UTF-8"?>\n<site-list version="3">\n  <site url="sscc.com">\n    <compat-mode>Default</compat-mode>\n    <open-in>IE11</open-in>\n  </site>\n  <site url="biz.sscc.com">\n    <compat-mode>Default</compat-mode>\n    <open-in>MSEdge</open-in>\n  </site>\n</site-list>\n' > ie-mode/most-specific/sites.xml
# Windows 7 (collect-script exports HKLM\Software\Microsoft\Windows NT\CurrentVersion): IE itself, no IE mode.
reg5 ie-mode/windows7.reg <<EOF
[HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows NT\\CurrentVersion]
"ProductName"="Windows 7 Professional"
"CurrentBuild"="7601"
"EditionID"="Professional"
EOF
}
if [ "${ONLY_RULES:-}" != "" ]; then rules_fixtures; exit 0; fi
rules_fixtures

# --- store.personal-cert (R10, R12) --------------------------------------------------------------------------
# Real Wine: the repository's test PFX files are imported into a scratch prefix with Tools/win32/certstore.exe,
# and the Personal store (and rsaenh's key container) are exported with `wine reg export`.
store_fixtures() {
    scratch=$(mktemp -d)
    export WINEPREFIX="$scratch/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" LANG=C.UTF-8 LC_ALL=C.UTF-8
    unset DISPLAY
    ../../../Tools/win32/build.sh certstore "$scratch"
    wineboot -i 2>/dev/null; wineserver -w
    cp "$WINEPREFIX/user.reg" "$scratch/user.reg"
    for name in good-3des expired; do
        cp "$scratch/user.reg" "$WINEPREFIX/user.reg"
        printf '123456\n' | wine "$scratch/certstore.exe" import-pfx "Z:$(pwd | tr / '\\')\\..\\pfx\\$name\\F000504Y0007#0.pfx"
        mkdir -p "store/$name"
        wine reg export 'HKCU\Software\Microsoft\SystemCertificates\MY' "Z:$(pwd | tr / '\\')\\store\\$name\\certificate.reg" /y
        mkdir -p "store/$name-with-key"
        wine reg export 'HKCU\Software\Wine\Crypto\RSA' "Z:$(pwd | tr / '\\')\\store\\$name-with-key\\key.reg" /y
        wineserver -w
        cp "store/$name/certificate.reg" "store/$name-with-key/certificate.reg"
    done
    rm -rf "$scratch"
}
if [ "${SKIP_WINE:-}" = "" ]; then store_fixtures; fi

# An export that sets nothing the checks look at.
reg5 empty.reg </dev/null

# --- Registry.pol --------------------------------------------------------------------------------------------
python3 - <<'EOF'
import os, struct
def record(key, name, kind, data):
    s = lambda t: t.encode('utf-16-le') + b'\0\0'
    sep = ';'.encode('utf-16-le')
    return ('['.encode('utf-16-le') + s(key) + sep + s(name) + sep + struct.pack('<I', kind) + sep
            + struct.pack('<I', len(data)) + sep + data + ']'.encode('utf-16-le'))
def pol(path, records):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(b'PReg' + struct.pack('<I', 1) + b''.join(records))
PIS = 'Software\\Policies\\Microsoft\\Windows\\CurrentVersion\\Internet Settings'
sz = lambda t: t.encode('utf-16-le') + b'\0\0'
dw = lambda n: struct.pack('<I', n)
# The machine's Site-to-Zone list maps the whole domain to Trusted sites.
pol('gpo-site-to-zone/Machine/Registry.pol', [
    record(PIS, 'ListBox_Support_ZoneMapKey', 4, dw(1)),
    record(PIS + '\\ZoneMapKey', '*.sscc.com', 1, sz('2')),
])
# A user policy that enables the four actions in zone 2; the file's folder does not say whose it is.
pol('gpo-zone-actions/Registry.pol', [record(PIS + '\\Zones\\2', a, 4, dw(0)) for a in ('2201', '1004', '1803', '2200')])
# The same policy with 2200 left at prompt.
pol('gpo-zone-actions-prompt/User/Registry.pol',
    [record(PIS + '\\Zones\\2', a, 4, dw(0)) for a in ('2201', '1004', '1803')] + [record(PIS + '\\Zones\\2', '2200', 4, dw(1))])
EOF
