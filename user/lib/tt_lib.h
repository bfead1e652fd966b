/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Static analysis of one libtt_metal.so: which ABI era it is, where to put
 * every probe, and where the probes find the Buffer's fields. Pure: takes a
 * path, touches no BPF, so the unit tests can feed it any ELF file.
 */
#ifndef TT_LIB_H
#define TT_LIB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <limits.h>

#include "ttbpf.h"

#define TT_LIB_MAX_SITES 64

/* Where one layout field's value came from, best first. */
enum tt_layout_source {
	TT_SRC_NONE = 0, /* unknown */
	TT_SRC_DWARF,	 /* debug info of the library or its debug file */
	TT_SRC_ACCESSOR, /* machine code of an exported accessor */
	TT_SRC_PROFILE,	 /* built-in profile for the era */
	TT_SRC_OVERRIDE, /* --layout key=offset */
	TT_SRC_SYMBOL,	 /* symbol table (the vtables) */
};

/* The fields of struct ttbpf_layout, in order, for sources and --layout keys. */
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

struct tt_probe_site {
	uint64_t vaddr;	      /* virtual address in the file */
	uint64_t file_offset; /* what uprobes attach to */
	enum ttbpf_probe_role role;
	char symbol[160]; /* mangled name of the containing function */
	char insn[48];	  /* instruction probed: "push rbp" */
	int emulated;	  /* x86 uprobes emulate it (push, nop) */
};

struct tt_lib_info {
	char path[PATH_MAX];
	int era;	   /* 4, 3 or 2; 0 if no era matched */
	char era_name[64]; /* e.g. "E4 AllocatorImpl (late 2025+)" */
	int has_dwarf;
	char debug_file[PATH_MAX]; /* separate debug file used, or "" */
	struct tt_probe_site sites[TT_LIB_MAX_SITES];
	size_t n_sites;
	struct ttbpf_layout layout;
	enum tt_layout_source source[TT_NR_FIELDS];
	char source_detail[TT_NR_FIELDS]
			  [96]; /* e.g. "Buffer::size() @0x1234" */
	char notes[1024];	/* warnings worth showing in --explain */
	char profile[64];	/* built-in profile consulted, or "" */
	char bank_alloc[256];	/* BankManager::allocate_buffer seen, or "" */
};

/* Field names as used by --layout and --explain ("impl", "device", ...). */
const char *tt_layout_field_name(enum tt_layout_field f);
const char *tt_layout_source_name(enum tt_layout_source s);

/*
 * Analyse @path. @layout_override is the --layout string or NULL. Returns
 * 0, or a negative errno with a one-line cause and hint in @err.
 */
int tt_lib_analyze(const char *path, const char *layout_override,
		   struct tt_lib_info *out, char *err, size_t errlen);

/*
 * As tt_lib_analyze(), looking for separate debug files under @debug_root
 * instead of /usr/lib/debug (NULL: the default).
 */
int tt_lib_analyze_at(const char *path, const char *layout_override,
		      const char *debug_root, struct tt_lib_info *out,
		      char *err, size_t errlen);

/* Human-readable account of symbols, sites and layout with sources. */
void tt_lib_explain(const struct tt_lib_info *info, FILE *f);

#endif /* TT_LIB_H */
