#!/bin/bash
# allocate_buffer throws on out-of-memory. Under ttbpf the workload must
# behave exactly as untraced (same exit status, same failures caught) and
# every failure must be reported as alloc_failed with its size and type.
source "$(dirname "$0")/lib.sh"

# Negative control: the hazard is real. A kernel uretprobe on the same
# allocate_buffer makes the caught out-of-memory exception terminate the
# workload; the checks below show ttbpf's probes do not.
if command -v bpftrace >/dev/null; then
	v=e4-release
	sym=$(nm -D --defined-only "$(lib_of $v)" | awk '/allocate_buffer/ && !/deallocate/ {print $3; exit}')
	timeout 60 bpftrace -e "uretprobe:$(lib_of $v):$sym { @n = count(); }" \
		-c "/usr/bin/env LD_LIBRARY_PATH=$TTSIM/$v $RUN --scenario oom --seed 5 --truth $WORK/uret.truth.json" \
		>"$WORK/uret.out" 2>&1
	check "control: a uretprobe aborts the oom workload" \
		grep -q "terminate called after throwing" "$WORK/uret.out"
	check "control: the aborted workload never finished" test ! -e "$WORK/uret.truth.json"
fi

for v in $VARIANTS; do
	LD_LIBRARY_PATH="$TTSIM/$v" "$RUN" --scenario oom --seed 5 \
		--truth "$WORK/$v-untraced.truth.json" >/dev/null 2>&1
	untraced=$?

	start_tracer "$v" --lib "$(lib_of "$v")" --json || {
		not_ok "$v: tracer attaches" "$(cat "$WORK/$v.trace.err")"
		continue
	}
	start_workload "$v-oom" "$v" --scenario oom --seed 5
	go "$v-oom"
	wait_holding "$v-oom"
	stop_tracer "$v"
	release "$v-oom"
	traced=$?
	summary_of "$v" >"$WORK/$v.summary.json"

	check "$v: exit status $untraced traced as untraced" test "$traced" -eq "$untraced"
	failures=$(jq '[.devices[].usage[].failures] | add' "$WORK/$v-oom.truth.json")
	check "$v: the workload hit out-of-memory" test "$failures" -gt 0
	check "$v: one alloc_failed event per failure" test \
		"$(grep -c '"event":"alloc_failed"' "$WORK/$v.trace.out")" -eq "$failures"
	# Seen at the throw, inside the call: the thread's last alloc event
	# is the allocation that failed.
	check "$v: each failure takes back its thread's last allocation" jq -se \
		'[.[] | select(.event == "alloc" or .event == "alloc_failed")] |
		 reduce .[] as $e ({last: {}, ok: true};
			if $e.event == "alloc" then .last[$e.tid | tostring] = [$e.buffer, $e.size, $e.type]
			else .ok = (.ok and .last[$e.tid | tostring] == [$e.buffer, $e.size, $e.type]) end) | .ok' \
		"$WORK/$v.trace.out"
	check "$v: failed events carry size and type" jq -se \
		'[.[] | select(.event == "alloc_failed")] | all(.size > 0 and .type != "UNKNOWN" and .device >= 0)' \
		"$WORK/$v.trace.out"
	check "$v: totals match ground truth after failures" \
		"$E2E/compare.py" "$WORK/$v.summary.json" --device-totals "$WORK/$v-oom.truth.json"
	check "$v: the same failures as untraced" test "$failures" -eq \
		"$(jq '[.devices[].usage[].failures] | add' "$WORK/$v-untraced.truth.json")"
done
finish
