#!/bin/bash
# ttbpf on the Release libtt_metal.so shipped in real ttnn wheels (no
# DWARF, no flags): symbols, probe sites (all on instructions the kernel
# emulates) and the full Buffer/Device layout must be found, the offsets
# must equal what that version's headers imply,
# and probes must attach to the real file and detach cleanly.
# Usage: tests/real/test_real_binaries.sh TOOLS_OUT
# The wheels are fetched into the cache (tools/fetch-ttnn.sh, outside git)
# when missing; a version is skipped, saying why, only when the package
# index cannot be reached. Any other fetch failure fails the test.
set -u -o pipefail
OUT=${1:?tools output dir}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PASS=0
FAIL=0
SKIPPED=0
ok() { echo "ok - $1"; PASS=$((PASS + 1)); }
not_ok() { echo "not ok - $1: $2"; FAIL=$((FAIL + 1)); }

# Offsets each version's headers imply (derivation in README.md,
# "Compatibility"): ttnn version, era, impl, device, size, type, address,
# page_size, device_id.
#  0.64.5 (tt-metal v0.64.5): Buffer : enable_shared_from_this (16 bytes),
#    members inline from +16 in buffer.hpp's declaration order;
#    Device : IDevice (vptr) with id_ first => +8.
#  0.81.1 (tt-metal v0.81.1): Buffer holds unique_ptr<BufferImpl> after the
#    16-byte base => impl +16; buffer_impl.hpp members from +0.
#    Device id: from 0.67.4 on, Device::id() is `mov eax,[rdi+0x18]; ret`
#    (objdump of the wheel's .symtab entry, checked independently of our
#    disassembler): id_ is no longer the first member after the vptr.
#  Mesh chips, then: mesh_hop mesh_devs mesh_stride mesh_local.
#  0.64.5: MeshDevice::get_devices() calls MeshDeviceView::get_devices()
#    on [this+0x60] (view_), which hands view + 0x178 to
#    extract_locals(vector<MaybeRemote<IDevice*>>); extract_locals steps 16
#    bytes and takes an element when the byte at +8 is 1 (objdump).
#  0.81.1: MeshDevice::get_devices() copies the vector<IDevice*> at
#    [[this+0x18]+0x78] (pimpl_, then MeshDeviceImpl's devices), begin and
#    end compared before the copy (objdump).
EXPECT=(
	"0.64.5 3 -1 16 24 32 80 88 8 96 376 16 8"
	"0.81.1 4 16 0 8 16 64 72 24 24 120 8 -1"
)

# The library of version $1, fetched if not cached; fetch's exit status.
lib_for() {
	"$ROOT/tools/fetch-ttnn.sh" "$1" 2>"$FETCH_ERR" | tail -1
}
FETCH_ERR=$(mktemp)
trap 'rm -f "$FETCH_ERR"' EXIT

field() { # EXPLAIN_FILE NAME -> value
	awk -v n="$2" '$1 == n {print $2; exit}' "$1"
}

for row in "${EXPECT[@]}"; do
	read -r v era impl device size type address page dev_id \
		mesh_hop mesh_devs mesh_stride mesh_local <<<"$row"
	lib=$(lib_for "$v")
	rc=$?
	if [ $rc -eq 77 ]; then
		echo "skip - ttnn $v: $(tail -1 "$FETCH_ERR")"
		SKIPPED=$((SKIPPED + 1))
		continue
	elif [ $rc -ne 0 ] || [ ! -f "$lib" ]; then
		not_ok "ttnn $v: fetch" "$(tail -1 "$FETCH_ERR")"
		continue
	fi
	ex=$(mktemp)
	if ! "$OUT/ttbpf-trace" --explain --lib "$lib" >"$ex" 2>&1; then
		not_ok "ttnn $v: --explain" "$(head -3 "$ex")"
		continue
	fi
	if grep -q "era: E$era " "$ex"; then ok "ttnn $v: era E$era"; else not_ok "ttnn $v: era" "$(grep era: "$ex")"; fi
	for f in alloc-entry free-entry bulk-free; do
		if grep -q "^  $f " "$ex"; then ok "ttnn $v: $f site found"; else not_ok "ttnn $v: $f site" "missing"; fi
	done
	# Every probe on an instruction the kernel emulates: none single-stepped.
	if grep -q "single-stepped" "$ex"; then
		not_ok "ttnn $v: no probe single-stepped" "$(grep single-stepped "$ex")"
	else
		ok "ttnn $v: no probe single-stepped"
	fi
	for kv in impl:$impl device:$device size:$size type:$type address:$address page_size:$page device_id:$dev_id \
		mesh_hop:$mesh_hop mesh_devs:$mesh_devs mesh_stride:$mesh_stride \
		mesh_local:$mesh_local; do
		k=${kv%%:*}
		want=${kv#*:}
		got=$(field "$ex" "$k")
		if [ "$got" = "$want" ]; then ok "ttnn $v: $k = $want"; else not_ok "ttnn $v: $k" "got $got, headers imply $want"; fi
	done
	if grep -qE '^  (size|address|type) .* profile' "$ex"; then
		not_ok "ttnn $v: size/type/address from machine code" "$(grep -E '^  (size|address|type) ' "$ex")"
	else
		ok "ttnn $v: size/type/address from machine code, not a profile"
	fi
	if grep -qE '^  mesh_(hop|devs|stride|local) .* accessor +MeshDevice::get_devices' "$ex" &&
		[ "$(grep -cE '^  mesh_(hop|devs|stride|local) .* accessor ' "$ex")" = 4 ]; then
		ok "ttnn $v: mesh chips from MeshDevice::get_devices()'s code"
	else
		not_ok "ttnn $v: mesh chips from machine code" "$(grep -E '^  mesh_' "$ex")"
	fi
	# Real attach: probes on the real file while a command runs, then gone.
	before=$(bpftool prog show | grep -cE 'name (alloc_entry|free_entry|bulk_free)')
	if "$OUT/ttbpf-trace" --lib "$lib" --quiet -- true >"$ex" 2>&1; then
		ok "ttnn $v: probes attach to the real library"
	else
		not_ok "ttnn $v: attach" "$(tail -3 "$ex")"
	fi
	after=$(bpftool prog show | grep -cE 'name (alloc_entry|free_entry|bulk_free)')
	if [ "$before" = "$after" ]; then ok "ttnn $v: detached cleanly"; else not_ok "ttnn $v: detach" "$before programs before, $after after"; fi
	rm -f "$ex"
done
echo "$PASS passed, $FAIL failed, $SKIPPED skipped"
[ "$FAIL" -eq 0 ]
