#!/bin/bash
# A workload in its own mount namespace (as in a container) loads a copy
# of libtt_metal.so from a tmpfs only it sees. From the tracer's
# namespace: --lib with that path fails with one line naming the
# /proc/PID/root path that reaches it; --lib /proc/PID/root/PATH and
# discovery (-p PID, no --lib) trace it exactly as its allocator counts,
# and nothing of a host process using the original file.
source "$(dirname "$0")/lib.sh"

if ! command -v unshare >/dev/null ||
	! unshare -m --propagation private true 2>/dev/null; then
	echo "skip: cannot create a mount namespace (unshare -m)"
	exit 77
fi
NS_VARIANTS=${TTBPF_VARIANTS:-"e4-release e3-debug e2-release"}

# start_ns_workload NAME VARIANT DIR ARGS...: like start_workload, but in
# a new mount namespace with a tmpfs on DIR holding the library.
start_ns_workload() {
	local name=$1 variant=$2 dir=$3
	shift 3
	mkdir -p "$dir"
	# unshare and bash exec: $! is the workload's pid.
	unshare -m --propagation private bash -c \
		'mount -t tmpfs ttbpf-ns "$1" && cp "$2" "$1/libtt_metal.so" &&
		 LD_LIBRARY_PATH="$1" exec "${@:3}"' _ "$dir" "$(lib_of "$variant")" \
		"$RUN" --wait-go --hold-after --truth "$WORK/$name.truth.json" "$@" \
		>"$WORK/$name.out" 2>&1 &
	local pid=$!
	BG_PIDS+=("$pid")
	WL_PID[$name]=$pid
	wait_line "$WORK/$name.out" "^ready pid=$pid\$" 10
}

# Stop a workload that may still wait for go (release would hang).
abandon() {
	kill -KILL "${WL_PID[$1]}" 2>/dev/null
	wait "${WL_PID[$1]}" 2>/dev/null
}

# expect_one_line_error NAME REGEX ARGS...: ttbpf-trace ARGS exits
# non-zero with exactly one stderr line matching REGEX.
expect_one_line_error() {
	local name=$1 re=$2 rc
	shift 2
	"$TRACE" "$@" >"$WORK/err.out" 2>"$WORK/err.txt"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		not_ok "$name" "exit status 0"
	elif [ "$(wc -l <"$WORK/err.txt")" -ne 1 ]; then
		not_ok "$name" "expected one line, got: $(cat "$WORK/err.txt")"
	elif ! grep -Eq "$re" "$WORK/err.txt"; then
		not_ok "$name" "no /$re/ in: $(cat "$WORK/err.txt")"
	else
		ok "$name"
	fi
}

# check_exact TRACER WORKLOAD: the tracer's summary holds the workload's
# books exactly, nothing of any other process, and no lost events.
check_exact() {
	local tr=$1 wl=$2 pid=${WL_PID[$2]}
	summary_of "$tr" >"$WORK/$tr.summary.json"
	check "$tr: matches the namespaced workload's ground truth" \
		"$E2E/compare.py" "$WORK/$tr.summary.json" --device-totals \
		"$WORK/$wl.truth.json"
	check "$tr: only pid $pid traced" jq_true --argjson p "$pid" \
		'[.processes[].pid] | unique == [$p]' "$WORK/$tr.summary.json"
	check "$tr: no drops, no unmatched frees, no implausible reads" \
		jq_true '.stats | .events_dropped == 0 and .unmatched_frees == 0 and .implausible == 0 and .bad_reads == 0 and .unknown_device == 0' \
		"$WORK/$tr.summary.json"
	check "$tr: one alloc event per allocation" test \
		"$(grep -c '"event":"alloc"' "$WORK/$tr.trace.out")" -eq \
		"$(jq '[.devices[].usage[].allocs] | add' "$WORK/$wl.truth.json")"
}

# via_host_path VARIANT: --lib with the workload's own path fails with
# the way to reach it; --lib /proc/PID/root/PATH traces it exactly while
# a host process maps the original file (another inode) and stays out.
via_host_path() {
	local v=$1 dir=$WORK/ns-$1 lib=$WORK/ns-$1/libtt_metal.so pid re

	start_ns_workload "$v-ns" "$v" "$dir" --scenario steady --devices 2 \
		--seed 4 --count 300 || {
		not_ok "$v: namespaced workload starts" "$(cat "$WORK/$v-ns.out")"
		return
	}
	pid=${WL_PID[$v-ns]}
	check "$v: library not visible from the tracer's namespace" \
		test ! -e "$lib" -a -f "/proc/$pid/root$lib"

	re="^ttbpf-trace: $lib: no such file in this mount namespace, but pid $pid maps it in its own; pass --lib /proc/$pid/root$lib "
	expect_one_line_error "$v: --lib PATH of another namespace" "$re" \
		--lib "$lib"
	expect_one_line_error "$v: --explain --lib PATH of another namespace" \
		"$re" --explain --lib "$lib"
	expect_one_line_error "$v: -p PID --lib PATH of another namespace" \
		"$re" -p "$pid" --lib "$lib"

	start_tracer "$v-root" --json --lib "/proc/$pid/root$lib" || {
		not_ok "$v: tracer attaches via /proc/PID/root" \
			"$(cat "$WORK/$v-root.trace.err")"
		abandon "$v-ns"
		return
	}
	start_workload "$v-host" "$v" --scenario steady --devices 1 --seed 5 \
		--count 100
	go "$v-ns"
	go "$v-host"
	wait_holding "$v-ns"
	wait_holding "$v-host"
	stop_tracer "$v-root"
	check_exact "$v-root" "$v-ns"
	release "$v-host"
	release "$v-ns"
}

# via_discovery VARIANT: no --lib, -p PID: /proc/PID/maps paths are opened
# through /proc/PID/root, so the namespaced copy is found and traced.
via_discovery() {
	local v=$1 dir=$WORK/disc-$1 pid

	start_ns_workload "$v-disc" "$v" "$dir" --scenario threads \
		--threads 2 --devices 2 --seed 6 --count 200 || {
		not_ok "$v: namespaced workload starts for discovery" \
			"$(cat "$WORK/$v-disc.out")"
		return
	}
	pid=${WL_PID[$v-disc]}
	start_tracer "$v-disc" --json -p "$pid" || {
		not_ok "$v: discovery attaches" "$(cat "$WORK/$v-disc.trace.err")"
		abandon "$v-disc"
		return
	}
	check "$v: discovery names the file as the process sees it" grep -Fxq \
		"ttbpf: tracing $dir/libtt_metal.so (mapped by pid $pid)" \
		"$WORK/$v-disc.trace.err"
	go "$v-disc"
	wait_holding "$v-disc"
	stop_tracer "$v-disc"
	check_exact "$v-disc" "$v-disc"
	release "$v-disc"
}

before=$(loaded_progs)
for v in $NS_VARIANTS; do
	via_host_path "$v"
	via_discovery "$v"
done
check "nothing left attached" test "$(loaded_progs)" -eq "$before"
finish
