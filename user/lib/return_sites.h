/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where a function returns: every ret instruction, found by disassembling
 * its bytes, so that return probes are plain uprobes on those addresses
 * (no uretprobe, whose trampoline breaks C++ exception unwinding). Jumps
 * that leave the function return elsewhere and would be missed: they are
 * reported so the caller can warn.
 */
#ifndef TTBPF_RETURN_SITES_H
#define TTBPF_RETURN_SITES_H

#include <stddef.h>
#include <stdint.h>

#define RET_SCAN_MAX 64

struct ret_scan {
	uint64_t rets[RET_SCAN_MAX]; /* ret / ret imm16 / repz ret */
	size_t n_rets;
	/* jmp or jcc to a direct target outside the function */
	uint64_t tail_calls[RET_SCAN_MAX];
	uint64_t tail_targets[RET_SCAN_MAX];
	size_t n_tail_calls;
	/* jmp through a register or memory: a tail call or a switch */
	uint64_t indirect_jumps[RET_SCAN_MAX];
	/* 1: right after an indexed load (base + idx*4/8), a jump table */
	int indirect_is_table[RET_SCAN_MAX];
	size_t n_indirect_jumps;
	char entry_mnemonic[32]; /* "push", "endbr64", "sub", ... */
	char entry_text[96];	 /* "push rbp" */
	int entry_emulated;	 /* push/nop: not single-stepped */
	size_t n_insns;
	size_t n_undecoded; /* bytes capstone could not decode */
	int overflow;	    /* more than RET_SCAN_MAX of some kind */
};

/*
 * Disassemble @len bytes of @code loaded at @start. Returns 0, -EINVAL
 * for empty input, or -ENOMEM / -EIO when capstone fails.
 */
int return_sites__scan(const uint8_t *code, size_t len, uint64_t start,
		       struct ret_scan *out);

#endif /* TTBPF_RETURN_SITES_H */
