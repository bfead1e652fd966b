#!/bin/bash
# make bench: what ttbpf costs, side by side with the alternatives, plus the
# load and scale runs. Usage: tools/bench.sh OUT TTSIM_OUT
# Env: RUNS (rounds, default 5), N_UNTRACED, N_TRACED (pairs per run),
# SKIP_LOAD=1, SKIP_SCALE=1, SKIP_RELEASE=1.
#
# Overhead = ns per allocate+free pair in the stand-in's burst scenario on
# the e4 Release build, for: (a) untraced, (b) ttbpf --quiet, (b2) the same
# with --no-stacks, (b3) ttbpf printing every event, (c) empty BPF programs
# at the same probe sites (the kernel's trap floor), (d) the
# allocation-server style reporter compiled into the allocator; then the
# same on the real ttnn 0.81.1 library (tools/bench/ttnn.sh): untraced,
# ttbpf, empty programs, in a ttnn.zeros + ttnn.deallocate loop.
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
source "$(dirname "$0")/bench/lib.sh"

burst() { # variant libdir count [env...] -> appends "variant ns" to SAMPLES
	local v=$1 dir=$2 n=$3
	shift 3
	env LD_LIBRARY_PATH="$dir" "$@" "$TTSIM/ttsim-run" --scenario burst \
		--count "$n" | sed -n "s/.* \([0-9.]*\) ns\/pair.*/$v \1/p" \
		>>"$SAMPLES"
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
	tools/bench/instrumented.sh "$OUT" "$TTSIM" 1 $((N_U / 4)) 2>/dev/null |
		sed 's/^/instrumented /' >>"$SAMPLES"
	echo "  round $r/$RUNS" >&2
done

a=$(median untraced "$SAMPLES")
b=$(median ttbpf "$SAMPLES")
b2=$(median ttbpf_no_stacks "$SAMPLES")
b3=$(median ttbpf_events "$SAMPLES")
c=$(median empty_probes "$SAMPLES")
d=$(median instrumented "$SAMPLES")

# BPF run time per event, stacks on and off, from the kernel's counters,
# and probe hits per pair (every hit is a trap).
prog_ns() { # trace-args... -> "entry free hits-per-pair" ns per event
	sysctl -qw kernel.bpf_stats_enabled=1
	prog_ids >"$RES/prog.ids"
	start_bg "$RES/trace.err" '^ttbpf: attached' \
		"$OUT/ttbpf-trace" --lib "$LIB" --quiet -i 0 "$@"
	for _ in 1 2 3; do
		LD_LIBRARY_PATH=$TTSIM/e4-release "$TTSIM/ttsim-run" \
			--scenario burst --count "$N_T" >/dev/null
	done
	# Only this tracer's programs: others may be loaded meanwhile.
	new_prog_stats "$RES/prog.ids" | awk -v pairs=$((3 * N_T)) '
		$1 ~ /^(alloc_entry|free_entry|bulk_free|throw_entry)$/ {
			hits += $2 }
		$1 ~ /^(alloc_entry|free_entry)$/ && $2 { ns[$1] = $3 / $2 }
		END { printf "%f %f %f\n", ns["alloc_entry"],
			ns["free_entry"], hits / pairs }'
	stop_bg
	sysctl -qw kernel.bpf_stats_enabled=0
}
# Not "< <(prog_ns)": that runs in the background, and its tail (stopping
# the tracer, statistics off) would overlap what comes next.
prog_ns >"$RES/prog-stacks"
prog_ns --no-stacks >"$RES/prog-no-stacks"
read -r pe pf hits <"$RES/prog-stacks"
read -r qe qf _ <"$RES/prog-no-stacks"

# The real library's row: its own rounds, interleaved the same way.
real=true
tools/bench/ttnn.sh "$OUT" "$RUNS" || real=false

calc() { echo "$@" | bc -l; }
printf '\n%-36s %10s %8s\n' "burst, e4 Release stand-in" ns/pair ratio
row() { printf '%-36s %10.0f %8.1f\n' "$1" "$2" "$(calc "$2 / $a")"; }
row "(a) untraced" "$a"
row "(b) ttbpf" "$b"
row "(b2) ttbpf --no-stacks" "$b2"
row "(b3) ttbpf, events printed" "$b3"
row "(c) empty programs, same probes" "$c"
row "(d) in-process socket reporter" "$d"
share=$(calc "($b - $c) / ($c - $a)")
share2=$(calc "($b2 - $c) / ($c - $a)")
bpf=$(calc "$pe + $pf")
bpf2=$(calc "$qe + $qf")
printf 'probe hits (traps) per pair: %.2f\n' "$hits"
printf 'ttbpf over the floor, wall clock (b-c)/(c-a): %.2f (no stacks %.2f)\n' \
	"$share" "$share2"
printf 'BPF ns per event: entry %.0f, free %.0f (stacks)\n' "$pe" "$pf"
printf '                  entry %.0f, free %.0f (no stacks)\n' "$qe" "$qf"
printf 'BPF work per pair / floor (c-a): %.2f (no stacks %.2f)\n' \
	"$(calc "$bpf / ($c - $a)")" "$(calc "$bpf2 / ($c - $a)")"
if $real; then
	ra=$(jq .ns_per_pair.untraced "$RES/ttnn.json")
	printf '\n%-36s %10s %8s\n' "real ttnn 0.81.1, zeros+deallocate" \
		ns/pair ratio
	rrow() { printf '%-36s %10.0f %8.2f\n' "$1" "$2" "$(calc "$2 / $ra")"; }
	rrow "(a) untraced" "$ra"
	rrow "(b) ttbpf" "$(jq .ns_per_pair.ttbpf "$RES/ttnn.json")"
	rrow "(b2) ttbpf --no-python" \
		"$(jq .ns_per_pair.ttbpf_no_python "$RES/ttnn.json")"
	rrow "(c) empty programs, same probes" \
		"$(jq .ns_per_pair.empty_probes "$RES/ttnn.json")"
	printf 'probe hits (traps) per pair: %.2f\n' \
		"$(jq .probe_hits_per_pair "$RES/ttnn.json")"
	jq -r '.bpf_ns_per_event | "BPF ns per event: entry \(.python.entry |
		round), free \(.python.free | round) (Python frames)\n" +
		"                  entry \(.no_python.entry | round), free \(
		.no_python.free | round) (--no-python)"' "$RES/ttnn.json"
fi

$real || echo null >"$RES/ttnn.json"
jq -n --argjson a "$a" --argjson b "$b" --argjson b2 "$b2" --argjson b3 "$b3" \
	--argjson c "$c" --argjson d "$d" --argjson pe "$pe" \
	--argjson pf "$pf" --argjson qe "$qe" --argjson qf "$qf" \
	--argjson hits "$hits" --slurpfile real "$RES/ttnn.json" \
	--argjson runs "$RUNS" --arg kernel "$(uname -r)" \
	--argjson cpus "$(nproc)" \
	'{machine: {kernel: $kernel, cpus: $cpus}, rounds: $runs,
	  ns_per_pair: {untraced: $a, ttbpf: $b, ttbpf_no_stacks: $b2,
			ttbpf_events: $b3, empty_probes: $c,
			instrumented: $d},
	  ratio: {ttbpf: ($b / $a), instrumented: ($d / $a)},
	  probe_hits_per_pair: $hits,
	  share_over_floor: {stacks: (($b - $c) / ($c - $a)),
			     no_stacks: (($b2 - $c) / ($c - $a))},
	  bpf_ns_per_event: {stacks: {entry: $pe, free: $pf},
			     no_stacks: {entry: $qe, free: $qf}},
	  bpf_work_over_floor: {stacks: (($pe + $pf) / ($c - $a)),
				no_stacks: (($qe + $qf) / ($c - $a))},
	  real_ttnn: $real[0]}' \
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
