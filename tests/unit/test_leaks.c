// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The library behind ttbpf-snapshot's views, without maps: report order
 * (buffer_order.c), one resolution per distinct stack (stacks.c) and the
 * leak groups (leaks.c), on buffers whose groups and totals are known.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buffer_order.h"
#include "leaks.h"
#include "stacks.h"

#define NOW_NS (100ULL * 1000000000ULL)

struct spec {
	uint32_t pid;
	int device;
	uint8_t type;
	uint64_t size;
	int32_t stack_id;
	int32_t py_id;
	uint64_t age_ms;
};

static void fill(struct state *s, const struct spec *sp, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->now_ns = NOW_NS;
	s->bufs = calloc(n, sizeof(*s->bufs));
	assert_non_null(s->bufs);
	s->n_bufs = n;
	for (size_t i = 0; i < n; i++) {
		struct state_buf *b = &s->bufs[i];

		b->pid = sp[i].pid;
		b->buffer = 0x1000 + i;
		b->a.device = sp[i].device;
		b->a.dev_kind = TTBPF_DEV_CHIP;
		b->a.type = sp[i].type;
		b->a.size = sp[i].size;
		b->a.address = 0x100 * (i + 1);
		b->a.stack_id = sp[i].stack_id;
		b->a.py_stack_id = sp[i].py_id;
		b->a.ts_ns = NOW_NS - sp[i].age_ms * 1000000ULL;
	}
}

/* dev 0: L1 1000 (pid 1); DRAM pid 2 400, pid 1 200 + 100; dev 1: 500. */
static const struct spec order_bufs[] = {
	{ 1, 0, TTBPF_DRAM, 100, -1, 0, 0 },
	{ 1, 1, TTBPF_DRAM, 500, -1, 0, 0 },
	{ 2, 0, TTBPF_DRAM, 400, -1, 0, 0 },
	{ 1, 0, TTBPF_L1, 1000, -1, 0, 0 },
	{ 1, 0, TTBPF_DRAM, 200, -1, 0, 0 },
};

static void expect_sizes(const struct state *s, const uint64_t *want)
{
	for (size_t i = 0; i < s->n_bufs; i++)
		assert_int_equal(s->bufs[i].a.size, want[i]);
}

static void test_order_groups(void **state)
{
	/* largest type of a device first, then largest process of a type */
	static const uint64_t want[] = { 1000, 400, 200, 100, 500 };
	struct state s;

	(void)state;
	fill(&s, order_bufs, 5);
	assert_int_equal(buffer_order__groups(&s), 0);
	expect_sizes(&s, want);
	assert_true(state_buf__same_dev(&s.bufs[0], &s.bufs[1]));
	assert_false(state_buf__same_type(&s.bufs[0], &s.bufs[1]));
	assert_true(state_buf__same_type(&s.bufs[1], &s.bufs[3]));
	assert_false(state_buf__same_dev(&s.bufs[3], &s.bufs[4]));
	state__free(&s);
}

static void test_order_size(void **state)
{
	static const uint64_t want[] = { 1000, 500, 400, 200, 100 };
	struct state s;

	(void)state;
	fill(&s, order_bufs, 5);
	assert_int_equal(buffer_order__sort(&s, BUFFER_ORDER_SIZE), 0);
	expect_sizes(&s, want);
	state__free(&s);
}

/* Unreadable maps: a stack has no native frames, only its Python note. */
static const struct ttbpf_maps no_maps = {
	.allocs_fd = -1,
	.stacks_fd = -1,
	.py_stacks_fd = -1,
};

static void test_stacks_once_per_pid_and_id(void **state)
{
	static const struct spec sp[] = {
		{ 7, 0, TTBPF_DRAM, 1, 3, TTBPF_PY_NO_THREAD, 0 },
		{ 7, 0, TTBPF_DRAM, 2, 3, TTBPF_PY_NO_THREAD, 0 },
		{ 8, 0, TTBPF_DRAM, 4, 3, TTBPF_PY_NO_THREAD, 0 },
		{ 8, 0, TTBPF_DRAM, 8, -1, TTBPF_PY_NONE, 0 },
	};
	struct stacks st = {};
	const struct stack_sym *a, *b;
	struct state s;

	(void)state;
	fill(&s, sp, 4);
	assert_int_equal(
		stacks__build(&st, s.bufs, s.n_bufs, &no_maps, NULL, NULL), 0);
	assert_int_equal(st.n, 2);
	a = stacks__find(&st, &s.bufs[0]);
	assert_non_null(a);
	assert_ptr_equal(stacks__find(&st, &s.bufs[1]), a);
	b = stacks__find(&st, &s.bufs[2]);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_null(stacks__find(&st, &s.bufs[3]));
	assert_int_equal(a->n, 1);
	assert_int_equal(a->n_py, 1);
	assert_string_equal(a->labels[0], "[no Python frames on this thread]");
	/* equal frames of two processes join to the same text */
	assert_string_equal(a->joined, b->joined);
	stacks__free(&st);
	assert_int_equal(st.n, 0);
	state__free(&s);
}

static void test_leaks_group_and_age(void **state)
{
	/* stack 1 of pid 10 and of pid 20 hold the same frames */
	static const struct spec sp[] = {
		{ 10, 0, TTBPF_DRAM, 100, 1, TTBPF_PY_NO_THREAD, 5000 },
		{ 20, 0, TTBPF_L1, 50, 1, TTBPF_PY_NO_THREAD, 3000 },
		{ 10, 0, TTBPF_DRAM, 400, 2, TTBPF_PY_LOST, 1000 },
		{ 10, 1, TTBPF_TRACE, 10, -1, TTBPF_PY_NONE, 10000 },
		{ 10, 0, TTBPF_DRAM, 1, 1, TTBPF_PY_NO_THREAD, 100 },
	};
	struct stacks st = {};
	struct leaks lk = {};
	struct state s;

	(void)state;
	fill(&s, sp, 5);
	assert_int_equal(
		stacks__build(&st, s.bufs, s.n_bufs, &no_maps, NULL, NULL), 0);
	assert_int_equal(leaks__build(&lk, &s, &st, 500), 0);
	/* the 100 ms old buffer is too young */
	assert_int_equal(lk.count, 4);
	assert_int_equal(lk.bytes, 560);
	assert_int_equal(lk.n, 3);
	assert_int_equal(lk.v[0].bytes, 400);
	assert_int_equal(lk.v[0].count, 1);
	assert_string_equal(lk.v[0].stack->labels[0],
			    "[Python frames lost: unreadable or map full]");
	assert_int_equal(lk.v[1].bytes, 150);
	assert_int_equal(lk.v[1].count, 2);
	assert_int_equal(lk.v[1].bytes_by_type[TTBPF_DRAM], 100);
	assert_int_equal(lk.v[1].bytes_by_type[TTBPF_L1], 50);
	assert_int_equal(lk.v[1].n_pids, 2);
	assert_int_equal(lk.v[1].oldest_ms, 5000);
	assert_null(lk.v[2].stack);
	assert_int_equal(lk.v[2].bytes, 10);
	assert_int_equal(lk.v[2].bytes_by_type[TTBPF_TRACE], 10);
	assert_int_equal(lk.v[2].oldest_ms, 10000);
	leaks__free(&lk);
	assert_null(lk.v);
	/* nothing is that old */
	assert_int_equal(leaks__build(&lk, &s, &st, 20000), 0);
	assert_int_equal(lk.n, 0);
	assert_int_equal(lk.count, 0);
	leaks__free(&lk);
	stacks__free(&st);
	state__free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_groups),
		cmocka_unit_test(test_order_size),
		cmocka_unit_test(test_stacks_once_per_pid_and_id),
		cmocka_unit_test(test_leaks_group_and_age),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
