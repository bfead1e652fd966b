#!/bin/bash
# Shared by the suites that run real TT-Metal in mock mode: work folder,
# cleanup (our processes, and the /dev/shm records that appeared during
# the run), the venv (tests/real/mock_setup.sh) and the tracer.
#   source mock_lib.sh TOOLS_OUT; then VENV, LIB, CACHE, WORK are set.
set -u
OUT=${1:?tools output dir}
TRACE=$OUT/ttbpf-trace
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$(mktemp -d /tmp/ttbpf-real.XXXXXX)
TP=
BG_PIDS=()

cleanup() {
	[ -n "$TP" ] && kill -KILL "$TP" 2>/dev/null
	for p in "${BG_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
	# Only the /dev/shm names that appeared during our run, and of those
	# only our own files: /dev/shm is every user's.
	if [ -f "$WORK/shm.before" ]; then
		ls /dev/shm | sort | comm -13 "$WORK/shm.before" - |
			while read -r n; do
				f=/dev/shm/$n
				[ -f "$f" ] && [ ! -L "$f" ] && [ -O "$f" ] && rm -f "$f"
			done
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

skip() {
	echo "0 passed, 0 failed"
	echo "# skip: $*"
	exit 77
}

# mock_venv PYTHON_VERSION: build (or find) the venv of that Python
# (3.10 or 3.12) and set VENV, LIB and CACHE. Returns 77 with the reason in
# $WORK/setup.err when it cannot be built for a reason mock_setup calls a
# skip (the package index is unreachable); 1 on any other failure.
mock_venv() {
	local rc
	CACHE=$(TTBPF_MOCK_PY=$1 "$HERE/mock_setup.sh" 2>"$WORK/setup.err")
	rc=$?
	[ $rc -eq 0 ] || return $rc
	case $1 in
	3.10) VENV=$CACHE/venv-0.81.1 ;;
	*) VENV=$CACHE/venv-0.81.1-cp${1/./} ;;
	esac
	LIB=$VENV/lib/python$1/site-packages/ttnn/build/lib/libtt_metal.so
}

# A venv that cannot be built is a skip only when mock_setup says so (the
# package index is unreachable); anything else fails the suite.
mock_venv 3.10
case $? in
0) ;;
77) skip "$(cat "$WORK/setup.err")" ;;
*)
	echo "not ok - mock setup: $(cat "$WORK/setup.err")"
	echo "0 passed, 1 failed"
	exit 1
	;;
esac
[ -x "$TRACE" ] || skip "no $TRACE"
[ "$(id -u)" = 0 ] || skip "needs root for uprobes"
ls /dev/shm | sort >"$WORK/shm.before"

# use_pin NAME: PIN, a pin directory of our own, unpinned on exit.
use_pin() {
	PIN=/sys/fs/bpf/ttbpf-$1-$$
	trap '"$TRACE" --unpin --pin-dir "$PIN" >/dev/null 2>&1; cleanup' EXIT
	mountpoint -q /sys/fs/bpf || skip "no bpffs at /sys/fs/bpf"
}

# wait_attached ERR_FILE: until the tracer $TP said it attached; a tracer
# that died or took a minute ends the suite as failed, not its later
# checks with misleading causes.
wait_attached() {
	for _ in $(seq 600); do
		grep -qs '^ttbpf: attached' "$1" && return 0
		kill -0 "$TP" 2>/dev/null || break
		sleep 0.1
	done
	echo "not ok - tracer attaches: $(tail -3 "$1" | tr '\n' ' ')"
	echo "0 passed, 1 failed"
	exit 1
}

# ttbpf-trace --json [ARGS...] on the venv's library, in the background,
# attached.
start_tracer() {
	"$TRACE" --json "$@" --lib "$LIB" >"$WORK/trace.json" 2>"$WORK/trace.err" &
	TP=$!
	wait_attached "$WORK/trace.err"
}

# Stop the tracer with SIGINT; its summary is the last line of trace.json.
stop_tracer() {
	kill -INT "$TP"
	wait "$TP"
	TRC=$?
	TP=
}

# mock_start NAME DESCRIPTOR [ENV=VALUE...] -- ARGS...: mock_workload.py
# ARGS on the cluster DESCRIPTOR in the background, its stdin a FIFO held
# open (a line makes it free and close); MOCK_PID[NAME] is its pid, its output
# $WORK/NAME.out. mock_start_py: the same with python's own ARGS (another
# script, -c). mock_wait_ready NAME...: until each printed "ready" (or
# died). mock_release NAME: the line, then its exit status.
declare -A MOCK_PID MOCK_FD
mock_start() {
	local name=$1 desc=$2
	shift 2
	local envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	mock_start_py "$name" "$desc" "${envs[@]}" -- "$HERE/mock_workload.py" "$@"
}
mock_start_py() {
	local name=$1 desc=$2 fd
	shift 2
	local envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	mkfifo "$WORK/$name.in"
	env TT_METAL_MOCK_CLUSTER_DESC_PATH="$CACHE/$desc" "${envs[@]}" \
		"$VENV/bin/python" "$@" \
		<"$WORK/$name.in" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	MOCK_PID[$name]=$!
	BG_PIDS+=("$!")
	exec {fd}>"$WORK/$name.in"
	MOCK_FD[$name]=$fd
}
mock_wait_ready() {
	local n
	for n in "$@"; do
		for _ in $(seq 240); do
			grep -q '"ready"' "$WORK/$n.out" && break
			kill -0 "${MOCK_PID[$n]}" 2>/dev/null || break
			sleep 0.5
		done
	done
}
mock_release() {
	local fd=${MOCK_FD[$1]}
	echo >&"$fd"
	exec {fd}>&-
	wait "${MOCK_PID[$1]}"
}

# mock_release_all NAME...: mock_release each, their statuses in rcs[].
mock_release_all() {
	local n
	rcs=()
	for n in "$@"; do
		mock_release "$n"
		rcs+=("$?")
	done
}

# mock_fifo_start DIR SCRIPT: once the tracer $TP writing DIR/trace.err
# has attached, start SCRIPT on $VENV in mock mode on one n150, its stdin a
# fifo held open on fd 9 (the script goes on when fd 9 is closed). Sets WP.
mock_fifo_start() {
	local w=$1 s=$2
	wait_attached "$w/trace.err"
	mkfifo "$w/in"
	TT_METAL_MOCK_CLUSTER_DESC_PATH=$CACHE/mock-n150.yaml \
		"$VENV/bin/python" "$s" <"$w/in" >"$w/wl.out" 2>"$w/wl.err" &
	WP=$!
	BG_PIDS+=("$WP")
	exec 9>"$w/in"
}
