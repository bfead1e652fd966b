#!/bin/bash
# Recording cost: the tracer's CPU time per event with and without
# --record, on the burst scenario (every event streamed, --quiet), and the
# database's size per event; then the same from a Python program
# (py_burst.py), whose every allocation has a Python chain to record.
# Usage: tools/bench/record.sh OUT TTSIM
# (env: RECORD_COUNT, default 200000 allocations; RECORD_PYTHON, the
# interpreter, default python3).
set -u
BENCH_OUT=${1:-build/release}
BENCH_TTSIM=${2:-build/ttsim}
RES=$(dirname "$BENCH_OUT")/bench
V=e4-release
COUNT=${RECORD_COUNT:-200000}
source "$(dirname "$0")/../../tests/e2e/lib.sh" "$BENCH_OUT" "$BENCH_TTSIM"
mkdir -p "$RES" "$WORK/ttsim/$V"
# A private copy of the library: other people's workloads stay out.
cp "$TTSIM/$V/libtt_metal.so" "$WORK/ttsim/$V/" || exit 1
TTSIM=$WORK/ttsim

# cpu_ticks PID: utime + stime of PID in clock ticks.
cpu_ticks() {
	awk '{print $14 + $15}' "/proc/$1/stat"
}

# run NAME ARGS...: "events cpu_seconds" of one traced burst run.
run() {
	local name=$1 t0 t1 ev
	shift
	start_tracer "$name" --lib "$(lib_of $V)" --quiet -i 0 --no-stacks \
		"$@" || exit 1
	t0=$(cpu_ticks "${TR_PID[$name]}")
	start_workload "$name-w" "$V" --scenario burst --devices 1 \
		--seed 1 --count "$COUNT" || exit 1
	go "$name-w"
	wait_holding "$name-w" 600 || exit 1
	release "$name-w"
	sleep 0.3
	t1=$(cpu_ticks "${TR_PID[$name]}")
	stop_tracer "$name"
	ev=$(jq '.allocs + .frees' <<<"$(jq -s '[.[].devices[].usage[] | {allocs, frees}] |
		{allocs: (map(.allocs) | add), frees: (map(.frees) | add)}' "$WORK/$name-w.truth.json")")
	echo "$ev $(echo "scale=3; ($t1 - $t0) / $(getconf CLK_TCK)" | bc)"
}

# run_py NAME ARGS...: "events cpu_seconds" of a traced py_burst.py run.
run_py() {
	local name=$1 t0 t1 n=$((COUNT / 4))
	shift
	start_tracer "$name" --lib "$(lib_of $V)" --quiet -i 0 --no-stacks \
		"$@" || exit 1
	t0=$(cpu_ticks "${TR_PID[$name]}")
	mkfifo "$WORK/$name.in"
	"${RECORD_PYTHON:-python3}" "$(dirname "$0")/py_burst.py" "$(lib_of $V)" \
		"$n" <"$WORK/$name.in" >"$WORK/$name.out" 2>&1 &
	local py=$!
	BG_PIDS+=("$py")
	exec 9>"$WORK/$name.in"
	wait_line "$WORK/$name.out" '^ready' 20 || exit 1
	echo go >&9
	wait_line "$WORK/$name.out" '^done' 600 || exit 1
	exec 9>&-
	wait "$py"
	sleep 0.3
	t1=$(cpu_ticks "${TR_PID[$name]}")
	stop_tracer "$name"
	echo "$((2 * n)) $(echo "scale=3; ($t1 - $t0) / $(getconf CLK_TCK)" | bc)"
}

read -r ev0 cpu0 <<<"$(run plain)"
read -r ev1 cpu1 <<<"$(run rec --record "$WORK/r.db")"
read -r pev0 pcpu0 <<<"$(run_py pyplain)"
read -r pev1 pcpu1 <<<"$(run_py pyrec --record "$WORK/p.db")"
py_rows=$(sqlite3 "$WORK/p.db" "SELECT count(*) FROM events WHERE kind = 'alloc' AND py_stack_id > 0")
rows=$(sqlite3 "$WORK/r.db" 'SELECT count(*) FROM events')
size=$(stat -c %s "$WORK/r.db")
jq -n --argjson ev0 "$ev0" --argjson cpu0 "$cpu0" --argjson ev1 "$ev1" \
	--argjson cpu1 "$cpu1" --argjson rows "$rows" --argjson size "$size" \
	--argjson pev1 "$pev1" --argjson pcpu0 "$pcpu0" --argjson pcpu1 "$pcpu1" \
	--argjson py_rows "$py_rows" --argjson psize "$(stat -c %s "$WORK/p.db")" '
	{python: {events: $pev1, allocs_with_python_chain: $py_rows,
		  db_bytes_per_event: ($psize / $pev1 | round),
		  tracer_cpu_s: {plain: $pcpu0, record: $pcpu1},
		  record_ns_per_event: (($pcpu1 - $pcpu0) / $pev1 * 1e9 | round)},
	 events: $ev1, rows: $rows, db_bytes: $size,
	 db_bytes_per_event: ($size / $rows | round),
	 tracer_cpu_s: {plain: $cpu0, record: $cpu1},
	 record_ns_per_event: (($cpu1 - $cpu0) / $ev1 * 1e9 | round)}' |
	tee "$RES/record.json"
