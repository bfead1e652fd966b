// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
//
// The device allocator of each era, from tt_metal/impl/allocator/
// allocator.hpp and bank_manager.hpp:
//   E4: class AllocatorImpl, member functions.
//   E3: class Allocator, member functions.
//   E2: struct Allocator plus free functions in namespace allocator.
// Not virtual (no vptr): the first member is the std::mutex. BankManager's
// first member is its BufferType.
#ifndef TTSIM_ALLOCATOR_HPP
#define TTSIM_ALLOCATOR_HPP

#include <map>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "metal.hpp"

namespace tt::tt_metal
{

#if TTSIM_ERA == 2
namespace allocator
{
#endif

// First fit over [offset, offset + size) of one bank; one list serves all
// banks of a BankManager because interleaved buffers take the same range
// in every bank.
class FreeList
{
      public:
	FreeList(DeviceAddr size, DeviceAddr offset, DeviceAddr alignment);
	std::optional<DeviceAddr> allocate(DeviceAddr size, bool bottom_up);
	void deallocate(DeviceAddr address);
	void clear();

      private:
	std::map<DeviceAddr, DeviceAddr> free_;		  // address -> size
	std::unordered_map<DeviceAddr, DeviceAddr> used_; // address -> size
	DeviceAddr size_;
	DeviceAddr offset_;
	DeviceAddr alignment_;
};

class BankManager
{
      public:
	BankManager(BufferType buffer_type, uint32_t num_banks,
		    DeviceAddr size_bytes, uint32_t alignment_bytes,
		    DeviceAddr alloc_offset);
	~BankManager();

	uint32_t num_banks() const;
	DeviceAddr allocate_buffer(DeviceAddr size, DeviceAddr page_size,
				   bool bottom_up,
				   const CoreRangeSet &compute_grid,
				   std::optional<uint32_t> num_shards);
	void deallocate_buffer(DeviceAddr address);
	void deallocate_all();
	void clear();

      private:
	friend struct ::ttsim::layout_check;

	BufferType buffer_type_;
	std::unordered_set<DeviceAddr> allocated_buffers_;
	std::unordered_map<uint32_t, int64_t> bank_id_to_bank_offset_;
	std::unique_ptr<FreeList> allocator_;
	DeviceAddr interleaved_address_limit_ = 0;
	uint32_t alignment_bytes_;
};

#if TTSIM_ERA == 2
} // namespace allocator
#endif

// Whose books an allocator writes: a chip or a mesh (stand-in only; kept
// after the real members).
struct AllocatorOwner {
	int id;
	bool mesh;
	uint64_t chips; // a mesh: its chips (bit = Device id), booked on each
};

#if TTSIM_ERA == 2
struct Allocator {
	Allocator(const AllocatorConfig &alloc_config, AllocatorOwner owner);
	~Allocator();

	std::mutex mutex_;
	std::unique_ptr<allocator::BankManager> dram_manager_;
	std::unique_ptr<allocator::BankManager> l1_manager_;
	std::unique_ptr<allocator::BankManager> l1_small_manager_;
	std::unique_ptr<allocator::BankManager> trace_buffer_manager_;
	std::unordered_set<Buffer *> allocated_buffers_;
	AllocatorConfig config_;
	AllocatorOwner owner_;
};

namespace allocator
{
DeviceAddr allocate_buffer(Allocator &allocator, Buffer *buffer);
void deallocate_buffer(Allocator &allocator, Buffer *buffer);
void deallocate_buffers(Allocator &allocator);
void clear(Allocator &allocator);
uint32_t get_alignment(const Allocator &allocator, BufferType buffer_type);
} // namespace allocator
#else
#if TTSIM_ERA == 4
#define TTSIM_ALLOCATOR AllocatorImpl
#else
#define TTSIM_ALLOCATOR Allocator
#endif
class TTSIM_ALLOCATOR
{
      public:
	TTSIM_ALLOCATOR(const AllocatorConfig &alloc_config,
			AllocatorOwner owner);
	~TTSIM_ALLOCATOR();

	DeviceAddr allocate_buffer(Buffer *buffer);
	void deallocate_buffer(Buffer *buffer);
	void deallocate_buffers();

	std::unordered_set<Buffer *> get_allocated_buffers() const;
	size_t get_num_allocated_buffers() const;
	uint32_t get_num_banks(const BufferType &buffer_type) const;
	uint32_t get_alignment(BufferType buffer_type) const;
	const AllocatorConfig &get_config() const;

	void clear();

      private:
	friend struct ::ttsim::layout_check;
	friend struct ::ttsim::access;

	mutable std::mutex mutex_;
	bool allocations_unsafe_ = false;
	std::unique_ptr<BankManager> dram_manager_;
	std::unique_ptr<BankManager> l1_manager_;
	std::unique_ptr<BankManager> l1_small_manager_;
	std::unique_ptr<BankManager> trace_buffer_manager_;
	std::unordered_set<Buffer *> allocated_buffers_;
	std::unique_ptr<AllocatorConfig> config_;
	AllocatorOwner owner_;
};
#undef TTSIM_ALLOCATOR
#endif

} // namespace tt::tt_metal

#endif
