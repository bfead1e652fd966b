/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The allocator's entry points in each ABI era of TT-Metal, and finding
 * which era a library belongs to from its symbol table alone.
 */
#ifndef TTBPF_ERAS_H
#define TTBPF_ERAS_H

#include <stddef.h>
#include <stdint.h>

#include "ttbpf.h"

struct elf_image;

#define ERAS_MAX_BULK 8

struct era_desc {
	int era;		/* 4, 3, 2 */
	const char *name;	/* "E4 AllocatorImpl (late 2025+)" */
	const char *short_name; /* "E4 AllocatorImpl" */
	enum ttbpf_call_form call_form;
	/* NULL-terminated lists of mangled names; first match wins. */
	const char *const *alloc;
	const char *const *free;
	/* Every one found is a bulk-release site. */
	const char *const *bulk;
};

struct era_sym {
	const char *name; /* static string, NULL when not found */
	uint64_t value;
	uint64_t size;
};

struct era_match {
	const struct era_desc *desc;
	struct era_sym alloc;
	struct era_sym free;
	struct era_sym bulk[ERAS_MAX_BULK]; /* distinct addresses only */
	size_t n_bulk;
	struct era_sym device_vtable; /* the vtable symbol itself */
	struct era_sym mesh_vtable;
	/* BankManager::allocate_buffer (mangling varies): for --explain. */
	char bank_alloc_name[256];
	uint64_t bank_alloc_value;
};

/* The known eras, newest first. */
const struct era_desc *eras__table(size_t *n);

/*
 * Find the newest era whose allocate and deallocate symbols are both in
 * @img, with its bulk-release symbols and the Device/MeshDevice vtables.
 * -ENOENT when none matches; @err then lists the eras tried.
 */
int eras__resolve(const struct elf_image *img, struct era_match *out, char *err,
		  size_t errlen);

/* The value an object's vptr holds: vtable symbol + 16; 0 if unknown. */
uint64_t eras__vptr(const struct era_sym *vtable);

#endif /* TTBPF_ERAS_H */
