// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
//
// The ttsim:: driver API (include/ttsim.h) over the era's real classes.
#include <stdexcept>

#include "books.hpp"
#include "buffer.hpp"
#include "device.hpp"
#include "ttsim.h"

namespace ttsim
{

using namespace tt::tt_metal;

struct device {
	IDevice *dev;
	bool mesh;
	uint64_t chips; // a mesh: its chips, as its allocators book them
};

struct buffer {
	std::shared_ptr<Buffer> buf;
	device *dev;
	int type;
};

#define STR2(x) #x
#define STR(x)	STR2(x)

const char *variant()
{
	return "e" STR(TTSIM_ERA);
}

const char *type_name(int type)
{
	static const char *names[] = { "DRAM", "L1", "SYSTEM_MEMORY",
				       "L1_SMALL", "TRACE" };
	return type >= 0 && type < MEM_NUM_TYPES ? names[type] : "UNKNOWN";
}

void default_config(config *cfg)
{
	/* Wormhole n150: 12 GDDR6 banks of 1 GiB, 64 usable L1 banks of
	 * 1,499,136 B; ttnn's usual L1_SMALL and trace region sizes. */
	cfg->dram_banks = 12;
	cfg->dram_bank_size = 1ull << 30;
	cfg->dram_unreserved_base = 64;
	cfg->trace_region_size = 32ull << 20;
	cfg->l1_banks = 64;
	cfg->worker_l1_size = 1499136;
	cfg->l1_unreserved_base = 101664;
	cfg->l1_small_size = 32768;
	cfg->dram_alignment = 32;
	cfg->l1_alignment = 16;
	cfg->sub_devices = 2;
}

static AllocatorConfig to_alloc_config(const config *in)
{
	config d;
	if (!in) {
		default_config(&d);
		in = &d;
	}
	AllocatorConfig c;
	c.num_dram_channels = in->dram_banks;
	c.dram_bank_size = in->dram_bank_size;
	c.dram_unreserved_base = in->dram_unreserved_base;
	c.trace_region_size = in->trace_region_size;
	c.num_l1_banks = in->l1_banks;
	c.worker_l1_size = in->worker_l1_size;
	c.l1_unreserved_base = in->l1_unreserved_base;
	c.l1_small_size = in->l1_small_size;
	c.dram_alignment = in->dram_alignment;
	c.l1_alignment = in->l1_alignment;
	return c;
}

static uint32_t sub_devices_of(const config *in)
{
	return in ? in->sub_devices : 2;
}

device *open_device(int id, const config *cfg)
{
	auto *d = new device;
	d->dev = new Device(id, to_alloc_config(cfg), sub_devices_of(cfg));
	d->mesh = false;
	d->chips = 0;
	return d;
}

device *open_mesh(const std::vector<device *> &chips, const config *cfg)
{
	std::vector<IDevice *> devs;
	for (auto *c : chips)
		devs.push_back(c->dev);
	auto *d = new device;
	d->dev = new distributed::MeshDevice(devs, to_alloc_config(cfg),
					     sub_devices_of(cfg));
	d->mesh = true;
	d->chips = 0;
	for (auto *c : chips)
		d->chips |= 1ull << (c->dev->id() & 63);
	return d;
}

int device_id(const device *dev)
{
	return dev->dev->id();
}

bool device_is_mesh(const device *dev)
{
	return dev->mesh;
}

uintptr_t device_object(const device *dev)
{
	return (uintptr_t)dev->dev;
}

uintptr_t device_allocator(const device *dev, int sub_device)
{
	return (uintptr_t)dev->dev->allocator(
		SubDeviceId{ (uint8_t)sub_device });
}

void close_device(device *dev)
{
	dev->dev->close();
}

void destroy_device(device *dev)
{
	delete dev->dev;
	delete dev;
}

/* What Buffer::create takes in this era: E2 wants the concrete Device. */
static BufferDevice *buffer_device(device *dev)
{
#if TTSIM_ERA == 2
	return static_cast<Device *>(dev->dev);
#else
	return dev->dev;
#endif
}

buffer *create_buffer(device *dev, int sub_device, int type, uint64_t size,
		      uint64_t page_size)
{
	std::optional<SubDeviceId> sub;
	if (sub_device >= 0)
		sub = SubDeviceId{ (uint8_t)sub_device };
	auto *b = new buffer;
	b->dev = dev;
	b->type = type;
	try {
		b->buf = Buffer::create(buffer_device(dev), size, page_size,
					(BufferType)type, std::nullopt, sub);
	} catch (...) {
		/* The allocator threw (out of memory): count it, pass it on. */
		ledger::on_failure(dev->dev->id(), dev->mesh, dev->chips, type);
		delete b;
		throw;
	}
	return b;
}

buffer *create_buffer_at(device *dev, uint64_t address, int type, uint64_t size,
			 uint64_t page_size)
{
	auto *b = new buffer;
	b->dev = dev;
	b->type = type;
	b->buf = Buffer::create(buffer_device(dev), address, size, page_size,
				(BufferType)type);
	return b;
}

void destroy_buffer(buffer *buf)
{
	delete buf;
}

uint64_t buffer_address(const buffer *buf)
{
	return buf->buf->address();
}

void books(std::vector<device_books> *devices,
	   std::vector<live_buffer> *buffers)
{
	ledger::snapshot(devices, buffers);
}

} // namespace ttsim
