#!/bin/bash
# make bench: what ttbpf costs, side by side with the alternatives, plus the
# load and scale runs. Usage: tools/bench.sh OUT TTSIM_OUT
# Env: RUNS (rounds, default 5), N_UNTRACED, N_TRACED (pairs per run),
# SKIP_LOAD=1, SKIP_SCALE=1, SKIP_RELEASE=1.
#
# Overhead = ns per allocate+free pair in the stand-in's burst scenario on
# the e4 Release build, for: (a) untraced, (b) ttbpf --quiet, (b2) the same
# with --no-stacks, (b3) ttbpf printing every event, (c) empty BPF programs
# at the same probe sites (the kernel's trap floor), (c2) the same without
# the return-site probes (what the single-stepped ret costs), (d) the
# allocation-server style reporter compiled into the allocator.
# The variants run interleaved, round after round, so that drift of this
# VM's speed hits them all alike; each figure is the median of all runs.
# Wall-clock runs have BPF statistics off (they cost two clock reads per
# program run); the per-program figures come from a separate pass.
set -u
OUT=${1:-build/release}
TTSIM=${2:-build/ttsim}
LIB=$TTSIM/e4-release/libtt_metal.so
RUNS=${RUNS:-5}
N_U=${N_UNTRACED:-200000}
N_T=${N_TRACED:-4000}
RES=$(dirname "$OUT")/bench
SAMPLES=$RES/samples
mkdir -p "$RES"
: >"$SAMPLES"

BG=
cleanup() {
	[ -n "$BG" ] && kill "$BG" 2>/dev/null && wait "$BG" 2>/dev/null
	sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"
}
STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
trap cleanup EXIT

burst() { # variant libdir count [env...] -> appends "variant ns" to SAMPLES
	local v=$1 dir=$2 n=$3
	shift 3
	env LD_LIBRARY_PATH="$dir" "$@" "$TTSIM/ttsim-run" --scenario burst \
		--count "$n" | sed -n "s/.* \([0-9.]*\) ns\/pair.*/$v \1/p" \
		>>"$SAMPLES"
}

# start_bg LOG PATTERN CMD...: run CMD in the background until PATTERN shows.
start_bg() {
	local log=$1 pat=$2
	shift 2
	"$@" >/dev/null 2>"$log" &
	BG=$!
	for _ in $(seq 300); do
		grep -q "$pat" "$log" && return 0
		kill -0 "$BG" 2>/dev/null || break
		sleep 0.1
	done
	echo "bench: $1 did not start: $(tail -1 "$log")" >&2
	exit 1
}

stop_bg() {
	kill "$BG" 2>/dev/null
	wait "$BG" 2>/dev/null
	BG=
}

traced() { # variant trace-args... (--events: print events, to /dev/null)
	local v=$1 quiet=--quiet
	shift
	[ "${1:-}" = --events ] && quiet= && shift
	start_bg "$RES/trace.err" '^ttbpf: attached' \
		"$OUT/ttbpf-trace" --lib "$LIB" $quiet -i 0 "$@"
	burst "$v" "$TTSIM/e4-release" "$N_T"
	stop_bg
}

make -s OUTPUT="$(dirname "$OUT")" bench-helpers ttsim-client >&2 || exit 1

echo "overhead: $RUNS rounds, $N_U untraced / $N_T probed pairs per run" >&2
sysctl -qw kernel.bpf_stats_enabled=0
for r in $(seq "$RUNS"); do
	burst untraced "$TTSIM/e4-release" "$N_U"
	traced ttbpf
	traced ttbpf_no_stacks --no-stacks
	traced ttbpf_events --events
	start_bg "$RES/empty.err" 'sites' \
		"$RES/emptyprobe" "$RES/empty.bpf.o" "$LIB"
	burst empty_probes "$TTSIM/e4-release" "$N_T"
	stop_bg
	start_bg "$RES/empty.err" 'sites' \
		"$RES/emptyprobe" "$RES/empty.bpf.o" "$LIB" noret
	burst empty_no_ret "$TTSIM/e4-release" "$N_T"
	stop_bg
	tools/bench/instrumented.sh "$OUT" "$TTSIM" 1 $((N_U / 4)) 2>/dev/null |
		sed 's/^/instrumented /' >>"$SAMPLES"
	echo "  round $r/$RUNS" >&2
done

median() { # variant
	awk -v v="$1" '$1 == v {print $2}' "$SAMPLES" | sort -g |
		awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print 0}'
}
a=$(median untraced)
b=$(median ttbpf)
b2=$(median ttbpf_no_stacks)
b3=$(median ttbpf_events)
c=$(median empty_probes)
c2=$(median empty_no_ret)
d=$(median instrumented)

# BPF run time per event, stacks on and off, from the kernel's counters.
prog_ns() { # trace-args... -> "entry return free" ns per event
	sysctl -qw kernel.bpf_stats_enabled=1
	start_bg "$RES/trace.err" '^ttbpf: attached' \
		"$OUT/ttbpf-trace" --lib "$LIB" --quiet -i 0 "$@"
	for _ in 1 2 3; do
		LD_LIBRARY_PATH=$TTSIM/e4-release "$TTSIM/ttsim-run" \
			--scenario burst --count "$N_T" >/dev/null
	done
	bpftool -j prog show | jq -r '[.[] | select(.run_cnt != null and
		.run_cnt > 0) | {(.name): (.run_time_ns / .run_cnt)}] | add |
		"\(.alloc_entry // 0) \(.alloc_return // 0) \(.free_entry // 0)"'
	stop_bg
	sysctl -qw kernel.bpf_stats_enabled=0
}
# Not "< <(prog_ns)": that runs in the background, and its tail (stopping
# the tracer, statistics off) would overlap what comes next.
prog_ns >"$RES/prog-stacks"
prog_ns --no-stacks >"$RES/prog-no-stacks"
read -r pe pr pf <"$RES/prog-stacks"
read -r qe qr qf <"$RES/prog-no-stacks"

calc() { echo "$@" | bc -l; }
printf '\n%-36s %10s %8s\n' "burst, e4 Release stand-in" ns/pair ratio
row() { printf '%-36s %10.0f %8.1f\n' "$1" "$2" "$(calc "$2 / $a")"; }
row "(a) untraced" "$a"
row "(b) ttbpf" "$b"
row "(b2) ttbpf --no-stacks" "$b2"
row "(b3) ttbpf, events printed" "$b3"
row "(c) empty programs, same probes" "$c"
row "(c2) the same without the ret probes" "$c2"
row "(d) in-process socket reporter" "$d"
share=$(calc "($b - $c) / ($c - $a)")
share2=$(calc "($b2 - $c) / ($c - $a)")
bpf=$(calc "$pe + $pr + $pf")
bpf2=$(calc "$qe + $qr + $qf")
printf 'ttbpf over the floor, wall clock (b-c)/(c-a): %.2f (no stacks %.2f)\n' \
	"$share" "$share2"
printf 'BPF ns per event: entry %.0f, return %.0f, free %.0f (stacks)\n' \
	"$pe" "$pr" "$pf"
printf '                  entry %.0f, return %.0f, free %.0f (no stacks)\n' \
	"$qe" "$qr" "$qf"
printf 'BPF work per pair / floor (c-a): %.2f (no stacks %.2f)\n' \
	"$(calc "$bpf / ($c - $a)")" "$(calc "$bpf2 / ($c - $a)")"

jq -n --argjson a "$a" --argjson b "$b" --argjson b2 "$b2" --argjson b3 "$b3" \
	--argjson c "$c" --argjson c2 "$c2" \
	--argjson d "$d" --argjson pe "$pe" --argjson pr "$pr" \
	--argjson pf "$pf" --argjson qe "$qe" --argjson qr "$qr" \
	--argjson qf "$qf" --argjson runs "$RUNS" --arg kernel "$(uname -r)" \
	--argjson cpus "$(nproc)" \
	'{machine: {kernel: $kernel, cpus: $cpus}, rounds: $runs,
	  ns_per_pair: {untraced: $a, ttbpf: $b, ttbpf_no_stacks: $b2,
			ttbpf_events: $b3,
			empty_probes: $c, empty_probes_no_ret: $c2,
			instrumented: $d},
	  share_over_floor: {stacks: (($b - $c) / ($c - $a)),
			     no_stacks: (($b2 - $c) / ($c - $a))},
	  bpf_ns_per_event: {stacks: {entry: $pe, return: $pr, free: $pf},
			     no_stacks: {entry: $qe, return: $qr, free: $qf}},
	  bpf_work_over_floor: {stacks: (($pe + $pr + $pf) / ($c - $a)),
				no_stacks: (($qe + $qr + $qf) / ($c - $a))}}' \
	>"$RES/overhead.json"

status=0
if [ "${SKIP_LOAD:-0}" != 1 ]; then
	echo
	tools/bench/load.sh "$OUT" "$TTSIM" || status=1
fi
if [ "${SKIP_SCALE:-0}" != 1 ]; then
	echo
	tools/bench/scale.sh "$OUT" "$TTSIM" || status=1
fi
if [ "${SKIP_RELEASE:-0}" != 1 ]; then
	echo
	tools/bench/release.sh "$OUT" "$TTSIM" || status=1
fi
jq -s '{overhead: .[0], load: .[1], scale: .[2], release: .[3]}' \
	"$RES/overhead.json" "$RES/load.json" "$RES/scale.json" \
	"$RES/release.json" >"$RES/results.json" 2>/dev/null ||
	cp "$RES/overhead.json" "$RES/results.json"
echo "wrote $RES/results.json"
exit $status
