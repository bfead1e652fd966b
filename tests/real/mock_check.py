"""Checks shared by the mock-mode suites' result scripts: each check is
printed as "ok - NAME (GOT)" or "not ok - NAME: got GOT, want WANT", and
finish() ends with the "N passed, N failed" line tests/run-all.sh reads."""
import json
import sys

_results = []


def check(name, got, want):
    _results.append((got == want, name, got, want))


def lines(path):
    """The JSON lines of a file; other lines (logs) are skipped."""
    out = []
    for line in open(path):
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def ready(work, name):
    """Workload NAME's "ready" line, or None after a failed check that
    shows the end of its stderr."""
    r = [e for e in lines(f"{work}/{name}.out") if e.get("event") == "ready"]
    if not r:
        check(f"{name}: workload ready",
              open(f"{work}/{name}.err").read()[-400:], "")
        return None
    return r[0]


def finish():
    p = f = 0
    for good, name, got, want in _results:
        if good:
            print(f"ok - {name} ({got})")
            p += 1
        else:
            print(f"not ok - {name}: got {got}, want {want}")
            f += 1
    print(f"{p} passed, {f} failed")
    sys.exit(1 if f else 0)
