"""Checks of the real-TT-Metal tests, reported in the suites' format (one
`ok` / `not ok` line each, then "N passed, M failed"); imported by the
Python parts of tests/real/test_mock*.sh (PYTHONPATH=tests/real)."""
import json
import sys

_results = []


def check(name, got, want):
    _results.append((got == want, name, got, want))


def lines(path):
    """The JSON lines of a file; other lines (log text) skipped."""
    out = []
    for line in open(path):
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def report():
    passed = failed = 0
    for good, name, got, want in _results:
        if good:
            print(f"ok - {name} ({got})")
            passed += 1
        else:
            print(f"not ok - {name}: got {got}, want {want}")
            failed += 1
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
