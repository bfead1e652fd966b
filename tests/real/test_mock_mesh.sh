#!/bin/bash
# Device rows are chips: real TT-Metal (ttnn 0.81.1, mock devices) under
# one ttbpf-trace started before the workloads, row by row:
#   tests/real/test_mock_mesh.sh TOOLS_OUT
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
source "$(dirname "$0")/mock_lib.sh"
PIDS=()
FDS=()
start_tracer

# NAME YAML MODE [ENV...]: start, wait until it holds.
run() {
	local name=$1 yaml=$2 mode=$3
	shift 3
	mkfifo "$WORK/$name.in"
	env "$@" TT_METAL_MOCK_CLUSTER_DESC_PATH="$CACHE/$yaml" \
		"$VENV/bin/python" "$HERE/mock_chips.py" "$mode" \
		<"$WORK/$name.in" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	PIDS+=($!)
	BG_PIDS+=($!)
	eval "exec {fd}>\"$WORK/$name.in\""
	FDS+=("$fd")
	for _ in $(seq 240); do
		grep -q '"ready"' "$WORK/$name.out" && return
		kill -0 "${PIDS[-1]}" 2>/dev/null || return
		sleep 0.25
	done
}
run mesh mock-n300.yaml mesh
run submesh mock-n300.yaml submesh
run n150 mock-2xn150.yaml dev
run visible mock-2xn150.yaml dev TT_VISIBLE_DEVICES=1
sleep 0.5
stop_tracer
for fd in "${FDS[@]}"; do echo >&"$fd"; done
RCS=()
for p in "${PIDS[@]}"; do
	wait "$p"
	RCS+=($?)
done

python3 - "$HERE" "$WORK" "$TRC" "${RCS[@]}" <<'PY'
import sys
sys.path.insert(0, sys.argv.pop(1))
from mock_check import check, finish, lines
work, trc, rcs = sys.argv[1], int(sys.argv[2]), list(map(int, sys.argv[3:]))
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
        return {(p["device"], p["dev_kind"]): p for p in s["processes"]
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
finish()
PY
