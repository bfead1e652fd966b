// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
//
// Buffer::create -> allocate_impl -> allocator -> GraphTracker, and
// ~Buffer -> deallocate_impl, as in tt_metal/impl/buffers/buffer.cpp.
#include <stdexcept>

#include "buffer.hpp"
#include "device.hpp"
#include "layout.hpp"

namespace tt::tt_metal
{

#if TTSIM_ERA == 4
#define M(field) impl_->field
using AllocationStatus = BufferImpl::AllocationStatus;
std::atomic<size_t> BufferImpl::next_unique_id{ 0 };
#else
#define M(field) field
std::atomic<size_t> Buffer::next_unique_id{ 0 };
#endif

static void validate_buffer_parameters(DeviceAddr size, DeviceAddr page_size,
				       BufferType buffer_type)
{
	if (size != 0 && page_size == 0)
		throw std::runtime_error("Buffer size must be divisible by "
					 "page size (page size is 0)");
	if (page_size != 0 && size % page_size != 0)
		throw std::runtime_error("Buffer size must be divisible by "
					 "page size");
	if (buffer_type == BufferType::SYSTEM_MEMORY)
		throw std::runtime_error("Unsupported buffer type!");
}

/* Which allocator: the sub-device manager's, as validate_sub_device_id. */
static AllocatorT *pick_allocator(BufferDevice *device,
				  std::optional<SubDeviceId> sub_device_id)
{
	return device->allocator(sub_device_id);
}

#if TTSIM_ERA == 4
BufferImpl::BufferImpl(IDevice *device, DeviceAddr size, DeviceAddr page_size,
		       BufferType buffer_type, std::optional<bool> bottom_up,
		       std::optional<SubDeviceId> sub_device_id, bool owns_data)
    : device_(device), size_(size), buffer_type_(buffer_type),
      buffer_layout_(TensorMemoryLayout::INTERLEAVED),
      bottom_up_(bottom_up.value_or(buffer_type == BufferType::DRAM)),
      sub_device_id_(sub_device_id), owns_data_(owns_data),
      page_size_(page_size)
{
	unique_id_ = next_unique_id.fetch_add(1);
}

Buffer::Buffer(std::unique_ptr<BufferImpl> impl) : impl_(std::move(impl))
{
}

static std::shared_ptr<Buffer>
make_buffer(IDevice *device, DeviceAddr size, DeviceAddr page_size,
	    BufferType buffer_type, std::optional<bool> bottom_up,
	    std::optional<SubDeviceId> sub_device_id, bool owns_data)
{
	validate_buffer_parameters(size, page_size, buffer_type);
	auto buffer = std::make_shared<Buffer>(std::make_unique<BufferImpl>(
		device, size, page_size, buffer_type, bottom_up, sub_device_id,
		owns_data));
	buffer->impl().allocator_ = pick_allocator(device, sub_device_id);
	return buffer;
}
#else
Buffer::Buffer(BufferDevice *device, DeviceAddr size, DeviceAddr page_size,
	       BufferType buffer_type, std::optional<bool> bottom_up,
	       std::optional<SubDeviceId> sub_device_id, bool owns_data)
    : device_(device), size_(size), buffer_type_(buffer_type),
      buffer_layout_(TensorMemoryLayout::INTERLEAVED),
      bottom_up_(bottom_up.value_or(buffer_type == BufferType::DRAM)),
      sub_device_id_(sub_device_id), owns_data_(owns_data),
      allocator_(pick_allocator(device, sub_device_id)), page_size_(page_size)
{
	unique_id_ = next_unique_id.fetch_add(1);
}

#if TTSIM_ERA == 2
void Buffer::deleter(Buffer *buffer)
{
	buffer->deallocate_impl();
	delete buffer;
}
#endif

static std::shared_ptr<Buffer>
make_buffer(BufferDevice *device, DeviceAddr size, DeviceAddr page_size,
	    BufferType buffer_type, std::optional<bool> bottom_up,
	    std::optional<SubDeviceId> sub_device_id, bool owns_data)
{
	validate_buffer_parameters(size, page_size, buffer_type);
#if TTSIM_ERA == 2
	/* 2024: a custom deleter instead of a destructor, weak_self. */
	std::shared_ptr<Buffer> buffer(
		new Buffer(device, size, page_size, buffer_type, bottom_up,
			   sub_device_id, owns_data),
		[](Buffer *b) { ttsim::layout_check::delete_buffer(b); });
	ttsim::layout_check::set_weak_self(buffer);
	return buffer;
#else
	return std::make_shared<Buffer>(device, size, page_size, buffer_type,
					bottom_up, sub_device_id, owns_data);
#endif
}
#endif

std::shared_ptr<Buffer> Buffer::create(BufferDevice *device, DeviceAddr size,
				       DeviceAddr page_size,
				       BufferType buffer_type,
				       std::optional<bool> bottom_up,
				       std::optional<SubDeviceId> sub_device_id)
{
	auto buffer = make_buffer(device, size, page_size, buffer_type,
				  bottom_up, sub_device_id, true);
	if (buffer->size() == 0) {
		buffer->M(allocation_status_) = AllocationStatus::ALLOCATED;
		return buffer;
	}
	buffer->allocate_impl();
	return buffer;
}

std::shared_ptr<Buffer> Buffer::create(BufferDevice *device, DeviceAddr address,
				       DeviceAddr size, DeviceAddr page_size,
				       BufferType buffer_type,
				       std::optional<bool> bottom_up,
				       std::optional<SubDeviceId> sub_device_id)
{
	auto buffer = make_buffer(device, size, page_size, buffer_type,
				  bottom_up, sub_device_id, false);
	buffer->M(address_) = address;
	buffer->M(allocation_status_) = AllocationStatus::ALLOCATED;
	return buffer;
}

void Buffer::allocate_impl()
{
	if (GraphTracker::instance().hook_allocate(this)) {
		M(address_) = 0;
#if TTSIM_ERA != 2
		M(hooked_allocation_) = true;
#endif
	} else {
#if TTSIM_ERA == 2
		M(address_) = allocator::allocate_buffer(*M(allocator_), this);
#else
		M(address_) = M(allocator_)->allocate_buffer(this);
#endif
	}
	/* The graph tracker is called after the status changes. */
	M(allocation_status_) = AllocationStatus::ALLOCATED;
#if TTSIM_ERA == 2
	allocation_cv_.notify_all();
#endif
	GraphTracker::instance().track_allocate(this);
}

void Buffer::deallocate_impl()
{
	if (M(allocation_status_) != AllocationStatus::ALLOCATED)
		return;
	/* After device close the allocator already dropped everything. */
	if (M(device_)->is_initialized() && M(size_) != 0 && M(owns_data_)) {
		GraphTracker::instance().track_deallocate(this);
#if TTSIM_ERA == 2
		if (!GraphTracker::instance().hook_deallocate(this))
			allocator::deallocate_buffer(*M(allocator_), this);
#else
		if (!GraphTracker::instance().hook_deallocate(this) &&
		    !M(hooked_allocation_))
			M(allocator_)->deallocate_buffer(this);
#endif
	}
	M(allocation_status_) = AllocationStatus::DEALLOCATED;
}

void Buffer::deallocate()
{
	deallocate_impl();
}

#if TTSIM_ERA != 2
Buffer::~Buffer()
{
	deallocate_impl();
}
#endif

bool Buffer::is_allocated() const
{
	return M(allocation_status_) == AllocationStatus::ALLOCATED;
}

#if TTSIM_ERA == 4
IDevice *Buffer::device() const
{
	return impl_->device_;
}

AllocatorImpl *Buffer::allocator() const
{
	return impl_->allocator_;
}

DeviceAddr Buffer::size() const
{
	return impl_->size_;
}

BufferType Buffer::buffer_type() const
{
	return impl_->buffer_type_;
}

bool Buffer::bottom_up() const
{
	return impl_->bottom_up_;
}

size_t Buffer::unique_id() const
{
	return impl_->unique_id_;
}

BufferImpl &Buffer::impl()
{
	return *impl_;
}

const BufferImpl &Buffer::impl() const
{
	return *impl_;
}
#endif

uint32_t Buffer::address() const
{
	return M(address_);
}

DeviceAddr Buffer::page_size() const
{
	return M(page_size_);
}

uint32_t Buffer::num_pages() const
{
	return page_size() == 0 ? 0 : size() / page_size();
}

uint32_t Buffer::num_dev_pages() const
{
	return num_pages();
}

bool Buffer::is_l1() const
{
	return buffer_type() == BufferType::L1 ||
	       buffer_type() == BufferType::L1_SMALL;
}

bool Buffer::is_dram() const
{
	return buffer_type() == BufferType::DRAM ||
	       buffer_type() == BufferType::TRACE;
}

uint32_t Buffer::alignment() const
{
#if TTSIM_ERA == 2
	return allocator::get_alignment(*M(allocator_), buffer_type());
#else
	return M(allocator_)->get_alignment(buffer_type());
#endif
}

DeviceAddr Buffer::aligned_page_size() const
{
	DeviceAddr a = alignment();
	return (page_size() + a - 1) / a * a;
}

DeviceAddr Buffer::aligned_size() const
{
	return num_dev_pages() * aligned_page_size();
}

DeviceAddr Buffer::aligned_size_per_bank() const
{
	uint32_t banks;
#if TTSIM_ERA == 2
	banks = is_dram() ? M(allocator_)->config_.num_dram_channels
			  : M(allocator_)->config_.num_l1_banks;
#else
	banks = M(allocator_)->get_num_banks(buffer_type());
#endif
	uint32_t pages = num_dev_pages();
	return (pages + banks - 1) / banks * aligned_page_size();
}

} // namespace tt::tt_metal
