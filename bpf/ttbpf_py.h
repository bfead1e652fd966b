/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Types shared by the Python-frame capture in BPF (pyframes.bpf.h) and user
 * space (user/lib/pyframes.c, pysymbolize.c). Fixed-width types only: the
 * maps are pinned and read by other tools.
 */
#ifndef TTBPF_PY_H
#define TTBPF_PY_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TTBPF_PY_MAX_DEPTH  32 /* a power of two */
#define TTBPF_PY_MAX_STACKS 16384
#define TTBPF_PY_MAX_PROCS  8192
#define TTBPF_PY_FRAME_READ 128 /* bytes of one frame read at once */

/* py_stack_id values that are not an id (ids are > 0, so a zeroed record
 * has none). */
#define TTBPF_PY_NONE	   0	/* not a Python process, or frames off */
#define TTBPF_PY_NO_THREAD (-2) /* Python process, thread has no tstate */
#define TTBPF_PY_PENDING   (-3) /* process not inspected yet */
#define TTBPF_PY_LOST	   (-4) /* unreadable, or the stack map was full */

/* A record of the py_wake ring: @pid is to be inspected now. */
#define TTBPF_PY_WAKE_ALLOC 1 /* allocated, no py_procs entry */
#define TTBPF_PY_WAKE_EXEC  2 /* exec'd a file named python* */

struct ttbpf_py_wake {
	__u32 pid;
	__u32 why;
};

/*
 * Where one process keeps its current thread's Python frames. Filled by
 * user space from the interpreter binary; enabled == 0 marks a process
 * that was inspected and runs no (supported) CPython.
 */
struct ttbpf_py_proc {
	__u64 tss_key_addr; /* runtime address of autoTSSkey's pthread key */
	__u32 tls_specific_off; /* glibc struct pthread: specific_1stblock */
	__s32 tstate_frame;	/* tstate -> frame, cframe or current_frame */
	__s32 cframe_frame;	/* cframe -> current_frame; -1: no cframe */
	__s32 frame_code;	/* frame -> code object */
	__s32 frame_prev;	/* frame -> calling frame */
	__s32 frame_instr;	/* frame -> f_lasti (int) or instruction ptr */
	__s32 frame_owner;	/* frame -> owner (char); -1: none */
	__u32 frame_len; /* bytes to read per frame, <= TTBPF_PY_FRAME_READ */
	__u32 version;	 /* 0x030a for 3.10 */
	__u32 enabled;
	/* The pthread key itself when user space could read it (an
	 * initialised key): one read less per allocation. */
	__u32 tss_key;
	__u32 tss_key_known;
};

/* One Python call chain, innermost frame first; code 0 marks a shim frame
 * of a C call (3.12+), which has no code object. */
struct ttbpf_py_stack {
	__u64 code[TTBPF_PY_MAX_DEPTH];	 /* code object addresses */
	__u64 instr[TTBPF_PY_MAX_DEPTH]; /* f_lasti, or instruction pointer */
	__u32 n;
	__u32 truncated; /* more frames beyond TTBPF_PY_MAX_DEPTH */
};

#endif /* TTBPF_PY_H */
