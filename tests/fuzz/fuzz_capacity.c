// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --capacity TYPE=BYTES strings and the number, type and device parsers
 * of format.c. The first byte picks the parser, the rest is the string.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capacity.h"
#include "format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t maxes[] = { UINT64_MAX, 0,	 1,
					  0xfffff,    INT32_MAX, UINT32_MAX };
	struct capacity c, before;
	uint64_t v = 0;
	int dev = 0, kind = 0;
	uint8_t sel;
	char *s;

	if (!size)
		return 0;
	sel = data[0];
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';

	switch (sel % 5) {
	case 0:
		memset(&c, 0, sizeof(c));
		capacity__for_arch("wormhole_b0", &c);
		before = c;
		/* Documented: @c untouched on error. */
		if (capacity__parse(s, &c) && memcmp(&c, &before, sizeof(c)))
			abort();
		break;
	case 1: {
		uint64_t max =
			maxes[(sel / 5) % (sizeof(maxes) / sizeof(maxes[0]))];

		/* Documented: at most @max. */
		if (!format_parse_u64(s, max, &v) && v > max)
			abort();
		break;
	}
	case 2: {
		int t = format_type_parse(s);

		if (t >= TTBPF_NR_TYPES)
			abort();
		break;
	}
	case 3:
		format_device_parse(s, &dev, &kind);
		break;
	case 4:
		memset(&c, 0, sizeof(c));
		capacity__for_arch(s, &c);
		break;
	}
	free(s);
	return 0;
}
