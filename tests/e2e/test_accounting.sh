#!/bin/bash
# Four processes with different scenarios (one multi-threaded, one on a
# mesh, one on meshes over changing chips, each in the memory of the one
# before) under one tracer: per-process and per-device outstanding bytes,
# buffer counts, peaks and counters equal the allocator's own books, for
# every stand-in variant with and without DWARF.
source "$(dirname "$0")/lib.sh"

reused=0

for v in $VARIANTS; do
	start_tracer "$v" --lib "$(lib_of "$v")" --json || {
		not_ok "$v: tracer attaches" "$(cat "$WORK/$v.trace.err")"
		continue
	}
	start_workload "$v-steady" "$v" --scenario steady --devices 2 --seed 1 --count 400
	start_workload "$v-threads" "$v" --scenario threads --threads 4 --devices 2 --seed 2 --count 200
	start_workload "$v-mesh" "$v" --scenario mesh --devices 2 --seed 3 --count 100
	start_workload "$v-remesh" "$v" --scenario remesh --devices 2 --seed 4 --count 20
	for w in steady threads mesh remesh; do go "$v-$w"; done
	for w in steady threads mesh remesh; do wait_holding "$v-$w"; done
	n=$(sed -n 's/^ttsim-run: remesh: \([0-9]*\) of.*/\1/p' "$WORK/$v-remesh.out")
	reused=$((reused + ${n:-0}))
	stop_tracer "$v"
	summary_of "$v" >"$WORK/$v.summary.json"
	check "$v: four processes match ground truth" \
		"$E2E/compare.py" "$WORK/$v.summary.json" --device-totals \
		"$WORK/$v-steady.truth.json" "$WORK/$v-threads.truth.json" \
		"$WORK/$v-mesh.truth.json" "$WORK/$v-remesh.truth.json"
	check "$v: no drops, no unmatched frees, no implausible reads" \
		jq_true '.stats | .events_dropped == 0 and .unmatched_frees == 0 and .implausible == 0 and .bad_reads == 0 and .unknown_device == 0' \
		"$WORK/$v.summary.json"
	# Each alloc event is one line, naming the chips it lands on: their
	# number is the allocs count of the chip rows.
	check "$v: one alloc event per allocation, on each of its chips" test \
		"$(jq -s '[.[] | select(.event == "alloc") | .chips | length] | add' "$WORK/$v.trace.out")" -eq \
		"$(jq -s '[.[].devices[].usage[].allocs] | add' "$WORK"/"$v"-*.truth.json)"
	check "$v: mesh buffers on both chips of the mesh, none on a mesh row" \
		jq_true '([.processes[] | select(.dev_kind == "mesh")] | length == 0) and ([.processes[] | select(.dev_kind == "chip")] | length >= 2)' \
		"$WORK/$v.summary.json"
	for w in steady threads mesh remesh; do release "$v-$w"; done
done
# Else the remesh runs above proved nothing about reused memory.
check "a new mesh took a closed one's memory (MeshDevice and allocator) at least once" \
	test "$reused" -gt 0
finish
