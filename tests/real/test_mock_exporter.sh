#!/bin/bash
# ttbpf-exporter on real TT-Metal (ttnn 0.81.1, mock devices, no hardware),
# scraped by a real Prometheus (Debian's) on loopback:
#   tests/real/test_mock_exporter.sh TOOLS_OUT
# The exporter attaches by itself; three processes hold known tensors:
#   mesh  one n300 (two chips, one board): a 1x2 MeshDevice, each tensor
#         on both chips;
#   n0    two n150 boards, open_device(device_id=0);
#   n1    the same host, open_device(device_id=1).
# Ground truth: TT-Metal's own per-process record of each chip
# (/dev/shm/tt_device_<id>_memory), checked first against the sizes each
# workload allocated (Buffer::size(), whole 2048 B tiles). PromQL over the
# HTTP API must equal it per pid, device and type, and the device series
# their sums; a SIGKILLed process's series go; once every process is gone
# (one more SIGKILL, one clean close) the devices are at 0 and no process
# series is left.
source "$(dirname "$0")/mock_lib.sh"
source "$HERE/../tap.sh"
source "$HERE/../prom_lib.sh"
EXPORTER=$OUT/ttbpf-exporter
PROM_COMPARE=$HERE/../e2e/prom_compare.py
trap 'prom_stop; cleanup' EXIT
prom_require
[ -x "$EXPORTER" ] || skip "no $EXPORTER"

# Nothing is pinned in this directory: the exporter attaches by itself.
start_exporter self --pin-dir "/sys/fs/bpf/ttbpf-real-exporter-$$" --lib "$LIB"
check "exporter attaches by itself" grep -q 'attaching by itself' "$WORK/self.exp.err"
prom_start "$EXP_PORT"
check "Prometheus scrapes the exporter (ttbpf_up 1)" until_ok 60 prom_scraping

mock_start mesh mock-n300.yaml -- --mesh 1 2
mock_start n0 mock-2xn150.yaml -- --device 0
mock_start n1 mock-2xn150.yaml -- --device 1
mock_wait_ready mesh n0 n1

# NAME.truth.json in prom_compare.py's form, from TT-Metal's record; fails
# unless the record equals the sizes allocated on each of its chips.
truth() {
	python3 - "$WORK/$1.out" "$WORK/$1.truth.json" "$2" <<'PY'
import json, sys
out, dst, n_chips = sys.argv[1], sys.argv[2], int(sys.argv[3])
r = [json.loads(l) for l in open(out) if '"ready"' in l][0]
TYPES = ["DRAM", "L1", "SYSTEM_MEMORY", "L1_SMALL", "TRACE"]
sizes = {t: sum(x["size"] for x in r["tensors"] if x["type"] == t) for t in TYPES}
count = {t: sum(1 for x in r["tensors"] if x["type"] == t) for t in TYPES}
chips = r["shm_chips"]
if len(chips) != n_chips:
    sys.exit(f"record has the process on {len(chips)} chips, want {n_chips}")
devices = []
for slot in chips.values():
    if slot["version"] != 3:
        sys.exit(f"record version {slot['version']}, want 3")
    usage = {}
    for t in TYPES:
        b = slot.get(t, 0)
        if b != sizes[t]:
            sys.exit(f"chip {slot['device_id']} {t}: record {b}, sizes {sizes[t]}")
        usage[t] = {"bytes": b, "peak_bytes": b, "buffers": count[t]}
    devices.append({"device": slot["device_id"], "kind": "chip", "usage": usage})
json.dump({"pid": r["pid"], "devices": devices}, open(dst, "w"))
print(f"pid {r['pid']}: " + ", ".join(
    f"chip {d['device']} DRAM {d['usage']['DRAM']['bytes']} L1 {d['usage']['L1']['bytes']}"
    for d in devices))
PY
}
check "mesh: TT-Metal's record == sizes allocated, on both chips" truth mesh 2
check "n0: TT-Metal's record == sizes allocated, on its chip" truth n0 1
check "n1: TT-Metal's record == sizes allocated, on its chip" truth n1 1
check "n0 and n1 are on chips 0 and 1" test \
	"$(jq -c '[.devices[].device]' "$WORK/n0.truth.json" "$WORK/n1.truth.json" | tr -d '\n')" = '[0][1]'
T=("$WORK/mesh.truth.json" "$WORK/n0.truth.json" "$WORK/n1.truth.json")
check "PromQL equals TT-Metal's record per pid, device and type; devices their sums" \
	until_ok 15 "$PROM_COMPARE" "$P" "${T[@]}" --usage-only
check "chip 0 DRAM in PromQL: the mesh's and n0's, nothing else" test \
	"$(q 'sum(ttbpf_device_memory_used_bytes{device="0",type="DRAM"})')" -eq \
	"$(jq -s '[.[].devices[] | select(.device == 0) | .usage.DRAM.bytes] | add' "${T[@]}")"

# SIGKILL: TT-Metal never closes the device; the process's series go.
kill -KILL "${MOCK_PID[mesh]}"
wait "${MOCK_PID[mesh]}" 2>/dev/null
check "after SIGKILL of the mesh: its series are gone, devices hold the rest" \
	until_ok 15 "$PROM_COMPARE" "$P" "$WORK/n0.truth.json" "$WORK/n1.truth.json" \
	--usage-only --gone "${MOCK_PID[mesh]}"
kill -KILL "${MOCK_PID[n1]}"
wait "${MOCK_PID[n1]}" 2>/dev/null
mock_release n0
check "n0 frees its tensors, closes its device and exits 0" test $? -eq 0
check "all gone: device series are 0 and no process series is left" \
	until_ok 15 prom_all_zero
# An empty file passes promtool: the scrape must have happened and say
# what it serves.
check "promtool check metrics on the last scrape" \
	bash -c "curl -sf 'http://127.0.0.1:$EXP_PORT/metrics' \
		>'$WORK/scrape.txt' && grep -q '^ttbpf_up ' '$WORK/scrape.txt' \
		&& promtool check metrics <'$WORK/scrape.txt'"
prom_stop
kill -TERM "$EXP_PID"
wait "$EXP_PID"
check "exporter exits 0 on SIGTERM" test $? -eq 0
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
