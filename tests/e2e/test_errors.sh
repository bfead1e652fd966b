#!/bin/bash
# Bad input gets one line naming the cause with a hint, a non-zero exit,
# and nothing left attached.
source "$(dirname "$0")/lib.sh"

before=$(loaded_progs)

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
check "nothing left attached" test "$(loaded_progs)" -eq "$before"
finish
