#!/usr/bin/env python3
"""Scales a real Wine system.reg to about TARGET bytes by repeating its key sections under
Software\\Bench<N>\\ copies, keeping Wine's sort order so the result is a file Wine could write."""
import sys
source, target_path, target_size = sys.argv[1], sys.argv[2], int(sys.argv[3])
text = open(source, encoding='ascii').read()
first = text.index('\n[')
header, body = text[:first], text[first:]
sections = body.split('\n[')[1:]
copies = []
n = 0
size = len(text)
while size < target_size:
    n += 1
    prefix = 'Software\\\\Bench%05d\\\\' % n
    copy = ''.join('\n[' + prefix + s for s in sections)
    copies.append(copy)
    size += len(copy)
# Bench<N> sorts after "Software\\Classes…" only by name, so place copies where Wine would:
# keys are written depth-first in case-insensitive order; "bench" < "classes" < …
insert_at = body.find('\n[Software\\\\')
with open(target_path, 'w', encoding='ascii') as out:
    out.write(header)
    out.write(body[:insert_at] if insert_at >= 0 else body)
    for c in copies:
        out.write(c)
    if insert_at >= 0:
        out.write(body[insert_at:])
