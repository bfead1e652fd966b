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
set -u
OUT=${1:?tools output dir}
TRACE=$OUT/ttbpf-trace
HERE=$(cd "$(dirname "$0")" && pwd)
PASS=0
FAIL=0
WORK=$(mktemp -d /tmp/ttbpf-real.XXXXXX)
TP=
WP=

cleanup() {
	[ -n "$TP" ] && kill -KILL "$TP" 2>/dev/null
	[ -n "$WP" ] && kill -KILL "$WP" 2>/dev/null
	wait 2>/dev/null
	# Only the /dev/shm names that appeared during our run, and of those
	# only our own files: /dev/shm is every user's.
	if [ -f "$WORK/shm.before" ]; then
		ls /dev/shm | sort | comm -13 "$WORK/shm.before" - |
			while read -r n; do
				f=/dev/shm/$n
				[ -f "$f" ] && [ ! -L "$f" ] && [ -O "$f" ] && rm -f "$f"
			done
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

skip() {
	echo "0 passed, 0 failed"
	echo "# skip: $*"
	exit 77
}

CACHE=$("$HERE/mock_setup.sh" 2>"$WORK/setup.err") ||
	skip "$(cat "$WORK/setup.err")"
VENV=$CACHE/venv-0.81.1
LIB=$VENV/lib/python3.10/site-packages/ttnn/build/lib/libtt_metal.so
[ -x "$TRACE" ] || skip "no $TRACE"
[ "$(id -u)" = 0 ] || skip "needs root for uprobes"

ls /dev/shm | sort >"$WORK/shm.before"
"$TRACE" --json --lib "$LIB" >"$WORK/trace.json" 2>"$WORK/trace.err" &
TP=$!
for _ in $(seq 100); do
	grep -q attached "$WORK/trace.err" && break
	sleep 0.1
done

mkfifo "$WORK/in"
TT_METAL_MOCK_CLUSTER_DESC_PATH=$CACHE/mock-n150.yaml \
	"$VENV/bin/python" "$HERE/mock_workload.py" <"$WORK/in" \
	>"$WORK/wl.out" 2>"$WORK/wl.err" &
WP=$!
exec 9>"$WORK/in"
for _ in $(seq 120); do
	grep -q '"ready"' "$WORK/wl.out" && break
	kill -0 "$WP" 2>/dev/null || break
	sleep 0.5
done
sleep 0.5
kill -INT "$TP"
wait "$TP"
TRC=$?
TP=
echo >&9
exec 9>&-
wait "$WP"
WRC=$?
WP=

python3 - "$WORK" "$TRC" "$WRC" <<'PY'
import json, sys
work, trc, wrc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
res = []
def check(name, got, want):
    res.append((got == want, name, got, want))
def lines(p):
    out = []
    for l in open(p):
        try:
            out.append(json.loads(l))
        except ValueError:
            pass
    return out
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
p = f = 0
for good, name, got, want in res:
    if good:
        print(f"ok - {name} ({got})")
        p += 1
    else:
        print(f"not ok - {name}: got {got}, want {want}")
        f += 1
print(f"{p} passed, {f} failed")
sys.exit(1 if f else 0)
PY
