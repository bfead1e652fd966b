// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "errmsg.h"
#include "text_escape.h"

/* @s (@n bytes, no NUL inside) escaped both ways; they must agree. */
static const char *esc(const char *s, size_t n)
{
	static char buf[TEXT_ESCAPED_LEN(64)];
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);

	assert_non_null(f);
	text_escape(s, n, buf, sizeof(buf));
	text_escape_to(f, s, n);
	fclose(f);
	assert_int_equal(len, strlen(buf));
	assert_memory_equal(mem, buf, len);
	free(mem);
	return buf;
}

/* No byte a terminal acts on survives: C0, DEL, and any C1 byte. */
static void assert_terminal_safe(const char *out)
{
	for (const unsigned char *p = (const unsigned char *)out; *p; p++) {
		assert_true(*p >= 0x20);
		assert_true(*p != 0x7f);
	}
}

/* Every single byte on its own: exact bytes out, for all 255 of them. */
static void test_every_byte(void **state)
{
	(void)state;
	for (unsigned int c = 1; c < 256; c++) {
		char in[2] = { (char)c, 0 }, want[8];
		const char *out = esc(in, 1);

		if (c == '\\')
			strcpy(want, "\\\\");
		else if (c >= 0x20 && c < 0x7f)
			snprintf(want, sizeof(want), "%c", c);
		else /* controls, DEL, and every lone byte >= 0x80 */
			snprintf(want, sizeof(want), "\\x%02x", c);
		assert_string_equal(out, want);
		assert_terminal_safe(out);
	}
	/* NUL ends the string: nothing after it is shown. */
	assert_string_equal(esc("a\0b", 3), "a");
}

/* Every byte after a valid 2-byte lead: a C1 or a stray byte stays out. */
static void test_every_byte_in_sequences(void **state)
{
	(void)state;
	for (unsigned int lead = 0x80; lead < 0x100; lead++) {
		for (unsigned int c = 1; c < 256; c++) {
			char in[3] = { (char)lead, (char)c, 0 };
			const char *out = esc(in, 2);
			const unsigned char *p = (const unsigned char *)out;

			/* Whole valid sequences other than C1 and U+061C. */
			bool keep = c >= 0x80 && c <= 0xbf &&
				    ((lead == 0xc2 && c >= 0xa0) ||
				     (lead >= 0xc3 && lead <= 0xdf)) &&
				    !(lead == 0xd8 && c == 0x9c); /* U+061C */

			assert_terminal_safe(out);
			/* Raw high bytes appear only when kept whole. */
			for (; *p; p++)
				if (*p >= 0x80)
					assert_true(keep);
			if (keep)
				assert_memory_equal(out, in, 3);
		}
	}
}

static void test_attacks(void **state)
{
	(void)state;
	/* OSC retitle + clear screen, as a comm. */
	assert_string_equal(esc("\x1b]0;pwned\x07\x1b[2J", 64),
			    "\\x1b]0;pwned\\x07\\x1b[2J");
	/* A forged second line. */
	assert_string_equal(esc("a\nttbpf: ok", 64), "a\\x0attbpf: ok");
	/* 8-bit CSI raw and as UTF-8 U+009B. */
	assert_string_equal(esc("\x9b"
				"2J",
				64),
			    "\\x9b2J");
	assert_string_equal(esc("\xc2\x9b"
				"2J",
				64),
			    "\\xc2\\x9b2J");
	/* Right-to-left override U+202E and isolate U+2066. */
	assert_string_equal(esc("a\xe2\x80\xae"
				"b",
				64),
			    "a\\xe2\\x80\\xaeb");
	assert_string_equal(esc("\xe2\x81\xa6", 64), "\\xe2\\x81\\xa6");
	/* Line separator U+2028. */
	assert_string_equal(esc("\xe2\x80\xa8", 64), "\\xe2\\x80\\xa8");
	/* A backslash cannot fake an escape. */
	assert_string_equal(esc("\\x1b", 64), "\\\\x1b");
}

static void test_utf8(void **state)
{
	(void)state;
	/* Valid UTF-8 stays readable: é, €, an emoji, U+00A0. */
	assert_string_equal(esc("caf\xc3\xa9", 64), "caf\xc3\xa9");
	assert_string_equal(esc("\xe2\x82\xac", 64), "\xe2\x82\xac");
	assert_string_equal(esc("\xf0\x9f\x98\x80", 64), "\xf0\x9f\x98\x80");
	assert_string_equal(esc("\xc2\xa0", 64), "\xc2\xa0");
	/* Invalid: overlong '/', a surrogate, past U+10FFFF, truncated. */
	assert_string_equal(esc("\xc0\xaf", 64), "\\xc0\\xaf");
	assert_string_equal(esc("\xed\xa0\x80", 64), "\\xed\\xa0\\x80");
	assert_string_equal(esc("\xf4\x90\x80\x80", 64),
			    "\\xf4\\x90\\x80\\x80");
	assert_string_equal(esc("\xe2\x82", 64), "\\xe2\\x82");
	/* A sequence cut by @maxlen is not valid either. */
	assert_string_equal(esc("\xe2\x82\xac", 2), "\\xe2\\x82");
}

static void test_bounds(void **state)
{
	char b[8];

	(void)state;
	/* Whole units only: "ab\x1b" needs 7 bytes with the NUL. */
	assert_string_equal(text_escape("ab\x1b", 16, b, 7), "ab\\x1b");
	assert_string_equal(text_escape("ab\x1b", 16, b, 6), "ab");
	assert_string_equal(text_escape("a\xe2\x82\xac", 16, b, 4), "a");
	assert_string_equal(text_escape("a\xe2\x82\xac", 16, b, 5),
			    "a\xe2\x82\xac");
	assert_string_equal(text_escape("abcdef", 3, b, sizeof(b)), "abc");
	/* A comm of 16 bytes without NUL, all escaped, fits the macro. */
	{
		char comm[16], out[TEXT_ESCAPED_LEN(16)];

		memset(comm, 0x1b, sizeof(comm));
		text_escape(comm, sizeof(comm), out, sizeof(out));
		assert_int_equal(strlen(out), 64);
	}
	b[0] = 'x';
	text_escape("a", 1, b, 0); /* no room: untouched, no crash */
	assert_int_equal(b[0], 'x');
}

/* Errors quote paths other users chose: they come out escaped. */
static void test_errmsg(void **state)
{
	char err[64];

	(void)state;
	assert_int_equal(errmsg_set(err, sizeof(err), -5, "%s: not ELF",
				    "/tmp/\x1b[2J\n/libtt_metal.so"),
			 -5);
	assert_string_equal(err, "/tmp/\\x1b[2J\\x0a/libtt_metal.so: not ELF");
	/* Cut to the buffer at a whole escape. */
	errmsg_set(err, 11, -5, "%s", "abc\x1b\x1b");
	assert_string_equal(err, "abc\\x1b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_every_byte_in_sequences),
		cmocka_unit_test(test_attacks),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_errmsg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
