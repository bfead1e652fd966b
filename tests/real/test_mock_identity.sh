#!/bin/bash
# Host-wide chip numbers on real TT-Metal (ttnn 0.81.1, mock devices), two
# n150 cards (two boards), five processes under one pinned ttbpf-trace:
#   A  open_device(device_id=1)                       chip 1 is its device 1
#   B  open_device(device_id=0)                       chip 0 is its device 0
#   C  TT_VISIBLE_DEVICES=1 in its environment, device 0: chip 1 renumbered
#   F  the same set by the script itself (os.environ) before importing
#      ttnn, which /proc/PID/environ does not show
#   E  TT_VISIBLE_DEVICES=1 and TT_METAL_SHM_TRACKING_DISABLED=1: TT-Metal
#      keeps no unique id for its chip, so its host-wide number is unknown
#   U  unit meshes: ttnn.CreateDevices([0, 1]) (create_unit_meshes), other
#      sizes on each chip (tests/real/mock_unit.py)
# Usage: tests/real/test_mock_identity.sh TOOLS_OUT
#
# Ground truth: which record file TT-Metal put each process in
# (/dev/shm/tt_device_<unique chip id>_memory; mock chips 0 and 1 have the
# unique ids 0 and 4294967296) and the process's totals there, and what
# the workload allocated. Asserted in ttbpf-snapshot --json, the trace's
# summary and ttbpf-top --once: each process's bytes are on the host-wide
# chip that holds them (C and F on chip 1), with its own id and the
# unique id beside them; E is on no numbered chip ("?", null), never a
# guess; the chip rows add up what the processes on them hold; alloc
# events carry the host-wide chip too (null when unknown). A and B start
# first: a renumbered chip's number is learnt from them.
source "$(dirname "$0")/mock_lib.sh"
SNAP=$OUT/ttbpf-snapshot
TOP=$OUT/ttbpf-top
use_pin identity
start_tracer --pin --pin-dir "$PIN"

WL=$HERE/mock_workload.py
# A and B first: a renumbered chip's host-wide number is learnt from a
# process on this host that is not renumbered.
D=mock-2xn150.yaml
mock_start A $D -- --device 1
mock_start B $D -- --device 0
mock_start_py U $D -- "$HERE/mock_unit.py"
mock_wait_ready A B U
mock_start C $D TT_VISIBLE_DEVICES=1 -- --device 0
mock_start E $D TT_VISIBLE_DEVICES=1 TT_METAL_SHM_TRACKING_DISABLED=1 -- --device 0
mock_start_py F $D -- -c "import os, runpy, sys
os.environ['TT_VISIBLE_DEVICES'] = '1'
sys.argv = ['$WL', '--device', '0']
runpy.run_path('$WL', run_name='__main__')"
mock_wait_ready C E F
"$SNAP" --pin-dir "$PIN" --json >"$WORK/snap.json" 2>"$WORK/snap.err"
"$TOP" --pin-dir "$PIN" --once >"$WORK/top.txt" 2>"$WORK/top.err"
stop_tracer
mock_release_all A B C E F U

python3 - "$HERE" "$WORK" "$TRC" "${rcs[@]}" <<'PY'
import json, sys
sys.path.insert(0, sys.argv.pop(1))
from mock_check import check, finish, lines, ready
work, trc, rcs = sys.argv[1], int(sys.argv[2]), [int(x) for x in sys.argv[3:]]
U0, U1 = 0, 4294967296
# name: (host-wide chip, the process's own id, unique id); None: unknown
cases = {"A": (1, 1, U1), "B": (0, 0, U0), "C": (1, 0, U1),
         "E": (None, 0, None), "F": (1, 0, U1)}
TYPES = ("DRAM", "L1", "L1_SMALL", "TRACE")
check("tracer exits 0 on SIGINT", trc, 0)
summ = [e for e in lines(work + "/trace.json") if e.get("event") == "summary"]
check("tracer printed one summary", len(summ), 1)
s = summ[0] if summ else {"processes": [], "devices": []}
try:
    snap = json.load(open(work + "/snap.json"))
except (OSError, ValueError) as e:
    snap = {"processes": [], "devices": [], "buffers": []}
    check("snapshot is JSON", str(e), "")
top = open(work + "/top.txt").read().splitlines()
holds = {}  # host-wide chip (None: unknown) -> bytes per type
for (name, (host, local, uid)), rc in zip(cases.items(), rcs[:-1]):
    check(f"{name}: workload exits 0", rc, 0)
    r = ready(work, name)
    if not r:
        continue
    pid = r["pid"]
    check(f"{name}: device ids inside the process", r["device_ids"], [local])
    want = {t: sum(x["size"] for x in r["tensors"] if x["type"] == t)
            for t in TYPES}
    shm = r["shm_chips"]
    if uid is None:
        check(f"{name}: TT-Metal keeps no record of it", shm, {})
    else:
        check(f"{name}: TT-Metal's record has it on unique chip {uid} only",
              sorted(shm), [str(uid)])
        rec = shm.get(str(uid), {})
        check(f"{name}: record == sizes allocated",
              {t: rec.get(t) for t in TYPES}, want)
    h = holds.setdefault(host, dict.fromkeys(TYPES, 0))
    for t in TYPES:
        h[t] += want[t]
    for what, doc in (("snapshot", snap), ("summary", s)):
        rows = [p for p in doc["processes"] if p["pid"] == pid]
        check(f"{name}: {what}: one row, host-wide chip, its own id, "
              "unique id",
              [(p["device"], p["dev_kind"], p["local_device"], p["chip_uid"])
               for p in rows], [(host, "chip", local, uid)])
        check(f"{name}: {what}: bytes == TT-Metal's record / sizes",
              [{t: p["usage"][t] for t in TYPES} for p in rows], [want])
    evs = [e for e in lines(work + "/trace.json")
           if e.get("event") == "alloc" and e["pid"] == pid]
    check(f"{name}: trace: every alloc event on the host-wide chip "
          "(null: unknown)", (len(evs) > 0, {e["device"] for e in evs}),
          (True, {host}))
    bufs = [b for b in snap.get("buffers", []) if b["pid"] == pid]
    check(f"{name}: snapshot buffers on the host-wide chip",
          sorted({(b["device"], b["local_device"]) for b in bufs}),
          [(host, local)])
    label = ("dev ?" if host is None else f"dev {host}") + \
        ("" if host == local else f" (local {local})")
    rows = [l for l in top if l.split()[:1] == [str(pid)]]
    check(f"{name}: top --once: one row, labelled {label!r}",
          [label in l for l in rows], [True])
# U: one unit mesh per chip, each chip its own sizes.
check("U: workload exits 0", rcs[-1], 0)
r = ready(work, "U")
if r:
    pid = r["pid"]
    check("U: one unit mesh per chip", r["device_ids"], {"0": [0], "1": [1]})
    uids = {"0": str(U0), "1": str(U1)}
    want = {c: {t: r["sizes"][c].get(t, 0) for t in TYPES} for c in "01"}
    check("U: TT-Metal's record per chip == sizes allocated on it",
          {c: {t: r["shm_chips"].get(uids[c], {}).get(t) for t in TYPES}
           for c in "01"}, want)
    for c in "01":
        h = holds.setdefault(int(c), dict.fromkeys(TYPES, 0))
        for t in TYPES:
            h[t] += want[c][t]
    for what, doc in (("snapshot", snap), ("summary", s)):
        rows = sorted((p["device"], p["local_device"], p["chip_uid"],
                       {t: p["usage"][t] for t in TYPES})
                      for p in doc["processes"] if p["pid"] == pid)
        check(f"U: {what}: a row per chip, bytes == TT-Metal's record",
              rows, [(0, 0, U0, want["0"]), (1, 1, U1, want["1"])])
for what, doc in (("snapshot", snap), ("summary", s)):
    devs = {d["device"]: {t: d["usage"][t] for t in TYPES}
            for d in doc["devices"] if d["dev_kind"] == "chip"}
    check(f"{what}: chip rows == what the processes on each hold", devs, holds)
check("top --once: the unknown chips are said to be unknown",
      any(l.startswith("dev ? (chips of processes with TT_VISIBLE_DEVICES")
          for l in top), True)
finish()
PY
