/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* --layout key=offset,...: the user's word, which beats every other source. */
#ifndef TTBPF_LAYOUT_OVERRIDE_H
#define TTBPF_LAYOUT_OVERRIDE_H

#include <stddef.h>
#include <stdint.h>

#include "layout_field.h"

/* Largest accepted member offset; vtable addresses go up to 2^48. */
#define LAYOUT_OVERRIDE_MAX_OFF 0xfffff

struct layout_override {
	int set[TT_NR_FIELDS];
	int64_t value[TT_NR_FIELDS];
};

/*
 * Parse @spec ("size=8,impl=0x10"; keys are tt_layout_field_name()s,
 * values decimal or 0x hex, -1 only for impl and mesh_id). NULL sets
 * nothing. Returns 0, or -EINVAL with the offending item named in @err.
 */
int layout_override__parse(const char *spec, struct layout_override *out,
			   char *err, size_t errlen);

/* Write the set fields into @l. */
void layout_override__apply(const struct layout_override *o,
			    struct ttbpf_layout *l);

#endif /* TTBPF_LAYOUT_OVERRIDE_H */
