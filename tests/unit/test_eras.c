// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fixtures/fixture.h"
#include "elf_image.h"
#include "eras.h"

static struct fx fx;

static int setup(void **state)
{
	(void)state;
	if (fx_init(&fx, __FILE__) ||
	    fx_cxx(&fx, "e4.so", "fake_metal.cpp", "-O2 -shared -DFX_ERA=4") ||
	    fx_cxx(&fx, "e3.so", "fake_metal.cpp", "-O2 -shared -DFX_ERA=3") ||
	    fx_cxx(&fx, "e2.so", "fake_metal.cpp", "-O2 -shared -DFX_ERA=2") ||
	    fx_cxx(&fx, "e2nov0.so", "fake_metal.cpp",
		   "-O2 -shared -DFX_ERA=2 -DFX_NO_V0") ||
	    fx_cxx(&fx, "plain.so", "plain.cpp", "-O2 -shared") ||
	    fx_cxx(&fx, "e1.so", "plain.cpp", "-O2 -shared -DFX_E1"))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fx_fini(&fx);
	return 0;
}

static int resolve(const char *name, struct era_match *m, char *err, size_t len)
{
	struct elf_image *img;
	char oerr[256];
	int e;

	assert_int_equal(
		elf_image__open(fx_path(&fx, name), &img, oerr, sizeof(oerr)),
		0);
	e = eras__resolve(img, m, err, len);
	elf_image__close(img);
	return e;
}

/* Symbol values are checked against nm, the vptr against value + 16. */
static void check(const char *lib_name, int era, int call_form,
		  const char *alloc, const char *free_fn, const char *devvt)
{
	const char *lib = fx_path(&fx, lib_name);
	struct era_match m;
	char err[256];

	assert_int_equal(resolve(lib_name, &m, err, sizeof(err)), 0);
	assert_int_equal(m.desc->era, era);
	assert_int_equal(m.desc->call_form, call_form);
	assert_string_equal(m.alloc.name, alloc);
	assert_string_equal(m.free.name, free_fn);
	assert_int_equal(m.alloc.value, fx_sym(lib, alloc));
	assert_int_equal(m.free.value, fx_sym(lib, free_fn));
	assert_true(m.alloc.size > 0);
	/* deallocate_buffers, clear, and D2 (D1 is an alias of D2) */
	assert_int_equal(m.n_bulk, 3);
	assert_non_null(strstr(m.bulk[0].name, "18deallocate_buffers"));
	assert_non_null(strstr(m.bulk[1].name, "5clear"));
	assert_non_null(strstr(m.bulk[2].name, "D2Ev"));
	for (size_t i = 0; i < m.n_bulk; i++)
		assert_int_equal(m.bulk[i].value, fx_sym(lib, m.bulk[i].name));
	assert_string_equal(m.device_vtable.name, devvt);
	assert_int_equal(eras__vptr(&m.device_vtable), fx_sym(lib, devvt) + 16);
	assert_string_equal(m.mesh_vtable.name,
			    "_ZTVN2tt8tt_metal11distributed10MeshDeviceE");
	assert_int_equal(eras__vptr(&m.mesh_vtable),
			 fx_sym(lib, m.mesh_vtable.name) + 16);
	assert_string_equal(m.bank_alloc_name,
			    "_ZN2tt8tt_metal11BankManager15allocate_"
			    "bufferEmmbSt8optionalIjE");
}

static void test_e4(void **state)
{
	(void)state;
	check("e4.so", 4, TTBPF_CALL_MEMBER,
	      "_ZN2tt8tt_metal13AllocatorImpl15allocate_bufferEPNS0_6BufferE",
	      "_ZN2tt8tt_metal13AllocatorImpl17deallocate_bufferEPNS0_6BufferE",
	      "_ZTVN2tt8tt_metal6DeviceE");
}

static void test_e3(void **state)
{
	(void)state;
	check("e3.so", 3, TTBPF_CALL_MEMBER,
	      "_ZN2tt8tt_metal9Allocator15allocate_bufferEPNS0_6BufferE",
	      "_ZN2tt8tt_metal9Allocator17deallocate_bufferEPNS0_6BufferE",
	      "_ZTVN2tt8tt_metal6DeviceE");
}

static void test_e2_v0_and_plain(void **state)
{
	(void)state;
	check("e2.so", 2, TTBPF_CALL_FREE_FN,
	      "_ZN2tt8tt_metal9allocator15allocate_bufferERNS0_9AllocatorEPNS0_"
	      "2v06BufferE",
	      "_ZN2tt8tt_metal9allocator17deallocate_bufferERNS0_"
	      "9AllocatorEPNS0_2v06BufferE",
	      "_ZTVN2tt8tt_metal2v06DeviceE");
	check("e2nov0.so", 2, TTBPF_CALL_FREE_FN,
	      "_ZN2tt8tt_metal9allocator15allocate_bufferERNS0_9AllocatorEPNS0_"
	      "6BufferE",
	      "_ZN2tt8tt_metal9allocator17deallocate_bufferERNS0_"
	      "9AllocatorEPNS0_6BufferE",
	      "_ZTVN2tt8tt_metal6DeviceE");
}

static void test_no_allocator(void **state)
{
	struct era_match m;
	char err[256];

	(void)state;
	assert_int_equal(resolve("plain.so", &m, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "no allocator symbols: tried E4 "
				 "AllocatorImpl, E3 Allocator, E2 allocator:: "
				 "free functions");
	assert_null(m.desc);
	assert_int_equal(eras__vptr(&m.device_vtable), 0);
	/* E1 is recognised and named in the error */
	assert_int_equal(resolve("e1.so", &m, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no allocator symbols: tried E4"));
	assert_non_null(strstr(err, "era E1: not supported"));
}

static void test_table(void **state)
{
	size_t n;
	const struct era_desc *t = eras__table(&n);

	(void)state;
	assert_int_equal(n, 3);
	assert_int_equal(t[0].era, 4);
	assert_int_equal(t[1].era, 3);
	assert_int_equal(t[2].era, 2);
	/* every row carries every era-specific fact */
	for (size_t i = 0; i < n; i++) {
		assert_ptr_equal(eras__find(t[i].era), &t[i]);
		assert_non_null(t[i].alloc[0]);
		assert_non_null(t[i].free[0]);
		assert_non_null(t[i].bulk[0]);
		assert_non_null(t[i].device_vtables[0]);
		assert_non_null(t[i].mesh_vtables[0]);
		assert_non_null(t[i].classes->buffer);
		assert_non_null(t[i].classes->accessor_ns[0]);
		assert_non_null(t[i].profile.name);
		assert_true(t[i].profile.layout.size_off >= 0);
	}
	assert_null(eras__find(1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_e4),
		cmocka_unit_test(test_e3),
		cmocka_unit_test(test_e2_v0_and_plain),
		cmocka_unit_test(test_no_allocator),
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
