// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
//
// BankManager as in tt_metal/impl/allocator/bank_manager.cpp: an
// interleaved buffer reserves ceil(pages / banks) aligned pages in every
// bank, and a full bank throws from here, through allocate_buffer, to the
// caller of Buffer::create.
#include <stdexcept>
#include <string>

#include "allocator.hpp"

namespace tt::tt_metal
{
#if TTSIM_ERA == 2
namespace allocator
{
#endif

static const char *type_name(BufferType type)
{
	switch (type) {
	case BufferType::DRAM:
		return "DRAM";
	case BufferType::L1:
		return "L1";
	case BufferType::SYSTEM_MEMORY:
		return "SYSTEM_MEMORY";
	case BufferType::L1_SMALL:
		return "L1_SMALL";
	case BufferType::TRACE:
		return "TRACE";
	}
	return "UNKNOWN";
}

BankManager::BankManager(BufferType buffer_type, uint32_t num_banks,
			 DeviceAddr size_bytes, uint32_t alignment_bytes,
			 DeviceAddr alloc_offset)
    : buffer_type_(buffer_type), alignment_bytes_(alignment_bytes)
{
	for (uint32_t bank_id = 0; bank_id < num_banks; bank_id++)
		bank_id_to_bank_offset_[bank_id] = 0;
	allocator_ = std::make_unique<FreeList>(size_bytes, alloc_offset,
						alignment_bytes);
}

BankManager::~BankManager()
{
	deallocate_all();
}

uint32_t BankManager::num_banks() const
{
	return bank_id_to_bank_offset_.size();
}

/* detail::SizeBytesPerBank */
static DeviceAddr size_bytes_per_bank(DeviceAddr size, DeviceAddr page_size,
				      uint32_t num_banks, uint32_t alignment)
{
	DeviceAddr pages = page_size ? size / page_size : 0;
	DeviceAddr per_bank =
		pages == 1 ? 1 : (pages + num_banks - 1) / num_banks;
	DeviceAddr aligned_page =
		(page_size + alignment - 1) / alignment * alignment;
	return per_bank * aligned_page;
}

DeviceAddr BankManager::allocate_buffer(DeviceAddr size, DeviceAddr page_size,
					bool bottom_up,
					const CoreRangeSet &compute_grid,
					std::optional<uint32_t> num_shards)
{
	uint32_t num_banks = this->num_banks();
	if (num_shards.has_value()) {
		if (num_shards.value() > compute_grid.num_cores())
			throw std::runtime_error("Expected number of shards to "
						 "be at most the L1 banks");
		num_banks = num_shards.value();
	}
	DeviceAddr size_per_bank = size_bytes_per_bank(
		size, page_size, num_banks, alignment_bytes_);
	auto address = allocator_->allocate(size_per_bank, bottom_up);
	if (!address.has_value()) {
		throw std::runtime_error(
			"Out of Memory: Not enough space to allocate " +
			std::to_string(size) + " B " + type_name(buffer_type_) +
			" buffer across " + std::to_string(num_banks) +
			" banks, where each bank needs to store " +
			std::to_string(size_per_bank) + " B");
	}
	allocated_buffers_.insert(address.value());
	return address.value();
}

void BankManager::deallocate_buffer(DeviceAddr address)
{
	allocator_->deallocate(address);
	allocated_buffers_.erase(address);
}

void BankManager::deallocate_all()
{
	for (DeviceAddr addr : allocated_buffers_)
		allocator_->deallocate(addr);
	allocated_buffers_.clear();
}

void BankManager::clear()
{
	allocator_->clear();
	allocated_buffers_.clear();
}

#if TTSIM_ERA == 2
} // namespace allocator
#endif
} // namespace tt::tt_metal
