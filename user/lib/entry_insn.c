// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <capstone/capstone.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "entry_insn.h"

/* x86 uprobes emulate push and nop instead of stepping them out of line. */
static bool is_emulated(const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;

	if (insn->id == X86_INS_NOP)
		return true;
	return insn->id == X86_INS_PUSH && x->op_count == 1 &&
	       x->operands[0].type == X86_OP_REG;
}

int entry_insn__decode(const uint8_t *code, size_t len, uint64_t start,
		       struct entry_insn *out)
{
	const uint8_t *p = code;
	uint64_t addr = start;
	cs_insn *insn = NULL;
	int e = 0;
	csh h;

	memset(out, 0, sizeof(*out));
	if (!code || !len)
		return -EINVAL;
	if (len > ENTRY_INSN_MAX_LEN)
		len = ENTRY_INSN_MAX_LEN;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return -EIO;
	cs_option(h, CS_OPT_SYNTAX, CS_OPT_SYNTAX_INTEL);
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	insn = cs_malloc(h);
	if (!insn) {
		e = -ENOMEM;
		goto cleanup;
	}
	if (!cs_disasm_iter(h, &p, &len, &addr, insn)) {
		snprintf(out->mnemonic, sizeof(out->mnemonic), "?");
		snprintf(out->text, sizeof(out->text), "?");
		goto cleanup;
	}
	snprintf(out->mnemonic, sizeof(out->mnemonic), "%.31s", insn->mnemonic);
	snprintf(out->text, sizeof(out->text), "%.31s%s%.62s", insn->mnemonic,
		 insn->op_str[0] ? " " : "", insn->op_str);
	out->emulated = is_emulated(insn);
cleanup:
	if (insn)
		cs_free(insn, 1);
	cs_close(&h);
	return e;
}
