#!/usr/bin/env python3
"""Compare what Prometheus scraped from ttbpf-exporter with ground truth.

usage: prom_compare.py PROM_URL TRUTH_JSON... [--usage-only] [--gone PID...]

Queries PROM_URL/api/v1/query and checks, exactly:
- ttbpf_process_memory_used_bytes{pid,device,type} per process of the
  truth files: one series per (device, type) the process used (bytes or
  peak above 0), valued at the bytes the allocator holds; comm is the
  process's /proc name as the truth's process was started;
- ttbpf_device_memory_used_bytes and ttbpf_device_buffers per (device,
  type): the sum over the truth files; any other device series is 0;
- ttbpf_allocations_total, ttbpf_frees_total and
  ttbpf_allocation_failures_total per device: the sums of the truths'
  counters;
- with --usage-only (the truths know what the program allocated, not
  every allocation the library made for itself), the counters are not
  compared;
- with --gone (those processes were killed; the truths are the ones
  left): no process series of those pids is left, and the counters,
  which still count the gone processes, are not compared.
Prints every mismatch; exits 1 if any.
"""
import json
import sys
import urllib.parse
import urllib.request

TYPES = ["DRAM", "L1", "SYSTEM_MEMORY", "L1_SMALL", "TRACE"]


def query(url, q):
    with urllib.request.urlopen(url + "/api/v1/query?" +
                                urllib.parse.urlencode({"query": q})) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise SystemExit(f"query {q}: {body}")
    return body["data"]["result"]


def label(d):
    if d["kind"] == "chip":
        return str(d["device"])
    if d["kind"] == "mesh":
        return f"mesh:{d['device']}" if d["device"] >= 0 else "mesh:?"
    return "unknown"


def main():
    argv = sys.argv[1:]
    gone = []
    if "--gone" in argv:
        i = argv.index("--gone")
        gone = argv[i + 1:]
        argv = argv[:i]
    usage_only = "--usage-only" in argv
    argv = [a for a in argv if a != "--usage-only"]
    url, paths = argv[0], argv[1:]
    truths = [json.load(open(p)) for p in paths]
    errors = []

    def cmp(what, got, want):
        if got != want:
            errors.append(f"{what}: prometheus {got}, truth {want}")

    procs = {}
    for s in query(url, "ttbpf_process_memory_used_bytes"):
        m = s["metric"]
        procs.setdefault(m["pid"], {})[(m["device"], m["type"])] = \
            int(s["value"][1])
    dev_used, dev_bufs, allocs, frees, failed = {}, {}, {}, {}, {}
    for t in truths:
        want = {}
        for d in t["devices"]:
            dl = label(d)
            for ty in TYPES:
                u = d["usage"][ty]
                if u["bytes"] or u["peak_bytes"]:
                    want[(dl, ty)] = u["bytes"]
                k = (dl, ty)
                dev_used[k] = dev_used.get(k, 0) + u["bytes"]
                dev_bufs[k] = dev_bufs.get(k, 0) + u["buffers"]
                allocs[dl] = allocs.get(dl, 0) + u.get("allocs", 0)
                frees[dl] = frees.get(dl, 0) + u.get("frees", 0)
                failed[dl] = failed.get(dl, 0) + u.get("failures", 0)
        got = procs.get(str(t["pid"]), {})
        for k in sorted(set(want) | set(got)):
            cmp(f"pid {t['pid']} device {k[0]} {k[1]}", got.get(k), want.get(k))

    def per_device(metric, want, keyf):
        got = {keyf(s["metric"]): int(s["value"][1])
               for s in query(url, metric)}
        for k in sorted(set(want) | set(got)):
            if k not in want and got[k] == 0:
                continue
            cmp(f"{metric} {k}", got.get(k), want.get(k, 0))

    dt = (lambda m: (m["device"], m["type"]))
    per_device("ttbpf_device_memory_used_bytes", dev_used, dt)
    per_device("ttbpf_device_buffers", dev_bufs, dt)
    # Counters include processes that have gone: only while all live.
    dv = (lambda m: m["device"])
    if not gone and not usage_only:
        per_device("ttbpf_allocations_total", allocs, dv)
        per_device("ttbpf_frees_total", frees, dv)
        per_device("ttbpf_allocation_failures_total", failed, dv)
    for pid in gone:
        if pid in procs:
            errors.append(f"pid {pid} exited, still has series {procs[pid]}")

    for e in errors:
        print(e)
    if not errors:
        print(f"match: {len(truths)} processes, {len(dev_used)} device rows")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
