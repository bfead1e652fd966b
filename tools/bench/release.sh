#!/bin/bash
# Release bench: what a device close and a process exit cost in BPF, with a
# buffer map of MAX_BUFFERS entries. Per size N: one hold workload on
# e4-release keeps N buffers, then either closes its devices (bulk_free:
# deallocate_buffers and the allocator destructors) and exits, or is
# SIGKILLed (the exit handler). BPF statistics are on only around the
# release; the kernel's run_time_ns per program gives the cost. Exact when
# the released count equals ground truth and nothing is left in the maps.
# Usage: tools/bench/release.sh OUT TTSIM   (env: RELEASE_SIZES="10000")
set -u
BENCH_OUT=${1:-build/release}
BENCH_TTSIM=${2:-build/ttsim}
SIZES=${RELEASE_SIZES:-"10000 1000000"}
MAX_BUFFERS=${RELEASE_MAX_BUFFERS:-1048576}
BENCH_NAME=release
source "$(dirname "$0")/common.sh"

# Counters and what the maps hold, from the pinned maps.
snap_counts() { # -> "bulk_freed exit_freed buffers_in_map device_buffers"
	"$SNAP" --pin-dir "$PIN" --json | jq -r '"\(.stats.bulk_freed) \(
		.stats.exit_freed) \(.buffers | length) \(
		[.devices[].buffers[]] | add // 0)"'
}

start_tracer rel --lib "$(lib_of $V)" --pin --pin-dir "$PIN" --quiet -i 0 \
	--max-buffers "$MAX_BUFFERS" || exit 1
tp=${TR_PID[rel]}
RESULTS=()
ok_all=1
for n in $SIZES; do
	for how in close kill; do
		w=$how-$n
		start_workload "$w" "$V" --scenario hold --devices 1 \
			--buffer-size 1024 --count "$n" || exit 1
		go "$w"
		wait_holding "$w" 900 || exit 1
		held=$(jq '[.devices[].usage[].buffers] | add' \
			"$WORK/$w.truth.json")
		read -r bf0 ef0 _ _ <<<"$(snap_counts)"
		sysctl -qw kernel.bpf_stats_enabled=1
		read -r b0ns b0n <<<"$(prog_stat "$tp" bulk_free)"
		read -r e0ns e0n <<<"$(prog_stat "$tp" handle_exit)"
		if [ "$how" = close ]; then
			release "$w"
		else
			kill -KILL "${WL_PID[$w]}"
			wait "${WL_PID[$w]}" 2>/dev/null
		fi
		read -r b1ns b1n <<<"$(prog_stat "$tp" bulk_free)"
		read -r e1ns e1n <<<"$(prog_stat "$tp" handle_exit)"
		sysctl -qw kernel.bpf_stats_enabled="$STATS_OLD"
		read -r bf1 ef1 left dev_left <<<"$(snap_counts)"
		released=$((bf1 - bf0 + ef1 - ef0))
		exact=true
		if [ "$how" = close ]; then
			[ $((bf1 - bf0)) -eq "$held" ] || exact=false
		else
			[ $((ef1 - ef0)) -eq "$held" ] || exact=false
		fi
		[ "$left" -eq 0 ] && [ "$dev_left" -eq 0 ] || exact=false
		[ "$exact" = true ] || ok_all=0
		jq -n --arg how "$how" --argjson held "$held" \
			--argjson released "$released" --argjson left "$left" \
			--argjson dev_left "$dev_left" --argjson exact "$exact" \
			--argjson bns $((b1ns - b0ns)) --argjson bn $((b1n - b0n)) \
			--argjson ens $((e1ns - e0ns)) --argjson en $((e1n - e0n)) \
			--argjson map "$MAX_BUFFERS" '
			($bns + $ens) as $ns |
			{release: $how, buffers: $held, map_entries: $map,
			 released: $released, left_in_map: $left,
			 left_on_device: $dev_left, exact: $exact,
			 bulk_free: {calls: $bn, ns: $bns},
			 exit: {calls: $en, ns: $ens},
			 bpf_ms: ($ns / 1e6 | . * 1000 | round / 1000),
			 ns_per_buffer: (if $held > 0 then $ns / $held | round
					 else null end)}' \
			>"$WORK/$w.result.json"
		RESULTS+=("$WORK/$w.result.json")
	done
done
stop_tracer rel >/dev/null

jq -s '{variant: "'$V'", sizes: .}' "${RESULTS[@]}" >"$RES/release.json"
FMT='%-8s %9s %9s %6s %12s %11s %10s\n'
printf "$FMT" release buffers map exact "bulk ms/calls" "exit ms/calls" \
	ns/buffer
jq -r '.sizes[] | [.release, .buffers, .map_entries,
	(if .exact then "exact" else "NO" end),
	"\(.bulk_free.ns / 1e6 | . * 1000 | round / 1000)/\(.bulk_free.calls)",
	"\(.exit.ns / 1e6 | . * 1000 | round / 1000)/\(.exit.calls)",
	.ns_per_buffer] | @tsv' "$RES/release.json" |
	while IFS=$'\t' read -r -a f; do printf "$FMT" "${f[@]}"; done
echo "wrote $RES/release.json"
[ "$ok_all" -eq 1 ]
