#!/bin/bash
# Python frames on real TT-Metal (ttnn 0.81.1 in mock mode), once per
# Python of its wheels (cp310, cp312): a script leaks two DRAM tensors from
# make_tensor() called by leak() called by main(); ttbpf-snapshot --json
# --leaks, the text report and ttbpf-top must name those functions and the
# lines the markers in the script are on, for each leaked buffer, and the
# freed tensor must not appear. Then mock_late.py, started after the
# tracer, allocates as soon as its device is open: every allocation event
# (--json --python-frames) must have its Python frames, none the note "not
# inspected yet", and each of its tensors the line the script reports.
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
	check "$v: the interpreter was inspected before its first allocation" \
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

# late_case PYTHON_VERSION: mock_late.py started after the tracer.
LS=$HERE/mock_late.py
LN=20
late_case() {
	local v=$1 w=$WORK/late$1 WP kl kc cl cc
	mkdir -p "$w"
	"$TRACE" --lib "$LIB" --pin --pin-dir "$PIN" --json --python-frames -i 0 \
		>"$w/trace.json" 2>"$w/trace.err" &
	TP=$!
	wait_attached "$w/trace.err"
	mkfifo "$w/in"
	TT_METAL_MOCK_CLUSTER_DESC_PATH=$CACHE/mock-n150.yaml \
		"$VENV/bin/python" "$LS" "$LN" <"$w/in" >"$w/wl.out" 2>"$w/wl.err" &
	WP=$!
	BG_PIDS+=("$WP")
	exec 9>"$w/in"
	wait_for "$w/wl.out" '"holding"' "$WP"
	"$SNAP" --pin-dir "$PIN" --json -p "$WP" >"$w/snap.json"
	sleep 0.3
	stop_tracer
	echo done >&9
	exec 9>&-
	wait "$WP"
	check "$v late: workload exits 0" test $? -eq 0
	"$TRACE" --unpin --pin-dir "$PIN" >/dev/null 2>&1
	read -r kl kc cl cc <<<"$(grep '"holding"' "$w/wl.out" |
		jq -r '.sites | "\(.keep.line) \(.keep.count) \(.churn.line) \(.churn.count)"')"
	check "$v late: the script made $LN tensors at each of its two lines" \
		test "$kc $cc" = "$LN $LN"
	# One buffer per tensor: the device opens without allocating here.
	check "$v late: $((2 * LN)) allocation events, each with Python frames, none a note" \
		jq -se --argjson p "$WP" '[.[] | select(.event == "alloc" and .pid == $p)]
		 | length == 2 * '"$LN"' and all(.python | length > 0 and all(.[]; .note == null))' \
		"$w/trace.json"
	check "$v late: $LN of them from keep ($LS:$kl), $LN from churn ($LS:$cl)" \
		jq -se --argjson p "$WP" --arg f "$LS" --argjson k "$kl" --argjson c "$cl" \
		'[.[] | select(.event == "alloc" and .pid == $p) | [.python[] | select(.file == $f)][0]]
		 | ([.[] | select(. == {function: "keep", file: $f, line: $k})] | length == '"$LN"')
		 and ([.[] | select(. == {function: "churn", file: $f, line: $c})] | length == '"$LN"')' \
		"$w/trace.json"
	check "$v late: snapshot: $LN DRAM buffers held from keep ($LS:$kl), each with it" jq_true \
		--arg f "$LS" --argjson k "$kl" \
		'. as $r | [.buffers[] | select(.type == "DRAM") | [$r.stacks[.stack][] | objects | select(.file == $f)][0]]
		 | map(select(. == {function: "keep", file: $f, line: $k})) | length == '"$LN" \
		"$w/snap.json"
}

leak_case 3.10
late_case 3.10
mock_venv 3.12
case $? in
0) leak_case 3.12; late_case 3.12 ;;
77) echo "# skip: cp312: $(cat "$WORK/setup.err")" ;;
*) not_ok "cp312 mock setup" "$(cat "$WORK/setup.err")" ;;
esac
finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}
finish
