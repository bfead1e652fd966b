// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "text_escape.h"

size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	size_t need;
	uint32_t cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF. */
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return need;
}

/* Code point of a sequence utf8_seq_len() accepted. */
static uint32_t utf8_decode(const unsigned char *s, size_t len)
{
	static const unsigned char lead_mask[] = { 0, 0, 0x1f, 0x0f, 0x07 };
	uint32_t cp = s[0] & lead_mask[len];

	for (size_t i = 1; i < len; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	return cp;
}

/* Valid, but a terminal acts on it or it rearranges the line. */
static bool control_code_point(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x61c ||
	       (cp >= 0x200e && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

#define ESCAPE_UNIT_MAX 5 /* "\xNN" plus NUL, or a 4-byte sequence */

/*
 * Escape the unit at @s (@n > 0 bytes left): one byte, or one whole
 * UTF-8 sequence. Writes it to @out (not NUL-terminated), sets @out_len
 * and returns how many input bytes it took. Both front ends below go
 * through here, so text is escaped by this one rule.
 */
static size_t escape_unit(const unsigned char *s, size_t n,
			  char out[ESCAPE_UNIT_MAX], size_t *out_len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c = s[0];
	size_t u;

	if (c >= 0x20 && c < 0x7f && c != '\\') {
		out[0] = (char)c;
		*out_len = 1;
		return 1;
	}
	if (c == '\\') {
		out[0] = out[1] = '\\';
		*out_len = 2;
		return 1;
	}
	if (c >= 0x80 && (u = utf8_seq_len(s, n)) &&
	    !control_code_point(utf8_decode(s, u))) {
		memcpy(out, s, u);
		*out_len = u;
		return u;
	}
	out[0] = '\\';
	out[1] = 'x';
	out[2] = hex[c >> 4];
	out[3] = hex[c & 0xf];
	*out_len = 4;
	return 1;
}

const char *text_escape(const char *str, size_t maxlen, char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strnlen(str, maxlen), o = 0;

	if (!len)
		return buf;
	for (size_t i = 0; i < n;) {
		char unit[ESCAPE_UNIT_MAX];
		size_t ul, used = escape_unit(s + i, n - i, unit, &ul);

		if (ul >= len - o)
			break;
		memcpy(buf + o, unit, ul);
		o += ul;
		i += used;
	}
	buf[o] = '\0';
	return buf;
}

void text_escape_to(FILE *f, const char *str, size_t maxlen)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strnlen(str, maxlen);

	for (size_t i = 0; i < n;) {
		char unit[ESCAPE_UNIT_MAX];
		size_t ul;

		i += escape_unit(s + i, n - i, unit, &ul);
		fwrite(unit, 1, ul, f);
	}
}
