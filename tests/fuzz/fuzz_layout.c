// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* --layout key=offset,... strings as the user types them. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "layout_override.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct layout_override o;
	struct ttbpf_layout l;
	char err[128];
	char *spec;

	/* A C string like argv: copy so ASan sees the real end. */
	spec = malloc(size + 1);
	if (!spec)
		return 0;
	memcpy(spec, data, size);
	spec[size] = '\0';

	memset(&o, 0, sizeof(o));
	memset(&l, 0, sizeof(l));
	if (!layout_override__parse(spec, &o, err, sizeof(err)))
		layout_override__apply(&o, &l);
	/* A short error buffer must be truncated, never overrun. */
	layout_override__parse(spec, &o, err, 4);
	layout_override__parse(spec, &o, NULL, 0);
	free(spec);
	return 0;
}
