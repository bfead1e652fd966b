#!/bin/bash
# Tests of the stand-in TT-Metal itself: exported names per era, DWARF and
# .symtab per build, function entries, and the allocator's books in every
# scenario and variant (checked against the buffers it lists).
# Usage: tests/ttsim/run.sh TTSIM_OUT     Ends with "N passed, N failed".
set -u
TTSIM=$(cd "${1:?usage: run.sh TTSIM_OUT}" && pwd)
RUN=$TTSIM/ttsim-run
VARIANTS=${TTSIM_VARIANTS:-"e4-debug e4-release e3-debug e3-release e2-debug e2-release"}
WORK=$(mktemp -d /tmp/ttsim-tests.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$WORK"' EXIT
source "$(dirname "$0")/../tap.sh"

# Real mangled names of each era (tt-metal-abi.md, section 1).
E4_SYMS="_ZN2tt8tt_metal13AllocatorImpl15allocate_bufferEPNS0_6BufferE
_ZN2tt8tt_metal13AllocatorImpl17deallocate_bufferEPNS0_6BufferE
_ZN2tt8tt_metal13AllocatorImpl18deallocate_buffersEv
_ZN2tt8tt_metal13AllocatorImpl5clearEv
_ZN2tt8tt_metal13AllocatorImplD1Ev
_ZN2tt8tt_metal13AllocatorImplD2Ev
_ZN2tt8tt_metal12GraphTracker14track_allocateEPKNS0_6BufferE
_ZN2tt8tt_metal12GraphTracker16track_deallocateEPNS0_6BufferE
_ZTVN2tt8tt_metal6DeviceE
_ZNK2tt8tt_metal6Device2idEv
_ZTVN2tt8tt_metal11distributed10MeshDeviceE
_ZNK2tt8tt_metal11distributed10MeshDevice2idEv
_ZNK2tt8tt_metal6Buffer4sizeEv
_ZNK2tt8tt_metal6Buffer7addressEv
_ZNK2tt8tt_metal6Buffer11buffer_typeEv
_ZNK2tt8tt_metal6Buffer6deviceEv
_ZNK2tt8tt_metal6Buffer12aligned_sizeEv
_ZNK2tt8tt_metal6Buffer17aligned_page_sizeEv
_ZNK2tt8tt_metal6Buffer9unique_idEv
_ZNK2tt8tt_metal6Buffer9page_sizeEv"
E3_SYMS="_ZN2tt8tt_metal9Allocator15allocate_bufferEPNS0_6BufferE
_ZN2tt8tt_metal9Allocator17deallocate_bufferEPNS0_6BufferE
_ZN2tt8tt_metal9Allocator18deallocate_buffersEv
_ZN2tt8tt_metal9Allocator5clearEv
_ZN2tt8tt_metal9AllocatorD1Ev
_ZN2tt8tt_metal12GraphTracker14track_allocateEPKNS0_6BufferE
_ZN2tt8tt_metal12GraphTracker16track_deallocateEPNS0_6BufferE
_ZTVN2tt8tt_metal6DeviceE
_ZNK2tt8tt_metal6Device2idEv
_ZTVN2tt8tt_metal11distributed10MeshDeviceE
_ZNK2tt8tt_metal11distributed10MeshDevice2idEv
_ZNK2tt8tt_metal6Buffer7addressEv
_ZNK2tt8tt_metal6Buffer12aligned_sizeEv"
E2_SYMS="_ZN2tt8tt_metal9allocator15allocate_bufferERNS0_9AllocatorEPNS0_2v06BufferE
_ZN2tt8tt_metal9allocator17deallocate_bufferERNS0_9AllocatorEPNS0_2v06BufferE
_ZN2tt8tt_metal9allocator18deallocate_buffersERNS0_9AllocatorE
_ZN2tt8tt_metal9allocator5clearERNS0_9AllocatorE
_ZN2tt8tt_metal12GraphTracker14track_allocateEPKNS0_2v06BufferE
_ZN2tt8tt_metal12GraphTracker16track_deallocateEPNS0_2v06BufferE
_ZTVN2tt8tt_metal2v06DeviceE
_ZNK2tt8tt_metal2v06Device2idEv
_ZTVN2tt8tt_metal11distributed10MeshDeviceE
_ZNK2tt8tt_metal11distributed10MeshDevice2idEv
_ZNK2tt8tt_metal2v06Buffer7addressEv"
# Inline in E2/E3 (not exported there).
INLINE_E3="_ZNK2tt8tt_metal6Buffer4sizeEv _ZNK2tt8tt_metal6Buffer6deviceEv _ZNK2tt8tt_metal6Buffer11buffer_typeEv _ZNK2tt8tt_metal6Buffer9unique_idEv"
INLINE_E2="_ZNK2tt8tt_metal2v06Buffer4sizeEv _ZNK2tt8tt_metal2v06Buffer6deviceEv _ZNK2tt8tt_metal2v06Buffer11buffer_typeEv"

ALLOC_E4=_ZN2tt8tt_metal13AllocatorImpl15allocate_bufferEPNS0_6BufferE
ALLOC_E3=_ZN2tt8tt_metal9Allocator15allocate_bufferEPNS0_6BufferE
ALLOC_E2=_ZN2tt8tt_metal9allocator15allocate_bufferERNS0_9AllocatorEPNS0_2v06BufferE

syms_of() { # ERA
	case $1 in
	e4) echo "$E4_SYMS" ;;
	e3) echo "$E3_SYMS" ;;
	e2) echo "$E2_SYMS" ;;
	esac
}

alloc_of() {
	case $1 in
	e4) echo $ALLOC_E4 ;;
	e3) echo $ALLOC_E3 ;;
	e2) echo $ALLOC_E2 ;;
	esac
}

has_all() { # LIB SYMS...
	local lib=$1 s missing=()
	shift
	nm -D --defined-only "$lib" | awk '{print $3}' >"$WORK/dynsym"
	for s in "$@"; do
		grep -qxF "$s" "$WORK/dynsym" || missing+=("$s")
	done
	[ ${#missing[@]} -eq 0 ] || { echo "missing: ${missing[*]}"; return 1; }
}

has_none() { # LIB SYMS...
	local lib=$1 s found=()
	shift
	nm -D --defined-only "$lib" | awk '{print $3}' >"$WORK/dynsym"
	for s in "$@"; do
		grep -qxF "$s" "$WORK/dynsym" && found+=("$s")
	done
	[ ${#found[@]} -eq 0 ] || { echo "exported: ${found[*]}"; return 1; }
}

sections() { # LIB
	readelf -SW "$1" | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^\./) {print $i; break}}'
}

debug_sections_ok() { # LIB CFG
	local s
	s=$(sections "$1")
	grep -qx .dynsym <<<"$s" || { echo "no .dynsym"; return 1; }
	if [ "$2" = debug ]; then
		grep -qx .debug_info <<<"$s" || { echo "no .debug_info"; return 1; }
		grep -qx .symtab <<<"$s" || { echo "no .symtab"; return 1; }
	else
		! grep -qx .debug_info <<<"$s" || { echo ".debug_info present"; return 1; }
		! grep -qx .symtab <<<"$s" || { echo ".symtab present"; return 1; }
	fi
}

# First bytes of a dynamic symbol's code, as hex.
code_of() { # LIB SYM NBYTES
	local addr off va fo
	addr=$(nm -D --defined-only "$1" | awk -v s="$2" '$3 == s {print $1}')
	[ -n "$addr" ] || return 1
	# Symbol value -> file offset through the .text section header.
	read -r va fo < <(readelf -SW "$1" | awk '{
		for (i = 1; i < NF; i++)
			if ($i == ".text" && $(i + 1) == "PROGBITS") {
				print $(i + 2), $(i + 3); exit
			} }')
	[ -n "$va" ] || return 1
	off=$((16#$addr - 16#$va + 16#$fo))
	od -An -tx1 -j "$off" -N "$3" "$1" | tr -d ' \n'
}

entry_is_push() { # LIB SYM: starts with push %rbp/%r.., not endbr64
	local code
	code=$(code_of "$1" "$2" 4) || { echo "no $2"; return 1; }
	case $code in
	f30f1efa*) echo "starts with endbr64: $code"; return 1 ;;
	55* | 41[5][0-7]*) return 0 ;;
	*) echo "entry $code is not a push"; return 1 ;;
	esac
}

# Books balance: per (device, kind, type) allocs - frees == buffers,
# bytes/aligned_bytes/buffers equal the listed live buffers, peak >= bytes,
# every type key present, numbers are integers.
BALANCE='
def types: ["DRAM", "L1", "SYSTEM_MEMORY", "L1_SMALL", "TRACE"];
. as $t
| ($t.devices | length > 0)
and all($t.devices[];
	. as $d
	| (.usage | keys | sort) == (types | sort)
	and all(types[];
		. as $ty
		| $d.usage[$ty] as $u
		| ([$t.buffers[] | select(.type == $ty and (if $d.kind == "chip" then (.chips | index($d.device)) != null else .device == $d.device and .kind == $d.kind end))]) as $l
		| ([$u[]] | all(type == "number" and . == floor and . >= 0))
		and $u.allocs - $u.frees == $u.buffers
		and $u.buffers == ($l | length)
		and $u.bytes == ([$l[].size] | add // 0)
		and $u.aligned_bytes == ([$l[].aligned_size] | add // 0)
		and $u.peak_bytes >= $u.bytes
		and $u.aligned_bytes >= $u.bytes))
and all($t.buffers[]; .size > 0 and .aligned_size >= .size and .buffer > 0)
and ([$t.buffers[].buffer] | length == (unique | length))'

balanced() { # TRUTH
	jq_true "$BALANCE" "$1" >/dev/null || { echo "unbalanced: $(head -c 600 "$1")"; return 1; }
}

run_wl() { # VARIANT NAME ARGS... (truth in $WORK/NAME.json, output in .out)
	local v=$1 name=$2
	shift 2
	LD_LIBRARY_PATH="$TTSIM/$v" timeout 60 "$RUN" --truth "$WORK/$name.json" "$@" \
		>"$WORK/$name.out" 2>&1
}

check "driver exists" test -x "$RUN"
check "driver has no rpath" bash -c "! readelf -dW '$RUN' | grep -qE 'RPATH|RUNPATH'"
check "driver leak sites are dynamic symbols" bash -c \
	"nm -D --defined-only '$RUN' | grep -qw leak_kv_cache_dram && nm -D --defined-only '$RUN' | grep -qw leak_activations_l1"
nm -D --undefined-only "$RUN" | awk '$2 ~ /^_ZN5ttsim/ {print $2}' >"$WORK/needed"

for v in $VARIANTS; do
	era=${v%-*}
	cfg=${v#*-}
	lib=$TTSIM/$v/libtt_metal.so
	if [ ! -f "$lib" ]; then
		not_ok "$v: library built" "$lib missing"
		continue
	fi
	# shellcheck disable=SC2046
	check "$v: exports the real $era names" has_all "$lib" $(syms_of "$era")
	for other in e2 e3 e4; do
		[ "$other" = "$era" ] && continue
		check "$v: no $other allocator names" has_none "$lib" \
			"$(alloc_of "$other")"
	done
	case $era in
	e3) check "$v: inline accessors not exported" has_none "$lib" $INLINE_E3 ;;
	e2) check "$v: inline accessors not exported" has_none "$lib" $INLINE_E2 ;;
	esac
	# shellcheck disable=SC2046
	check "$v: every ttsim:: function the driver calls" has_all "$lib" $(cat "$WORK/needed")
	check "$v: .debug_info/.symtab only in debug, .dynsym kept" \
		debug_sections_ok "$lib" "$cfg"
	check "$v: SONAME libtt_metal.so" bash -c \
		"readelf -dW '$lib' | grep -q 'SONAME.*\[libtt_metal.so\]'"
	check "$v: allocate_buffer starts with a push" entry_is_push "$lib" "$(alloc_of "$era")"

	run_wl "$v" "$v-variant" --scenario steady --count 1
	check "$v: variant reported by the library" \
		jq_true --arg e "$era" '.variant == $e' "$WORK/$v-variant.json"

	for s in steady leak oom close mesh threads burst hold reopen; do
		args=(--scenario "$s" --devices 2 --seed 3)
		case $s in
		burst) args+=(--count 2000) ;;
		threads) args+=(--threads 4 --count 100) ;;
		esac
		if [ "$s" = hold ]; then
			# hold waits for a signal: release it once it holds.
			LD_LIBRARY_PATH="$TTSIM/$v" "$RUN" --truth "$WORK/$v-$s.json" \
				"${args[@]}" >"$WORK/$v-$s.out" 2>&1 &
			pid=$!
			for _ in $(seq 200); do
				grep -q '^holding' "$WORK/$v-$s.out" && break
				sleep 0.05
			done
			kill -USR1 $pid
			wait $pid
		else
			run_wl "$v" "$v-$s" "${args[@]}"
		fi
		rc=$?
		if [ $rc -ne 0 ]; then
			not_ok "$v: $s exits 0" "rc=$rc: $(tail -3 "$WORK/$v-$s.out")"
			continue
		fi
		ok "$v: $s exits 0"
		check "$v: $s books balance" balanced "$WORK/$v-$s.json"
		check "$v: $s names its scenario and pid" jq_true --arg s "$s" \
			'.scenario == $s and (.pid | type == "number")' "$WORK/$v-$s.json"
	done

	t=$WORK/$v
	check "$v: steady ends with buffers outstanding" jq_true \
		'[.devices[].usage[].buffers] | add > 0' "$t-steady.json"
	check "$v: steady touched both devices and all four types" jq_true \
		'(.devices | length == 2) and ([.devices[].usage | to_entries[] | select(.value.allocs > 0) | .key] | unique == ["DRAM","L1","L1_SMALL","TRACE"])' \
		"$t-steady.json"
	check "$v: reopen holds only its last round's 100 buffers" jq_true \
		'[.devices[].usage[].buffers] | add == 100' "$t-reopen.json"
	check "$v: leak keeps exactly the named sites' buffers" jq_true \
		'[.devices[].usage[].buffers] | add == 20' "$t-leak.json"
	check "$v: oom failures counted and caught" jq_true \
		'[.devices[].usage[].failures] | add > 3' "$t-oom.json"
	check "$v: oom failures match the workload's count" test \
		"$(jq '[.devices[].usage[].failures] | add' "$t-oom.json")" -eq \
		"$(awk '/allocation failures caught/ {print $2}' "$t-oom.out")"
	check "$v: oom L1 failure after L1 filled" jq_true \
		'.devices[0].usage.L1.failures > 0 and .devices[0].usage.DRAM.failures > 0 and .devices[0].usage.TRACE.failures > 0' \
		"$t-oom.json"
	check "$v: close empties the closed device's books" jq_true \
		'.devices[] | select(.kind == "chip" and .device == 0) | [.usage[]] | all(.bytes == 0 and .buffers == 0 and .aligned_bytes == 0 and .allocs == .frees) and (map(.allocs) | add > 0)' \
		"$t-close.json"
	check "$v: close leaves the other device's buffers" jq_true \
		'[.devices[] | select(.device == 1) | .usage[].buffers] | add > 0' "$t-close.json"
	check "$v: mesh buffers booked on each chip of the mesh, no mesh row" jq_true \
		'([.devices[] | select(.kind == "mesh")] | length == 0) and ([.buffers[] | select(.chips == [0,1])] | length > 0) and ([.buffers[] | select(.chips | length == 1)] | length > 0)' \
		"$t-mesh.json"
	check "$v: chip 1 holds exactly the mesh buffers (shards never reach the allocator)" jq_true \
		'. as $t | [.devices[] | select(.kind == "chip" and .device == 1) | .usage | to_entries[] | .key as $k | .value.bytes == ([$t.buffers[] | select((.chips | index(1)) and .type == $k) | .size] | add // 0)] | all' \
		"$t-mesh.json"
	check "$v: threads counted every allocation" jq_true \
		'[.devices[].usage[].allocs] | add == 4 * 5 * 11' "$t-threads.json"
	run_wl "$v" "$v-threads2" --scenario threads --devices 2 --seed 3 --threads 4 --count 100
	check "$v: threads: same books on a second run (peaks too)" test \
		"$(jq -c '[.devices[].usage]' "$t-threads.json")" = \
		"$(jq -c '[.devices[].usage]' "$t-threads2.json")"
	check "$v: burst frees every buffer it allocates" jq_true \
		'.devices[0].usage | (.DRAM.allocs + .L1.allocs == 2000) and (.DRAM.bytes + .L1.bytes == 0)' \
		"$t-burst.json"
	check "$v: burst reports its rate" grep -qE '^burst: 2000 pairs in .* pairs/s, .* ns/pair$' "$t-burst.out"
	check "$v: hold keeps every buffer" jq_true \
		'[.devices[].usage[].buffers] | add == 50' "$t-hold.json"
done

# Protocol: ready -> SIGUSR1 -> done, holding -> SIGUSR1 -> exit 0.
v=${VARIANTS%% *}
PROTO_OUT=$WORK/proto.out
LD_LIBRARY_PATH="$TTSIM/$v" "$RUN" --scenario steady --count 50 --wait-go \
	--hold-after --truth "$WORK/proto.json" >"$PROTO_OUT" 2>&1 &
pid=$!
wait_line() {
	for _ in $(seq 200); do
		grep -qE "$1" "$PROTO_OUT" && return 0
		sleep 0.05
	done
	return 1
}
check "protocol: ready line with the pid" wait_line "^ready pid=$pid\$"
sleep 0.2
check "protocol: no work before the go signal" test ! -e "$WORK/proto.json"
kill -USR1 $pid
check "protocol: done then holding" wait_line '^holding$'
check "protocol: truth written before done" jq_true ".pid == $pid" "$WORK/proto.json"
kill -TERM $pid
wait $pid
check "protocol: SIGTERM while holding exits 0" test $? -eq 0

# Strict option parsing.
for bad in "--count abc" "--count 0" "--devices 0" "--seed -1" "--scenario nope" \
	"--rate 1x" "--threads 999" "stray"; do
	# shellcheck disable=SC2086
	LD_LIBRARY_PATH="$TTSIM/$v" "$RUN" $bad >/dev/null 2>&1
	check "options: '$bad' rejected" test $? -eq 2
done

# Offsets in the E4 accessors' code (release build, as decoded by a tracer).
lib=$TTSIM/e4-release/libtt_metal.so
if [ -f "$lib" ]; then
	acc() { code_of "$lib" "_ZNK2tt8tt_metal6Buffer$1" 12; }
	# mov 0x10(%rdi),%rax = 48 8b 47 10
	check "e4: Buffer::size reads impl_ (+16) then +8" bash -c "[[ '$(acc 4sizeEv)' == 488b4710488b4008c3* ]]"
	check "e4: Buffer::address reads +16 then +64" bash -c "[[ '$(acc 7addressEv)' == 488b47108b4040c3* ]]"
	check "e4: Buffer::page_size reads +16 then +72" bash -c "[[ '$(acc 9page_sizeEv)' == 488b4710488b4048c3* ]]"
	check "e4: Buffer::buffer_type reads +16 then +16" bash -c "[[ '$(acc 11buffer_typeEv)' == 488b47108b4010c3* ]]"
fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
