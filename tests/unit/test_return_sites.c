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
#include "return_sites.h"

static struct fx fx;
static struct elf_image *img;

static int setup(void **state)
{
	char err[256];

	(void)state;
	if (fx_init(&fx, __FILE__) ||
	    fx_cxx(&fx, "asm.so", "asm_funcs.cpp", "-shared") ||
	    fx_cxx(&fx, "lib.so", "fake_metal.cpp", "-O2 -shared -DFX_ERA=4"))
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

static uint64_t sym(const char *name)
{
	struct elf_sym_info s;

	assert_int_equal(elf_image__find_symbol(img, name, &s), 0);
	return s.value;
}

static void scan(struct elf_image *im, const char *name, struct ret_scan *rs)
{
	struct elf_sym_info s;
	uint8_t *code;

	assert_int_equal(elf_image__find_symbol(im, name, &s), 0);
	assert_int_equal(elf_image__read_function(im, &s, &code), 0);
	assert_int_equal(return_sites__scan(code, s.size, s.value, rs), 0);
	free(code);
}

static void test_multi_ret(void **state)
{
	struct ret_scan rs;

	(void)state;
	scan(img, "fx_multi_ret", &rs);
	/* ret, repz ret, ret imm16, ret: in address order */
	assert_int_equal(rs.n_rets, 4);
	assert_int_equal(rs.rets[0], sym("fx_mr_r1"));
	assert_int_equal(rs.rets[1], sym("fx_mr_r2"));
	assert_int_equal(rs.rets[2], sym("fx_mr_r3"));
	assert_int_equal(rs.rets[3], sym("fx_mr_r4"));
	/* jg fx_other and jmp fx_other both leave the function */
	assert_int_equal(rs.n_tail_calls, 2);
	assert_int_equal(rs.tail_calls[0], sym("fx_mr_jcc_tail"));
	assert_int_equal(rs.tail_calls[1], sym("fx_mr_tail"));
	assert_int_equal(rs.tail_targets[0], sym("fx_other"));
	assert_int_equal(rs.tail_targets[1], sym("fx_other"));
	assert_int_equal(rs.n_indirect_jumps, 0);
	assert_string_equal(rs.entry_mnemonic, "endbr64");
	assert_false(rs.entry_emulated);
	assert_int_equal(rs.n_undecoded, 0);
	assert_false(rs.overflow);
}

static void test_indirect_and_push_entry(void **state)
{
	struct ret_scan rs;

	(void)state;
	scan(img, "fx_indirect", &rs);
	assert_int_equal(rs.n_rets, 0);
	assert_int_equal(rs.n_tail_calls, 0);
	assert_int_equal(rs.n_indirect_jumps, 1);
	assert_int_equal(rs.indirect_jumps[0], sym("fx_ind_j"));
	assert_false(rs.indirect_is_table[0]);
	assert_string_equal(rs.entry_mnemonic, "push");
	assert_string_equal(rs.entry_text, "push rbp");
	assert_true(rs.entry_emulated);
	assert_int_equal(rs.n_insns, 4);
}

static void test_switch_table(void **state)
{
	struct ret_scan rs;

	(void)state;
	scan(img, "fx_switch", &rs);
	assert_int_equal(rs.n_rets, 3);
	assert_int_equal(rs.n_tail_calls, 0);
	assert_int_equal(rs.n_indirect_jumps, 1);
	assert_int_equal(rs.indirect_jumps[0], sym("fx_sw_j"));
	assert_true(rs.indirect_is_table[0]);
}

/* Local jumps (the loop in fx_acc_jmp) are neither rets nor tail calls. */
static void test_internal_jump(void **state)
{
	struct ret_scan rs;

	(void)state;
	scan(img, "fx_acc_jmp_10_40", &rs);
	assert_int_equal(rs.n_rets, 1);
	assert_int_equal(rs.n_tail_calls, 0);
	assert_string_equal(rs.entry_text, "mov rdx, qword ptr [rdi + 0x10]");
}

/* Compiler output: objdump counts the same rets. */
static void test_compiled_matches_objdump(void **state)
{
	static const char *fn =
		"_ZN2tt8tt_metal13AllocatorImpl15allocate_bufferEPNS0_6BufferE";
	struct elf_image *lib;
	struct ret_scan rs;
	char err[256];
	unsigned long long want, first;

	(void)state;
	assert_int_equal(
		elf_image__open(fx_path(&fx, "lib.so"), &lib, err, sizeof(err)),
		0);
	scan(lib, fn, &rs);
	want = fx_num("objdump -d --no-show-raw-insn '%s' | awk "
		      "'/^[0-9a-f]+ <%s>:/ { f = 1; next } /^$/ { f = 0 } "
		      "f && /\\tret/ { n++ } END { print n + 0 }'",
		      fx_path(&fx, "lib.so"), fn);
	assert_true(want >= 1);
	assert_int_equal(rs.n_rets, want);
	first = fx_num("objdump -d --no-show-raw-insn '%s' | awk "
		       "'/^[0-9a-f]+ <%s>:/ { f = 1; next } /^$/ { f = 0 } "
		       "f && /\\tret/ { sub(\":\", \"\", $1); print \"0x\" $1; "
		       "exit }'",
		       fx_path(&fx, "lib.so"), fn);
	assert_int_equal(rs.rets[0], first);
	elf_image__close(lib);
}

static void test_bad_input(void **state)
{
	static const uint8_t junk[] = { 0x06, 0x06, 0xc3 }; /* invalid, ret */
	struct ret_scan rs;

	(void)state;
	assert_int_equal(return_sites__scan(NULL, 4, 0x1000, &rs), -EINVAL);
	assert_int_equal(return_sites__scan(junk, 0, 0x1000, &rs), -EINVAL);
	assert_int_equal(return_sites__scan(junk, sizeof(junk), 0x1000, &rs),
			 0);
	assert_int_equal(rs.n_undecoded, 2);
	assert_int_equal(rs.n_rets, 1);
	assert_int_equal(rs.rets[0], 0x1002);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_multi_ret),
		cmocka_unit_test(test_indirect_and_push_entry),
		cmocka_unit_test(test_switch_table),
		cmocka_unit_test(test_internal_jump),
		cmocka_unit_test(test_compiled_matches_objdump),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
