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
finish
