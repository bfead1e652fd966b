#!/bin/bash
# Runs every test: formatting, cmocka unit tests (ASan+UBSan build), the
# stand-in's own tests and the end-to-end tests against the real kernel.
# Usage: tests/run-all.sh TOOLS_OUT TTSIM_OUT
# Ends with "N passed, N failed, N skipped" counting test cases of every
# suite; a suite that ran no case and did not say why is a failure.
set -u
OUT=${1:?tools output dir}
TTSIM=${2:?stand-in output dir}
cd "$(dirname "$0")/.."
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TTSIM_OUT=$TTSIM

passed=0
failed=0
skipped=0
failed_suites=()

# Add the counts a suite printed: cmocka's "[  PASSED  ] N" lines, or the
# shell suites' closing "N passed, N failed[, N skipped]". @skip_rc is 1
# when the suite exited 77: it could not run here and said why.
count() {
	local name=$1 log=$2 rc=$3 skip_rc=$4 p f s line
	p=$(grep -Eo '^\[  PASSED  \] [0-9]+' "$log" | awk '{s+=$4} END {print s+0}')
	f=$(grep -Eo '^\[  FAILED  \] [0-9]+' "$log" | awk '{s+=$4} END {print s+0}')
	s=$(grep -Eo '^\[  SKIPPED \] [0-9]+' "$log" | awk '{s+=$4} END {print s+0}')
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && [ "$s" -eq 0 ]; then
		line=$(grep -Eo '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?' "$log" | tail -1)
		p=$(echo "$line" | awk '{print $1+0}')
		f=$(echo "$line" | awk '{print $3+0}')
		s=$(echo "$line" | awk '{print $5+0}')
	fi
	# A suite that could not run at all is one skip, not a pass.
	if [ "$skip_rc" -eq 1 ] && [ "$p" -eq 0 ] && [ "$s" -eq 0 ]; then
		s=1
	fi
	# A suite that crashed, or ran nothing without saying why, fails.
	if { [ "$rc" -ne 0 ] || [ $((p + s)) -eq 0 ]; } && [ "$f" -eq 0 ]; then
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	if [ "$f" -ne 0 ]; then
		failed_suites+=("$name")
	fi
	printf '== %-28s %4d passed %4d failed %4d skipped\n' "$name" "$p" "$f" "$s"
}

logs=$(mktemp -d /tmp/ttbpf-tests.XXXXXX)

run_suite() {
	local name=$1
	shift
	local log="$logs/$name.log"
	"$@" >"$log" 2>&1
	local rc=$? skip_rc=0
	# 77: the suite could not run here and said why (a skip, not a pass).
	if [ "$rc" -eq 77 ]; then
		rc=0
		skip_rc=1
	fi
	# Every skip names its reason; show them.
	grep -Ei '^(# )?skip' "$log" | sed "s/^/  [$name] /"
	count "$name" "$log" "$rc" "$skip_rc"
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

# Real ttnn wheels, for every suite that reads them (test_tt_lib's real
# libraries, tests/real): fetched into ~/.cache/ttbpf, outside git, when
# missing. Without the package index they skip and say so; any other
# fetch failure fails.
fetch_real() {
	local libs rc
	libs=$(tools/fetch-ttnn.sh 0.81.1 0.64.5 2>"$logs/fetch.err")
	rc=$?
	if [ $rc -eq 0 ]; then
		TTBPF_REAL_LIBS=$(echo $libs | tr ' ' ':')
		export TTBPF_REAL_LIBS
		echo "ttnn wheels: $TTBPF_REAL_LIBS"
		echo "1 passed, 0 failed"
	elif [ $rc -eq 77 ]; then
		echo "skip: $(tail -1 "$logs/fetch.err")"
		return 77
	else
		cat "$logs/fetch.err"
		echo "0 passed, 1 failed"
		return 1
	fi
}
run_suite fetch-ttnn fetch_real
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

# Real ttnn wheels and TT-Metal in mock mode: each suite fetches what it
# needs into ~/.cache/ttbpf, and skips only when the index is unreachable.
for t in tests/real/test_*.sh; do
	[ -x "$t" ] || continue
	run_suite "$(basename "$t" .sh)" "$t" "$OUT"
done

# A short bounded fuzz run of every parser of outside input.
if make --no-print-directory fuzz-build >"$logs/fuzz-build.log" 2>&1; then
	run_suite fuzz tests/fuzz/run.sh "${TTBPF_FUZZ_SECONDS:-5}" "$(dirname "$OUT")/fuzz"
else
	count fuzz-build "$logs/fuzz-build.log" 1 0
fi

echo "logs: $logs"
if [ ${#failed_suites[@]} -ne 0 ]; then
	echo "failed suites: ${failed_suites[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
