#!/bin/bash
# No silent caps: more device ids than the old 256-row map are all counted
# exactly; a device or process map smaller than the workload counts what it
# could not hold and says so live and in every view, and a full device map
# makes room from the rows nobody holds any more.
source "$(dirname "$0")/lib.sh"
use_pin_dir
v=${TTBPF_CAPS_VARIANT:-e4-release}

# truth_below N TRUTH OUT: the ground truth of the devices with ids < N.
truth_below() {
	jq --argjson n "$1" '.devices |= map(select(.device < $n)) |
		.buffers |= map(select(.device < $n))' "$2" >"$3"
}

# 300 device ids (2 buffers each) with the default map: every one exact.
start_tracer wide --lib "$(lib_of $v)" --json --quiet -i 0
run_held wide "$v" --scenario hold --devices 300 --seed 41 --count 600
stop_tracer wide
summary_of wide >"$WORK/wide.json"
check "300 device ids: 300 chip rows traced" jq_true \
	'[.devices[] | select(.dev_kind == "chip")] | length == 300' "$WORK/wide.json"
check "300 device ids: every process and device row equals ground truth" \
	"$E2E/compare.py" "$WORK/wide.json" --device-totals "$WORK/wide.truth.json"
check "300 device ids: nothing lost" jq_true \
	'.stats.devs_map_full == 0 and .stats.procs_map_full == 0 and .stats.rows_evicted == 0' \
	"$WORK/wide.json"
release wide

# A 16-row device map, a workload on 20 chips holding 2 buffers on each:
# the allocations on chips 16..19 (8) find no room and are counted.
start_tracer small --lib "$(lib_of $v)" --pin --pin-dir "$PIN" --quiet -i 200 --max-devices 16
run_held over "$v" --scenario hold --devices 20 --seed 42 --count 40
pid=${WL_PID[over]}
check "device map full: warned live" \
	wait_line "$WORK/small.trace.err" 'WARNING: 8 allocations not recorded: device map full' 3
"$SNAP" --pin-dir "$PIN" --json >"$WORK/over.json"
check "device map full: snapshot --json counts 8 not recorded" jq_true \
	'.stats.devs_map_full == 8 and .stats.procs_map_full == 0' "$WORK/over.json"
check "device map full: 16 device rows" jq_true '.devices | length == 16' "$WORK/over.json"
truth_below 16 "$WORK/over.truth.json" "$WORK/over-16.truth.json"
check "device map full: the 16 chips it holds equal ground truth, buffer by buffer" \
	"$E2E/compare.py" "$WORK/over.json" --device-totals --buffers "$WORK/over-16.truth.json"
"$SNAP" --pin-dir "$PIN" >"$WORK/over.txt" 2>&1
check "device map full: snapshot text warns" \
	grep -q 'WARNING: 8 allocations not recorded: device map full (totals are incomplete; raise --max-devices)' "$WORK/over.txt"
"$TOP" --pin-dir "$PIN" --once >"$WORK/over-top.txt" 2>&1
check "device map full: top warns" \
	grep -q 'WARNING: 8 allocations not recorded: device map full' "$WORK/over-top.txt"

# Closed and gone: its 16 rows hold nothing. Another workload on 16 other
# chips evicts them and is exact.
release over
run_held next "$v" --scenario hold --devices 16 --first-device 100 --seed 43 --count 32
"$SNAP" --pin-dir "$PIN" --json >"$WORK/next.json"
check "idle rows evicted: 16 rows of closed chips made room" jq_true \
	'.stats.rows_evicted == 16 and .stats.devs_map_full == 8' "$WORK/next.json"
check "idle rows evicted: only the new chips remain" jq_true \
	'[.devices[].device] | sort == [range(100; 116)]' "$WORK/next.json"
check "idle rows evicted: the new workload equals ground truth, buffer by buffer" \
	"$E2E/compare.py" "$WORK/next.json" --device-totals --buffers "$WORK/next.truth.json"
"$TOP" --pin-dir "$PIN" --once >"$WORK/next-top.txt" 2>&1
check "idle rows evicted: top notes it" \
	grep -q 'note: 16 usage rows that held nothing evicted to make room' "$WORK/next-top.txt"
release next
stop_tracer small
cleanup_pins

# A 16-row process map, one process on 20 chips: 8 allocations counted.
# Text mode this time: the trace's own summary is the view checked.
start_tracer procs --lib "$(lib_of $v)" --pin --pin-dir "$PIN" --quiet -i 200 --max-procs 16
run_held pover "$v" --scenario hold --devices 20 --seed 44 --count 40
check "process map full: warned live" \
	wait_line "$WORK/procs.trace.err" 'WARNING: 8 allocations not recorded: process map full' 3
"$SNAP" --pin-dir "$PIN" --json >"$WORK/procs.json"
check "process map full: snapshot --json counts 8 not recorded" jq_true \
	'.stats.procs_map_full == 8 and .stats.devs_map_full == 0' "$WORK/procs.json"
truth_below 16 "$WORK/pover.truth.json" "$WORK/pover-16.truth.json"
check "process map full: the 16 rows it holds equal ground truth, buffer by buffer" \
	"$E2E/compare.py" "$WORK/procs.json" --buffers "$WORK/pover-16.truth.json"
stop_tracer procs
check "process map full: the trace summary warns" \
	grep -q '^WARNING: 8 allocations not recorded: process map full (totals are incomplete; raise --max-procs)' "$WORK/procs.trace.out"
release pover
cleanup_pins

# A 32-stack map: each leak workload on 2 chips walks 22 distinct stacks
# (its own addresses), 10 of them under the buffers it leaks. The second
# finds 10 free slots and loses the rest; once the first has exited, a
# third makes room from its 22 and keeps every stack.
start_tracer stacks --lib "$(lib_of $v)" --pin --pin-dir "$PIN" --quiet -i 200 --max-stacks 32
run_held s1 "$v" --scenario leak --devices 2 --seed 45
"$SNAP" --pin-dir "$PIN" --json -p "${WL_PID[s1]}" >"$WORK/s1.json"
check "stack map: the first workload's 10 leaked buffers each have a stack" jq_true \
	'(.stacks | length) == 10 and all(.buffers[]; .stack != null)' "$WORK/s1.json"
run_held s2 "$v" --scenario leak --devices 2 --seed 46
check "stack map full: warned live" \
	wait_line "$WORK/stacks.trace.err" 'WARNING: [0-9]+ allocations without a stack: stack map full' 3
"$SNAP" --pin-dir "$PIN" --json >"$WORK/s2.json"
check "stack map full: counted" jq_true '.stats.stacks_lost > 0' "$WORK/s2.json"
check "stack map full: totals still exact" \
	"$E2E/compare.py" "$WORK/s2.json" --device-totals --buffers "$WORK/s1.truth.json" "$WORK/s2.truth.json"
"$SNAP" --pin-dir "$PIN" --leaks --min-age 0 >"$WORK/s2.txt" 2>&1
check "stack map full: the leak report says so" \
	grep -q 'WARNING: [0-9]* allocations without a stack: stack map full' "$WORK/s2.txt"
release s1
sleep 0.2 # past the walk's rate limit
run_held s3 "$v" --scenario leak --devices 2 --seed 47
"$SNAP" --pin-dir "$PIN" --json -p "${WL_PID[s3]}" >"$WORK/s3.json"
check "stacks evicted: the exited workload's 22 made room" jq_true \
	'.stats.stacks_evicted == 22' "$WORK/s3.json"
check "stacks evicted: every buffer of the third workload has its stack" jq_true \
	'(.stacks | length) == 10 and all(.buffers[]; .stack != null)' "$WORK/s3.json"
release s2
release s3
stop_tracer stacks
finish
