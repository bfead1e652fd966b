// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
//
// Address bookkeeping of one bank range; stands in for FreeList/FreeListOpt
// of tt_metal/impl/allocator/algorithms.
#include "allocator.hpp"

namespace tt::tt_metal
{
#if TTSIM_ERA == 2
namespace allocator
{
#endif

FreeList::FreeList(DeviceAddr size, DeviceAddr offset, DeviceAddr alignment)
    : alignment_(alignment)
{
	/* Keep every block aligned: the range itself starts aligned. */
	DeviceAddr start = (offset + alignment - 1) / alignment * alignment;
	DeviceAddr end = (offset + size) / alignment * alignment;
	offset_ = start;
	size_ = end > start ? end - start : 0;
	clear();
}

std::optional<DeviceAddr> FreeList::allocate(DeviceAddr size, bool bottom_up)
{
	size = (size + alignment_ - 1) / alignment_ * alignment_;
	if (size == 0 || size > size_)
		return std::nullopt;
	if (bottom_up) {
		for (auto it = free_.begin(); it != free_.end(); ++it) {
			if (it->second < size)
				continue;
			DeviceAddr addr = it->first;
			DeviceAddr left = it->second - size;
			free_.erase(it);
			if (left)
				free_[addr + size] = left;
			used_[addr] = size;
			return addr;
		}
	} else {
		for (auto it = free_.rbegin(); it != free_.rend(); ++it) {
			if (it->second < size)
				continue;
			DeviceAddr start = it->first;
			DeviceAddr left = it->second - size;
			DeviceAddr addr = start + left;
			if (left)
				it->second = left;
			else
				free_.erase(start);
			used_[addr] = size;
			return addr;
		}
	}
	return std::nullopt;
}

void FreeList::deallocate(DeviceAddr address)
{
	auto u = used_.find(address);
	if (u == used_.end())
		return;
	DeviceAddr start = address, size = u->second;
	used_.erase(u);
	/* Coalesce with both neighbours. */
	auto next = free_.lower_bound(start);
	if (next != free_.end() && next->first == start + size) {
		size += next->second;
		next = free_.erase(next);
	}
	if (next != free_.begin()) {
		auto prev = std::prev(next);
		if (prev->first + prev->second == start) {
			prev->second += size;
			return;
		}
	}
	free_[start] = size;
}

void FreeList::clear()
{
	free_.clear();
	used_.clear();
	if (size_)
		free_[offset_] = size_;
}

#if TTSIM_ERA == 2
} // namespace allocator
#endif
} // namespace tt::tt_metal
