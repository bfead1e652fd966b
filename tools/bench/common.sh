#!/bin/bash
# Sourced by the bench scripts after they set BENCH_OUT, BENCH_TTSIM and
# BENCH_NAME: the end-to-end helpers, a private copy of the e4 Release
# stand-in (uprobes are per file, so tracers and workloads of other people
# on the shared build stay out of these numbers), a pin directory removed
# at exit, BPF statistics restored at exit, and per-program run times.
V=e4-release
RES=$(dirname "$BENCH_OUT")/bench
source "$(dirname "${BASH_SOURCE[0]}")/../../tests/e2e/lib.sh" \
	"$BENCH_OUT" "$BENCH_TTSIM"
SNAP=$OUT/ttbpf-snapshot
mkdir -p "$WORK/ttsim/$V"
cp "$TTSIM/$V/libtt_metal.so" "$WORK/ttsim/$V/" || exit 1
TTSIM=$WORK/ttsim
PIN=/sys/fs/bpf/ttbpf-bench-$BENCH_NAME-$$
STATS_OLD=$(sysctl -n kernel.bpf_stats_enabled)

unpin() {
	"$TRACE" --unpin --pin-dir "$PIN" >/dev/null 2>&1
	# Anything --unpin does not know (older builds missed some maps).
	[ -d "$PIN" ] && rm -rf "$PIN"
}
trap 'sysctl -qw kernel.bpf_stats_enabled="$STATS_OLD"; cleanup; unpin' EXIT
mkdir -p "$RES"

# Run time and count of every BPF program the tracer PID holds open.
prog_stats() {
	local id
	for id in $(grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null |
		awk '{print $2}' | sort -u); do
		bpftool -j prog show id "$id"
	done | jq -s '[.[] | {name, run_time_ns: (.run_time_ns // 0),
		run_cnt: (.run_cnt // 0)}]'
}

# "run_time_ns run_cnt" of the program NAME of tracer PID.
prog_stat() { # PID NAME
	prog_stats "$1" | jq -r --arg n "$2" '.[] | select(.name == $n) |
		"\(.run_time_ns) \(.run_cnt)"'
}
