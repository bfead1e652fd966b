#!/bin/bash
# ttbpf-snapshot and ttbpf-top on what `ttbpf-trace --pin` keeps: exact
# numbers against ground truth for every scenario, the leak report with the
# leaking functions, and the live top screen in tmux.
source "$(dirname "$0")/lib.sh"
use_pin_dir
v=${TTBPF_VIEW_VARIANT:-e4-release}

check "snapshot with nothing pinned says how to start, exits non-zero" \
	bash -c "! '$SNAP' --pin-dir '$PIN' 2>&1 | grep -q 'ttbpf-trace --pin' && exit 1; ! '$SNAP' --pin-dir '$PIN' >/dev/null 2>&1"

start_tracer pinned --lib "$(lib_of $v)" --pin --pin-dir "$PIN" --quiet -i 0
scenarios="steady leak oom close mesh threads hold burst"
for s in $scenarios; do
	start_workload "$s" "$v" --scenario "$s" --devices 2 --seed 21 --count 120
done
for s in $scenarios; do go "$s"; done
for s in $scenarios; do wait_holding "$s"; done
stop_tracer pinned # the probes and maps stay pinned

"$SNAP" --pin-dir "$PIN" --json >"$WORK/snap.json"
for s in $scenarios; do
	"$SNAP" --pin-dir "$PIN" --json -p "${WL_PID[$s]}" >"$WORK/snap-$s.json"
	check "snapshot --json -p: $s equals ground truth (bytes, counts, buffers)" \
		"$E2E/compare.py" "$WORK/snap-$s.json" "$WORK/$s.truth.json" --buffers
done
truths=()
for s in $scenarios; do truths+=("$WORK/$s.truth.json"); done
check "snapshot --json: all processes and device totals equal ground truth" \
	"$E2E/compare.py" "$WORK/snap.json" --device-totals --buffers "${truths[@]}"

# Each process is named by the exact command line that started it.
for s in $scenarios; do
	want="$RUN --wait-go --hold-after --truth $WORK/$s.truth.json --scenario $s --devices 2 --seed 21 --count 120"
	check "snapshot --json: $s has its command line" jq_true --arg c "$want" \
		"[.processes[] | select(.pid == ${WL_PID[$s]}) | .cmdline == \$c] | length > 0 and all" \
		"$WORK/snap.json"
done
"$SNAP" --pin-dir "$PIN" -p "${WL_PID[steady]}" >"$WORK/snap-steady.txt"
want="$RUN --wait-go --hold-after --truth $WORK/steady.truth.json --scenario steady --devices 2 --seed 21 --count 120"
check "snapshot text: the process line ends in its command line" \
	grep -qxE "    pid ${WL_PID[steady]} ttsim-run: .* \| cmd: $want" "$WORK/snap-steady.txt"
"$TOP" --pin-dir "$PIN" --once -p "${WL_PID[steady]}" >"$WORK/top-once.txt"
check "top --once: every row of the process ends in its command line" \
	bash -c "[ \$(grep -cE '^ *${WL_PID[steady]} ttsim-run .* $want\$' '$WORK/top-once.txt') -eq 2 ]"

# Leaks: exactly the leak scenario's buffers, with the leaking functions.
"$SNAP" --pin-dir "$PIN" --json --leaks --min-age 0 -p "${WL_PID[leak]}" >"$WORK/leaks.json"
check "leak report lists exactly the leaked buffers" test \
	"$(jq .leaks.count "$WORK/leaks.json")" -eq \
	"$(jq '[.devices[].usage[].buffers] | add' "$WORK/leak.truth.json")"
check "leak report bytes equal ground truth" test \
	"$(jq .leaks.bytes "$WORK/leaks.json")" -eq \
	"$(jq '[.devices[].usage[].bytes] | add' "$WORK/leak.truth.json")"
for fn in leak_kv_cache_dram leak_activations_l1 leak_trace_region; do
	check "leak stacks name $fn" jq_true --arg f "$fn" \
		'[.leaks.stacks[].stack[] | select(contains($f))] | length > 0' "$WORK/leaks.json"
done
# Worker threads' stacks are walked from their own stacks up to the thread
# body; every buffer refers to its stack by index into "stacks".
check "threads: every buffer has a stack through run_threads" jq_true \
	'. as $r | [.buffers[] | $r.stacks[.stack] // [] |
	 any(contains("run_threads"))] | length > 0 and all' \
	"$WORK/snap-threads.json"
"$SNAP" --pin-dir "$PIN" --leaks --min-age 0 --fail-on-leak -p "${WL_PID[leak]}" >/dev/null 2>&1
check "--fail-on-leak exits non-zero on leaks" test $? -ne 0
"$SNAP" --pin-dir "$PIN" --leaks --min-age 0 --fail-on-leak -p "${WL_PID[burst]}" >"$WORK/noleak.txt" 2>&1
check "--fail-on-leak exits 0 when everything was freed (burst)" test $? -eq 0

# ttbpf-top in a real terminal: each device's numbers equal ground truth.
human() { # bytes -> the unit format ttbpf-top prints
	python3 -c 'import sys
v=int(sys.argv[1]); u=0; f=float(v)
while f >= 1024 and u < 4: f/=1024; u+=1
print(f"{v} B" if u == 0 else f"{f:.2f} " + ["B","KiB","MiB","GiB","TiB"][u])' "$1"
}
tmux -L ttbpf-e2e kill-session -t ttbpf-e2e 2>/dev/null
tmux -L ttbpf-e2e new-session -d -s ttbpf-e2e -x 200 -y 60 "$TOP --pin-dir $PIN -r 200 -p ${WL_PID[steady]}"
sleep 1.5
tmux -L ttbpf-e2e capture-pane -p -t ttbpf-e2e >"$WORK/top1.txt"
for d in 0 1; do
	for ty in DRAM L1; do
		# The device panel sums every process on that chip.
		want=$(human "$(jq -s --argjson d $d --arg t $ty '[.[].devices[] | select(.device == $d and .kind == "chip") | .usage[$t].bytes] | add' "${truths[@]}")")
		check "top: dev $d $ty used $want" \
			grep -qE "^  ${ty} +used $want" <(awk -v d="dev $d" '$0 == d {on=1; next} /^dev /{on=0} on' "$WORK/top1.txt")
	done
done
check "top lists the steady process" grep -q "^ *${WL_PID[steady]} " "$WORK/top1.txt"
# On a screen the command line is cut to the row, never wrapped.
check "top: the command line fills the row up to the screen's edge" \
	bash -c "grep -E '^ *${WL_PID[steady]} ' '$WORK/top1.txt' | awk '{ if (length(\$0) != 199 || index(\$0, \"$RUN --wait-go\") == 0) exit 1 }'"

# A killed process disappears from the table.
tmux -L ttbpf-e2e new-session -d -s ttbpf-e2e-b -x 200 -y 60 "$TOP --pin-dir $PIN -r 200 2>$WORK/top.err"
sleep 1
tmux -L ttbpf-e2e capture-pane -p -t ttbpf-e2e-b >"$WORK/top2.txt"
check "top shows the hold process" grep -q "^ *${WL_PID[hold]} " "$WORK/top2.txt"
kill -KILL "${WL_PID[hold]}"
sleep 1.5
tmux -L ttbpf-e2e capture-pane -p -t ttbpf-e2e-b >"$WORK/top3.txt"
check "a killed process disappears from top" bash -c "! grep -q '^ *${WL_PID[hold]} ' '$WORK/top3.txt'"
tmux -L ttbpf-e2e send-keys -t ttbpf-e2e-b q
sleep 0.3
check "q quits top" bash -c "! tmux -L ttbpf-e2e has-session -t ttbpf-e2e-b 2>/dev/null"
tmux -L ttbpf-e2e kill-server 2>/dev/null

for s in $scenarios; do [ "$s" = hold ] || release "$s"; done
finish
