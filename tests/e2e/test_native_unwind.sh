#!/bin/bash
# --native-unwind on a libtt_metal.so built without frame pointers (the
# stand-in's e4-nofp, like the ttnn wheels): the frame-pointer walk skips
# the library's callers; the stacks unwound from .eh_frame name the whole
# chain from allocate_buffer to main, in order, for every leaked buffer,
# in ttbpf-snapshot --leaks (text and --json) read after the tracer is
# gone. The chain is derived from the stand-in's sources.
source "$(dirname "$0")/lib.sh"
use_pin_dir
v=e4-nofp
SRC=$E2E/../../tools/ttsim

# Who calls whom on the leak scenario's DRAM path, from the sources: the
# allocation site in leak.cpp that asks for MEM_DRAM, the scenario
# function in scenarios.cpp that calls it, and the dispatcher.
site=$(grep -B6 'ttsim::MEM_DRAM' "$SRC/run/leak.cpp" | sed -n 's/^SITE void \([a-z_0-9]*\)(.*/\1/p' | head -1)
scen=$(awk -v s="$site" '/^(static )?int [a-z_]+\(run_ctx/ { split($0, w, /[ (]/); f = ($1 == "static") ? w[3] : w[2] }
	index($0, s "(") { print f; exit }' "$SRC/run/scenarios.cpp")
disp=$(grep -oE '^int (scenario_[a-z]+)\(run_ctx' "$SRC/run/scenarios.cpp" | head -1 | sed 's/^int //; s/(run_ctx//')
# The library's side: create_buffer() calls Buffer::create(), whose
# allocation reaches the allocator (e4: AllocatorImpl).
grep -q 'Buffer::create(buffer_device' "$SRC/src/api.cpp" || echo "api.cpp changed: update this test" >&2
chain=("tt::tt_metal::AllocatorImpl::allocate_buffer(" "tt::tt_metal::Buffer::create(" \
	"ttsim::create_buffer(" "$site" "$scen" "$disp" "main")
check "the chain came out of the sources: ${chain[*]}" test -n "$site" -a -n "$scen" -a -n "$disp"

# in_order FILE.json: every leak stack through the site holds the chain,
# in this order.
in_order() {
	jq -e --arg site "$site" --args '[.leaks.stacks[] | [.stack[] | strings] as $s |
	   select(any($s[]; . == $site)) |
	   [$ARGS.positional[] as $want | ($s | map(startswith($want)) | index(true))] |
	   (all(. != null)) and (. == sort)] | length > 0 and all' "${chain[@]}" <"$1" >/dev/null
}

# Control: without the option the walk cannot see the library's callers.
start_tracer fp --lib "$(lib_of $v)" --pin --pin-dir "$PIN" --quiet -i 0
run_held fp "$v" --scenario leak --devices 1 --seed 5
stop_tracer fp
"$SNAP" --pin-dir "$PIN" --json --leaks --min-age 0 -p "${WL_PID[fp]}" >"$WORK/fp.json"
check "control: frame pointers alone do not reach ttsim::create_buffer" jq_true \
	'.leaks.count > 0 and ([.leaks.stacks[].stack[] | strings | select(startswith("ttsim::create_buffer("))] | length == 0)' \
	"$WORK/fp.json"
release fp
cleanup_pins

start_tracer nu --lib "$(lib_of $v)" --pin --pin-dir "$PIN" --quiet -i 0 --native-unwind
run_held leak "$v" --scenario leak --devices 1 --seed 5
stop_tracer nu
"$SNAP" --pin-dir "$PIN" --json --leaks --min-age 0 -p "${WL_PID[leak]}" >"$WORK/leaks.json"
"$SNAP" --pin-dir "$PIN" --leaks --min-age 0 -p "${WL_PID[leak]}" >"$WORK/leaks.txt"
check "leak report lists exactly the leaked buffers" test \
	"$(jq .leaks.count "$WORK/leaks.json")" -eq \
	"$(jq '[.devices[].usage[].buffers] | add' "$WORK/leak.truth.json")"
check "--native-unwind: the $site stack names ${chain[*]} in order" in_order "$WORK/leaks.json"
check "every leaked buffer's stack reaches main" jq_true \
	'[.leaks.stacks[] | any(.stack[] | strings; . == "main")] | length > 0 and all' "$WORK/leaks.json"
check "no stack stops short" jq_true \
	'[.leaks.stacks[].stack[] | strings | select(startswith("[native unwind"))] | length == 0' "$WORK/leaks.json"
check "text report: ttsim::create_buffer right below Buffer::create, every time" \
	awk '/^    tt::tt_metal::Buffer::create\(/ { n++; getline; if ($0 !~ /^    ttsim::create_buffer\(/) bad++ }
	     END { exit !(n > 0 && !bad) }' "$WORK/leaks.txt"
check "trace summary says how many stacks were unwound" \
	grep -qE '^ttbpf: native unwind: [1-9][0-9]* stacks' "$WORK/nu.trace.err"
release leak

# A window too small for the chain: it ends with a note, never a guess.
cleanup_pins
start_tracer small --lib "$(lib_of $v)" --pin --pin-dir "$PIN" --quiet -i 0 --native-unwind --unwind-window 512
run_held small "$v" --scenario leak --devices 1 --seed 5
stop_tracer small
"$SNAP" --pin-dir "$PIN" --json --leaks --min-age 0 -p "${WL_PID[small]}" >"$WORK/small.json"
check "--unwind-window 512: every chain ends with the window note before _start" jq_true \
	'[.leaks.stacks[] | (.stack | map(strings) | last | startswith("[native unwind stops: the caller")) and
	  (any(.stack[] | strings; . == "_start") | not)] | length > 0 and all' "$WORK/small.json"
release small

expect_error "--unwind-window out of range" 'invalid --unwind-window' \
	"$TRACE" --native-unwind --unwind-window 100000
finish
