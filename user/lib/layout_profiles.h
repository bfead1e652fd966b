/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Built-in Buffer/Device layouts (one per era, in the era table of
 * eras.c), the fallback for Release builds that have neither DWARF nor
 * exported accessors, and choosing one from symbol evidence only.
 */
#ifndef TTBPF_LAYOUT_PROFILES_H
#define TTBPF_LAYOUT_PROFILES_H

#include "ttbpf.h"

struct layout_profile {
	const char *name; /* "E4 pimpl (late 2025+)" */
	/* offsets; mesh_id_off -1 and the vtables 0: never in a profile */
	struct ttbpf_layout layout;
	const char *caveat; /* other builds of the era this may not fit */
};

/*
 * The profile for @era (4, 3, 2): the era's own, unless its Buffer is
 * built the other way (pimpl or inline) than the evidence says. In E4,
 * @buffer_accessors_exported says whether Buffer::size() and friends are
 * out of line, which happens with the pimpl Buffer; @pimpl (-1 unknown,
 * 0, 1) overrides that guess when another source already decided whether
 * Buffer has impl_. NULL for an unknown era.
 */
const struct layout_profile *
layout_profiles__pick(int era, int buffer_accessors_exported, int pimpl);

#endif /* TTBPF_LAYOUT_PROFILES_H */
