// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "json_writer.h"

/* Run @fn on a memory stream; the text it wrote (caller frees). */
static char *capture(void (*fn)(FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void write_doc(FILE *f)
{
	struct json_writer w;

	json_writer__init(&w, f);
	json_writer__begin_object(&w);
	json_writer__key(&w, "a");
	json_writer__u64(&w, 18446744073709551615ULL);
	json_writer__key(&w, "b");
	json_writer__begin_array(&w);
	json_writer__i64(&w, -9223372036854775807LL - 1);
	json_writer__i64(&w, 0);
	json_writer__string(&w, "x");
	json_writer__begin_array(&w);
	json_writer__end_array(&w);
	json_writer__begin_object(&w);
	json_writer__end_object(&w);
	json_writer__end_array(&w);
	json_writer__key(&w, "c");
	json_writer__begin_object(&w);
	json_writer__key(&w, "d");
	json_writer__bool(&w, true);
	json_writer__key(&w, "e");
	json_writer__null(&w);
	json_writer__key(&w, "f");
	json_writer__bool(&w, false);
	json_writer__end_object(&w);
	json_writer__key(&w, "k\"ey");
	json_writer__string_n(&w, "abcdef", 3);
	json_writer__end_object(&w);
	assert_int_equal(w.err, 0);
	assert_int_equal(w.depth, 0);
}

static void test_json_structure(void **state)
{
	char *out = capture(write_doc);

	(void)state;
	assert_string_equal(out, "{\"a\":18446744073709551615,\"b\":["
				 "-9223372036854775808,0,\"x\",[],{}],"
				 "\"c\":{\"d\":true,\"e\":null,\"f\":false},"
				 "\"k\\\"ey\":\"abc\"}");
	free(out);
}

static void write_strings(FILE *f)
{
	struct json_writer w;

	json_writer__init(&w, f);
	json_writer__begin_array(&w);
	/* Quote, backslash, the short escapes, other controls, DEL. */
	json_writer__string(&w, "q\"b\\n\nr\rt\tb\bf\f\x01\x1f\x7f");
	/* Valid UTF-8 (2, 3, 4 bytes) passes through. */
	json_writer__string(&w, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	/* A lone high byte, an overlong '/', a surrogate, a cut sequence. */
	json_writer__string(&w, "\xff");
	json_writer__string(&w, "\xc0\xaf");
	json_writer__string(&w, "\xed\xa0\x80");
	json_writer__string(&w, "a\xe2\x82");
	/* A comm without a terminating NUL stops at maxlen. */
	json_writer__string_n(&w, "0123456789abcdefXYZ", 16);
	json_writer__end_array(&w);
}

static void test_json_escaping(void **state)
{
	char *out = capture(write_strings);

	(void)state;
	assert_string_equal(out,
			    "[\"q\\\"b\\\\n\\nr\\rt\\tb\\bf\\f\\u0001"
			    "\\u001f\\u007f\",\"\xc3\xa9\xe2\x82\xac\xf0"
			    "\x9f\x98\x80\",\"\\u00ff\",\"\\u00c0\\u00af\","
			    "\"\\u00ed\\u00a0\\u0080\",\"a\\u00e2\\u0082\","
			    "\"0123456789abcdef\"]");
	free(out);
}

static void write_deep(FILE *f)
{
	struct json_writer w;

	json_writer__init(&w, f);
	json_writer__begin_object(&w);
	json_writer__key(&w, "a");
	for (int i = 0; i < JSON_MAX_DEPTH + 2; i++)
		json_writer__begin_array(&w);
	assert_int_equal(w.err, -EOVERFLOW);
	for (int i = 0; i < JSON_MAX_DEPTH + 2; i++)
		json_writer__end_array(&w);
	/* Back in the object, after its first member. */
	json_writer__field_u64(&w, "b", 1);
	json_writer__end_object(&w);
	assert_int_equal(w.depth, 0);
}

static void test_json_depth(void **state)
{
	char *out = capture(write_deep);
	char want[3 * JSON_MAX_DEPTH + 32], *p = want;

	(void)state;
	p += sprintf(p, "{\"a\":");
	for (int i = 0; i < JSON_MAX_DEPTH + 2; i++)
		*p++ = '[';
	for (int i = 0; i < JSON_MAX_DEPTH + 2; i++)
		*p++ = ']';
	sprintf(p, ",\"b\":1}");
	assert_string_equal(out, want);
	free(out);
}

static void write_fields(FILE *f)
{
	struct json_writer w;

	json_writer__init(&w, f);
	json_writer__begin_object(&w);
	json_writer__field_u64(&w, "u", 7);
	json_writer__field_i64(&w, "i", -7);
	/* Above 2^53: a string, so no reader rounds it. */
	json_writer__field_hex(&w, "buffer", 0xffff8881234567f9ULL);
	json_writer__field_hex(&w, "zero", 0);
	json_writer__field_string(&w, "s", "\xe2\x80\xa8");
	json_writer__field_bool(&w, "b", false);
	json_writer__key(&w, "a");
	json_writer__begin_array(&w);
	json_writer__hex(&w, 0x10);
	json_writer__end_array(&w);
	json_writer__end_object(&w);
}

static void test_json_fields(void **state)
{
	char *out = capture(write_fields);

	(void)state;
	/* U+2028 is valid JSON text: it passes through as UTF-8. */
	assert_string_equal(out, "{\"u\":7,\"i\":-7,\"buffer\":"
				 "\"0xffff8881234567f9\",\"zero\":\"0x0\","
				 "\"s\":\"\xe2\x80\xa8\",\"b\":false,"
				 "\"a\":[\"0x10\"]}");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_structure),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_json_depth),
		cmocka_unit_test(test_json_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
