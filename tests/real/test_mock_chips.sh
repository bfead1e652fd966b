#!/bin/bash
# Real TT-Metal (ttnn 0.81.1, mock devices) on several chips, under one
# ttbpf-trace started before the workloads:
#   tests/real/test_mock_chips.sh TOOLS_OUT
#  - n300 (one board, two chips): a 1x2 MeshDevice; each tensor on it is
#    one allocate_buffer on the mesh's allocator and occupies its size on
#    both chips; and, in another process, the second 1x1 submesh of such a
#    mesh, which holds chip 1 only;
#  - two n150 boards: one process on device 0, one started with
#    TT_VISIBLE_DEVICES=1 (physical chip 1, device 0 inside the process).
# Ground truth: the sizes each workload allocated, and TT-Metal's own
# per-process, per-chip record in /dev/shm/tt_device_<id>_memory (DRAM,
# L1, L1_SMALL and TRACE against the trace; CB, which no allocate_buffer
# serves, is 0 here as no program runs).
set -u
OUT=${1:?tools output dir}
# shellcheck source=tests/real/mock_lib.sh
source "$(dirname "$0")/mock_lib.sh"
PIDS=()

# Cluster descriptors in the format of this UMD (see mock_setup.sh).
cat >"$WORK/n300.yaml" <<'Y'
arch: { 0: Wormhole, 1: Wormhole, }
chips: { 0: [0,0,0,0], 1: [1,0,0,0], }
ethernet_connections: [
  [{chip: 0, chan: 8}, {chip: 1, chan: 0}],
  [{chip: 0, chan: 9}, {chip: 1, chan: 1}],
]
chips_with_mmio: [ 0: 0, ]
harvesting: { 0: {noc_translation: true, harvest_mask: 32}, 1: {noc_translation: true, harvest_mask: 32}, }
boardtype: { 0: n300, 1: n300, }
boards: [ [ {board_id: 72059269369839682}, {board_type: n300}, {chips: [0, 1]} ], ]
Y
cat >"$WORK/two-n150.yaml" <<'Y'
arch: { 0: Wormhole, 1: Wormhole, }
chips: { 0: [0,0,0,0], 1: [1,0,0,0], }
ethernet_connections: [ ]
chips_with_mmio: [ 0: 0, 1: 1, ]
harvesting: { 0: {noc_translation: true, harvest_mask: 32}, 1: {noc_translation: true, harvest_mask: 32}, }
boardtype: { 0: n150, 1: n150, }
boards: [ [ {board_id: 72059269369839682}, {board_type: n150}, {chips: [0]} ], [ {board_id: 72059269369839683}, {board_type: n150}, {chips: [1]} ], ]
Y

"$TRACE" --json --lib "$LIB" >"$WORK/trace.json" 2>"$WORK/trace.err" &
TP=$!
KILL+=("$TP")
wait_attached "$WORK/trace.err"

# NAME YAML MODE [ENV...]: start, wait until it holds.
run() {
	local name=$1 yaml=$2 mode=$3
	shift 3
	mkfifo "$WORK/$name.in"
	env "$@" TT_METAL_MOCK_CLUSTER_DESC_PATH="$WORK/$yaml" \
		"$VENV/bin/python" "$HERE/mock_chips.py" "$mode" \
		<"$WORK/$name.in" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	PIDS+=($!)
	KILL+=($!)
	eval "exec {fd}>\"$WORK/$name.in\""
	FDS+=("$fd")
	wait_ready "${PIDS[-1]}" "$WORK/$name.out"
}
FDS=()
run mesh n300.yaml mesh
run submesh n300.yaml submesh
run n150 two-n150.yaml dev
run visible two-n150.yaml dev TT_VISIBLE_DEVICES=1
sleep 0.5
kill -INT "$TP"
wait "$TP"
TRC=$?
forget "$TP"
for fd in "${FDS[@]}"; do echo >&"$fd"; done
RCS=()
for p in "${PIDS[@]}"; do
	wait "$p"
	RCS+=($?)
	forget "$p"
done

PYTHONPATH=$HERE python3 - "$WORK" "$TRC" "${RCS[@]}" <<'PY'
import json, sys
work, trc, rcs = sys.argv[1], int(sys.argv[2]), list(map(int, sys.argv[3:]))
from checks import check, lines, report
def ready(name):
    r = [e for e in lines(f"{work}/{name}.out") if e.get("event") == "ready"]
    return r[0] if r else None
tr = lines(work + "/trace.json")
summ = [e for e in tr if e.get("event") == "summary"]
check("tracer exits 0 on SIGINT", trc, 0)
check("workloads exit 0", rcs, [0, 0, 0, 0])
check("tracer printed one summary", len(summ), 1)
wl = {n: ready(n) for n in ("mesh", "submesh", "n150", "visible")}
check("every workload held its tensors", sorted(n for n in wl if wl[n]),
      ["mesh", "n150", "submesh", "visible"])
TYPES = ("DRAM", "L1", "L1_SMALL", "TRACE")
if summ and all(wl.values()):
    s = summ[0]
    def rows(pid):
        return {(p["device"], p["kind"]): p for p in s["processes"]
                if p["pid"] == pid}
    def want(w, t):
        return sum(x["size"] for x in w["tensors"] if x["type"] == t)
    def nbuf(w, t):
        return sum(1 for x in w["tensors"] if x["type"] == t)
    m = wl["mesh"]
    check("mesh: the 1x2 mesh has local chips 0 and 1", m["local_chips"],
          [0, 1])
    r = rows(m["pid"])
    check("mesh: one row per chip, none for the mesh", sorted(r),
          [(0, "chip"), (1, "chip")])
    for chip in (0, 1):
        row = r.get((chip, "chip"))
        for t in TYPES:
            check(f"mesh: chip {chip} {t} bytes == sizes allocated",
                  row and row["usage"][t], want(m, t))
            check(f"mesh: chip {chip} {t} buffers == tensors",
                  row and row["buffers"][t], nbuf(m, t))
            check(f"mesh: chip {chip} {t} peak == sizes allocated",
                  row and row["peak"][t], want(m, t))
    allocs = [e for e in tr if e.get("event") == "alloc"
              and e["pid"] == m["pid"]]
    check("mesh: one alloc event per tensor, naming both chips",
          sorted((e["size"], e["chips"]) for e in allocs),
          sorted((x["size"], [0, 1]) for x in m["tensors"]))
    sm = wl["submesh"]
    r = rows(sm["pid"])
    check("submesh: its one chip is chip 1", sm["local_chips"], [1])
    check("submesh: one row, chip 1", sorted(r), [(1, "chip")])
    for t in TYPES:
        check(f"submesh: chip 1 {t} bytes == sizes allocated",
              r.get((1, "chip"), {}).get("usage", {}).get(t), want(sm, t))
    n = wl["n150"]
    r = rows(n["pid"])
    check("n150: one row, chip 0", sorted(r), [(0, "chip")])
    for t in TYPES:
        check(f"n150: chip 0 {t} bytes == sizes allocated",
              r.get((0, "chip"), {}).get("usage", {}).get(t), want(n, t))
    v = wl["visible"]
    r = rows(v["pid"])
    for t in TYPES:
        check(f"TT_VISIBLE_DEVICES=1: {t} bytes == sizes allocated",
              sum(x["usage"][t] for x in r.values()), want(v, t))
    # TT-Metal's own record of each process, per chip file.
    for name, w in wl.items():
        r = rows(w["pid"])
        traced_total = {t: sum(x["usage"][t] for x in r.values())
                        for t in TYPES}
        shm_total = {t: sum(x["usage"][t] for x in w["shm"])
                     for t in TYPES}
        check(f"{name}: chips in TT-Metal's record == chips traced",
              len(w["shm"]), len(r))
        check(f"{name}: DRAM, L1, L1_SMALL, TRACE == TT-Metal's record",
              traced_total, shm_total)
        check(f"{name}: CB in TT-Metal's record is 0 (no program ran)",
              sum(x["usage"]["CB"] for x in w["shm"]), 0)
        # Chip by chip: the record's files are named by unique chip id,
        # so compare the per-chip totals as a multiset.
        check(f"{name}: per chip == TT-Metal's record per chip file",
              sorted(tuple(x["usage"][t] for t in TYPES) for x in r.values()),
              sorted(tuple(x["usage"][t] for t in TYPES) for x in w["shm"]))
    check("no dropped events, bad reads, unresolved meshes",
          [s["stats"][k] for k in ("events_dropped", "bad_reads",
                                   "mesh_unresolved", "unknown_device")],
          [0, 0, 0, 0])
report()
PY
