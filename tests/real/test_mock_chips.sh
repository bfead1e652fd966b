#!/bin/bash
# Real TT-Metal (ttnn 0.81.1, mock devices, no hardware) on several chips,
# four processes at once under one ttbpf-trace:
#   A  two n150 cards (two boards), open_device(device_id=1)
#   B  the same host, open_device(device_id=0)
#   C  the same host, TT_VISIBLE_DEVICES=1 and open_device(device_id=0):
#      physical chip 1 renumbered as device 0 inside the process
#   D  one n300 (two chips, one board), open_mesh_device(MeshShape(1, 2))
# Usage: tests/real/test_mock_chips.sh TOOLS_OUT
#
# Ground truth: the sizes each workload allocated (Buffer::size(), whole
# 2048 B tiles) and TT-Metal's own record of each chip,
# /dev/shm/tt_device_<unique chip id>_memory (mock chips 0 and 1 have the
# unique ids 0 and 4294967296), which adds a buffer's size to every chip
# of the mesh that holds it, under the allocating pid. What is asserted:
#  - per process, ttbpf's totals over all its rows equal the sizes the
#    workload allocated times the chips holding them (a mesh buffer is on,
#    and counted on, every chip of the mesh), per type, one row per chip;
#  - the process has a slot exactly on the chips it opened (C on physical
#    chip 1, D on both), each equal to those totals for all five types the
#    record keeps (CB, circular buffers, is 0: no tensor makes one);
#  - so the record summed over chips is ttbpf's total over its chip rows.
# Which rows ttbpf shows per process is printed ("# rows"), not asserted.
source "$(dirname "$0")/mock_lib.sh"
start_tracer
mock_start A mock-2xn150.yaml -- --device 1
mock_start B mock-2xn150.yaml -- --device 0
mock_start C mock-2xn150.yaml TT_VISIBLE_DEVICES=1 -- --device 0
mock_start D mock-n300.yaml -- --mesh 1 2
mock_wait_ready A B C D
sleep 0.5
stop_tracer
mock_release_all A B C D

python3 - "$HERE" "$WORK" "$TRC" "${rcs[@]}" <<'PY'
import sys
sys.path.insert(0, sys.argv.pop(1))
from mock_check import check, finish, lines, ready
work, trc, rcs = sys.argv[1], int(sys.argv[2]), [int(x) for x in sys.argv[3:]]
CHIP0, CHIP1 = "0", "4294967296"
cases = {  # name: (device ids inside the process, chips that hold it)
    "A": ([1], {CHIP1}),
    "B": ([0], {CHIP0}),
    "C": ([0], {CHIP1}),
    "D": ([0, 1], {CHIP0, CHIP1}),
}
tr = lines(work + "/trace.json")
summ = [e for e in tr if e.get("event") == "summary"]
check("tracer exits 0 on SIGINT", trc, 0)
check("tracer printed one summary", len(summ), 1)
s = summ[0] if summ else {"processes": [], "stats": {}}
for (name, (ids, chips)), rc in zip(cases.items(), rcs):
    check(f"{name}: workload exits 0", rc, 0)
    r = ready(work, name)
    if not r:
        continue
    pid = r["pid"]
    check(f"{name}: device ids inside the process", r["device_ids"], ids)
    rows = [p for p in s["processes"] if p["pid"] == pid]
    print(f"# rows {name} pid {pid}: " + ", ".join(
        f"{p['dev_kind']} {p['device']} DRAM {p['usage']['DRAM']} L1 {p['usage']['L1']}"
        for p in rows))
    total = {t: sum(p["usage"][t] for p in rows)
             for t in ("DRAM", "L1", "L1_SMALL", "TRACE")}
    # Device rows are chips: a mesh buffer is on each chip of the mesh.
    per_chip = {t: total[t] // len(chips) for t in total}
    for t in ("DRAM", "L1"):
        check(f"{name}: {t} traced total == sum of Buffer::size allocated "
              "x chips holding it",
              total[t], len(chips) * sum(x["size"] for x in r["tensors"]
                                         if x["type"] == t))
    shm = r["shm_chips"]
    check(f"{name}: TT-Metal's record has the process on exactly its chips",
          sorted(shm), sorted(chips))
    for chip in sorted(shm):
        slot = shm[chip]
        check(f"{name}: record version on chip {chip}", slot["version"], 3)
        check(f"{name}: chip {chip}: record == traced per chip, all five types",
              [slot[t] for t in ("DRAM", "L1", "L1_SMALL", "TRACE", "CB")],
              [per_chip["DRAM"], per_chip["L1"], per_chip["L1_SMALL"],
               per_chip["TRACE"], 0])
    check(f"{name}: record summed over chips == traced total over chip rows",
          sum(shm[c]["DRAM"] + shm[c]["L1"] for c in shm),
          total["DRAM"] + total["L1"])
    check(f"{name}: one chip row per chip holding it",
          len([p for p in rows if p["dev_kind"] == "chip"]), len(chips))
check("no dropped events / bad reads",
      (s["stats"].get("events_dropped"), s["stats"].get("bad_reads")), (0, 0))
finish()
PY
