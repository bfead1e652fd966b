// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "metrics.h"

static char *write_to(const struct state *s, const struct capacity *cap)
{
	struct metrics_info info = { .version = "9.9", .cap = cap };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(metrics__write(f, s, &info), 0);
	fclose(f);
	return buf;
}

static void test_label_value_escaping(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	/* Terminal-safe first, then the exposition's \\, \" escapes. */
	metrics__label_value(f, "a\"b\\c\nd\xff", 16);
	fclose(f);
	assert_string_equal(buf, "a\\\"b\\\\\\\\c\\\\x0ad\\\\xff");
	free(buf);
}

static void test_families(void **state)
{
	struct state_dev devs[2] = {
		{ .device = 0, .kind = TTBPF_DEV_CHIP },
		{ .device = -1, .kind = TTBPF_DEV_MESH },
	};
	struct state_proc procs[1] = {
		{ .pid = 42, .device = 0, .kind = TTBPF_DEV_CHIP },
	};
	struct state s = {
		.devs = devs, .n_devs = 2, .procs = procs, .n_procs = 1
	};
	struct capacity cap = { .bytes = { [TTBPF_DRAM] = 1000 } };
	char *out;

	(void)state;
	devs[0].u.bytes[TTBPF_DRAM] = 100;
	devs[0].u.buffers[TTBPF_DRAM] = 2;
	devs[0].u.allocs = 3;
	devs[0].u.frees = 1;
	devs[1].u.bytes[TTBPF_L1] = 7;
	procs[0].u.bytes[TTBPF_DRAM] = 100;
	procs[0].u.peak[TTBPF_DRAM] = 150;
	strcpy(procs[0].u.comm, "py\"x");
	s.stats[TTBPF_STAT_EVENTS_DROPPED] = 5;
	out = write_to(&s, &cap);
	assert_non_null(strstr(out, "ttbpf_up 1\n"));
	assert_non_null(strstr(out, "# TYPE ttbpf_device_memory_used_bytes "
				    "gauge\n"));
	assert_non_null(strstr(out, "ttbpf_device_memory_used_bytes{device="
				    "\"0\",type=\"DRAM\"} 100\n"));
	assert_non_null(strstr(out, "ttbpf_device_memory_used_bytes{device="
				    "\"mesh:?\",type=\"L1\"} 7\n"));
	assert_non_null(strstr(out, "ttbpf_device_buffers{device=\"0\",type="
				    "\"DRAM\"} 2\n"));
	/* Capacity only for chips and only where known. */
	assert_non_null(strstr(out, "ttbpf_device_memory_capacity_bytes{"
				    "device=\"0\",type=\"DRAM\"} 1000\n"));
	assert_null(strstr(out, "capacity_bytes{device=\"0\",type=\"L1\"}"));
	assert_null(strstr(out, "capacity_bytes{device=\"mesh"));
	assert_non_null(strstr(out, "ttbpf_process_memory_used_bytes{pid="
				    "\"42\",comm=\"py\\\"x\",device=\"0\","
				    "type=\"DRAM\"} 100\n"));
	/* A type the process never used is no series. */
	assert_null(strstr(out, "pid=\"42\",comm=\"py\\\"x\",device=\"0\","
				"type=\"L1\""));
	assert_non_null(strstr(out, "# TYPE ttbpf_allocations_total counter\n"
				    "ttbpf_allocations_total{device=\"0\"} "
				    "3\n"));
	assert_non_null(strstr(out, "ttbpf_frees_total{device=\"0\"} 1\n"));
	assert_non_null(strstr(out, "ttbpf_events_dropped_total 5\n"));
	assert_non_null(strstr(out, "ttbpf_info{version=\"9.9\",library=\"\"} "
				    "1\n"));
	free(out);
}

/* A container's id from a (fake) /proc/PID/cgroup becomes a label. */
static void test_container_label(void **state)
{
	static const char id[] = "0123456789abcdef0123456789abcdef"
				 "0123456789abcdef0123456789abcdef";
	char root[] = "/tmp/ttbpf-metrics-XXXXXX", path[128], *out;
	struct state_proc procs[2] = {
		{ .pid = 7, .device = 0, .kind = TTBPF_DEV_CHIP },
		{ .pid = 8, .device = 0, .kind = TTBPF_DEV_CHIP },
	};
	struct state s = { .procs = procs, .n_procs = 2 };
	struct metrics_info info = { .version = "9.9" };
	struct proc_names names;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(root));
	for (int pid = 7; pid <= 8; pid++) {
		snprintf(path, sizeof(path), "%s/%d", root, pid);
		assert_int_equal(mkdir(path, 0700), 0);
		snprintf(path, sizeof(path), "%s/%d/cmdline", root, pid);
		f = fopen(path, "w");
		fputs("python3", f);
		fclose(f);
		snprintf(path, sizeof(path), "%s/%d/cgroup", root, pid);
		f = fopen(path, "w");
		fprintf(f, "0::%s\n",
			pid == 7 ? "/system.slice/docker-"
				   "0123456789abcdef0123456789abcdef"
				   "0123456789abcdef0123456789abcdef.scope"
				 : "/user.slice");
		fclose(f);
	}
	procs[0].u.bytes[TTBPF_DRAM] = 5;
	procs[1].u.bytes[TTBPF_DRAM] = 6;
	proc_names__init(&names, root);
	info.names = &names;
	out = NULL;
	f = open_memstream(&out, &len);
	assert_int_equal(metrics__write(f, &s, &info), 0);
	fclose(f);
	snprintf(path, sizeof(path), "comm=\"\",container=\"%s\",device=", id);
	assert_non_null(strstr(out, path));
	/* No container: no label, not an empty one. */
	assert_non_null(strstr(out, "{pid=\"8\",comm=\"\",device=\"0\""));
	free(out);
	proc_names__clear(&names);
	for (int pid = 7; pid <= 8; pid++) {
		snprintf(path, sizeof(path), "%s/%d/cmdline", root, pid);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%d/cgroup", root, pid);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%d", root, pid);
		rmdir(path);
	}
	rmdir(root);
}

static void test_unreadable(void **state)
{
	char *out;

	(void)state;
	out = write_to(NULL, NULL);
	assert_string_equal(out, "# HELP ttbpf_up 1 when the tracer's maps "
				 "were read for this scrape.\n"
				 "# TYPE ttbpf_up gauge\nttbpf_up 0\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_value_escaping),
		cmocka_unit_test(test_families),
		cmocka_unit_test(test_container_label),
		cmocka_unit_test(test_unreadable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
