#!/usr/bin/env python3
"""A straightforward Wine hive parser (keys, all value types, unescaping, hex continuation),
the baseline the Swift codec is compared with."""
import re, sys

def unescape(s):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == '\\' and i + 1 < len(s):
            n = s[i + 1]
            if n == 'x':
                m = re.match(r'[0-9a-fA-F]{1,4}', s[i + 2:])
                if m:
                    out.append(chr(int(m.group(0), 16))); i += 2 + len(m.group(0)); continue
            out.append({'n': '\n', 'r': '\r', 't': '\t', '0': '\0'}.get(n, n)); i += 2; continue
        out.append(c); i += 1
    return ''.join(out)

keys, values, current = {}, 0, None
lines = open(sys.argv[1], encoding='utf-8', errors='replace').read().split('\n')
i = 0
while i < len(lines):
    line = lines[i]; i += 1
    if line.startswith('['):
        current = keys.setdefault(unescape(line[1:line.rindex(']')]).lower(), {})
    elif line.startswith('"') or line.startswith('@'):
        while line.endswith('\\') and i < len(lines):
            line = line[:-1] + lines[i].strip(); i += 1
        m = re.match(r'(@|"((?:[^"\\]|\\.)*)")=(.*)', line)
        if m:
            name = '' if m.group(1) == '@' else unescape(m.group(2))
            data = m.group(3)
            if data.startswith('"'):
                current[name] = unescape(data[1:-1])
            elif data.startswith('dword:'):
                current[name] = int(data[6:], 16)
            elif data.startswith('str('):
                current[name] = unescape(data[data.index(':"') + 2:-1])
            else:
                hexpart = data.split(':', 1)[1]
                current[name] = bytes(int(b, 16) for b in hexpart.split(',') if b)
            values += 1
print('keys', len(keys), 'values', values)
