// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "format.h"

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

/* Needs no escaping: printable ASCII other than '"' and '\\'. */
static bool json_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/*
 * Output is single-threaded and can be a million objects long: the
 * _unlocked stdio calls and runs of plain bytes keep it cheap.
 */
void json_escape_to(FILE *f, const char *str, size_t maxlen)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strnlen(str, maxlen);

	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		size_t u, run = i;

		while (run < n && json_plain(s[run]))
			run++;
		if (run > i) {
			fwrite_unlocked(s + i, 1, run - i, f);
			i = run - 1;
			continue;
		}
		switch (c) {
		case '"':
			fputs_unlocked("\\\"", f);
			continue;
		case '\\':
			fputs_unlocked("\\\\", f);
			continue;
		case '\n':
			fputs_unlocked("\\n", f);
			continue;
		case '\r':
			fputs_unlocked("\\r", f);
			continue;
		case '\t':
			fputs_unlocked("\\t", f);
			continue;
		case '\b':
			fputs_unlocked("\\b", f);
			continue;
		case '\f':
			fputs_unlocked("\\f", f);
			continue;
		}
		if (c >= 0x80 && (u = utf8_seq_len(s + i, n - i))) {
			fwrite_unlocked(s + i, 1, u, f);
			i += u - 1;
		} else {
			fprintf(f, "\\u%04x", c);
		}
	}
}

void json_writer__init(struct json_writer *w, FILE *f)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->first[0] = true;
}

/* Separator before a value: none after a key, a comma between items. */
static void before_value(struct json_writer *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (!w->first[w->depth])
		fputc_unlocked(',', w->f);
	w->first[w->depth] = false;
}

static void nest_open(struct json_writer *w, char c)
{
	before_value(w);
	fputc_unlocked(c, w->f);
	if (w->depth + 1 >= JSON_MAX_DEPTH) {
		w->err = -EOVERFLOW;
		return;
	}
	w->first[++w->depth] = true;
}

static void nest_close(struct json_writer *w, char c)
{
	fputc_unlocked(c, w->f);
	if (w->depth > 0)
		w->depth--;
}

void json_writer__begin_object(struct json_writer *w)
{
	nest_open(w, '{');
}

void json_writer__end_object(struct json_writer *w)
{
	nest_close(w, '}');
}

void json_writer__begin_array(struct json_writer *w)
{
	nest_open(w, '[');
}

void json_writer__end_array(struct json_writer *w)
{
	nest_close(w, ']');
}

void json_writer__key(struct json_writer *w, const char *key)
{
	before_value(w);
	fputc_unlocked('"', w->f);
	json_escape_to(w->f, key, SIZE_MAX);
	fputs_unlocked("\":", w->f);
	w->after_key = true;
}

void json_writer__string_n(struct json_writer *w, const char *s, size_t maxlen)
{
	before_value(w);
	fputc_unlocked('"', w->f);
	json_escape_to(w->f, s, maxlen);
	fputc_unlocked('"', w->f);
}

void json_writer__string(struct json_writer *w, const char *s)
{
	json_writer__string_n(w, s, SIZE_MAX);
}

static void put_u64(FILE *f, uint64_t v, bool neg)
{
	char buf[24];
	size_t i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (neg)
		buf[--i] = '-';
	fwrite_unlocked(buf + i, 1, sizeof(buf) - i, f);
}

void json_writer__u64(struct json_writer *w, uint64_t v)
{
	before_value(w);
	put_u64(w->f, v, false);
}

void json_writer__i64(struct json_writer *w, int64_t v)
{
	before_value(w);
	put_u64(w->f, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0);
}

void json_writer__bool(struct json_writer *w, bool v)
{
	before_value(w);
	fputs_unlocked(v ? "true" : "false", w->f);
}

void json_writer__null(struct json_writer *w)
{
	before_value(w);
	fputs_unlocked("null", w->f);
}
