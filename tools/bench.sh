#!/bin/bash
# Overhead bench: ns per allocate+free pair, burst scenario, e4-release.
# Usage: tools/bench.sh OUT TTSIM_OUT   (env: N_UNTRACED, N_TRACED, RUNS)
# (c) empty uprobe programs at the same sites (tools/bench/emptyprobe). (d) is MODELED: untraced + 2 x
# measured 72-byte AF_UNIX send (tools/bench/sockcost.c).
set -u
OUT=${1:-build/release}
TTSIM=${2:-build/ttsim}
LIB=$TTSIM/e4-release/libtt_metal.so
RUNS=${RUNS:-5}
N_U=${N_UNTRACED:-200000}
N_T=${N_TRACED:-2000}
RES=$(dirname "$OUT")/bench
mkdir -p "$RES"

run_once() { # count -> ns/pair
	LD_LIBRARY_PATH=$TTSIM/e4-release "$TTSIM/ttsim-run" --scenario burst \
		--count "$1" | sed -n 's/.* \([0-9.]*\) ns\/pair.*/\1/p'
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
series() { for _ in $(seq "$RUNS"); do run_once "$1"; done | median; }

traced() { # extra trace args...
	"$OUT/ttbpf-trace" --lib "$LIB" --quiet -i 0 "$@" >/dev/null 2>&1 &
	local pid=$!
	sleep 2
	series "$N_T"
	bpftool -j prog show | jq -r '.[] | select(.run_cnt != null and
		.run_cnt > 0) | "\(.name) \(.run_time_ns) \(.run_cnt)"' \
		>"$RES/progstats.txt"
	kill "$pid"; wait "$pid" 2>/dev/null
}

empty() {
	[ -x "$RES/emptyprobe" ] || make -s -f tools/bench/bench.mk \
		OUTPUT="$(dirname "$OUT")" OUT="$OUT" "$RES/emptyprobe" >&2
	"$RES/emptyprobe" "$RES/empty.bpf.o" "$LIB" 2>/dev/null &
	local pid=$!
	sleep 1
	series "$N_T"
	kill "$pid"; wait "$pid" 2>/dev/null
}

old=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1
a=$(series "$N_U")
b=$(traced)
cp "$RES/progstats.txt" "$RES/progstats-stacks.txt"
b2=$(traced --no-stacks)
sysctl -qw kernel.bpf_stats_enabled="$old"
c=$(empty)
SOCK=$RES/sockcost
[ -x "$SOCK" ] || cc -std=c11 -D_GNU_SOURCE -O2 -o "$SOCK" tools/bench/sockcost.c
msg=$(for _ in $(seq "$RUNS"); do "$SOCK" "$N_U"; done | median)
d=$(echo "$a + 2 * $msg" | bc -l)

printf '%-28s %12s %8s\n' variant ns/pair ratio
for v in "untraced $a" "ttbpf $b" "ttbpf--no-stacks $b2" "empty-probes $c" "instrumented(modeled) $d"; do
	set -- $v
	printf '%-28s %12s %8.1f\n' "$1" "$2" "$(echo "$2 / $a" | bc -l)"
done
printf "ttbpf share over empty-probe floor (b-c)/(c-a): %.2f (no-stacks %.2f)\n" \
	"$(echo "($b - $c) / ($c - $a)" | bc -l)" "$(echo "($b2 - $c) / ($c - $a)" | bc -l)"
echo "BPF run time per event (stacks run): name ns/event"
awk '{printf "  %-24s %8.0f ns (%d runs)\n", $1, $2/$3, $3}' \
	"$RES/progstats-stacks.txt"
jq -n --arg a "$a" --arg b "$b" --arg b2 "$b2" --arg c "$c" --arg d "$d" --arg m "$msg" \
	'{untraced_ns: ($a|tonumber), ttbpf_ns: ($b|tonumber),
	  ttbpf_no_stacks_ns: ($b2|tonumber),
	  empty_probes_ns: ($c|tonumber),
	  instrumented_modeled_ns: ($d|tonumber), socket_msg_ns: ($m|tonumber)}' >"$RES/results.json"
echo "wrote $RES/results.json"
