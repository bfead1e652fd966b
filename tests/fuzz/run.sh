#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Run every built libFuzzer target for SECONDS each, from a seed corpus
# made here in a temp dir. Builds nothing (make fuzz-build first).
#   tests/fuzz/run.sh SECONDS [FUZZ_DIR]   (FUZZ_DIR: build/fuzz)
# Crash inputs are kept under FUZZ_DIR/artifacts. Exits 1 on any crash.
set -u

secs=${1:?usage: run.sh SECONDS [FUZZ_DIR]}
root=$(cd "$(dirname "$0")/../.." && pwd)
fuzz_dir=$(cd "${2:-$root/build/fuzz}" && pwd) || exit 2
ttsim_dir=$(dirname "$fuzz_dir")/ttsim
art_dir=$fuzz_dir/artifacts
tmp=$(mktemp -d /tmp/ttbpf-fuzz.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$art_dir"

seed() { # seed TARGET NAME printf-format...
	local dir=$tmp/corpus/$1 name=$2
	shift 2
	mkdir -p "$dir"
	# shellcheck disable=SC2059
	printf "$@" >"$dir/$name"
}

# --layout strings: every key, both number bases, -1 where allowed.
seed fuzz_layout a 'size=8,impl=0x10'
seed fuzz_layout b 'impl=-1,mesh_id=-1,mesh_hop=0x18,mesh_devs=0x78'
seed fuzz_layout c 'device=0x8,type=0x20,address=0x28,page_size=0x30'
seed fuzz_layout d 'device_id=0x10,device_vtable=0x1234,mesh_vtable=0xfffff'
seed fuzz_layout e 'size=,=,,impl=0x'

# TT-Metal's shm record: zeros up to the first process slot (0x358), then
# pid 1 (this process, see fuzz_shm.c), totals and a name.
seed fuzz_shm a '%856s\001\000\000\000\000\000\000\000\001\002%46spython' ''
seed fuzz_shm b '%856s\001\000\000\000%52s\033[2J\377' ''

# First byte picks the parser (see fuzz_capacity.c).
seed fuzz_capacity a '\000DRAM=12G,L1=1464KiB'
seed fuzz_capacity b '\000l1_small=64K,trace=1T'
seed fuzz_capacity c '\001%s' 18446744073709551615
seed fuzz_capacity d '\0010x10'
seed fuzz_capacity e '\002L1_SMALL'
seed fuzz_capacity f '\003chip:3'
seed fuzz_capacity g '\003mesh:0'
seed fuzz_capacity h '\004blackhole'

# Load address (4 bytes) then code.
# mov rax,[rdi+0x10]; mov rax,[rax+0x8]; ret
seed fuzz_disasm a '\000\020\000\000\110\213\107\020\110\213\100\010\303'
# endbr64; push rbp; mov rbp,rsp; cmp dword [rdi+0x20],4; sete al; pop; ret
seed fuzz_disasm b '\000\020\000\000\363\017\036\372\125\110\211\345\203\177\040\004\017\224\300\135\303'
# test rdi,rdi; je +1; ud2; movzx eax,byte [rdi+8]; ret; jmp far away
seed fuzz_disasm c '\000\020\000\000\110\205\377\164\002\017\013\017\266\107\010\303\351\000\020\000\000'
# jmp [rax*8+table]; repz ret; ret 8
seed fuzz_disasm d '\000\020\000\000\377\044\305\000\040\000\000\363\303\302\010\000'

# Map values: zeros and a few rows of ones.
seed fuzz_state a '%0128d' 0
head -c 4096 /dev/urandom >"$tmp/corpus/fuzz_state/b"
printf '\003\005\002\007' >"$tmp/corpus/fuzz_state/c"
head -c 2000 /dev/zero | tr '\0' '\1' >>"$tmp/corpus/fuzz_state/c"

# ELF files: a tiny C++ library with classes and accessors, its stripped
# twin, and the stand-in TT-Metal release libraries when they are built.
mkdir -p "$tmp/corpus/fuzz_elf" "$tmp/src"
cat >"$tmp/src/tiny.cpp" <<'CPP'
#include <cstddef>
#include <cstdint>
namespace tt::tt_metal {
enum class BufferType { DRAM, L1, SYSTEM_MEMORY, L1_SMALL, TRACE };
class IDevice { public: virtual ~IDevice(); virtual int id() const; };
class Device : public IDevice { public: ~Device() override; int id() const override; int id_ = 0; };
IDevice::~IDevice() {}
int IDevice::id() const { return -1; }
Device::~Device() {}
int Device::id() const { return id_; }
struct BufferImpl { IDevice *device; std::size_t size; std::size_t page_size;
	BufferType type; std::uint64_t address; };
class Buffer {
public:
	std::size_t size() const;
	BufferType buffer_type() const;
	std::uint64_t address() const;
	IDevice *device() const;
	std::size_t page_size() const;
	bool is_trace() const;
	BufferImpl *impl_;
};
std::size_t Buffer::size() const { return impl_->size; }
BufferType Buffer::buffer_type() const { return impl_->type; }
std::uint64_t Buffer::address() const { return impl_->address; }
IDevice *Buffer::device() const { return impl_->device; }
std::size_t Buffer::page_size() const { return impl_->page_size; }
bool Buffer::is_trace() const { return impl_->type == BufferType::TRACE; }
class AllocatorImpl {
public:
	~AllocatorImpl();
	std::uint64_t allocate_buffer(Buffer *b);
	void deallocate_buffer(Buffer *b);
	void deallocate_buffers();
	void clear();
	std::uint64_t next_ = 64;
};
AllocatorImpl::~AllocatorImpl() { clear(); }
std::uint64_t AllocatorImpl::allocate_buffer(Buffer *b)
{ std::uint64_t a = next_; next_ += b->size(); return a; }
void AllocatorImpl::deallocate_buffer(Buffer *b) { if (b->size() == 0) next_ = 0; }
void AllocatorImpl::deallocate_buffers() { next_ = 64; }
void AllocatorImpl::clear() { deallocate_buffers(); }
}
CPP
for opt in -O2 "-O0 -g" "-O1 -g -gz=zlib"; do
	n=tiny${opt// /}
	# shellcheck disable=SC2086
	c++ -std=c++17 -shared -fPIC $opt -o "$tmp/corpus/fuzz_elf/$n.so" \
		"$tmp/src/tiny.cpp" 2>/dev/null
done
cp "$tmp/corpus/fuzz_elf/tiny-O2.so" "$tmp/corpus/fuzz_elf/tiny-stripped.so" &&
	strip "$tmp/corpus/fuzz_elf/tiny-stripped.so"
for e in 2 3 4; do
	lib=$ttsim_dir/e$e-release/libtt_metal.so
	[ -f "$lib" ] && cp "$lib" "$tmp/corpus/fuzz_elf/ttsim-e$e.so"
done
elf_max=$(stat -c %s "$tmp"/corpus/fuzz_elf/* | sort -n | tail -1)

pass=0
fail=0
for bin in "$fuzz_dir"/fuzz_*; do
	if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then continue; fi
	case $bin in *.o | *.d) continue ;; esac
	name=$(basename "$bin")
	corpus=$tmp/corpus/$name
	mkdir -p "$corpus"
	max_len=4096
	[ "$name" = fuzz_elf ] && max_len=$((elf_max + 4096))
	log=$tmp/$name.log
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len="$max_len" -print_final_stats=1 \
		-artifact_prefix="$art_dir/$name-" "$corpus" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(grep -o 'exec/s: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1))
		echo "ok - $name (${execs:-?} runs, ${rate:-?} exec/s)"
	else
		fail=$((fail + 1))
		echo "not ok - $name (exit $rc)"
		grep -m1 -E 'ERROR: (AddressSanitizer|libFuzzer)|runtime error' \
			"$log" | sed 's/^/#   /'
		grep -E '^ *#[0-9]+ ' "$log" | head -12 | sed 's/^/#   /'
		sed -n 's/.*Test unit written to \(.*\)/#   artifact: \1/p' "$log"
		cp "$log" "$art_dir/$name.log"
		echo "#   log: $art_dir/$name.log"
	fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
