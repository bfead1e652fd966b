// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <bpf/libbpf.h>

#include "version.h"

static void assert_matches(const char *s, const char *re)
{
	regex_t r;

	assert_int_equal(regcomp(&r, re, REG_EXTENDED | REG_NOSUB), 0);
	if (regexec(&r, s, 0, NULL, 0))
		fail_msg("\"%s\" does not match /%s/", s, re);
	regfree(&r);
}

static void test_four_lines(void **state)
{
	char buf[512], want[64];
	char *line, *save;
	int n;

	(void)state;
	n = version__format("ttbpf-x", buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(buf));
	line = strtok_r(buf, "\n", &save);
	assert_matches(line, "^ttbpf-x [0-9]+\\.[0-9]+\\.[0-9]+$");
	assert_string_equal(line + strlen("ttbpf-x "), version__release());
	line = strtok_r(NULL, "\n", &save);
	assert_matches(line, "^git revision: ([0-9a-f]{7,}(-dirty)?|unknown)$");
	line = strtok_r(NULL, "\n", &save);
	assert_matches(line,
		       "^BPF object: sha256 [0-9a-f]{64}, [1-9][0-9]* bytes$");
	/* The libbpf the binary runs with, asked at run time. */
	line = strtok_r(NULL, "\n", &save);
	snprintf(want, sizeof(want), "libbpf: %u.%u", libbpf_major_version(),
		 libbpf_minor_version());
	assert_string_equal(line, want);
	assert_null(strtok_r(NULL, "\n", &save));
}

static void test_truncates_safely(void **state)
{
	char small[16];
	int n;

	(void)state;
	memset(small, 'x', sizeof(small));
	n = version__format("ttbpf-x", small, sizeof(small));
	assert_true(n >= (int)sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_four_lines),
		cmocka_unit_test(test_truncates_safely),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
