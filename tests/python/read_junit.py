"""Reads a JUnit report with two independent parsers and prints what each counted, as JSON.

tests/causes.rs runs it on gigcheck's report: blocked scenarios must come out as errors and
failed ones as failures, in the elements' counts and in the suites' attributes alike.
"""
import json
import sys

import junitparser
import xunitparser


def with_junitparser(path):
    xml = junitparser.JUnitXml.fromfile(path)
    counted = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "error_types": []}
    declared = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in xml:
        for key in declared:
            declared[key] += int(getattr(suite, key) or 0)
        for case in suite:
            counted["tests"] += 1
            for result in case.result:
                if isinstance(result, junitparser.Failure):
                    counted["failures"] += 1
                elif isinstance(result, junitparser.Error):
                    counted["errors"] += 1
                    counted["error_types"].append(result.type)
                elif isinstance(result, junitparser.Skipped):
                    counted["skipped"] += 1
    return {"counted": counted, "declared": declared}


def with_xunitparser(path):
    with open(path, encoding="utf-8") as f:
        _, result = xunitparser.parse(f)
    return {
        "tests": result.testsRun,
        "failures": len(result.failures),
        "errors": len(result.errors),
        "skipped": len(result.skipped),
    }


if __name__ == "__main__":
    report = sys.argv[1]
    print(json.dumps({"junitparser": with_junitparser(report), "xunitparser": with_xunitparser(report)}))
