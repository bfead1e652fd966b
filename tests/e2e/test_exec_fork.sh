#!/bin/bash
# A launcher that allocates and then execs another program: its buffers go
# with the old image, at the exec, and an exec event says so. A forked
# child that frees buffers its parent allocated releases nothing the parent
# holds: those frees are labelled inherited, counted, never subtracted.
source "$(dirname "$0")/lib.sh"
use_pin_dir
v=${TTBPF_EXEC_VARIANT:-e4-release}

# One tracer for the JSON stream and the pinned maps, one for text lines.
start_tracer json --lib "$(lib_of $v)" --pin --pin-dir "$PIN" --json -i 0
start_tracer text --lib "$(lib_of $v)" -i 0

run_held launcher "$v" --scenario hold --devices 2 --seed 51 --count 30 \
	--exec-after 'exec sleep 60'
pid=${WL_PID[launcher]}
held=$(jq '[.devices[].usage[].buffers] | add' "$WORK/launcher.truth.json")
bytes=$(jq '[.devices[].usage[].bytes] | add' "$WORK/launcher.truth.json")
"$SNAP" --pin-dir "$PIN" --json -p "$pid" >"$WORK/before.json"
check "launcher holds $held buffers before exec: equal to ground truth" \
	"$E2E/compare.py" "$WORK/before.json" --device-totals --buffers "$WORK/launcher.truth.json"

kill -USR1 "$pid" # hand over: exec sh, which execs sleep
check "exec event: $held buffers, $bytes bytes released" wait_line "$WORK/json.trace.out" \
	"^\\{\"event\":\"exec\",.*\"pid\":$pid,.*\"size\":$bytes,\"count\":$held,\"buffers\":$held," 2
check "exec event in text" wait_line "$WORK/text.trace.out" \
	" exec +pid $pid +sh +replaced an image holding $held buffers, $bytes bytes .*: released" 2
check "one exec event: the second exec (sh to sleep) has nothing to release" test \
	"$(grep -c '"event":"exec"' "$WORK/json.trace.out")" -eq 1
wait_line "/proc/$pid/comm" '^sleep$' 2 >/dev/null
check "the process lives on as sleep" grep -qx sleep "/proc/$pid/comm"
"$SNAP" --pin-dir "$PIN" --json -p "$pid" >"$WORK/after.json"
check "snapshot after exec: no row and no buffer of it" jq_true \
	'(.processes | length) == 0 and (.buffers | length) == 0' "$WORK/after.json"
check "snapshot after exec: every device holds 0 bytes in 0 buffers" jq_true \
	'[.devices[] | .usage[], .buffers[]] | length > 0 and all(. == 0)' "$WORK/after.json"
check "snapshot after exec: exec_freed counts the $held buffers" jq_true \
	".stats.exec_freed == $held and .stats.exit_freed == 0" "$WORK/after.json"
"$TOP" --pin-dir "$PIN" --once >"$WORK/top.txt" 2>&1
check "top after exec: no row of it" bash -c "! grep -q '^ *$pid ' '$WORK/top.txt'"
check "top after exec: no process holds memory" grep -q '(no process holds device memory)' "$WORK/top.txt"
kill -KILL "$pid"
wait "$pid" 2>/dev/null

# fork: the child frees every other inherited buffer and closes its copies
# of the devices; the parent then frees the same buffers itself.
run_held forker "$v" --scenario fork --devices 2 --seed 52 --count 40
parent=${WL_PID[forker]}
child=$(sed -n 's/^fork: child pid=\([0-9]*\) .*/\1/p' "$WORK/forker.out")
freed=$(sed -n 's/^fork: child pid=[0-9]* freed \([0-9]*\) .*/\1/p' "$WORK/forker.out")
check "the child freed inherited buffers ($freed)" test "${freed:-0}" -gt 0
"$SNAP" --pin-dir "$PIN" --json >"$WORK/fork.json"
check "fork: the parent equals its ground truth, buffer by buffer (nothing subtracted twice)" \
	"$E2E/compare.py" "$WORK/fork.json" --device-totals --buffers "$WORK/forker.truth.json"
check "fork: the child has no row" jq_true \
	"[.processes[] | select(.pid == $child)] | length == 0" "$WORK/fork.json"
check "fork: $freed inherited frees counted, none unmatched" jq_true \
	".stats.inherited_frees == $freed and .stats.unmatched_frees == 0" "$WORK/fork.json"
check "fork: each of the child's frees names the parent" test \
	"$(grep -c "^{\"event\":\"free\",.*\"pid\":$child,.*\"inherited_from\":$parent}" "$WORK/json.trace.out")" -eq "$freed"
check "fork: in text too" test \
	"$(grep -c " free .* pid $child .*(inherited from pid $parent over fork" "$WORK/text.trace.out")" -eq "$freed"
release forker
stop_tracer text
stop_tracer json
finish
