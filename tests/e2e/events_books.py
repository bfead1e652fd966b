#!/usr/bin/env python3
"""Replay ttbpf-trace --json events against the allocator's own books.

usage: events_books.py TRACE_JSON_LINES HELD_LINES TRUTH_JSON...

For every process of the TRUTH files (ttsim-run --truth, written while
the process held its buffers):
- the first HELD_LINES lines of the trace (everything up to that moment)
  summed per chip and buffer type (alloc adds its size to each chip in
  "chips", a counted free or alloc_failed subtracts it, the "released"
  rows of bulk_free/exit/exec subtract theirs) equal the books exactly,
  bytes and buffers;
- the "released" rows of the events after that (the device closes, the
  exit or SIGKILL) release exactly what the books held: the process ends
  at zero on every chip and type;
- every line is one docs/events.md lists: its required keys, no other;
- in each release event, size and count are the sums of its rows.
Prints every mismatch; exits 1 if any.
"""
import collections
import json
import os
import re
import sys

TYPES = ["DRAM", "L1", "SYSTEM_MEMORY", "L1_SMALL", "TRACE"]
DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "..", "..", "docs", "events.md")


def doc_kinds():
    """The "Fields by event" table: kind -> (required, optional)."""
    kinds, on = {}, False
    for line in open(DOC):
        if line.startswith("## "):
            on = line.startswith("## Fields by event")
        if on and line.startswith("| `"):
            cells = line.split("|")[1:4]
            name = re.findall(r"`([a-z_]+)`", cells[0])[0]
            kinds[name] = tuple(set(re.findall(r"`([a-z_]+)`", c))
                                for c in cells[1:3])
    return kinds


def main():
    trace, held_lines, truth_paths = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    truths = {t["pid"]: t for t in (json.load(open(p)) for p in truth_paths)}
    kinds = doc_kinds()
    errors = []
    events = [json.loads(l) for l in open(trace)]
    # (pid, chip, type) -> [bytes, buffers], before and after HELD_LINES
    books = [collections.defaultdict(lambda: [0, 0]) for _ in range(2)]
    released = collections.defaultdict(lambda: [0, 0])
    for i, e in enumerate(events):
        kind = e.get("event")
        if kind not in kinds:
            errors.append(f"line {i + 1}: event {kind!r} not in docs/events.md")
            continue
        req, opt = kinds[kind]
        if req - e.keys() or e.keys() - req - opt:
            errors.append(f"line {i + 1}: {kind}: missing {sorted(req - e.keys())}"
                          f", undocumented {sorted(e.keys() - req - opt)}")
        pid = e.get("pid")
        if pid not in truths:
            continue
        part = books[0 if i < held_lines else 1]
        if kind in ("alloc", "free", "alloc_failed"):
            if kind == "free" and ("unmatched" in e or "inherited_from" in e):
                continue
            sign = 1 if kind == "alloc" else -1
            for chip in e.get("chips", []):
                row = part[(pid, chip, e["type"])]
                row[0] += sign * e["size"]
                row[1] += sign
        elif kind in ("bulk_free", "exit", "exec"):
            if (e["size"], e["count"]) != (
                    sum(r["size"] for r in e["released"]),
                    sum(r["count"] for r in e["released"])):
                errors.append(f"line {i + 1}: size/count are not the rows' sums")
            if "released_complete" in e:
                errors.append(f"line {i + 1}: {e.get('note')}")
            for r in e["released"]:
                if r["dev_kind"] != "chip":
                    errors.append(f"line {i + 1}: a row not on a chip: {r}")
                    continue
                row = part[(pid, r["device"], r["type"])]
                row[0] -= r["size"]
                row[1] -= r["count"]
                if i >= held_lines:
                    rel = released[(pid, r["device"], r["type"])]
                    rel[0] += r["size"]
                    rel[1] += r["count"]
    n_rows = 0
    for pid, t in truths.items():
        want = {}
        for d in t["devices"]:
            for ty in TYPES:
                u = d["usage"][ty]
                want[(pid, d["device"], ty)] = [u["bytes"], u["buffers"]]
        keys = set(want) | {k for k in books[0] if k[0] == pid} | \
            {k for k in released if k[0] == pid}
        for k in sorted(keys):
            w = want.get(k, [0, 0])
            n_rows += any(w)
            got = books[0].get(k, [0, 0])
            if got != w:
                errors.append(f"pid {pid} chip {k[1]} {k[2]}: events up to "
                              f"holding give {got}, books {w}")
            rel = released.get(k, [0, 0])
            if rel != w:
                errors.append(f"pid {pid} chip {k[1]} {k[2]}: released "
                              f"afterwards {rel}, books held {w}")
            after = books[1].get(k, [0, 0])
            if [got[0] + after[0], got[1] + after[1]] != [0, 0]:
                errors.append(f"pid {pid} chip {k[1]} {k[2]}: "
                              f"{got[0] + after[0]} bytes left at the end")
    if not n_rows:
        errors.append("the books hold nothing: nothing was compared")
    for e in errors:
        print(e)
    if not errors:
        print(f"match: {len(truths)} processes, {n_rows} (chip, type) rows")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
