/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Native frames without frame pointers (ttbpf-trace --native-unwind),
 * shared by the BPF side (native_unwind.bpf.h) and user space
 * (user/lib/native_unwind.c). At the entry of allocate_buffer BPF copies
 * the registers and a window of the user stack into a ring buffer record;
 * the tracer unwinds it with libdwfl from the libraries' .eh_frame, stores
 * the chain in the stacks map and names it per buffer in native_stacks,
 * which the readers prefer to the frame-pointer stack.
 */
#ifndef TTBPF_UNWIND_H
#define TTBPF_UNWIND_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TTBPF_UNWIND_MAX_WINDOW	    16384 /* bytes of stack, at most */
#define TTBPF_UNWIND_DEFAULT_WINDOW 8192
#define TTBPF_UNWIND_MIN_WINDOW	    512
#define TTBPF_UNWIND_RING	    (8 << 20)
#define TTBPF_UNWIND_NR_REGS	    17 /* DWARF x86-64: rax .. r15, rip */

/* One capture: registers in DWARF numbering (0 rax, 1 rdx, 2 rcx, 3 rbx,
 * 4 rsi, 5 rdi, 6 rbp, 7 rsp, 8-15 r8-r15, 16 rip) and @len bytes of
 * stack from rsp. Only the first @len bytes of data travel. */
struct ttbpf_unwind_rec {
	__u32 pid;
	__u32 tid;
	__u64 buffer;
	__u64 ts_ns; /* the allocation's ttbpf_alloc.ts_ns */
	__u64 regs[TTBPF_UNWIND_NR_REGS];
	__u32 len;
	__u32 window; /* what was asked for: len < window near a stack top */
	__u8 data[TTBPF_UNWIND_MAX_WINDOW];
};

#define TTBPF_UNWIND_REC_HDR \
	((unsigned long)&((struct ttbpf_unwind_rec *)0)->data)

/* native_stacks: (pid, Buffer*) -> the unwound stack of that allocation,
 * valid while the allocs entry has the same ts_ns. */
struct ttbpf_unwound {
	__u64 ts_ns;
	__s32 stack_id; /* in the stacks map */
	__u32 pad;
};

/* Counters in the per-CPU array unwind_stats. */
enum ttbpf_unwind_stat {
	TTBPF_UNWIND_CAPTURED = 0, /* records sent to user space */
	TTBPF_UNWIND_COPY_FAILED,  /* no stack could be read: no record */
	TTBPF_UNWIND_COPY_SHORT,   /* window cut short at the stack's top */
	TTBPF_UNWIND_RING_FULL,	   /* record dropped: ring buffer full */
	TTBPF_UNWIND_NR_STATS,
};

/*
 * Where an unwound chain stops before the outermost frame, kept as the
 * last "frame" of the stack: above every user and kernel address.
 */
#define TTBPF_UNWIND_MARK	 0xffffffffffffff00ULL
#define TTBPF_UNWIND_END_WINDOW	 (TTBPF_UNWIND_MARK + 1)
#define TTBPF_UNWIND_END_NO_CFI	 (TTBPF_UNWIND_MARK + 2)
#define TTBPF_UNWIND_END_DEPTH	 (TTBPF_UNWIND_MARK + 3)
#define TTBPF_UNWIND_IS_MARK(ip) ((ip) > TTBPF_UNWIND_MARK)

#endif /* TTBPF_UNWIND_H */
