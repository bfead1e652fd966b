// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
//
// tt::tt_metal::Buffer of each era, members in the real order and types:
//   E4 (2026): tt_metal/api/tt-metalium/buffer.hpp + impl/buffers/
//              buffer_impl.hpp: Buffer holds a unique_ptr<BufferImpl>.
//   E3 (mid/late 2025): tt_metal/api/tt-metalium/buffer.hpp, members inline
//              after the enable_shared_from_this base.
//   E2 (late 2024): tt_metal/impl/buffers/buffer.hpp, v0::Buffer, no base.
// layout.cpp pins every offset a tracer reads with static_assert.
#ifndef TTSIM_BUFFER_HPP
#define TTSIM_BUFFER_HPP

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <unordered_map>

#include "metal.hpp"

namespace tt::tt_metal
{

#if TTSIM_ERA == 4
// All public: access control is Buffer's job (as in buffer_impl.hpp).
struct BufferImpl {
	enum class AllocationStatus : uint8_t {
		ALLOCATION_REQUESTED,
		ALLOCATED,
		DEALLOCATED,
	};

	BufferImpl(IDevice *device, DeviceAddr size, DeviceAddr page_size,
		   BufferType buffer_type, std::optional<bool> bottom_up,
		   std::optional<SubDeviceId> sub_device_id, bool owns_data);

	IDevice *const device_;
	const DeviceAddr size_;
	const BufferType buffer_type_;
	const TensorMemoryLayout buffer_layout_;
	const bool bottom_up_;
	const std::optional<SubDeviceId> sub_device_id_;
	const bool owns_data_;

	std::optional<SubDeviceManagerId> sub_device_manager_id_;
	AllocatorImpl *allocator_ = nullptr;

	AllocationStatus allocation_status_ =
		AllocationStatus::ALLOCATION_REQUESTED;
	bool hooked_allocation_ = false;
	DeviceAddr address_ = 0;

	DeviceAddr page_size_;
	std::optional<ShardSpecBuffer> shard_spec_;
	std::shared_ptr<const BufferPageMapping> buffer_page_mapping_;

	std::optional<BufferDistributionSpec> buffer_distribution_spec_;

	bool per_core_allocation_ = false;
	std::unordered_map<uint64_t, DeviceAddr> per_core_addresses_;

	std::shared_ptr<Buffer> root_buffer_;
	DeviceAddr root_buffer_offset_ = 0;

	size_t unique_id_ = 0;
	static std::atomic<size_t> next_unique_id;
};
#endif

TTSIM_V0_BEGIN

#if TTSIM_ERA == 2
class Buffer final
{
#else
class Buffer final : public std::enable_shared_from_this<Buffer>
{
#endif
      public:
	static std::shared_ptr<Buffer>
	create(BufferDevice *device, DeviceAddr size, DeviceAddr page_size,
	       BufferType buffer_type,
	       std::optional<bool> bottom_up = std::nullopt,
	       std::optional<SubDeviceId> sub_device_id = std::nullopt);
	// At a fixed address: owns_data_ = false, the allocator is not called.
	static std::shared_ptr<Buffer>
	create(BufferDevice *device, DeviceAddr address, DeviceAddr size,
	       DeviceAddr page_size, BufferType buffer_type,
	       std::optional<bool> bottom_up = std::nullopt,
	       std::optional<SubDeviceId> sub_device_id = std::nullopt);

	Buffer(const Buffer &other) = delete;
	Buffer &operator=(const Buffer &other) = delete;
	Buffer(Buffer &&other) = delete;
	Buffer &operator=(Buffer &&other) = delete;

#if TTSIM_ERA == 4
	explicit Buffer(std::unique_ptr<BufferImpl> impl);
	~Buffer();

	// Out of line in E4: exported, their code reveals the offsets.
	IDevice *device() const;
	AllocatorImpl *allocator() const;
	DeviceAddr size() const;
	uint32_t address() const;
	DeviceAddr page_size() const;
	BufferType buffer_type() const;
	bool bottom_up() const;
	size_t unique_id() const;
	BufferImpl &impl();
	const BufferImpl &impl() const;
#else
	Buffer(BufferDevice *device, DeviceAddr size, DeviceAddr page_size,
	       BufferType buffer_type, std::optional<bool> bottom_up,
	       std::optional<SubDeviceId> sub_device_id, bool owns_data);
#if TTSIM_ERA == 3
	~Buffer();
#endif

	// Inline in E2/E3 (not exported), as in the real headers.
	BufferDevice *device() const
	{
		return device_;
	}
	AllocatorT *allocator() const
	{
		return allocator_;
	}
	DeviceAddr size() const
	{
		return size_;
	}
	BufferType buffer_type() const
	{
		return buffer_type_;
	}
	bool bottom_up() const
	{
		return bottom_up_;
	}
	size_t unique_id() const
	{
		return unique_id_;
	}
	// Out of line in the real E2/E3 headers too.
	uint32_t address() const;
	DeviceAddr page_size() const;
#endif
	bool is_allocated() const;
	uint32_t num_pages() const;
	uint32_t num_dev_pages() const;
	bool is_l1() const;
	bool is_dram() const;
	uint32_t alignment() const;
	DeviceAddr aligned_page_size() const;
	DeviceAddr aligned_size() const;
	DeviceAddr aligned_size_per_bank() const;

	void deallocate();

      private:
	friend struct ::ttsim::layout_check;
	friend struct ::ttsim::access;

	void allocate_impl();
	void deallocate_impl();

#if TTSIM_ERA == 4
	std::unique_ptr<BufferImpl> impl_;
#else
	enum class AllocationStatus : uint8_t {
		ALLOCATION_REQUESTED,
#if TTSIM_ERA == 2
		ALLOCATION_FAILED,
#endif
		ALLOCATED,
		DEALLOCATED,
	};
#if TTSIM_ERA == 2
	static void deleter(Buffer *buffer);
#endif

	BufferDevice *const device_;
	const DeviceAddr size_;
	const BufferType buffer_type_;
	const TensorMemoryLayout buffer_layout_;
	const bool bottom_up_;
	const std::optional<SubDeviceId> sub_device_id_;
	const bool owns_data_;

	std::optional<SubDeviceManagerId> sub_device_manager_id_;
	AllocatorT *allocator_;

#if TTSIM_ERA == 3
	AllocationStatus allocation_status_ =
		AllocationStatus::ALLOCATION_REQUESTED;
	bool hooked_allocation_ = false;
	DeviceAddr address_ = 0;

	DeviceAddr page_size_;
	std::optional<ShardSpecBuffer> shard_spec_;
	std::shared_ptr<const BufferPageMapping> buffer_page_mapping_;
	std::optional<BufferDistributionSpec> buffer_distribution_spec_;
	std::shared_ptr<Buffer> root_buffer_;
	DeviceAddr root_buffer_offset_ = 0;
#else
	std::atomic<AllocationStatus> allocation_status_ =
		AllocationStatus::ALLOCATION_REQUESTED;
	DeviceAddr address_ = 0;
	mutable std::mutex allocation_mutex_;
	mutable std::condition_variable allocation_cv_;
	std::atomic<bool> deallocation_requested_ = false;

	DeviceAddr page_size_;
	std::optional<ShardSpecBuffer> shard_parameters_;
	std::shared_ptr<const BufferPageMapping> buffer_page_mapping_;
	std::weak_ptr<Buffer> weak_self;
#endif
	size_t unique_id_ = 0;
	static std::atomic<size_t> next_unique_id;
#endif
};

TTSIM_V0_END

} // namespace tt::tt_metal

#endif
