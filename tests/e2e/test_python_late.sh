#!/bin/bash
# Python processes started after the tracer: py_late.py allocates as soon
# as its device is open (N kept DRAM buffers from one line, N freed L1
# buffers from another, lines and counts as the interpreter reports them).
# Every one of its 2N allocations must carry its Python line, in the
# recording (--record) and in the snapshot, none "not inspected yet": the
# interpreter is inspected when it is exec'd, before it runs Python, and a
# child it forks takes its layout (the fork cases). The
# same interpreter under a name that is not python* is inspected only at
# its first allocation: each allocation then has its right line or the
# note "not inspected yet", never another line.
source "$(dirname "$0")/lib.sh"
PIN=/sys/fs/bpf/ttbpf-e2e-pylate-$$
S=$E2E/py_late.py
LIB=$(lib_of e4-release)
N=2000
trap 'cleanup_pins; cleanup' EXIT

find_pythons
if [ ${#pythons[@]} -eq 0 ]; then
	echo "skip: no CPython 3.10-3.13 installed"
	exit 77
fi

# sql DB QUERY: one value.
sql() { sqlite3 "$1" "$2"; }

# late NAME PYTHON [fork]: the tracer, then py_late.py under PYTHON;
# leaves $WORK/NAME.db, NAME.snap.json and NAME.truth.json; WL_PID[NAME]
# is the pid that allocated.
late() {
	local name=$1 py=$2 fd
	start_tracer "$name" --lib "$LIB" --pin --pin-dir "$PIN" --quiet -i 0 \
		--record "$WORK/$name.db" || return 1
	mkfifo "$WORK/$name.in"
	"$py" "$S" "$LIB" "$N" "$WORK/$name.truth.json" ${3:-} \
		<"$WORK/$name.in" >"$WORK/$name.out" 2>&1 &
	BG_PIDS+=("$!")
	exec {fd}>"$WORK/$name.in"
	wait_line "$WORK/$name.out" '^holding' 60
	WL_PID[$name]=$(jq .pid "$WORK/$name.truth.json")
	"$SNAP" --pin-dir "$PIN" --json -p "${WL_PID[$name]}" >"$WORK/$name.snap.json"
	sleep 0.3
	stop_tracer "$name"
	echo done >&"$fd"
	exec {fd}>&-
	wait "${BG_PIDS[-1]}"
	cleanup_pins
}

# site NAME SITE: "LINE COUNT" the workload reported for SITE.
site() { jq -r --arg s "$2" '.sites[$s] | "\(.line) \(.count)"' "$WORK/$1.truth.json"; }

# allocs_at NAME FILE LINE FUNCTION: allocations of the workload whose
# innermost Python frame is FILE:LINE FUNCTION.
allocs_at() {
	sql "$WORK/$1.db" "SELECT count(*) FROM events e JOIN py_stacks p
		ON p.pid = e.pid AND p.py_stack_id = e.py_stack_id
		WHERE e.kind = 'alloc' AND e.pid = ${WL_PID[$1]}
		AND p.frames LIKE '$2:$3 $4' || char(10) || '%'"
}
allocs_noted() { # NAME NOTE_ID (any when empty)
	sql "$WORK/$1.db" "SELECT count(*) FROM events WHERE kind = 'alloc'
		AND pid = ${WL_PID[$1]} AND py_stack_id < 0 ${2:+AND py_stack_id = $2}"
}

# late3.10 ...: exec'd after the tracer; fork3.10 ...: forked at once by
# such a process, which it takes its layout from.
cases=()
for py in "${pythons[@]}"; do
	v=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	cases+=("late$v $py" "fork$v $py fork")
done
for c in "${cases[@]}"; do
	read -r n py fork <<<"$c"
	late "$n" "$py" $fork
	read -r kl kc <<<"$(site "$n" keep)"
	read -r cl cc <<<"$(site "$n" churn)"
	check "$n: the workload reports $N allocations at each of its two lines" \
		test "$kc $cc" = "$N $N"
	check "$n: recorded: $((2 * N)) allocations, none with a note (\"not inspected yet\" or other)" \
		test "$(sql "$WORK/$n.db" "SELECT count(*) FROM events WHERE kind = 'alloc' AND pid = ${WL_PID[$n]}") $(allocs_noted "$n")" = "$((2 * N)) 0"
	check "$n: recorded: $N allocations at keep ($S:$kl), $N at churn ($S:$cl)" \
		test "$(allocs_at "$n" "$S" "$kl" keep) $(allocs_at "$n" "$S" "$cl" churn)" = "$N $N"
	check "$n: snapshot: exactly the $N kept buffers, each from keep ($S:$kl)" jq_true \
		--slurpfile t "$WORK/$n.truth.json" --arg f "$S" --argjson l "$kl" \
		'. as $r | ([.buffers[].address] | map(ltrimstr("0x") | explode | reduce .[] as $c (0;
		   . * 16 + (if $c >= 97 then $c - 87 else $c - 48 end))) | sort) == ($t[0].kept | sort)
		 and ([.buffers[] | $r.stacks[.stack] | map(objects)[0]]
		      | length == ($t[0].kept | length) and all(. == {function: "keep", file: $f, line: $l}))' \
		"$WORK/$n.snap.json"
done

# Not named python*: inspected at its first allocation, by the inspector
# thread at once. Its first allocations may be noted, none has a wrong line.
cp "${pythons[0]}" "$WORK/interp"
n=renamed
late "$n" "$WORK/interp"
read -r kl kc <<<"$(site "$n" keep)"
read -r cl cc <<<"$(site "$n" churn)"
noted=$(allocs_noted "$n" -3)
check "renamed interpreter: every allocation has its line or \"not inspected yet\" ($noted noted)" \
	test "$(($(allocs_at "$n" "$S" "$kl" keep) + $(allocs_at "$n" "$S" "$cl" churn) + noted)) $(allocs_noted "$n")" = "$((2 * N)) $noted"
finish
