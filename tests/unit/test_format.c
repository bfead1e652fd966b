// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "format.h"

static void test_type_parse(void **state)
{
	(void)state;
	assert_int_equal(format_type_parse("DRAM"), TTBPF_DRAM);
	assert_int_equal(format_type_parse("l1"), TTBPF_L1);
	assert_int_equal(format_type_parse("System_Memory"),
			 TTBPF_SYSTEM_MEMORY);
	assert_int_equal(format_type_parse("L1_SMALL"), TTBPF_L1_SMALL);
	assert_int_equal(format_type_parse("trace"), TTBPF_TRACE);
	assert_int_equal(format_type_parse("L2"), -EINVAL);
	assert_int_equal(format_type_parse(""), -EINVAL);
	assert_int_equal(format_type_parse("DRAM "), -EINVAL);
}

static void test_numbers(void **state)
{
	uint64_t v = 99;
	int dev = 9, kind = 9;

	(void)state;
	assert_int_equal(format_parse_u64("0", 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(format_parse_u64("0x10", 100, &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(
		format_parse_u64("18446744073709551615", UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	v = 7;
	assert_int_equal(
		format_parse_u64("18446744073709551616", UINT64_MAX, &v),
		-EINVAL);
	assert_int_equal(format_parse_u64("11", 10, &v), -EINVAL);
	assert_int_equal(format_parse_u64("-1", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(format_parse_u64("+1", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(format_parse_u64(" 1", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(format_parse_u64("1 ", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(format_parse_u64("", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(format_parse_u64(NULL, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(v, 7);

	assert_int_equal(format_device_parse("3", &dev, &kind), 0);
	assert_int_equal(dev, 3);
	assert_int_equal(kind, -1);
	assert_int_equal(format_device_parse("chip:4", &dev, &kind), 0);
	assert_int_equal(dev, 4);
	assert_int_equal(kind, TTBPF_DEV_CHIP);
	assert_int_equal(format_device_parse("dev:5", &dev, &kind), 0);
	assert_int_equal(dev, 5);
	assert_int_equal(kind, TTBPF_DEV_CHIP);
	assert_int_equal(format_device_parse("mesh:1", &dev, &kind), 0);
	assert_int_equal(dev, 1);
	assert_int_equal(kind, TTBPF_DEV_MESH);
	assert_int_equal(format_device_parse("2147483647", &dev, &kind), 0);
	assert_int_equal(dev, 2147483647);
	assert_int_equal(format_device_parse("2147483648", &dev, &kind),
			 -EINVAL);
	assert_int_equal(format_device_parse("-1", &dev, &kind), -EINVAL);
	assert_int_equal(format_device_parse("mesh:", &dev, &kind), -EINVAL);
	assert_int_equal(format_device_parse("mesh1", &dev, &kind), -EINVAL);
	assert_int_equal(format_device_parse("1x", &dev, &kind), -EINVAL);
	assert_int_equal(dev, 2147483647);
}

static void test_age(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(format_age_ms(0, b, sizeof(b)), "0ms");
	assert_string_equal(format_age_ms(999, b, sizeof(b)), "999ms");
	assert_string_equal(format_age_ms(1000, b, sizeof(b)), "1.0s");
	assert_string_equal(format_age_ms(12345, b, sizeof(b)), "12.3s");
	assert_string_equal(format_age_ms(59999, b, sizeof(b)), "59.9s");
	assert_string_equal(format_age_ms(60000, b, sizeof(b)), "1m00s");
	assert_string_equal(format_age_ms(303000, b, sizeof(b)), "5m03s");
	assert_string_equal(format_age_ms(3599999, b, sizeof(b)), "59m59s");
	assert_string_equal(format_age_ms(3600000, b, sizeof(b)), "1h00m");
	assert_string_equal(format_age_ms(7500000, b, sizeof(b)), "2h05m");
}

static void test_bar_percent(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(format_bar(0, 100, 10, b, sizeof(b)),
			    "[..........]");
	assert_string_equal(format_bar(50, 100, 10, b, sizeof(b)),
			    "[#####.....]");
	assert_string_equal(format_bar(59, 100, 10, b, sizeof(b)),
			    "[#####.....]");
	/* Any use shows one cell. */
	assert_string_equal(format_bar(1, 1000, 10, b, sizeof(b)),
			    "[#.........]");
	assert_string_equal(format_bar(100, 100, 4, b, sizeof(b)), "[####]");
	assert_string_equal(format_bar(500, 100, 4, b, sizeof(b)), "[####]");
	assert_string_equal(format_bar(5, 0, 4, b, sizeof(b)), "[....]");
	/* Too small a buffer gives an empty string, not a cut bar. */
	assert_string_equal(format_bar(5, 10, 10, b, 12), "");

	assert_true(format_percent(1, 3) == 33.3);
	assert_true(format_percent(999, 1000) == 99.9);
	assert_true(format_percent(9999, 10000) == 99.9);
	assert_true(format_percent(1000, 1000) == 100.0);
	assert_true(format_percent(7, 0) == 0.0);
	assert_true(format_percent(1ULL << 63, 1ULL << 63) == 100.0);
	assert_true(format_percent(UINT64_MAX, UINT64_MAX / 2) == 200.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_parse),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_age),
		cmocka_unit_test(test_bar_percent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
