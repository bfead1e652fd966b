// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "stat_notes.h"

/* What stat_notes__print() writes, as a string. */
static int print_to(char *buf, size_t len, const uint64_t *s,
		    const uint64_t *since, enum stat_level level,
		    const char *prefix)
{
	FILE *f = fmemopen(buf, len, "w");
	int n;

	assert_non_null(f);
	n = stat_notes__print(s, since, level, prefix, f);
	fclose(f);
	return n;
}

static void test_warnings_only(void **state)
{
	uint64_t s[TTBPF_NR_STATS] = { 0 };
	char out[1024];

	(void)state;
	s[TTBPF_STAT_EVENTS_DROPPED] = 4;
	s[TTBPF_STAT_UNMATCHED_FREES] = 5;
	s[TTBPF_STAT_ALLOCS_MAP_FULL] = 6;
	s[TTBPF_STAT_BAD_READS] = 7;
	assert_int_equal(print_to(out, sizeof(out), s, NULL, STAT_WARNING, ""),
			 2);
	assert_string_equal(
		out, "WARNING: 6 allocations not recorded: buffer map full "
		     "(totals are incomplete; raise --max-buffers)\n"
		     "WARNING: 7 failed Buffer reads (the layout may be wrong "
		     "for this build: check ttbpf-trace --explain, fix with "
		     "--layout)\n");
}

static void test_stream_and_since(void **state)
{
	uint64_t s[TTBPF_NR_STATS] = { 0 }, last[TTBPF_NR_STATS] = { 0 };
	char out[1024];

	(void)state;
	s[TTBPF_STAT_EVENTS_DROPPED] = 4;
	s[TTBPF_STAT_ALLOCS_MAP_FULL] = 6;
	last[TTBPF_STAT_ALLOCS_MAP_FULL] = 6; /* said already */
	assert_int_equal(
		print_to(out, sizeof(out), s, last, STAT_STREAM, "ttbpf: "), 1);
	assert_string_equal(out, "ttbpf: WARNING: 4 events dropped (ring "
				 "buffer full: totals stay exact, the event "
				 "stream does not)\n");
	/* A full stack map loses detail, not totals: said at that level. */
	memset(s, 0, sizeof(s));
	s[TTBPF_STAT_STACKS_LOST] = 3;
	assert_int_equal(print_to(out, sizeof(out), s, NULL, STAT_STREAM, ""),
			 1);
	assert_int_equal(print_to(out, sizeof(out), s, NULL, STAT_WARNING, ""),
			 0);
	/* Notes are never warnings, at any level. */
	memset(s, 0, sizeof(s));
	s[TTBPF_STAT_ALLOC_FAILED] = 1;
	assert_int_equal(print_to(out, sizeof(out), s, NULL, STAT_STREAM, ""),
			 0);
}

/* A counter added to the enum without a JSON name would print "(null)". */
static void test_every_counter_named(void **state)
{
	(void)state;
	for (int i = 0; i < TTBPF_NR_STATS; i++) {
		assert_non_null(stat_names[i]);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(stat_names[i], stat_names[j]);
	}
	assert_string_equal(stat_names[TTBPF_STAT_ALLOCS_MAP_FULL],
			    "allocs_map_full");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_counter_named),
		cmocka_unit_test(test_warnings_only),
		cmocka_unit_test(test_stream_and_since),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
