// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "eras.h"
#include "layout_profiles.h"

/* tt-metal-abi.md section 3 (E2: buffer.hpp of Dec 2024, see the .c). */
static void expect(const struct layout_profile *p, int impl, int dev, int size,
		   int type, int addr, int page)
{
	assert_non_null(p);
	assert_int_equal(p->layout.impl_off, impl);
	assert_int_equal(p->layout.device_off, dev);
	assert_int_equal(p->layout.size_off, size);
	assert_int_equal(p->layout.type_off, type);
	assert_int_equal(p->layout.address_off, addr);
	assert_int_equal(p->layout.page_size_off, page);
	assert_int_equal(p->layout.device_id_off, 8);
	assert_int_equal(p->layout.mesh_id_off, -1);
	assert_int_equal(p->layout.device_vtable, 0);
	assert_int_equal(p->layout.mesh_vtable, 0);
}

static void test_e4(void **state)
{
	(void)state;
	/* exported Buffer accessors: the pimpl Buffer */
	expect(layout_profiles__pick(4, 1, -1), 16, 0, 8, 16, 64, 72);
	/* E4 allocator with the inline 2025 Buffer */
	expect(layout_profiles__pick(4, 0, -1), -1, 16, 24, 32, 80, 88);
	/* another source already said whether impl_ exists */
	expect(layout_profiles__pick(4, 1, 0), -1, 16, 24, 32, 80, 88);
	expect(layout_profiles__pick(4, 0, 1), 16, 0, 8, 16, 64, 72);
}

static void test_e3(void **state)
{
	(void)state;
	expect(layout_profiles__pick(3, 0, -1), -1, 16, 24, 32, 80, 88);
	expect(layout_profiles__pick(3, 1, -1), -1, 16, 24, 32, 80, 88);
	assert_non_null(layout_profiles__pick(3, 0, -1)->caveat);
}

static void test_e2(void **state)
{
	(void)state;
	expect(layout_profiles__pick(2, 0, -1), -1, 0, 8, 16, 64, 168);
	assert_ptr_equal(layout_profiles__pick(2, 0, -1),
			 &eras__find(2)->profile);
}

static void test_unknown(void **state)
{
	size_t n;

	(void)state;
	assert_null(layout_profiles__pick(1, 0, -1));
	assert_null(layout_profiles__pick(5, 1, -1));
	assert_null(layout_profiles__pick(0, 0, 0));
	/* one profile per era, each in its era's row */
	assert_non_null(eras__table(&n));
	assert_int_equal(n, 3);
	assert_ptr_equal(layout_profiles__pick(4, 1, -1),
			 &eras__find(4)->profile);
	assert_ptr_equal(layout_profiles__pick(3, 0, -1),
			 &eras__find(3)->profile);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_e4),
		cmocka_unit_test(test_e3),
		cmocka_unit_test(test_e2),
		cmocka_unit_test(test_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
