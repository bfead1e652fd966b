// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Symbolizing addresses of live processes: this test binary itself, a
 * forked child, and libstdc++ (a C++ name, demangled).
 */
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "symbolize.h"

/* Global, not inlined: it must exist at its own address. */
__attribute__((noinline)) int symbolize_test_target(int x);
__attribute__((noinline)) int symbolize_test_target(int x)
{
	return x * 3 + 1;
}

static void test_demangle(void **state)
{
	const char *plain = "main";
	char buf[256];

	(void)state;
	assert_string_equal(
		symbolize_demangle("_ZN2tt8tt_metal13AllocatorImpl15allocate_"
				   "bufferEPNS0_6BufferE",
				   buf, sizeof(buf)),
		"tt::tt_metal::AllocatorImpl::allocate_buffer(tt::tt_metal::"
		"Buffer*)");
	assert_string_equal(symbolize_demangle("_ZNK2tt8tt_metal6Buffer4sizeEv",
					       buf, sizeof(buf)),
			    "tt::tt_metal::Buffer::size() const");
	/* Not mangled, or not valid: returned as is. */
	assert_ptr_equal(symbolize_demangle(plain, buf, sizeof(buf)), plain);
	assert_string_equal(symbolize_demangle("_Z", buf, sizeof(buf)), "_Z");
	assert_string_equal(symbolize_demangle("_ZN3foo", buf, sizeof(buf)),
			    "_ZN3foo");
	/* A short buffer truncates rather than overflows. */
	assert_string_equal(
		symbolize_demangle("_ZNK2tt8tt_metal6Buffer4sizeEv", buf, 8),
		"tt::tt_");
}

static void test_self(void **state)
{
	struct symbolizer *s = symbolizer__new("/proc");
	uint64_t ip = (uint64_t)(uintptr_t)symbolize_test_target;
	struct sym_frame f;
	char label[600];

	(void)state;
	assert_non_null(s);
	assert_int_equal(symbolizer__resolve(s, (uint32_t)getpid(), ip, &f), 0);
	assert_string_equal(f.name, "symbolize_test_target");
	assert_int_equal(f.offset, 0);
	assert_true(f.ip == ip);
	assert_string_equal(f.module, "test_symbolize");
	assert_int_equal(symbolizer__resolve(s, (uint32_t)getpid(), ip + 1, &f),
			 0);
	assert_string_equal(f.name, "symbolize_test_target");
	assert_int_equal(f.offset, 1);
	assert_string_equal(sym_frame__label(&f, label, sizeof(label)),
			    "symbolize_test_target");

	/* Nothing is mapped at page 0. */
	assert_int_equal(symbolizer__resolve(s, (uint32_t)getpid(), 0x10, &f),
			 -ENOENT);
	assert_string_equal(f.name, "");
	assert_string_equal(sym_frame__label(&f, label, sizeof(label)), "0x10");
	symbolizer__free(s);
}

static void test_cpp_library(void **state)
{
	struct symbolizer *s = symbolizer__new(NULL);
	void *h = dlopen("libstdc++.so.6", RTLD_NOW);
	void *fn;
	struct sym_frame f;

	(void)state;
	if (!h)
		skip();
	fn = dlsym(h, "_ZSt9terminatev");
	assert_non_null(fn);
	assert_int_equal(symbolizer__resolve(s, (uint32_t)getpid(),
					     (uint64_t)(uintptr_t)fn, &f),
			 0);
	assert_string_equal(f.name, "std::terminate()");
	assert_int_equal(strncmp(f.module, "libstdc++.so.6", 14), 0);
	symbolizer__free(s);
	dlclose(h);
}

static void test_other_process(void **state)
{
	struct symbolizer *s = symbolizer__new("/proc");
	uint64_t ip = (uint64_t)(uintptr_t)symbolize_test_target;
	struct sym_frame f;
	int pipefd[2], status;
	char c;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		/* Same layout as the parent; wait to be killed. */
		close(pipefd[0]);
		if (write(pipefd[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pipefd[1]);
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	close(pipefd[0]);
	assert_int_equal(symbolizer__resolve(s, (uint32_t)pid, ip + 4, &f), 0);
	assert_string_equal(f.name, "symbolize_test_target");
	assert_int_equal(f.offset, 4);

	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* Cached: still resolves from what was read while it lived. */
	assert_int_equal(symbolizer__resolve(s, (uint32_t)pid, ip, &f), 0);
	symbolizer__forget(s, (uint32_t)pid);
	assert_int_equal(symbolizer__resolve(s, (uint32_t)pid, ip, &f), -ESRCH);
	assert_string_equal(f.name, "");
	assert_true(f.ip == ip);
	symbolizer__free(s);
}

static void test_proc_root(void **state)
{
	struct symbolizer *s = symbolizer__new("/nonexistent");
	struct sym_frame f;

	(void)state;
	assert_int_equal(
		symbolizer__resolve(s, (uint32_t)getpid(),
				    (uint64_t)(uintptr_t)symbolize_test_target,
				    &f),
		-ESRCH);
	symbolizer__free(s);
	symbolizer__free(NULL);
}

static void test_many_pids(void **state)
{
	struct symbolizer *s = symbolizer__new("/proc");
	uint64_t ip = (uint64_t)(uintptr_t)symbolize_test_target;
	struct sym_frame f;

	(void)state;
	/* More dead pids than the cache holds, then a live one. */
	for (uint32_t pid = 0x3ffff000; pid < 0x3ffff000 + 100; pid++)
		assert_int_equal(symbolizer__resolve(s, pid, ip, &f), -ESRCH);
	assert_int_equal(symbolizer__resolve(s, (uint32_t)getpid(), ip, &f), 0);
	assert_string_equal(f.name, "symbolize_test_target");
	symbolizer__free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demangle),
		cmocka_unit_test(test_self),
		cmocka_unit_test(test_cpp_library),
		cmocka_unit_test(test_other_process),
		cmocka_unit_test(test_proc_root),
		cmocka_unit_test(test_many_pids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
