#!/bin/bash
# The real TT-Metal row of make bench: ttnn 0.81.1 (the venv that
# tests/real/mock_setup.sh builds, mock device), a Python loop of
# ttnn.zeros + ttnn.deallocate (tools/bench/ttnn_loop.py). One process
# opens the device once; each round runs a batch untraced, under ttbpf
# --quiet, the same with --no-python (Python frames are on by default and
# cost a user read per frame), and under empty programs at the same probe
# sites (the trap floor), interleaved. Then, with BPF statistics on, probe
# hits and BPF run time per event under ttbpf, with and without Python
# frames: only the programs of the tracer started here count.
# Usage: tools/bench/ttnn.sh OUT_DIR [RUNS] [PAIRS]
# Writes OUT_DIR/../bench/ttnn.json; exits 77 (said why) without the venv.
set -u
OUT=${1:?usage: ttnn.sh OUT_DIR [RUNS] [PAIRS]}
RUNS=${2:-5}
N=${3:-3000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RES=$(realpath -m "$(dirname "$OUT")/bench")
mkdir -p "$RES"
CACHE=$("$ROOT/tests/real/mock_setup.sh" 2>"$RES/ttnn-setup.err") || {
	echo "ttnn: skipped: $(tail -1 "$RES/ttnn-setup.err")" >&2
	exit 77
}
VENV=$CACHE/venv-0.81.1
LIB=$VENV/lib/python3.10/site-packages/ttnn/build/lib/libtt_metal.so
SAMPLES=$RES/ttnn.samples
: >"$SAMPLES"

LOOP= BG= STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
cleanup() {
	[ -n "$BG" ] && kill "$BG" 2>/dev/null && wait "$BG" 2>/dev/null
	exec 8>&- 2>/dev/null
	[ -n "$LOOP" ] && wait "$LOOP" 2>/dev/null
	sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"
	rm -f "$RES/ttnn.in"
}
trap cleanup EXIT
source "$ROOT/tools/bench/lib.sh"

rm -f "$RES/ttnn.in"
mkfifo "$RES/ttnn.in"
TT_METAL_MOCK_CLUSTER_DESC_PATH=$CACHE/mock-n150.yaml \
	"$VENV/bin/python" "$ROOT/tools/bench/ttnn_loop.py" <"$RES/ttnn.in" \
	>"$RES/ttnn.out" 2>"$RES/ttnn.err" &
LOOP=$!
exec 8>"$RES/ttnn.in"

wait_line() { # file pattern tenths-of-a-second
	for _ in $(seq "$3"); do
		grep -q "$2" "$1" && return 0
		sleep 0.1
	done
	return 1
}
wait_line "$RES/ttnn.out" '^ready' 600 || {
	echo "ttnn: the loop did not start: $(tail -1 "$RES/ttnn.err")" >&2
	exit 1
}

batch() { # variant -> appends "variant ns" to SAMPLES
	local before
	before=$(wc -l <"$RES/ttnn.out")
	echo "$N" >&8
	for _ in $(seq 6000); do
		[ "$(wc -l <"$RES/ttnn.out")" -gt "$before" ] && break
		sleep 0.05
	done
	tail -1 "$RES/ttnn.out" | awk -v v="$1" '{print v, $2}' >>"$SAMPLES"
}

sysctl -qw kernel.bpf_stats_enabled=0
for r in $(seq "$RUNS"); do
	batch untraced
	start_bg "$RES/ttnn-trace.err" '^ttbpf: attached' \
		"$OUT/ttbpf-trace" --lib "$LIB" --quiet -i 0
	batch ttbpf
	stop_bg
	start_bg "$RES/ttnn-trace.err" '^ttbpf: attached' \
		"$OUT/ttbpf-trace" --lib "$LIB" --quiet -i 0 --no-python
	batch ttbpf_no_python
	stop_bg
	start_bg "$RES/ttnn-empty.err" 'sites' \
		"$RES/emptyprobe" "$RES/empty.bpf.o" "$LIB"
	batch empty_probes
	stop_bg
	echo "  ttnn round $r/$RUNS" >&2
done

# Probe hits and BPF time per event: the kernel's counters of this
# tracer's programs across one batch (each counts every hit on its sites).
progs() { # -> "hits alloc_entry-ns free_entry-ns all-ns"
	new_prog_stats "$RES/ttnn.ids" | awk '
		$1 ~ /^(alloc_entry|free_entry|bulk_free|throw_entry)$/ {
			c += $2; t += $3 }
		$1 == "alloc_entry" { e += $3 }
		$1 == "free_entry" { f += $3 }
		END { printf "%d %d %d %d\n", c, e, f, t }'
}
stats() { # trace-args... -> "hits entry-ns free-ns all-ns" over one batch
	local c0 e0 f0 t0 c1 e1 f1 t1
	prog_ids >"$RES/ttnn.ids"
	start_bg "$RES/ttnn-trace.err" '^ttbpf: attached' \
		"$OUT/ttbpf-trace" --lib "$LIB" --quiet -i 0 "$@"
	batch warm # Python frames: user space registers the process first
	read -r c0 e0 f0 t0 < <(progs)
	batch stats
	read -r c1 e1 f1 t1 < <(progs)
	stop_bg
	echo "$((c1 - c0)) $((e1 - e0)) $((f1 - f0)) $((t1 - t0))"
}
sysctl -qw kernel.bpf_stats_enabled=1
read -r hits ens fns tns < <(stats)
read -r _ qens qfns qtns < <(stats --no-python)
sysctl -qw kernel.bpf_stats_enabled=0

jq -n --argjson u "$(median untraced "$SAMPLES")" \
	--argjson t "$(median ttbpf "$SAMPLES")" \
	--argjson tn "$(median ttbpf_no_python "$SAMPLES")" \
	--argjson e "$(median empty_probes "$SAMPLES")" --argjson runs "$RUNS" \
	--argjson pairs "$N" --argjson hits "$hits" \
	--argjson ens "$ens" --argjson fns "$fns" --argjson tns "$tns" \
	--argjson qens "$qens" --argjson qfns "$qfns" --argjson qtns "$qtns" \
	'{library: "ttnn 0.81.1 libtt_metal.so, mock device",
	  workload: "ttnn.zeros([1,1,32,32], DRAM) + ttnn.deallocate",
	  rounds: $runs, pairs_per_run: $pairs,
	  ns_per_pair: {untraced: $u, ttbpf: $t, ttbpf_no_python: $tn,
			empty_probes: $e},
	  ratio: {ttbpf: ($t / $u), ttbpf_no_python: ($tn / $u),
		  empty_probes: ($e / $u)},
	  probe_hits_per_pair: ($hits / $pairs),
	  bpf_ns_per_event: {python: {entry: ($ens / $pairs),
				      free: ($fns / $pairs)},
			     no_python: {entry: ($qens / $pairs),
					 free: ($qfns / $pairs)}},
	  bpf_ns_per_pair: ($tns / $pairs),
	  bpf_ns_per_pair_no_python: ($qtns / $pairs)}' >"$RES/ttnn.json"
