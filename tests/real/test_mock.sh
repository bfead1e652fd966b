#!/bin/bash
# Real TT-Metal (ttnn 0.81.1, mock device, no hardware) under ttbpf-trace:
#   tests/real/test_mock.sh TOOLS_OUT
# The tracer attaches to the venv's libtt_metal.so before the workload
# starts; the workload allocates, prints the allocator's own numbers and
# holds; the tracer is stopped with SIGINT while the buffers are still held,
# so its final summary must show exactly what the allocator holds.
#
# The numbers (per buffer type):
#  - Buffer::size(): bytes the program asked for (here whole 2048 B bf16
#    tiles: pages * 2048). The tracer's "usage" and the per-process slot of
#    TT-Metal's own /dev/shm/tt_device_0_memory both count this, so
#      traced usage == sum of sizes the workload allocated == shm slot.
#  - aligned size: size rounded up to whole pages of aligned_page_size()
#    (equal to size here: 2048 is already DRAM/L1 aligned).
#  - per bank: an interleaved buffer reserves ceil(pages / num_banks) pages
#    in every bank; get_memory_view's total_bytes_allocated_per_bank is the
#    sum of that over the live buffers, so
#      view delta == sum over traced allocs of ceil(size/2048/banks)*2048.
source "$(dirname "$0")/mock_lib.sh"
start_tracer

mkfifo "$WORK/in"
TT_METAL_MOCK_CLUSTER_DESC_PATH=$CACHE/mock-n150.yaml \
	"$VENV/bin/python" "$HERE/mock_workload.py" <"$WORK/in" \
	>"$WORK/wl.out" 2>"$WORK/wl.err" &
WP=$!
BG_PIDS+=("$WP")
exec 9>"$WORK/in"
for _ in $(seq 120); do
	grep -q '"ready"' "$WORK/wl.out" && break
	kill -0 "$WP" 2>/dev/null || break
	sleep 0.5
done
sleep 0.5
stop_tracer
echo >&9
exec 9>&-
wait "$WP"
WRC=$?

python3 - "$HERE" "$WORK" "$TRC" "$WRC" <<'PY'
import sys
sys.path.insert(0, sys.argv.pop(1))
from mock_check import check, finish, lines
work, trc, wrc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
wl = lines(work + "/wl.out")
tr = lines(work + "/trace.json")
ready = [e for e in wl if e.get("event") == "ready"]
freed = [e for e in wl if e.get("event") == "freed"]
summ = [e for e in tr if e.get("event") == "summary"]
check("tracer exits 0 on SIGINT", trc, 0)
check("workload exits 0", wrc, 0)
check("workload printed ready and freed", (len(ready), len(freed)), (1, 1))
check("tracer printed one summary", len(summ), 1)
if ready and summ:
    r, s = ready[0], summ[0]
    pid = r["pid"]
    procs = [p for p in s["processes"] if p["pid"] == pid]
    use, nbuf = {}, {}
    for p in procs:  # device -1 / mesh for 0.81.1: total per process
        for t, v in p["usage"].items():
            use[t] = use.get(t, 0) + v
        for t, v in p["buffers"].items():
            nbuf[t] = nbuf.get(t, 0) + v
    allocs = [e for e in tr if e.get("event") == "alloc" and e["pid"] == pid]
    for t in ("DRAM", "L1"):
        want = sum(x["size"] for x in r["tensors"] if x["type"] == t)
        n = sum(1 for x in r["tensors"] if x["type"] == t)
        check(f"{t} traced usage == sum of Buffer::size allocated",
              use.get(t), want)
        if r["shm"] is not None:
            check(f"{t} traced usage == TT-Metal shm slot", use.get(t),
                  r["shm"][t])
        check(f"{t} traced buffers == tensors held", nbuf.get(t), n)
        check(f"{t} traced alloc sizes == workload sizes",
              sorted(e["size"] for e in allocs if e["type"] == t),
              sorted(x["size"] for x in r["tensors"] if x["type"] == t))
        v0, v1 = r["view_before"][t], r["view_after"][t]
        banks = v1["num_banks"]
        per_bank = sum(-(-e["size"] // 2048 // banks) * 2048
                       for e in allocs if e["type"] == t)
        check(f"{t} per-bank from traced sizes == memory view delta",
              per_bank, v1["total_bytes_allocated_per_bank"]
              - v0["total_bytes_allocated_per_bank"])
    for t in ("L1_SMALL", "TRACE", "SYSTEM_MEMORY"):
        check(f"{t} traced usage == 0", use.get(t, 0), 0)
    check("no dropped events / bad reads",
          (s["stats"]["events_dropped"], s["stats"]["bad_reads"]), (0, 0))
if freed:
    f = freed[0]
    check("allocator back to 0 after free (memory view)",
          [f["view"][t]["total_bytes_allocated_per_bank"]
           for t in ("DRAM", "L1")], [0, 0])
finish()
PY
