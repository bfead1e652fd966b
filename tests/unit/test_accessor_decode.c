// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fixtures/fixture.h"
#include "accessor_decode.h"
#include "elf_image.h"
#include "eras.h"

static struct fx fx;
static struct elf_image *img;

static int setup(void **state)
{
	char err[256];

	(void)state;
	if (fx_init(&fx, __FILE__) ||
	    fx_cxx(&fx, "asm.so", "asm_funcs.cpp", "-shared") ||
	    fx_cxx(&fx, "e4.so", "fake_metal.cpp", "-O2 -shared -DFX_ERA=4") ||
	    fx_cxx(&fx, "e4-O0.so", "fake_metal.cpp",
		   "-O0 -shared -DFX_ERA=4") ||
	    fx_cxx(&fx, "e3.so", "fake_metal.cpp", "-O2 -shared -DFX_ERA=3"))
		return -1;
	return elf_image__open(fx_path(&fx, "asm.so"), &img, err, sizeof(err));
}

static int teardown(void **state)
{
	(void)state;
	elf_image__close(img);
	fx_fini(&fx);
	return 0;
}

static int decode(const char *name, struct accessor_chain *c)
{
	struct elf_sym_info s;
	uint8_t *code;
	int e;

	assert_int_equal(elf_image__find_symbol(img, name, &s), 0);
	assert_int_equal(elf_image__read_function(img, &s, &code), 0);
	e = accessor_decode(code, s.size, s.value, c);
	free(code);
	return e;
}

/* Expected chains are the displacements written in asm_funcs.cpp. */
static void expect(const char *name, int depth, int32_t o0, int32_t o1,
		   int width, int is_signed)
{
	struct accessor_chain c;

	assert_int_equal(decode(name, &c), 0);
	assert_int_equal(c.depth, depth);
	assert_int_equal(c.off[0], o0);
	if (depth > 1)
		assert_int_equal(c.off[1], o1);
	assert_int_equal(c.width, width);
	assert_int_equal(c.is_signed, is_signed);
}

static void test_hand_written_accessors(void **state)
{
	(void)state;
	expect("fx_acc_pimpl_10_8", 2, 0x10, 0x8, 8, 0);
	expect("fx_acc_frame_18", 1, 0x18, 0, 8, 0);
	expect("fx_acc_movzx_38", 1, 0x38, 0, 1, 0);
	expect("fx_acc_movsx_6", 1, 0x6, 0, 2, 1);
	expect("fx_acc_u32_8", 1, 0x8, 0, 4, 0);
	expect("fx_acc_al_19", 1, 0x19, 0, 1, 0);
	expect("fx_acc_jmp_10_40", 2, 0x10, 0x40, 8, 0);
	expect("fx_acc_fatal_out_10_40", 2, 0x10, 0x40, 8, 0);
	expect("fx_acc_fatal_in_10_40", 2, 0x10, 0x40, 8, 0);
	expect("fx_acc_o0_20", 1, 0x20, 0, 8, 0);
	expect("fx_acc_lea_18", 1, 0x18, 0, 8, 0);
}

static void test_not_accessors(void **state)
{
	static const char *const names[] = {
		"fx_not_call",	"fx_not_const",	  "fx_not_disagree",
		"fx_not_lea",	"fx_not_indexed", "fx_not_tail",
		"fx_multi_ret", "fx_indirect",
	};
	struct accessor_chain c;

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int e = decode(names[i], &c);

		if (e != -ENOENT)
			fail_msg("%s: got %d, want -ENOENT", names[i], e);
	}
	assert_int_equal(accessor_decode(NULL, 0, 0, &c), -ENOENT);
}

static void test_format(void **state)
{
	struct accessor_chain c = { .depth = 2,
				    .off = { 0x10, 0x8 },
				    .width = 8 };
	char buf[64];

	(void)state;
	accessor_chain__format(&c, buf, sizeof(buf));
	assert_string_equal(buf, "[[rdi+0x10]+0x8] u64");
	c.depth = 1;
	c.off[0] = -8;
	c.width = 2;
	c.is_signed = 1;
	accessor_chain__format(&c, buf, sizeof(buf));
	assert_string_equal(buf, "[rdi-0x8] s16");
}

/* gcc -O2 output of the E4 Buffer accessors against offsetof(). */
static void test_compiled_e4_layout(void **state)
{
	const char *lib = fx_path(&fx, "e4.so");
	struct accessor_layout al;
	struct elf_image *e4;
	char err[256];

	(void)state;
	assert_int_equal(elf_image__open(lib, &e4, err, sizeof(err)), 0);
	assert_int_equal(accessor_decode__layout(e4, eras__find(4), &al), 8);
	assert_true(al.f[TT_F_IMPL].found);
	assert_int_equal(al.f[TT_F_IMPL].off, fx_long(lib, "fx_off_impl"));
	assert_int_equal(al.f[TT_F_DEVICE].off, fx_long(lib, "fx_off_device"));
	assert_int_equal(al.f[TT_F_SIZE].off, fx_long(lib, "fx_off_size"));
	assert_int_equal(al.f[TT_F_TYPE].off, fx_long(lib, "fx_off_type"));
	assert_int_equal(al.f[TT_F_ADDRESS].off,
			 fx_long(lib, "fx_off_address"));
	assert_int_equal(al.f[TT_F_PAGE_SIZE].off,
			 fx_long(lib, "fx_off_page_size"));
	assert_int_equal(al.f[TT_F_DEVICE_ID].off,
			 fx_long(lib, "fx_off_device_id"));
	assert_int_equal(al.f[TT_F_MESH_ID].off,
			 fx_long(lib, "fx_off_mesh_id"));
	assert_int_equal(al.f[TT_F_SIZE].vaddr,
			 fx_sym(lib, "_ZNK2tt8tt_metal6Buffer4sizeEv"));
	assert_non_null(strstr(al.f[TT_F_SIZE].detail, "Buffer::size() @0x"));
	assert_non_null(strstr(al.f[TT_F_SIZE].detail, "[[rdi+0x10]+0x8]"));
	assert_false(al.f[TT_F_DEVICE_VTABLE].found);
	elf_image__close(e4);
}

/*
 * E3: plain getters inline; address() and page_size() exported, type from
 * is_trace(), size from num_pages(); device_ nowhere.
 */
static void test_compiled_e3_layout(void **state)
{
	const char *lib = fx_path(&fx, "e3.so");
	struct accessor_layout al;
	struct elf_image *e3;
	char err[256];

	(void)state;
	assert_int_equal(elf_image__open(lib, &e3, err, sizeof(err)), 0);
	assert_int_equal(accessor_decode__layout(e3, eras__find(3), &al), 7);
	for (int f = TT_F_IMPL; f <= TT_F_MESH_ID; f++) {
		if (f == TT_F_DEVICE) /* nowhere in E3's exported code */
			continue;
		assert_true(al.f[f].found);
		assert_int_equal(al.f[f].off, fx_long(lib, fx_truth_sym[f]));
	}
	assert_false(al.f[TT_F_DEVICE].found);
	assert_non_null(
		strstr(al.f[TT_F_TYPE].detail, "Buffer::is_trace() @0x"));
	assert_non_null(
		strstr(al.f[TT_F_SIZE].detail, "Buffer::num_pages() @0x"));
	elf_image__close(e3);
}

static int reads(const char *name, struct accessor_reads *r)
{
	struct elf_sym_info s;
	uint8_t *code;
	int e;

	assert_int_equal(elf_image__find_symbol(img, name, &s), 0);
	assert_int_equal(elf_image__read_function(img, &s, &code), 0);
	e = accessor_decode__reads(code, s.size, s.value, r);
	free(code);
	return e;
}

static void test_reads(void **state)
{
	struct accessor_reads r;

	(void)state;
	/* cmp dword [rdi+0x20], 4 */
	assert_int_equal(reads("fx_pred_trace_20", &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.r[0].depth, 1);
	assert_int_equal(r.r[0].off[0], 0x20);
	assert_int_equal(r.r[0].width, 4);
	/* through impl_: the hop to +0x10 is not a leaf */
	assert_int_equal(reads("fx_pred_pimpl_10_10", &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.r[0].depth, 2);
	assert_int_equal(r.r[0].off[0], 0x10);
	assert_int_equal(r.r[0].off[1], 0x10);
	assert_int_equal(r.r[0].width, 4);
	/* status byte and address, on the path that returns */
	assert_int_equal(reads("fx_acc_fatal_in_10_40", &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.r[0].off[1], 0x38);
	assert_int_equal(r.r[0].width, 1);
	assert_int_equal(r.r[1].off[1], 0x40);
	assert_int_equal(r.r[1].width, 8);
	/* an indexed load is not a field */
	assert_int_equal(reads("fx_not_indexed", &r), 0);
	assert_int_equal(r.n, 0);
}

/*
 * -O0: Buffer accessors call unique_ptr::operator-> (not plain loads: not
 * decoded); Device::id() parks rdi in a stack slot and still decodes.
 */
static void test_compiled_O0(void **state)
{
	const char *lib = fx_path(&fx, "e4-O0.so");
	struct accessor_layout al;
	struct elf_image *im;
	char err[256];

	(void)state;
	assert_int_equal(elf_image__open(lib, &im, err, sizeof(err)), 0);
	accessor_decode__layout(im, eras__find(4), &al);
	assert_false(al.f[TT_F_SIZE].found);
	assert_false(al.f[TT_F_IMPL].found);
	assert_true(al.f[TT_F_DEVICE_ID].found);
	assert_int_equal(al.f[TT_F_DEVICE_ID].off,
			 fx_long(lib, "fx_off_device_id"));
	assert_non_null(strstr(al.notes, "Buffer::size()"));
	elf_image__close(im);
}

/*
 * MeshDevice::get_devices() shapes: `this` in rsi (the result pointer is in
 * rdi). A vector's begin and end compared or subtracted, as register or
 * memory operand; or `this` (a member of it) handed on to a call.
 */
static void test_flow(void **state)
{
	static const uint8_t cmp_regs[] = {
		0x48, 0x8b, 0x46, 0x18, /* mov rax,[rsi+0x18] */
		0x48, 0x8b, 0x48, 0x78, /* mov rcx,[rax+0x78] */
		0x48, 0x8b, 0x90, 0x80,
		0x00, 0x00, 0x00, /* mov rdx,[rax+0x80] */
		0x48, 0x39, 0xd1, /* cmp rcx,rdx */
		0xc3,
	};
	static const uint8_t sub_mem[] = {
		0x48, 0x8b, 0x46, 0x18, /* mov rax,[rsi+0x18] */
		0x48, 0x8b, 0x90, 0x80,
		0x00, 0x00, 0x00,	/* mov rdx,[rax+0x80] */
		0x48, 0x2b, 0x50, 0x78, /* sub rdx,[rax+0x78] */
		0xc3,
	};
	static const uint8_t call_member[] = {
		0x48, 0x8b, 0x76, 0x60,	      /* mov rsi,[rsi+0x60] */
		0xe8, 0x00, 0x01, 0x00, 0x00, /* call +0x100 */
		0xc3,
	};
	static const uint8_t jmp_plus[] = {
		0x48, 0x81, 0xc6, 0x78, 0x01, 0x00, 0x00, /* add rsi,0x178 */
		0xe9, 0x00, 0x01, 0x00, 0x00,		  /* jmp +0x100 */
	};
	struct accessor_flow f;

	(void)state;
	assert_int_equal(accessor_decode__flow(cmp_regs, sizeof(cmp_regs),
					       0x1000, 1, &f),
			 0);
	assert_true(f.have_range);
	assert_int_equal(f.range.depth, 2);
	assert_int_equal(f.range.off[0], 0x18);
	assert_int_equal(f.range.off[1], 0x78);
	assert_int_equal(
		accessor_decode__flow(sub_mem, sizeof(sub_mem), 0x1000, 1, &f),
		0);
	assert_true(f.have_range);
	assert_int_equal(f.range.off[1], 0x78);
	/* With `this` in rdi nothing is known about rsi: no range. */
	assert_int_equal(accessor_decode__flow(cmp_regs, sizeof(cmp_regs),
					       0x1000, 0, &f),
			 0);
	assert_false(f.have_range);
	assert_int_equal(accessor_decode__flow(call_member, sizeof(call_member),
					       0x1000, 1, &f),
			 0);
	assert_false(f.have_range);
	assert_int_equal(f.n_calls, 1);
	assert_int_equal(f.calls[0].target, 0x1000 + 9 + 0x100);
	assert_true(f.calls[0].arg_known);
	assert_int_equal(f.calls[0].arg.depth, 1);
	assert_int_equal(f.calls[0].arg.off[0], 0x60);
	assert_int_equal(f.calls[0].arg_add, 0);
	/* A tail call counts as a call. */
	assert_int_equal(accessor_decode__flow(jmp_plus, sizeof(jmp_plus),
					       0x1000, 1, &f),
			 0);
	assert_int_equal(f.n_calls, 1);
	assert_int_equal(f.calls[0].target, 0x1000 + 12 + 0x100);
	assert_int_equal(f.calls[0].arg.depth, 0);
	assert_int_equal(f.calls[0].arg_add, 0x178);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hand_written_accessors),
		cmocka_unit_test(test_not_accessors),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_compiled_e4_layout),
		cmocka_unit_test(test_compiled_e3_layout),
		cmocka_unit_test(test_reads),
		cmocka_unit_test(test_compiled_O0),
		cmocka_unit_test(test_flow),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
