#!/bin/bash
# ttbpf-trace -- CMD traces CMD's whole process tree: a shell wrapper's
# command, workers it forks, their exits. The summary has one row per
# process and device, equal to each workload's own books, named by the
# exact command line that started it, including processes that exited.
source "$(dirname "$0")/lib.sh"

v=e4-release
LIB=$(lib_of $v)
export LD_LIBRARY_PATH="$TTSIM/$v"

# The command line a workload shows in /proc: its argv joined by spaces.
cmd_a="$RUN --scenario steady --seed 3 --count 60 --hold-after --truth $WORK/a.truth.json"
cmd_b="$RUN --scenario leak --seed 5 --devices 2 --hold-after --truth $WORK/b.truth.json"

# 1. Held: bash forks two workers (`&`), each allocates and holds; the
# tracer is interrupted while they hold, so its summary must equal their
# books exactly, per process, device and type.
"$TRACE" --lib "$LIB" --json -- bash -c \
	"$cmd_a >$WORK/a.out & $cmd_b >$WORK/b.out & wait" \
	>"$WORK/held.trace.out" 2>"$WORK/held.trace.err" &
TP=$!
BG_PIDS+=("$TP")
wait_line "$WORK/a.out" '^holding' 60 && wait_line "$WORK/b.out" '^holding' 60
kill -INT "$TP"
wait "$TP"
rc=$?
# Interrupted, the tracer stops the command with SIGTERM and says so.
check "interrupted: exit status is the command's, killed by SIGTERM" \
	test "$rc" -eq 143
pa=$(jq .pid "$WORK/a.truth.json")
pb=$(jq .pid "$WORK/b.truth.json")
grep '"event":"summary"' "$WORK/held.trace.out" | tail -1 >"$WORK/held.json"
check "both workers of the shell traced, exact per process" \
	python3 "$E2E/compare.py" "$WORK/held.json" "$WORK/a.truth.json" \
	"$WORK/b.truth.json" --device-totals
check "worker A named by its command line" jq_true --arg c "$cmd_a" \
	"[.processes[] | select(.pid == $pa) | .cmdline == \$c and .exited == false] | length > 0 and all" \
	"$WORK/held.json"
check "worker B named by its command line" jq_true --arg c "$cmd_b" \
	"[.processes[] | select(.pid == $pb) | .cmdline == \$c] | length > 0 and all" \
	"$WORK/held.json"
check "only the two workers hold memory" jq_true \
	"[.processes[].pid] | unique == ([$pa, $pb] | sort)" "$WORK/held.json"
# The workers outlive the interrupted tracer: end them.
kill -USR1 "$pa" "$pb" 2>/dev/null

# 2. Exited: a wrapper runs two workloads one after the other; both have
# exited when the summary is printed, which still lists them, by command
# line, with their allocations, peaks and nothing held.
cmd_c="$RUN --scenario steady --seed 7 --count 40 --truth $WORK/c.truth.json"
cmd_d="$RUN --scenario close --seed 9 --truth $WORK/d.truth.json"
"$TRACE" --lib "$LIB" --json -- bash -c "$cmd_c >/dev/null; $cmd_d >/dev/null" \
	>"$WORK/exit.trace.out" 2>"$WORK/exit.trace.err"
check "exit status of the wrapper" test $? -eq 0
grep '"event":"summary"' "$WORK/exit.trace.out" | tail -1 >"$WORK/exit.json"
for w in c d; do
	t=$WORK/$w.truth.json
	pid=$(jq .pid "$t")
	eval "want=\$cmd_$w"
	check "exited worker $w: named by its command line" jq_true \
		--arg c "$want" \
		"[.processes[] | select(.pid == $pid) | .cmdline == \$c and .exited] | length > 0 and all" \
		"$WORK/exit.json"
	check "exited worker $w: allocations and peaks per device and type equal its books, nothing held" \
		python3 - "$WORK/exit.json" "$t" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
t = json.load(open(sys.argv[2]))
# The books number chips as the process does (local_device).
rows = {(p.get("local_device", p["device"]), p["dev_kind"]): p
        for p in s["processes"] if p["pid"] == t["pid"]}
bad = []
for d in t["devices"]:
    r = rows.get((d["device"], d["kind"]))
    allocs = sum(u["allocs"] for u in d["usage"].values())
    if not allocs:
        continue
    if r is None:
        bad.append(f"no row for {d['kind']} {d['device']}")
        continue
    if r["allocs"] != allocs:
        bad.append(f"{d['kind']} {d['device']} allocs {r['allocs']} != {allocs}")
    for ty, u in d["usage"].items():
        if r["peak"][ty] != u["peak_bytes"]:
            bad.append(f"{d['kind']} {d['device']} {ty} peak {r['peak'][ty]} != {u['peak_bytes']}")
        if r["usage"][ty] or r["buffers"][ty]:
            bad.append(f"{d['kind']} {d['device']} {ty} still held after exit")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
done
check "no other process in the summary" jq_true \
	"[.processes[].pid] | unique == ([$(jq .pid "$WORK/c.truth.json"), $(jq .pid "$WORK/d.truth.json")] | sort)" \
	"$WORK/exit.json"

# 3. Not in the tree: a workload started outside the command is ignored.
LD_LIBRARY_PATH="$TTSIM/$v" "$RUN" --wait-go --scenario steady --seed 2 \
	--count 20 --truth "$WORK/out.truth.json" >"$WORK/out.out" 2>&1 &
OUTSIDE=$!
BG_PIDS+=("$OUTSIDE")
wait_line "$WORK/out.out" '^ready pid=' 10
"$TRACE" --lib "$LIB" --json -- bash -c \
	"kill -USR1 $OUTSIDE; while kill -0 $OUTSIDE 2>/dev/null; do sleep 0.05; done; true" \
	>"$WORK/outside.trace.out" 2>"$WORK/outside.trace.err"
check "a process outside the tree is not traced" jq_true \
	'select(.event == "summary") | .processes == [] and ([.devices[].allocs] | add // 0) == 0' \
	"$WORK/outside.trace.out"
# 4. Another user's process names itself with terminal escapes (argv[0]
# set by exec -a): the text summary shows them escaped (\xNN), never raw.
evil=$(printf '\033]0;owned\007\033[2J')
"$TRACE" --lib "$LIB" -- setpriv --reuid=65534 --regid=65534 --clear-groups \
	bash -c 'exec -a "$0" "$1" --scenario steady --seed 4 --count 20' \
	"$evil" "$RUN" >"$WORK/evil.out" 2>&1
check "unprivileged workload traced to its end" test $? -eq 0
check "no raw escape byte reaches the terminal" \
	bash -c "! grep -q \$'\\033' '$WORK/evil.out' && ! grep -q \$'\\007' '$WORK/evil.out'"
check "its command line is shown escaped" grep -qF \
	'| cmd: \x1b]0;owned\x07\x1b[2J --scenario steady --seed 4 --count 20' "$WORK/evil.out"

# 5. A process in a container's cgroup is shown with the container's id
# (docker names the cgroup docker-ID.scope).
id=$(printf '%064x' $$ | tr 0 a)
CG=$WORK/cgroup2
mkdir -p "$CG"
if mount -t cgroup2 none "$CG" 2>"$WORK/cg.err" &&
	mkdir -p "$CG/ttbpf-e2e-$$/docker-$id.scope"; then
	"$TRACE" --lib "$LIB" --json -- bash -c \
		"echo \$\$ >$CG/ttbpf-e2e-$$/docker-$id.scope/cgroup.procs && $RUN --scenario steady --seed 6 --count 20 --hold-after --truth $WORK/cg.truth.json >$WORK/cg.out; true" \
		>"$WORK/cg.trace.out" 2>"$WORK/cg.trace.err" &
	TP=$!
	BG_PIDS+=("$TP")
	wait_line "$WORK/cg.out" '^holding' 30
	kill -INT "$TP"
	wait "$TP"
	pc=$(jq .pid "$WORK/cg.truth.json")
	kill -USR1 "$pc" 2>/dev/null
	check "container id and cgroup of a containerised process" jq_true \
		--arg id "$id" --arg cg "/ttbpf-e2e-$$/docker-$id.scope" \
		"select(.event == \"summary\") | [.processes[] | select(.pid == $pc) | .container == \$id and .cgroup == \$cg] | length > 0 and all" \
		"$WORK/cg.trace.out"
	while kill -0 "$pc" 2>/dev/null; do sleep 0.05; done
	rmdir "$CG/ttbpf-e2e-$$/docker-$id.scope" "$CG/ttbpf-e2e-$$"
	umount "$CG"
else
	not_ok "container id" "cannot make a cgroup: $(cat "$WORK/cg.err")"
fi

check "nothing left attached" test "$(loaded_progs)" -eq 0
finish
