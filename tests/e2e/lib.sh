#!/bin/bash
# Helpers for the end-to-end tests: real BPF, real uprobes, the stand-in
# TT-Metal as the traced program. Each test script sources this with
#   tests/e2e/test_X.sh TOOLS_OUT TTSIM_OUT
# and ends with finish, which prints "N passed, N failed".
set -u
OUT=${1:?tools output dir}
TTSIM=${2:?stand-in output dir}
TRACE=$OUT/ttbpf-trace
SNAP=$OUT/ttbpf-snapshot
TOP=$OUT/ttbpf-top
RUN=$TTSIM/ttsim-run
E2E=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$(mktemp -d /tmp/ttbpf-e2e.XXXXXX)
BG_PIDS=()
VARIANTS=${TTBPF_VARIANTS:-"e4-release e4-debug e3-release e3-debug e2-release e2-debug"}

cleanup() {
	for p in "${BG_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

source "$E2E/../tap.sh"

finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
	exit $?
}

# wait_line FILE REGEX SECONDS: 0 once a line of FILE matches.
wait_line() {
	local file=$1 re=$2 secs=$3 i
	for ((i = 0; i < secs * 20; i++)); do
		if grep -Eq "$re" "$file" 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	echo "timed out after ${secs}s waiting for /$re/ in $file:" >&2
	tail -5 "$file" >&2
	return 1
}

lib_of() {
	echo "$TTSIM/$1/libtt_metal.so"
}

# start_workload NAME VARIANT ARGS...: runs ttsim-run held at the go
# signal, sets WL_PID[NAME]. Ground truth lands in $WORK/NAME.truth.json.
declare -A WL_PID
start_workload() {
	local name=$1 variant=$2
	shift 2
	LD_LIBRARY_PATH="$TTSIM/$variant" "$RUN" --wait-go --hold-after \
		--truth "$WORK/$name.truth.json" "$@" >"$WORK/$name.out" 2>&1 &
	local pid=$!
	BG_PIDS+=("$pid")
	WL_PID[$name]=$pid
	wait_line "$WORK/$name.out" '^ready pid=' 10
}

go() {
	kill -USR1 "${WL_PID[$1]}"
}

# Wait until the workload finished its scenario and wrote ground truth.
wait_holding() {
	wait_line "$WORK/$1.out" '^holding' "${2:-60}"
}

# run_held NAME VARIANT ARGS...: start_workload, go, wait_holding.
run_held() {
	start_workload "$@" && go "$1" && wait_holding "$1"
}

# Let a holding workload close its devices and exit; returns its status.
release() {
	local pid=${WL_PID[$1]}
	kill -USR1 "$pid" 2>/dev/null
	wait "$pid"
}

# start_tracer NAME ARGS...: ttbpf-trace in the background, attached.
declare -A TR_PID
start_tracer() {
	local name=$1
	shift
	"$TRACE" "$@" >"$WORK/$name.trace.out" 2>"$WORK/$name.trace.err" &
	local pid=$!
	BG_PIDS+=("$pid")
	TR_PID[$name]=$pid
	wait_line "$WORK/$name.trace.err" '^ttbpf: attached' 30
}

# Stop a tracer with SIGINT; its last stdout line is then the summary.
stop_tracer() {
	local pid=${TR_PID[$1]}
	kill -INT "$pid"
	wait "$pid"
}

summary_of() {
	grep '"event":"summary"' "$WORK/$1.trace.out" | tail -1
}

# Programs of ours still loaded: the test's "nothing left attached" check.
loaded_progs() {
	bpftool prog show 2>/dev/null | grep -cE 'name (alloc_entry|free_entry|bulk_free|throw_entry|handle_exit|handle_exec)'
}

# expect_error NAME REGEX CMD...: CMD fails (non-zero exit) with one
# stderr line matching REGEX.
expect_error() {
	local name=$1 re=$2
	shift 2
	"$@" >"$WORK/out" 2>"$WORK/err"
	local rc=$?
	if [ "$rc" -eq 0 ]; then
		not_ok "$name" "exit status 0"
	# argp adds its standard "Try --help" line to usage errors.
	elif [ "$(grep -vc '^Try `' "$WORK/err")" -ne 1 ]; then
		not_ok "$name" "expected one line, got: $(cat "$WORK/err")"
	elif ! grep -Eq "$re" "$WORK/err"; then
		not_ok "$name" "message does not match /$re/: $(cat "$WORK/err")"
	else
		ok "$name"
	fi
}

# use_pin_dir: $PIN, this test's own --pin-dir, unpinned when it ends.
use_pin_dir() {
	PIN=/sys/fs/bpf/ttbpf-$(basename "$0" .sh)-$$
	trap 'cleanup_pins; cleanup' EXIT
}
cleanup_pins() {
	"$TRACE" --unpin --pin-dir "$PIN" >/dev/null 2>&1
}

# --- Python programs on the stand-in: py_leak.py ------------------------
PY_SCRIPT=$E2E/py_leak.py

# The line of py_leak.py that carries the marker comment "# MARKER".
line_of() { grep -n "# $1" "$PY_SCRIPT" | cut -d: -f1; }

# pythons: TTBPF_PYTHONS, else pyenv's 3.10-3.13, else python3.1x.
find_pythons() {
	local m p
	pythons=()
	if [ -n "${TTBPF_PYTHONS:-}" ]; then
		read -ra pythons <<<"$TTBPF_PYTHONS"
		return
	fi
	for m in 10 11 12 13; do
		p=$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.$m.*/bin/python3 2>/dev/null | tail -1)
		[ -n "$p" ] || p=$(command -v "python3.$m")
		[ -n "$p" ] && pythons+=("$p")
	done
}

# start_py NAME PYTHON: py_leak.py on the e4-release stand-in, held at
# "ready", its stdin a FIFO; py_go NAME: it allocates and holds;
# py_release NAME: it closes its device and exits (its status).
declare -A PY_FD
start_py() {
	local name=$1 py=$2 fd
	mkfifo "$WORK/$name.in"
	"$py" "$PY_SCRIPT" "$(lib_of e4-release)" "$WORK/$name.truth.json" \
		<"$WORK/$name.in" >"$WORK/$name.out" 2>&1 &
	WL_PID[$name]=$!
	BG_PIDS+=("$!")
	exec {fd}>"$WORK/$name.in"
	PY_FD[$name]=$fd
	wait_line "$WORK/$name.out" '^ready' 20
}
py_go() { echo go >&"${PY_FD[$1]}"; }
py_release() {
	local fd=${PY_FD[$1]}
	# A line, not EOF: later programs inherited this FIFO's write end.
	echo done >&"$fd"
	exec {fd}>&-
	wait "${WL_PID[$1]}"
}
