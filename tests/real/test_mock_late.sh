#!/bin/bash
# A tracer started after a real TT-Metal process (ttnn 0.81.1, mock n150):
#   tests/real/test_mock_late.sh TOOLS_OUT
# The process allocated before ttbpf attached, so ttbpf saw none of it:
# ttbpf-snapshot shows its per-chip totals from TT-Metal's own record
# (/dev/shm/tt_device_<id>_memory), labelled as such, equal to the sizes it
# allocated; so do ttbpf-top and the trace's summary. Once the process
# allocates while traced, ttbpf's own rows are shown instead: the
# record's rows of that process go, nothing counts twice.
source "$(dirname "$0")/mock_lib.sh"
SNAP=$OUT/ttbpf-snapshot
TOP=$OUT/ttbpf-top
use_pin late

mkfifo "$WORK/in"
TT_METAL_MOCK_CLUSTER_DESC_PATH=$CACHE/mock-n150.yaml \
	"$VENV/bin/python" "$HERE/mock_chips.py" dev <"$WORK/in" \
	>"$WORK/wl.out" 2>"$WORK/wl.err" &
WP=$!
BG_PIDS+=("$WP")
exec 9>"$WORK/in"
for _ in $(seq 240); do
	grep -q '"ready"' "$WORK/wl.out" && break
	kill -0 "$WP" 2>/dev/null || break
	sleep 0.25
done

# Attached now: everything the process holds was allocated before.
"$TRACE" --pin --pin-dir "$PIN" --quiet --json --lib "$LIB" >"$WORK/trace.out" \
	2>"$WORK/trace.err" &
TP=$!
for _ in $(seq 100); do
	grep -qs attached "$WORK/trace.err" && break
	sleep 0.1
done
kill -INT "$TP"
wait "$TP"
TP=
"$SNAP" --pin-dir "$PIN" --json >"$WORK/before.json" 2>"$WORK/snap.err"
"$SNAP" --pin-dir "$PIN" >"$WORK/before.txt" 2>>"$WORK/snap.err"
"$TOP" --pin-dir "$PIN" --once >"$WORK/before.top" 2>>"$WORK/snap.err"

# One allocation while traced: ttbpf has the process from now on.
echo alloc >&9
for _ in $(seq 120); do
	grep -q '"more"' "$WORK/wl.out" && break
	sleep 0.25
done
"$SNAP" --pin-dir "$PIN" --json >"$WORK/after.json" 2>>"$WORK/snap.err"
"$TOP" --pin-dir "$PIN" --once >"$WORK/after.top" 2>>"$WORK/snap.err"
echo >&9
exec 9>&-
wait "$WP"
WRC=$?

python3 - "$HERE" "$WORK" "$WRC" <<'PY'
import json, sys
sys.path.insert(0, sys.argv.pop(1))
from mock_check import check, finish, lines
work, wrc = sys.argv[1], int(sys.argv[2])
wl = lines(work + "/wl.out")
ready = [e for e in wl if e.get("event") == "ready"]
more = [e for e in wl if e.get("event") == "more"]
check("workload exits 0", wrc, 0)
check("workload held, then allocated once more", (len(ready), len(more)),
      (1, 1))
TYPES = ("DRAM", "L1", "L1_SMALL", "TRACE", "CB")
try:
    before = json.load(open(work + "/before.json"))
    after = json.load(open(work + "/after.json"))
except (OSError, ValueError) as e:
    before = after = None
    check("snapshots are JSON", str(e), "")
if ready and before:
    r = ready[0]
    pid = r["pid"]
    rec = [x for x in before["tt_metal_record"] if x["pid"] == pid]
    check("before: no ttbpf rows for the process",
          [p for p in before["processes"] if p["pid"] == pid], [])
    check("before: one record row, chip uid 0 (its one chip)",
          [x["chip_uid"] for x in rec], [0])
    if rec:
        for t in ("DRAM", "L1"):
            check(f"before: record {t} == sizes allocated",
                  rec[0]["usage"][t],
                  sum(x["size"] for x in r["tensors"] if x["type"] == t))
        shm = r["shm"][0]["usage"] if r["shm"] else {}
        check("before: record == TT-Metal's slot as the process read it",
              {t: rec[0]["usage"][t] for t in TYPES},
              {t: shm.get(t) for t in TYPES})
    summ = [e for e in lines(work + "/trace.out")
            if e.get("event") == "summary"]
    srec = [x for x in (summ[0]["tt_metal_record"] if summ else [])
            if x["pid"] == pid]
    check("trace summary: one record row for the process, chip uid 0",
          [(x["chip_uid"], x["name"] != "") for x in srec], [(0, True)])
    check("trace summary: record row == the snapshot's, all five types",
          [x["usage"] for x in srec], [x["usage"] for x in rec])
    top = open(work + "/before.top").read().splitlines()
    head = "not seen allocating (running before ttbpf attached): " \
        "TT-Metal's own record"
    at = [i for i, l in enumerate(top) if l.startswith(head)]
    rows = [l for l in top[at[0] + 1:] if l.startswith(f"  pid {pid} ")] \
        if at else []
    dram = sum(x["size"] for x in r["tensors"] if x["type"] == "DRAM")
    l1 = sum(x["size"] for x in r["tensors"] if x["type"] == "L1")
    check("top: the record's section, one row for the process with its "
          "chip uid, DRAM and L1 bytes",
          [("(chip uid 0):" in l, f" DRAM {dram} B " in l,
            f" L1 {l1} B " in l) for l in rows], [(True, True, True)])
    check("top: no ttbpf row for the process",
          [l for l in top if l.split()[:1] == [str(pid)]], [])
    txt = open(work + "/before.txt").read()
    check("before: text labels the record as TT-Metal's",
          "TT-Metal's own record" in txt and f"pid {pid} " in txt, True)
    if after and more:
        check("after: no record row once ttbpf sees the process",
              [x for x in after["tt_metal_record"] if x["pid"] == pid], [])
        top = open(work + "/after.top").read()
        check("after: top shows no record row for the process",
              f"  pid {pid} " in top, False)
        rows = [p for p in after["processes"] if p["pid"] == pid]
        check("after: ttbpf's row holds what it saw allocated",
              [(p["device"], p["dev_kind"], p["usage"]["DRAM"]) for p in rows],
              [(0, "chip", more[0]["size"])])
finish()
PY
