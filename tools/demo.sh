#!/bin/bash
# The README's first command ends here: trace three stand-in TT-Metal
# workloads on two devices live, then show ttbpf-top and ttbpf-snapshot on
# what they hold. Screens are also saved under build/demo/ for the README.
# Usage: tools/demo.sh TOOLS_OUT TTSIM_OUT
set -eu
OUT=$1
TTSIM=$2
VARIANT=${TTBPF_DEMO_VARIANT:-e4-release}
LIB=$TTSIM/$VARIANT/libtt_metal.so
SAVE=$(dirname "$OUT")/demo
mkdir -p "$SAVE"
work=$(mktemp -d /tmp/ttbpf-demo.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	"$OUT/ttbpf-trace" --unpin >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

wait_for() { # FILE REGEX
	for _ in $(seq 200); do
		grep -Eq "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "demo: timed out waiting for $2 in $1" >&2
	return 1
}

echo "== ttbpf demo: tracing the stand-in $LIB"
"$OUT/ttbpf-trace" --unpin >/dev/null 2>&1 || true
"$OUT/ttbpf-trace" --lib "$LIB" --pin -i 500 >"$work/trace.out" 2>"$work/trace.err" &
pids+=($!)
tracer=$!
wait_for "$work/trace.err" '^ttbpf: attached'
cat "$work/trace.err"

start() { # NAME ARGS...
	local name=$1
	shift
	LD_LIBRARY_PATH="$TTSIM/$VARIANT" "$TTSIM/ttsim-run" --wait-go --hold-after \
		--truth "$work/$name.json" "$@" >"$work/$name.out" 2>&1 &
	pids+=($!)
	eval "pid_$name=$!"
	wait_for "$work/$name.out" '^ready'
}
start model --scenario steady --devices 2 --count 300 --seed 1
start leaky --scenario leak --devices 2 --seed 2
start workers --scenario threads --threads 4 --devices 2 --count 200 --seed 3
for n in model leaky workers; do kill -USR1 "$(eval echo \$pid_$n)"; done
for n in model leaky workers; do wait_for "$work/$n.out" '^holding'; done
sleep 0.6

echo
echo "== live events and usage lines (last 12 lines of ttbpf-trace)"
tail -n 12 "$work/trace.out"
kill -INT "$tracer"
wait "$tracer" || true

echo
echo "== ttbpf-top --once --arch wormhole_b0 (reads the pinned maps)"
"$OUT/ttbpf-top" --once --arch wormhole_b0 | tee "$SAVE/top.txt"
echo
echo "== ttbpf-snapshot --top 3"
"$OUT/ttbpf-snapshot" --top 3 | tee "$SAVE/snapshot.txt"
echo
echo "== ttbpf-snapshot --leaks --min-age 0 (the leak scenario's functions)"
"$OUT/ttbpf-snapshot" --leaks --min-age 0 -p "$pid_leaky" | tee "$SAVE/leaks.txt" || true
echo
echo "== ground truth from the allocator's own books, for comparison"
for n in model leaky workers; do
	jq -r --arg n "$n" '.pid as $p | .devices[] | "\($n) pid \($p) \(.kind) \(.device): DRAM \(.usage.DRAM.bytes) L1 \(.usage.L1.bytes) L1_SMALL \(.usage.L1_SMALL.bytes) TRACE \(.usage.TRACE.bytes)"' "$work/$n.json"
done
for n in model leaky workers; do kill -USR1 "$(eval echo \$pid_$n)"; done
wait 2>/dev/null || true
echo
echo "demo done: 'sudo make test' runs every test."
