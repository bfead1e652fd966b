#!/usr/bin/env python3
"""Compare the events a --record database holds with the trace's --json.

usage: record_compare.py FILE.db TRACE_JSON_LINES [--prefix]

Every event line of the trace (not the summary) must be a row of the
events table, in the same order, with the same kind, pid, tid, comm,
buffer, allocator, the buffers a release freed, and for
alloc/free/alloc_failed the same device, type, size and address; a
bulk_free/exit/exec has the same "released" rows (device, dev_kind, type,
size, count) in the released table. Without --prefix the two lists are equal;
with --prefix (the tracer was killed) the database holds the first N
events of the trace, N > 0. Prints the first mismatch; exits 1 if any.
"""
import json
import sqlite3
import sys

PER_BUFFER = {"alloc", "free", "alloc_failed"}


def main():
    db, trace = sys.argv[1], sys.argv[2]
    prefix = "--prefix" in sys.argv[3:]
    want = []
    for line in open(trace, encoding="utf-8", errors="surrogateescape"):
        try:
            e = json.loads(line)
        except ValueError:
            continue  # a line cut by SIGKILL
        if e.get("event") in (None, "header", "summary", "lost"):
            continue
        # Schema 2: pointers as "0x...", no field that does not apply.
        row = [e["event"], e["pid"], e["tid"], e["comm"],
               int(e.get("buffer", "0x0"), 16),
               int(e.get("allocator", "0x0"), 16),
               None if e["event"] in PER_BUFFER else e["buffers"]]
        if e["event"] in PER_BUFFER:
            addr = e.get("address")
            row += [-1 if e["device"] is None else e["device"], e["type"],
                    e["size"], None if addr is None else int(addr, 16)]
        else:
            row.append(sorted(
                (-1 if r["device"] is None else r["device"], r["dev_kind"],
                 r["type"], r["size"], r["count"]) for r in e["released"]))
        want.append(row)
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    con.text_factory = lambda b: b.decode("utf-8", "surrogateescape")
    released = {}
    for r in con.execute("SELECT event_id, device, dev_kind, type, size,"
                         " count FROM released"):
        released.setdefault(r[0], []).append(tuple(r[1:]))
    got = []
    for r in con.execute("SELECT kind, pid, tid, comm, buffer, allocator,"
                         " count, device, type, size, address, id FROM events"
                         " ORDER BY id"):
        row = list(r[:7])
        row[4] &= (1 << 64) - 1  # stored as signed 64-bit
        row[5] &= (1 << 64) - 1
        if row[0] in PER_BUFFER:
            row[6] = None  # the JSON of one buffer has no count
            # NULL, as JSON's null: an address not known yet.
            row += [r[7], r[8], r[9] & ((1 << 64) - 1),
                    None if r[10] is None else r[10] & ((1 << 64) - 1)]
        else:
            row.append(sorted(released.pop(r[11], [])))
        got.append(row)
    if released:
        print(f"released rows of no release event: {sorted(released)}")
        return 1
    if prefix:
        if not got:
            print("no event recorded")
            return 1
        if len(got) > len(want):
            print(f"{len(got)} recorded, only {len(want)} traced")
            return 1
        want = want[:len(got)]
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            print(f"event {i}: recorded {g}, traced {w}")
            return 1
    if len(got) != len(want):
        print(f"{len(got)} events recorded, {len(want)} traced")
        return 1
    print(f"match: {len(got)} events")
    return 0


if __name__ == "__main__":
    sys.exit(main())
