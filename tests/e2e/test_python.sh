#!/bin/bash
# Python frames of allocations: a Python program per interpreter version
# (3.10 to 3.13, those installed) leaks stand-in TT-Metal buffers through
# ctypes from functions at lines the test reads from the program's marker
# comments. ttbpf-snapshot --json and --leaks must name file, function and
# line of each leaked buffer and of its callers, Python frames first and
# the native ones after; freed buffers must not appear. One interpreter is
# started after the tracer: it is inspected when it starts.
source "$(dirname "$0")/lib.sh"
SNAP=$OUT/ttbpf-snapshot
PIN=/sys/fs/bpf/ttbpf-e2e-py-$$
SCRIPT=$E2E/py_leak.py
LIB=$(lib_of e4-release)
cleanup_pins() { "$TRACE" --unpin --pin-dir "$PIN" >/dev/null 2>&1; }
trap 'cleanup_pins; cleanup' EXIT

find_pythons
if [ ${#pythons[@]} -eq 0 ]; then
	echo "skip: no CPython 3.10-3.13 installed"
	exit 77
fi

names=()
declare -A PYV
for py in "${pythons[@]}"; do
	v=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	names+=("py$v")
	PYV[py$v]=$v
	start_py "py$v" "$py"
done
# The same program under a file name with a terminal escape in it.
EVIL=$WORK/$'evil\e]0;owned\a'.py
cp "$SCRIPT" "$EVIL"
cp "$E2E/ttsim_ctypes.py" "$WORK/"
start_py evil "${pythons[0]}" "$EVIL"
start_tracer py --lib "$LIB" --pin --pin-dir "$PIN" --quiet -i 0 -v
# The last interpreter again, started while tracing: inspected at its
# exec (test_python_late.sh checks every allocation of such a process).
late_py=${pythons[${#pythons[@]} - 1]}
late=late${PYV[${names[${#names[@]} - 1]}]}
PYV[$late]=${PYV[${names[${#names[@]} - 1]}]}
start_py "$late" "$late_py"
names+=("$late")
check "$late: inspected when it started" \
	wait_line "$WORK/py.trace.err" "pid ${WL_PID[$late]} runs Python" 5
for n in "${names[@]}" evil; do py_go "$n"; done
for n in "${names[@]}" evil; do wait_line "$WORK/$n.out" '^holding' 20; done
stop_tracer py
"$OUT/ttbpf-top" --pin-dir "$PIN" --once -p "${WL_PID[evil]}" >"$WORK/evil.top.txt"
check "top escapes the file name of the Python line" grep -qF \
	"from alloc_weights ($WORK/evil\\x1b]0;owned\\x07.py:$(line_of LEAK-WEIGHTS))" "$WORK/evil.top.txt"
# --explain: where each interpreter's offsets came from; 3.13 publishes
# them (_Py_DebugOffsets), older ones use the built-in table.
explain_says() { # FILE PID VERSION SOURCE
	local block
	block=$(grep -A3 "^  pid $2: Python $3 in /" "$1") || return 1
	grep -qxF "    frame and code object offsets: $4" <<<"$block" &&
		grep -qE '^    thread key \(_PyRuntime\+[0-9]+\): code of PyGILState_GetThisThreadState$' <<<"$block" &&
		grep -qE '^    glibc key slots \(struct pthread\+0x[0-9a-f]+\): code of pthread_getspecific$' <<<"$block"
}
"$TRACE" --explain --lib "$LIB" >"$WORK/explain.txt"
for n in "${names[@]}"; do
	v=${PYV[$n]}
	if [ "${v#3.}" -ge 13 ]; then src=_Py_DebugOffsets; else src="built-in table"; fi
	"$TRACE" --explain --lib "$LIB" -p "${WL_PID[$n]}" >"$WORK/$n.explain.txt"
	check "$n: --explain -p: Python $v, layout from $src, thread key and glibc slots from their code" \
		explain_says "$WORK/$n.explain.txt" "${WL_PID[$n]}" "$v" "$src"
	check "$n: --explain without -p lists it the same way" \
		explain_says "$WORK/explain.txt" "${WL_PID[$n]}" "$v" "$src"
done
no_control() { ! LC_ALL=C grep -qP '[\x00-\x08\x0b-\x1f\x7f]' "$1"; }
check "top prints no raw control byte" no_control "$WORK/evil.top.txt"

L_WEIGHTS=$(line_of LEAK-WEIGHTS)
L_CALL_WEIGHTS=$(line_of CALL-WEIGHTS)
L_BUILD=$(line_of CALL-BUILD)
L_MAIN=$(line_of CALL-MAIN)
L_CACHE=$(line_of LEAK-CACHE)
L_SCRATCH=$(line_of FREED-SCRATCH)
for n in "${names[@]}"; do
	v=${PYV[$n]}
	pid=${WL_PID[$n]}
	# co_qualname exists from 3.11 on; 3.10 has the plain name.
	if [ "${v#3.}" -ge 11 ]; then q=Model.; else q=; fi
	"$SNAP" --pin-dir "$PIN" --json -p "$pid" >"$WORK/$n.snap.json"
	"$SNAP" --pin-dir "$PIN" --json --leaks --min-age 0 -p "$pid" >"$WORK/$n.leaks.json"
	"$SNAP" --pin-dir "$PIN" --leaks --min-age 0 -p "$pid" >"$WORK/$n.leaks.txt"
	want=$(jq -c '.leaked | sort' "$WORK/$n.truth.json")
	# Addresses are "0x..." strings in the snapshot.
	check "$n: snapshot holds exactly the leaked buffers" test \
		"$(python3 -c 'import json, sys; print(json.dumps(sorted(int(b["address"], 16) for b in json.load(open(sys.argv[1]))["buffers"]), separators=(",", ":")))' "$WORK/$n.snap.json")" = "$want"
	# Python frames of one buffer: the objects at the head of its stack.
	pyf='. as $r | [.buffers[] | select(.type == $t) | [$r.stacks[.stack][] | objects]]'
	check "$n: each DRAM buffer: alloc_weights:$L_WEIGHTS <- ${q}build:$L_CALL_WEIGHTS <- main:$L_BUILD <- <module>:$L_MAIN" \
		jq_true --arg t DRAM --arg f "$SCRIPT" --arg q "$q" \
		--argjson a "$L_WEIGHTS" --argjson b "$L_CALL_WEIGHTS" \
		--argjson c "$L_BUILD" --argjson d "$L_MAIN" \
		"$pyf"' | length == 3 and all(. == [
		 {function: "alloc_weights", file: $f, line: $a},
		 {function: ($q + "build"), file: $f, line: $b},
		 {function: "main", file: $f, line: $c},
		 {function: "<module>", file: $f, line: $d}])' "$WORK/$n.snap.json"
	check "$n: the thread's L1 buffer: ${q}cache:$L_CACHE first, no frame of the main thread" \
		jq_true --arg t L1 --arg f "$SCRIPT" --arg q "$q" --argjson a "$L_CACHE" \
		"$pyf"' | length == 1 and (.[0][0] == {function: ($q + "cache"), file: $f, line: $a})
		 and all(.[0][]; .function != "main")' "$WORK/$n.snap.json"
	check "$n: native frames follow the Python ones" \
		jq_true '. as $r | [.buffers[] | $r.stacks[.stack] | (map(type) | index("string")) as $i
		 | $i != null and $i > 0 and (.[$i:] | any(contains("allocate_buffer"))) and (.[$i:] | all(type == "string"))] | length == 4 and all' \
		"$WORK/$n.snap.json"
	check "$n: leak report groups by Python stack: 3 buffers at line $L_WEIGHTS, 1 at line $L_CACHE, none freed" \
		jq_true --argjson a "$L_WEIGHTS" --argjson c "$L_CACHE" --argjson s "$L_SCRATCH" \
		'.leaks.count == 4 and ([.leaks.stacks[] | select(.stack[0].line == $a) | .count] == [3])
		 and ([.leaks.stacks[] | select(.stack[0].line == $c) | .count] == [1])
		 and ([.leaks.stacks[].stack[] | objects | select(.line == $s)] | length == 0)' "$WORK/$n.leaks.json"
	check "$n: text leak report names alloc_weights ($SCRIPT:$L_WEIGHTS)" \
		grep -qF "    alloc_weights ($SCRIPT:$L_WEIGHTS)" "$WORK/$n.leaks.txt"
	# top: the largest holder is the 3 MiB of alloc_weights, not the L1 cache.
	"$OUT/ttbpf-top" --pin-dir "$PIN" --once -p "$pid" >"$WORK/$n.top.txt"
	check "$n: top's detail line: 3 buffers, 3 MiB from alloc_weights ($SCRIPT:$L_WEIGHTS)" \
		grep -qxF "        python: $((3 << 20)) B (3.00 MiB) in 3 buffers from alloc_weights ($SCRIPT:$L_WEIGHTS)" "$WORK/$n.top.txt"
done

# Without Python frames: no objects in any stack.
py_release "${names[0]}" >/dev/null
for n in "${names[@]:1}" evil; do py_release "$n" >/dev/null; done
cleanup_pins
n=nopy
start_py "$n" "${pythons[0]}"
start_tracer nopy --lib "$LIB" --pin --pin-dir "$PIN" --quiet -i 0 --no-python
py_go "$n"
wait_line "$WORK/$n.out" '^holding' 20
stop_tracer nopy
"$SNAP" --pin-dir "$PIN" --json -p "${WL_PID[$n]}" >"$WORK/$n.snap.json"
check "--no-python: stacks hold native frames only" jq_true \
	'(.buffers | length) == 4 and ([.stacks[][] | objects] | length == 0) and ([.stacks[][]] | length > 0)' \
	"$WORK/$n.snap.json"
py_release "$n" >/dev/null

# ttbpf-trace --json --python-frames: alloc events carry the same frames.
n=pyjson
start_py "$n" "${pythons[0]}"
v=${PYV[${names[0]}]}
if [ "${v#3.}" -ge 11 ]; then q=Model.; else q=; fi
start_tracer pyjson --lib "$LIB" --json --python-frames -i 0
py_go "$n"
wait_line "$WORK/$n.out" '^holding' 20
sleep 0.3
stop_tracer pyjson
check "--json --python-frames: 3 DRAM allocs at alloc_weights:$L_WEIGHTS <- ${q}build:$L_CALL_WEIGHTS" \
	jq -se --argjson p "${WL_PID[$n]}" --arg f "$SCRIPT" --arg q "$q" \
	--argjson a "$L_WEIGHTS" --argjson b "$L_CALL_WEIGHTS" \
	'[.[] | select(.event == "alloc" and .pid == $p and .python[0].line == $a)] |
	 length == 3 and all(.type == "DRAM" and .python[0:2] == [
	 {function: "alloc_weights", file: $f, line: $a},
	 {function: ($q + "build"), file: $f, line: $b}])' "$WORK/pyjson.trace.out"
# The scratch buffer is freed at once: its event still has its frames.
check "--json --python-frames: L1 allocs at scratch:$L_SCRATCH, then the thread's at ${q}cache:$L_CACHE" \
	jq -se --argjson p "${WL_PID[$n]}" --arg f "$SCRIPT" --arg q "$q" \
	--argjson c "$L_CACHE" --argjson s "$L_SCRATCH" \
	'[.[] | select(.event == "alloc" and .pid == $p and .type == "L1") | .python[0]] ==
	 [{function: "scratch", file: $f, line: $s}, {function: ($q + "cache"), file: $f, line: $c}]' "$WORK/pyjson.trace.out"
py_release "$n" >/dev/null
finish
