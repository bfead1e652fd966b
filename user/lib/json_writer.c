// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>

#include "json_writer.h"
#include "text_escape.h"

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
	/* Past the nesting limit the text is already marked invalid (err):
	 * nothing is tracked there, only the levels below are kept right. */
	if (w->beyond) {
		w->after_key = false;
		return;
	}
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
	if (w->beyond || w->depth + 1 >= JSON_MAX_DEPTH) {
		w->err = -EOVERFLOW;
		w->beyond++;
		return;
	}
	w->first[++w->depth] = true;
}

static void nest_close(struct json_writer *w, char c)
{
	fputc_unlocked(c, w->f);
	/* Past the limit: only the levels that were tracked pop one. */
	if (w->beyond)
		w->beyond--;
	else if (w->depth > 0)
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

void json_writer__hex(struct json_writer *w, uint64_t v)
{
	before_value(w);
	fprintf(w->f, "\"0x%llx\"", (unsigned long long)v);
}

void json_writer__field_u64(struct json_writer *w, const char *key, uint64_t v)
{
	json_writer__key(w, key);
	json_writer__u64(w, v);
}

void json_writer__field_i64(struct json_writer *w, const char *key, int64_t v)
{
	json_writer__key(w, key);
	json_writer__i64(w, v);
}

void json_writer__field_hex(struct json_writer *w, const char *key, uint64_t v)
{
	json_writer__key(w, key);
	json_writer__hex(w, v);
}

void json_writer__field_string(struct json_writer *w, const char *key,
			       const char *s)
{
	json_writer__key(w, key);
	json_writer__string(w, s);
}

void json_writer__field_bool(struct json_writer *w, const char *key, bool v)
{
	json_writer__key(w, key);
	json_writer__bool(w, v);
}
