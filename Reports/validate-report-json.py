#!/usr/bin/python3
"""Checks a certdoctor report.json against certdoctor-report.schema.json (JSON Schema, Draft 2020-12).

Usage: validate-report-json.py [REPORT.json]   (standard input when no file is given)
Prints one line per violation (the path in the document, then the validator's words) and exits 1 when there is any,
0 when the document is valid. Needs Python's jsonschema (Debian: python3-jsonschema).
"""
import json
import pathlib
import sys

import jsonschema

schema = json.loads((pathlib.Path(__file__).resolve().parent / "certdoctor-report.schema.json").read_text())
jsonschema.Draft202012Validator.check_schema(schema)
document = json.load(open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin)
errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(document), key=str)
for error in errors:
    print("/" + "/".join(map(str, error.absolute_path)), error.message)
sys.exit(1 if errors else 0)
