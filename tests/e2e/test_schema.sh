#!/bin/bash
# ttbpf-trace --json, schema 2 (docs/events.md): the events alone
# reproduce the allocator's own books. Four processes (one on a mesh, one
# closing devices that still hold buffers, one with threads, one killed
# with SIGKILL): summing alloc/free events and the "released" rows of
# bulk_free and exit events per chip and type gives exactly what each
# process held, and then exactly zero once its devices closed or it died.
source "$(dirname "$0")/lib.sh"

W="steady mesh close threads kill"
for v in $VARIANTS; do
	start_tracer "$v" --lib "$(lib_of "$v")" --json || {
		not_ok "$v: tracer attaches" "$(cat "$WORK/$v.trace.err")"
		continue
	}
	start_workload "$v-steady" "$v" --scenario steady --devices 2 --seed 11 --count 150
	start_workload "$v-mesh" "$v" --scenario mesh --devices 2 --seed 12 --count 60
	start_workload "$v-close" "$v" --scenario close --devices 2 --seed 13 --count 60
	start_workload "$v-threads" "$v" --scenario threads --threads 3 --devices 2 --seed 14 --count 60
	start_workload "$v-kill" "$v" --scenario hold --devices 2 --seed 15 --count 40 \
		--threads 8
	for w in $W; do go "$v-$w"; done
	for w in $W; do wait_holding "$v-$w"; done
	# Everything up to now is in the trace once the tracer has printed
	# it: the workloads are idle until released, so wait until the trace
	# stops growing over several of the tracer's 100 ms polls (20 s at
	# most) rather than for a fixed time a loaded machine may exceed.
	held=-1 same=0
	for _ in $(seq 100); do
		n=$(wc -l <"$WORK/$v.trace.out")
		if [ "$n" -eq "$held" ]; then
			same=$((same + 1))
			[ $same -ge 3 ] && break
		else
			same=0 held=$n
		fi
		sleep 0.2
	done
	kill -KILL "${WL_PID[$v-kill]}"
	wait "${WL_PID[$v-kill]}" 2>/dev/null
	for w in steady mesh close threads; do release "$v-$w"; done
	wait_line "$WORK/$v.trace.out" "\"event\":\"exit\",.*\"pid\":${WL_PID[$v-kill]}," 2
	sleep 0.3
	stop_tracer "$v"
	head -1 "$WORK/$v.trace.out" >"$WORK/$v.header.json"
	check "$v: first line is the schema 2 header" jq_true \
		'.event == "header" and .schema == 2 and .tool == "ttbpf-trace" and (.libs | length) == 1' \
		"$WORK/$v.header.json"
	check "$v: events and released rows reproduce the books, then zero" \
		"$E2E/events_books.py" "$WORK/$v.trace.out" "$held" \
		"$WORK/$v-steady.truth.json" "$WORK/$v-mesh.truth.json" \
		"$WORK/$v-close.truth.json" "$WORK/$v-threads.truth.json" \
		"$WORK/$v-kill.truth.json"
	# Threads killed together may each see the process's last exit: one
	# of them releases, so the process has exactly one exit event.
	check "$v: device closes gave bulk_free, SIGKILL one exit with rows" jq -se \
		--argjson k "${WL_PID[$v-kill]}" \
		'([.[] | select(.event == "bulk_free" and (.released | length) > 0)] | length > 0) and
		 ([.[] | select(.event == "exit" and .pid == $k)] | length == 1) and
		 ([.[] | select(.event == "exit" and .pid == $k and (.released | length) > 0)] | length == 1)' \
		"$WORK/$v.trace.out"
	check "$v: a mesh buffer is released on each of its chips" jq -se \
		--argjson m "${WL_PID[$v-mesh]}" \
		'[.[] | select(.pid == $m and (.event == "bulk_free" or .event == "exit")) | select(.count > .buffers)] | length > 0' \
		"$WORK/$v.trace.out"
	check "$v: pointers are \"0x...\" strings, times ISO 8601 UTC, no python key unasked" jq -se \
		'all(.[] | select(.event == "alloc"); (.buffer | test("^0x[0-9a-f]+$")) and (.allocator | test("^0x[0-9a-f]+$")) and (.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{9}Z$")) and (has("python") | not))' \
		"$WORK/$v.trace.out"
done

# Drops after the tracer's last interval check are still said before the
# summary: both tracers are stopped (SIGSTOP) while a workload makes more
# events than their 4 MiB rings hold, and stopped with no interval check
# in between (--interval 3600000). The JSON "lost" lines and the text
# warning then account for every drop the summary counts.
v=${VARIANTS%% *}
start_tracer lost --lib "$(lib_of "$v")" --json --interval 3600000 &&
	start_tracer lost-text --lib "$(lib_of "$v")" --interval 3600000 || {
	not_ok "drops: tracers attach" "$(cat "$WORK"/lost*.trace.err)"
	finish
}
kill -STOP "${TR_PID[lost]}" "${TR_PID[lost-text]}"
LD_LIBRARY_PATH="$TTSIM/$v" "$RUN" --scenario steady --devices 2 --seed 16 \
	--count 80000 >"$WORK/lost-wl.out" 2>&1
kill -CONT "${TR_PID[lost]}" "${TR_PID[lost-text]}"
stop_tracer lost
stop_tracer lost-text
check "drops: lost lines before the summary sum to events_dropped (> 0)" jq -se \
	'(map(.event) | index("summary")) as $s
	 | [.[:$s][] | select(.event == "lost")] as $l
	 | .[$s].stats.events_dropped as $d
	 | $d > 0 and ($l | length) > 0 and ([$l[].events] | add) == $d and $l[-1].total == $d' \
	"$WORK/lost.trace.out"
dropped=$(sed -n 's/^events dropped \([0-9]*\),.*/\1/p' "$WORK/lost-text.trace.out")
check "drops: the text tracer warns of all the summary counts" \
	grep -q "^ttbpf: WARNING: ${dropped:-x} events dropped" "$WORK/lost-text.trace.err"
check "drops: the text summary counts some" test "${dropped:-0}" -gt 0
finish
