/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading field offsets out of the machine code of tiny exported accessors
 * such as `Buffer::size() const`:
 *	mov rax, [rdi+0x10]	; impl_
 *	mov rax, [rax+0x8]	; size_
 *	ret
 * The chain of loads from rdi that ends in rax at every ret is the path to
 * the field, in whatever layout this build really has.
 */
#ifndef TTBPF_ACCESSOR_DECODE_H
#define TTBPF_ACCESSOR_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "layout_field.h"

struct elf_image;
struct era_desc;

#define ACC_MAX_DEPTH 4

struct accessor_chain {
	int depth;		    /* loads from rdi, 1..ACC_MAX_DEPTH */
	int32_t off[ACC_MAX_DEPTH]; /* displacement of each load */
	int width;		    /* bytes of the last load: 1/2/4/8 */
	int is_signed;		    /* movsx of the last load */
};

/*
 * Decode the function of @len bytes at @start. Follows jumps inside the
 * function and both sides of conditional branches; a side that calls out,
 * traps or leaves the function (the cold TT_FATAL path) is dropped. Every
 * ret that remains must return the same chain. Returns 0, or -ENOENT when
 * the code is not such an accessor, -EIO when capstone fails.
 */
int accessor_decode(const uint8_t *code, size_t len, uint64_t start,
		    struct accessor_chain *out);

#define ACC_MAX_READS 8

/* Fields a function reads through rdi, pointer hops left out. */
struct accessor_reads {
	int n;
	struct accessor_chain r[ACC_MAX_READS];
	int overflow;
};

/*
 * Every memory operand the function reads through a chain from rdi (in
 * mov, cmp, test...), on every path, keeping only the leaves: a chain that
 * is a prefix of another (the load of impl_) is dropped. Reveals fields of
 * predicates like `cmp dword [rdi+0x20], 4; sete al` (Buffer::is_trace).
 * Returns 0, -E2BIG past ACC_MAX_READS, -EIO/-ENOMEM.
 */
int accessor_decode__reads(const uint8_t *code, size_t len, uint64_t start,
			   struct accessor_reads *out);

#define ACC_MAX_CALLS 8

/* What a function does with `this`, beyond returning a field. */
struct accessor_flow {
	/* begin and end of a std::vector compared (or subtracted): the
	 * chain to its begin */
	int have_range;
	struct accessor_chain range;
	int n_calls; /* direct calls, in the order met */
	struct {
		uint64_t target;
		int arg_known; /* rsi is `this` + chain + arg_add */
		struct accessor_chain arg;
		int64_t arg_add;
	} calls[ACC_MAX_CALLS];
};

/*
 * Walk every path of the function with `this` in rdi, or in rsi for a
 * method returning a class by value (a hidden pointer to the result in
 * rdi), and note vector ranges and calls with rsi. 0 or -EIO/-ENOMEM.
 */
int accessor_decode__flow(const uint8_t *code, size_t len, uint64_t start,
			  int this_in_rsi, struct accessor_flow *out);

/* "[[rdi+0x10]+0x8] u64" */
void accessor_chain__format(const struct accessor_chain *c, char *buf,
			    size_t len);

struct accessor_field {
	int found;
	int32_t off;
	uint64_t vaddr;	 /* the accessor decoded */
	char detail[96]; /* "Buffer::size() @0x1a2b0: [[rdi+0x10]+0x8] u64" */
};

struct accessor_layout {
	/* indexed by enum tt_layout_field; only the offset fields */
	struct accessor_field f[TT_NR_FIELDS];
	char notes[512]; /* accessors skipped, disagreements */
};

/*
 * Decode the exported Buffer, Device and MeshDevice accessors of @img,
 * under the names they have in @era.
 * impl is found (possibly as -1: no pimpl) when any Buffer accessor
 * decoded. Returns how many fields were found (0 is not an error).
 */
int accessor_decode__layout(const struct elf_image *img,
			    const struct era_desc *era,
			    struct accessor_layout *out);

#endif /* TTBPF_ACCESSOR_DECODE_H */
