#!/bin/bash
# What a production user must be able to trust: a full buffer map is
# counted and flagged, never silently wrong; a tracer killed with SIGKILL
# leaves no probes behind; two tracers at once both count exactly.
source "$(dirname "$0")/lib.sh"
v=${TTBPF_HARDENING_VARIANT:-e4-release}

# Map full: 1024 slots, a workload holding more.
start_tracer full --lib "$(lib_of $v)" --json --max-buffers 1024 -i 200
start_workload many "$v" --scenario hold --devices 1 --seed 31 --count 1500
go many
wait_holding many
sleep 0.5
stop_tracer full
summary_of full >"$WORK/full.json"
held=$(jq '[.devices[].usage[].buffers] | add' "$WORK/many.truth.json")
check "workload holds more buffers ($held) than the map" test "$held" -gt 1024
check "map full is counted: $held - 1024 allocations not recorded" jq_true \
	".stats.allocs_map_full == $held - 1024" "$WORK/full.json"
check "totals are flagged incomplete while tracing" \
	grep -q "totals are incomplete" "$WORK/full.trace.err"
check "recorded part never exceeds ground truth" \
	"$E2E/compare.py" "$WORK/full.json" --at-most "$WORK/many.truth.json"
release many

# SIGKILLed tracer: its links die with its file descriptors.
before=$(loaded_progs)
start_tracer killed --lib "$(lib_of $v)" --quiet
check "tracer loaded its programs" test "$(loaded_progs)" -gt "$before"
kill -KILL "${TR_PID[killed]}"
wait "${TR_PID[killed]}" 2>/dev/null
for _ in $(seq 40); do [ "$(loaded_progs)" -eq "$before" ] && break; sleep 0.05; done
check "a SIGKILLed tracer leaves no probes behind" test "$(loaded_progs)" -eq "$before"

# Two tracers at once: independent maps, both exact.
start_tracer one --lib "$(lib_of $v)" --json
start_tracer two --lib "$(lib_of $v)" --json --no-stacks
start_workload both "$v" --scenario steady --devices 2 --seed 32 --count 300
go both
wait_holding both
stop_tracer one
stop_tracer two
for t in one two; do
	summary_of "$t" >"$WORK/$t.json"
	check "tracer $t of two matches ground truth" \
		"$E2E/compare.py" "$WORK/$t.json" --device-totals "$WORK/both.truth.json"
done
release both
finish
