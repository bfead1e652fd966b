#!/bin/bash
# Releases that walk the per-allocator index: a device close followed by
# the allocators' destructors, a process exit with buffers on many
# allocators, and a SIGKILL that lands while the devices are being closed.
# Each buffer is subtracted exactly once: the counts the kernel reports
# equal what ground truth held, and nothing is left in any view.
source "$(dirname "$0")/lib.sh"
SNAP=$OUT/ttbpf-snapshot
PIN=/sys/fs/bpf/ttbpf-e2e-release-$$
# Reopenings in the reopen-many case: enough (about one new index page
# number per two) that a walk from a stuck reclaim cursor would run out
# of steps at --max-buffers 1024 (49,281).
REOPENINGS=${REOPENINGS:-120000}
cleanup_pins() { "$TRACE" --unpin --pin-dir "$PIN" >/dev/null 2>&1; }
trap 'cleanup_pins; cleanup' EXIT

snap() { # NAME: snapshot of the pinned maps into $WORK/NAME.json
	"$SNAP" --pin-dir "$PIN" --json >"$WORK/$1.json"
}

stat_of() { # SNAPSHOT COUNTER
	jq ".stats.$2" "$WORK/$1.json"
}

# Entries in the pinned buffer map under DIR, held or stale: what no view
# shows but the map still holds.
map_entries() { # DIR
	bpftool -j map dump pinned "$1/allocs" | jq length
}

# Nothing of PID left: no buffer, no process row, every device row empty.
gone() { # SNAPSHOT PID
	jq_true --argjson pid "$2" '([.buffers[] | select(.pid == $pid)] |
		length == 0) and ([.processes[] | select(.pid == $pid)] |
		length == 0) and ([.devices[] | .buffers[], .usage[]] | add //
		0) == 0' "$WORK/$1.json" >/dev/null
}

# hold NAME VARIANT ARGS...: the workload at its hold point, snapshotted
# as NAME-held; sets live (buffers ground truth holds), bulk0 and exit0.
hold() {
	local w=$1 v=$2
	shift 2
	start_workload "$w" "$v" "$@"
	go "$w"
	wait_holding "$w"
	snap "$w-held"
	live=$(jq '.buffers | length' "$WORK/$w.truth.json")
	bulk0=$(stat_of "$w-held" bulk_freed)
	exit0=$(stat_of "$w-held" exit_freed)
}

for v in $VARIANTS; do
	start_tracer "$v" --lib "$(lib_of "$v")" --pin --pin-dir "$PIN" \
		--quiet -i 0 || {
		not_ok "$v: tracer attaches" "$(cat "$WORK/$v.trace.err")"
		continue
	}

	# Close of device 0 while buffers live, then at teardown the close of
	# device 1 and every allocator's destructor: device 0's allocators
	# are bulk-freed twice more, and must release nothing the second time.
	w=$v-close
	hold "$w" "$v" --scenario close --devices 2 --seed 21 --count 300
	check "$v: after one device close, snapshot equals ground truth" \
		"$E2E/compare.py" "$WORK/$w-held.json" --device-totals --buffers \
		"$WORK/$w.truth.json"
	# The close ended its allocators' generations without deleting each
	# buffer: their entries wait, stale, and no view counts them.
	check "$v: the close left stale entries that the snapshot skips" test \
		"$(map_entries "$PIN")" -gt "$(jq '.buffers | length' \
		"$WORK/$w-held.json")"
	release "$w"
	snap "$w-end"
	check "$v: teardown bulk-frees exactly the $live buffers left" test \
		$(($(stat_of "$w-end" bulk_freed) - bulk0)) -eq "$live"
	check "$v: the destructors after the closes release nothing twice" \
		gone "$w-end" "${WL_PID[$w]}"
	check "$v: nothing was left for the exit" test \
		"$(stat_of "$w-end" exit_freed)" -eq "$exit0"

	# One process, 6 devices x 2 sub-device allocators (a quarter of the
	# buffers on the second), then SIGKILL: the exit walks every allocator
	# the process used.
	w=$v-many
	hold "$w" "$v" --scenario hold --devices 6 --seed 22 --count 600
	check "$v: 12 allocators in one process: snapshot equals ground truth" \
		"$E2E/compare.py" "$WORK/$w-held.json" --device-totals --buffers \
		"$WORK/$w.truth.json"
	check "$v: the process holds buffers on all 6 devices" jq_true \
		--argjson pid "${WL_PID[$w]}" '[.processes[] |
		select(.pid == $pid and ([.buffers[]] | add) > 0)] |
		length == 6' "$WORK/$w-held.json"
	kill -KILL "${WL_PID[$w]}"
	wait "${WL_PID[$w]}" 2>/dev/null
	snap "$w-end"
	check "$v: SIGKILL releases exactly the $live buffers of 12 allocators" \
		test $(($(stat_of "$w-end" exit_freed) - exit0)) -eq "$live"
	check "$v: nothing of the killed process is left" \
		gone "$w-end" "${WL_PID[$w]}"

	# SIGKILL right after the go to close: the bulk frees and the exit
	# share the buffers whichever way they interleave.
	w=$v-race
	hold "$w" "$v" --scenario hold --devices 2 --seed 23 --count 3000
	kill -USR1 "${WL_PID[$w]}"
	kill -KILL "${WL_PID[$w]}"
	wait "${WL_PID[$w]}" 2>/dev/null
	snap "$w-end"
	check "$v: close and SIGKILL together release each of $live buffers once" \
		test $(($(stat_of "$w-end" bulk_freed) - bulk0 + \
		$(stat_of "$w-end" exit_freed) - exit0)) -eq "$live"
	check "$v: nothing of the closed and killed process is left" \
		gone "$w-end" "${WL_PID[$w]}"

	# Every process is gone: their exits took the stale entries too.
	check "$v: the buffer map is empty once the processes are gone" test \
		"$(map_entries "$PIN")" -eq 0
	stop_tracer "$v"
	cleanup_pins

	# Pins only, the tracer gone, a map of 1024 buffers: four rounds of
	# 400 buffers on the same chip, each closed and its Buffers dropped.
	# Without reclaiming what the closes left, rounds 3 and 4 would find
	# the map full; new Buffers take the dropped ones' memory and must
	# count once.
	start_tracer "$v-pin" --lib "$(lib_of "$v")" --pin --pin-dir "$PIN" \
		--quiet -i 0 --max-buffers 1024 || {
		not_ok "$v: pinned tracer attaches" \
			"$(cat "$WORK/$v-pin.trace.err")"
		continue
	}
	stop_tracer "$v-pin" >/dev/null
	w=$v-reopen
	hold "$w" "$v" --scenario reopen --count 400
	check "$v: pins only: reopened 4 times, snapshot equals ground truth" \
		"$E2E/compare.py" "$WORK/$w-held.json" --device-totals --buffers \
		"$WORK/$w.truth.json"
	check "$v: pins only: stale entries reclaimed, no allocation lost" \
		test "$(stat_of "$w-held" allocs_map_full)" -eq 0
	release "$w"
	snap "$w-end"
	check "$v: pins only: the exit leaves nothing in the buffer map" test \
		"$(map_entries "$PIN")" -eq 0
	check "$v: pins only: nothing of the reopening process is left" \
		gone "$w-end" "${WL_PID[$w]}"

	# A big generation, then closes coming faster than its stale entries
	# are reclaimed, so many that an index walk from page 0 would run out
	# of steps before the live page; then SIGKILL.
	w=$v-reopen-many
	hold "$w" "$v" --scenario reopen --count 300 --rounds "$REOPENINGS"
	check "$v: pins only: $REOPENINGS reopenings, snapshot equals ground truth" \
		"$E2E/compare.py" "$WORK/$w-held.json" --device-totals --buffers \
		"$WORK/$w.truth.json"
	kill -KILL "${WL_PID[$w]}"
	wait "${WL_PID[$w]}" 2>/dev/null
	snap "$w-end"
	check "$v: pins only: SIGKILL after $REOPENINGS reopenings leaves nothing in the buffer map" \
		test "$(map_entries "$PIN")" -eq 0
	check "$v: pins only: nothing of the process reopened $REOPENINGS times is left" \
		gone "$w-end" "${WL_PID[$w]}"
	cleanup_pins
done
finish
