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

#include "layout_field.h"
#include "ttbpf.h"

#define TT_LIB_MAX_SITES 64

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
