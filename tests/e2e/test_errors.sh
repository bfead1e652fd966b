#!/bin/bash
# Bad input gets one line naming the cause with a hint, a non-zero exit,
# and nothing left attached: also when the failure comes after the BPF
# programs were loaded and the first probes attached.
source "$(dirname "$0")/lib.sh"
use_pin_dir

# Every BPF program and link on the machine: the suite runs under the
# shared lock, so nobody else loads any meanwhile.
bpf_objects() {
	echo "$(bpftool prog show | grep -c '^[0-9]\+:') programs," \
		"$(bpftool link show | grep -c '^[0-9]\+:') links"
}

# BYTE_IN_FILE FILE OFFSET: the byte there, as two hex digits.
byte_in_file() {
	od -An -tx1 -j "$(($2))" -N1 "$1" | tr -d ' '
}

# BYTE_IN_PROCESS PID FILE OFFSET: the byte at that file offset as the
# process sees it through its mapping: cc while a uprobe sits there.
byte_in_process() {
	python3 - "$@" <<'PY'
import os, sys
pid, path, off = int(sys.argv[1]), os.path.realpath(sys.argv[2]), int(sys.argv[3], 0)
for line in open(f"/proc/{pid}/maps"):
    f = line.split()
    if len(f) < 6 or f[5] != path:
        continue
    lo, hi = (int(x, 16) for x in f[0].split("-"))
    base = int(f[2], 16)
    if base <= off < base + hi - lo:
        with open(f"/proc/{pid}/mem", "rb") as m:
            m.seek(lo + off - base)
            print(m.read(1).hex())
        break
PY
}

# OFFSET of ROLE's probe site whose symbol matches REGEX, from --explain.
site_offset() { # LIB ROLE REGEX
	"$TRACE" --lib "$1" --explain | awk -v r="$2" -v s="$3" \
		'$1 == r && $0 ~ s { sub("file\\+", "", $3); print $3; exit }'
}

before=$(bpf_objects)

mkdir -p "$WORK/dir"
printf 'not an elf at all\n' >"$WORK/text.so"
head -c 100 "$(lib_of e4-release)" >"$WORK/truncated.so"
cp /bin/true "$WORK/nosyms.so"

expect_error "missing file" "no such file.*--lib" "$TRACE" --lib "$WORK/none.so"
expect_error "directory" "is a directory" "$TRACE" --lib "$WORK/dir"
expect_error "not ELF" "not an ELF file" "$TRACE" --lib "$WORK/text.so"
expect_error "truncated ELF" "truncated|not an ELF" "$TRACE" --lib "$WORK/truncated.so"
expect_error "no allocator symbols" "no allocator symbols.*E4.*E3.*E2" "$TRACE" --lib "$WORK/nosyms.so"
expect_error "bad --layout" "layout" "$TRACE" --lib "$(lib_of e4-release)" --layout size=banana
expect_error "bpffs missing for --pin" "bpffs.*mount -t bpf" \
	"$TRACE" --lib "$(lib_of e4-release)" --pin --pin-dir "$WORK/dir/ttbpf"
if command -v setpriv >/dev/null; then
	expect_error "not root" "root|CAP_BPF" \
		setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$TRACE" --lib "$(lib_of e4-release)"
fi
expect_error "bad pid" "PID" "$TRACE" -p abc
check "refused before loading: nothing loaded" test "$(bpf_objects)" = "$before"

# Late failures. A copy of the library whose destructor starts with a byte
# no x86-64 instruction starts with: uprobes refuse it when they are put
# into a process that maps the file, which happens after the programs are
# loaded, the exit and exec tracepoints attached and the allocate,
# deallocate and first bulk-release probes attached (the destructor is
# the last site).
GOOD=$(lib_of e4-release)
BAD=$WORK/bad/libtt_metal.so
mkdir -p "$WORK/bad"
cp "$GOOD" "$BAD"
alloc=$(site_offset "$GOOD" alloc-entry AllocatorImpl15allocate_buffer)
dtor=$(site_offset "$GOOD" bulk-free AllocatorImplD2Ev)
check "the destructor is the last probe site" test \
	"$("$TRACE" --lib "$GOOD" --explain | grep -E '^  (alloc-entry|free-entry|bulk-free) ' | tail -1 | awk '{print $3}')" = "file+$dtor"
printf '\x06' | dd of="$BAD" bs=1 seek=$((dtor)) conv=notrunc status=none
push=$(byte_in_file "$GOOD" "$alloc")
LD_LIBRARY_PATH="$WORK/bad" "$RUN" --wait-go --hold-after \
	--truth "$WORK/bad.truth.json" >"$WORK/bad.out" 2>&1 &
bad_pid=$!
BG_PIDS+=("$bad_pid")
wait_line "$WORK/bad.out" '^ready pid=' 10
start_workload good e4-release
good_pid=${WL_PID[good]}
check "the workload maps the patched copy" grep -qF "$BAD" "/proc/$bad_pid/maps"

# Controls: a tracer that attached shows in both counts and in the code.
start_tracer control --lib "$GOOD" -p "$good_pid"
check "control: an attached tracer adds programs and links" \
	test "$(bpf_objects)" != "$before"
check "control: its probe shows as int3 in the traced process" \
	test "$(byte_in_process "$good_pid" "$GOOD" "$alloc")" = cc
stop_tracer control
check "control: gone once it stopped" test "$(bpf_objects)" = "$before"
check "control: the entry is a push again ($push)" \
	test "$(byte_in_process "$good_pid" "$GOOD" "$alloc")" = "$push"

late() { # NAME ARGS...: the probe fails late; nothing of it stays
	local name=$1
	shift
	expect_error "$name: one line naming the probe" \
		"attaching a uprobe to .*bad/libtt_metal.so\+$dtor .*D2Ev.*cannot probe the instruction" \
		"$TRACE" "$@"
	check "$name: nothing left loaded or attached" \
		test "$(bpf_objects)" = "$before"
	check "$name: no probe left in the process" \
		test "$(byte_in_process "$bad_pid" "$BAD" "$alloc")" = "$push"
}
late "late attach failure" --lib "$BAD"
late "late attach failure, second library" --lib "$GOOD" --lib "$BAD"
check "second library: no probe left on the first library" \
	test "$(byte_in_process "$good_pid" "$GOOD" "$alloc")" = "$push"
late "late attach failure with --pin" --lib "$BAD" --pin --pin-dir "$PIN"
check "--pin: the pin directory it made is gone" test ! -e "$PIN"
finish
