#!/usr/bin/env python3
"""Compare ttbpf-trace's JSON summary with the workloads' ground truth.

usage: compare.py SUMMARY_JSON TRUTH_JSON... [--device-totals] [--at-most]
                  [--buffers]

Checks, for every process the truth files describe, that each (device,
kind, type) has exactly the outstanding bytes and buffer count the
stand-in allocator's own books hold, and the same peak and counters, and
that such a process has no traced row the truth lacks; with
--device-totals also that the device rows equal the sum over processes
and that no other device holds anything.
--at-most (tracer started late): traced values may be lower, never higher.
--buffers (ttbpf-snapshot --json): the outstanding buffer list is exactly
the truth's, buffer by buffer (Buffer*, address, size, type, device, and
the chips of a mesh buffer, listed once per chip).
Prints every mismatch; exits 1 if any.
"""
import json
import sys

TYPES = ["DRAM", "L1", "SYSTEM_MEMORY", "L1_SMALL", "TRACE"]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    flags = {a for a in sys.argv[1:] if a.startswith("--")}
    summary = json.load(open(args[0]))
    # Schema 2 names chip or mesh "dev_kind" (the truth says "kind"),
    # writes addresses as "0x..." and leaves out chips no one knows.
    for row in (summary["processes"] + summary["devices"] +
                summary.get("buffers", [])):
        row["kind"] = row["dev_kind"]
        if isinstance(row.get("address"), str):
            row["address"] = int(row["address"], 16)
        row.setdefault("chips", [])
    truths = [json.load(open(p)) for p in args[1:]]
    at_most = "--at-most" in flags
    errors = []

    def cmp(what, traced, truth):
        bad = traced > truth if at_most else traced != truth
        if bad:
            errors.append(f"{what}: traced {traced}, truth {truth}")

    # The books number chips as the process does: a row's own id
    # (local_device) where the summary gives one, for a process whose
    # host-wide number could not be known (it exited unseen) too.
    procs = {(p["pid"], p.get("local_device", p["device"]), p["kind"]): p
             for p in summary["processes"]}
    dev_sum = {}
    for t in truths:
        for d in t["devices"]:
            key = (t["pid"], d["device"], d["kind"])
            row = procs.get(key)
            used = any(d["usage"][ty]["allocs"] for ty in TYPES)
            if row is None:
                if used and not at_most:
                    errors.append(f"pid {key[0]} {key[2]} {key[1]}: no row traced")
                row = {"usage": {ty: 0 for ty in TYPES},
                       "buffers": {ty: 0 for ty in TYPES},
                       "peak": {ty: 0 for ty in TYPES},
                       "allocs": 0, "frees": 0, "failed": 0}
            where = f"pid {key[0]} {key[2]} {key[1]}"
            for ty in TYPES:
                u = d["usage"][ty]
                cmp(f"{where} {ty} bytes", row["usage"][ty], u["bytes"])
                cmp(f"{where} {ty} buffers", row["buffers"][ty], u["buffers"])
                if not at_most:
                    cmp(f"{where} {ty} peak", row["peak"][ty], u["peak_bytes"])
                dk = (d["device"], d["kind"])
                acc = dev_sum.setdefault(dk, {ty: [0, 0] for ty in TYPES})
                acc[ty][0] += u["bytes"]
                acc[ty][1] += u["buffers"]
            if not at_most:
                cmp(f"{where} allocs", row["allocs"],
                    sum(d["usage"][ty]["allocs"] for ty in TYPES))
                cmp(f"{where} frees", row["frees"],
                    sum(d["usage"][ty]["frees"] for ty in TYPES))
                cmp(f"{where} failed", row["failed"],
                    sum(d["usage"][ty]["failures"] for ty in TYPES))

    # The other direction: a traced row of a process the truth describes
    # must be one the truth knows (no buffer on a device it never used).
    truth_keys = {(t["pid"], d["device"], d["kind"])
                  for t in truths for d in t["devices"]}
    truth_pids = {t["pid"] for t in truths}
    for key, row in procs.items():
        if key[0] in truth_pids and key not in truth_keys and (
                row.get("allocs") or any(row["usage"].values())):
            errors.append(f"pid {key[0]} {key[2]} {key[1]}: traced, "
                          "not in truth")

    if "--device-totals" in flags:
        devs = {(d["device"], d["kind"]): d for d in summary["devices"]}
        for dk, row in devs.items():
            if dk not in dev_sum and any(row["usage"].values()):
                errors.append(f"device {dk[1]} {dk[0]}: traced, not in truth")
        for dk, acc in dev_sum.items():
            row = devs.get(dk)
            for ty in TYPES:
                traced_b = row["usage"][ty] if row else 0
                traced_n = row["buffers"][ty] if row else 0
                cmp(f"device {dk[1]} {dk[0]} {ty} bytes", traced_b, acc[ty][0])
                cmp(f"device {dk[1]} {dk[0]} {ty} buffers", traced_n, acc[ty][1])

    if "--buffers" in flags:
        def key(pid, b, dev):
            return (pid, dev, b["kind"], b["type"], b["size"],
                    b["address"], int(str(b["buffer"]), 0),
                    tuple(b["chips"]))
        traced = sorted(key(b["pid"], b, b.get("local_device", b["device"]))
                        for b in summary["buffers"])
        # A mesh buffer is held, and listed, once on each of its chips.
        truth = sorted(key(t["pid"], b, c) for t in truths
                       for b in t["buffers"] for c in b["chips"] or
                       [b["device"]])
        for b in sorted(set(traced) - set(truth)):
            errors.append(f"buffer traced but not in truth: {b}")
        for b in sorted(set(truth) - set(traced)):
            errors.append(f"buffer in truth but not traced: {b}")
        if len(traced) != len(truth):
            errors.append(f"{len(traced)} buffers traced, {len(truth)} in truth")

    for e in errors:
        print(e)
    if not errors:
        n = sum(len(t["devices"]) for t in truths)
        print(f"match: {len(truths)} processes, {n} device rows")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
