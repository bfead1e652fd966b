/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ttbpf-trace --native-unwind: what user space needs to unwind the
 * allocating thread's stack from .eh_frame as perf's DWARF call graphs do
 * (the registers, and a window of the stack from rsp), sent as one ring
 * buffer record per recorded allocation. Off unless the loader sets
 * native_unwind_on; one call from alloc_entry. Never blocks: a full ring
 * or an unreadable stack loses the record, counted in unwind_stats, and
 * the buffer keeps its frame-pointer stack.
 */
#ifndef TTBPF_NATIVE_UNWIND_BPF_H
#define TTBPF_NATIVE_UNWIND_BPF_H

#include "ttbpf_unwind.h"

/* Data, not rodata: a pinned tracer that exits turns the capture off,
 * nobody would read the records. */
__u32 native_unwind_on = 0;
const volatile __u32 unwind_window = TTBPF_UNWIND_DEFAULT_WINDOW;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, TTBPF_UNWIND_RING);
} unwind_rb SEC(".maps");

/* The record is built here: too big for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ttbpf_unwind_rec);
} unwind_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TTBPF_UNWIND_NR_STATS);
	__type(key, __u32);
	__type(value, __u64);
} unwind_stats SEC(".maps");

/* Written by user space only: (pid, Buffer*) -> unwound stack. Sized
 * like allocs by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TTBPF_DEFAULT_MAX_BUFFERS);
	__type(key, struct ttbpf_alloc_key);
	__type(value, struct ttbpf_unwound);
} native_stacks SEC(".maps");

static __always_inline void unwind_stat(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&unwind_stats, &idx);

	if (v)
		*v += 1;
}

/* A global function: verified once, not inlined into alloc_entry. */
__noinline int native_unwind__capture(struct pt_regs *ctx, __u64 buffer,
				      __u64 ts_ns)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct ttbpf_unwind_rec *r;
	struct task_struct *task;
	__u32 zero = 0, len;
	__u64 top;
	int i;

	if (!ctx)
		return 0;
	r = bpf_map_lookup_elem(&unwind_scratch, &zero);
	if (!r)
		return 0;
	r->pid = id >> 32;
	r->tid = (__u32)id;
	r->buffer = buffer;
	r->ts_ns = ts_ns;
	r->regs[0] = ctx->ax;
	r->regs[1] = ctx->dx;
	r->regs[2] = ctx->cx;
	r->regs[3] = ctx->bx;
	r->regs[4] = ctx->si;
	r->regs[5] = ctx->di;
	r->regs[6] = ctx->bp;
	r->regs[7] = ctx->sp;
	r->regs[8] = ctx->r8;
	r->regs[9] = ctx->r9;
	r->regs[10] = ctx->r10;
	r->regs[11] = ctx->r11;
	r->regs[12] = ctx->r12;
	r->regs[13] = ctx->r13;
	r->regs[14] = ctx->r14;
	r->regs[15] = ctx->r15;
	r->regs[16] = ctx->ip;
	len = unwind_window;
	r->window = len;
	/* The main thread's stack ends a little above start_stack (argv,
	 * the environment): a read past that end would fail whole, and
	 * each failed read costs a fault. */
	task = (struct task_struct *)bpf_get_current_task();
	top = BPF_CORE_READ(task, mm, start_stack);
	if (ctx->sp < top && top - ctx->sp < len)
		len = ((top - ctx->sp) + 7) & ~7ULL;
	/* Other threads' stacks: a read that crosses the top of the
	 * mapping fails whole; halve it until it fits (the outermost frames
	 * are then cut, and the chain says so). */
	for (i = 0; i < 6; i++) {
		if (len > TTBPF_UNWIND_MAX_WINDOW)
			len = TTBPF_UNWIND_MAX_WINDOW;
		if (len < 64)
			break;
		if (!bpf_probe_read_user(r->data, len, (const void *)ctx->sp))
			break;
		len >>= 1;
	}
	if (len < 64 || i == 6) {
		unwind_stat(TTBPF_UNWIND_COPY_FAILED);
		return 0;
	}
	if (i)
		unwind_stat(TTBPF_UNWIND_COPY_SHORT);
	r->len = len;
	if (len > TTBPF_UNWIND_MAX_WINDOW)
		return 0;
	/* No wake-up: the tracer reads this ring at each poll (every 100 ms
	 * at most); a wake-up per record, once the tracer fell behind, cost
	 * more than the copy. */
	if (bpf_ringbuf_output(&unwind_rb, r, TTBPF_UNWIND_REC_HDR + len,
			       BPF_RB_NO_WAKEUP)) {
		unwind_stat(TTBPF_UNWIND_RING_FULL);
		return 0;
	}
	unwind_stat(TTBPF_UNWIND_CAPTURED);
	return 0;
}

#endif /* TTBPF_NATIVE_UNWIND_BPF_H */
