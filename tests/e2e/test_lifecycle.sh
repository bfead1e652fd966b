#!/bin/bash
# What releases memory without per-buffer frees: SIGKILL (process exit),
# device close (bulk free); and a tracer started after the workload.
source "$(dirname "$0")/lib.sh"

for v in $VARIANTS; do
	start_tracer "$v" --lib "$(lib_of "$v")" --json || {
		not_ok "$v: tracer attaches" "$(cat "$WORK/$v.trace.err")"
		continue
	}

	# SIGKILL: its memory leaves the totals within one second.
	start_workload "$v-kill" "$v" --scenario hold --devices 2 --seed 7 --count 50
	go "$v-kill"
	wait_holding "$v-kill"
	pid=${WL_PID[$v-kill]}
	held=$(jq '[.devices[].usage[].buffers] | add' "$WORK/$v-kill.truth.json")
	kill -KILL "$pid"
	check "$v: SIGKILL releases all $held buffers within 1 s" \
		wait_line "$WORK/$v.trace.out" "\"event\":\"exit\",.*\"pid\":$pid,.*\"buffers\":$held," 1

	# Device close with live buffers: bulk free empties that allocator.
	start_workload "$v-close" "$v" --scenario close --devices 2 --seed 8 --count 60
	go "$v-close"
	wait_holding "$v-close"
	stop_tracer "$v"
	summary_of "$v" >"$WORK/$v.summary.json"
	check "$v: killed process has no rows left" jq_true \
		"[.processes[] | select(.pid == $pid)] | length == 0" "$WORK/$v.summary.json"
	check "$v: device close reported as bulk_free" \
		grep -q '"event":"bulk_free"' "$WORK/$v.trace.out"
	check "$v: totals after close match ground truth" \
		"$E2E/compare.py" "$WORK/$v.summary.json" --device-totals "$WORK/$v-close.truth.json"
	release "$v-close"

	# A tracer started mid-run never shows negative or inflated totals
	# and says that frees of earlier buffers were not counted. The run
	# outlasts the tracer's start (about 2 s with the sanitizers).
	start_workload "$v-mid" "$v" --scenario steady --devices 2 --seed 9 --rate 2000 --duration-ms 5000
	go "$v-mid"
	sleep 1
	start_tracer "$v-late" --lib "$(lib_of "$v")" --json
	wait_holding "$v-mid"
	stop_tracer "$v-late"
	summary_of "$v-late" >"$WORK/$v-late.summary.json"
	check "$v: late tracer never exceeds ground truth" \
		"$E2E/compare.py" "$WORK/$v-late.summary.json" --at-most "$WORK/$v-mid.truth.json"
	check "$v: late tracer reports unmatched frees" jq_true \
		'.stats.unmatched_frees > 0' "$WORK/$v-late.summary.json"
	check "$v: late tracer warned about the running process" \
		grep -q "pid ${WL_PID[$v-mid]} was already running" "$WORK/$v-late.trace.err"
	release "$v-mid"
done
finish
