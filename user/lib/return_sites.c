// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <capstone/capstone.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "return_sites.h"

static void push_addr(uint64_t *arr, size_t *n, uint64_t v, int *overflow)
{
	if (*n >= RET_SCAN_MAX) {
		*overflow = 1;
		return;
	}
	arr[(*n)++] = v;
}

/* The single branch target of a jmp/jcc, or 0 when it is indirect. */
static int direct_target(const cs_insn *insn, uint64_t *target)
{
	const cs_x86 *x = &insn->detail->x86;

	if (x->op_count != 1 || x->operands[0].type != X86_OP_IMM)
		return 0;
	*target = (uint64_t)x->operands[0].imm;
	return 1;
}

/* x86 uprobes emulate push and nop instead of stepping them out of line. */
static int is_emulated(const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;

	if (insn->id == X86_INS_NOP)
		return 1;
	return insn->id == X86_INS_PUSH && x->op_count == 1 &&
	       x->operands[0].type == X86_OP_REG;
}

/* A load through a scaled index: how switch statements read their table. */
static int indexed_load(const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;

	for (int i = 0; i < x->op_count; i++) {
		const cs_x86_op *op = &x->operands[i];

		if (op->type == X86_OP_MEM &&
		    op->mem.index != X86_REG_INVALID &&
		    (op->mem.scale == 4 || op->mem.scale == 8))
			return 1;
	}
	return 0;
}

static void classify(csh h, const cs_insn *insn, uint64_t start, size_t len,
		     int after_table_load, struct ret_scan *out)
{
	uint64_t target;

	if (insn->id == X86_INS_RET) {
		push_addr(out->rets, &out->n_rets, insn->address,
			  &out->overflow);
		return;
	}
	if (!cs_insn_group(h, insn, X86_GRP_JUMP))
		return;
	if (!direct_target(insn, &target)) {
		if (out->n_indirect_jumps < RET_SCAN_MAX)
			out->indirect_is_table[out->n_indirect_jumps] =
				after_table_load || indexed_load(insn);
		push_addr(out->indirect_jumps, &out->n_indirect_jumps,
			  insn->address, &out->overflow);
		return;
	}
	if (target >= start && target - start < len)
		return;
	if (out->n_tail_calls < RET_SCAN_MAX)
		out->tail_targets[out->n_tail_calls] = target;
	push_addr(out->tail_calls, &out->n_tail_calls, insn->address,
		  &out->overflow);
}

int return_sites__scan(const uint8_t *code, size_t len, uint64_t start,
		       struct ret_scan *out)
{
	const uint8_t *p = code;
	uint64_t addr = start;
	size_t left = len;
	cs_insn *insn = NULL;
	int table_window = 0;
	csh h;
	int e = 0;

	memset(out, 0, sizeof(*out));
	if (!code || !len)
		return -EINVAL;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return -EIO;
	cs_option(h, CS_OPT_SYNTAX, CS_OPT_SYNTAX_INTEL);
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	insn = cs_malloc(h);
	if (!insn) {
		e = -ENOMEM;
		goto cleanup;
	}
	while (left) {
		/* Padding or data inside the symbol: step over one byte. */
		if (!cs_disasm_iter(h, &p, &left, &addr, insn)) {
			out->n_undecoded++;
			p++;
			left--;
			addr++;
			continue;
		}
		if (!out->n_insns++) {
			snprintf(out->entry_mnemonic,
				 sizeof(out->entry_mnemonic), "%.31s",
				 insn->mnemonic);
			snprintf(out->entry_text, sizeof(out->entry_text),
				 "%.31s%s%.62s", insn->mnemonic,
				 insn->op_str[0] ? " " : "", insn->op_str);
			out->entry_emulated = is_emulated(insn);
		}
		classify(h, insn, start, len, table_window > 0, out);
		/* the table's jmp follows its load within a few insns */
		if (indexed_load(insn))
			table_window = 4;
		else if (table_window > 0)
			table_window--;
	}
cleanup:
	if (insn)
		cs_free(insn, 1);
	cs_close(&h);
	return e;
}
