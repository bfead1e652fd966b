// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <argp.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "trace_args.h"

static int parse(struct trace_args *a, ...)
{
	char *argv[32] = { "ttbpf-trace" };
	int argc = 1;
	va_list ap;
	char *s;

	va_start(ap, a);
	while ((s = va_arg(ap, char *)))
		argv[argc++] = s;
	va_end(ap);
	return trace_args_parse(argc, argv, ARGP_NO_EXIT | ARGP_SILENT, a);
}

static void test_defaults(void **state)
{
	struct trace_args a;

	(void)state;
	assert_int_equal(parse(&a, NULL), 0);
	assert_int_equal(a.n_libs, 0);
	assert_int_equal(a.device, -1);
	assert_int_equal(a.pid, 0);
	assert_int_equal(a.interval_ms, 1000);
	assert_int_equal(a.max_buffers, TTBPF_DEFAULT_MAX_BUFFERS);
	assert_int_equal(a.max_devices, TTBPF_MAX_DEVICES);
	assert_int_equal(a.max_procs, TTBPF_MAX_PROCS);
	assert_int_equal(a.max_stacks, TTBPF_MAX_STACKS);
	assert_true(a.stacks);
	assert_false(a.json);
	assert_null(a.cmd);
}

static void test_repeatable_lib_and_flags(void **state)
{
	struct trace_args a;

	(void)state;
	assert_int_equal(parse(&a, "--lib", "/a/libtt_metal.so", "-l", "/b.so",
			       "-p", "42", "-d", "3", "--json", "-vv",
			       "--layout", "size=8", "--no-stacks", "-i", "0",
			       NULL),
			 0);
	assert_int_equal(a.n_libs, 2);
	assert_string_equal(a.libs[0], "/a/libtt_metal.so");
	assert_string_equal(a.libs[1], "/b.so");
	assert_int_equal(a.pid, 42);
	assert_int_equal(a.device, 3);
	assert_true(a.json);
	assert_int_equal(a.verbose, 2);
	assert_string_equal(a.layout, "size=8");
	assert_false(a.stacks);
	assert_int_equal(a.interval_ms, 0);
}

static void test_command_after_dashes(void **state)
{
	struct trace_args a;

	(void)state;
	assert_int_equal(
		parse(&a, "--json", "--", "python3", "-c", "pass", NULL), 0);
	assert_non_null(a.cmd);
	assert_string_equal(a.cmd[0], "python3");
	assert_string_equal(a.cmd[1], "-c");
	assert_string_equal(a.cmd[2], "pass");
	assert_null(a.cmd[3]);
	assert_true(a.json);
}

static void test_strict_numbers(void **state)
{
	struct trace_args a;

	(void)state;
	assert_int_not_equal(parse(&a, "-p", "12x", NULL), 0);
	assert_int_not_equal(parse(&a, "-p", "-5", NULL), 0);
	assert_int_not_equal(parse(&a, "-p", "0", NULL), 0);
	assert_int_not_equal(parse(&a, "-d", "", NULL), 0);
	assert_int_not_equal(parse(&a, "--max-buffers", "10", NULL), 0);
	assert_int_not_equal(parse(&a, "-i", "99999999999999999999", NULL), 0);
	assert_int_equal(parse(&a, "-p", "0x10", NULL), 0);
	assert_int_equal(a.pid, 16);
}

/* Every map that can fill is sized on the command line, within bounds. */
/* --python-frames is a --json option and needs the frames recorded. */
static void test_python_frames(void **state)
{
	struct trace_args a;

	(void)state;
	assert_int_equal(parse(&a, "--json", "--python-frames", NULL), 0);
	assert_true(a.python_frames);
	assert_int_equal(parse(&a, "--json", NULL), 0);
	assert_false(a.python_frames);
	assert_int_not_equal(parse(&a, "--python-frames", NULL), 0);
	assert_int_not_equal(
		parse(&a, "--json", "--python-frames", "--no-python", NULL), 0);
}

static void test_map_sizes(void **state)
{
	struct trace_args a;

	(void)state;
	assert_int_equal(parse(&a, "--max-devices", "16", "--max-procs",
			       "1048576", NULL),
			 0);
	assert_int_equal(a.max_devices, 16);
	assert_int_equal(a.max_procs, 1048576);
	assert_int_not_equal(parse(&a, "--max-devices", "15", NULL), 0);
	assert_int_not_equal(parse(&a, "--max-procs", "1048577", NULL), 0);
	assert_int_not_equal(parse(&a, "--max-devices", "4k", NULL), 0);
	assert_int_equal(parse(&a, "--max-stacks", "64", NULL), 0);
	assert_int_equal(a.max_stacks, 64);
}

static void test_exclusive_options(void **state)
{
	struct trace_args a;

	(void)state;
	assert_int_not_equal(parse(&a, "--pin", "--unpin", NULL), 0);
	assert_int_not_equal(parse(&a, "-p", "5", "--", "true", NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_repeatable_lib_and_flags),
		cmocka_unit_test(test_command_after_dashes),
		cmocka_unit_test(test_strict_numbers),
		cmocka_unit_test(test_map_sizes),
		cmocka_unit_test(test_python_frames),
		cmocka_unit_test(test_exclusive_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
