/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Member offsets of Buffer (or BufferImpl), Device and MeshDevice from the
 * DWARF of the library or of its separate debug file: the best source,
 * when a build has it (RelWithDebInfo, distro -dbg packages).
 */
#ifndef TTBPF_DWARF_LAYOUT_H
#define TTBPF_DWARF_LAYOUT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "layout_field.h"

struct elf_image;
struct era_classes;

#define DWARF_DEFAULT_DEBUG_ROOT "/usr/lib/debug"

struct dwarf_field {
	int found;
	int32_t off;
	char detail[96]; /* "DWARF BufferImpl::size_ (libtt_metal.so)" */
};

struct dwarf_layout {
	char file[PATH_MAX]; /* where the DWARF was read */
	int separate;	     /* 1: a separate debug file */
	int found_buffer;
	int found_impl_class; /* BufferImpl, needed when Buffer has impl_ */
	int found_device;
	int found_mesh;
	/* indexed by enum tt_layout_field; only the offset fields */
	struct dwarf_field f[TT_NR_FIELDS];
	char notes[256];
};

/*
 * Read the layout of the era's @classes from @img's own DWARF, else its
 * debug file. Returns 0
 * when DWARF was read (fields may still be missing), -ENODATA when there
 * is none, or another negative errno.
 */
int dwarf_layout__load(const struct elf_image *img,
		       const struct era_classes *classes,
		       const char *debug_root, struct dwarf_layout *out);

#endif /* TTBPF_DWARF_LAYOUT_H */
