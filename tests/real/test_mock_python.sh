#!/bin/bash
# Python frames on real TT-Metal (ttnn 0.81.1 in mock mode), once per
# Python of its wheels (cp310, cp312): a script leaks two DRAM tensors from
# make_tensor() called by leak() called by main(); ttbpf-snapshot --json
# --leaks, the text report and ttbpf-top must name those functions and the
# lines the markers in the script are on, for each leaked buffer, and the
# freed tensor must not appear.
source "$(dirname "$0")/mock_lib.sh"
source "$HERE/../tap.sh"
SNAP=$OUT/ttbpf-snapshot
PIN=/sys/fs/bpf/ttbpf-real-py-$$
S=$HERE/mock_leak.py
line_of() { grep -n "# $1" "$S" | cut -d: -f1; }
trap '"$TRACE" --unpin --pin-dir "$PIN" >/dev/null 2>&1; cleanup' EXIT

# wait_for FILE REGEX PID: until a line matches, or PID is gone (60 s).
wait_for() {
	for _ in $(seq 120); do
		grep -q "$2" "$1" && return 0
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.5
	done
	return 1
}

# leak_case PYTHON_VERSION: the venv of that Python must be set up.
leak_case() {
	local v=$1 w=$WORK/$1 a b c d WP
	mkdir -p "$w"
	"$TRACE" --lib "$LIB" --pin --pin-dir "$PIN" --quiet -i 0 -v >"$w/trace.out" 2>"$w/trace.err" &
	TP=$!
	mock_fifo_start "$w" "$S"
	wait_for "$w/wl.out" '^ready' "$WP"
	check "$v: the interpreter was inspected at its first allocation" \
		wait_for "$w/trace.err" "pid $WP runs Python $v" "$WP"
	echo go >&9
	wait_for "$w/wl.out" '^holding' "$WP"
	stop_tracer
	"$SNAP" --pin-dir "$PIN" --json --leaks --min-age 0 -p "$WP" >"$w/leaks.json"
	"$SNAP" --pin-dir "$PIN" --leaks --min-age 0 -p "$WP" >"$w/leaks.txt"
	"$OUT/ttbpf-top" --pin-dir "$PIN" --once -p "$WP" >"$w/top.txt"
	echo done >&9
	exec 9>&-
	wait "$WP"
	check "$v: workload exits 0" test $? -eq 0
	"$TRACE" --unpin --pin-dir "$PIN" >/dev/null 2>&1

	a=$(line_of LEAK-TENSOR) b=$(line_of CALL-LEAK) c=$(line_of CALL-MAIN) d=$(line_of SCRATCH)
	# ttnn's own Python frames (its op decorator) come first: the
	# script's frames are compared.
	check "$v: 2 leaked DRAM buffers of 8192 B: make_tensor:$a <- leak:$b <- main:$c" jq_true \
		--arg f "$S" --argjson a "$a" --argjson b "$b" --argjson c "$c" \
		'[.leaks.stacks[] | select([.stack[] | objects | select(.file == $f)][0:3] == [
		   {function: "make_tensor", file: $f, line: $a},
		   {function: "leak", file: $f, line: $b},
		   {function: "main", file: $f, line: $c}])]
		 | length == 1 and .[0].count == 2 and .[0].usage.DRAM == 16384 and .[0].bytes == 16384' \
		"$w/leaks.json"
	check "$v: the freed L1 tensor (line $d) is not reported" jq_true --argjson d "$d" \
		'[.leaks.stacks[].stack[] | objects | select(.line == $d)] | length == 0' "$w/leaks.json"
	check "$v: native frames follow: the allocator" jq_true --argjson a "$a" \
		'[.leaks.stacks[] | select(any(.stack[] | objects; .line == $a)) | .stack[] | strings | select(contains("allocate_buffer"))] | length > 0' \
		"$w/leaks.json"
	check "$v: text report: make_tensor ($S:$a)" grep -qF "make_tensor ($S:$a)" "$w/leaks.txt"
	# top skips ttnn's frames (site-packages) to the script's line.
	check "$v: top: the 16384 B of 2 buffers from make_tensor ($S:$a)" \
		grep -qxF "        python: 16384 B (16.00 KiB) in 2 buffers from make_tensor ($S:$a)" "$w/top.txt"
}

leak_case 3.10
mock_venv 3.12
case $? in
0) leak_case 3.12 ;;
77) echo "# skip: cp312: $(cat "$WORK/setup.err")" ;;
*) not_ok "cp312 mock setup" "$(cat "$WORK/setup.err")" ;;
esac
finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}
finish
