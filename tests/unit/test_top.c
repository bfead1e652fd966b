// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The built ttbpf-top in plain-text mode (stdout is a pipe here), against
 * real pinned maps filled with known usage: the exact bytes it prints must
 * be the ones put in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "maps_fixture.h"

struct fx {
	struct mfx mf;
	char tool[PATH_MAX];
	char sysfs[128];
	struct ttbpf_usage dev0, dev1, pa, pb, pc;
	pid_t kids[2];
};

static struct fx *g;
/* The pids of the rows pa, pb, pc. */
static unsigned int P1, P2, P3;

static struct ttbpf_usage usage(uint64_t dram, uint64_t l1, uint64_t l1s,
				uint64_t trace, uint64_t bufs, const char *comm)
{
	struct ttbpf_usage u = {
		.bytes = { [TTBPF_DRAM] = dram,
			   [TTBPF_L1] = l1,
			   [TTBPF_L1_SMALL] = l1s,
			   [TTBPF_TRACE] = trace },
		.buffers = { [TTBPF_DRAM] = bufs, [TTBPF_L1] = 1 },
		.peak = { [TTBPF_DRAM] = dram + 4096,
			  [TTBPF_L1] = l1 + 2048,
			  [TTBPF_L1_SMALL] = l1s,
			  [TTBPF_TRACE] = trace },
		.allocs = bufs * 3,
		.frees = bufs * 2,
		.failed = 1,
	};

	u.first_ts_ns = mfx_now_ns() - 3000000000ULL;
	snprintf(u.comm, sizeof(u.comm), "%s", comm);
	return u;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

static int setup(void **state)
{
	struct ttbpf_meta meta = { .abi = TTBPF_MAP_ABI, .layout_warnings = 3 };
	char path[256];

	(void)state;
	g = calloc(1, sizeof(*g));
	if (!g || mfx_tool("ttbpf-top", g->tool, sizeof(g->tool)))
		return -1;
	if (mfx_create(&g->mf, 1024, true))
		return -1;
	g->dev0 = usage(100000, 2000000, 65536, 1 << 20, 5, "");
	g->dev1 = usage(7 << 20, 0, 0, 0, 2, "");
	g->pa = usage(60000, 1500000, 65536, 0, 3, "alpha");
	g->pb = usage(40000, 500000, 0, 1 << 20, 2, "beta");
	g->pc = usage(7 << 20, 0, 0, 0, 2, "gamma");
	meta.start_ts_ns = mfx_now_ns() - 60000000000ULL;
	/* Live processes ttbpf can read, in ascending pid order, without
	 * TT_VISIBLE_DEVICES (a process it cannot read has its chips shown
	 * as unknown): the one that ran the test and two children. */
	unsetenv("TT_VISIBLE_DEVICES");
	P1 = (unsigned int)getppid();
	for (int i = 0; i < 2; i++) {
		g->kids[i] = fork();
		if (g->kids[i] < 0)
			return -1;
		if (!g->kids[i]) {
			for (;;)
				pause();
		}
	}
	P2 = (unsigned int)g->kids[0];
	P3 = (unsigned int)g->kids[1];
	/* Ascending, whatever order the pids came in (they wrap). */
	for (int i = 0; i < 3; i++) {
		unsigned int t;

		if (P1 > P2)
			t = P1, P1 = P2, P2 = t;
		if (P2 > P3)
			t = P2, P2 = P3, P3 = t;
	}
	if (mfx_add_dev(&g->mf, 0, TTBPF_DEV_CHIP, &g->dev0) ||
	    mfx_add_dev(&g->mf, 1, TTBPF_DEV_CHIP, &g->dev1) ||
	    mfx_add_proc(&g->mf, P1, 0, TTBPF_DEV_CHIP, &g->pa) ||
	    mfx_add_proc(&g->mf, P2, 0, TTBPF_DEV_CHIP, &g->pb) ||
	    mfx_add_proc(&g->mf, P3, 1, TTBPF_DEV_CHIP, &g->pc) ||
	    mfx_set_meta(&g->mf, &meta) ||
	    mfx_set_stat(&g->mf, TTBPF_STAT_EVENTS_DROPPED, 10) ||
	    mfx_set_stat(&g->mf, TTBPF_STAT_ALLOCS_MAP_FULL, 13))
		return -1;

	/* A sysfs with one Wormhole card, for architecture detection. */
	snprintf(g->sysfs, sizeof(g->sysfs), "/tmp/ttbpf-top-sysfs.%d",
		 (int)getpid());
	snprintf(path, sizeof(path), "mkdir -p %s/bus/pci/devices/0000:01:00.0",
		 g->sysfs);
	if (system(path))
		return -1;
	snprintf(path, sizeof(path), "%s/bus/pci/devices/0000:01:00.0/vendor",
		 g->sysfs);
	if (write_file(path, "0x1e52\n"))
		return -1;
	snprintf(path, sizeof(path), "%s/bus/pci/devices/0000:01:00.0/device",
		 g->sysfs);
	return write_file(path, "0x401e\n") ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[256];

	(void)state;
	if (!g)
		return 0;
	for (int i = 0; i < 2; i++)
		if (g->kids[i] > 0) {
			kill(g->kids[i], SIGKILL);
			waitpid(g->kids[i], NULL, 0);
		}
	mfx_destroy(&g->mf);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", g->sysfs);
	if (g->sysfs[0] && system(cmd))
		return -1;
	free(g);
	return 0;
}

static int top(const char *args, char *out, size_t len)
{
	char cmd[PATH_MAX + 512];
	int status;

	snprintf(cmd, sizeof(cmd),
		 "%s --pin-dir %s --sysfs-root /nonexistent %s 2>&1", g->tool,
		 g->mf.dir, args);
	assert_int_equal(mfx_run(cmd, out, len, &status), 0);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

struct row {
	unsigned int pid;
	char comm[32], dev[16];
	int device;
	unsigned long long dram, l1, l1s, trace, bufs, dram_peak, l1_peak;
};

/* The process table rows of @out, in order. */
static size_t rows(const char *out, struct row *r, size_t max)
{
	const char *p = strstr(out, "\n    PID COMMAND");
	size_t n = 0;

	assert_non_null(p);
	p = strchr(p + 1, '\n') + 1;
	while (n < max && *p) {
		if (sscanf(p,
			   "%u %31s %15s %d %llu %llu %llu %llu %llu %llu %llu",
			   &r[n].pid, r[n].comm, r[n].dev, &r[n].device,
			   &r[n].dram, &r[n].l1, &r[n].l1s, &r[n].trace,
			   &r[n].bufs, &r[n].dram_peak, &r[n].l1_peak) != 11)
			break;
		n++;
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	return n;
}

static void check_row(const struct row *r, unsigned int pid, int device,
		      const struct ttbpf_usage *u)
{
	assert_int_equal(r->pid, pid);
	assert_string_equal(r->comm, u->comm);
	assert_string_equal(r->dev, "dev");
	assert_int_equal(r->device, device);
	assert_int_equal(r->dram, u->bytes[TTBPF_DRAM]);
	assert_int_equal(r->l1, u->bytes[TTBPF_L1]);
	assert_int_equal(r->l1s, u->bytes[TTBPF_L1_SMALL]);
	assert_int_equal(r->trace, u->bytes[TTBPF_TRACE]);
	assert_int_equal(r->bufs, u->buffers[TTBPF_DRAM] + 1);
	assert_int_equal(r->dram_peak, u->peak[TTBPF_DRAM]);
	assert_int_equal(r->l1_peak, u->peak[TTBPF_L1]);
}

static void test_once_exact(void **state)
{
	char out[16384];
	struct row r[8];

	(void)state;
	assert_int_equal(top("--once", out, sizeof(out)), 0);
	/* No capacity known: none shown. */
	assert_null(strstr(out, " of "));
	assert_non_null(strstr(out, "\ndev 0\n  DRAM      used 100000 B (97.66 "
				    "KiB), peak 104096 B (101.66 KiB), 5 "
				    "buffers\n  L1        used 2000000 B"));
	assert_non_null(strstr(out, "  TRACE     used 1048576 B (1.00 MiB), "
				    "peak 1048576 B (1.00 MiB), 0 buffers\n"));
	assert_non_null(strstr(out, "  allocs 15 frees 10 failed 1\n"));
	assert_non_null(strstr(out, "\ndev 1\n  DRAM      used 7340032 B"));
	/* Sorted by DRAM: gamma, alpha, beta. */
	assert_int_equal(rows(out, r, 8), 3);
	check_row(&r[0], P3, 1, &g->pc);
	check_row(&r[1], P1, 0, &g->pa);
	check_row(&r[2], P2, 0, &g->pb);
	assert_non_null(strstr(out, "note: 10 events dropped\n"));
	assert_non_null(strstr(
		out,
		"WARNING: 13 allocations not recorded: buffer map full\n"));
	assert_non_null(strstr(out, "WARNING: 3 layout fields"));
	assert_null(strstr(out, "unmatched frees"));
	assert_non_null(strstr(out, "tracing for 1m00s"));
}

static void test_sort_and_filter(void **state)
{
	char out[16384], pflag[64];
	struct row r[8];

	(void)state;
	assert_int_equal(top("--once --sort l1", out, sizeof(out)), 0);
	assert_int_equal(rows(out, r, 8), 3);
	check_row(&r[0], P1, 0, &g->pa);
	check_row(&r[1], P2, 0, &g->pb);
	check_row(&r[2], P3, 1, &g->pc);

	assert_int_equal(top("--once --sort pid -d 0", out, sizeof(out)), 0);
	assert_int_equal(rows(out, r, 8), 2);
	check_row(&r[0], P1, 0, &g->pa);
	check_row(&r[1], P2, 0, &g->pb);
	assert_null(strstr(out, "\ndev 1\n"));

	snprintf(pflag, sizeof(pflag), "--once -p %u", P2);
	assert_int_equal(top(pflag, out, sizeof(out)), 0);
	assert_int_equal(rows(out, r, 8), 1);
	check_row(&r[0], P2, 0, &g->pb);
}

static void test_capacity(void **state)
{
	char out[16384], args[256];

	(void)state;
	/* 100000 of 1 MiB: 9.53% -> 9.5, 1.9 of 20 cells -> 1. */
	assert_int_equal(
		top("--once --capacity DRAM=1M,L1=4000000", out, sizeof(out)),
		0);
	assert_non_null(strstr(out, "  DRAM      used 100000 B (97.66 KiB) of "
				    "1048576 B (1.00 MiB) "
				    "[#...................] 9.5%, peak"));
	/* 2000000 of 4000000: 50.0%, 10 cells. */
	assert_non_null(strstr(out, "used 2000000 B (1.91 MiB) of 4000000 B "
				    "(3.81 MiB) [##########..........] "
				    "50.0%"));
	/* dev 1 holds 7 MiB of 1 MiB: full bar, over 100%. */
	assert_non_null(strstr(out, "[####################] 700.0%"));
	assert_null(strstr(out, "L1_SMALL  used 65536 B (64.00 KiB) of"));

	assert_int_equal(top("--once --arch wormhole_b0", out, sizeof(out)), 0);
	/* 12 GiB of DRAM, 64 cores x 1499136 B of L1. */
	assert_non_null(strstr(out, "of 12884901888 B (12.00 GiB)"));
	assert_non_null(strstr(out, "of 95944704 B (91.50 MiB)"));
	assert_non_null(strstr(out, "capacity wormhole_b0"));

	snprintf(args, sizeof(args), "--once --sysfs-root %s", g->sysfs);
	/* top() passes /nonexistent first; the later option wins. */
	assert_int_equal(top(args, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "capacity wormhole_b0"));
	assert_non_null(strstr(out, "of 12884901888 B (12.00 GiB)"));
}

static void test_iterations(void **state)
{
	char out[65536];
	const char *p = out;
	int n = 0;

	(void)state;
	assert_int_equal(top("-n 3 -r 20", out, sizeof(out)), 0);
	while ((p = strstr(p, "ttbpf-top: "))) {
		n++;
		p++;
	}
	assert_int_equal(n, 3);
	/* From the second report on there is a rate (0: nothing moved). */
	assert_non_null(strstr(out, "failed 1, 0.0 allocs/s 0.0 frees/s\n"));
}

static void test_errors(void **state)
{
	char out[8192], cmd[PATH_MAX + 128];
	int status;

	(void)state;
	assert_int_not_equal(top("-r 0", out, sizeof(out)), 0);
	assert_int_not_equal(top("-n x", out, sizeof(out)), 0);
	assert_int_not_equal(top("-p 12ab", out, sizeof(out)), 0);
	assert_int_not_equal(top("--capacity DRAM=0", out, sizeof(out)), 0);
	assert_int_not_equal(top("--capacity FOO=1", out, sizeof(out)), 0);
	assert_int_not_equal(top("--arch foo", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "wormhole_b0|blackhole|grayskull"));
	assert_int_equal(top("--help", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "USAGE:"));
	assert_non_null(strstr(out, "EXAMPLES:"));

	/* Nothing pinned and no library to attach to: a clear failure. */
	snprintf(cmd, sizeof(cmd),
		 "%s --pin-dir /sys/fs/bpf/ttbpf-test-nothing --lib "
		 "/nonexistent/libtt_metal.so --once 2>&1",
		 g->tool);
	assert_int_equal(mfx_run(cmd, out, sizeof(out), &status), 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	assert_non_null(strstr(out, "attaching by itself"));
	assert_non_null(strstr(out, "/nonexistent/libtt_metal.so"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_once_exact),
		cmocka_unit_test(test_sort_and_filter),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_iterations),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
