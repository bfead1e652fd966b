// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The pin directory checks: the pure judgement of what fstat() said, then
 * the real thing on bpffs (root: chown and pinned maps are real), with
 * directories and links as a hostile user would plant them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <cmocka.h>

#include <bpf/bpf.h>

#include "pin_dir.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

static struct stat st_of(mode_t mode, uid_t uid)
{
	struct stat st = { .st_mode = mode, .st_uid = uid };

	return st;
}

static void test_check_stat(void **state)
{
	struct stat st;
	char err[256];

	(void)state;
	st = st_of(S_IFDIR | 0700, 0);
	assert_int_equal(pin_dir__check_stat(&st, 0, PIN_DIR_WRITE, "/p", err,
					     sizeof(err)),
			 0);
	/* A non-root caller may trust what it owns itself. */
	st = st_of(S_IFDIR | 0700, 1000);
	assert_int_equal(pin_dir__check_stat(&st, 1000, PIN_DIR_WRITE, "/p",
					     err, sizeof(err)),
			 0);
	assert_int_equal(pin_dir__check_stat(&st, 0, PIN_DIR_READ, "/p", err,
					     sizeof(err)),
			 -EPERM);
	assert_string_equal(err, "/p is owned by uid 1000, not root: ttbpf "
				 "will not use a pin directory another user "
				 "could have planted; remove it or choose "
				 "another --pin-dir");
	st = st_of(S_IFDIR | 0755, 0);
	assert_int_equal(pin_dir__check_stat(&st, 0, PIN_DIR_READ, "/p", err,
					     sizeof(err)),
			 0);
	assert_int_equal(pin_dir__check_stat(&st, 0, PIN_DIR_WRITE, "/p", err,
					     sizeof(err)),
			 -EPERM);
	assert_non_null(strstr(err, "/p has mode 0755, not 0700"));
	st = st_of(S_IFDIR | 01777, 0);
	assert_int_equal(pin_dir__check_stat(&st, 0, PIN_DIR_READ, "/p", err,
					     sizeof(err)),
			 -EPERM);
	assert_non_null(strstr(err, "writable by group or others (mode 1777)"));
	st = st_of(S_IFDIR | 0720, 0);
	assert_int_equal(pin_dir__check_stat(&st, 0, PIN_DIR_READ, "/p", err,
					     sizeof(err)),
			 -EPERM);
	st = st_of(S_IFLNK | 0777, 0);
	assert_int_equal(pin_dir__check_stat(&st, 0, PIN_DIR_READ, "/p", err,
					     sizeof(err)),
			 -ENOTDIR);
	assert_non_null(strstr(err, "/p is a symbolic link, not ttbpf's pin "
				    "directory: ttbpf will not follow or touch "
				    "it"));
}

static void test_check_parent(void **state)
{
	struct stat st;
	char err[256];

	(void)state;
	st = st_of(S_IFDIR | 01777, 0); /* /sys/fs/bpf, /tmp */
	assert_int_equal(pin_dir__check_parent(&st, 0, "/b", err, sizeof(err)),
			 0);
	st = st_of(S_IFDIR | 0755, 0);
	assert_int_equal(pin_dir__check_parent(&st, 0, "/b", err, sizeof(err)),
			 0);
	st = st_of(S_IFDIR | 0777, 0);
	assert_int_equal(pin_dir__check_parent(&st, 0, "/b", err, sizeof(err)),
			 -EPERM);
	assert_non_null(strstr(err, "writable by others without the sticky "
				    "bit (mode 0777)"));
	st = st_of(S_IFDIR | 01777, 65534);
	assert_int_equal(pin_dir__check_parent(&st, 0, "/b", err, sizeof(err)),
			 -EPERM);
	assert_non_null(strstr(err, "owned by uid 65534, not root"));
	st = st_of(S_IFLNK | 0777, 0);
	assert_int_equal(pin_dir__check_parent(&st, 0, "/b", err, sizeof(err)),
			 -ENOTDIR);
}

static void test_link_names(void **state)
{
	(void)state;
	assert_true(pin_dir__is_link_name("0", 512));
	assert_true(pin_dir__is_link_name("7", 512));
	assert_true(pin_dir__is_link_name("511", 512));
	assert_false(pin_dir__is_link_name("512", 512));
	assert_false(pin_dir__is_link_name("01", 512));
	assert_false(pin_dir__is_link_name("", 512));
	assert_false(pin_dir__is_link_name("-1", 512));
	assert_false(pin_dir__is_link_name("1a", 512));
	assert_false(pin_dir__is_link_name("99999999999999999999999", 512));
	assert_string_equal(pin_dir__kind(S_IFREG | 0600), "a file");
	assert_string_equal(pin_dir__kind(S_IFIFO | 0600), "a FIFO");
}

/* A fresh folder on bpffs for one test, removed by teardown. */
struct fx {
	char base[128];
};

static int setup(void **state)
{
	static struct fx f;
	struct statfs fs;

	if (geteuid() || statfs("/sys/fs/bpf", &fs) ||
	    (unsigned long)fs.f_type != BPF_FS_MAGIC) {
		*state = NULL;
		return 0;
	}
	snprintf(f.base, sizeof(f.base), "/sys/fs/bpf/ttbpf-test-pindir-%d",
		 (int)getpid());
	if (mkdir(f.base, 0700))
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[256];

	if (f) {
		/* rm does not follow the links the tests planted. */
		snprintf(cmd, sizeof(cmd), "rm -rf %s", f->base);
		if (system(cmd))
			return -1;
	}
	return 0;
}

#define NEED_BPFFS(f)                                                       \
	do {                                                                \
		if (!(f))                                                   \
			skip(); /* needs root and a bpffs on /sys/fs/bpf */ \
	} while (0)

static void path_in(const struct fx *f, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", f->base, name);
}

static void pin_map(const char *path)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "t", 4, 4, 1, NULL);

	assert_true(fd >= 0);
	assert_int_equal(bpf_obj_pin(fd, path), 0);
	close(fd);
}

static void test_create_and_adopt(void **state)
{
	struct fx *f = *state;
	char path[256], err[512];
	struct pin_dir d;
	struct stat st;
	mode_t old;

	NEED_BPFFS(f);
	path_in(f, "pins", path, sizeof(path));
	/* A umask that would take every bit: the directory is still 0700. */
	old = umask(0777);
	assert_int_equal(
		pin_dir__open(&d, path, PIN_DIR_WRITE, true, err, sizeof(err)),
		0);
	umask(old);
	assert_true(d.created);
	assert_int_equal(fstat(d.fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	pin_dir__close(&d);
	assert_int_equal(
		pin_dir__open(&d, path, PIN_DIR_WRITE, true, err, sizeof(err)),
		0);
	assert_false(d.created); /* root's own, checked: adopted */
	assert_int_equal(pin_dir__rmdir(&d), 0);
	pin_dir__close(&d);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(
		pin_dir__open(&d, path, PIN_DIR_READ, false, err, sizeof(err)),
		-ENOENT);
	assert_int_equal(pin_dir__open(&d, "ttbpf", PIN_DIR_READ, false, err,
				       sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "not an absolute path"));
}

/* Root's own 0700 folder, but not on bpffs: no pins there, none deleted. */
static void test_not_bpffs(void **state)
{
	char tmp[] = "/tmp/ttbpf-test-pindir-XXXXXX", err[512];
	struct pin_dir d;

	(void)state;
	if (geteuid())
		skip(); /* /tmp must pass as root's sticky folder */
	assert_non_null(mkdtemp(tmp));
	assert_int_equal(
		pin_dir__open(&d, tmp, PIN_DIR_WRITE, false, err, sizeof(err)),
		-EXDEV);
	assert_non_null(strstr(err, "is not on a bpffs"));
	assert_int_equal(rmdir(tmp), 0);
}

static void test_planted(void **state)
{
	struct fx *f = *state;
	char path[256], via[300], err[512], want[512];
	struct pin_dir d;
	struct stat st;

	NEED_BPFFS(f);
	/* Made first by another user: refused, left as it was. */
	path_in(f, "planted", path, sizeof(path));
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_int_equal(
		pin_dir__open(&d, path, PIN_DIR_WRITE, true, err, sizeof(err)),
		-EPERM);
	assert_int_equal(d.fd, -1);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_uid, 65534);

	/* A link in its place: not followed, whatever it points at. */
	path_in(f, "link", path, sizeof(path));
	assert_int_equal(symlink(f->base, path), 0);
	assert_int_equal(
		pin_dir__open(&d, path, PIN_DIR_WRITE, true, err, sizeof(err)),
		-ENOTDIR);
	snprintf(want, sizeof(want),
		 "%s is a symbolic link, not ttbpf's pin directory", path);
	assert_non_null(strstr(err, want));

	/* A link on the way to it. */
	snprintf(via, sizeof(via), "%s/pins", path);
	assert_int_equal(
		pin_dir__open(&d, via, PIN_DIR_READ, false, err, sizeof(err)),
		-ENOTDIR);
	assert_non_null(strstr(err, "on the way to the pin directory"));

	/* A pinned map at the pin path is named as one. */
	path_in(f, "map", path, sizeof(path));
	pin_map(path);
	assert_int_equal(
		pin_dir__open(&d, path, PIN_DIR_WRITE, true, err, sizeof(err)),
		-ENOTDIR);
	snprintf(want, sizeof(want), "%s is a pinned BPF map, not", path);
	assert_non_null(strstr(err, want));
	assert_int_equal(stat(path, &st), 0);
}

static const char *const names[] = { "allocs", "meta" };

static void test_scan_and_remove(void **state)
{
	struct fx *f = *state;
	char path[256], err[512], want[512];
	unsigned int ids[4] = { 0 };
	struct pin_scan scan;
	struct pin_dir d;
	size_t n_ids;

	NEED_BPFFS(f);
	path_in(f, "pins", path, sizeof(path));
	assert_int_equal(
		pin_dir__open(&d, path, PIN_DIR_WRITE, true, err, sizeof(err)),
		0);
	assert_int_equal(
		pin_dir__scan(d.fd, path, names, 2, &scan, err, sizeof(err)),
		0);
	assert_int_equal(scan.maps + scan.links + scan.links_dir, 0);

	path_in(f, "pins/allocs", path, sizeof(path));
	pin_map(path);
	path_in(f, "pins/meta", path, sizeof(path));
	pin_map(path);
	path_in(f, "pins/links", path, sizeof(path));
	assert_int_equal(mkdir(path, 0700), 0);
	/* Maps stand in for link pins: only names and file types count. */
	path_in(f, "pins/links/0", path, sizeof(path));
	pin_map(path);
	path_in(f, "pins/links/1", path, sizeof(path));
	pin_map(path);
	path_in(f, "pins", path, sizeof(path));
	assert_int_equal(
		pin_dir__scan(d.fd, path, names, 2, &scan, err, sizeof(err)),
		0);
	assert_int_equal(scan.maps, 2);
	assert_int_equal(scan.links, 2);
	assert_true(scan.links_dir);

	/* Anything else and nothing is touched. */
	path_in(f, "pins/links/x", path, sizeof(path));
	assert_int_equal(symlink("/etc", path), 0);
	path_in(f, "pins", path, sizeof(path));
	assert_int_equal(
		pin_dir__scan(d.fd, path, names, 2, &scan, err, sizeof(err)),
		-EEXIST);
	snprintf(want, sizeof(want),
		 "%s holds links/x (a symbolic link), which ttbpf did not pin: "
		 "ttbpf will not touch it",
		 path);
	assert_non_null(strstr(err, want));
	path_in(f, "pins/links/x", path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	/* A name chosen to move the terminal is shown escaped. */
	path_in(f, "pins/evil\x1b[2J", path, sizeof(path));
	assert_int_equal(symlink("/etc", path), 0);
	assert_int_equal(
		pin_dir__scan(d.fd, f->base, names, 2, &scan, err, sizeof(err)),
		-EEXIST);
	assert_non_null(strstr(err, "holds evil\\x1b[2J (a symbolic link)"));
	assert_null(strchr(err, 0x1b));
	assert_int_equal(unlink(path), 0);
	path_in(f, "pins/other", path, sizeof(path));
	pin_map(path);
	path_in(f, "pins", path, sizeof(path));
	assert_int_equal(
		pin_dir__scan(d.fd, path, names, 2, &scan, err, sizeof(err)),
		-EEXIST);
	assert_non_null(strstr(err, "holds other (a pinned BPF map)"));
	path_in(f, "pins/other", path, sizeof(path));
	assert_int_equal(unlink(path), 0);

	/* Removed, links first; map ids are no link ids, none recorded. */
	assert_int_equal(pin_dir__remove_pins(d.fd, names, 2, ids, 4, &n_ids),
			 4);
	assert_int_equal(n_ids, 0);
	assert_int_equal(pin_dir__rmdir(&d), 0);
	pin_dir__close(&d);
	path_in(f, "pins", path, sizeof(path));
	assert_int_equal(access(path, F_OK), -1);
	ids[0] = 0x7ffffff0;
	assert_int_equal(pin_dir__links_alive(ids, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_stat),
		cmocka_unit_test(test_check_parent),
		cmocka_unit_test(test_link_names),
		cmocka_unit_test_setup_teardown(test_create_and_adopt, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_planted, setup, teardown),
		cmocka_unit_test(test_not_bpffs),
		cmocka_unit_test_setup_teardown(test_scan_and_remove, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
