/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The first instruction of a probed function: what --explain shows and
 * whether the kernel emulates it (push, nop: one trap) or single-steps it
 * out of line (about 30 times the cost).
 */
#ifndef TTBPF_ENTRY_INSN_H
#define TTBPF_ENTRY_INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest x86 instruction: all a decode of the entry needs. */
#define ENTRY_INSN_MAX_LEN 15

struct entry_insn {
	char mnemonic[32]; /* "push", "endbr64", "sub", ...; "?" undecodable */
	char text[96];	   /* "push rbp" */
	bool emulated;	   /* push reg / nop: not single-stepped */
};

/*
 * Decode the instruction at the start of @len bytes of @code loaded at
 * @start. Bytes capstone cannot decode give "?", not emulated. Returns 0,
 * -EINVAL for empty input, or -ENOMEM / -EIO when capstone fails.
 */
int entry_insn__decode(const uint8_t *code, size_t len, uint64_t start,
		       struct entry_insn *out);

#endif /* TTBPF_ENTRY_INSN_H */
