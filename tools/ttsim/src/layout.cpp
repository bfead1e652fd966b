// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
//
// Every offset a tracer reads, pinned: layout drift fails the build. The
// numbers are those of the real headers (see README.md), not of this code.
#include <type_traits>

#include "device.hpp"
#include "layout.hpp"

/* offsetof on classes with bases or private members: fine with GCC/Clang. */
#pragma GCC diagnostic ignored "-Winvalid-offsetof"

namespace ttsim
{

using namespace tt::tt_metal;

void layout_check::verify()
{
#if TTSIM_ERA == 4
	static_assert(offsetof(Buffer, impl_) == 16);
	static_assert(sizeof(Buffer) == 24);
	static_assert(offsetof(BufferImpl, device_) == 0);
	static_assert(offsetof(BufferImpl, size_) == 8);
	static_assert(offsetof(BufferImpl, buffer_type_) == 16);
	static_assert(offsetof(BufferImpl, buffer_layout_) == 20);
	static_assert(offsetof(BufferImpl, bottom_up_) == 24);
	static_assert(offsetof(BufferImpl, sub_device_id_) == 25);
	static_assert(offsetof(BufferImpl, owns_data_) == 27);
	static_assert(offsetof(BufferImpl, sub_device_manager_id_) == 32);
	static_assert(offsetof(BufferImpl, allocator_) == 48);
	static_assert(offsetof(BufferImpl, allocation_status_) == 56);
	static_assert(offsetof(BufferImpl, hooked_allocation_) == 57);
	static_assert(offsetof(BufferImpl, address_) == 64);
	static_assert(offsetof(BufferImpl, page_size_) == 72);
	static_assert(!std::is_polymorphic<BufferImpl>::value);
#elif TTSIM_ERA == 3
	static_assert(offsetof(Buffer, device_) == 16);
	static_assert(offsetof(Buffer, size_) == 24);
	static_assert(offsetof(Buffer, buffer_type_) == 32);
	static_assert(offsetof(Buffer, buffer_layout_) == 36);
	static_assert(offsetof(Buffer, bottom_up_) == 40);
	static_assert(offsetof(Buffer, sub_device_id_) == 41);
	static_assert(offsetof(Buffer, owns_data_) == 43);
	static_assert(offsetof(Buffer, sub_device_manager_id_) == 48);
	static_assert(offsetof(Buffer, allocator_) == 64);
	static_assert(offsetof(Buffer, allocation_status_) == 72);
	static_assert(offsetof(Buffer, hooked_allocation_) == 73);
	static_assert(offsetof(Buffer, address_) == 80);
	static_assert(offsetof(Buffer, page_size_) == 88);
#else
	static_assert(offsetof(Buffer, device_) == 0);
	static_assert(offsetof(Buffer, size_) == 8);
	static_assert(offsetof(Buffer, buffer_type_) == 16);
	static_assert(offsetof(Buffer, buffer_layout_) == 20);
	static_assert(offsetof(Buffer, bottom_up_) == 24);
	static_assert(offsetof(Buffer, sub_device_id_) == 25);
	static_assert(offsetof(Buffer, owns_data_) == 27);
	static_assert(offsetof(Buffer, sub_device_manager_id_) == 32);
	static_assert(offsetof(Buffer, allocator_) == 48);
	static_assert(offsetof(Buffer, allocation_status_) == 56);
	static_assert(offsetof(Buffer, address_) == 64);
	static_assert(offsetof(Buffer, allocation_mutex_) == 72);
	static_assert(offsetof(Buffer, allocation_cv_) == 112);
	static_assert(offsetof(Buffer, deallocation_requested_) == 160);
	static_assert(offsetof(Buffer, page_size_) == 168);
#endif
	static_assert(sizeof(BufferType) == 4);

	/* Allocator: no vptr, the mutex first. */
	static_assert(!std::is_polymorphic<AllocatorT>::value);
	static_assert(offsetof(AllocatorT, mutex_) == 0);
#if TTSIM_ERA == 2
	using BM = allocator::BankManager;
#else
	using BM = BankManager;
#endif
	/* BankManager::allocate_buffer: *(int32 *)rdi is the type. */
	static_assert(offsetof(BM, buffer_type_) == 0);
	static_assert(!std::is_polymorphic<BM>::value);

	/* Device: vptr, then int id_. MeshDevice: vptr,
	 * enable_shared_from_this (16), then where the real one of the era
	 * keeps its chips (ttnn 0.81.1 and 0.64.5, read off
	 * MeshDevice::get_devices()). */
	static_assert(std::is_abstract<IDevice>::value);
	static_assert(std::is_empty<IDevice>::value == false);
	static_assert(sizeof(IDevice) == 8);
	static_assert(offsetof(Device, id_) == 8);
	static_assert(sizeof(Device::id_) == 4);
#if TTSIM_ERA == 4
	static_assert(offsetof(distributed::MeshDevice, pimpl_) == 0x18);
	static_assert(offsetof(distributed::MeshDeviceImpl, mesh_id_) == 0x68);
	static_assert(offsetof(distributed::MeshDeviceImpl, devices_) == 0x78);
#else
	static_assert(offsetof(distributed::MeshDevice, scoped_devices_) ==
		      0x48);
	static_assert(offsetof(distributed::MeshDevice, mesh_id_) == 0x58);
	static_assert(offsetof(distributed::MeshDevice, view_) == 0x60);
	static_assert(offsetof(distributed::MeshDeviceView, devices_) == 0x178);
	static_assert(sizeof(distributed::MaybeRemote<IDevice *>) == 16);
#endif
}

} // namespace ttsim
