#!/bin/bash
# ttbpf-exporter scraped by a real Prometheus server (Debian's) on
# loopback: PromQL over the HTTP API equals the workloads' ground truth per
# device, type and pid; a killed process's series go and the device totals
# drop to what is left, then to 0; `promtool check metrics` finds nothing;
# a comm with quotes, backslashes, a newline and a stray byte is escaped;
# the exporter attaches by itself when nothing is pinned.
source "$(dirname "$0")/lib.sh"
EXPORTER=$OUT/ttbpf-exporter
PIN=/sys/fs/bpf/ttbpf-e2e-exporter-$$
v=${TTBPF_EXPORTER_VARIANT:-e4-release}
AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
source "$E2E/../prom_lib.sh"
cleanup_all() {
	prom_stop
	"$TRACE" --unpin --pin-dir "$PIN" >/dev/null 2>&1
	cleanup
}
trap cleanup_all EXIT
prom_require

# --- bad input ---------------------------------------------------------
expect_error "--listen without a port: one line" 'invalid --listen' \
	"$EXPORTER" --listen 127.0.0.1 --pin-dir "$PIN"
expect_error "--listen with a host name: one line" 'invalid --listen' \
	"$EXPORTER" --listen localhost:9 --pin-dir "$PIN"

# --- a pinned tracer, four workloads, one with a hostile name ----------
start_tracer pinned --lib "$(lib_of $v)" --pin --pin-dir "$PIN" --quiet -i 0
chmod 755 "$WORK"
U=$WORK/u
install -d -o 65534 -g 65534 "$U"
# comm is the first 15 bytes of the executable's name.
NAME=$'q"b\\c\nd\xff'
cp "$RUN" "$U/$NAME"
chmod 755 "$U/$NAME"
SHOWN='q"b\\c\x0ad\xff' # the label value: text_escape's form
names="steady mesh oom threads"
for s in steady mesh oom; do
	start_workload "$s" "$v" --scenario "$s" --devices 2 --seed 5 --count 80
done
"${AS_NOBODY[@]}" env LD_LIBRARY_PATH="$TTSIM/$v" "$U/$NAME" --wait-go \
	--hold-after --truth "$U/threads.truth.json" --scenario threads \
	--devices 2 --seed 5 --count 80 >"$WORK/threads.out" 2>&1 &
WL_PID[threads]=$!
BG_PIDS+=($!)
wait_line "$WORK/threads.out" '^ready pid=' 10
for s in $names; do go "$s"; done
for s in $names; do wait_holding "$s"; done
cp "$U/threads.truth.json" "$WORK/threads.truth.json"

start_exporter pinned --pin-dir "$PIN"
check "exporter serves on a free port" test -n "$EXP_PORT"
M=http://127.0.0.1:$EXP_PORT
curl -sf "$M/metrics" >"$WORK/scrape1.txt"
check "promtool check metrics finds nothing" \
	bash -c "promtool check metrics <'$WORK/scrape1.txt'"
check "content type is the text format 0.0.4" bash -c \
	"curl -sfI '$M/metrics' | grep -qi '^content-type: text/plain; version=0.0.4'"
check "another path is 404" test "$(curl -s -o /dev/null -w '%{http_code}' "$M/")" = 404
check "POST is refused (405)" test "$(curl -s -o /dev/null -w '%{http_code}' -d x "$M/metrics")" = 405
for f in ttbpf_device_memory_used_bytes ttbpf_device_memory_peak_bytes \
	ttbpf_device_buffers ttbpf_process_memory_used_bytes \
	ttbpf_allocations_total ttbpf_frees_total \
	ttbpf_allocation_failures_total ttbpf_events_dropped_total \
	ttbpf_unmatched_frees_total ttbpf_info ttbpf_up; do
	check "family $f has HELP and TYPE" bash -c \
		"grep -q '^# HELP $f ' '$WORK/scrape1.txt' && grep -q '^# TYPE $f ' '$WORK/scrape1.txt'"
done

# --- Prometheus scrapes it ---------------------------------------------
prom_start "$EXP_PORT"
check "Prometheus scrapes the exporter (ttbpf_up 1)" until_ok 30 prom_scraping

truths=()
for s in $names; do truths+=("$WORK/$s.truth.json"); done
check "PromQL equals ground truth per pid, device and type; device sums and counters too" \
	until_ok 10 "$E2E/prom_compare.py" "$P" "${truths[@]}"
check "the oom workload's failures are counted" test \
	"$(q 'sum(ttbpf_allocation_failures_total)')" -eq \
	"$(jq '[.devices[].usage[].failures] | add' "$WORK/oom.truth.json")"
check "the hostile name arrives escaped as the comm label" test \
	"$(curl -sf "$P/api/v1/query" --data-urlencode "query=ttbpf_process_memory_used_bytes{pid=\"${WL_PID[threads]}\"}" |
		jq -r '.data.result[0].metric.comm')" = "$SHOWN"
check "sum by (device) equals the truth's chip totals" test \
	"$(q 'sum(ttbpf_device_memory_used_bytes{device=~"[0-9]+"})')" -eq \
	"$(jq -s '[.[].devices[] | select(.kind == "chip") | .usage[].bytes] | add' "${truths[@]}")"

# The Grafana dashboard's queries parse and run (its variables filled in).
jq -r '.panels[].targets[].expr' "$E2E/../../tools/grafana-ttbpf.json" |
	sed -e 's/\$instance/.*/g' -e 's/\$type/DRAM/g' >"$WORK/dash.exprs"
n_dash=0
while IFS= read -r e; do
	n_dash=$((n_dash + 1))
	check "dashboard query $n_dash runs in Prometheus" test \
		"$(curl -s "$P/api/v1/query" --data-urlencode "query=$e" | jq -r .status)" = success
done <"$WORK/dash.exprs"
check "dashboard per-process panel sums to the DRAM ground truth" test \
	"$(q 'sum(sum by (instance, pid, comm) (ttbpf_process_memory_used_bytes{type="DRAM"}))')" -eq \
	"$(jq -s '[.[].devices[].usage.DRAM.bytes] | add' "${truths[@]}")"

# A SIGKILLed process: its series go, the devices hold what is left.
kill -KILL "${WL_PID[steady]}"
wait "${WL_PID[steady]}" 2>/dev/null
left=()
for s in mesh oom threads; do left+=("$WORK/$s.truth.json"); done
check "after SIGKILL: the process's series are gone, device totals equal the rest" \
	until_ok 10 "$E2E/prom_compare.py" "$P" "${left[@]}" --gone "${WL_PID[steady]}"

# Every workload closes its devices and exits: everything falls to 0.
for s in mesh oom threads; do release "$s"; done
check "after all exit: device series are 0 and no process series is left" \
	until_ok 10 prom_all_zero
curl -sf "$M/metrics" >"$WORK/scrape2.txt"
check "promtool check metrics after the exits" \
	bash -c "promtool check metrics <'$WORK/scrape2.txt'"

kill -TERM "$EXP_PID"
wait "$EXP_PID"
check "exporter exits 0 on SIGTERM" test $? -eq 0
prom_stop
stop_tracer pinned
"$TRACE" --unpin --pin-dir "$PIN" >/dev/null 2>&1

# --- nothing pinned: the exporter attaches by itself -------------------
start_exporter self --pin-dir "$PIN" --lib "$(lib_of $v)"
check "says it attaches by itself" grep -q 'attaching by itself' "$WORK/self.exp.err"
start_workload alone "$v" --scenario steady --devices 1 --seed 9 --count 60
go alone
wait_holding alone
curl -sf "http://127.0.0.1:$EXP_PORT/metrics" >"$WORK/scrape3.txt"
check "self-attached: DRAM of the workload equals ground truth" test \
	"$(sed -n "s/^ttbpf_process_memory_used_bytes{pid=\"${WL_PID[alone]}\",comm=\"[^\"]*\",device=\"0\",type=\"DRAM\"} //p" "$WORK/scrape3.txt")" = \
	"$(jq '.devices[] | select(.device == 0 and .kind == "chip") | .usage.DRAM.bytes' "$WORK/alone.truth.json")"
release alone
kill -TERM "$EXP_PID"
wait "$EXP_PID"
check "self-attached exporter exits 0" test $? -eq 0
check "nothing left attached" test "$(loaded_progs)" -eq 0
finish
