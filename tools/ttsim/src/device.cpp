// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
//
// Devices own their allocators (one per sub-device). id() is out of line
// and the destructors are the key functions, so both vtables
// (_ZTV...6DeviceE, _ZTV...10MeshDeviceE) are emitted and exported here.
#include <stdexcept>

#include "books.hpp"
#include "device.hpp"

namespace tt::tt_metal
{

IDevice::~IDevice() = default;

static std::vector<std::unique_ptr<AllocatorT>>
make_allocators(const AllocatorConfig &config, uint32_t count,
		AllocatorOwner owner)
{
	std::vector<std::unique_ptr<AllocatorT>> v;
	if (count == 0)
		count = 1;
	for (uint32_t i = 0; i < count; i++)
		v.push_back(std::make_unique<AllocatorT>(config, owner));
	ttsim::ledger::add_device(owner.id, owner.mesh, owner.chips);
	return v;
}

static AllocatorT *
select_allocator(const std::vector<std::unique_ptr<AllocatorT>> &allocators,
		 std::optional<SubDeviceId> sub_device_id)
{
	size_t i = sub_device_id ? sub_device_id->id : 0;
	if (i >= allocators.size())
		throw std::runtime_error("Sub-device id out of range");
	return allocators[i].get();
}

/* Real close(): bulk release through deallocate_buffers(). */
static void
release_all(const std::vector<std::unique_ptr<AllocatorT>> &allocators)
{
	for (auto &a : allocators) {
#if TTSIM_ERA == 2
		allocator::deallocate_buffers(*a);
#else
		a->deallocate_buffers();
#endif
	}
}

TTSIM_V0_BEGIN

Device::Device(chip_id_t device_id, const AllocatorConfig &config,
	       uint32_t num_sub_devices)
    : id_(device_id)
{
	sub_device_allocators_ = make_allocators(
		config, num_sub_devices, AllocatorOwner{ device_id, false, 0 });
	initialized_ = true;
}

Device::~Device()
{
	close();
}

chip_id_t Device::id() const
{
	return id_;
}

bool Device::is_initialized() const
{
	return initialized_;
}

uint32_t Device::num_sub_devices() const
{
	return sub_device_allocators_.size();
}

AllocatorT *Device::allocator(std::optional<SubDeviceId> sub_device_id) const
{
	return select_allocator(sub_device_allocators_, sub_device_id);
}

bool Device::close()
{
	if (!initialized_)
		return false;
	release_all(sub_device_allocators_);
	initialized_ = false;
	return true;
}

TTSIM_V0_END

namespace distributed
{

std::atomic<int> MeshDevice::next_mesh_id{ 0 };

/* The books count a mesh buffer on each of its chips (ids < 64). */
static uint64_t chip_mask(const std::vector<IDevice *> &devices)
{
	uint64_t m = 0;
	for (IDevice *d : devices)
		m |= 1ull << (d->id() & 63);
	return m;
}

#if TTSIM_ERA == 4
MeshDeviceImpl::MeshDeviceImpl(std::vector<IDevice *> devices, int mesh_id)
    : other_(), mesh_id_(mesh_id), view_(nullptr), devices_(std::move(devices))
{
}

int MeshDeviceImpl::id() const
{
	return mesh_id_;
}

MeshDevice::MeshDevice(std::vector<IDevice *> devices,
		       const AllocatorConfig &config, uint32_t num_sub_devices)
    : pimpl_(std::make_unique<MeshDeviceImpl>(devices,
					      next_mesh_id.fetch_add(1)))
{
	sub_device_allocators_ = make_allocators(
		config, num_sub_devices,
		AllocatorOwner{ pimpl_->mesh_id_, true, chip_mask(devices) });
	initialized_ = true;
}

chip_id_t MeshDevice::id() const
{
	return pimpl_->id();
}

std::vector<IDevice *> MeshDevice::get_devices() const
{
	return pimpl_->devices_;
}
#else
MeshDevice::MeshDevice(std::vector<IDevice *> devices,
		       const AllocatorConfig &config, uint32_t num_sub_devices)
    : other_(),
      scoped_devices_(std::make_shared<std::vector<IDevice *>>(devices)),
      mesh_id_(next_mesh_id.fetch_add(1)),
      view_(std::make_shared<MeshDeviceView>(devices))
{
	sub_device_allocators_ = make_allocators(
		config, num_sub_devices,
		AllocatorOwner{ mesh_id_, true, chip_mask(devices) });
	initialized_ = true;
}

chip_id_t MeshDevice::id() const
{
	return mesh_id_;
}

std::vector<IDevice *> MeshDevice::get_devices() const
{
	return view_->get_devices();
}
#endif

MeshDevice::~MeshDevice()
{
	close();
}

bool MeshDevice::is_initialized() const
{
	return initialized_;
}

uint32_t MeshDevice::num_sub_devices() const
{
	return sub_device_allocators_.size();
}

AllocatorT *
MeshDevice::allocator(std::optional<SubDeviceId> sub_device_id) const
{
	return select_allocator(sub_device_allocators_, sub_device_id);
}

bool MeshDevice::close()
{
	if (!initialized_)
		return false;
	release_all(sub_device_allocators_);
	initialized_ = false;
	return true;
}

} // namespace distributed
} // namespace tt::tt_metal
