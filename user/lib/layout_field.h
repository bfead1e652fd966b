/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The fields of struct ttbpf_layout by number and name: the one map from a
 * field to where it lives, shared by discovery (tt_lib), its sources
 * (DWARF, accessors, profiles) and --layout.
 */
#ifndef TTBPF_LAYOUT_FIELD_H
#define TTBPF_LAYOUT_FIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ttbpf.h"

/* Where one layout field's value came from, best first. */
enum tt_layout_source {
	TT_SRC_NONE = 0, /* unknown */
	TT_SRC_DWARF,	 /* debug info of the library or its debug file */
	TT_SRC_ACCESSOR, /* machine code of an exported accessor */
	TT_SRC_PROFILE,	 /* built-in profile for the era */
	TT_SRC_OVERRIDE, /* --layout key=offset */
	TT_SRC_SYMBOL,	 /* symbol table (the vtables) */
};

/* The fields of struct ttbpf_layout, for sources and --layout keys. */
enum tt_layout_field {
	TT_F_IMPL = 0,
	TT_F_DEVICE,
	TT_F_SIZE,
	TT_F_TYPE,
	TT_F_ADDRESS,
	TT_F_PAGE_SIZE,
	TT_F_DEVICE_ID,
	TT_F_MESH_ID,
	TT_F_MESH_HOP,	  /* MeshDevice -> object holding its device vector */
	TT_F_MESH_DEVS,	  /* that vector's begin */
	TT_F_MESH_STRIDE, /* its element size */
	TT_F_MESH_LOCAL,  /* the element's "local chip" byte, -1: none */
	TT_F_DEVICE_VTABLE,
	TT_F_MESH_VTABLE,
	TT_NR_FIELDS,
};

/* The last member offset (the fields after it are vtable addresses). */
#define TT_F_LAST_OFFSET TT_F_MESH_LOCAL

/* Field names as used by --layout and --explain ("impl", "device", ...). */
const char *tt_layout_field_name(enum tt_layout_field f);
const char *tt_layout_source_name(enum tt_layout_source s);

/* The field called @name (@len bytes, not terminated), or -1. */
int layout_field__by_name(const char *name, size_t len);

/* A vtable address rather than a member offset. */
bool layout_field__is_address(enum tt_layout_field f);

/* -1 is a value: "there is none" (no pimpl, no mesh chips...). */
bool layout_field__may_be_none(enum tt_layout_field f);

int64_t layout_field__get(const struct ttbpf_layout *l, enum tt_layout_field f);
void layout_field__set(struct ttbpf_layout *l, enum tt_layout_field f,
		       int64_t v);

/* Every member offset -1 and every vtable 0: nothing known. */
void layout_field__reset(struct ttbpf_layout *l);

#endif /* TTBPF_LAYOUT_FIELD_H */
