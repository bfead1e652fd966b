#!/bin/bash
# Python frames on real TT-Metal (ttnn 0.81.1, cp310, mock device): a
# script leaks two DRAM tensors from make_tensor() called by leak() called
# by main(); ttbpf-snapshot --json --leaks and the text report must name
# those functions and the lines the markers in the script are on, for
# each leaked buffer, and the freed tensor must not appear.
source "$(dirname "$0")/mock_lib.sh"
source "$HERE/../tap.sh"
SNAP=$OUT/ttbpf-snapshot
PIN=/sys/fs/bpf/ttbpf-real-py-$$
S=$HERE/mock_leak.py
line_of() { grep -n "# $1" "$S" | cut -d: -f1; }
trap '"$TRACE" --unpin --pin-dir "$PIN" >/dev/null 2>&1; cleanup' EXIT

"$TRACE" --lib "$LIB" --pin --pin-dir "$PIN" --quiet -i 0 -v >"$WORK/trace.out" 2>"$WORK/trace.err" &
TP=$!
for _ in $(seq 100); do
	grep -q attached "$WORK/trace.err" && break
	sleep 0.1
done
mkfifo "$WORK/in"
TT_METAL_MOCK_CLUSTER_DESC_PATH=$CACHE/mock-n150.yaml \
	"$VENV/bin/python" "$S" <"$WORK/in" >"$WORK/wl.out" 2>"$WORK/wl.err" &
WP=$!
BG_PIDS+=("$WP")
exec 9>"$WORK/in"
for _ in $(seq 240); do
	grep -q '^ready' "$WORK/wl.out" && break
	kill -0 "$WP" 2>/dev/null || break
	sleep 0.5
done
inspected() {
	for _ in $(seq 50); do
		grep -q "pid $WP runs Python 3.10" "$WORK/trace.err" && return 0
		sleep 0.1
	done
	return 1
}
check "the interpreter was inspected at its first allocation" inspected
echo go >&9
for _ in $(seq 120); do
	grep -q '^holding' "$WORK/wl.out" && break
	kill -0 "$WP" 2>/dev/null || break
	sleep 0.5
done
stop_tracer
"$SNAP" --pin-dir "$PIN" --json --leaks --min-age 0 -p "$WP" >"$WORK/leaks.json"
"$SNAP" --pin-dir "$PIN" --leaks --min-age 0 -p "$WP" >"$WORK/leaks.txt"
echo done >&9
exec 9>&-
wait "$WP"
check "workload exits 0" test $? -eq 0

a=$(line_of LEAK-TENSOR) b=$(line_of CALL-LEAK) c=$(line_of CALL-MAIN) d=$(line_of SCRATCH)
# ttnn's own Python frames (its op decorator) come first: the script's
# frames are compared.
check "2 leaked DRAM buffers of 8192 B: make_tensor:$a <- leak:$b <- main:$c" jq_true \
	--arg f "$S" --argjson a "$a" --argjson b "$b" --argjson c "$c" \
	'[.leaks.stacks[] | select([.stack[] | objects | select(.file == $f)][0:3] == [
	   {function: "make_tensor", file: $f, line: $a},
	   {function: "leak", file: $f, line: $b},
	   {function: "main", file: $f, line: $c}])]
	 | length == 1 and .[0].count == 2 and .[0].usage.DRAM == 16384 and .[0].bytes == 16384' \
	"$WORK/leaks.json"
check "the freed L1 tensor (line $d) is not reported" jq_true --argjson d "$d" \
	'[.leaks.stacks[].stack[] | objects | select(.line == $d)] | length == 0' "$WORK/leaks.json"
check "native frames follow: the allocator" jq_true --argjson a "$a" \
	'[.leaks.stacks[] | select(any(.stack[] | objects; .line == $a)) | .stack[] | strings | select(contains("allocate_buffer"))] | length > 0' \
	"$WORK/leaks.json"
check "text report: make_tensor ($S:$a)" grep -qF "make_tensor ($S:$a)" "$WORK/leaks.txt"
finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}
finish
