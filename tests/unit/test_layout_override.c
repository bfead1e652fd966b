// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "layout_override.h"

static void test_null_and_full(void **state)
{
	struct layout_override o;
	struct ttbpf_layout l;
	char err[256] = "";

	(void)state;
	assert_int_equal(layout_override__parse(NULL, &o, err, sizeof(err)), 0);
	for (int f = 0; f < TT_NR_FIELDS; f++)
		assert_false(o.set[f]);
	assert_int_equal(layout_override__parse(
				 "impl=-1,device=0x10,size=24,type=32,"
				 "address=0x50,page_size=88,device_id=8,"
				 "mesh_id=-1,device_vtable=0x4d80,"
				 "mesh_vtable=0x7fffffff0000,mesh_hop=0x18,"
				 "mesh_devs=0x78,mesh_stride=8,"
				 "mesh_local=-1",
				 &o, err, sizeof(err)),
			 0);
	memset(&l, 0x55, sizeof(l));
	layout_override__apply(&o, &l);
	assert_int_equal(l.impl_off, -1);
	assert_int_equal(l.device_off, 16);
	assert_int_equal(l.size_off, 24);
	assert_int_equal(l.type_off, 32);
	assert_int_equal(l.address_off, 80);
	assert_int_equal(l.page_size_off, 88);
	assert_int_equal(l.device_id_off, 8);
	assert_int_equal(l.mesh_id_off, -1);
	assert_int_equal(l.device_vtable, 0x4d80);
	assert_int_equal(l.mesh_vtable, 0x7fffffff0000ULL);
	assert_int_equal(l.mesh_hop, 0x18);
	assert_int_equal(l.mesh_devs, 0x78);
	assert_int_equal(l.mesh_dev_stride, 8);
	assert_int_equal(l.mesh_dev_local, -1);
}

static void test_partial_apply_keeps_others(void **state)
{
	struct layout_override o;
	struct ttbpf_layout l = { .size_off = 1, .type_off = 2 };
	char err[64];

	(void)state;
	assert_int_equal(
		layout_override__parse("size=0X1f", &o, err, sizeof(err)), 0);
	assert_true(o.set[TT_F_SIZE]);
	assert_false(o.set[TT_F_TYPE]);
	layout_override__apply(&o, &l);
	assert_int_equal(l.size_off, 31);
	assert_int_equal(l.type_off, 2);
}

static void bad(const char *spec, const char *want)
{
	struct layout_override o;
	char err[256] = "";

	assert_int_equal(layout_override__parse(spec, &o, err, sizeof(err)),
			 -EINVAL);
	if (!strstr(err, want))
		fail_msg("'%s': error '%s' lacks '%s'", spec, err, want);
	for (int f = 0; f < TT_NR_FIELDS; f++)
		assert_false(o.set[f]);
}

static void test_errors_name_the_item(void **state)
{
	(void)state;
	bad("", "empty value");
	bad("size=8,,type=4", "empty item");
	bad("size=8,", "empty item");
	bad("size", "'size' is not key=offset");
	bad("=8", "'=8' is not key=offset");
	bad("bogus=8", "unknown field 'bogus'");
	bad("bogus=8", "known: impl, device, size, type");
	bad("size=", "bad number in 'size='");
	bad("size=12x", "bad number in 'size=12x'");
	bad("size=0x", "bad number in 'size=0x'");
	bad("size= 8", "bad number in 'size= 8'");
	bad("size=+8", "bad number in 'size=+8'");
	bad("size=-1", "'size=-1' out of range");
	bad("type=-2", "'type=-2' out of range");
	bad("impl=-2", "'impl=-2' out of range");
	bad("size=0x100000", "'size=0x100000' out of range");
	bad("size=99999999999999999999999", "bad number");
	bad("size=8,size=16", "sets size twice");
	bad("type=4,size=8,impl=x", "bad number in 'impl=x'");
}

static void test_field_names(void **state)
{
	static const char *const want[TT_NR_FIELDS] = {
		"impl",		 "device",	"size",	       "type",
		"address",	 "page_size",	"device_id",   "mesh_id",
		"mesh_hop",	 "mesh_devs",	"mesh_stride", "mesh_local",
		"device_vtable", "mesh_vtable",
	};

	(void)state;
	for (int f = 0; f < TT_NR_FIELDS; f++)
		assert_string_equal(tt_layout_field_name(f), want[f]);
	assert_string_equal(tt_layout_field_name(TT_NR_FIELDS), "?");
}

/* get reads back what set wrote, for every field, and reset forgets all. */
static void test_field_map_round_trip(void **state)
{
	struct ttbpf_layout l;

	(void)state;
	memset(&l, 0, sizeof(l));
	for (int f = 0; f < TT_NR_FIELDS; f++)
		layout_field__set(&l, f, 0x100 + f);
	for (int f = 0; f < TT_NR_FIELDS; f++) {
		assert_int_equal(layout_field__get(&l, f), 0x100 + f);
		assert_int_equal(
			layout_field__by_name(tt_layout_field_name(f),
					      strlen(tt_layout_field_name(f))),
			f);
	}
	assert_int_equal(l.mesh_dev_local, 0x100 + TT_F_MESH_LOCAL);
	assert_int_equal(l.mesh_vtable, 0x100 + TT_F_MESH_VTABLE);
	assert_int_equal(layout_field__by_name("sizes", 5), -1);
	layout_field__reset(&l);
	assert_int_equal(l.impl_off, -1);
	assert_int_equal(l.mesh_dev_stride, -1);
	assert_int_equal(l.device_vtable, 0);
	assert_int_equal(l.mesh_vtable, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_and_full),
		cmocka_unit_test(test_field_map_round_trip),
		cmocka_unit_test(test_partial_apply_keeps_others),
		cmocka_unit_test(test_errors_name_the_item),
		cmocka_unit_test(test_field_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
