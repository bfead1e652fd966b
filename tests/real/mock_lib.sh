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

# A venv that cannot be built is a skip only when mock_setup says so (the
# package index is unreachable); anything else fails the suite.
CACHE=$("$HERE/mock_setup.sh" 2>"$WORK/setup.err")
case $? in
0) ;;
77) skip "$(cat "$WORK/setup.err")" ;;
*)
	echo "not ok - mock setup: $(cat "$WORK/setup.err")"
	echo "0 passed, 1 failed"
	exit 1
	;;
esac
VENV=$CACHE/venv-0.81.1
LIB=$VENV/lib/python3.10/site-packages/ttnn/build/lib/libtt_metal.so
[ -x "$TRACE" ] || skip "no $TRACE"
[ "$(id -u)" = 0 ] || skip "needs root for uprobes"
ls /dev/shm | sort >"$WORK/shm.before"

# use_pin NAME: PIN, a pin directory of our own, unpinned on exit.
use_pin() {
	PIN=/sys/fs/bpf/ttbpf-$1-$$
	trap '"$TRACE" --unpin --pin-dir "$PIN" >/dev/null 2>&1; cleanup' EXIT
	mountpoint -q /sys/fs/bpf || skip "no bpffs at /sys/fs/bpf"
}

# ttbpf-trace --json [ARGS...] on the venv's library, in the background,
# attached.
start_tracer() {
	"$TRACE" --json "$@" --lib "$LIB" >"$WORK/trace.json" 2>"$WORK/trace.err" &
	TP=$!
	for _ in $(seq 100); do
		grep -qs attached "$WORK/trace.err" && break
		sleep 0.1
	done
}

# start NAME DESCRIPTOR [ENV=VALUE...] -- PYTHON-ARGS...: the venv's python
# on mock cluster DESCRIPTOR, stdin a FIFO held open (the workloads free
# when a line arrives, see release), output in $WORK/NAME.out.
declare -A WPID
start() {
	local name=$1 desc=$2
	shift 2
	local envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	mkfifo "$WORK/$name.in"
	env TT_METAL_MOCK_CLUSTER_DESC_PATH="$CACHE/$desc" "${envs[@]}" \
		"$VENV/bin/python" "$@" \
		<"$WORK/$name.in" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	WPID[$name]=$!
	BG_PIDS+=("$!")
	eval "exec {fd_$name}>\"$WORK/$name.in\""
}

# wait_ready NAME...: until each has printed its "ready" line (or died).
wait_ready() {
	local n
	for n in "$@"; do
		for _ in $(seq 240); do
			grep -q '"ready"' "$WORK/$n.out" && break
			kill -0 "${WPID[$n]}" 2>/dev/null || break
			sleep 0.5
		done
	done
}

# release NAME...: a line to each, then their exit statuses in rcs[].
release() {
	local n
	rcs=()
	for n in "$@"; do
		eval "echo >&\$fd_$n; exec {fd_$n}>&-"
		wait "${WPID[$n]}"
		rcs+=("$?")
	done
}

# Stop the tracer with SIGINT; its summary is the last line of trace.json.
stop_tracer() {
	kill -INT "$TP"
	wait "$TP"
	TRC=$?
	TP=
}
