/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Position of the lowest set bit of a 64-bit word. BPF has no
 * count-trailing-zeros instruction; a de Bruijn multiply finds it in
 * constant time, without a loop the verifier would have to follow.
 * Shared by the BPF programs and the unit tests.
 */
#ifndef TTBPF_LOWEST_BIT_H
#define TTBPF_LOWEST_BIT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* @x must not be 0. */
static inline __u32 lowest_bit64(__u64 x)
{
	static const __u8 pos[64] = {
		0,  1,	56, 2,	57, 49, 28, 3,	61, 58, 42, 50, 38, 29, 17, 4,
		62, 47, 59, 36, 45, 43, 51, 22, 53, 39, 33, 30, 24, 18, 12, 5,
		63, 55, 48, 27, 60, 41, 37, 16, 46, 35, 44, 21, 52, 32, 23, 11,
		54, 26, 40, 15, 34, 20, 31, 10, 25, 14, 19, 9,	13, 8,	7,  6,
	};

	return pos[((x & -x) * 0x03f79d71b4ca8b09ULL) >> 58];
}

#endif /* TTBPF_LOWEST_BIT_H */
