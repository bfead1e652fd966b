// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* ttbpf-top's largest Python holder per (process, device) row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "py_holder.h"

static struct state_buf buf(uint32_t pid, int dev, uint8_t kind, int32_t py,
			    uint64_t size)
{
	struct state_buf b = { .pid = pid };

	b.a.device = dev;
	b.a.dev_kind = kind;
	b.a.py_stack_id = py;
	b.a.size = size;
	return b;
}

/* Three small buffers from one stack outweigh one larger from another;
 * rows of other devices, kinds and pids are kept apart. */
static void test_largest_group_per_row(void **state)
{
	const struct state_buf bufs[] = {
		buf(7, 0, TTBPF_DEV_CHIP, 11, 3000),
		buf(7, 0, TTBPF_DEV_CHIP, 5, 1000),
		buf(7, 1, TTBPF_DEV_CHIP, 11, 50),
		buf(7, 0, TTBPF_DEV_CHIP, 5, 1000),
		buf(8, 0, TTBPF_DEV_CHIP, TTBPF_PY_PENDING, 64),
		buf(7, 0, TTBPF_DEV_CHIP, 5, 1001),
		buf(7, 0, TTBPF_DEV_MESH, 9, 10),
	};
	struct py_holders h;
	const struct py_holder *p;

	(void)state;
	assert_int_equal(py_holders__build(&h, bufs, 7), 0);
	assert_int_equal(h.n, 4);
	p = py_holders__find(&h, 7, 0, TTBPF_DEV_CHIP);
	assert_non_null(p);
	assert_int_equal(p->py_id, 5);
	assert_int_equal(p->bytes, 3001);
	assert_int_equal(p->buffers, 3);
	p = py_holders__find(&h, 7, 1, TTBPF_DEV_CHIP);
	assert_non_null(p);
	assert_int_equal(p->py_id, 11);
	assert_int_equal(p->bytes, 50);
	p = py_holders__find(&h, 7, 0, TTBPF_DEV_MESH);
	assert_non_null(p);
	assert_int_equal(p->py_id, 9);
	p = py_holders__find(&h, 8, 0, TTBPF_DEV_CHIP);
	assert_non_null(p);
	assert_int_equal(p->py_id, TTBPF_PY_PENDING);
	assert_null(py_holders__find(&h, 9, 0, TTBPF_DEV_CHIP));
	py_holders__free(&h);
}

static void test_no_buffers(void **state)
{
	struct py_holders h;

	(void)state;
	assert_int_equal(py_holders__build(&h, NULL, 0), 0);
	assert_int_equal(h.n, 0);
	assert_null(py_holders__find(&h, 1, 0, TTBPF_DEV_CHIP));
	py_holders__free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_largest_group_per_row),
		cmocka_unit_test(test_no_buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
