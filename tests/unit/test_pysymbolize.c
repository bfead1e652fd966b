// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "pyframes.h"
#include "pysymbolize.h"

struct line_case {
	int64_t lasti;
	int line;
};

static void check_lines(uint32_t version, const uint8_t *tab, size_t len,
			const struct line_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(
			py_linetable_line(version, tab, len, 10, c[i].lasti),
			c[i].line);
}

/* 3.10 (PEP 626): (bytes advanced, line delta) pairs; -128: no line.
 * f_lasti counts code units of two bytes. */
static void test_linetable_310(void **state)
{
	static const uint8_t tab[] = { 6, 0, 4, 1, 2, 0x80, 8, 2 };
	static const struct line_case c[] = {
		{ 0, 10 }, { 2, 10 }, { 3, 11 }, { 5, 0 }, { 9, 13 }, { 10, 0 },
	};

	(void)state;
	check_lines(0x030a, tab, sizeof(tab), c, sizeof(c) / sizeof(c[0]));
}

/* 3.11+ (PEP 657): one entry per form, lengths in code units. */
static void test_linetable_311(void **state)
{
	static const uint8_t tab[] = {
		0xe9, 0x02,		      /* no columns, 2 units, line +1 */
		0xda, 0x01, 0x05,	      /* one line +1, 3 units */
		0xf8,			      /* no location, 1 unit */
		0xf0, 0x05, 0x00, 0x01, 0x02, /* long form, line -2 */
		0x80, 0x11,		      /* short form, same line */
		0xe8, 0x50, 0x01, /* no columns, line +40 (2 bytes) */
	};
	static const struct line_case c[] = {
		{ 0, 11 }, { 1, 11 }, { 4, 12 }, { 5, 0 },
		{ 6, 10 }, { 7, 10 }, { 8, 50 }, { 9, 0 },
	};

	(void)state;
	for (uint32_t v = 0x030b; v <= 0x030d; v++)
		check_lines(v, tab, sizeof(tab), c, sizeof(c) / sizeof(c[0]));
}

/* Built-in layouts exist for 3.10 to 3.13 only; each frame read covers
 * every field the BPF side takes from it. */
static void test_builtin_versions(void **state)
{
	struct py_target t;

	(void)state;
	assert_int_equal(pyframes__builtin(0x0309, &t), -ENOTSUP);
	assert_int_equal(pyframes__builtin(0x030e, &t), -ENOTSUP);
	for (uint32_t v = 0x030a; v <= 0x030d; v++) {
		memset(&t, 0, sizeof(t));
		assert_int_equal(pyframes__builtin(v, &t), 0);
		assert_true(t.bpf.frame_len <= TTBPF_PY_FRAME_READ);
		assert_true(t.bpf.frame_code + 8 <= (int32_t)t.bpf.frame_len);
		assert_true(t.bpf.frame_prev + 8 <= (int32_t)t.bpf.frame_len);
		assert_true(t.bpf.frame_instr + 8 <= (int32_t)t.bpf.frame_len);
		/* Only 3.10 counts f_lasti; later versions keep a pointer. */
		assert_int_equal(t.code.co_code_adaptive < 0, v == 0x030a);
		/* Shim frames of C calls exist from 3.12 on. */
		assert_int_equal(t.bpf.frame_owner >= 0, v >= 0x030c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linetable_310),
		cmocka_unit_test(test_linetable_311),
		cmocka_unit_test(test_builtin_versions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
