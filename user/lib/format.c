// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "format.h"
#include "stat_notes.h"

int format_type_parse(const char *name)
{
	for (unsigned int t = 0; t < TTBPF_NR_TYPES; t++)
		if (!strcasecmp(name, buffer_type_name(t)))
			return (int)t;
	return -EINVAL;
}

int format_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	/* strtoull takes spaces and signs; a number here must not. */
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int format_device_parse(const char *s, int *device, int *kind)
{
	uint64_t v;
	int k = -1;

	if (!strncmp(s, "chip:", 5) || !strncmp(s, "dev:", 4)) {
		k = TTBPF_DEV_CHIP;
		s = strchr(s, ':') + 1;
	} else if (!strncmp(s, "mesh:", 5)) {
		k = TTBPF_DEV_MESH;
		s += 5;
	}
	if (format_parse_u64(s, 0x7fffffff, &v))
		return -EINVAL;
	*device = (int)v;
	*kind = k;
	return 0;
}

const char *format_age_ms(uint64_t ms, char *buf, size_t len)
{
	if (ms < 1000)
		snprintf(buf, len, "%" PRIu64 "ms", ms);
	else if (ms < 60000)
		snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "s", ms / 1000,
			 ms % 1000 / 100);
	else if (ms < 3600000)
		snprintf(buf, len, "%" PRIu64 "m%02" PRIu64 "s", ms / 60000,
			 ms / 1000 % 60);
	else
		snprintf(buf, len, "%" PRIu64 "h%02" PRIu64 "m", ms / 3600000,
			 ms / 60000 % 60);
	return buf;
}

const char *format_bar(uint64_t used, uint64_t cap, unsigned int width,
		       char *buf, size_t len)
{
	unsigned int fill = 0, i;

	if (len < (size_t)width + 3) {
		if (len)
			buf[0] = '\0';
		return buf;
	}
	if (cap)
		fill = used >= cap ? width
				   : (unsigned int)((double)used / (double)cap *
						    width);
	/* Anything in use shows at least one cell. */
	if (used && cap && !fill && width)
		fill = 1;
	buf[0] = '[';
	for (i = 0; i < width; i++)
		buf[1 + i] = i < fill ? '#' : '.';
	buf[1 + width] = ']';
	buf[2 + width] = '\0';
	return buf;
}

double format_percent(uint64_t used, uint64_t cap)
{
	if (!cap)
		return 0.0;
	/* Integer math: 1 byte short of full must not print 100.0. */
	return (double)(unsigned long long)((__uint128_t)used * 1000 / cap) /
	       10.0;
}

void format_types_json(struct json_writer *w, const char *key, const __u64 *v)
{
	json_writer__key(w, key);
	json_writer__begin_object(w);
	for (unsigned int t = 0; t < TTBPF_NR_TYPES; t++)
		json_writer__field_u64(w, buffer_type_name(t), v[t]);
	json_writer__end_object(w);
}

void format_usage_json(struct json_writer *w, const struct ttbpf_usage *u)
{
	format_types_json(w, "usage", u->bytes);
	format_types_json(w, "buffers", u->buffers);
	format_types_json(w, "peak", u->peak);
	json_writer__field_u64(w, "allocs", u->allocs);
	json_writer__field_u64(w, "frees", u->frees);
	json_writer__field_u64(w, "failed", u->failed);
}

void format_stats_json(struct json_writer *w, const uint64_t *stats)
{
	json_writer__key(w, "stats");
	json_writer__begin_object(w);
	for (size_t i = 0; i < TTBPF_NR_STATS; i++)
		json_writer__field_u64(w, stat_names[i], stats[i]);
	json_writer__end_object(w);
}
