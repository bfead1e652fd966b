// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <fcntl.h>
#include <cmocka.h>

#include "shm_record.h"

/* TT-Metal's layout version 3: processes[64] of 120 bytes at 0x358. */
#define PROCS 0x358
#define SIZE  0x2180

static char dir[64];

static void write_record(const char *name, uint32_t version,
			 const int32_t *pids, int n)
{
	static uint8_t buf[SIZE];
	char path[128];
	FILE *f;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, &version, sizeof(version));
	for (int i = 0; i < n; i++) {
		uint8_t *p = buf + PROCS + i * 120;
		uint64_t v[5] = { 1000 + i, 200, 30, 4, 5 };

		memcpy(p, &pids[i], sizeof(pids[i]));
		memcpy(p + 8, v, sizeof(v));
		memcpy(p + 56, "py\x1b[2Jthon", 10);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, sizeof(buf), f), sizeof(buf));
	fclose(f);
}

/* Map the record as TT-Metal does for as long as it holds a slot in it. */
static void *map_record(const char *name)
{
	char path[128];
	void *m;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	m = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(m != MAP_FAILED);
	return m;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ttbpf-shm.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[96];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void test_reads_live_slots(void **state)
{
	/* Ours (alive, same owner as the file), a pid that cannot exist,
	 * and an empty slot. */
	int32_t pids[] = { (int32_t)getpid(), 0x7ffffff0, 0 };
	struct shm_record r;
	char path[128], link[128];
	void *mapped;

	(void)state;
	write_record("tt_device_4294967296_memory", 3, pids, 3);
	mapped = map_record("tt_device_4294967296_memory");
	/* Not read: another layout version, a link, a name not TT-Metal's,
	 * and a slot under our pid in a record we do not map (left by a
	 * killed process whose pid is ours now). */
	write_record("tt_device_5_memory", 4, pids, 1);
	write_record("tt_device_6_memory.bak", 3, pids, 1);
	write_record("tt_device_8_memory", 3, pids, 1);
	snprintf(path, sizeof(path), "%s/tt_device_4294967296_memory", dir);
	snprintf(link, sizeof(link), "%s/tt_device_7_memory", dir);
	assert_int_equal(symlink(path, link), 0);

	assert_int_equal(shm_record__read(dir, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.rows[0].pid, getpid());
	assert_int_equal(r.rows[0].chip_uid, 4294967296ULL);
	assert_int_equal(r.rows[0].bytes[0], 1000);
	assert_int_equal(r.rows[0].bytes[4], 5);
	assert_string_equal(r.rows[0].name, "py\x1b[2Jthon");

	{
		char out[1024] = "";
		FILE *f = fmemopen(out, sizeof(out), "w");

		shm_record__print_text(&r, f);
		fclose(f);
		/* Labelled, and the planted escape is shown, not obeyed. */
		assert_non_null(strstr(out, "TT-Metal's own record"));
		assert_non_null(strstr(out, "py\\x1b[2Jthon"));
		assert_null(strchr(out, '\x1b'));
	}
	shm_record__free(&r);
	munmap(mapped, SIZE);
}

static void test_seen_processes_dropped(void **state)
{
	int32_t pids[] = { (int32_t)getpid() };
	struct state_proc proc = { .pid = (uint32_t)getpid() };
	struct state s = { .procs = &proc, .n_procs = 1 };
	struct shm_record r;
	void *mapped;

	(void)state;
	write_record("tt_device_0_memory", 3, pids, 1);
	mapped = map_record("tt_device_0_memory");
	assert_int_equal(shm_record__read(dir, &r), 0);
	assert_true(r.n >= 1);
	/* ttbpf has rows for it: its own numbers, never both. */
	shm_record__keep_unseen(&r, &s, 0);
	assert_int_equal(r.n, 0);
	shm_record__free(&r);

	assert_int_equal(shm_record__read(dir, &r), 0);
	s.n_procs = 0;
	shm_record__keep_unseen(&r, &s, (uint32_t)getpid() + 1);
	assert_int_equal(r.n, 0); /* -p another pid */
	shm_record__free(&r);
	munmap(mapped, SIZE);
}

static void test_missing_dir(void **state)
{
	struct shm_record r;

	(void)state;
	assert_int_equal(shm_record__read("/nonexistent/ttbpf", &r), 0);
	assert_int_equal(r.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_live_slots),
		cmocka_unit_test(test_seen_processes_dropped),
		cmocka_unit_test(test_missing_dir),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
