#!/bin/bash
# Shared by tools/bench.sh and tools/bench/ttnn.sh (sourced): a tracer or
# probe helper in the background, and the median of a variant's samples.
# The caller keeps BG set for its EXIT trap.

# start_bg LOG PATTERN CMD...: run CMD in the background until PATTERN shows.
start_bg() {
	local log=$1 pat=$2
	shift 2
	"$@" >/dev/null 2>"$log" &
	BG=$!
	for _ in $(seq 300); do
		grep -q "$pat" "$log" && return 0
		kill -0 "$BG" 2>/dev/null || break
		sleep 0.1
	done
	echo "bench: $1 did not start: $(tail -1 "$log")" >&2
	exit 1
}

stop_bg() {
	kill "$BG" 2>/dev/null
	wait "$BG" 2>/dev/null
	BG=
}

median() { # variant samples-file
	awk -v v="$1" '$1 == v {print $2}' "$2" | sort -g |
		awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print 0}'
}

# prog_ids: ids of every loaded BPF program, one per line. bpftool here
# may not know which process holds a program; the ids that appear across
# start_bg are the ones it loaded.
prog_ids() {
	bpftool -j prog show | jq -r '.[].id' | sort -n
}

# new_prog_stats BEFORE-IDS-FILE: "name run_cnt run_time_ns" of the
# programs not in BEFORE-IDS-FILE.
new_prog_stats() {
	bpftool -j prog show | jq -r --slurpfile old <(jq -s . "$1") \
		'.[] | select(.id as $i | $old[0] | index($i) | not) |
		"\(.name) \(.run_cnt // 0) \(.run_time_ns // 0)"'
}
