#!/usr/bin/env python3
"""Makes a report.xml of COUNT checks from a real one (SEED, written by `certdoctor check --format xml`):
its examined checks are cloned with numbered ids, every tenth one a required failure that the summary lists as
blocking, so that the page's "what to do first" list grows with the report too. The checks the seed did not
examine (not applicable, not checked) are kept as they are: the page folds them into one line per area of the
summary's scope, so clones of them would not be sections of the page. Repeatable: no randomness.
Usage: scale_report.py SEED COUNT OUT"""
import copy
import sys
import xml.etree.ElementTree as ET

NS = "urn:certdoctor:report:1"
ET.register_namespace("", NS)


def q(name):
    return "{%s}%s" % (NS, name)


def main(seed, count, out):
    tree = ET.parse(seed)
    root = tree.getroot()
    results = root.find(q("results"))
    skipped = ("notapplicable", "notchecked")
    templates = [check for check in results if check.get("outcome") not in skipped]
    if not templates:
        sys.exit("the seed report %s has no examined check to clone" % seed)
    for check in templates:
        results.remove(check)
    summary = root.find(q("summary"))
    blocking_at = list(summary).index(summary.find(q("verdict"))) + 1
    blocking = []
    for index in range(count):
        check = copy.deepcopy(templates[index % len(templates)])
        check.set("id", "%s-n%d" % (check.get("id"), index))
        if index % 10 == 9:
            check.set("outcome", "fail")
            check.set("severity", "required")
            blocking.append(check.get("id"))
        results.append(check)
    for offset, check_id in enumerate(blocking):
        summary.insert(blocking_at + offset, ET.Element(q("blocking"), {"check": check_id}))
    summary.set("readyToRenew", "false" if blocking else summary.get("readyToRenew"))
    tree.write(out, encoding="UTF-8", xml_declaration=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
