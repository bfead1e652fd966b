// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
//
// IDevice (abstract, no data), Device (`int id_` first: at +8 after the
// vptr) and distributed::MeshDevice (IDevice + enable_shared_from_this)
// with its chips where the real one keeps them in this era, each owning
// one allocator per sub-device.
#ifndef TTSIM_DEVICE_HPP
#define TTSIM_DEVICE_HPP

#include <atomic>
#include <variant>

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

// A chip of the mesh that another host drives (multi-host meshes).
struct RemoteDevice {
};

// As in the real mesh_device_view.hpp: a std::variant<RemoteDevice, T>,
// so the pointer is at +0 and the variant's index (1 = local) at +8.
template <class T> class MaybeRemote
{
      public:
	explicit MaybeRemote(T local) : v_(local)
	{
	}
	bool is_local() const
	{
		return v_.index() == 1;
	}
	T value() const
	{
		return std::get<1>(v_);
	}

      private:
	std::variant<RemoteDevice, T> v_;
};

// Out of line and exported, as in the real library.
template <class C> std::vector<IDevice *> extract_locals(const C &devices);

#if TTSIM_ERA == 4
// 0.81.1: MeshDevice holds only pimpl_; the impl keeps its chips in a
// plain vector<IDevice*> at +0x78 (MeshDeviceImpl::get_devices()).
class MeshDeviceImpl
{
      public:
	MeshDeviceImpl(std::vector<IDevice *> devices, int mesh_id);
	int id() const;

      private:
	friend struct ::ttsim::layout_check;
	friend class MeshDevice;

	// Members the stand-in does not model: scoped devices, the view...
	unsigned char other_[0x68];
	int mesh_id_;
	void *view_;
	std::vector<IDevice *> devices_;
};
#else
// 0.64.5: the chips sit in the view, as MaybeRemote<IDevice*> at +0x178.
class MeshDeviceView
{
      public:
	explicit MeshDeviceView(const std::vector<IDevice *> &devices);
	std::vector<IDevice *> get_devices() const;

      private:
	friend struct ::ttsim::layout_check;

	// The shape, coordinate ranges and fabric ids of the real view.
	unsigned char other_[0x178];
	std::vector<MaybeRemote<IDevice *>> devices_;
};
#endif

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
	std::vector<IDevice *> get_devices() const;

      private:
	friend struct ::ttsim::layout_check;

#if TTSIM_ERA == 4
	std::unique_ptr<MeshDeviceImpl> pimpl_;
#else
	unsigned char other_[0x30]; // up to scoped_devices_ at +0x48
	std::shared_ptr<std::vector<IDevice *>> scoped_devices_;
	int mesh_id_;
	std::shared_ptr<MeshDeviceView> view_;
#endif
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
