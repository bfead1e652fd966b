/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Everything that differs between ABI eras of TT-Metal, one row per era:
 * the allocator's entry points and call form, the classes the probes read
 * (as DWARF names them and where their accessors are mangled), the vtables
 * that tell a Device from a MeshDevice, and the built-in Buffer layout
 * with its MeshDevice chain. A new era is one row here plus a fixture.
 * Finding which era a library belongs to takes its symbol table alone.
 */
#ifndef TTBPF_ERAS_H
#define TTBPF_ERAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "layout_profiles.h"
#include "ttbpf.h"

struct elf_image;
struct elf_sym_info;

#define ERAS_MAX_BULK 8

/* The classes whose members the probes read. */
struct era_classes {
	/* Qualified names as DWARF spells them, inline namespaces (v0)
	 * dropped. */
	const char *buffer;
	const char *buffer_impl;
	const char *device;
	const char *mesh;
	/* Mangled namespaces of their exported accessors, tried in order
	 * ("2tt8tt_metal"); NULL-terminated. */
	const char *const *accessor_ns;
};

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
	const char *const *device_vtables;
	const char *const *mesh_vtables;
	const struct era_classes *classes;
	/* Buffer, Device and MeshDevice layout when neither DWARF nor
	 * accessors tell. */
	struct layout_profile profile;
	/* Exported Buffer accessors mean the pimpl Buffer (they are inline
	 * otherwise). */
	bool pimpl_if_exported;
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
};

/* The known eras, newest first. */
const struct era_desc *eras__table(size_t *n);

/* The row of era @era (4, 3, 2), or NULL. */
const struct era_desc *eras__find(int era);

/*
 * The const method without arguments @nested ("6Buffer4size", mangled
 * below the era's namespace) in @img: the first of the era's accessor
 * namespaces that has it. Fills @name (may be NULL) and @s; -ENOENT when
 * none has it.
 */
int eras__find_method(const struct elf_image *img, const struct era_desc *d,
		      const char *nested, char *name, size_t len,
		      struct elf_sym_info *s);

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
