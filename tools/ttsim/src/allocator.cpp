// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
//
// allocate_buffer / deallocate_buffer / deallocate_buffers / clear of each
// era. The bodies are shared (always inlined into each exported entry
// point, so every entry point holds the real sequence: lock, aligned size,
// bank manager, bookkeeping) and follow tt_metal/impl/allocator/
// allocator.cpp.
#include <stdexcept>

#include "books.hpp"
#include "buffer.hpp"
#include "device.hpp"

#ifdef TTSIM_ALLOC_CLIENT
#include "alloc_client.hpp"
#endif

#define TTSIM_INLINE inline __attribute__((always_inline))

namespace ttsim
{

using namespace tt::tt_metal;
#if TTSIM_ERA == 2
using allocator::BankManager;
#endif

struct access {
	template <class A> static TTSIM_INLINE const AllocatorConfig &cfg(A &a)
	{
#if TTSIM_ERA == 2
		return a.config_;
#else
		return *a.config_;
#endif
	}

	template <class A>
	static TTSIM_INLINE BankManager *manager(A &a, BufferType type)
	{
		switch (type) {
		case BufferType::DRAM:
			return a.dram_manager_.get();
		case BufferType::L1:
			return a.l1_manager_.get();
		case BufferType::L1_SMALL:
			return a.l1_small_manager_.get();
		case BufferType::TRACE:
			return a.trace_buffer_manager_.get();
		default:
			break;
		}
		throw std::runtime_error("Unsupported buffer type!");
	}

	template <class A> static TTSIM_INLINE void init(A &a)
	{
		const AllocatorConfig &c = cfg(a);
		/* UNRESERVED | DRAM BANK | TRACE REGION, per DRAM channel */
		DeviceAddr dram_bank = c.dram_bank_size -
				       c.dram_unreserved_base -
				       c.trace_region_size;
		a.dram_manager_ = std::make_unique<BankManager>(
			BufferType::DRAM, c.num_dram_channels, dram_bank,
			c.dram_alignment, c.dram_unreserved_base);
		a.trace_buffer_manager_ = std::make_unique<BankManager>(
			BufferType::TRACE, c.num_dram_channels,
			c.trace_region_size, c.dram_alignment,
			c.dram_unreserved_base + dram_bank);
		/* UNRESERVED | L1 | L1_SMALL, per worker core */
		DeviceAddr l1_bank = c.worker_l1_size - c.l1_unreserved_base -
				     c.l1_small_size;
		a.l1_manager_ = std::make_unique<BankManager>(
			BufferType::L1, c.num_l1_banks, l1_bank, c.l1_alignment,
			c.l1_unreserved_base);
		a.l1_small_manager_ = std::make_unique<BankManager>(
			BufferType::L1_SMALL, c.num_l1_banks, c.l1_small_size,
			c.l1_alignment, c.l1_unreserved_base + l1_bank);
	}

	template <class A>
	static TTSIM_INLINE uint32_t alignment(const A &a, BufferType type)
	{
		const AllocatorConfig &c = cfg(a);
		if (type == BufferType::L1 || type == BufferType::L1_SMALL)
			return c.l1_alignment;
		return c.dram_alignment;
	}

	template <class A>
	static TTSIM_INLINE DeviceAddr allocate(A &a, Buffer *buffer)
	{
		std::lock_guard<std::mutex> lock(a.mutex_);
		DeviceAddr size = buffer->aligned_size();
		DeviceAddr page_size = buffer->aligned_page_size();
		BufferType type = buffer->buffer_type();
		CoreRangeSet compute_grid(cfg(a).num_l1_banks);
		DeviceAddr address = manager(a, type)->allocate_buffer(
			size, page_size, buffer->bottom_up(), compute_grid,
			std::nullopt);
		a.allocated_buffers_.insert(buffer);
#ifdef TTSIM_ALLOC_CLIENT
		/* Where the allocation-server patch reports. */
		if (AllocationClient::is_enabled())
			AllocationClient::report_allocation(
				buffer->device()->id(), size,
				static_cast<uint8_t>(type), address);
#endif
		ledger::on_alloc(&a, a.owner_.id, a.owner_.mesh, a.owner_.chips,
				 buffer, address, buffer->size(), size,
				 (int)type);
		return address;
	}

	template <class A>
	static TTSIM_INLINE void deallocate(A &a, Buffer *buffer)
	{
		std::lock_guard<std::mutex> lock(a.mutex_);
		DeviceAddr address = buffer->address();
#ifdef TTSIM_ALLOC_CLIENT
		if (AllocationClient::is_enabled())
			AllocationClient::report_deallocation(
				buffer->device()->id(), address);
#endif
		manager(a, buffer->buffer_type())->deallocate_buffer(address);
		a.allocated_buffers_.erase(buffer);
		ledger::on_free(buffer);
	}

	/* Device close: every buffer goes at once, no per-buffer calls. */
	template <class A> static TTSIM_INLINE void deallocate_all(A &a)
	{
		std::lock_guard<std::mutex> lock(a.mutex_);
		a.dram_manager_->deallocate_all();
		a.l1_manager_->deallocate_all();
		a.l1_small_manager_->deallocate_all();
		a.trace_buffer_manager_->deallocate_all();
		a.allocated_buffers_.clear();
		ledger::on_bulk_free(&a);
	}

	template <class A> static TTSIM_INLINE void clear(A &a)
	{
		std::lock_guard<std::mutex> lock(a.mutex_);
		a.dram_manager_->clear();
		a.l1_manager_->clear();
		a.l1_small_manager_->clear();
		a.trace_buffer_manager_->clear();
		a.allocated_buffers_.clear();
		ledger::on_bulk_free(&a);
	}
};

} // namespace ttsim

namespace tt::tt_metal
{

using ttsim::access;

#if TTSIM_ERA == 2
Allocator::Allocator(const AllocatorConfig &alloc_config, AllocatorOwner owner)
    : config_(alloc_config), owner_(owner)
{
	access::init(*this);
}

Allocator::~Allocator()
{
	access::clear(*this);
}

namespace allocator
{

DeviceAddr allocate_buffer(Allocator &allocator, Buffer *buffer)
{
	return access::allocate(allocator, buffer);
}

void deallocate_buffer(Allocator &allocator, Buffer *buffer)
{
	access::deallocate(allocator, buffer);
}

void deallocate_buffers(Allocator &allocator)
{
	access::deallocate_all(allocator);
}

void clear(Allocator &allocator)
{
	access::clear(allocator);
}

uint32_t get_alignment(const Allocator &allocator, BufferType buffer_type)
{
	return access::alignment(allocator, buffer_type);
}

} // namespace allocator
#else
#if TTSIM_ERA == 4
#define ALLOCATOR AllocatorImpl
#else
#define ALLOCATOR Allocator
#endif

ALLOCATOR::ALLOCATOR(const AllocatorConfig &alloc_config, AllocatorOwner owner)
    : config_(std::make_unique<AllocatorConfig>(alloc_config)), owner_(owner)
{
	access::init(*this);
}

ALLOCATOR::~ALLOCATOR()
{
	access::clear(*this);
}

DeviceAddr ALLOCATOR::allocate_buffer(Buffer *buffer)
{
	return access::allocate(*this, buffer);
}

void ALLOCATOR::deallocate_buffer(Buffer *buffer)
{
	access::deallocate(*this, buffer);
}

void ALLOCATOR::deallocate_buffers()
{
	access::deallocate_all(*this);
}

void ALLOCATOR::clear()
{
	access::clear(*this);
}

std::unordered_set<Buffer *> ALLOCATOR::get_allocated_buffers() const
{
	std::lock_guard<std::mutex> lock(mutex_);
	return allocated_buffers_;
}

size_t ALLOCATOR::get_num_allocated_buffers() const
{
	std::lock_guard<std::mutex> lock(mutex_);
	return allocated_buffers_.size();
}

uint32_t ALLOCATOR::get_num_banks(const BufferType &buffer_type) const
{
	return access::manager(*this, buffer_type)->num_banks();
}

uint32_t ALLOCATOR::get_alignment(BufferType buffer_type) const
{
	return access::alignment(*this, buffer_type);
}

const AllocatorConfig &ALLOCATOR::get_config() const
{
	return *config_;
}
#undef ALLOCATOR
#endif

} // namespace tt::tt_metal
