#!/bin/bash
# Load bench: K steady workloads on e4-release, first paced at R allocations/s
# each, then unpaced ("max"), each pass T seconds under ttbpf-trace --json
# (events to a file, maps pinned for ttbpf-snapshot). Per pass: achieved
# allocations/s, exactness against every workload's ground truth (snapshot
# while they hold, the trace's final summary), drops, unmatched frees,
# tracer CPU and BPF run time per allocation. Exits 1 if not exact.
# Usage: tools/bench/load.sh OUT TTSIM [K R T]
set -u
BENCH_OUT=${1:-build/release}
BENCH_TTSIM=${2:-build/ttsim}
K=${3:-2}
R=${4:-2000}
T=${5:-10}
BENCH_NAME=load
source "$(dirname "$0")/common.sh"
HZ=$(getconf CLK_TCK)

cpu_ticks() { # utime + stime of PID
	sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}

# cmp_to PREFIX COMPARE_ARGS...: compare.py's mismatch lines, none if exact.
cmp_to() {
	local p=$1 out
	shift
	out=$("$E2E/compare.py" "$@" 2>&1) && return 0
	echo "${out:-compare.py failed}" | sed "s/^/$p: /"
}

PASSES=()
exact_all=1

# pass NAME RATE_OPS (0: unpaced). steady does about one allocation per two
# operations, so RATE_OPS = 2 R.
pass() {
	local name=$1 rate=$2 i w tp t0 t1 c0 c1 truths=() mism pace=()
	[ "$rate" -gt 0 ] && pace=(--rate "$rate")
	sysctl -qw kernel.bpf_stats_enabled=1
	start_tracer "$name" --lib "$(lib_of $V)" --json --pin \
		--pin-dir "$PIN" || { echo "tracer did not attach" >&2; exit 1; }
	tp=${TR_PID[$name]}
	for ((i = 0; i < K; i++)); do
		w=$name-$i
		start_workload "$w" "$V" --scenario steady --seed $((i + 1)) \
			--duration-ms $((T * 1000)) "${pace[@]}" || exit 1
		truths+=("$WORK/$w.truth.json")
	done
	t0=$(date +%s%N)
	c0=$(cpu_ticks "$tp")
	for ((i = 0; i < K; i++)); do go "$name-$i"; done
	for ((i = 0; i < K; i++)); do wait_holding "$name-$i" $((T + 60)) || exit 1; done
	c1=$(cpu_ticks "$tp")
	t1=$(date +%s%N)
	prog_stats "$tp" >"$WORK/$name.progs.json"
	sysctl -qw kernel.bpf_stats_enabled="$STATS_OLD"

	"$SNAP" --pin-dir "$PIN" --json >"$WORK/$name.snap.json"
	stop_tracer "$name"
	summary_of "$name" >"$WORK/$name.summary.json"
	mism=$(cmp_to snapshot "$WORK/$name.snap.json" --device-totals \
		--buffers "${truths[@]}"
	cmp_to summary "$WORK/$name.summary.json" --device-totals \
		"${truths[@]}")
	for ((i = 0; i < K; i++)); do release "$name-$i"; done
	unpin

	[ -z "$mism" ] || exact_all=0
	jq -n --arg name "$name" --argjson rate "$rate" --argjson k "$K" \
		--argjson t "$T" --argjson wall_ns $((t1 - t0)) \
		--argjson ticks $((c1 - c0)) --argjson hz "$HZ" \
		--arg mism "$mism" \
		--slurpfile truth <(cat "${truths[@]}") \
		--slurpfile sum "$WORK/$name.summary.json" \
		--slurpfile progs "$WORK/$name.progs.json" '
		([$truth[].devices[].usage[].allocs] | add) as $allocs |
		([$progs[0][].run_time_ns] | add // 0) as $bpf_ns |
		([$progs[0][] | select(.name == "handle_exit")] | .[0] //
			{run_time_ns: 0, run_cnt: 0}) as $ex |
		{pass: $name, processes: $k, seconds: $t,
		 target_allocs_per_s: (if $rate > 0 then $rate / 2 * $k
			else null end),
		 allocs: $allocs,
		 frees: ([$truth[].devices[].usage[].frees] | add),
		 achieved_allocs_per_s: ($allocs / $t | floor),
		 exact: ($mism == ""),
		 mismatches: ($mism | split("\n") | map(select(. != ""))),
		 events_dropped: $sum[0].stats.events_dropped,
		 unmatched_frees: $sum[0].stats.unmatched_frees,
		 tracer_stats: $sum[0].stats,
		 tracer_cpu_pct: ($ticks / $hz / ($wall_ns / 1e9) * 100
			| . * 10 | round / 10),
		 wall_s: ($wall_ns / 1e9 | . * 100 | round / 100),
		 bpf_ns_per_alloc: (if $allocs > 0 then $bpf_ns / $allocs
			| round else null end),
		 bpf_probe_ns_per_alloc: (if $allocs > 0 then
			($bpf_ns - $ex.run_time_ns) / $allocs | round
			else null end),
		 alloc_entry_runs: ([$progs[0][] | select(.name ==
			"alloc_entry") | .run_cnt] | add),
		 handle_exit_runs: $ex.run_cnt,
		 handle_exit_ns_per_run: (if $ex.run_cnt > 0 then
			$ex.run_time_ns / $ex.run_cnt | round else null end),
		 bpf_progs: $progs[0]}' >"$WORK/$name.result.json"
	PASSES+=("$WORK/$name.result.json")
}

pass paced $((2 * R))
pass max 0

jq -s --arg v "$V" '{variant: $v, passes: .}' "${PASSES[@]}" >"$RES/load.json"
FMT='%-6s %9s %9s %6s %7s %9s %6s %9s %9s %9s\n'
# bpf-ns/al: all programs / allocations; probe-ns/al: without handle_exit,
# which runs on every exit on the system (exit-ns/run).
printf "$FMT" pass target/s allocs/s exact dropped unmatched cpu% \
	bpf-ns/al probe-ns/al exit-ns/run
jq -r '.passes[] | [.pass, (.target_allocs_per_s // "max"),
	.achieved_allocs_per_s, (if .exact then "exact" else "NO" end),
	.events_dropped, .unmatched_frees, .tracer_cpu_pct,
	.bpf_ns_per_alloc, .bpf_probe_ns_per_alloc,
	(.handle_exit_ns_per_run // "-")] | @tsv' "$RES/load.json" |
	while IFS=$'\t' read -r -a f; do
		printf "$FMT" "${f[@]}"
	done
jq -r '.passes[] | .pass as $p | .mismatches[] | "\($p): \(.)"' \
	"$RES/load.json"
echo "wrote $RES/load.json"
[ "$exact_all" -eq 1 ]
