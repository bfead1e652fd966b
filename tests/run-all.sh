#!/bin/bash
# Runs every test: formatting, cmocka unit tests (ASan+UBSan build), the
# stand-in's own tests and the end-to-end tests against the real kernel.
# Usage: tests/run-all.sh TOOLS_OUT TTSIM_OUT
# Ends with "N passed, N failed" counting test cases of every suite.
set -u
OUT=${1:?tools output dir}
TTSIM=${2:?stand-in output dir}
cd "$(dirname "$0")/.."
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TTSIM_OUT=$TTSIM

passed=0
failed=0
failed_suites=()

# Add the counts a suite printed in its closing line.
count() {
	local name=$1 log=$2 rc=$3 p f
	p=$(grep -Eo '^\[  PASSED  \] [0-9]+' "$log" | awk '{s+=$4} END {print s+0}')
	f=$(grep -Eo '^\[  FAILED  \] [0-9]+' "$log" | awk '{s+=$4} END {print s+0}')
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		p=$(grep -Eo '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 | awk '{print $1}')
		f=$(grep -Eo '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 | awk '{print $3}')
		p=${p:-0}
		f=${f:-0}
	fi
	# A suite that crashed or printed nothing still counts as a failure.
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		failed_suites+=("$name")
	fi
	printf '== %-28s %4d passed %4d failed\n' "$name" "$p" "$f"
}

logs=$(mktemp -d /tmp/ttbpf-tests.XXXXXX)

run_suite() {
	local name=$1
	shift
	local log="$logs/$name.log"
	"$@" >"$log" 2>&1
	local rc=$?
	# 77: the suite could not run here and said why (a skip, not a pass).
	if [ "$rc" -eq 77 ]; then
		grep -m1 -i 'skip' "$log" | sed "s/^/  [$name] /"
		rc=0
	fi
	count "$name" "$log" "$rc"
	if [ "$rc" -ne 0 ]; then
		tail -40 "$log" | sed "s/^/  [$name] /"
	fi
}

format_check() {
	if make --no-print-directory format-check; then
		echo "1 passed, 0 failed"
	else
		echo "0 passed, 1 failed"
		return 1
	fi
}

run_suite clang-format format_check
for t in "$OUT"/tests/test_*; do
	[ -x "$t" ] || continue
	run_suite "$(basename "$t")" "$t"
done
if [ -x tests/ttsim/run.sh ]; then
	run_suite ttsim tests/ttsim/run.sh "$TTSIM"
fi
for t in tests/e2e/test_*.sh; do
	[ -x "$t" ] || continue
	run_suite "$(basename "$t" .sh)" "$t" "$OUT" "$TTSIM"
done

# Real ttnn binaries: only when already cached (make test-real fetches).
for t in tests/real/test_*.sh; do
	[ -x "$t" ] || continue
	run_suite "$(basename "$t" .sh)" "$t" "$OUT"
done

# A short bounded fuzz run of every parser of outside input.
if make --no-print-directory fuzz-build >"$logs/fuzz-build.log" 2>&1; then
	run_suite fuzz tests/fuzz/run.sh "${TTBPF_FUZZ_SECONDS:-5}" "$(dirname "$OUT")/fuzz"
else
	count fuzz-build "$logs/fuzz-build.log" 1
fi

echo "logs: $logs"
if [ ${#failed_suites[@]} -ne 0 ]; then
	echo "failed suites: ${failed_suites[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
