#!/bin/bash
# The statically linked tools of `make dist`, run with no other file from
# this machine: inside a chroot that holds only the extracted tarball, a
# bind-mounted /proc and /sys (bpffs, BTF) and the traced library.
# Stand-in workloads run outside the chroot; ttbpf-trace --pin and
# ttbpf-snapshot --json inside it must equal their ground truth.
#
# The mounts live in a private mount namespace held by one helper process:
# they are never visible to the rest of the machine, and they vanish with
# the helper, whatever way this script ends (the trap also unmounts them
# first).
source "$(dirname "$0")/lib.sh"
DIST=${TTBPF_DIST:-$(dirname "$OUT")/dist}
v=${TTBPF_STATIC_VARIANT:-e4-release}
PIN=/sys/fs/bpf/ttbpf-e2e-static-$$
ROOT=$WORK/root
NS_PID=

cleanup_static() {
	if [ -n "$NS_PID" ]; then
		nsenter -t "$NS_PID" -m -- umount -R "$ROOT/proc" "$ROOT/sys" \
			"$ROOT$LIB" 2>/dev/null
		kill -KILL "$NS_PID" 2>/dev/null
		wait "$NS_PID" 2>/dev/null
	fi
	"$TRACE" --unpin --pin-dir "$PIN" >/dev/null 2>&1
}
trap 'cleanup_static; cleanup' EXIT

shopt -s nullglob
tarballs=("$DIST"/ttbpf-*-x86_64.tar.gz)
if [ ${#tarballs[@]} -ne 1 ]; then
	not_ok "one tarball in $DIST" "found ${#tarballs[@]}: run make dist"
	finish
fi
TARBALL=${tarballs[0]}
TOP=$(basename "$TARBALL" .tar.gz)
BIN=/$TOP/bin
# Every tool the build makes ships: a new one needs its man page.
TOOLS=$(cd "$OUT" && ls ttbpf-* | grep -v '\.')

# --- the tarball ------------------------------------------------------------

mkdir -p "$ROOT"
tar -C "$ROOT" -xzf "$TARBALL"
check "tarball holds only $TOP/" test "$(ls "$ROOT")" = "$TOP"
for t in $TOOLS; do
	check "tarball: bin/$t" test -x "$ROOT$BIN/$t"
	check "tarball: share/man/man8/$t.8" test -f "$ROOT/$TOP/share/man/man8/$t.8"
	check "$t: ldd says it is not dynamic" \
		bash -c "! ldd '$ROOT$BIN/$t' && ldd '$ROOT$BIN/$t' 2>&1 | grep -q 'not a dynamic executable'"
	check "$t: no program interpreter, no dynamic section" \
		bash -c "! readelf -lW '$ROOT$BIN/$t' | grep -Eq 'INTERP|DYNAMIC'"
	echo "# size $t: $(stat -c %s "$ROOT$BIN/$t") bytes"
done

# --- the chroot ---------------------------------------------------------------

LIB=$(realpath "$(lib_of "$v")")
mkdir -p "$ROOT/proc" "$ROOT/sys" "$ROOT$(dirname "$LIB")"
: >"$ROOT$LIB"
# What the chroot holds besides the mounts: the tarball, the mount points.
want=$( (tar -tzf "$TARBALL" | grep -v '/$' | sed 's|^|/|'; echo "$LIB") | sort)
got=$(cd "$ROOT" && find . -type f | sed 's|^\.||' | sort)
check "chroot holds only the tarball's files and the library's mount point" \
	test "$got" = "$want"

# Negative control: the dynamically linked build cannot even start in such
# a chroot, so what runs below needs nothing from this machine.
mkdir -p "$WORK/dynroot"
cp "$(dirname "$OUT")/release/ttbpf-trace" "$WORK/dynroot/"
check "negative control: the dynamic build does not start in an empty chroot" \
	bash -c "! chroot '$WORK/dynroot' /ttbpf-trace --version 2>/dev/null"

unshare -m --propagation private bash -c '
	mount --rbind /proc "$1/proc" && mount --rbind /sys "$1/sys" &&
	mount --bind "$2" "$1$2" && echo mounted && exec sleep 3600' \
	_ "$ROOT" "$LIB" >"$WORK/ns.out" 2>&1 &
NS_PID=$!
BG_PIDS+=("$NS_PID")
wait_line "$WORK/ns.out" '^mounted$' 10 || { not_ok "mount the chroot" "$(cat "$WORK/ns.out")"; finish; }
CHROOT=(nsenter -t "$NS_PID" -m -- chroot "$ROOT")

check "chroot has bpffs at /sys/fs/bpf" bash -c \
	"nsenter -t $NS_PID -m -- stat -f -c %T '$ROOT/sys/fs/bpf' | grep -qx bpf_fs"
check "chroot has the kernel's BTF" \
	nsenter -t "$NS_PID" -m -- test -r "$ROOT/sys/kernel/btf/vmlinux"
"${CHROOT[@]}" "$BIN/ttbpf-trace" --version >"$WORK/version.txt" 2>&1
check "static --version names the BPF object the build embedded" grep -qx \
	"BPF object: sha256 $(sha256sum "$(dirname "$OUT")/release/ttbpf.bpf.o" | cut -d' ' -f1), $(stat -c %s "$(dirname "$OUT")/release/ttbpf.bpf.o") bytes" \
	"$WORK/version.txt"
check "static --version names the linked libbpf" grep -Eqx 'libbpf: [0-9]+\.[0-9]+' "$WORK/version.txt"

# --- trace outside processes from inside ------------------------------------

progs_before=$(loaded_progs)
scenarios="steady leak threads"
for s in $scenarios; do
	start_workload "$s" "$v" --scenario "$s" --devices 2 --seed 41 --count 80
done
"${CHROOT[@]}" "$BIN/ttbpf-trace" --lib "$LIB" --pin --pin-dir "$PIN" \
	-i 0 --json >"$WORK/st.trace.out" 2>"$WORK/st.trace.err" &
TR_PID[st]=$!
BG_PIDS+=("${TR_PID[st]}")
if ! wait_line "$WORK/st.trace.err" '^ttbpf: attached' 30; then
	not_ok "static ttbpf-trace attaches inside the chroot" "$(cat "$WORK/st.trace.err")"
	finish
fi
ok "static ttbpf-trace attaches inside the chroot"
for s in $scenarios; do go "$s"; done
for s in $scenarios; do wait_holding "$s"; done
stop_tracer st
check "static ttbpf-trace exits 0 on SIGINT" test $? -eq 0

truths=()
for s in $scenarios; do truths+=("$WORK/$s.truth.json"); done
summary_of st >"$WORK/st.summary.json"
check "static trace --json summary equals ground truth (processes, devices)" \
	"$E2E/compare.py" "$WORK/st.summary.json" --device-totals "${truths[@]}"
check "static trace: no drops, unmatched frees or bad reads" jq_true \
	'.stats | .events_dropped == 0 and .unmatched_frees == 0 and .bad_reads == 0 and .implausible == 0' \
	"$WORK/st.summary.json"

"${CHROOT[@]}" "$BIN/ttbpf-snapshot" --pin-dir "$PIN" --json >"$WORK/snap.json" 2>"$WORK/snap.err"
check "static snapshot --json exits 0" test $? -eq 0
check "static snapshot --json equals ground truth buffer by buffer" \
	"$E2E/compare.py" "$WORK/snap.json" --device-totals --buffers "${truths[@]}"

# The JSON reference of the shipped man pages names every key the shipped
# tools print (events, summary; snapshot with and without --leaks).
"${CHROOT[@]}" "$BIN/ttbpf-snapshot" --pin-dir "$PIN" --json --leaks \
	--min-age 0 >"$WORK/snap-leaks.json" 2>&1
json_keys() { jq -r '[paths | .[] | strings] | unique | .[]' "$@" | sort -u; }
man_text() { MANWIDTH=200 man -l "$ROOT/$TOP/share/man/man8/$1.8" 2>/dev/null | col -b; }
none_missing() { [ -z "$1" ] || { echo "missing:" $1; return 1; }; }
# undocumented PAGES JSON...: keys that the JSON OUTPUT sections of the
# comma-separated PAGES lack (snapshot's refers to trace's for counters).
undocumented() {
	local pages=$1 p k
	shift
	for p in ${pages//,/ }; do
		man_text "$p" | sed -n '/^JSON OUTPUT/,/^[A-Z]/p'
	done >"$WORK/json-ref.txt"
	for k in $(json_keys "$@"); do
		grep -qw -- "$k" "$WORK/json-ref.txt" || echo "$k"
	done
}
missing=$(undocumented ttbpf-trace "$WORK/st.trace.out")
check "ttbpf-trace.8 documents every key of --json events and summary" \
	none_missing "$missing"
missing=$(undocumented ttbpf-snapshot,ttbpf-trace "$WORK/snap.json" "$WORK/snap-leaks.json")
check "ttbpf-snapshot.8 documents every key of --json (and --leaks)" \
	none_missing "$missing"
check "static trace --json: one alloc event per allocation" test \
	"$(grep -c '"event":"alloc"' "$WORK/st.trace.out")" -eq \
	"$(jq -s '[.[].devices[].usage[].allocs] | add' "${truths[@]}")"

# Symbols come from the bind-mounted library; C++ names are demangled by
# the demangler linked in, with no libstdc++ in the chroot.
"${CHROOT[@]}" "$BIN/ttbpf-snapshot" --pin-dir "$PIN" --leaks --min-age 0 \
	-p "${WL_PID[leak]}" >"$WORK/leaks.txt" 2>&1
check "static snapshot --leaks names the allocator, demangled" grep -q \
	'tt::tt_metal::.*allocate_buffer(tt::tt_metal::Buffer\*)' "$WORK/leaks.txt"

"${CHROOT[@]}" "$BIN/ttbpf-top" --pin-dir "$PIN" --once --plain >"$WORK/top.txt" 2>&1
check "static ttbpf-top --once exits 0" test $? -eq 0
for d in 0 1; do
	want=$(jq -s --argjson d $d '[.[].devices[] | select(.device == $d and .kind == "chip") | .usage.DRAM.bytes] | add' "${truths[@]}")
	check "static top: dev $d DRAM used $want B" \
		grep -qE "^  DRAM +used $want B" <(awk -v d="dev $d" '$0 == d {on=1; next} /^dev /{on=0} on' "$WORK/top.txt")
done

for s in $scenarios; do release "$s"; done
check "static ttbpf-trace --unpin inside the chroot" \
	"${CHROOT[@]}" "$BIN/ttbpf-trace" --unpin --pin-dir "$PIN"
check "the pinned directory is gone" test ! -e "$PIN"
# Programs go once the last link and fd are gone, a moment after unpin.
for _ in $(seq 40); do [ "$(loaded_progs)" -eq "$progs_before" ] && break; sleep 0.05; done
check "no program of ours left loaded" test "$(loaded_progs)" -eq "$progs_before"

# The mounts were never seen outside, and are gone with the namespace.
cleanup_static
NS_PID=
check "no mount under the chroot is left" \
	bash -c "! grep -qF '$ROOT' /proc/self/mountinfo"
finish
