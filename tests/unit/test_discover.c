// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Discovery reads a proc-like tree given as a parameter: build one in a
 * temp dir with two "processes" sharing a library through their roots.
 */
#include <errno.h>
#include <limits.h>
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

#include "discover.h"

static char root[64];

static void write_file(const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void mkdirs(const char *rel)
{
	char cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", root, rel);
	assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
	char path[PATH_MAX], target[PATH_MAX];

	(void)state;
	snprintf(root, sizeof(root), "/tmp/ttbpf-discover.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	mkdirs("100/root/opt/tt/lib");
	mkdirs("200");
	mkdirs("300/root/other");
	mkdirs("self");
	write_file("100/root/opt/tt/lib/libtt_metal.so", "x");
	write_file("300/root/other/libtt_metal.so", "y");
	/* pid 200 lives in the same mount namespace as pid 100. */
	snprintf(path, sizeof(path), "%s/200/root", root);
	snprintf(target, sizeof(target), "%s/100/root", root);
	if (symlink(target, path))
		return -1;
	write_file("100/maps",
		   "7f0000000000-7f0000001000 r-xp 00000000 08:01 11 "
		   "/opt/tt/lib/libtt_metal.so\n"
		   "7f0000002000-7f0000003000 rw-p 00000000 00:00 0 \n"
		   "7f0000004000-7f0000005000 r-xp 00000000 08:01 12 "
		   "/usr/lib/libc.so.6\n");
	write_file("200/maps", "7f0000000000-7f0000001000 r-xp 00000000 08:01 "
			       "11 /opt/tt/lib/libtt_metal.so\n");
	write_file("300/maps",
		   "7f0000000000-7f0000001000 r-xp 00000000 08:01 13 "
		   "/other/libtt_metal.so (deleted)\n");
	write_file("self/maps", "7f0000000000-7f0000001000 r-xp 00000000 "
				"08:01 11 /opt/tt/lib/libtt_metal.so\n");
	/* pid 400 shares our mount namespace and maps a file we see too. */
	mkdirs("400");
	snprintf(path, sizeof(path), "%s/400/root", root);
	if (symlink("/", path))
		return -1;
	write_file("here.so", "z");
	snprintf(
		target, sizeof(target),
		"7f0000000000-7f0000001000 r-xp 00000000 08:01 14 %s/here.so\n",
		root);
	write_file("400/maps", target);
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

static void test_mapped_libs_deduplicated(void **state)
{
	struct found_lib found[4];
	char want[PATH_MAX];
	int n;

	(void)state;
	n = discover_mapped_libs(root, "libtt_metal.so", found, 4);
	/* 100 and 200 share one inode; 300's copy was deleted. */
	assert_int_equal(n, 1);
	assert_string_equal(found[0].shown, "/opt/tt/lib/libtt_metal.so");
	assert_true(found[0].pid == 100 || found[0].pid == 200);
	snprintf(want, sizeof(want), "%s/%d/root/opt/tt/lib/libtt_metal.so",
		 root, (int)found[0].pid);
	assert_string_equal(found[0].path, want);
}

static void test_unescape_maps_path(void **state)
{
	char out[32];

	(void)state;
	assert_int_equal(
		discover_unescape_maps_path("/a\\012b/x.so", out, sizeof(out)),
		9);
	assert_memory_equal(out, "/a\nb/x.so", 10);
	/* Only the kernel's one escape: other backslashes stay. */
	discover_unescape_maps_path("/a\\011\\01\\\\012", out, sizeof(out));
	assert_string_equal(out, "/a\\011\\01\\\n");
	discover_unescape_maps_path("\\012\\012", out, sizeof(out));
	assert_string_equal(out, "\n\n");
	/* Cut to the buffer, always terminated. */
	discover_unescape_maps_path("/abcdef", out, 4);
	assert_string_equal(out, "/ab");
}

/* Write @rel (under @root) and return its inode. */
static unsigned long file_ino(const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	write_file(rel, "x");
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(stat(path, &st), 0);
	return (unsigned long)st.st_ino;
}

/*
 * A newline in a directory name reaches maps as "\012"; a directory
 * really named with those four characters reads the same, and the
 * mapping's inode tells them apart.
 */
static void test_newline_in_path(void **state)
{
	char proc[PATH_MAX], line[PATH_MAX];
	struct found_lib found[4];
	unsigned long nl, lit;
	int n;

	(void)state;
	mkdirs("nl/500/root/tmp/a\nb");
	mkdirs("nl/600/root/tmp/c\\012d");
	nl = file_ino("nl/500/root/tmp/a\nb/libnl.so");
	lit = file_ino("nl/600/root/tmp/c\\012d/libnl.so");
	snprintf(line, sizeof(line),
		 "7f0000000000-7f0000001000 r-xp 00000000 08:01 %lu "
		 "/tmp/a\\012b/libnl.so\n",
		 nl);
	write_file("nl/500/maps", line);
	snprintf(line, sizeof(line),
		 "7f0000000000-7f0000001000 r-xp 00000000 08:01 %lu "
		 "/tmp/c\\012d/libnl.so\n",
		 lit);
	write_file("nl/600/maps", line);
	snprintf(proc, sizeof(proc), "%s/nl", root);
	n = discover_mapped_libs(proc, "libnl.so", found, 4);
	assert_int_equal(n, 2);
	if (found[0].pid != 500) {
		struct found_lib t = found[0];

		found[0] = found[1];
		found[1] = t;
	}
	assert_int_equal(found[0].pid, 500);
	assert_string_equal(found[0].shown, "/tmp/a\nb/libnl.so");
	assert_int_equal(found[0].ino, nl);
	assert_int_equal(found[1].pid, 600);
	assert_string_equal(found[1].shown, "/tmp/c\\012d/libnl.so");
	assert_int_equal(found[1].ino, lit);
}

static void test_no_match(void **state)
{
	struct found_lib found[4];

	(void)state;
	assert_int_equal(discover_mapped_libs(root, "libnothing.so", found, 4),
			 0);
	assert_true(discover_mapped_libs("/nonexistent-proc", "x", found, 4) <
		    0);
}

static void test_pids_mapping(void **state)
{
	char path[PATH_MAX];
	pid_t pids[8];
	struct stat st;
	int n;

	(void)state;
	snprintf(path, sizeof(path), "%s/100/root/opt/tt/lib/libtt_metal.so",
		 root);
	assert_int_equal(stat(path, &st), 0);
	n = discover_pids_mapping(root, "libtt_metal.so", st.st_dev, st.st_ino,
				  pids, 8);
	assert_int_equal(n, 2);
	assert_true((pids[0] == 100 && pids[1] == 200) ||
		    (pids[0] == 200 && pids[1] == 100));
	/* The output bound is respected. */
	assert_int_equal(discover_pids_mapping(root, "libtt_metal.so",
					       st.st_dev, st.st_ino, pids, 1),
			 1);
}

static void test_tt_libs_prefers_libtt_metal(void **state)
{
	struct found_lib found[4];

	(void)state;
	/* libtt_metal.so is mapped: _ttnncpp.so is not considered. */
	assert_int_equal(discover_tt_libs(root, found, 4), 1);
	assert_string_equal(found[0].shown, "/opt/tt/lib/libtt_metal.so");
}

static void expect_unchanged(const char *path, pid_t pid)
{
	char err[PATH_MAX * 2] = "unchanged";

	assert_int_equal(discover_explain_missing(root, path, pid, -ENOENT, err,
						  sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "unchanged");
}

static void test_explain_missing(void **state)
{
	char err[PATH_MAX * 2], want[PATH_MAX * 2], here[PATH_MAX];
	const char *lib = "/opt/tt/lib/libtt_metal.so";
	struct stat st;

	(void)state;
	if (!stat(lib, &st))
		skip(); /* the fixture's path exists on this machine */
	/* Mapped by 100 and 200 in their own namespace: name one of them. */
	err[0] = '\0';
	assert_int_equal(discover_explain_missing(root, lib, 0, -ENOENT, err,
						  sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "mount namespace"));
	snprintf(want, sizeof(want), "--lib %s/100/root%s (", root, lib);
	if (!strstr(err, want))
		snprintf(want, sizeof(want), "--lib %s/200/root%s (", root,
			 lib);
	assert_non_null(strstr(err, want));
	/* --pid 200 asks for that process's copy. */
	assert_int_equal(discover_explain_missing(root, lib, 200, -ENOENT, err,
						  sizeof(err)),
			 -ENOENT);
	snprintf(want, sizeof(want), "pid 200 maps it");
	assert_non_null(strstr(err, want));
	snprintf(want, sizeof(want), "--lib %s/200/root%s (", root, lib);
	assert_non_null(strstr(err, want));
	/* Not mapped by that pid, deleted, unmapped, relative: no hint. */
	expect_unchanged(lib, 300);
	expect_unchanged("/other/libtt_metal.so", 0);
	expect_unchanged("/opt/tt/lib/libnothing.so", 0);
	expect_unchanged("opt/tt/lib/libtt_metal.so", 0);
	/* Visible here too: whatever failed, it was not the namespace. */
	snprintf(here, sizeof(here), "%s/here.so", root);
	expect_unchanged(here, 400);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mapped_libs_deduplicated),
		cmocka_unit_test(test_no_match),
		cmocka_unit_test(test_unescape_maps_path),
		cmocka_unit_test(test_newline_in_path),
		cmocka_unit_test(test_pids_mapping),
		cmocka_unit_test(test_tt_libs_prefers_libtt_metal),
		cmocka_unit_test(test_explain_missing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
