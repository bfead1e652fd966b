// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
//
// The era-independent face of the stand-in libtt_metal.so. ttsim-run talks
// to every variant (e2, e3, e4; debug and release) through these functions
// only, so one driver binary links against one variant and runs against all
// of them: every name here mangles the same in every era. Behind them the
// library takes the real call path (Buffer::create -> allocate_impl ->
// allocator -> BankManager -> GraphTracker) of its era.
#ifndef TTSIM_H
#define TTSIM_H

#include <cstdint>
#include <vector>

namespace ttsim
{

enum mem_type {
	MEM_DRAM = 0,
	MEM_L1 = 1,
	MEM_SYSTEM_MEMORY = 2,
	MEM_L1_SMALL = 3,
	MEM_TRACE = 4,
	MEM_NUM_TYPES = 5,
};

// Wormhole-like defaults (see default_config()); every field overridable.
struct config {
	uint32_t dram_banks;
	uint64_t dram_bank_size;
	uint64_t dram_unreserved_base;
	uint64_t trace_region_size;
	uint32_t l1_banks;
	uint64_t worker_l1_size;
	uint64_t l1_unreserved_base;
	uint64_t l1_small_size;
	uint32_t dram_alignment;
	uint32_t l1_alignment;
	uint32_t sub_devices; // allocators per device
};

struct device; // a chip (tt::tt_metal::Device) or a MeshDevice
struct buffer; // owns one std::shared_ptr<Buffer>

// Ground truth kept by the stand-in allocator itself.
struct usage {
	uint64_t bytes;		// sum of Buffer::size() of live buffers
	uint64_t aligned_bytes; // sum of Buffer::aligned_size()
	uint64_t buffers;
	uint64_t peak_bytes;
	uint64_t allocs;
	uint64_t frees; // per-buffer frees and buffers released in bulk
	uint64_t failures;
};

struct device_books {
	int device;
	bool mesh;
	usage u[MEM_NUM_TYPES];
};

struct live_buffer {
	uint64_t buffer; // the Buffer* the allocator saw
	uint64_t address;
	uint64_t size;
	uint64_t aligned_size;
	int type;
	int device; // a mesh buffer: its lowest chip
	bool mesh;
	uint64_t chips; // every chip holding it (bit = id), 0 for a mesh row
};

const char *variant();
const char *type_name(int type);
void default_config(config *cfg);

device *open_device(int id, const config *cfg);
// A MeshDevice over chips (their allocators stay unused, as in real
// TT-Metal); it owns one allocator per sub-device; ids come from a
// process-wide counter.
device *open_mesh(const std::vector<device *> &chips, const config *cfg);
int device_id(const device *dev);
bool device_is_mesh(const device *dev);
// Where the IDevice and the allocator of sub_device live: a test shows
// that a new device took the memory of a destroyed one.
uintptr_t device_object(const device *dev);
uintptr_t device_allocator(const device *dev, int sub_device);
// Bulk release: every allocator of the device drops all of its buffers via
// deallocate_buffers(), without per-buffer deallocate_buffer calls.
void close_device(device *dev);
// Only once no buffer of the device is left.
void destroy_device(device *dev);

// Allocates through the allocator of sub_device (< 0: the default one).
// Throws std::runtime_error("Out of Memory: ...") from inside the
// allocator when a bank is full.
buffer *create_buffer(device *dev, int sub_device, int type, uint64_t size,
		      uint64_t page_size);
// A buffer at a fixed address (owns_data_ = false): never allocated.
buffer *create_buffer_at(device *dev, uint64_t address, int type, uint64_t size,
			 uint64_t page_size);
// Drops the reference: ~Buffer -> deallocate_impl -> deallocate_buffer.
void destroy_buffer(buffer *buf);
uint64_t buffer_address(const buffer *buf);

void books(std::vector<device_books> *devices,
	   std::vector<live_buffer> *buffers);

} // namespace ttsim

#endif
