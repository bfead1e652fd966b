#!/bin/bash
# Scale bench: one hold workload on e4-release keeps 10k, 100k and 1M
# buffers while ttbpf-trace --pin runs; per size: time to populate,
# ttbpf-snapshot --json and one ttbpf-top --once (wall time, peak RSS), a
# ttbpf-exporter scrape (curl's wall time, median of 5), the
# snapshot's buffer count against ground truth, and BPF map memory.
# Usage: tools/bench/scale.sh OUT TTSIM   (env: SCALE_SIZES="10000 100000")
set -u
BENCH_OUT=${1:-build/release}
BENCH_TTSIM=${2:-build/ttsim}
# hold with --buffer-size: one-page DRAM buffers, every request is held.
SIZES=${SCALE_SIZES:-"10000 100000 1000000"}
# The allocs map must hold the largest size (the default is smaller).
MAX_BUFFERS=${SCALE_MAX_BUFFERS:-1048576}
BENCH_NAME=scale
source "$(dirname "$0")/common.sh"
TOP=$OUT/ttbpf-top

# measure NAME CMD...: wall seconds and peak RSS (KiB) of CMD, stdout kept.
measure() {
	local name=$1
	shift
	/usr/bin/time -f '%e %M' -o "$WORK/$name.time" "$@" >"$WORK/$name.out" \
		2>"$WORK/$name.err"
	echo "$? $(cat "$WORK/$name.time")"
}

# The tracer's maps: name, max_entries, bytes_memlock, as a JSON array.
maps_of() {
	local id
	for id in $(grep -h '^map_id:' /proc/"$1"/fdinfo/* 2>/dev/null |
		awk '{print $2}' | sort -u); do
		bpftool -j map show id "$id"
	done | jq -s '[.[] | {name, type, max_entries, bytes_memlock}]'
}

start_tracer scale --lib "$(lib_of $V)" --pin --pin-dir "$PIN" --quiet -i 0 \
	--max-buffers "$MAX_BUFFERS" ||
	exit 1
tp=${TR_PID[scale]}
# ttbpf-exporter on the same pins: one scrape per size, timed by curl.
"$OUT/ttbpf-exporter" --pin-dir "$PIN" --listen 127.0.0.1:0 \
	2>"$WORK/exporter.err" &
exp_pid=$!
BG_PIDS+=("$exp_pid")
wait_line "$WORK/exporter.err" 'serving /metrics on port [1-9]' 30 || exit 1
exp_url=http://127.0.0.1:$(sed -n 's/.*on port \([0-9]*\).*/\1/p' \
	"$WORK/exporter.err")/metrics
# scrape_s: the median of 5 scrapes' wall time, in seconds.
scrape_s() {
	for _ in 1 2 3 4 5; do
		curl -sf -o /dev/null -w '%{time_total}\n' "$exp_url"
	done | sort -n | sed -n 3p
}
maps_of "$tp" >"$WORK/maps.json"
RESULTS=()
ok_all=1
for s in $SIZES; do
	target=$s
	req=$target
	w=hold-$target
	start_workload "$w" "$V" --scenario hold --devices 1 \
		--buffer-size 1024 --count "$target" || exit 1
	t0=$(date +%s%N)
	go "$w"
	wait_holding "$w" 900 || exit 1
	t1=$(date +%s%N)
	held=$(python3 -c 'import json, sys
t = json.load(open(sys.argv[1]))
print(sum(u["buffers"] for d in t["devices"] for u in d["usage"].values()))' \
		"$WORK/$w.truth.json")
	read -r src snap_s snap_kb <<<"$(measure "snap-$target" "$SNAP" \
		--pin-dir "$PIN" --json)"
	read -r txc txt_s txt_kb <<<"$(measure "text-$target" "$SNAP" \
		--pin-dir "$PIN")"
	read -r trc top_s top_kb <<<"$(measure "top-$target" "$TOP" \
		--pin-dir "$PIN" --once --plain)"
	# One entry per buffer carries "buffer":; per-process counts as well.
	n_list=$(grep -o '"buffer":' "$WORK/snap-$target.out" | wc -l)
	read -r n_proc map_full <<<"$(python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
print(sum(sum(p["buffers"].values()) for p in s["processes"]),
      s["stats"]["allocs_map_full"])' "$WORK/snap-$target.out" 2>/dev/null ||
		echo -1 -1)"
	exp_s=$(scrape_s)
	exp_kb=$(awk '/VmHWM/ {print $2}' "/proc/$exp_pid/status")
	tracer_kb=$(awk '/VmRSS/ {print $2}' "/proc/$tp/status")
	top_pid=$(grep -c "^ *${WL_PID[$w]} " "$WORK/top-$target.out")
	# Device close: the bulk release, with BPF run times on for it only.
	sysctl -qw kernel.bpf_stats_enabled=1
	read -r b0ns b0n <<<"$(prog_stat "$tp" bulk_free)"
	t2=$(date +%s%N)
	release "$w"
	t3=$(date +%s%N)
	read -r b1ns b1n <<<"$(prog_stat "$tp" bulk_free)"
	sysctl -qw kernel.bpf_stats_enabled="$STATS_OLD"
	exact=true
	[ "$src" -eq 0 ] && [ "$trc" -eq 0 ] && [ "$txc" -eq 0 ] &&
		[ "$n_list" -eq "$held" ] &&
		[ "$top_pid" -gt 0 ] &&
		[ "$n_proc" -eq "$held" ] || { exact=false; ok_all=0; }
	jq -n --argjson target "$target" --argjson req "$req" \
		--argjson held "$held" --argjson n_list "$n_list" \
		--argjson n_proc "$n_proc" --argjson exact "$exact" \
		--argjson pop $((t1 - t0)) --argjson rel $((t3 - t2)) \
		--argjson snap_s "$snap_s" --argjson snap_kb "$snap_kb" \
		--argjson top_s "$top_s" --argjson top_kb "$top_kb" \
		--argjson txt_s "$txt_s" --argjson txt_kb "$txt_kb" \
		--argjson txc "$txc" \
		--argjson src "$src" --argjson trc "$trc" \
		--argjson snap_bytes "$(stat -c %s "$WORK/snap-$target.out")" \
		--argjson tracer_kb "${tracer_kb:-0}" \
		--argjson top_pid "$top_pid" --argjson map_full "$map_full" \
		--argjson exp_s "${exp_s:-null}" --argjson exp_kb "${exp_kb:-0}" \
		--argjson bulk_ns $((b1ns - b0ns)) --argjson bulk_n $((b1n - b0n)) \
		--slurpfile maps "$WORK/maps.json" '
		($maps[0] | map(.bytes_memlock) | add) as $total |
		{target: $target, requested: $req, held: $held,
		 snapshot_buffers: $n_list, snapshot_process_buffers: $n_proc,
		 exact: $exact, allocs_map_full: $map_full,
		 populate_s: ($pop / 1e9 | . * 10 | round / 10),
		 release_s: ($rel / 1e9 | . * 10 | round / 10),
		 snapshot: {wall_s: $snap_s, peak_rss_kb: $snap_kb,
			    exit: $src, json_bytes: $snap_bytes},
		 snapshot_text: {wall_s: $txt_s, peak_rss_kb: $txt_kb,
				 exit: $txc},
		 top_once: {wall_s: $top_s, peak_rss_kb: $top_kb, exit: $trc,
			    lists_workload: ($top_pid > 0)},
		 exporter_scrape: {wall_s: $exp_s, peak_rss_kb: $exp_kb},
		 release_bulk_free_calls: $bulk_n,
		 release_bulk_free_ms_per_call: (if $bulk_n > 0 then
			$bulk_ns / $bulk_n / 1e6 | . * 100 | round / 100
			else null end),
		 tracer_rss_kb: $tracer_kb,
		 map_memlock_total: $total,
		 map_bytes_per_held_buffer: ($total / $held | round)}' \
		>"$WORK/$target.result.json"
	RESULTS+=("$WORK/$target.result.json")
done
stop_tracer scale

jq -s --slurpfile maps "$WORK/maps.json" '
	($maps[0] | map(select(.name == "allocs"))[0]) as $a |
	{variant: "'$V'", maps: $maps[0],
	 allocs_map: {max_entries: $a.max_entries,
		      bytes_memlock: $a.bytes_memlock,
		      bytes_per_entry: ($a.bytes_memlock / $a.max_entries
					| round)},
	 map_memlock_total: ($maps[0] | map(.bytes_memlock) | add),
	 sizes: .}' "${RESULTS[@]}" >"$RES/scale.json"

FMT='%-8s %8s %8s %6s %7s %7s %7s %8s %6s %7s %9s %8s %6s %9s\n'
printf "$FMT" target held snap-n exact pop-s json-s text-s snap-MiB top-s \
	top-MiB scrape-ms B/buffer rel-s bulk-ms/c
jq -r '.sizes[] | [.target, .held, .snapshot_buffers,
	(if .exact then "exact" else "NO" end), .populate_s,
	.snapshot.wall_s, .snapshot_text.wall_s,
	(.snapshot.peak_rss_kb / 1024 | floor),
	.top_once.wall_s, (.top_once.peak_rss_kb / 1024 | floor),
	(.exporter_scrape.wall_s * 1000 | . * 100 | round / 100),
	.map_bytes_per_held_buffer, .release_s,
	(.release_bulk_free_ms_per_call // "-")] | @tsv' "$RES/scale.json" |
	while IFS=$'\t' read -r -a f; do printf "$FMT" "${f[@]}"; done
jq -r '"allocs map: \(.allocs_map.bytes_memlock) B memlock / \(
	.allocs_map.max_entries) entries = \(.allocs_map.bytes_per_entry
	) B per entry; all ttbpf maps: \(.map_memlock_total) B memlock"' \
	"$RES/scale.json"
echo "wrote $RES/scale.json"
[ "$ok_all" -eq 1 ]
