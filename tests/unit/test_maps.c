// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The one list of pinned maps (maps.c) against the BPF object it pins
 * from: every name is a map of the object, once; the object's scratch
 * space, buffer index and internal maps are not in it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "maps.h"
#include "ttbpf.skel.h"

static void test_every_pinned_name_is_a_map(void **state)
{
	struct ttbpf *skel = ttbpf__open();
	const char *const *names;
	size_t n;

	(void)state;
	assert_non_null(skel);
	names = ttbpf_maps__pinned(&n);
	/* the readers' ten and the pinned tracer's own nine */
	assert_int_equal(n, 19);
	for (size_t i = 0; i < n; i++) {
		if (!bpf_object__find_map_by_name(skel->obj, names[i]))
			fail_msg("pinned map %s is not in the BPF object",
				 names[i]);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(names[i], names[j]);
	}
	ttbpf__destroy(skel);
}

static bool listed(const char *name)
{
	size_t n;
	const char *const *names = ttbpf_maps__pinned(&n);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

static void test_private_maps_stay_private(void **state)
{
	struct ttbpf *skel = ttbpf__open();
	struct bpf_map *map;
	size_t private_maps = 0;

	(void)state;
	assert_non_null(skel);
	bpf_object__for_each_map(map, skel->obj)
	{
		const char *name = bpf_map__name(map);

		if (strchr(name, '.') || strstr(name, "_scratch") ||
		    !strncmp(name, "idx_", 4) || !strcmp(name, "pending") ||
		    !strcmp(name, "exit_claims")) {
			assert_false(listed(name));
			private_maps++;
		} else if (!listed(name)) {
			fail_msg("map %s is neither pinned nor private", name);
		}
	}
	assert_true(private_maps > 0);
	ttbpf__destroy(skel);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_pinned_name_is_a_map),
		cmocka_unit_test(test_private_maps_stay_private),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
