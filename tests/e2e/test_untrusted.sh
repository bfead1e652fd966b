#!/bin/bash
# What other local users control must neither reach root's terminal nor
# stop tracing. Every attacker here runs as nobody: a process named with
# escape sequences and a library whose symbol is one (text output of
# ttbpf-trace, ttbpf-snapshot, --leaks and ttbpf-top is checked byte by
# byte); fake libtt_metal.so files mapped beside a genuine workload in a
# directory whose name holds a newline (discovery skips the fakes and
# traces the workload exactly); a FIFO handed to --lib.
source "$(dirname "$0")/lib.sh"
PIN=/sys/fs/bpf/ttbpf-e2e-untrusted-$$
v=${TTBPF_UNTRUSTED_VARIANT:-e4-release}
AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
HOSTILE=$'\e]0;pwned\a\e[2J'
SHOWN='\x1b]0;pwned\x07\x1b[2J'
TMUX_SOCK=ttbpf-e2e-untrusted-$$
cleanup_all() {
	tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
	"$TRACE" --unpin --pin-dir "$PIN" >/dev/null 2>&1
	cleanup
}
trap cleanup_all EXIT

chmod 755 "$WORK"
U=$WORK/u # the attacker's directory
install -d -o 65534 -g 65534 "$U"

# terminal_safe FILE: text a terminal only prints: no control byte but
# newline, valid UTF-8, no C1 control, and not empty.
terminal_safe() {
	python3 - "$1" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
if not data:
    sys.exit("empty output")
for i, b in enumerate(data):
    if (b < 0x20 and b != 0x0a) or b == 0x7f:
        sys.exit(f"byte 0x{b:02x} at {i}: {data[max(0, i - 40):i + 20]!r}")
try:
    text = data.decode("utf-8")
except UnicodeDecodeError as e:
    sys.exit(str(e))
for c in text:
    if 0x80 <= ord(c) <= 0x9f:
        sys.exit(f"C1 control U+{ord(c):04X}")
PY
}

# start_as_nobody NAME LIBDIR PRELOAD ARGS...: start_workload, as nobody.
start_as_nobody() {
	local name=$1 libdir=$2 preload=$3
	shift 3
	"${AS_NOBODY[@]}" env LD_LIBRARY_PATH="$libdir" ${preload:+LD_PRELOAD="$preload"} \
		"$RUN" --wait-go --hold-after --truth "$U/$name.truth.json" "$@" \
		>"$WORK/$name.out" 2>&1 &
	WL_PID[$name]=$!
	BG_PIDS+=($!)
	wait_line "$WORK/$name.out" '^ready pid=' 10
}

# --- a hostile comm and a hostile symbol --------------------------------
cc -shared -fPIC -O0 -fno-omit-frame-pointer -o "$U/hostile.so" \
	"$E2E/hostile_lib.c" -ldl
start_tracer evil --lib "$(lib_of $v)" --pin --pin-dir "$PIN" -i 200
start_as_nobody evil "$TTSIM/$v" "$U/hostile.so" --scenario leak --devices 1 \
	--seed 41 --count 40
pid=${WL_PID[evil]}
check "the workload runs as nobody under the hostile name" \
	test "$(stat -c %u "/proc/$pid")" = 65534 -a "$(cat "/proc/$pid/comm")" = "$HOSTILE"
go evil
wait_holding evil
"$SNAP" --pin-dir "$PIN" -p "$pid" >"$WORK/snap.txt" 2>&1
"$SNAP" --pin-dir "$PIN" --leaks --min-age 0 -p "$pid" >"$WORK/leaks.txt" 2>&1
"$SNAP" --pin-dir "$PIN" --json -p "$pid" >"$WORK/snap.json"
"$TOP" --pin-dir "$PIN" --once >"$WORK/top.txt" 2>&1
tmux -L "$TMUX_SOCK" new-session -d -s top -x 200 -y 50 "$TOP --pin-dir $PIN -r 200"
sleep 1
tmux -L "$TMUX_SOCK" capture-pane -p -t top >"$WORK/screen.txt"
title=$(tmux -L "$TMUX_SOCK" display-message -p -t top '#{pane_title}')
tmux -L "$TMUX_SOCK" kill-server
stop_tracer evil
"$TRACE" --unpin --pin-dir "$PIN" >/dev/null 2>&1
release evil

for f in evil.trace.out evil.trace.err snap.txt leaks.txt top.txt; do
	check "$f: no control byte reaches the terminal" terminal_safe "$WORK/$f"
done
# has_comm FILE: a line of pid $pid with the escaped name.
has_comm() {
	grep -E "pid $pid +" "$1" | grep -qF "$SHOWN"
}
sed -n '/^--- totals ---/,$p' "$WORK/evil.trace.out" >"$WORK/totals.txt"
check "events show the comm escaped" has_comm "$WORK/evil.trace.out"
check "the totals show the comm escaped" has_comm "$WORK/totals.txt"
check "snapshot shows the comm escaped" grep -qF "pid $pid $SHOWN:" "$WORK/snap.txt"
check "snapshot stacks show the symbol escaped" \
	grep -qxF "        $SHOWN" "$WORK/snap.txt"
check "--leaks stacks show the symbol escaped" \
	grep -qxF "    $SHOWN" "$WORK/leaks.txt"
check "top --once shows the comm escaped" grep -qF "$SHOWN" "$WORK/top.txt"
check "top's screen shows the comm escaped" grep -qF "$SHOWN" "$WORK/screen.txt"
check "top's screen was not retitled (title: $title)" test "$title" != pwned
check "JSON keeps the exact name" jq_true --arg h "$HOSTILE" \
	"[.processes[] | select(.pid == $pid)][0].comm == \$h" "$WORK/snap.json"

# --- fake libtt_metal.so beside a genuine workload ----------------------
# The genuine library sits in a directory named "a<newline>b": maps writes
# it as a\012b. The fakes: an ELF without TT-Metal, a text file.
nl=$'\n'
real_dir="$U/a${nl}b"
"${AS_NOBODY[@]}" mkdir "$U/fake-elf" "$U/fake-text" "$real_dir"
"${AS_NOBODY[@]}" cc -shared -fPIC -o "$U/fake-elf/libtt_metal.so" -x c /dev/null
"${AS_NOBODY[@]}" sh -c "printf 'not an elf\n' >'$U/fake-text/libtt_metal.so'"
"${AS_NOBODY[@]}" cp "$(lib_of $v)" "$real_dir/libtt_metal.so"
"${AS_NOBODY[@]}" env LD_PRELOAD="$U/fake-elf/libtt_metal.so" sleep 300 &
fake_elf=$!
BG_PIDS+=($fake_elf)
# The system python: nobody cannot enter root's pyenv.
"${AS_NOBODY[@]}" /usr/bin/python3 -c '
import mmap, sys, time
f = open(sys.argv[1], "rb")
m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
print("mapped", flush=True)
time.sleep(300)' "$U/fake-text/libtt_metal.so" >"$WORK/fake-text.out" &
fake_text=$!
BG_PIDS+=($fake_text)
wait_line "$WORK/fake-text.out" '^mapped' 10
for _ in $(seq 100); do grep -q fake-elf "/proc/$fake_elf/maps" && break; sleep 0.05; done
start_as_nobody real "$real_dir" "" --scenario steady --devices 2 --seed 42 --count 200
check "the genuine library's path reaches maps with \\012" \
	grep -qF 'a\012b/libtt_metal.so' "/proc/${WL_PID[real]}/maps"
"$TRACE" --explain >"$WORK/explain.out" 2>"$WORK/explain.err"
rc=$?
check "--explain without --lib skips the fakes (exit $rc)" bash -c "[ $rc -eq 0 ] &&
	[ \$(grep -c '^ttbpf-trace: skipping: .*/fake-.*/libtt_metal.so' '$WORK/explain.err') -eq 2 ]"
check "--explain shows the genuine library, escaped" \
	grep -qE '/a\\x0ab/libtt_metal.so$' "$WORK/explain.out"
check "--explain's text is terminal-safe" terminal_safe "$WORK/explain.out"
start_tracer disc --json -p "${WL_PID[real]}"
go real
wait_holding real
stop_tracer disc
rc=$?
release real
kill "$fake_elf" "$fake_text" 2>/dev/null
summary_of disc >"$WORK/disc.json"
check "the tracer ran to the end (exit $rc)" test "$rc" -eq 0
check "one warning line per fake, naming it" bash -c "
	[ \$(grep -c '^ttbpf: skipping .*/fake-elf/libtt_metal.so (mapped by pid $fake_elf): .*no allocator symbols' '$WORK/disc.trace.err') -eq 1 ] &&
	[ \$(grep -c '^ttbpf: skipping .*/fake-text/libtt_metal.so (mapped by pid [0-9]*): .*not an ELF file' '$WORK/disc.trace.err') -eq 1 ]"
check "the library under a newline is discovered and traced" \
	grep -qF "ttbpf: tracing $U/a\\x0ab/libtt_metal.so (mapped by pid ${WL_PID[real]})" \
	"$WORK/disc.trace.err"
check "discovery's messages are terminal-safe" terminal_safe "$WORK/disc.trace.err"
check "the genuine workload is traced exactly" \
	"$E2E/compare.py" "$WORK/disc.json" "$U/real.truth.json" --device-totals

# --- a FIFO as --lib -----------------------------------------------------
"${AS_NOBODY[@]}" mkfifo "$U/fifo.so"
timeout 10 "$TRACE" --lib "$U/fifo.so" >"$WORK/fifo.out" 2>"$WORK/fifo.err"
rc=$?
check "--lib FIFO fails at once, not blocked (exit $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
check "--lib FIFO says so in one line" bash -c \
	"[ \$(wc -l <'$WORK/fifo.err') -eq 1 ] && grep -q 'is a FIFO, not a library' '$WORK/fifo.err'"
timeout 10 "$TRACE" --explain --lib "$U/fifo.so" >/dev/null 2>&1
rc=$?
check "--explain on a FIFO fails at once too (exit $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
finish
