#!/bin/bash
# Sourced by the tests that run real TT-Metal in mock mode, after OUT is
# set: the work dir, the cleanup, skipping, and the venv from mock_setup.sh.
#   CACHE VENV LIB  the 0.81.1 venv and its libtt_metal.so
#   KILL            pids to SIGKILL on exit; `forget PID` once waited for
TRACE=$OUT/ttbpf-trace
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$(mktemp -d /tmp/ttbpf-real.XXXXXX)
KILL=()

forget() { # PID: waited for, so its number may be someone else's now
	local k=() p
	for p in "${KILL[@]}"; do [ "$p" = "$1" ] || k+=("$p"); done
	KILL=("${k[@]}")
}

mock_cleanup() {
	local p
	for p in "${KILL[@]}"; do kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
	declare -F on_cleanup >/dev/null && on_cleanup
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
trap mock_cleanup EXIT

skip() {
	echo "0 passed, 0 failed"
	echo "# skip: $*"
	exit 77
}

CACHE=$("$HERE/mock_setup.sh" 2>"$WORK/setup.err") ||
	skip "$(cat "$WORK/setup.err")"
VENV=$CACHE/venv-0.81.1
LIB=$VENV/lib/python3.10/site-packages/ttnn/build/lib/libtt_metal.so
[ -x "$TRACE" ] || skip "no $TRACE"
[ "$(id -u)" = 0 ] || skip "needs root for uprobes"
ls /dev/shm | sort >"$WORK/shm.before"

# Wait until a tracer whose stderr is FILE says it attached.
wait_attached() {
	local _
	for _ in $(seq 100); do
		grep -q attached "$1" && return 0
		sleep 0.1
	done
	return 1
}

# Wait until the workload PID printed its "ready" line in FILE (or died).
wait_ready() {
	local _
	for _ in $(seq 240); do
		grep -q '"ready"' "$2" && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.25
	done
	return 1
}
