#!/bin/bash
# The instrumented alternative, measured: the stand-in's e4 release build
# with the allocation-server reporter patched into its allocator
# (e4-client, `make ttsim-client`) sends every allocate/free to
# tools/bench/alloc_server over an AF_UNIX socket.
# Usage: tools/bench/instrumented.sh OUT_DIR TTSIM_OUT [RUNS] [COUNT]
#   OUT_DIR    tools output dir, as for tools/bench.sh (build/release);
#              alloc_server comes from OUT_DIR/../bench (built if missing)
#   TTSIM_OUT  stand-in output dir (build/ttsim)
#   RUNS       burst runs per series (5), COUNT pairs per run (200000)
# Stdout: median ns/pair with TT_ALLOC_TRACKING_ENABLED=1. Stderr: the
# median with it unset (the disabled cost) and the server's counts. Exits 1
# unless the server got exactly COUNT*RUNS allocs and COUNT*RUNS frees
# (the disabled series runs against the same server and must send none).
set -u
OUT=${1:?usage: instrumented.sh OUT_DIR TTSIM_OUT [RUNS] [COUNT]}
TTSIM=${2:?usage: instrumented.sh OUT_DIR TTSIM_OUT [RUNS] [COUNT]}
RUNS=${3:-5}
COUNT=${4:-200000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RES=$(realpath -m "$(dirname "$OUT")/bench")
SERVER=$RES/alloc_server
LIBDIR=$TTSIM/e4-client

die() {
	echo "instrumented: $*" >&2
	exit 1
}

for n in "$RUNS" "$COUNT"; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || die "RUNS and COUNT must be positive integers, got '$n'"
done
[ -f "$LIBDIR/libtt_metal.so" ] || die "no $LIBDIR/libtt_metal.so (make ttsim-client)"
[ -x "$TTSIM/ttsim-run" ] || die "no $TTSIM/ttsim-run (make ttsim)"
if [ ! -x "$SERVER" ]; then
	make -s --no-print-directory -C "$ROOT" OUTPUT="$(dirname "$RES")" \
		"$SERVER" >&2 || die "cannot build $SERVER"
fi

tmp=$(mktemp -d /tmp/ttbpf-instrumented.XXXXXX)
sock=$tmp/alloc.sock
spid=
cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

"$SERVER" "$sock" >"$tmp/server.out" 2>"$tmp/server.err" &
spid=$!
# Clients connect once and give up silently: start only when it listens.
for _ in $(seq 50); do
	grep -q '^ready$' "$tmp/server.out" && break
	kill -0 "$spid" 2>/dev/null || break
	sleep 0.1
done
grep -q '^ready$' "$tmp/server.out" ||
	die "alloc_server did not start: $(cat "$tmp/server.err")"

run_once() { # enabled(1|0) -> ns/pair
	local out
	if [ "$1" = 1 ]; then
		out=$(LD_LIBRARY_PATH=$LIBDIR TT_ALLOC_TRACKING_ENABLED=1 \
			TT_ALLOC_SERVER_SOCKET=$sock "$TTSIM/ttsim-run" \
			--scenario burst --count "$COUNT")
	else
		out=$(env -u TT_ALLOC_TRACKING_ENABLED LD_LIBRARY_PATH="$LIBDIR" \
			TT_ALLOC_SERVER_SOCKET="$sock" "$TTSIM/ttsim-run" \
			--scenario burst --count "$COUNT")
	fi || return 1
	sed -n 's/.* \([0-9.]*\) ns\/pair.*/\1/p' <<<"$out" | grep . ||
		return 1
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
series() { # enabled -> median ns/pair
	local v all=
	for _ in $(seq "$RUNS"); do
		v=$(run_once "$1") || return 1
		all+="$v"$'\n'
	done
	printf '%s' "$all" | median
}

on=$(series 1) || die "ttsim-run failed (tracking enabled)"
off=$(series 0) || die "ttsim-run failed (tracking disabled)"

kill -TERM "$spid"
wait "$spid"
rc=$?
spid=
read -r _ allocs _ frees _ bytes < <(grep '^allocs ' "$tmp/server.out")
if [ "$rc" -ne 0 ] || [ -z "${allocs:-}" ]; then
	die "alloc_server exited $rc: $(cat "$tmp/server.err")"
fi
[ -s "$tmp/server.err" ] && sed 's/^/instrumented: /' "$tmp/server.err" >&2
want=$((COUNT * RUNS))
echo "instrumented: tracking disabled median $off ns/pair" >&2
echo "instrumented: tracking enabled median $on ns/pair;" \
	"server got allocs $allocs frees $frees ($bytes bytes)" >&2
if [ "$allocs" -ne "$want" ] || [ "$frees" -ne "$want" ]; then
	echo "instrumented: expected allocs $want frees $want," \
		"got allocs $allocs frees $frees" >&2
	exit 1
fi
echo "$on"
