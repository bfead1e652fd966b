// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stddef.h>

#include "layout_profiles.h"

#define LAYOUT(impl, dev, size, type, addr, page, mesh)                      \
	{                                                                    \
		.impl_off = (impl), .device_off = (dev), .size_off = (size), \
		.type_off = (type), .address_off = (addr),                   \
		.page_size_off = (page), .device_id_off = 8,                 \
		.mesh_id_off = -1, mesh                                      \
	}

/* Where a MeshDevice keeps its chips (tt-metal-mesh-shm.md), read off
 * MeshDevice::get_devices() in the 0.81.1 and 0.64.5 wheels. */
#define MESH_PIMPL                                                 \
	.mesh_hop = 0x18, .mesh_devs = 0x78, .mesh_dev_stride = 8, \
	.mesh_dev_local = -1
#define MESH_VIEW                                                    \
	.mesh_hop = 0x60, .mesh_devs = 0x178, .mesh_dev_stride = 16, \
	.mesh_dev_local = 8
#define MESH_NONE                                               \
	.mesh_hop = -1, .mesh_devs = -1, .mesh_dev_stride = -1, \
	.mesh_dev_local = -1

enum {
	P_E4_PIMPL,
	P_INLINE_2025,
	P_E2_2024,
	NR_PROFILES,
};

static const struct layout_profile profiles[NR_PROFILES] = {
	/* Buffer { enable_shared_from_this; unique_ptr<BufferImpl> impl_ } */
	[P_E4_PIMPL] = { "E4 pimpl Buffer (late 2025+)", 4,
			 LAYOUT(16, 0, 8, 16, 64, 72, MESH_PIMPL), NULL },
	/* enable_shared_from_this (16 bytes), then the members inline */
	[P_INLINE_2025] = { "E3/E4 inline Buffer (mid/late 2025)", 3,
			    LAYOUT(-1, 16, 24, 32, 80, 88, MESH_VIEW),
			    "early-2025 E3 builds lack enable_shared_from_this "
			    "and use the E2/early-E3 profile, picked when "
			    "exported accessors show it" },
	/*
	 * v0::Buffer of the allocator::allocate_buffer(Allocator&, Buffer*)
	 * era (tt_metal/impl/buffers/buffer.hpp, Dec 2024): address_ moved
	 * behind allocator_ and allocation_status_; page_size_ behind the
	 * allocation mutex and condition variable. Early-2025 E3 builds
	 * kept this member list.
	 */
	[P_E2_2024] = { "E2/early-E3 Buffer (Dec 2024 - early 2025)", 2,
			LAYOUT(-1, 0, 8, 16, 64, 168, MESH_NONE),
			"Sep 2024 v0::Buffer had address +16, type +24: no "
			"profile, pass --layout" },
};

const struct layout_profile *layout_profiles__table(int *n)
{
	*n = NR_PROFILES;
	return profiles;
}

const struct layout_profile *
layout_profiles__pick(int era, int buffer_accessors_exported, int pimpl)
{
	if (era < 2 || era > 4)
		return NULL;
	if (pimpl < 0)
		pimpl = era == 4 && buffer_accessors_exported;
	/* Only the pimpl Buffer has impl_, whatever the era claims. */
	if (pimpl)
		return &profiles[P_E4_PIMPL];
	return &profiles[era == 2 ? P_E2_2024 : P_INLINE_2025];
}
