// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "elf_image.h"
#include "eras.h"

/* tt-metal-abi.md section 1; Itanium mangling of the declarations. */
static const char *const e4_alloc[] = {
	"_ZN2tt8tt_metal13AllocatorImpl15allocate_bufferEPNS0_6BufferE", NULL
};
static const char *const e4_free[] = {
	"_ZN2tt8tt_metal13AllocatorImpl17deallocate_bufferEPNS0_6BufferE", NULL
};
static const char *const e4_bulk[] = {
	"_ZN2tt8tt_metal13AllocatorImpl18deallocate_buffersEv",
	"_ZN2tt8tt_metal13AllocatorImpl5clearEv",
	"_ZN2tt8tt_metal13AllocatorImplD2Ev",
	"_ZN2tt8tt_metal13AllocatorImplD1Ev",
	NULL,
};

static const char *const e3_alloc[] = {
	"_ZN2tt8tt_metal9Allocator15allocate_bufferEPNS0_6BufferE", NULL
};
static const char *const e3_free[] = {
	"_ZN2tt8tt_metal9Allocator17deallocate_bufferEPNS0_6BufferE", NULL
};
static const char *const e3_bulk[] = {
	"_ZN2tt8tt_metal9Allocator18deallocate_buffersEv",
	"_ZN2tt8tt_metal9Allocator5clearEv",
	"_ZN2tt8tt_metal9AllocatorD2Ev",
	"_ZN2tt8tt_metal9AllocatorD1Ev",
	NULL,
};

/* Buffer sat in `inline namespace v0` for part of this era. */
static const char *const e2_alloc[] = {
	"_ZN2tt8tt_metal9allocator15allocate_bufferERNS0_9AllocatorEPNS0_"
	"2v06BufferE",
	"_ZN2tt8tt_metal9allocator15allocate_bufferERNS0_9AllocatorEPNS0_"
	"6BufferE",
	NULL,
};
static const char *const e2_free[] = {
	"_ZN2tt8tt_metal9allocator17deallocate_bufferERNS0_9AllocatorEPNS0_"
	"2v06BufferE",
	"_ZN2tt8tt_metal9allocator17deallocate_bufferERNS0_9AllocatorEPNS0_"
	"6BufferE",
	NULL,
};
static const char *const e2_bulk[] = {
	"_ZN2tt8tt_metal9allocator18deallocate_buffersERNS0_9AllocatorE",
	"_ZN2tt8tt_metal9allocator5clearERNS0_9AllocatorE",
	"_ZN2tt8tt_metal9AllocatorD2Ev",
	"_ZN2tt8tt_metal9AllocatorD1Ev",
	NULL,
};

static const char *const device_vtables[] = {
	"_ZTVN2tt8tt_metal6DeviceE",
	"_ZTVN2tt8tt_metal2v06DeviceE",
	NULL,
};
static const char *const mesh_vtables[] = {
	"_ZTVN2tt8tt_metal11distributed10MeshDeviceE",
	NULL,
};

/* Buffer and Device sat in `inline namespace v0` for part of 2024-25. */
static const char *const tt_metal_ns[] = { "2tt8tt_metal", "2tt8tt_metal2v0",
					   NULL };

static const struct era_classes tt_metal_classes = {
	.buffer = "tt::tt_metal::Buffer",
	.buffer_impl = "tt::tt_metal::BufferImpl",
	.device = "tt::tt_metal::Device",
	.mesh = "tt::tt_metal::distributed::MeshDevice",
	.accessor_ns = tt_metal_ns,
};

/* tt-metal-abi.md section 3; Device::id_ at +8 until 0.67.4, which the
 * accessor shows. */
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

static const struct era_desc eras[] = {
	{
		.era = 4,
		.name = "E4 AllocatorImpl (late 2025+)",
		.short_name = "E4 AllocatorImpl",
		.call_form = TTBPF_CALL_MEMBER,
		.alloc = e4_alloc,
		.free = e4_free,
		.bulk = e4_bulk,
		.device_vtables = device_vtables,
		.mesh_vtables = mesh_vtables,
		.classes = &tt_metal_classes,
		/* Buffer { enable_shared_from_this; unique_ptr<BufferImpl>
		 * impl_ } */
		.profile = { "E4 pimpl Buffer (late 2025+)",
			     LAYOUT(16, 0, 8, 16, 64, 72, MESH_PIMPL), NULL },
		.pimpl_if_exported = true,
	},
	{
		.era = 3,
		.name = "E3 Allocator (2025)",
		.short_name = "E3 Allocator",
		.call_form = TTBPF_CALL_MEMBER,
		.alloc = e3_alloc,
		.free = e3_free,
		.bulk = e3_bulk,
		.device_vtables = device_vtables,
		.mesh_vtables = mesh_vtables,
		.classes = &tt_metal_classes,
		/* enable_shared_from_this (16 bytes), then the members
		 * inline */
		.profile = { "E3/E4 inline Buffer (mid/late 2025)",
			     LAYOUT(-1, 16, 24, 32, 80, 88, MESH_VIEW),
			     "early-2025 E3 builds lack "
			     "enable_shared_from_this "
			     "and use the E2/early-E3 profile, picked when "
			     "exported accessors show it" },
	},
	{
		.era = 2,
		.name = "E2 allocator:: free functions (late 2024)",
		.short_name = "E2 allocator:: free functions",
		.call_form = TTBPF_CALL_FREE_FN,
		.alloc = e2_alloc,
		.free = e2_free,
		.bulk = e2_bulk,
		.device_vtables = device_vtables,
		.mesh_vtables = mesh_vtables,
		.classes = &tt_metal_classes,
		/*
		 * v0::Buffer of the allocator::allocate_buffer(Allocator&,
		 * Buffer*) era (tt_metal/impl/buffers/buffer.hpp, Dec
		 * 2024): address_ moved behind allocator_ and
		 * allocation_status_; page_size_ behind the allocation mutex
		 * and condition variable. Early-2025 E3 builds kept this
		 * member list.
		 */
		.profile = { "E2/early-E3 Buffer (Dec 2024 - early 2025)",
			     LAYOUT(-1, 0, 8, 16, 64, 168, MESH_NONE),
			     "Sep 2024 v0::Buffer had address +16, type +24: "
			     "no profile, pass --layout" },
	},
};

/* Scalar-argument allocate_buffer of 2024: recognised, not supported. */
static const char e1_alloc[] =
	"_ZN2tt8tt_metal9allocator15allocate_bufferERNS0_9AllocatorEmmRKNS0_"
	"10BufferTypeEbSt8optionalIjE";

static const char bank_alloc_prefix[] =
	"_ZN2tt8tt_metal11BankManager15allocate_buffer";

const struct era_desc *eras__table(size_t *n)
{
	*n = sizeof(eras) / sizeof(eras[0]);
	return eras;
}

const struct era_desc *eras__find(int era)
{
	for (size_t i = 0; i < sizeof(eras) / sizeof(eras[0]); i++)
		if (eras[i].era == era)
			return &eras[i];
	return NULL;
}

int eras__find_method(const struct elf_image *img, const struct era_desc *d,
		      const char *nested, char *name, size_t len,
		      struct elf_sym_info *s)
{
	char buf[256];

	for (const char *const *ns = d->classes->accessor_ns; *ns; ns++) {
		snprintf(buf, sizeof(buf), "_ZNK%s%sEv", *ns, nested);
		if (elf_image__find_symbol(img, buf, s))
			continue;
		if (name && len)
			snprintf(name, len, "%s", buf);
		return 0;
	}
	return -ENOENT;
}

static int first_of(const struct elf_image *img, const char *const *names,
		    struct era_sym *out)
{
	for (; *names; names++) {
		struct elf_sym_info s;

		if (!elf_image__find_symbol(img, *names, &s)) {
			out->name = *names;
			out->value = s.value;
			out->size = s.size;
			return 0;
		}
	}
	memset(out, 0, sizeof(*out));
	return -ENOENT;
}

/* D1 and D2 are usually one body under two names: probe it once. */
static void add_bulk(const struct elf_image *img, const char *name,
		     struct era_match *m)
{
	struct elf_sym_info s;

	if (elf_image__find_symbol(img, name, &s) || m->n_bulk >= ERAS_MAX_BULK)
		return;
	for (size_t i = 0; i < m->n_bulk; i++)
		if (m->bulk[i].value == s.value)
			return;
	m->bulk[m->n_bulk].name = name;
	m->bulk[m->n_bulk].value = s.value;
	m->bulk[m->n_bulk].size = s.size;
	m->n_bulk++;
}

static int bank_cb(const char *name, const struct elf_sym_info *sym, void *ctx)
{
	struct era_match *m = ctx;

	if (sym->type != STT_FUNC)
		return 0;
	snprintf(m->bank_alloc_name, sizeof(m->bank_alloc_name), "%s", name);
	return 1;
}

int eras__resolve(const struct elf_image *img, struct era_match *out, char *err,
		  size_t errlen)
{
	size_t n = sizeof(eras) / sizeof(eras[0]);
	struct elf_sym_info s;
	size_t used = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		const struct era_desc *d = &eras[i];

		if (first_of(img, d->alloc, &out->alloc) ||
		    first_of(img, d->free, &out->free))
			continue;
		out->desc = d;
		for (const char *const *b = d->bulk; *b; b++)
			add_bulk(img, *b, out);
		first_of(img, d->device_vtables, &out->device_vtable);
		first_of(img, d->mesh_vtables, &out->mesh_vtable);
		elf_image__for_each_symbol(img, bank_alloc_prefix, bank_cb,
					   out);
		return 0;
	}
	memset(out, 0, sizeof(*out));
	if (err && errlen) {
		used = (size_t)snprintf(err, errlen,
					"no allocator symbols: tried ");
		for (size_t i = 0; i < n && used < errlen; i++)
			used += (size_t)snprintf(err + used, errlen - used,
						 "%s%s", i ? ", " : "",
						 eras[i].short_name);
		if (used < errlen && !elf_image__find_symbol(img, e1_alloc, &s))
			snprintf(err + used, errlen - used,
				 " (found the scalar-argument "
				 "allocator::allocate_buffer of 2024, era E1: "
				 "not supported)");
	}
	return -ENOENT;
}

uint64_t eras__vptr(const struct era_sym *vtable)
{
	/* Itanium ABI: offset-to-top and typeinfo precede the slots. */
	return vtable->name ? vtable->value + 16 : 0;
}
