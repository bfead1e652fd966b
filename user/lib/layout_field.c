// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stddef.h>
#include <string.h>

#include "layout_field.h"

static const struct field_desc {
	const char *name;
	size_t off;   /* in struct ttbpf_layout */
	bool address; /* __u64 vtable address, not a __s32 offset */
	bool may_be_none;
} fields[TT_NR_FIELDS] = {
#define OFF(f, n, member, none) \
	[f] = { n, offsetof(struct ttbpf_layout, member), false, none }
#define ADDR(f, n, member) \
	[f] = { n, offsetof(struct ttbpf_layout, member), true, false }
	OFF(TT_F_IMPL, "impl", impl_off, true),
	OFF(TT_F_DEVICE, "device", device_off, false),
	OFF(TT_F_SIZE, "size", size_off, false),
	OFF(TT_F_TYPE, "type", type_off, false),
	OFF(TT_F_ADDRESS, "address", address_off, false),
	OFF(TT_F_PAGE_SIZE, "page_size", page_size_off, false),
	OFF(TT_F_DEVICE_ID, "device_id", device_id_off, false),
	OFF(TT_F_MESH_ID, "mesh_id", mesh_id_off, true),
	OFF(TT_F_MESH_HOP, "mesh_hop", mesh_hop, true),
	OFF(TT_F_MESH_DEVS, "mesh_devs", mesh_devs, true),
	OFF(TT_F_MESH_STRIDE, "mesh_stride", mesh_dev_stride, false),
	OFF(TT_F_MESH_LOCAL, "mesh_local", mesh_dev_local, true),
	ADDR(TT_F_DEVICE_VTABLE, "device_vtable", device_vtable),
	ADDR(TT_F_MESH_VTABLE, "mesh_vtable", mesh_vtable),
#undef OFF
#undef ADDR
};

static bool valid(enum tt_layout_field f)
{
	return (unsigned)f < TT_NR_FIELDS;
}

const char *tt_layout_field_name(enum tt_layout_field f)
{
	return valid(f) ? fields[f].name : "?";
}

const char *tt_layout_source_name(enum tt_layout_source s)
{
	switch (s) {
	case TT_SRC_NONE:
		return "none";
	case TT_SRC_DWARF:
		return "dwarf";
	case TT_SRC_ACCESSOR:
		return "accessor";
	case TT_SRC_PROFILE:
		return "profile";
	case TT_SRC_OVERRIDE:
		return "override";
	case TT_SRC_SYMBOL:
		return "symbol";
	}
	return "?";
}

int layout_field__by_name(const char *name, size_t len)
{
	for (int f = 0; f < TT_NR_FIELDS; f++)
		if (strlen(fields[f].name) == len &&
		    !strncmp(fields[f].name, name, len))
			return f;
	return -1;
}

bool layout_field__is_address(enum tt_layout_field f)
{
	return valid(f) && fields[f].address;
}

bool layout_field__may_be_none(enum tt_layout_field f)
{
	return valid(f) && fields[f].may_be_none;
}

int64_t layout_field__get(const struct ttbpf_layout *l, enum tt_layout_field f)
{
	const char *p = (const char *)l;
	__s32 off;
	__u64 addr;

	if (!valid(f))
		return -1;
	if (fields[f].address) {
		memcpy(&addr, p + fields[f].off, sizeof(addr));
		return (int64_t)addr;
	}
	memcpy(&off, p + fields[f].off, sizeof(off));
	return off;
}

void layout_field__set(struct ttbpf_layout *l, enum tt_layout_field f,
		       int64_t v)
{
	char *p = (char *)l;
	__s32 off = (__s32)v;
	__u64 addr = (__u64)v;

	if (!valid(f))
		return;
	if (fields[f].address)
		memcpy(p + fields[f].off, &addr, sizeof(addr));
	else
		memcpy(p + fields[f].off, &off, sizeof(off));
}

void layout_field__reset(struct ttbpf_layout *l)
{
	for (int f = 0; f < TT_NR_FIELDS; f++)
		layout_field__set(l, (enum tt_layout_field)f,
				  fields[f].address ? 0 : -1);
}
