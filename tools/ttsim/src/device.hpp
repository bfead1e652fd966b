// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
//
// IDevice (abstract, no data), Device (`int id_` first: at +8 after the
// vptr) and distributed::MeshDevice (IDevice + enable_shared_from_this,
// mesh id at +40), each owning one allocator per sub-device.
#ifndef TTSIM_DEVICE_HPP
#define TTSIM_DEVICE_HPP

#include <atomic>

#include "allocator.hpp"

namespace tt::tt_metal
{

class IDevice
{
      public:
	virtual ~IDevice();
	virtual chip_id_t id() const = 0;
	virtual bool is_initialized() const = 0;
	virtual uint32_t num_sub_devices() const = 0;
	virtual AllocatorT *
	allocator(std::optional<SubDeviceId> sub_device_id) const = 0;
	virtual bool close() = 0;
};

TTSIM_V0_BEGIN
class Device : public IDevice
{
      public:
	Device(chip_id_t device_id, const AllocatorConfig &config,
	       uint32_t num_sub_devices);
	~Device() override;

	chip_id_t id() const override;
	bool is_initialized() const override;
	uint32_t num_sub_devices() const override;
	AllocatorT *
	allocator(std::optional<SubDeviceId> sub_device_id) const override;
	bool close() override;

      private:
	friend struct ::ttsim::layout_check;

	chip_id_t id_;
	bool initialized_ = false;
	std::vector<std::unique_ptr<AllocatorT>> sub_device_allocators_;
};
TTSIM_V0_END

namespace distributed
{

class MeshDevice : public IDevice,
		   public std::enable_shared_from_this<MeshDevice>
{
      public:
	MeshDevice(std::vector<IDevice *> devices,
		   const AllocatorConfig &config, uint32_t num_sub_devices);
	~MeshDevice() override;

	chip_id_t id() const override;
	bool is_initialized() const override;
	uint32_t num_sub_devices() const override;
	AllocatorT *
	allocator(std::optional<SubDeviceId> sub_device_id) const override;
	bool close() override;

      private:
	friend struct ::ttsim::layout_check;

	std::shared_ptr<std::vector<IDevice *>> scoped_devices_;
	int mesh_id_;
	bool initialized_ = false;
	std::vector<std::unique_ptr<AllocatorT>> sub_device_allocators_;
	static std::atomic<int> next_mesh_id;
};

} // namespace distributed

class GraphTracker
{
      public:
	class IGraphProcessor
	{
	      public:
		virtual ~IGraphProcessor() = default;
		virtual void track_allocate(const Buffer *buffer) = 0;
		virtual void track_deallocate(Buffer *buffer) = 0;
	};

	static GraphTracker &instance();

	void track_allocate(const Buffer *buffer);
	void track_deallocate(Buffer *buffer);
	bool hook_allocate(const Buffer *buffer);
	bool hook_deallocate(Buffer *buffer);

      private:
	GraphTracker() = default;

	std::vector<std::shared_ptr<IGraphProcessor>> processors;
	std::shared_ptr<IGraphProcessor> hook;
};

} // namespace tt::tt_metal

#endif
