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

static const struct era_desc eras[] = {
	{ 4, "E4 AllocatorImpl (late 2025+)", "E4 AllocatorImpl",
	  TTBPF_CALL_MEMBER, e4_alloc, e4_free, e4_bulk },
	{ 3, "E3 Allocator (2025)", "E3 Allocator", TTBPF_CALL_MEMBER, e3_alloc,
	  e3_free, e3_bulk },
	{ 2, "E2 allocator:: free functions (late 2024)",
	  "E2 allocator:: free functions", TTBPF_CALL_FREE_FN, e2_alloc,
	  e2_free, e2_bulk },
};

/* Scalar-argument allocate_buffer of 2024: recognised, not supported. */
static const char e1_alloc[] =
	"_ZN2tt8tt_metal9allocator15allocate_bufferERNS0_9AllocatorEmmRKNS0_"
	"10BufferTypeEbSt8optionalIjE";

static const char *const device_vtables[] = {
	"_ZTVN2tt8tt_metal6DeviceE",
	"_ZTVN2tt8tt_metal2v06DeviceE",
	NULL,
};
static const char *const mesh_vtables[] = {
	"_ZTVN2tt8tt_metal11distributed10MeshDeviceE",
	NULL,
};

static const char bank_alloc_prefix[] =
	"_ZN2tt8tt_metal11BankManager15allocate_buffer";

const struct era_desc *eras__table(size_t *n)
{
	*n = sizeof(eras) / sizeof(eras[0]);
	return eras;
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
	m->bank_alloc_value = sym->value;
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
		first_of(img, device_vtables, &out->device_vtable);
		first_of(img, mesh_vtables, &out->mesh_vtable);
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
