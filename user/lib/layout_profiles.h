/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Built-in Buffer/Device layouts per era (tt-metal-abi.md section 3), the
 * fallback for Release builds that have neither DWARF nor exported
 * accessors. Chosen from symbol evidence only.
 */
#ifndef TTBPF_LAYOUT_PROFILES_H
#define TTBPF_LAYOUT_PROFILES_H

#include "ttbpf.h"

struct layout_profile {
	const char *name; /* "E4 pimpl (late 2025+)" */
	int era;
	/* offsets; mesh_id_off -1 and the vtables 0: never in a profile */
	struct ttbpf_layout layout;
	const char *caveat; /* other builds of the era this may not fit */
};

/*
 * The profile for @era (4, 3, 2). In E4, @buffer_accessors_exported says
 * whether Buffer::size() and friends are out of line, which happens with
 * the pimpl Buffer; @pimpl (-1 unknown, 0, 1) overrides that guess when
 * another source already decided whether Buffer has impl_. NULL for an
 * unknown era.
 */
const struct layout_profile *
layout_profiles__pick(int era, int buffer_accessors_exported, int pimpl);

/* All profiles, for tests and --explain. */
const struct layout_profile *layout_profiles__table(int *n);

#endif /* TTBPF_LAYOUT_PROFILES_H */
