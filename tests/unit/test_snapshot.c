// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The built ttbpf-snapshot, run against real pinned maps filled with known
 * buffers: its JSON (read back with jq) and text must show exactly them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "maps_fixture.h"

#define SELF_COMM "snap\"q\001\377"

struct fx {
	struct mfx mf;
	char tool[PATH_MAX];
	uint32_t self;
	int stack_id;
	struct ttbpf_usage dev0, mesh1, p_self, p_other;
	uint64_t stats[TTBPF_NR_STATS];
	uint64_t t0; /* when the buffers were stamped */
};

static struct fx *g;

struct buf_spec {
	uint32_t pid;
	uint64_t buffer;
	int device;
	uint8_t kind, type;
	uint64_t size, address, age_s;
	bool stack;
};

/* The process that ran the test: alive, readable, its chip ids host-wide
 * (no TT_VISIBLE_DEVICES): ttbpf shows a chip of a process it cannot read
 * as unknown. Its pid may be above or below ours (pids wrap). */
#define OTHER_PID ((uint32_t)getppid())
#define OTHER	  1 /* in bufs[]: OTHER_PID */

/* Report order: chip 0 (L1 65536 > DRAM 12288), then mesh 1. */
static const struct buf_spec bufs[] = {
	{ OTHER, 0xb3, 0, TTBPF_DEV_CHIP, TTBPF_L1, 65536, 0x10000, 0, false },
	{ 0, 0xb1, 0, TTBPF_DEV_CHIP, TTBPF_DRAM, 8192, 0x2000, 10, true },
	{ 0, 0xb2, 0, TTBPF_DEV_CHIP, TTBPF_DRAM, 4096, 0x4000, 10, true },
	{ OTHER, 0xb4, 1, TTBPF_DEV_MESH, TTBPF_DRAM, 1024, 0x800, 20, false },
};

#define NBUFS (sizeof(bufs) / sizeof(bufs[0]))

static uint32_t pid_of(const struct buf_spec *b)
{
	return b->pid == OTHER ? OTHER_PID : g->self;
}

static struct ttbpf_usage usage_of(uint64_t seed)
{
	struct ttbpf_usage u = {};

	for (int t = 0; t < TTBPF_NR_TYPES; t++) {
		u.bytes[t] = seed * 100000 + (uint64_t)t * 3;
		u.buffers[t] = seed + (uint64_t)t;
		u.peak[t] = u.bytes[t] + 777;
	}
	u.allocs = seed * 9;
	u.frees = seed * 4;
	u.failed = seed % 3;
	return u;
}

static int setup(void **state)
{
	uint64_t now;
	int err;

	(void)state;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -1;
	if (mfx_tool("ttbpf-snapshot", g->tool, sizeof(g->tool))) {
		fprintf(stderr, "ttbpf-snapshot not built next to the tests\n");
		return -1;
	}
	err = mfx_create(&g->mf, 4096, true);
	if (err) {
		fprintf(stderr, "creating BPF maps failed: %s\n",
			strerror(-err));
		return -1;
	}
	g->self = (uint32_t)getpid();
	err = mfx_capture_stack(&g->mf, &g->stack_id);
	if (err) {
		fprintf(stderr, "capturing a stack failed: %s\n",
			strerror(-err));
		return -1;
	}
	g->dev0 = usage_of(1);
	g->mesh1 = usage_of(2);
	g->p_self = usage_of(3);
	memcpy(g->p_self.comm, SELF_COMM, sizeof(SELF_COMM));
	g->p_other = usage_of(4);
	strcpy(g->p_other.comm, "other");
	if (mfx_add_dev(&g->mf, 0, TTBPF_DEV_CHIP, &g->dev0) ||
	    mfx_add_dev(&g->mf, 1, TTBPF_DEV_MESH, &g->mesh1) ||
	    mfx_add_proc(&g->mf, g->self, 0, TTBPF_DEV_CHIP, &g->p_self) ||
	    mfx_add_proc(&g->mf, OTHER_PID, 0, TTBPF_DEV_CHIP, &g->p_other) ||
	    mfx_add_proc(&g->mf, OTHER_PID, 1, TTBPF_DEV_MESH, &g->p_other))
		return -1;
	now = mfx_now_ns();
	g->t0 = now;
	for (size_t i = 0; i < NBUFS; i++) {
		const struct buf_spec *b = &bufs[i];
		struct ttbpf_alloc a = {
			.size = b->size,
			.address = b->address,
			/* Half a second more, so whole seconds are stable. */
			.ts_ns = now - b->age_s * 1000000000ULL - 500000000ULL,
			.device = b->device,
			.stack_id = b->stack ? g->stack_id : -1,
			.py_stack_id = TTBPF_PY_NONE,
			.type = b->type,
			.dev_kind = b->kind,
		};

		if (mfx_add_buf(&g->mf, pid_of(b), b->buffer, &a))
			return -1;
	}
	for (__u32 i = 0; i < TTBPF_NR_STATS; i++) {
		g->stats[i] = 10 + i;
		if (mfx_set_stat(&g->mf, i, g->stats[i]))
			return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (g) {
		mfx_destroy(&g->mf);
		free(g);
	}
	return 0;
}

/* Run the tool with @args, piped through jq @filter; output in @out. */
static void snap_jq(const char *args, const char *filter, char *out, size_t len)
{
	char cmd[PATH_MAX + 1024];
	int status;

	snprintf(cmd, sizeof(cmd),
		 "%s --pin-dir %s --json %s | jq -c '%s' 2>&1", g->tool,
		 g->mf.dir, args, filter);
	assert_int_equal(mfx_run(cmd, out, len, &status), 0);
	assert_int_equal(status, 0);
	/* Drop jq's newline. */
	if (out[0] && out[strlen(out) - 1] == '\n')
		out[strlen(out) - 1] = '\0';
}

static int snap_status(const char *args, char *out, size_t len)
{
	char cmd[PATH_MAX + 1024];
	int status;

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", g->tool, args);
	assert_int_equal(mfx_run(cmd, out, len, &status), 0);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

static void usage_row(char *buf, size_t len, const struct ttbpf_usage *u)
{
	append(buf, len, "[");
	for (int t = 0; t < TTBPF_NR_TYPES; t++)
		append(buf, len, "%llu,", (unsigned long long)u->bytes[t]);
	for (int t = 0; t < TTBPF_NR_TYPES; t++)
		append(buf, len, "%llu,", (unsigned long long)u->buffers[t]);
	for (int t = 0; t < TTBPF_NR_TYPES; t++)
		append(buf, len, "%llu,", (unsigned long long)u->peak[t]);
	append(buf, len, "%llu,%llu,%llu]", (unsigned long long)u->allocs,
	       (unsigned long long)u->frees, (unsigned long long)u->failed);
}

#define USAGE_JQ                                                         \
	"[.usage.DRAM,.usage.L1,.usage.SYSTEM_MEMORY,.usage.L1_SMALL,"   \
	".usage.TRACE,.buffers.DRAM,.buffers.L1,.buffers.SYSTEM_MEMORY," \
	".buffers.L1_SMALL,.buffers.TRACE,.peak.DRAM,.peak.L1,"          \
	".peak.SYSTEM_MEMORY,.peak.L1_SMALL,.peak.TRACE,.allocs,.frees," \
	".failed]"

static void test_devices_and_processes(void **state)
{
	char out[8192], want[8192] = "", q[512];

	(void)state;
	snap_jq("", "[.devices[] | [.device,.dev_kind," USAGE_JQ "]]", out,
		sizeof(out));
	append(want, sizeof(want), "[[0,\"chip\",");
	usage_row(want, sizeof(want), &g->dev0);
	append(want, sizeof(want), "],[1,\"mesh\",");
	usage_row(want, sizeof(want), &g->mesh1);
	append(want, sizeof(want), "]]");
	assert_string_equal(out, want);

	/* The other process first, whatever the pids' order (they wrap). */
	want[0] = '\0';
	snprintf(q, sizeof(q),
		 "[(.processes[] | select(.pid == %u)), (.processes[] | "
		 "select(.pid == %u)) | [.pid,.device,.dev_kind," USAGE_JQ "]]",
		 OTHER_PID, g->self);
	snap_jq("", q, out, sizeof(out));
	append(want, sizeof(want), "[[%u,0,\"chip\",", OTHER_PID);
	usage_row(want, sizeof(want), &g->p_other);
	append(want, sizeof(want), "],[%u,1,\"mesh\",", OTHER_PID);
	usage_row(want, sizeof(want), &g->p_other);
	append(want, sizeof(want), "],[%u,0,\"chip\",", g->self);
	usage_row(want, sizeof(want), &g->p_self);
	append(want, sizeof(want), "]]");
	assert_string_equal(out, want);
}

static void test_comm_escaping(void **state)
{
	char out[256], q[128];

	(void)state;
	snprintf(q, sizeof(q), "[.processes[] | select(.pid == %u)][0].comm",
		 g->self);
	snap_jq("", q, out, sizeof(out));
	/* jq re-encodes: \u0001 stays escaped, \u00ff becomes UTF-8 y. */
	assert_string_equal(out, "\"snap\\\"q\\u0001\xc3\xbf\"");
}

static void buffer_rows(char *want, size_t len, const size_t *idx, size_t n)
{
	append(want, len, "[");
	for (size_t k = 0; k < n; k++) {
		const struct buf_spec *b = &bufs[idx[k]];

		append(want, len,
		       "%s[%u,%d,\"%s\",\"%s\",%llu,\"0x%llx\",\"0x%llx\"]",
		       k ? "," : "", pid_of(b), b->device,
		       b->kind == TTBPF_DEV_MESH ? "mesh" : "chip",
		       b->type == TTBPF_L1 ? "L1" : "DRAM",
		       (unsigned long long)b->size,
		       (unsigned long long)b->address,
		       (unsigned long long)b->buffer);
	}
	append(want, len, "]");
}

/* @out: one age_ms per line, for the buffers @idx in that order. */
static void check_ages(const char *out, const size_t *idx, size_t n)
{
	uint64_t since_ms = (mfx_now_ns() - g->t0) / 1000000ULL;
	const char *p = out;

	for (size_t k = 0; k < n; k++) {
		uint64_t lo = bufs[idx[k]].age_s * 1000 + 500;
		char *end;
		unsigned long long v = strtoull(p, &end, 10);

		assert_true(end > p);
		assert_in_range(v, lo, lo + since_ms + 1);
		p = end;
	}
}

#define BUF_JQ \
	"[.buffers[] | [.pid,.device,.dev_kind,.type,.size,.address,.buffer]]"

static void test_buffers(void **state)
{
	const size_t all[] = { 0, 1, 2, 3 };
	char out[4096], want[4096] = "";

	(void)state;
	snap_jq("", BUF_JQ, out, sizeof(out));
	buffer_rows(want, sizeof(want), all, 4);
	assert_string_equal(out, want);

	/* Ages: what was set at setup plus the time the tests took since. */
	snap_jq("", ".buffers[].age_ms", out, sizeof(out));
	check_ages(out, all, 4);
}

static void test_filters(void **state)
{
	const size_t other[] = { 0, 3 }, mesh[] = { 3 }, top1[] = { 0 },
		     top3[] = { 0, 1, 2 };
	char out[4096], want[4096] = "", args[64];

	(void)state;
	snprintf(args, sizeof(args), "-p %u", OTHER_PID);
	snap_jq(args, BUF_JQ, out, sizeof(out));
	buffer_rows(want, sizeof(want), other, 2);
	assert_string_equal(out, want);
	snap_jq(args, "[.processes[].pid]", out, sizeof(out));
	snprintf(want, sizeof(want), "[%u,%u]", OTHER_PID, OTHER_PID);
	assert_string_equal(out, want);

	want[0] = '\0';
	snap_jq("-d mesh:1", BUF_JQ, out, sizeof(out));
	buffer_rows(want, sizeof(want), mesh, 1);
	assert_string_equal(out, want);
	snap_jq("-d mesh:1", "[.devices[] | [.device,.dev_kind]]", out,
		sizeof(out));
	assert_string_equal(out, "[[1,\"mesh\"]]");

	/* "0" means device 0 of either kind: chip 0 only here. */
	snap_jq("-d 0", "[.buffers | length, (.[0].size)]", out, sizeof(out));
	assert_string_equal(out, "[3,65536]");

	want[0] = '\0';
	snap_jq("--top 1", BUF_JQ, out, sizeof(out));
	buffer_rows(want, sizeof(want), top1, 1);
	assert_string_equal(out, want);

	want[0] = '\0';
	snap_jq("--top 3", BUF_JQ, out, sizeof(out));
	buffer_rows(want, sizeof(want), top3, 3);
	assert_string_equal(out, want);
}

static void test_stacks(void **state)
{
	char out[4096];

	(void)state;
	/* The stack starts at mfx_stack_target's first instruction. */
	snap_jq("",
		". as $r | [.buffers[] | select(.address == \"0x2000\") | "
		"$r.stacks[.stack][0]]",
		out, sizeof(out));
	assert_string_equal(out, "[\"mfx_stack_target\"]");
	/* Buffers refer to stacks by index; two share one stack here. */
	snap_jq("", "[.buffers[] | .stack], (.stacks | length)", out,
		sizeof(out));
	assert_string_equal(out, "[null,0,0,null]\n1");
	/* Without symbols every frame is an address. */
	snap_jq("--no-symbols",
		". as $r | [$r.stacks[.buffers[1].stack][] | "
		"test(\"^0x[0-9a-f]+$\")] | all",
		out, sizeof(out));
	assert_string_equal(out, "true");
}

static void test_stats(void **state)
{
	char out[1024], want[1024];

	(void)state;
	snap_jq("",
		".stats | [.events_dropped,.unmatched_frees,.alloc_failed,"
		".allocs_map_full,.procs_map_full,.allocs,.frees]",
		out, sizeof(out));
	snprintf(want, sizeof(want), "[%llu,%llu,%llu,%llu,%llu,%llu,%llu]",
		 (unsigned long long)g->stats[TTBPF_STAT_EVENTS_DROPPED],
		 (unsigned long long)g->stats[TTBPF_STAT_UNMATCHED_FREES],
		 (unsigned long long)g->stats[TTBPF_STAT_ALLOC_FAILED],
		 (unsigned long long)g->stats[TTBPF_STAT_ALLOCS_MAP_FULL],
		 (unsigned long long)g->stats[TTBPF_STAT_PROCS_MAP_FULL],
		 (unsigned long long)g->stats[TTBPF_STAT_ALLOCS],
		 (unsigned long long)g->stats[TTBPF_STAT_FREES]);
	assert_string_equal(out, want);
}

static void test_leaks(void **state)
{
	char out[8192], want[256], args[PATH_MAX + 128];

	(void)state;
	/* Older than 5 s: b1 and b2 (one stack), b4 (no stack). */
	snap_jq("--leaks --min-age 5000",
		".leaks | [.count,.bytes,(.stacks | map([.bytes,.count,"
		".usage.DRAM,.pids,(.stack[0] // null)]))]",
		out, sizeof(out));
	snprintf(want, sizeof(want),
		 "[3,13312,[[12288,2,12288,[%u],\"mfx_stack_target\"],"
		 "[1024,1,1024,[%u],null]]]",
		 g->self, OTHER_PID);
	assert_string_equal(out, want);

	snprintf(args, sizeof(args),
		 "--pin-dir %s --leaks --min-age 5000 --fail-on-leak",
		 g->mf.dir);
	assert_int_equal(snap_status(args, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "12288 B (12.00 KiB) in 2 buffers"));
	assert_non_null(strstr(out, "\n    mfx_stack_target\n"));
	assert_non_null(
		strstr(out, "3 leaked buffers older than 5000 ms, 13312 B"));

	/* Nothing is a minute old: success. */
	snprintf(args, sizeof(args),
		 "--pin-dir %s --leaks --min-age 60000 --fail-on-leak",
		 g->mf.dir);
	assert_int_equal(snap_status(args, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "0 leaked buffers older than 60000 ms"));
}

static void test_text(void **state)
{
	char out[16384], args[PATH_MAX + 64], want[256];

	(void)state;
	snprintf(args, sizeof(args), "--pin-dir %s", g->mf.dir);
	assert_int_equal(snap_status(args, out, sizeof(out)), 0);
	snprintf(want, sizeof(want),
		 "\ndev 0\n  L1: 65536 B (64.00 KiB) in 1 buffers\n    pid %u "
		 "other: 65536 B",
		 OTHER_PID);
	assert_non_null(strstr(out, want));
	snprintf(want, sizeof(want),
		 "  DRAM: 12288 B (12.00 KiB) in 2 buffers\n    pid %u",
		 g->self);
	assert_non_null(strstr(out, want));
	assert_non_null(
		strstr(out, "      8192 B (8.00 KiB) at 0x2000, age 1"));
	assert_non_null(strstr(out, "\nmesh 1\n  DRAM: 1024 B (1.00 KiB)"));
	/* DRAM is listed after L1 on dev 0: largest type first. */
	assert_true(strstr(out, "  L1: 65536") < strstr(out, "  DRAM: 12288"));
	assert_non_null(strstr(out, "stats: events dropped 10, unmatched frees "
				    "11, failed allocations 12"));
	/* The first buffer with a stack prints it, the next one names it. */
	assert_non_null(strstr(out, ", stack #1\n        mfx_stack_target"));
	assert_non_null(strstr(out, ", stack #1\n      "));

	/* --top keeps the largest, and says how many there are in all. */
	snprintf(args, sizeof(args), "--pin-dir %s --top 1", g->mf.dir);
	assert_int_equal(snap_status(args, out, sizeof(out)), 0);
	assert_non_null(strstr(out, " buffers outstanding, the 1 largest "
				    "listed\n"));
	assert_null(strstr(out, "8192 B (8.00 KiB) at"));
}

static void test_errors(void **state)
{
	char out[4096];

	(void)state;
	assert_int_equal(snap_status("--pin-dir /sys/fs/bpf/ttbpf-test-nothing",
				     out, sizeof(out)),
			 1);
	assert_non_null(strstr(out, "nothing is pinned"));
	assert_non_null(strstr(out, "sudo ttbpf-trace --pin --lib"));
	assert_int_not_equal(snap_status("--top 0", out, sizeof(out)), 0);
	assert_int_not_equal(snap_status("--top 5x", out, sizeof(out)), 0);
	assert_int_not_equal(snap_status("-p -3", out, sizeof(out)), 0);
	assert_int_not_equal(snap_status("-d chip:", out, sizeof(out)), 0);
	assert_int_not_equal(snap_status("--fail-on-leak", out, sizeof(out)),
			     0);
	assert_int_equal(snap_status("--help", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "USAGE:"));
	assert_non_null(strstr(out, "EXAMPLES:"));
}

/* A million outstanding buffers: read, sorted and printed right. How long
 * that takes is measured by make bench, not asserted here. */
static void test_million(void **state)
{
	const size_t n = 1000000;
	struct ttbpf_alloc_key *k = calloc(n, sizeof(*k));
	struct ttbpf_alloc *v = calloc(n, sizeof(*v));
	char cmd[PATH_MAX + 256], out[4096], want[512];
	uint64_t now = mfx_now_ns();
	__u32 count = (__u32)n;
	struct mfx big;
	int status;

	(void)state;
	assert_non_null(k);
	assert_non_null(v);
	assert_int_equal(mfx_create(&big, (__u32)n + 4096, true), 0);
	for (size_t i = 0; i < n; i++) {
		k[i].pid = 100 + (__u32)(i % 16);
		k[i].buffer = 0x10000000ULL + i * 64;
		/* Sizes 4096 + 32 * (i % 1000); one largest at the end. */
		v[i].size = i == n - 1 ? 1ULL << 30 : 4096 + (i % 1000) * 32;
		v[i].address = i * 4096;
		v[i].ts_ns = now;
		v[i].device = (__s32)(i % 4);
		v[i].type = (__u8)(i % TTBPF_NR_TYPES);
		v[i].stack_id = -1;
		v[i].py_stack_id = TTBPF_PY_NONE;
	}
	assert_int_equal(
		bpf_map_update_batch(big.m.allocs_fd, k, v, &count, NULL), 0);
	assert_int_equal(count, n);
	free(k);
	free(v);

	snprintf(cmd, sizeof(cmd), "%s --pin-dir %s --json > /dev/null",
		 g->tool, big.dir);
	assert_int_equal(mfx_run(cmd, out, sizeof(out), &status), 0);
	assert_int_equal(status, 0);

	snprintf(cmd, sizeof(cmd),
		 "%s --pin-dir %s --json --top 2 | jq -c '[.buffers[] | "
		 "[.pid,.size,.address]]'",
		 g->tool, big.dir);
	assert_int_equal(mfx_run(cmd, out, sizeof(out), &status), 0);
	assert_int_equal(status, 0);
	/* The 1 GiB one, then the largest regular size, lowest address. */
	snprintf(want, sizeof(want),
		 "[[%u,%llu,\"0x%llx\"],[%u,%llu,\"0x%llx\"]]\n",
		 100 + (unsigned)((n - 1) % 16), 1ULL << 30,
		 (unsigned long long)((n - 1) * 4096), 100 + 999 % 16,
		 4096ULL + 999 * 32, 999ULL * 4096);
	assert_string_equal(out, want);
	mfx_destroy(&big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_devices_and_processes),
		cmocka_unit_test(test_comm_escaping),
		cmocka_unit_test(test_buffers),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_stacks),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_leaks),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_million),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
