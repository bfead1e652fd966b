// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "capacity.h"

#define GiB (1ULL << 30)
#define MiB (1ULL << 20)

static void test_arch_table(void **state)
{
	struct capacity c;

	(void)state;
	assert_int_equal(capacity__for_arch("wormhole_b0", &c), 0);
	assert_string_equal(c.arch, "wormhole_b0");
	assert_true(c.bytes[TTBPF_DRAM] == 12 * GiB);
	assert_true(c.bytes[TTBPF_L1] == 64ULL * 1499136);
	/* Carved out by the application's config: unknown here. */
	assert_true(c.bytes[TTBPF_L1_SMALL] == 0);
	assert_true(c.bytes[TTBPF_TRACE] == 0);
	assert_true(c.bytes[TTBPF_SYSTEM_MEMORY] == 0);

	assert_int_equal(capacity__for_arch("blackhole", &c), 0);
	assert_true(c.bytes[TTBPF_DRAM] == 8 * (4 * GiB - 16 * MiB));
	assert_true(c.bytes[TTBPF_L1] == 140ULL * 1499136);

	assert_int_equal(capacity__for_arch("grayskull", &c), 0);
	assert_true(c.bytes[TTBPF_DRAM] == 8 * GiB);
	assert_true(c.bytes[TTBPF_L1] == 120 * MiB);

	c.bytes[TTBPF_DRAM] = 5;
	assert_int_equal(capacity__for_arch("wormhole", &c), -ENOENT);
	assert_int_equal(capacity__for_arch("", &c), -ENOENT);
	assert_true(c.bytes[TTBPF_DRAM] == 5);
	assert_non_null(strstr(capacity__arch_names(), "blackhole"));
}

static void test_parse(void **state)
{
	struct capacity c = {};

	(void)state;
	assert_int_equal(capacity__parse("DRAM=1024", &c), 0);
	assert_true(c.bytes[TTBPF_DRAM] == 1024);
	assert_int_equal(capacity__parse("L1=1K,TRACE=2MiB,l1_small=3G", &c),
			 0);
	assert_true(c.bytes[TTBPF_DRAM] == 1024); /* untouched */
	assert_true(c.bytes[TTBPF_L1] == 1024);
	assert_true(c.bytes[TTBPF_TRACE] == 2 * MiB);
	assert_true(c.bytes[TTBPF_L1_SMALL] == 3 * GiB);
	assert_int_equal(capacity__parse("DRAM=2T,DRAM=12GiB", &c), 0);
	assert_true(c.bytes[TTBPF_DRAM] == 12 * GiB); /* last wins */
	assert_int_equal(
		capacity__parse("SYSTEM_MEMORY=18446744073709551615", &c), 0);
	assert_true(c.bytes[TTBPF_SYSTEM_MEMORY] == UINT64_MAX);
}

static void test_parse_errors(void **state)
{
	static const char *const bad[] = {
		"",
		"DRAM",
		"DRAM=",
		"=5",
		"DRAM=0",
		"DRAM=0K",
		"DRAM=-1",
		"DRAM=+1",
		"DRAM= 1",
		"DRAM=1 ",
		"DRAM=1X",
		"DRAM=1k",
		"DRAM=1KB",
		"DRAM=0x10",
		"FOO=1",
		"DRAM=1,",
		",DRAM=1",
		"DRAM=1,,L1=2",
		"DRAM=18446744073709551616",
		"DRAM=17179869184T",
		"DRAM=1=2",
		"AVERYLONGNAMETHATDOESNOTFITANYBUFFER=1",
	};
	struct capacity c = {}, before;

	(void)state;
	assert_int_equal(capacity__for_arch("blackhole", &c), 0);
	before = c;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(capacity__parse(bad[i], &c), -EINVAL);
		assert_memory_equal(&c, &before, sizeof(c));
	}
	/* A bad entry after a good one leaves everything as it was. */
	assert_int_equal(capacity__parse("L1=5,DRAM=x", &c), -EINVAL);
	assert_memory_equal(&c, &before, sizeof(c));
}

struct sysfs {
	char root[64];
};

static void add_dev(struct sysfs *s, const char *bdf, const char *vendor,
		    const char *device)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", s->root, bdf);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/vendor", s->root,
		 bdf);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", vendor);
	fclose(f);
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/device", s->root,
		 bdf);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", device);
	fclose(f);
}

static int sysfs_setup(void **state)
{
	struct sysfs *s = calloc(1, sizeof(*s));
	char path[128];

	if (!s)
		return -1;
	snprintf(s->root, sizeof(s->root), "/tmp/ttbpf-sysfs.XXXXXX");
	if (!mkdtemp(s->root))
		return -1;
	snprintf(path, sizeof(path), "%s/bus", s->root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/bus/pci", s->root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/bus/pci/devices", s->root);
	if (mkdir(path, 0755))
		return -1;
	*state = s;
	return 0;
}

static int sysfs_teardown(void **state)
{
	struct sysfs *s = *state;
	char cmd[128];
	int rc;

	snprintf(cmd, sizeof(cmd), "rm -rf %s", s->root);
	rc = system(cmd);
	free(s);
	return rc ? -1 : 0;
}

static void test_detect(void **state)
{
	struct sysfs *s = *state;
	char arch[32] = "";

	assert_int_equal(
		capacity__detect_arch("/nonexistent", arch, sizeof(arch)),
		-ENOENT);
	/* Empty bus, then only other vendors' devices. */
	assert_int_equal(capacity__detect_arch(s->root, arch, sizeof(arch)),
			 -ENOENT);
	add_dev(s, "0000:00:01.0", "0x8086", "0x401e");
	add_dev(s, "0000:00:02.0", "0x1e52", "0x1234");
	assert_int_equal(capacity__detect_arch(s->root, arch, sizeof(arch)),
			 -ENOENT);
	add_dev(s, "0000:01:00.0", "0x1e52", "0x401e");
	add_dev(s, "0000:02:00.0", "0x1e52", "0x401e");
	assert_int_equal(capacity__detect_arch(s->root, arch, sizeof(arch)), 0);
	assert_string_equal(arch, "wormhole_b0");
	add_dev(s, "0000:03:00.0", "0x1e52", "0xb140");
	assert_int_equal(capacity__detect_arch(s->root, arch, sizeof(arch)),
			 -ENOTUNIQ);
}

static void test_detect_blackhole(void **state)
{
	struct sysfs *s = *state;
	char arch[32] = "";

	add_dev(s, "0000:05:00.0", "0x1e52", "0xb140");
	assert_int_equal(capacity__detect_arch(s->root, arch, sizeof(arch)), 0);
	assert_string_equal(arch, "blackhole");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arch_table),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test_setup_teardown(test_detect, sysfs_setup,
						sysfs_teardown),
		cmocka_unit_test_setup_teardown(test_detect_blackhole,
						sysfs_setup, sysfs_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
