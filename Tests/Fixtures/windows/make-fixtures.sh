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
