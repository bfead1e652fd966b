// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fixtures/fixture.h"
#include "dwarf_layout.h"
#include "elf_image.h"
#include "eras.h"

static struct fx fx;

static int setup(void **state)
{
	(void)state;
	if (fx_init(&fx, __FILE__) ||
	    fx_cxx(&fx, "e4g.so", "fake_metal.cpp",
		   "-O2 -g -shared -DFX_ERA=4 -Wl,--build-id=sha1") ||
	    fx_cxx(&fx, "e3g.so", "fake_metal.cpp",
		   "-O2 -g -shared -DFX_ERA=3") ||
	    fx_cxx(&fx, "e2g.so", "fake_metal.cpp",
		   "-O2 -g -shared -DFX_ERA=2") ||
	    fx_cxx(&fx, "plain-g.so", "plain.cpp", "-g -shared") ||
	    fx_cxx(&fx, "nodbg.so", "fake_metal.cpp", "-O2 -shared -DFX_ERA=4"))
		return -1;
	/*
	 * Split copies of e4g.so: debuglink next to it, in .debug/, under a
	 * debug root; one found by build-id only; one with a stale CRC.
	 */
	if (fx_sh("cd '%s' && mkdir -p .debug root/.build-id link dot rootd "
		  "bid stale && "
		  "objcopy --only-keep-debug e4g.so e4g.debug && "
		  "strip --strip-debug -o e4s.so e4g.so && "
		  "cp e4s.so bid/lib.so && "
		  "objcopy --add-gnu-debuglink=e4g.debug e4s.so link/lib.so && "
		  "cp e4g.debug link/ && "
		  "cp link/lib.so dot/lib.so && mkdir -p dot/.debug && "
		  "cp e4g.debug dot/.debug/ && "
		  "cp link/lib.so rootd/lib.so && "
		  "mkdir -p \"root$(pwd)/rootd\" && "
		  "cp e4g.debug \"root$(pwd)/rootd/\" && "
		  "cp link/lib.so stale/lib.so && "
		  "objcopy --only-keep-debug e3g.so stale/e4g.debug",
		  fx.dir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fx_fini(&fx);
	return 0;
}

static int load(const char *name, const char *root, struct dwarf_layout *dl)
{
	struct elf_image *img;
	char err[256];
	int e;

	assert_int_equal(
		elf_image__open(fx_path(&fx, name), &img, err, sizeof(err)), 0);
	e = dwarf_layout__load(img, eras__find(4)->classes, root, dl);
	elf_image__close(img);
	return e;
}

/* Every field equals the compiler's offsetof() exported by the fixture. */
static void expect_truth(const struct dwarf_layout *dl, const char *lib)
{
	for (int f = TT_F_IMPL; f <= TT_F_MESH_ID; f++) {
		if (!dl->f[f].found)
			fail_msg("%s: %s not found", lib,
				 tt_layout_field_name(f));
		assert_int_equal(dl->f[f].off, fx_long(lib, fx_truth_sym[f]));
	}
	assert_true(dl->found_buffer);
	assert_true(dl->found_device);
	assert_true(dl->found_mesh);
	assert_false(dl->f[TT_F_DEVICE_VTABLE].found);
}

static void test_in_library_e4(void **state)
{
	struct dwarf_layout dl;

	(void)state;
	assert_int_equal(load("e4g.so", NULL, &dl), 0);
	expect_truth(&dl, fx_path(&fx, "e4g.so"));
	assert_true(dl.found_impl_class);
	assert_false(dl.separate);
	assert_string_equal(dl.file, fx_path(&fx, "e4g.so"));
	assert_int_equal(dl.f[TT_F_IMPL].off, 16);
	assert_string_equal(dl.f[TT_F_SIZE].detail,
			    "DWARF BufferImpl::size_ (e4g.so)");
	assert_string_equal(dl.f[TT_F_MESH_ID].detail,
			    "DWARF MeshDevice::mesh_id_ (e4g.so)");
}

static void test_in_library_e3_e2(void **state)
{
	struct dwarf_layout dl;

	(void)state;
	assert_int_equal(load("e3g.so", NULL, &dl), 0);
	expect_truth(&dl, fx_path(&fx, "e3g.so"));
	assert_int_equal(dl.f[TT_F_IMPL].off, -1);
	assert_string_equal(dl.f[TT_F_SIZE].detail,
			    "DWARF Buffer::size_ (e3g.so)");
	/* Buffer and Device inside `inline namespace v0` */
	assert_int_equal(load("e2g.so", NULL, &dl), 0);
	expect_truth(&dl, fx_path(&fx, "e2g.so"));
	assert_int_equal(dl.f[TT_F_PAGE_SIZE].off, 168);
}

static void test_separate_debug_files(void **state)
{
	static const char *const libs[] = { "link/lib.so", "dot/lib.so",
					    "rootd/lib.so", "bid/lib.so" };
	static const char *const want[] = { "link/e4g.debug",
					    "dot/.debug/e4g.debug", NULL,
					    NULL };
	char root[PATH_MAX];
	struct dwarf_layout dl;

	(void)state;
	snprintf(root, sizeof(root), "%s", fx_path(&fx, "root"));
	/* the build-id path (own root: build-id is tried first) */
	assert_int_equal(
		fx_sh("cd '%s' && id=$(readelf -n e4g.so | sed -n "
		      "'s/.*Build ID: //p') && a=$(echo $id | cut -c1-2) && "
		      "b=$(echo $id | cut -c3-) && mkdir -p "
		      "bidroot/.build-id/$a "
		      "&& cp e4g.debug bidroot/.build-id/$a/$b.debug",
		      fx.dir),
		0);
	for (size_t i = 0; i < 4; i++) {
		if (i == 3)
			snprintf(root, sizeof(root), "%s",
				 fx_path(&fx, "bidroot"));
		if (load(libs[i], root, &dl))
			fail_msg("%s: no DWARF under %s", libs[i], root);
		assert_true(dl.separate);
		if (want[i])
			assert_string_equal(dl.file, fx_path(&fx, want[i]));
		else if (i == 2)
			assert_non_null(strstr(dl.file, "/root/"));
		else
			assert_non_null(strstr(dl.file, "/.build-id/"));
		expect_truth(&dl, fx_path(&fx, "e4g.so"));
	}
}

static void test_no_dwarf(void **state)
{
	char root[PATH_MAX];
	struct dwarf_layout dl;

	(void)state;
	snprintf(root, sizeof(root), "%s", fx_path(&fx, "empty-root"));
	assert_int_equal(load("nodbg.so", root, &dl), -ENODATA);
	/* a debug file of another build (CRC mismatch) is not used */
	assert_int_equal(load("stale/lib.so", root, &dl), -ENODATA);
	/* DWARF without any tt-metal class: read, nothing found */
	assert_int_equal(load("plain-g.so", root, &dl), 0);
	assert_false(dl.found_buffer);
	for (int f = 0; f < TT_NR_FIELDS; f++)
		assert_false(dl.f[f].found);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_library_e4),
		cmocka_unit_test(test_in_library_e3_e2),
		cmocka_unit_test(test_separate_debug_files),
		cmocka_unit_test(test_no_dwarf),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
