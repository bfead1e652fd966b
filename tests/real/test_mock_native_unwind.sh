#!/bin/bash
# --native-unwind on real TT-Metal (ttnn 0.81.1, mock device), whose
# libraries have no frame pointers: the frame-pointer stack of a tensor is
# the allocator and its caller; the unwound one must carry ttnn's C++
# frames from the allocator up to the operation the script called
# (read from the script's marked line) and on into the interpreter, and
# the freed tensor must not appear.
source "$(dirname "$0")/mock_lib.sh"
source "$HERE/../tap.sh"
SNAP=$OUT/ttbpf-snapshot
PIN=/sys/fs/bpf/ttbpf-real-nu-$$
S=$HERE/mock_leak.py
trap '"$TRACE" --unpin --pin-dir "$PIN" >/dev/null 2>&1; cleanup' EXIT
# The ttnn operation on the leaking line: "ttnn.zeros(" -> zeros.
op=$(grep '# LEAK-TENSOR' "$S" | sed -n 's/.*ttnn\.\([a-z_]*\)(.*/\1/p')

"$TRACE" --lib "$LIB" --pin --pin-dir "$PIN" --quiet -i 0 --native-unwind >"$WORK/trace.out" 2>"$WORK/trace.err" &
TP=$!
mock_fifo_start "$WORK" "$S"
for _ in $(seq 240); do
	grep -q '^ready' "$WORK/wl.out" && break
	kill -0 "$WP" 2>/dev/null || break
	sleep 0.5
done
echo go >&9
for _ in $(seq 120); do
	grep -q '^holding' "$WORK/wl.out" && break
	kill -0 "$WP" 2>/dev/null || break
	sleep 0.5
done
sleep 0.3 # the tracer's next poll unwinds what the leaks sent
stop_tracer
"$SNAP" --pin-dir "$PIN" --json --leaks --min-age 0 -p "$WP" >"$WORK/leaks.json"
"$SNAP" --pin-dir "$PIN" --leaks --min-age 0 -p "$WP" >"$WORK/leaks.txt"
echo done >&9
exec 9>&-
wait "$WP"
check "workload exits 0" test $? -eq 0
check "the script's operation is known: ttnn.$op" test -n "$op"

dram='[.leaks.stacks[] | select(.usage.DRAM == 16384) | [.stack[] | strings]]'
check "one DRAM leak group of 2 buffers" jq_true \
	'[.leaks.stacks[] | select(.usage.DRAM == 16384 and .count == 2)] | length == 1' "$WORK/leaks.json"
check "unwound: allocate_buffer first, then more than the two frame-pointer frames" jq_true \
	"$dram | length == 1 and (.[0][0] | contains(\"allocate_buffer\")) and (.[0] | length) > 4" "$WORK/leaks.json"
check "ttnn C++ frames between the allocator and the interpreter, ttnn::$op among them" jq_true --arg op "$op" \
	"$dram | .[0] as \$s | (\$s | map(test(\"_PyEval|PyObject_|pybind11::cpp_function\")) | index(true)) as \$py |
	 \$py != null and ([\$s[1:\$py][] | select(startswith(\"ttnn::\"))] | length > 0) and
	 ([\$s[1:\$py][] | select(contains(\"ttnn::\") and contains(\$op))] | length > 0)" "$WORK/leaks.json"
check "the freed L1 tensor is not reported" jq_true \
	'[.leaks.stacks[] | select(.usage.L1 > 0)] | length == 0' "$WORK/leaks.json"
check "trace summary counts the unwound stacks" grep -qE '^ttbpf: native unwind: [1-9]' "$WORK/trace.err"
finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}
finish
