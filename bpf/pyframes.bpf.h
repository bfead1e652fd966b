/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The Python call chain of the thread that entered allocate_buffer: code
 * object and instruction per frame, read from the thread's own
 * PyThreadState. The thread state is found the way
 * PyGILState_GetThisThreadState() finds it, through the interpreter's
 * pthread key (autoTSSkey): glibc's pthread_getspecific() emulated from the
 * thread pointer. Unlike the GIL holder in _PyRuntime this is right for a
 * thread that released the GIL around a C call (ctypes, pybind11
 * gil_scoped_release) and costs no more. Offsets per process come from
 * user space (user/lib/pyframes.c), which also resolves code objects to
 * file, function and line later (user/lib/pysymbolize.c).
 */
#ifndef TTBPF_PYFRAMES_BPF_H
#define TTBPF_PYFRAMES_BPF_H

#include "ttbpf_py.h"

#define PY_OWNED_BY_CSTACK 3 /* 3.12+: shim frame of a C call, no code */

/* Inspected processes; a pid missing here is queued in py_unseen. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TTBPF_PY_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct ttbpf_py_proc);
} py_procs SEC(".maps");

/* Processes that allocated before user space inspected them. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} py_unseen SEC(".maps");

/*
 * Wakes the tracer's inspector (user/lib/py_inspector.c) at once, not at
 * its next poll: a process that just exec'd an interpreter, or one seen
 * allocating for the first time without an entry in py_procs. Rare (once
 * per process), so always with a wake-up.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16384);
} py_wake SEC(".maps");

static __always_inline void py_wake_up(__u32 pid, __u32 why)
{
	struct ttbpf_py_wake w = { .pid = pid, .why = why };

	bpf_ringbuf_output(&py_wake, &w, sizeof(w), BPF_RB_FORCE_WAKEUP);
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TTBPF_PY_MAX_STACKS);
	__type(key, __u32);
	__type(value, struct ttbpf_py_stack);
} py_stacks SEC(".maps");

/*
 * From 3.11 on frames live on the thread's data stack, a caller just
 * below its callee: one read of this many bytes ending at the innermost
 * frame usually holds the whole chain, where a read per frame cost ~70 ns.
 */
#define PY_WINDOW 4096

struct py_scratch {
	struct ttbpf_py_stack st;
	__u8 frame[TTBPF_PY_FRAME_READ + 8]; /* + 8: any masked offset */
	__u8 win[PY_WINDOW + TTBPF_PY_FRAME_READ + 8];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct py_scratch);
} py_scratch SEC(".maps");

static __always_inline __u64 py_field(const __u8 *frame, __s32 off)
{
	__u64 v;

	__builtin_memcpy(&v, frame + (off & (TTBPF_PY_FRAME_READ - 1)),
			 sizeof(v));
	return v;
}

/* Slot @n from the copy of one frame at @f; returns the caller's frame. */
static __always_inline __u64 py_take(struct py_scratch *s,
				     const struct ttbpf_py_proc *pp,
				     const __u8 *f, int n)
{
	if (n < 0 || n >= TTBPF_PY_MAX_DEPTH)
		return 0;
	if (pp->frame_owner < 0 ||
	    (__u8)py_field(f, pp->frame_owner) != PY_OWNED_BY_CSTACK) {
		s->st.code[n] = py_field(f, pp->frame_code);
		s->st.instr[n] = py_field(f, pp->frame_instr);
	}
	return py_field(f, pp->frame_prev);
}

/* Copy the data stack below the innermost frame @frame (3.11+) into
 * s->win; returns the window's start address, 0 when none, and its
 * length in @wlen. */
static __always_inline __u64 py_window(struct py_scratch *s,
				       const struct ttbpf_py_proc *pp,
				       __u64 frame, __u32 len, __u32 *wlen)
{
	__u64 end = frame + len, lo = frame & ~4095ULL;
	__u32 n;

	*wlen = 0;
	if (pp->version < 0x030b)
		return 0;
	if (!bpf_probe_read_user(s->win, PY_WINDOW,
				 (const void *)(end - PY_WINDOW))) {
		*wlen = PY_WINDOW;
		return end - PY_WINDOW;
	}
	/* The page below the frame's may be unmapped (the start of a
	 * chunk): from the frame's own page then. */
	n = (__u32)(end - lo);
	if (n >= PY_WINDOW)
		return 0;
	n &= PY_WINDOW - 1;
	if (n < len || bpf_probe_read_user(s->win, n, (const void *)lo))
		return 0;
	*wlen = n;
	return lo;
}

/* Over the captured frames only: the slots past n are zero. */
static __always_inline __u32 py_stack_hash(const struct ttbpf_py_stack *st)
{
	__u64 h = 0xcbf29ce484222325ULL;

	for (int i = 0; i < TTBPF_PY_MAX_DEPTH; i++) {
		if (i >= st->n)
			break;
		h = (h ^ st->code[i]) * 0x100000001b3ULL;
		h = (h ^ st->instr[i]) * 0x100000001b3ULL;
	}
	h ^= st->truncated | (__u64)st->n << 1;
	return (__u32)(h ^ (h >> 32)) & 0x7fffffff;
}

static __always_inline bool py_stack_equal(const struct ttbpf_py_stack *a,
					   const struct ttbpf_py_stack *b)
{
	if (a->n != b->n || a->truncated != b->truncated)
		return false;
	for (int i = 0; i < TTBPF_PY_MAX_DEPTH; i++) {
		if (i >= a->n)
			break;
		if (a->code[i] != b->code[i] || a->instr[i] != b->instr[i])
			return false;
	}
	return true;
}

/* The calling thread's PyThreadState, 0 when it has none. */
static __always_inline __u64 py_tstate(const struct ttbpf_py_proc *pp)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 fsbase = task->thread.fsbase, tstate = 0;
	__u32 key = pp->tss_key;
	/* Py_tss_t: int _is_initialized, then the key. */
	struct {
		__s32 initialized;
		__u32 key;
	} tss;

	if (!pp->tss_key_known) {
		if (bpf_probe_read_user(&tss, sizeof(tss),
					(const void *)(pp->tss_key_addr - 4)) ||
		    tss.initialized != 1)
			return 0;
		key = tss.key;
	}
	/* Keys past glibc's first block of 32 need a second-level read:
	 * CPython creates its key at start-up, so it is always a low one. */
	if (key >= 32)
		return 0;
	bpf_probe_read_user(
		&tstate, sizeof(tstate),
		(const void *)(fsbase + pp->tls_specific_off + key * 16 + 8));
	return tstate;
}

static __always_inline __s32 py_stack_store(struct ttbpf_py_stack *st)
{
	struct ttbpf_py_stack *old;
	__u32 id = py_stack_hash(st) | 1; /* > 0: see TTBPF_PY_NONE */

	/* Open addressing over a few slots: equal ids mean equal stacks. */
	for (int i = 0; i < 4; i++, id = (id + 2) & 0x7fffffff) {
		old = bpf_map_lookup_elem(&py_stacks, &id);
		if (!old) {
			int err = bpf_map_update_elem(&py_stacks, &id, st,
						      BPF_NOEXIST);

			if (!err)
				return id;
			old = err == -EEXIST
				      ? bpf_map_lookup_elem(&py_stacks, &id)
				      : NULL;
			if (!old)
				break;
		}
		if (py_stack_equal(old, st))
			return id;
	}
	return TTBPF_PY_LOST;
}

/*
 * Python stack id of the current thread, or a TTBPF_PY_* reason. A global
 * function: the verifier checks it once, not inline in every caller.
 */
__noinline __s32 py_stack_id(__u32 pid)
{
	struct ttbpf_py_proc *pp = bpf_map_lookup_elem(&py_procs, &pid);
	struct py_scratch *s;
	__u32 zero = 0, len;
	__u64 frame = 0, base;
	__u32 wlen = 0;
	__u8 one = 1;
	int n = 0;

	if (!pp) {
		/* Only the first allocation of the process wakes user space:
		 * later ones find it queued. */
		if (!bpf_map_update_elem(&py_unseen, &pid, &one, BPF_NOEXIST))
			py_wake_up(pid, TTBPF_PY_WAKE_ALLOC);
		return TTBPF_PY_PENDING;
	}
	if (!pp->enabled)
		return TTBPF_PY_NONE;
	s = bpf_map_lookup_elem(&py_scratch, &zero);
	if (!s)
		return TTBPF_PY_LOST;
	frame = py_tstate(pp);
	if (!frame)
		return TTBPF_PY_NO_THREAD;
	if (bpf_probe_read_user(&frame, sizeof(frame),
				(const void *)(frame + pp->tstate_frame)))
		return TTBPF_PY_LOST;
	if (pp->cframe_frame >= 0 && frame &&
	    bpf_probe_read_user(&frame, sizeof(frame),
				(const void *)(frame + pp->cframe_frame)))
		return TTBPF_PY_LOST;
	len = pp->frame_len;
	if (!len || len > TTBPF_PY_FRAME_READ)
		return TTBPF_PY_LOST;
	__builtin_memset(&s->st, 0, sizeof(s->st));
	base = frame ? py_window(s, pp, frame, len, &wlen) : 0;
	/* One slot per frame, shim frames included (code 0): a count that
	 * depends on the data would multiply the verifier's states. Frames
	 * outside the window (a shim frame on the C stack, a generator's,
	 * another chunk) are read one by one. */
	for (n = 0; n < TTBPF_PY_MAX_DEPTH && frame; n++) {
		if (base && frame >= base && frame + len <= base + wlen) {
			frame = py_take(
				s, pp,
				s->win + ((frame - base) & (PY_WINDOW - 1)), n);
			continue;
		}
		if (bpf_probe_read_user(s->frame, len, (const void *)frame))
			break;
		frame = py_take(s, pp, s->frame, n);
	}
	if (!n)
		return TTBPF_PY_NO_THREAD;
	s->st.n = n;
	s->st.truncated = n == TTBPF_PY_MAX_DEPTH && frame;
	return py_stack_store(&s->st);
}

/* At the exit of a process's last thread, and at exec: the layout was
 * the old image's. */
static __always_inline void py_forget(__u32 pid)
{
	bpf_map_delete_elem(&py_procs, &pid);
	bpf_map_delete_elem(&py_unseen, &pid);
}

/*
 * An exec of a file named python*: the interpreter itself (the kernel has
 * resolved symlinks and #! lines to it). User space inspects the process
 * as soon as its interpreter is mapped, long before a Python program can
 * open a device; any other process is inspected at its first allocation.
 */
static __always_inline void py_exec(__u32 pid, struct linux_binprm *bprm)
{
	static const char want[] = "python";
	char name[8] = {};

	py_forget(pid);
	if (bpf_probe_read_kernel_str(
		    name, sizeof(name),
		    BPF_CORE_READ(bprm, file, f_path.dentry, d_name.name)) < 7)
		return;
	for (int i = 0; i < 6; i++)
		if (name[i] != want[i])
			return;
	py_wake_up(pid, TTBPF_PY_WAKE_EXEC);
}

/*
 * A child forked by an inspected interpreter runs a copy of its image at
 * the same addresses: the parent's layout is the child's. Not its pthread
 * key: CPython re-creates the key in the child (PyOS_AfterFork_Child), so
 * BPF reads it at each allocation, initialised, as before user space
 * knew a key; user space does not read it once, since it cannot tell the
 * parent's copy from the child's own.
 */
static __always_inline void py_fork(__u32 ppid, __u32 cpid)
{
	struct ttbpf_py_proc *pp = bpf_map_lookup_elem(&py_procs, &ppid), c;

	if (!pp || !pp->enabled)
		return;
	c = *pp;
	c.tss_key_known = 0;
	bpf_map_update_elem(&py_procs, &cpid, &c, BPF_ANY);
}

#endif /* TTBPF_PYFRAMES_BPF_H */
