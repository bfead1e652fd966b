#!/bin/bash
# ttbpf-trace --record FILE.db: the events table equals the trace's own
# --json events one by one; usage samples equal ground truth; a tracer
# killed with SIGKILL mid-run leaves a file that passes integrity_check
# and holds a prefix of the trace; --record-max bounds the file and says
# how much was not recorded; and root never writes through what another
# user planted (links, a swappable directory, existing files).
source "$(dirname "$0")/lib.sh"
v=${TTBPF_RECORD_VARIANT:-e4-release}
AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
if ! command -v sqlite3 >/dev/null; then
	echo "skip: sqlite3 not installed (tools/install-deps.sh installs it)"
	exit 77
fi
integrity() {
	[ "$(sqlite3 "$1" 'PRAGMA integrity_check')" = ok ]
}

# --- a clean run --------------------------------------------------------
start_tracer rec --lib "$(lib_of $v)" --json -i 200 --record "$WORK/r.db"
# The oom workload runs under a name made to break HTML.
HOSTILE=$'<s>"&\'\nx'
cp "$RUN" "$WORK/$HOSTILE"
for s in steady oom leak; do
	[ "$s" = oom ] && RUN_SAVED=$RUN && RUN=$WORK/$HOSTILE
	start_workload "$s" "$v" --scenario "$s" --devices 2 --seed 7 --count 120
	[ "$s" = oom ] && RUN=$RUN_SAVED
done
for s in steady oom leak; do go "$s"; done
for s in steady oom leak; do wait_holding "$s"; done
sleep 0.6 # at least two samples while everything holds
t_release=$(($(date +%s%N)))
for s in steady oom leak; do release "$s"; done
stop_tracer rec
check "clean run: integrity_check ok" integrity "$WORK/r.db"
check "clean run: WAL journal" test "$(sqlite3 "$WORK/r.db" 'PRAGMA journal_mode')" = wal
check "clean run: the file is root's, mode 0600" test "$(stat -c %u:%a "$WORK/r.db")" = 0:600
check "clean run: every traced event recorded, in order, field by field" \
	"$E2E/record_compare.py" "$WORK/r.db" "$WORK/rec.trace.out"
check "clean run: alloc_failed events of the oom workload recorded" test \
	"$(sqlite3 "$WORK/r.db" "SELECT count(*) FROM events WHERE kind = 'alloc_failed' AND pid = ${WL_PID[oom]}")" -eq \
	"$(jq '[.devices[].usage[].failures] | add' "$WORK/oom.truth.json")"
# The last sample before the release equals each workload's books.
for s in steady oom leak; do
	pid=${WL_PID[$s]}
	sqlite3 -json "$WORK/r.db" "SELECT device, dev_kind, type, bytes, buffers FROM samples
		WHERE pid = $pid AND ts_ns = (SELECT max(ts_ns) FROM samples WHERE pid = $pid AND ts_ns < $t_release)
		AND bytes > 0 ORDER BY device, type" >"$WORK/$s.samples.json"
	check "clean run: $s's last sample holding equals ground truth" test \
		"$(jq -c 'sort_by(.device, .type) | map([.device, .dev_kind, .type, .bytes, .buffers])' "$WORK/$s.samples.json")" = \
		"$(jq -c '[.devices[] as $d | $d.usage | to_entries[] | select(.value.bytes > 0) |
			[$d.device, $d.kind, .key, .value.bytes, .value.buffers]] | sort_by(.[0], .[2])' "$WORK/$s.truth.json")"
done
# Closing its devices released exactly what the books held: the stored
# released rows of the events after the release, summed per device and
# type (a process may close each device in its own bulk_free).
for s in steady oom leak; do
	pid=${WL_PID[$s]}
	check "clean run: $s's stored released rows sum to its books" test \
		"$(sqlite3 -json "$WORK/r.db" "SELECT r.device, r.dev_kind, r.type, sum(r.size) AS bytes,
			sum(r.count) AS buffers FROM released r JOIN events e ON e.id = r.event_id
			WHERE e.pid = $pid AND e.ts_ns >= $t_release GROUP BY 1, 2, 3" |
			jq -c 'map(select(.bytes > 0) | [.device, .dev_kind, .type, .bytes, .buffers]) | sort_by(.[0], .[2])')" = \
		"$(jq -c '[.devices[] as $d | $d.usage | to_entries[] | select(.value.bytes > 0) |
			[$d.device, $d.kind, .key, .value.bytes, .value.buffers]] | sort_by(.[0], .[2])' "$WORK/$s.truth.json")"
done
check "clean run: the leak's allocations have symbolized stacks" test \
	"$(sqlite3 "$WORK/r.db" "SELECT count(*) FROM stacks WHERE pid = ${WL_PID[leak]} AND frames LIKE '%leak_kv_cache_dram%'")" -gt 0
check "clean run: meta names the library and the end" test \
	"$(sqlite3 "$WORK/r.db" "SELECT count(*) FROM meta WHERE key IN ('library.0', 'end_ns', 'start_ns') OR (key = 'events_not_recorded' AND value = '0')")" -eq 4

# --- ttbpf-report on that recording, rendered by headless Chromium -----
REPORT=$OUT/ttbpf-report
"$REPORT" "$WORK/r.db" -o "$WORK/report.html"
check "report: written, mode 0600" test "$(stat -c %a "$WORK/report.html")" = 600
check "report: nothing loaded from elsewhere (no src= or href=)" \
	bash -c "! grep -Eq '(src|href)=' '$WORK/report.html'"
expect_error "report: an existing -o file is not overwritten" 'exists: not overwritten' \
	"$REPORT" "$WORK/r.db" -o "$WORK/report.html"
if command -v chromium >/dev/null; then
	chromium --headless --no-sandbox --disable-gpu --dump-dom \
		"file://$WORK/report.html" >"$WORK/dom.html" 2>/dev/null
	chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--window-size=1000,1500 --screenshot="$WORK/report.png" \
		"file://$WORK/report.html" >/dev/null 2>&1
	check "report: Chromium renders it and runs its script" \
		grep -q 'charts rendered' "$WORK/dom.html"
	check "report: a screenshot is taken" test -s "$WORK/report.png"
	check "report: charts, peaks and failures equal the recording and the trace" \
		python3 - "$WORK/dom.html" "$WORK/r.db" "$WORK/rec.trace.out" <<'PY'
import html.parser, json, re, sqlite3, sys
dom, db, trace = sys.argv[1:4]
class P(html.parser.HTMLParser):
    """Charts: [device, type, peak, failure sizes, live buffer sizes];
    the sites' bytes; failure rows; every tag seen."""
    def __init__(s):
        super().__init__(); s.charts = []; s.fail_rows = 0; s.tags = set()
        s.table = None; s.sites = []
    def handle_starttag(s, tag, a):
        a = dict(a); s.tags.add(tag)
        if tag == "svg" and "data-type" in a:
            s.charts.append([a["data-device"], a["data-type"], int(a["data-peak"]), [], []])
        if tag == "g" and a.get("class") == "failure":
            s.charts[-1][3].append(int(a["data-size"]))
        if tag == "tr" and a.get("class") == "failure":
            s.fail_rows += 1
        if tag == "details" and a.get("class") == "live":
            s.table = "live"
        if tag == "table" and a.get("id"):
            s.table = a["id"]
    def handle_endtag(s, tag):
        if tag == "details" and s.table == "live":
            s.table = None
    def handle_data(s, d):
        # The "N B" cells: sizes of live buffers, bytes of sites.
        if re.fullmatch(r"[0-9]+ B", d):
            if s.table == "live":
                s.charts[-1][4].append(int(d[:-2]))
            elif s.table == "sites":
                s.sites.append(int(d[:-2]))
p = P(); p.feed(open(dom).read())
con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
want = {(str(d), t): b for d, t, b in con.execute(
    "SELECT device, type, max(bytes) FROM samples WHERE pid = 0 AND dev_kind = 'chip'"
    " GROUP BY device, type HAVING max(peak) > 0")}
got = {(c[0], c[1]): c[2] for c in p.charts}
if got != want:
    sys.exit(f"charts and peaks {got} != highest samples {want}")
fails = [json.loads(l) for l in open(trace) if '"event":"alloc_failed"' in l]
if p.fail_rows != len(fails) or not fails:
    sys.exit(f"{p.fail_rows} failure rows, {len(fails)} traced")
marked = sorted(x for c in p.charts for x in c[3])
if marked != sorted(e["size"] for e in fails):
    sys.exit(f"failure marks {marked} != traced sizes")
if "s" in p.tags:
    sys.exit("the hostile comm became an <s> element")
# Buffers live at a peak fit in it: an allocation that threw is not live.
for c in p.charts:
    if not c[4] or sum(c[4]) > c[2]:
        sys.exit(f"chip {c[0]} {c[1]}: live buffers {c[4]} vs peak {c[2]}")
# Sites count what was allocated: allocations that threw are not.
ev = [json.loads(l) for l in open(trace) if '"event":"alloc' in l]
nxt, ok_bytes = {}, 0
for e in reversed(ev):
    k = (e["pid"], e["buffer"])
    if e["event"] == "alloc" and nxt.get(k) != "alloc_failed":
        ok_bytes += e["size"]
    nxt[k] = e["event"]
if not p.sites or sum(p.sites) > ok_bytes:
    sys.exit(f"sites add up to {sum(p.sites)} B, {ok_bytes} B allocated")
print(f"{len(got)} charts, {len(fails)} failures, sites {sum(p.sites)} of {ok_bytes} B")
PY
	check "report: the hostile name is shown escaped" \
		grep -qF '&lt;s&gt;&quot;&amp;&#39;\x0ax' "$WORK/report.html"
	check "report: the top sites name the leaking function" \
		grep -q 'leak_kv_cache_dram' "$WORK/dom.html"
else
	echo "skip: chromium not installed (tools/install-deps.sh installs it)"
fi
# A schema 1 file (before Python chains) still makes the same sites.
cp "$WORK/r.db" "$WORK/v1.db"
sqlite3 "$WORK/v1.db" "ALTER TABLE events DROP COLUMN py_stack_id; DROP TABLE py_stacks;
	UPDATE meta SET value = '1' WHERE key = 'schema_version'"
"$REPORT" "$WORK/v1.db" -o "$WORK/v1.html"
check "report: a schema 1 recording gives the same top sites" test \
	"$(sed -n '/id="sites"/,$p' "$WORK/v1.html")" = "$(sed -n '/id="sites"/,$p' "$WORK/report.html")"

# --- Python lines: recorded, and shown in the report ------------------
# py_leak.py allocates from functions at lines marked by comments; the
# recording keeps each allocation's Python chain as "file:line function",
# and the report names the allocating line before the native frames in
# the peak's live buffers and in the top sites.
find_pythons
if [ ${#pythons[@]} -eq 0 ]; then
	echo "skip: no CPython 3.10-3.13 installed: Python lines not checked"
else
	py=${pythons[${#pythons[@]} - 1]}
	start_py pyrec "$py"
	start_tracer pyrec --lib "$(lib_of e4-release)" --quiet -i 100 --record "$WORK/py.db"
	py_go pyrec
	wait_line "$WORK/pyrec.out" '^holding' 20
	sleep 0.4 # samples while it holds
	py_release pyrec
	stop_tracer pyrec
	"$OUT/ttbpf-report" "$WORK/py.db" -o "$WORK/py.html"
	# co_qualname from 3.11 on; 3.10 has the plain name.
	q=$("$py" -c 'import sys; print("Model." if sys.version_info >= (3, 11) else "")')
	W="$PY_SCRIPT:$(line_of LEAK-WEIGHTS) alloc_weights"
	CHAIN="$W
$PY_SCRIPT:$(line_of CALL-WEIGHTS) ${q}build
$PY_SCRIPT:$(line_of CALL-BUILD) main
$PY_SCRIPT:$(line_of CALL-MAIN) <module>"
	CACHE_LINE="$PY_SCRIPT:$(line_of LEAK-CACHE) ${q}cache"
	SCRATCH_LINE="$PY_SCRIPT:$(line_of FREED-SCRATCH) scratch"
	pid=${WL_PID[pyrec]}
	check "python: schema version 3" test \
		"$(sqlite3 "$WORK/py.db" "SELECT value FROM meta WHERE key = 'schema_version'")" = 3
	check "python: the three 1 MiB DRAM allocations carry the chain alloc_weights <- build <- main <- <module>" test \
		"$(sqlite3 "$WORK/py.db" "SELECT count(*) FROM events e JOIN py_stacks p ON p.pid = e.pid AND p.py_stack_id = e.py_stack_id
			WHERE e.pid = $pid AND e.kind = 'alloc' AND e.type = 'DRAM' AND e.size = 1048576 AND p.frames = '$CHAIN'")" -eq 3
	check "python: the thread's L1 allocation starts at its own line" test \
		"$(sqlite3 "$WORK/py.db" "SELECT p.frames FROM events e JOIN py_stacks p ON p.pid = e.pid AND p.py_stack_id = e.py_stack_id
			WHERE e.pid = $pid AND e.kind = 'alloc' AND e.type = 'L1' AND e.size = 4096" | head -1)" = "$CACHE_LINE"
	if command -v chromium >/dev/null; then
		chromium --headless --no-sandbox --disable-gpu --dump-dom \
			"file://$WORK/py.html" >"$WORK/py.dom.html" 2>/dev/null
		check "python: the rendered report names the allocating lines, Python before native" \
			python3 - "$WORK/py.dom.html" "$CHAIN" "$CACHE_LINE" "$SCRATCH_LINE" <<'PYCHECK'
import html.parser, sys
dom, chain, cache, scratch = sys.argv[1:5]
class P(html.parser.HTMLParser):
    """Per chart: its live buffers' (size, stack text); the sites' rows."""
    def __init__(s):
        super().__init__(); s.charts = []; s.sites = []; s.where = None
        s.buf = None; s.cells = []
    def handle_starttag(s, tag, a):
        a = dict(a)
        if tag == "svg" and "data-type" in a:
            s.charts.append((a["data-device"], a["data-type"], []))
        if tag == "table" and a.get("id") in ("sites", "failures"):
            s.where = a["id"]
        if tag == "tr":
            s.cells = []
        if tag in ("td", "summary", "pre"):
            s.buf = []
    def handle_data(s, d):
        if s.buf is not None:
            s.buf.append(d)
    def handle_endtag(s, tag):
        if tag in ("td", "summary", "pre") and s.buf is not None:
            s.cells.append("".join(s.buf)); s.buf = None
        if tag == "tr" and s.cells and len(s.cells) >= 4:
            if s.where == "sites":
                s.sites.append(s.cells)  # bytes, count, summary, pre, td
            elif s.where is None and s.charts:
                s.charts[-1][2].append(s.cells)  # pid, comm, size, pre, td
p = P(); p.feed(open(dom).read())
err = []
live = {(c[0], c[1]): c[2] for c in p.charts}
dram = live.get(("0", "DRAM"), [])
if [r[2] for r in dram] != ["1048576 B"] * 3:
    err.append(f"chip 0 DRAM live at the peak: {[r[2] for r in dram]}")
for r in dram:
    lines = r[3].split("\n")
    if lines[:4] != chain.split("\n"):
        err.append(f"live buffer stack starts {lines[:5]}")
    elif not any("create_buffer" in x for x in lines[4:]):
        err.append(f"no native frame after the Python lines: {lines}")
sites = {r[2]: r for r in p.sites}
top = p.sites[0] if p.sites else None
if not top or top[2] != chain.split("\n")[0] or top[:2] != ["3145728 B", "3"]:
    err.append(f"top site {top and top[:3]}")
elif not top[3].startswith(chain + "\n") or "create_buffer" not in top[3]:
    err.append(f"top site stack {top[3]!r}")
if sites.get(cache, [None, None])[:2] != ["4096 B", "1"]:
    err.append(f"no site {cache!r} of 4096 B: {list(sites)}")
if sites.get(scratch, [None, None])[:2] != ["8192 B", "1"]:
    err.append(f"no site {scratch!r} of 8192 B: {list(sites)}")
print("\n".join(err) or f"{len(p.sites)} sites, {len(dram)} live DRAM buffers")
sys.exit(1 if err else 0)
PYCHECK
	fi
fi

# --- SIGKILL mid-run ----------------------------------------------------
start_tracer kill --lib "$(lib_of $v)" --json -i 100 --record "$WORK/k.db"
start_workload burst "$v" --scenario burst --devices 2 --seed 3 --count 200000
go burst
wait_line "$WORK/kill.trace.out" '"event":"alloc"' 20
sleep 1
kill -KILL "${TR_PID[kill]}"
wait "${TR_PID[kill]}" 2>/dev/null
wait_holding burst 300
release burst
check "SIGKILL: integrity_check ok" integrity "$WORK/k.db"
check "SIGKILL: the recorded events are the trace's first ones, exactly" \
	"$E2E/record_compare.py" "$WORK/k.db" "$WORK/kill.trace.out" --prefix
check "nothing left attached after the SIGKILLed tracer" test "$(loaded_progs)" -eq 0

# --- the size bound -----------------------------------------------------
start_tracer bound --lib "$(lib_of $v)" --json -i 100 --record "$WORK/b.db" --record-max 1
start_workload burst2 "$v" --scenario burst --devices 1 --seed 4 --count 30000
go burst2
wait_holding burst2 120
release burst2
stop_tracer bound
traced=$(grep -c '"event":"\(alloc\|free\|alloc_failed\|bulk_free\|exit\|exec\)"' "$WORK/bound.trace.out")
recorded=$(sqlite3 "$WORK/b.db" 'SELECT count(*) FROM events')
lost=$(sqlite3 "$WORK/b.db" "SELECT value FROM meta WHERE key = 'events_not_recorded'")
check "bound: the file stays within 1 MiB ($(stat -c %s "$WORK/b.db") B)" \
	test "$(stat -c %s "$WORK/b.db")" -le 1048576
check "bound: integrity_check ok" integrity "$WORK/b.db"
check "bound: recorded ($recorded) + not recorded ($lost) = traced ($traced)" \
	test "$((recorded + ${lost:-0}))" -eq "$traced" -a "${lost:-0}" -gt 0
check "bound: the tracer says events were not recorded" \
	grep -q 'events not recorded in .*--record-max reached' "$WORK/bound.trace.err"

# --- what another user can plant ---------------------------------------
chmod 755 "$WORK"
S=$WORK/sticky
mkdir -m 1777 "$S"
echo precious >"$WORK/victim"
"${AS_NOBODY[@]}" ln -s "$WORK/victim" "$S/link.db"
expect_error "a planted link as FILE.db is refused" 'exists: not overwritten' \
	"$TRACE" --lib "$(lib_of $v)" --record "$S/link.db"
expect_error "--force on a planted link is refused" 'symbolic link' \
	"$TRACE" --lib "$(lib_of $v)" --record "$S/link.db" --force
"${AS_NOBODY[@]}" ln -s "$WORK/victim" "$S/x.db-wal"
expect_error "a planted link as FILE.db-wal is refused" 'x.db-wal exists' \
	"$TRACE" --lib "$(lib_of $v)" --record "$S/x.db"
"${AS_NOBODY[@]}" sh -c "echo theirs >'$S/theirs.db'"
expect_error "--force on another user's file is refused" 'not a regular file of yours' \
	"$TRACE" --lib "$(lib_of $v)" --record "$S/theirs.db" --force
check "the link's target is untouched" test "$(cat "$WORK/victim")" = precious
check "the other user's file is untouched" test "$(cat "$S/theirs.db")" = theirs
mkdir -m 0777 "$WORK/open"
expect_error "a directory others can write, not sticky, is refused" 'not sticky' \
	"$TRACE" --lib "$(lib_of $v)" --record "$WORK/open/r.db"
expect_error "an existing file is not overwritten without --force" 'exists: not overwritten' \
	"$TRACE" --lib "$(lib_of $v)" --record "$WORK/r.db"
check "nothing left attached after the refusals" test "$(loaded_progs)" -eq 0
finish
