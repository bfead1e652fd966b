// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lowest_bit.h"

/* The BPF index finds free and used slots with this: a wrong answer
 * would skip buffers at a device close. */
static void test_every_single_bit(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < 64; i++)
		assert_int_equal(lowest_bit64(1ULL << i), i);
}

static void test_against_ctz(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	(void)state;
	assert_int_equal(lowest_bit64(~0ULL), 0);
	assert_int_equal(lowest_bit64(0x8000000000000000ULL | 0x100), 8);
	for (int i = 0; i < 100000; i++) {
		/* xorshift: words with any number of bits set */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (x)
			assert_int_equal(lowest_bit64(x),
					 (unsigned int)__builtin_ctzll(x));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_single_bit),
		cmocka_unit_test(test_against_ctz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
