#!/bin/bash
# A Python process started after the tracer: how many of its allocations
# have no Python chain because the tracer had not inspected it yet, and
# what alloc_entry costs meanwhile. py_burst.py allocates and frees
# PY_LATE_COUNT (default 25,000) stand-in buffers right after it opened
# its device; the recording says, per allocation, whether it has a chain
# or the "not inspected yet" note; the kernel's run_time_ns gives
# alloc_entry's cost per hit.
# With PY_LATE_EARLY=1 the process starts before the tracer instead (it is
# inspected as the tracer starts): alloc_entry's cost for a process
# inspected in time either way, to compare with.
# Usage: tools/bench/py_late.sh OUT TTSIM
# (env: PY_LATE_COUNT, PY_LATE_RUNS (default 3), PY_LATE_EARLY,
# RECORD_PYTHON).
set -u
BENCH_OUT=${1:-build/release}
BENCH_TTSIM=${2:-build/ttsim}
BENCH_NAME=py-late
source "$(dirname "$0")/common.sh"
COUNT=${PY_LATE_COUNT:-25000}
RUNS=${PY_LATE_RUNS:-3}
PY=${RECORD_PYTHON:-python3}

trace() { # NAME DB
	start_tracer "$1" --lib "$(lib_of $V)" --quiet -i 0 --no-stacks \
		--record "$2" || exit 1
}

# one RUN: a JSON line for one traced py_burst.py run.
one() {
	local name=late$1 db=$WORK/late$1.db py st
	sysctl -qw kernel.bpf_stats_enabled=1
	[ -n "${PY_LATE_EARLY:-}" ] || trace "$name" "$db"
	mkfifo "$WORK/$name.in"
	"$PY" "$(dirname "$0")/py_burst.py" "$(lib_of $V)" "$COUNT" \
		<"$WORK/$name.in" >"$WORK/$name.out" 2>&1 &
	py=$!
	BG_PIDS+=("$py")
	exec 9>"$WORK/$name.in"
	# No wait between "ready" and the burst: the case of a job that
	# allocates as soon as its device is open.
	wait_line "$WORK/$name.out" '^ready' 20 || exit 1
	[ -z "${PY_LATE_EARLY:-}" ] || trace "$name" "$db"
	echo go >&9
	wait_line "$WORK/$name.out" '^done' 600 || exit 1
	exec 9>&-
	wait "$py"
	sleep 0.3
	st=$(prog_stat "${TR_PID[$name]}" alloc_entry)
	stop_tracer "$name"
	sysctl -qw kernel.bpf_stats_enabled=0
	sqlite3 -json "$db" "SELECT count(*) AS allocs,
		sum(py_stack_id > 0) AS with_chain,
		sum(py_stack_id = -3) AS not_inspected_yet,
		sum(py_stack_id < 0 AND py_stack_id != -3) AS other_notes
		FROM events WHERE kind = 'alloc' AND pid = $py" |
		jq -c --arg st "$st" '.[0] + {alloc_entry_ns_per_hit:
			(($st | split(" ") | map(tonumber)) as [$t, $n]
			 | if $n > 0 then ($t / $n | round) else null end)}'
}

for ((r = 0; r < RUNS; r++)); do one "$r"; done | jq -s '{runs: .,
	not_inspected_yet: map(.not_inspected_yet),
	alloc_entry_ns_per_hit: map(.alloc_entry_ns_per_hit)}' |
	tee "$RES/py_late.json"
