// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
//
// Types shared by every era of the stand-in, named and laid out as in
// tenstorrent/tt-metal. TTSIM_ERA (2, 3 or 4) selects the ABI era.
#ifndef TTSIM_METAL_HPP
#define TTSIM_METAL_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#if !defined(TTSIM_ERA) || (TTSIM_ERA != 2 && TTSIM_ERA != 3 && TTSIM_ERA != 4)
#error "build with -DTTSIM_ERA=2, 3 or 4"
#endif

// Late 2024 (E2) kept Buffer and Device in `inline namespace v0`: it is part
// of every mangled name that mentions them.
#if TTSIM_ERA == 2
#define TTSIM_V0_BEGIN      \
	inline namespace v0 \
	{
#define TTSIM_V0_END }
#else
#define TTSIM_V0_BEGIN
#define TTSIM_V0_END
#endif

namespace ttsim
{
struct layout_check;
struct access;
} // namespace ttsim

namespace tt::tt_metal
{

using DeviceAddr = uint64_t;
using chip_id_t = int;

enum class BufferType : int {
	DRAM = 0,
	L1 = 1,
	SYSTEM_MEMORY = 2,
	L1_SMALL = 3,
	TRACE = 4,
};

enum class TensorMemoryLayout : int {
	INTERLEAVED = 0,
	HEIGHT_SHARDED = 2,
	WIDTH_SHARDED = 3,
	BLOCK_SHARDED = 4,
	ND_SHARDED = 5,
};

// Strong types over uint8_t / uint64_t, as in sub_device_types.hpp.
struct SubDeviceId {
	uint8_t id;
};
struct SubDeviceManagerId {
	uint64_t id;
};

struct CoreCoord {
	size_t x;
	size_t y;
};

class CoreRangeSet
{
      public:
	explicit CoreRangeSet(uint32_t num_cores) : num_cores_(num_cores)
	{
	}
	uint32_t num_cores() const
	{
		return num_cores_;
	}

      private:
	uint32_t num_cores_;
};

// Only their size matters here: they sit after page_size_, beyond what a
// tracer reads.
struct ShardSpecBuffer {
	std::vector<CoreCoord> grid;
	std::array<uint32_t, 2> shape;
	int orientation;
	int mode;
	std::optional<std::array<uint32_t, 2>> physical_shard_shape;
	std::array<uint32_t, 2> page_shape;
	std::array<uint32_t, 2> tensor2d_shape;
};

struct BufferDistributionSpec {
	std::vector<uint32_t> tensor_shape;
	std::vector<uint32_t> shard_shape;
	std::vector<CoreCoord> cores;
};

struct BufferPageMapping;

struct AllocatorConfig {
	uint32_t num_dram_channels;
	DeviceAddr dram_bank_size;
	DeviceAddr dram_unreserved_base;
	DeviceAddr trace_region_size;
	uint32_t num_l1_banks;
	DeviceAddr worker_l1_size;
	DeviceAddr l1_unreserved_base;
	DeviceAddr l1_small_size;
	uint32_t dram_alignment;
	uint32_t l1_alignment;
};

class IDevice;
class GraphTracker;
TTSIM_V0_BEGIN
class Device;
class Buffer;
TTSIM_V0_END

#if TTSIM_ERA == 4
class AllocatorImpl;
using AllocatorT = AllocatorImpl;
#elif TTSIM_ERA == 3
class Allocator;
using AllocatorT = Allocator;
#else
struct Allocator;
using AllocatorT = Allocator;
#endif

#if TTSIM_ERA == 2
using BufferDevice = Device;
#else
using BufferDevice = IDevice;
#endif

} // namespace tt::tt_metal

#endif
