#!/bin/bash
# ttbpf-trace -- CMD: probes are in place before the command starts, the
# tracer exits with the command's status and prints a final summary.
source "$(dirname "$0")/lib.sh"

v=e4-release
LD_LIBRARY_PATH="$TTSIM/$v" "$TRACE" --lib "$(lib_of $v)" --json -- \
	"$RUN" --scenario leak --seed 11 --truth "$WORK/cmd.truth.json" \
	>"$WORK/cmd.out" 2>"$WORK/cmd.err"
rc=$?
check "exit status of the command" test "$rc" -eq 0
allocs=$(jq '[.devices[].usage[].allocs] | add' "$WORK/cmd.truth.json")
check "every allocation seen from the first one" test \
	"$(grep -c '"event":"alloc"' "$WORK/cmd.out")" -eq "$allocs"
# The command's own output shares stdout: keep the JSON lines.
grep '^{' "$WORK/cmd.out" >"$WORK/cmd.json"
check "summary counts the command's allocations" jq -se \
	"[.[] | select(.event == \"summary\")][0] | ([.devices[].allocs] | add) == $allocs" \
	"$WORK/cmd.json"

LD_LIBRARY_PATH="$TTSIM/$v" "$TRACE" --lib "$(lib_of $v)" --quiet -- sh -c 'exit 7' \
	>/dev/null 2>&1
check "non-zero status passed through" test $? -eq 7

# As shells: 126 found but cannot run, 127 not found.
printf 'echo hi\n' >"$WORK/noexec.sh"
for c in /tmp:126 "$WORK/noexec.sh":126 "$WORK/none":127; do
	"$TRACE" --lib "$(lib_of $v)" --quiet -- "${c%:*}" >/dev/null 2>"$WORK/run.err"
	rc=$?
	check "-- ${c%:*} exits ${c##*:} (got $rc)" test "$rc" -eq "${c##*:}"
	check "-- ${c%:*} says why in one line" bash -c \
		"[ \$(grep -c 'cannot run' '$WORK/run.err') -eq 1 ]"
done

# A SIGKILLed tracer takes its command with it.
"$TRACE" --lib "$(lib_of $v)" --quiet -- sleep 300 >/dev/null 2>"$WORK/kill.err" &
tracer=$!
BG_PIDS+=($tracer)
wait_line "$WORK/kill.err" '^ttbpf: attached' 30
for _ in $(seq 100); do child=$(pgrep -P "$tracer" -x sleep) && break; sleep 0.05; done
check "the command runs under the tracer" test -n "$child"
kill -KILL "$tracer"
wait "$tracer" 2>/dev/null
for _ in $(seq 40); do kill -0 "$child" 2>/dev/null || break; sleep 0.05; done
check "kill -9 of the tracer ends its command" bash -c "! kill -0 $child 2>/dev/null"
finish
