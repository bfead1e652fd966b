// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Host-wide chip numbers (chip_ids.c): a process's environment read from
 * its memory, unknown numbers marked unknown, device rows following the
 * processes that moved. The unique-id path needs real TT-Metal:
 * tests/real/test_mock_identity.sh.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "chip_ids.h"
#include "release_rows.h"
#include "state.h"

static void test_label(void **state)
{
	char b[64];

	(void)state;
	assert_string_equal(
		chip_ids__label(2, TTBPF_DEV_CHIP, 2, false, b, sizeof(b)),
		"dev 2");
	assert_string_equal(
		chip_ids__label(1, TTBPF_DEV_CHIP, 0, false, b, sizeof(b)),
		"dev 1 (local 0)");
	assert_string_equal(
		chip_ids__label(-1, TTBPF_DEV_CHIP, 0, true, b, sizeof(b)),
		"dev ? (local 0)");
	assert_string_equal(
		chip_ids__label(3, TTBPF_DEV_MESH, 3, false, b, sizeof(b)),
		"mesh 3");
}

static struct state_proc row(uint32_t pid, int local)
{
	struct state_proc p = { .pid = pid, .kind = TTBPF_DEV_CHIP };

	p.device = p.local_device = local;
	return p;
}

/* A process never seen running: its number is unknown, not its own id. */
static void test_unseen_is_unknown(void **state)
{
	struct state_proc p = row(0x7ffffff0, 1);

	(void)state;
	chip_ids__reset();
	chip_ids__translate(&p);
	assert_true(p.host_unknown);
	assert_int_equal(p.device, -1);
	assert_int_equal(p.local_device, 1);
	assert_false(p.has_uid);
}

/* This process has no TT_VISIBLE_DEVICES: its ids are host-wide. */
static void test_not_renumbered(void **state)
{
	struct state_proc p = row((uint32_t)getpid(), 3);

	(void)state;
	chip_ids__reset();
	unsetenv("TT_VISIBLE_DEVICES");
	chip_ids__see(NULL, (uint32_t)getpid());
	chip_ids__translate(&p);
	assert_false(p.host_unknown);
	assert_int_equal(p.device, 3);
}

/* A child that sets TT_VISIBLE_DEVICES with setenv() (@set) or not after
 * it started, as seen while it runs, translated once it has exited. */
static struct state_proc child_row(bool set)
{
	int go[2], ready[2];
	struct state_proc p;
	pid_t child;
	char c;

	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(ready), 0);
	child = fork();
	assert_true(child >= 0);
	if (!child) {
		if (set)
			setenv("TT_VISIBLE_DEVICES", "1", 1);
		(void)!write(ready[1], "r", 1);
		(void)!read(go[0], &c, 1);
		_exit(0);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	chip_ids__see(NULL, (uint32_t)child);
	(void)!write(go[1], "g", 1);
	waitpid(child, NULL, 0);
	p = row((uint32_t)child, 0);
	chip_ids__translate(&p);
	close(go[0]);
	close(go[1]);
	close(ready[0]);
	close(ready[1]);
	return p;
}

/* Set after the process started (absent from /proc/PID/environ): seen,
 * and without a unique id the number is unknown; the same child without
 * it keeps its ids, so the environment was read both times. */
static void test_set_at_run_time(void **state)
{
	struct state_proc p;

	(void)state;
	chip_ids__reset();
	unsetenv("TT_VISIBLE_DEVICES");
	p = child_row(false);
	assert_false(p.host_unknown);
	assert_int_equal(p.device, 0);
	p = child_row(true);
	assert_true(p.host_unknown);
	assert_int_equal(p.device, -1);
	assert_int_equal(p.local_device, 0);
}

/* What a release gave back follows the same numbers: rows of a process
 * (sorted, as the tracer hands them over) without TT_VISIBLE_DEVICES
 * stay; a renumbered one's without a unique
 * id go to one unknown row (device -1), their sums kept. */
static void test_release_rows(void **state)
{
	struct release_row v[] = {
		{ 0, TTBPF_DEV_CHIP, TTBPF_L1, 10, 1 },
		{ 1, TTBPF_DEV_CHIP, TTBPF_L1, 5, 1 },
		{ 7, TTBPF_DEV_MESH, TTBPF_DRAM, 64, 1 },
	};
	struct release_row w[3];
	struct release_rows r = { .v = w, .n = 3, .cap = 3 };
	struct state_proc p;

	(void)state;
	chip_ids__reset();
	unsetenv("TT_VISIBLE_DEVICES");
	p = child_row(false);
	memcpy(w, v, sizeof(v));
	chip_ids__rows(NULL, p.pid, &r);
	assert_int_equal(r.n, 3);
	assert_int_equal(w[0].device, 0);
	assert_int_equal(w[1].device, 1);
	assert_int_equal(w[2].dev_kind, TTBPF_DEV_MESH);

	p = child_row(true);
	memcpy(w, v, sizeof(v));
	r.n = 3;
	chip_ids__rows(NULL, p.pid, &r);
	assert_int_equal(r.n, 2);
	assert_int_equal(w[0].device, -1);
	assert_int_equal(w[0].dev_kind, TTBPF_DEV_CHIP);
	assert_int_equal(w[0].size, 15);
	assert_int_equal(w[0].count, 2);
	assert_int_equal(w[1].device, 7);
}

/* Device rows follow the processes: a row moved from local chip 0 to
 * host chip 1 takes its bytes, buffers and counts along; an unknown one
 * goes to the "?" row; a row only moved processes used goes. */
static void test_move_devs(void **state)
{
	struct state s = { 0 };
	struct state_proc p[3] = { row(10, 0), row(11, 0), row(12, 0) };

	(void)state;
	s.devs = calloc(1, sizeof(*s.devs));
	s.n_devs = 1;
	s.devs[0].device = 0;
	s.devs[0].kind = TTBPF_DEV_CHIP;
	s.devs[0].u.bytes[TTBPF_DRAM] = 700;
	s.devs[0].u.buffers[TTBPF_DRAM] = 7;
	s.devs[0].u.allocs = 7;
	p[0].u.bytes[TTBPF_DRAM] = 100;
	p[0].u.buffers[TTBPF_DRAM] = p[0].u.allocs = 1;
	p[1].device = 1;
	p[1].u.bytes[TTBPF_DRAM] = p[1].u.peak[TTBPF_DRAM] = 200;
	p[1].u.buffers[TTBPF_DRAM] = p[1].u.allocs = 2;
	p[2].device = -1;
	p[2].host_unknown = true;
	p[2].u.bytes[TTBPF_DRAM] = 400;
	p[2].u.buffers[TTBPF_DRAM] = p[2].u.allocs = 4;
	chip_ids__move_devs(&s, p, 3);
	assert_int_equal(s.n_devs, 3);
	assert_int_equal(s.devs[0].device, 0);
	assert_int_equal(s.devs[0].u.bytes[TTBPF_DRAM], 100);
	assert_int_equal(s.devs[0].u.buffers[TTBPF_DRAM], 1);
	assert_int_equal(s.devs[0].u.allocs, 1);
	assert_int_equal(s.devs[1].device, 1);
	assert_false(s.devs[1].host_unknown);
	assert_int_equal(s.devs[1].u.bytes[TTBPF_DRAM], 200);
	assert_int_equal(s.devs[1].u.peak[TTBPF_DRAM], 200);
	assert_int_equal(s.devs[1].u.allocs, 2);
	assert_true(s.devs[2].host_unknown);
	assert_int_equal(s.devs[2].u.bytes[TTBPF_DRAM], 400);
	/* Only the moved processes used chip 0: its row goes. */
	p[0].device = 2;
	s.devs[0].u = p[0].u;
	chip_ids__move_devs(&s, p, 1);
	assert_int_equal(s.n_devs, 3);
	assert_int_equal(s.devs[0].device, 1);
	assert_int_equal(s.devs[1].device, 2);
	assert_int_equal(s.devs[1].u.bytes[TTBPF_DRAM], 100);
	free(s.devs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label),
		cmocka_unit_test(test_unseen_is_unknown),
		cmocka_unit_test(test_not_renumbered),
		cmocka_unit_test(test_set_at_run_time),
		cmocka_unit_test(test_release_rows),
		cmocka_unit_test(test_move_devs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
