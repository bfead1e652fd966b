#!/bin/bash
# ttbpf-exporter scraped by a real Prometheus server (Debian's) on loopback,
# shared by tests/e2e/test_exporter.sh (stand-in TT-Metal) and
# tests/real/test_mock_exporter.sh (real ttnn in mock mode). The caller
# sets WORK, BG_PIDS and EXPORTER, and calls prom_stop before its cleanup
# removes $WORK.
#   prom_require                       exit 77 unless the tools are here
#   start_exporter NAME ARGS...        sets EXP_PID, EXP_PORT
#   prom_start EXPORTER_PORT           sets PROM_PID, P (the API's URL)
#   q PROMQL                           first value of an instant query
#   until_ok SECONDS CMD...            CMD passes within SECONDS
PROM_PID=

prom_require() {
	local tool
	for tool in prometheus promtool curl jq; do
		if ! command -v "$tool" >/dev/null; then
			echo "0 passed, 0 failed"
			echo "skip: $tool not installed (tools/install-deps.sh installs it)"
			exit 77
		fi
	done
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_exporter NAME ARGS...: on a free loopback port, which it names in
# its start-up line.
start_exporter() {
	local name=$1 i
	shift
	"$EXPORTER" --listen 127.0.0.1:0 "$@" >"$WORK/$name.exp.out" 2>"$WORK/$name.exp.err" &
	EXP_PID=$!
	BG_PIDS+=("$EXP_PID")
	EXP_PORT=
	for ((i = 0; i < 600; i++)); do
		EXP_PORT=$(sed -n 's/^ttbpf-exporter: serving \/metrics on port \([1-9][0-9]*\).*/\1/p' "$WORK/$name.exp.err")
		[ -n "$EXP_PORT" ] && return 0
		kill -0 "$EXP_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "ttbpf-exporter did not start:" >&2
	tail -5 "$WORK/$name.exp.err" >&2
	return 1
}

# prom_start EXPORTER_PORT: Prometheus scraping it every second, its TSDB
# in $WORK/prom.
prom_start() {
	local pport
	pport=$(free_port)
	P=http://127.0.0.1:$pport
	mkdir -p "$WORK/prom"
	cat >"$WORK/prom.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: ttbpf
    static_configs:
      - targets: ['127.0.0.1:$1']
YML
	prometheus --config.file="$WORK/prom.yml" --storage.tsdb.path="$WORK/prom" \
		--web.listen-address="127.0.0.1:$pport" --log.level=warn \
		>"$WORK/prom.log" 2>&1 &
	PROM_PID=$!
	BG_PIDS+=("$PROM_PID")
}

# Stop Prometheus first on the way out, so it writes nothing into $WORK
# while that is removed.
prom_stop() {
	[ -n "$PROM_PID" ] && kill -TERM "$PROM_PID" 2>/dev/null && wait "$PROM_PID" 2>/dev/null
	PROM_PID=
}

q() {
	curl -sf "$P/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[0].value[1] // empty'
}

# Number of series an instant query returns.
q_count() {
	curl -sf "$P/api/v1/query" --data-urlencode "query=$1" |
		jq '.data.result | length'
}

# Scrapes are 1 s apart: poll CMD four times a second; on success or at
# the end, print its last output (what explains a failure).
until_ok() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 4; i++)); do
		"$@" >"$WORK/until.out" 2>&1 && { cat "$WORK/until.out"; return 0; }
		sleep 0.25
	done
	cat "$WORK/until.out"
	return 1
}

# Prometheus has scraped the exporter: ttbpf_up is 1.
prom_scraping() {
	[ "$(q ttbpf_up)" = 1 ]
}

# Everything freed: device series are all 0 and no process series is left.
prom_all_zero() {
	[ "$(q_count 'sum(ttbpf_device_memory_used_bytes) == 0 and count(ttbpf_device_memory_used_bytes) > 0')" = 1 ] &&
		[ "$(q_count ttbpf_process_memory_used_bytes)" = 0 ]
}
