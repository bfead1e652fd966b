// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The instruction a probe sits on, and whether the kernel emulates it:
 * byte sequences whose decoding capstone fixes (Intel syntax).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "entry_insn.h"

static void expect(const uint8_t *code, size_t len, const char *mnemonic,
		   const char *text, bool emulated)
{
	struct entry_insn ei;

	assert_int_equal(entry_insn__decode(code, len, 0x1000, &ei), 0);
	assert_string_equal(ei.mnemonic, mnemonic);
	assert_string_equal(ei.text, text);
	assert_int_equal(ei.emulated, emulated);
}

static void test_emulated(void **state)
{
	static const uint8_t push_rbp[] = { 0x55, 0x48, 0x89, 0xe5, 0xc3 };
	static const uint8_t push_r15[] = { 0x41, 0x57 };
	static const uint8_t nop[] = { 0x90, 0xc3 };

	(void)state;
	expect(push_rbp, sizeof(push_rbp), "push", "push rbp", true);
	expect(push_r15, sizeof(push_r15), "push", "push r15", true);
	expect(nop, sizeof(nop), "nop", "nop", true);
}

static void test_single_stepped(void **state)
{
	static const uint8_t endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x55 };
	static const uint8_t ret[] = { 0xc3 };
	static const uint8_t mov[] = { 0x48, 0x89, 0xf8, 0xc3 };
	/* push of memory is not emulated, only push of a register */
	static const uint8_t push_mem[] = { 0xff, 0x37 };

	(void)state;
	expect(endbr64, sizeof(endbr64), "endbr64", "endbr64", false);
	expect(ret, sizeof(ret), "ret", "ret", false);
	expect(mov, sizeof(mov), "mov", "mov rax, rdi", false);
	expect(push_mem, sizeof(push_mem), "push", "push qword ptr [rdi]",
	       false);
}

static void test_only_the_first_instruction(void **state)
{
	/* 15 nops then a ret: the ret is never looked at */
	uint8_t code[64];
	struct entry_insn ei;

	(void)state;
	memset(code, 0x90, sizeof(code));
	code[sizeof(code) - 1] = 0xc3;
	assert_int_equal(entry_insn__decode(code, sizeof(code), 0, &ei), 0);
	assert_string_equal(ei.text, "nop");
}

static void test_bad_input(void **state)
{
	static const uint8_t junk[] = { 0x0f, 0xff };
	static const uint8_t cut[] = { 0x48, 0x89 }; /* a mov cut short */
	struct entry_insn ei;

	(void)state;
	assert_int_equal(entry_insn__decode(NULL, 4, 0x1000, &ei), -EINVAL);
	assert_int_equal(entry_insn__decode(junk, 0, 0x1000, &ei), -EINVAL);
	expect(cut, sizeof(cut), "?", "?", false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emulated),
		cmocka_unit_test(test_single_stepped),
		cmocka_unit_test(test_only_the_first_instruction),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
