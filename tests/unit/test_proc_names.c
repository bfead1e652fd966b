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

#include "proc_names.h"

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* A /proc of our own, per test process: PID/cmdline and PID/cgroup. */
static char root[64];

static void put(uint32_t pid, const char *name, const char *data, size_t n)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%u", root, pid);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/%u/%s", root, pid, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/ttbpf-proc-names.%d", getpid());
	mkdir(root, 0700);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd) ? -1 : 0;
}

static void test_cmdline(void **state)
{
	static const char argv[] = "python\0model.py\0--batch\0008\0";
	char buf[PROC_CMDLINE_LEN], big[600];

	(void)state;
	put(10, "cmdline", argv, sizeof(argv) - 1);
	assert_int_equal(proc_names__read_cmdline(root, 10, buf, sizeof(buf)),
			 strlen("python model.py --batch 8"));
	assert_string_equal(buf, "python model.py --batch 8");
	/* Cut to the buffer, ending in "...". */
	assert_int_equal(proc_names__read_cmdline(root, 10, buf, 12), 11);
	assert_string_equal(buf, "python m...");
	/* Exactly fitting is not cut. */
	assert_int_equal(proc_names__read_cmdline(root, 10, buf, 26), 25);
	assert_string_equal(buf, "python model.py --batch 8");
	/* Longer than the longest kept. */
	memset(big, 'x', sizeof(big));
	put(11, "cmdline", big, sizeof(big));
	assert_int_equal(proc_names__read_cmdline(root, 11, buf, sizeof(buf)),
			 PROC_CMDLINE_LEN - 1);
	assert_string_equal(buf + PROC_CMDLINE_LEN - 4, "...");
	/* A zombie or kernel thread: empty. No such process: -ENOENT. */
	put(12, "cmdline", "", 0);
	assert_int_equal(proc_names__read_cmdline(root, 12, buf, sizeof(buf)),
			 0);
	assert_int_equal(proc_names__read_cmdline(root, 13, buf, sizeof(buf)),
			 -ENOENT);
}

static void test_container_of(void **state)
{
	static const struct {
		const char *cgroup;
		bool found;
	} cases[] = {
		{ "/system.slice/docker-" ID64 ".scope", true },
		{ "/docker/" ID64, true },
		{ "/machine.slice/libpod-" ID64 ".scope/container", true },
		{ "/system.slice/cri-containerd-" ID64 ".scope", true },
		{ "/kubepods/besteffort/pod1234/" ID64, true },
		{ "/", false },
		{ "/user.slice/user-1000.slice/session-2.scope", false },
		/* 63 or 65 digits, or glued to letters: not an id. */
		{ "/docker/" ID64 "0", false },
		{ "/docker/x" ID64, false },
		{ "/docker/" ID64 "g", false },
		{ "/process_api/7cbe4f4385172c8cc0ecad982ba0c532", false },
	};
	char id[PROC_CONTAINER_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool f = proc_names__container_of(cases[i].cgroup, id,
						  sizeof(id));

		if (f != cases[i].found)
			fail_msg("%s: found %d", cases[i].cgroup, f);
		assert_string_equal(id, f ? ID64 : "");
	}
	/* Too small a buffer: nothing, not a cut id. */
	assert_false(proc_names__container_of("/docker/" ID64, id, 64));
	assert_string_equal(id, "");
}

static void test_cache(void **state)
{
	static const char v1[] = "12:pids:/docker/" ID64 "\n0::/\n";
	static const char v2[] = "0::/system.slice/docker-" ID64 ".scope\n";
	const struct proc_name *n;
	struct proc_names pn;
	char buf[64];

	(void)state;
	proc_names__init(&pn, root);
	put(20, "cmdline", "a\0b\0", 4);
	put(20, "cgroup", v2, sizeof(v2) - 1);
	put(21, "cmdline", "c\0", 2);
	put(21, "cgroup", v1, sizeof(v1) - 1);
	n = proc_names__get(&pn, 20);
	assert_true(n->known);
	assert_string_equal(n->cmdline, "a b");
	assert_string_equal(n->cgroup, "/system.slice/docker-" ID64 ".scope");
	assert_string_equal(n->container, ID64);
	assert_string_equal(proc_name__terminal(n, 0, buf, sizeof(buf)),
			    "a b [container 0123456789ab]");
	/* The cgroup v2 line wins over v1 hierarchies. */
	n = proc_names__get(&pn, 21);
	assert_string_equal(n->cgroup, "/");
	assert_string_equal(n->container, "");
	/* Remembered at first sight: later changes are not seen. */
	put(20, "cmdline", "z\0", 2);
	assert_string_equal(proc_names__get(&pn, 20)->cmdline, "a b");
	/* Gone before it was read. */
	n = proc_names__get(&pn, 22);
	assert_false(n->known);
	assert_string_equal(proc_name__terminal(n, 0, buf, sizeof(buf)), "?");
	/* Named from argv kept elsewhere; cut lines end in "...". */
	n = proc_names__put_args(&pn, 23, "x\0y\0", 4, true);
	assert_string_equal(n->cmdline, "x y...");
	assert_ptr_equal(proc_names__find(&pn, 23), n);
	assert_null(proc_names__find(&pn, 24));
	proc_names__clear(&pn);
}

static void test_terminal(void **state)
{
	struct proc_name n = { .pid = 1, .known = true };
	char buf[64];

	(void)state;
	snprintf(n.cmdline, sizeof(n.cmdline), "%s",
		 "\033]0;x\007 run\n\xc3\xa9");
	assert_string_equal(proc_name__terminal(&n, 0, buf, sizeof(buf)),
			    "\\x1b]0;x\\x07 run\\x0a\xc3\xa9");
	/* A width: at most that many bytes, no escape cut in two. */
	assert_string_equal(proc_name__terminal(&n, 5, buf, sizeof(buf)),
			    "\\x1b]");
	assert_string_equal(proc_name__terminal(&n, 9, buf, sizeof(buf)),
			    "\\x1b]0;x");
	assert_string_equal(proc_name__terminal(NULL, 0, buf, sizeof(buf)),
			    "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_container_of),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_terminal),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
