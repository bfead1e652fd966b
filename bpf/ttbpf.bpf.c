// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Uprobes on TT-Metal's allocator. The programs never use a uretprobe:
 * allocate_buffer throws on out-of-memory, and a uretprobe's trampoline has
 * no unwind info, so the exception would end in std::terminate. Nor do they
 * probe its `ret`s: the kernel single-steps a `ret`, which costs 30 times
 * the entry's emulated `push`. Instead:
 *   - entry of allocate_buffer: read the Buffer, count it as allocated,
 *     and remember per thread where the call's frame is;
 *   - __cxa_throw while that frame is still on the stack: the allocation
 *     failed, undo it.
 * The device address is not known at the entry; views read it from the
 * Buffer later. Frees, bulk frees (device close) and process exit release
 * what they own.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "ttbpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define EEXIST 17 /* vmlinux.h carries no errno values */
#define E2BIG  7

/* Python frames: on unless the loader turns them off. */
const volatile __u32 py_frames_on = 1;

#include "pyframes.bpf.h"
#include "native_unwind.bpf.h"

#define EVENTS_RING (1 << 22)

/* Bytes of user stack read at once from rsp; a power of two. */
#define STACK_CHUNK 1024

const volatile struct ttbpf_config cfg = {
	.max_plausible_size = 1ULL << 40,
};

/* Writable at run time: a tracer that leaves its maps pinned turns events
 * off before it exits, so nobody's ring buffer fills and counts drops. */
volatile __u32 emit_events = 1;

/* When a full map was last walked for rows or stacks to evict. */
__u64 rows_walked_ns, stacks_walked_ns;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TTBPF_MAX_LIBS);
	__type(key, __u32);
	__type(value, struct ttbpf_lib);
} libs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ttbpf_meta);
} meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TTBPF_DEFAULT_MAX_BUFFERS);
	__type(key, struct ttbpf_alloc_key);
	__type(value, struct ttbpf_alloc);
} allocs SEC(".maps");

/* Per thread, in the task itself: cheaper than a hash keyed by tid, and
 * freed by the kernel with the thread. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ttbpf_pending);
} pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TTBPF_MAX_DEVICES);
	__type(key, struct ttbpf_dev_key);
	__type(value, struct ttbpf_usage);
} dev_usage SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TTBPF_MAX_PROCS);
	__type(key, struct ttbpf_proc_key);
	__type(value, struct ttbpf_usage);
} proc_usage SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TTBPF_NR_STATS);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* Distinct user stacks by id; see user_stack_id(). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TTBPF_MAX_STACKS);
	__type(key, __u32);
	__type(value, struct ttbpf_stack);
} stacks SEC(".maps");

/* The walk's working memory: too big for the BPF stack. */
struct stack_scratch {
	struct ttbpf_stack frames;
	__u8 chunk[STACK_CHUNK + 8]; /* + 8: any masked offset is readable */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stack_scratch);
} stack_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, EVENTS_RING);
} events SEC(".maps");

/* Processes that have usage rows: a process exit looks here first, so
 * that only traced processes pay for a walk over the buffer map. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TTBPF_MAX_PROCS);
	__type(key, __u32);
	__type(value, __u8);
} traced_pids SEC(".maps");

/* Command lines of processes with rows, for a summary of processes that
 * have exited (cfg.keep_exit_rows); the reader deletes them with the rows. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TTBPF_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct ttbpf_cmdline);
} cmdlines SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ttbpf_cmdline);
} cmdline_scratch SEC(".maps");

#include "buffer_index.h"

/* Zero-filled value used to create usage rows without a big stack frame. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ttbpf_usage);
} usage_scratch SEC(".maps");

static __always_inline void stat_inc(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += n; /* per-CPU: no atomics needed */
}

/* The traced process tree (cfg.follow_tree): the loader seeds the command,
 * the fork program adds every process forked by one already here, and the
 * exit of its last thread removes it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TTBPF_MAX_PROCS);
	__type(key, __u32);
	__type(value, __u8);
} tree_pids SEC(".maps");

static __always_inline bool pid_wanted(__u32 pid)
{
	if (!cfg.target_pid || cfg.target_pid == pid)
		return true;
	return cfg.follow_tree && bpf_map_lookup_elem(&tree_pids, &pid);
}

/*
 * Keep the argv of the current process, read from its own memory while it
 * runs: user space could read /proc/PID/cmdline only if the process is
 * still there when it looks. Exactly arg_start..arg_end, never the
 * environment that follows it.
 */
static __always_inline void remember_cmdline(__u32 pid)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct ttbpf_cmdline *c;
	__u64 start, end, len;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(&cmdlines, &pid))
		return;
	c = bpf_map_lookup_elem(&cmdline_scratch, &zero);
	if (!c)
		return;
	start = BPF_CORE_READ(task, mm, arg_start);
	end = BPF_CORE_READ(task, mm, arg_end);
	len = end > start ? end - start : 0;
	/* Nothing of the last process read here may stay behind. */
	__builtin_memset(c, 0, sizeof(*c));
	c->cut = len > TTBPF_CMDLINE_LEN;
	if (c->cut)
		len = TTBPF_CMDLINE_LEN;
	if (!len || bpf_probe_read_user(c->args, len, (const void *)start))
		return;
	c->len = len;
	bpf_map_update_elem(&cmdlines, &pid, c, BPF_NOEXIST);
}

/* A row that holds no buffer: its device was closed, its process freed
 * everything there. Its peak and counters go with it. */
static long evict_idle_row(struct bpf_map *map, const void *key,
			   struct ttbpf_usage *u, __u32 *evicted)
{
	__u64 held = 0;

	/* No branch per type: the verifier walks this once per call site. */
	for (int t = 0; t < TTBPF_NR_TYPES; t++)
		held |= u->buffers[t] | u->bytes[t];
	if (!held && !bpf_map_delete_elem(map, key))
		(*evicted)++;
	return 0;
}

/*
 * A full map whose entries all stay busy would be walked at every
 * allocation that wants room: at most once per 100 ms, then.
 */
static __always_inline bool walk_due(__u64 *last)
{
	__u64 now = bpf_ktime_get_ns();

	if (now - *last < 100000000ULL)
		return false;
	*last = now;
	return true;
}

/*
 * Make room in a full usage map by dropping the rows that hold nothing.
 * Done only when the map is full, so that the peaks and counters of idle
 * devices (what a summary after the run shows) stay until room is needed.
 * A global function: verified once, not inside every caller's states.
 */
__noinline int evict_idle_rows(int procs)
{
	__u32 evicted = 0;

	if (!walk_due(&rows_walked_ns))
		return 0;
	if (procs)
		bpf_for_each_map_elem(&proc_usage, evict_idle_row, &evicted, 0);
	else
		bpf_for_each_map_elem(&dev_usage, evict_idle_row, &evicted, 0);
	stat_inc(TTBPF_STAT_ROWS_EVICTED, evicted);
	return evicted;
}

/* Returns the row for @key in @map, creating it (with comm) if missing;
 * NULL (counted) when the map is full of rows that hold memory. */
static __always_inline struct ttbpf_usage *usage_row(void *map, void *key,
						     bool with_comm)
{
	struct ttbpf_usage *u = bpf_map_lookup_elem(map, key);
	__u32 zero = 0;
	int err;

	if (u)
		return u;
	u = bpf_map_lookup_elem(&usage_scratch, &zero);
	if (!u)
		return NULL;
	__builtin_memset(u, 0, sizeof(*u));
	u->first_ts_ns = bpf_ktime_get_ns();
	if (with_comm) {
		const struct ttbpf_proc_key *pk = key;
		__u8 one = 1;

		bpf_get_current_comm(u->comm, sizeof(u->comm));
		if (cfg.keep_exit_rows)
			remember_cmdline(pk->pid);
		/* Without the mark its exit would not release its buffers:
		 * no row, so that nothing of it is recorded. */
		if (bpf_map_update_elem(&traced_pids, &pk->pid, &one,
					BPF_ANY)) {
			stat_inc(TTBPF_STAT_PROCS_MAP_FULL, 1);
			return NULL;
		}
	}
	/* NOEXIST: another CPU may have created it meanwhile; both fine. */
	err = bpf_map_update_elem(map, key, u, BPF_NOEXIST);
	if (err == -E2BIG && evict_idle_rows(with_comm))
		err = bpf_map_update_elem(map, key, u, BPF_NOEXIST);
	if (!err && with_comm)
		buffer_index__add_row(key);
	u = bpf_map_lookup_elem(map, key);
	if (!u)
		stat_inc(with_comm ? TTBPF_STAT_PROCS_MAP_FULL
				   : TTBPF_STAT_DEVS_MAP_FULL,
			 1);
	return u;
}

/* Raise @u->peak[type] to @now if higher, racing other CPUs safely.
 * Returns the peak it replaced, or @now when it raised nothing. */
static __always_inline __u64 peak_raise(struct ttbpf_usage *u, __u32 type,
					__u64 now)
{
	for (int i = 0; i < 4; i++) {
		__u64 old = u->peak[type];

		if (now <= old)
			return now;
		if (__sync_val_compare_and_swap(&u->peak[type], old, now) ==
		    old)
			return old;
	}
	return now;
}

/* Returns the peak before, for a rollback (see peak_raise()). */
static __always_inline __u64 usage_add(struct ttbpf_usage *u, __u32 type,
				       __u64 size, __u64 ts, __u64 *now)
{
	if (type >= TTBPF_NR_TYPES)
		return 0;
	*now = __sync_fetch_and_add(&u->bytes[type], size) + size;
	__sync_fetch_and_add(&u->buffers[type], 1);
	__sync_fetch_and_add(&u->allocs, 1);
	u->last_ts_ns = ts;
	return peak_raise(u, type, *now);
}

static __always_inline void usage_sub(struct ttbpf_usage *u, __u32 type,
				      __u64 size, bool count_free, __u64 ts)
{
	if (type >= TTBPF_NR_TYPES)
		return;
	__sync_fetch_and_sub(&u->bytes[type], size);
	__sync_fetch_and_sub(&u->buffers[type], 1);
	if (count_free)
		__sync_fetch_and_add(&u->frees, 1);
	u->last_ts_ns = ts;
}

/* The device row's and the process row's keys of @a. */
static __always_inline void row_keys(__u32 pid, const struct ttbpf_alloc *a,
				     struct ttbpf_dev_key *dk,
				     struct ttbpf_proc_key *pk)
{
	dk->device = pk->device = a->device;
	dk->dev_kind = pk->dev_kind = a->dev_kind;
	pk->pid = pid;
	pk->pad = 0;
}

/*
 * Add one buffer to its device row and its process row, noting in @was and
 * @now what the two peaks were and became; @ts is the caller's clock
 * reading. Touches nothing unless both rows exist (or can be made) and
 * then returns true: a buffer counted in one row only would later be
 * subtracted from a row made after it.
 */
static __always_inline bool account_add_one(__u32 pid,
					    const struct ttbpf_alloc *a,
					    __u64 ts, __u64 *was, __u64 *now)
{
	struct ttbpf_usage *du, *pu;
	struct ttbpf_dev_key dk;
	struct ttbpf_proc_key pk;

	row_keys(pid, a, &dk, &pk);
	du = usage_row(&dev_usage, &dk, false);
	pu = du ? usage_row(&proc_usage, &pk, true) : NULL;
	if (!du || !pu)
		return false;
	was[0] = usage_add(du, a->type, a->size, ts, &now[0]);
	was[1] = usage_add(pu, a->type, a->size, ts, &now[1]);
	return true;
}

/* Remove one buffer from its device row and its process row. */
static __always_inline void account_sub_one(__u32 pid,
					    const struct ttbpf_alloc *a,
					    bool count_free, __u64 ts)
{
	struct ttbpf_dev_key dk;
	struct ttbpf_proc_key pk;
	struct ttbpf_usage *u;

	row_keys(pid, a, &dk, &pk);

	u = bpf_map_lookup_elem(&dev_usage, &dk);
	if (u)
		usage_sub(u, a->type, a->size, count_free, ts);
	u = bpf_map_lookup_elem(&proc_usage, &pk);
	if (u)
		usage_sub(u, a->type, a->size, count_free, ts);
}

/* Take usage_add() back from @u: its peak goes back unless another
 * allocation has raised it meanwhile (then that one's peak stands, ours
 * included). */
static __always_inline void usage_unadd(struct ttbpf_usage *u, __u32 type,
					__u64 size, __u64 peak_was,
					__u64 peak_now)
{
	if (type >= TTBPF_NR_TYPES)
		return;
	__sync_fetch_and_sub(&u->bytes[type], size);
	__sync_fetch_and_sub(&u->buffers[type], 1);
	__sync_fetch_and_sub(&u->allocs, 1);
	if (peak_was != peak_now)
		__sync_val_compare_and_swap(&u->peak[type], peak_now, peak_was);
}

/* Take back from @a's two rows what account_add_one() added (@was, @now
 * as it noted them); @failed: the allocation failed, not a half-made mesh
 * buffer. */
static __always_inline void account_unadd_one(__u32 pid,
					      const struct ttbpf_alloc *a,
					      const __u64 *was,
					      const __u64 *now, bool failed)
{
	struct ttbpf_dev_key dk;
	struct ttbpf_proc_key pk;
	struct ttbpf_usage *u[2];

	row_keys(pid, a, &dk, &pk);
	u[0] = bpf_map_lookup_elem(&dev_usage, &dk);
	u[1] = bpf_map_lookup_elem(&proc_usage, &pk);
	for (int r = 0; r < 2; r++) {
		if (!u[r])
			continue;
		usage_unadd(u[r], a->type, a->size, was[r], now[r]);
		if (failed)
			__sync_fetch_and_add(&u[r]->failed, 1);
	}
}

static __always_inline struct ttbpf_pending *pending_of_current(bool create)
{
	return bpf_task_storage_get(&pending, bpf_get_current_task_btf(), 0,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE
					   : 0);
}

static __always_inline void count_failure_one(__u32 pid,
					      const struct ttbpf_alloc *a)
{
	struct ttbpf_dev_key dk;
	struct ttbpf_proc_key pk;
	struct ttbpf_usage *u;

	row_keys(pid, a, &dk, &pk);
	u = usage_row(&dev_usage, &dk, false);
	if (u)
		__sync_fetch_and_add(&u->failed, 1);
	u = usage_row(&proc_usage, &pk, true);
	if (u)
		__sync_fetch_and_add(&u->failed, 1);
}

#include "chips.bpf.h"
#include "generations.bpf.h"

/* A mesh buffer counts on each of its chips (chips.bpf.h). */
static __always_inline bool account_add(__u32 pid, struct ttbpf_pending *p,
					__u64 ts)
{
	if (p->a.chips)
		return chips__add(pid, &p->a, ts);
	return account_add_one(pid, &p->a, ts, p->peak_was, p->peak_now);
}

static __always_inline void account_sub(__u32 pid, const struct ttbpf_alloc *a,
					bool count_free, __u64 ts)
{
	if (a->chips)
		chips__apply(pid, a,
			     CHIPS_SUB | (count_free ? CHIPS_COUNT_FREE : 0),
			     ts);
	else
		account_sub_one(pid, a, count_free, ts);
}

static __always_inline void count_failure(__u32 pid,
					  const struct ttbpf_alloc *a)
{
	if (a->chips)
		chips__apply(pid, a, CHIPS_FAIL, 0);
	else
		count_failure_one(pid, a);
	stat_inc(TTBPF_STAT_ALLOC_FAILED, 1);
}

static __always_inline void emit_event(__u8 kind, __u32 pid, __u32 tid,
				       const struct ttbpf_alloc *a,
				       __u64 buffer, __u32 count, __u8 flags,
				       __u32 parent_pid)
{
	struct ttbpf_event *e;

	if (!emit_events)
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_inc(TTBPF_STAT_EVENTS_DROPPED, 1);
		return;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->pid = pid;
	e->tid = tid;
	e->kind = kind;
	e->flags = flags;
	e->count = count;
	e->buffer = buffer;
	e->parent_pid = parent_pid;
	e->parts = 0;
	e->pad = 0;
	if (a) {
		e->size = a->size;
		e->address = a->address;
		e->allocator = a->allocator;
		e->device = a->device;
		e->stack_id = a->stack_id;
		e->type = a->type;
		e->dev_kind = a->dev_kind;
		e->chips = a->chips;
		e->py_stack_id = a->py_stack_id;
	} else {
		e->size = 0;
		e->address = 0;
		e->allocator = 0;
		e->device = -1;
		e->stack_id = -1;
		e->type = 0;
		e->dev_kind = TTBPF_DEV_UNKNOWN;
		e->chips = 0;
		e->py_stack_id = TTBPF_PY_NONE;
	}
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	/* A wake-up is an interrupt to the reader's CPU per event, dearer
	 * than the rest of the event: wake it only once a quarter of the ring
	 * waits. It polls every 100 ms regardless. */
	bpf_ringbuf_submit(e, bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >
					      EVENTS_RING / 4
				      ? BPF_RB_FORCE_WAKEUP
				      : BPF_RB_NO_WAKEUP);
}

static __always_inline void emit(__u8 kind, __u32 pid, __u32 tid,
				 const struct ttbpf_alloc *a, __u64 buffer,
				 __u32 count, __u8 flags)
{
	emit_event(kind, pid, tid, a, buffer, count, flags, 0);
}

static __always_inline int read_u64(__u64 *dst, __u64 addr)
{
	return bpf_probe_read_user(dst, sizeof(*dst), (const void *)addr);
}

/*
 * Each bpf_probe_read_user() costs a user-copy setup, so neighbouring
 * fields are read in one go: size, type and device lie within a few words
 * of each other in every era, and so do a Device's vptr and id.
 */
#define WINDOW 64

struct window {
	__u64 w[WINDOW / 8];
};

/* The u64 at window offset @off (a 32-bit field is its low half). */
static __always_inline __u64 window_u64(const struct window *win, __s32 off)
{
	__u64 v;

	if (off < 0 || off > WINDOW - 8)
		return 0;
	__builtin_memcpy(&v, (const __u8 *)win->w + off, sizeof(v));
	return v;
}

/*
 * Read the words at @offs[0..n) of the object at @addr into @out (an offset
 * of -1 is skipped): one read when they span at most WINDOW bytes, else one
 * per field. A field that cannot be read is all ones (an id of -1); the
 * call fails only when a field in the @required bit mask cannot be read.
 */
static __always_inline int read_fields(__u64 addr, const __s32 *offs, int n,
				       __u32 required, __u64 *out)
{
	struct window win = {};
	__s32 lo = 0x7fffffff, hi = -1;
	__u32 len;

	for (int i = 0; i < n; i++) {
		if (offs[i] < 0)
			continue;
		lo = offs[i] < lo ? offs[i] : lo;
		hi = offs[i] > hi ? offs[i] : hi;
	}
	if (hi < 0)
		return 0;
	len = hi - lo + 8;
	if (len <= WINDOW &&
	    !bpf_probe_read_user(&win, len, (const void *)(addr + lo))) {
		for (int i = 0; i < n; i++)
			if (offs[i] >= 0)
				out[i] = window_u64(&win, offs[i] - lo);
		return 0;
	}
	/* Too far apart, or the window ran into an unmapped page. */
	for (int i = 0; i < n; i++) {
		if (offs[i] < 0 || !read_u64(&out[i], addr + offs[i]))
			continue;
		out[i] = ~0ULL;
		if (required & (1u << i))
			return -1;
	}
	return 0;
}

/*
 * Read size, type and device of @buffer with the library's layout. Returns
 * false (and counts why) when a read fails or the values are implausible.
 * With @o, the device comes from what its allocator's last allocation
 * resolved when that was the same Device*; else @cache_dev is set to the
 * Device* when what was resolved may be kept there (buffer_index.h).
 */
static __always_inline bool
read_buffer(struct pt_regs *ctx, const struct ttbpf_lib *lib, __u64 cookie,
	    __u64 buffer, struct ttbpf_alloc *a, bool want_address,
	    struct ttbpf_owner *o, __u64 *cache_dev)
{
	const struct ttbpf_layout *l = &lib->layout;
	__s32 offs[4] = { l->size_off, l->type_off, l->device_off,
			  want_address ? l->address_off : -1 };
	/* The vptr and both candidate ids, read before the class is known. */
	__s32 dev_offs[3] = { 0, l->device_id_off, l->mesh_id_off };
	__u64 base = buffer, v[4] = {}, dv[3] = { 0, ~0ULL, ~0ULL }, bias, dev;
	__s32 id = -1;

	a->chips = 0; /* chips.bpf.h: set for a mesh of several chips */
	if (l->impl_off >= 0 && read_u64(&base, buffer + l->impl_off))
		goto bad_read;
	if (read_fields(base, offs, 4, 0xf, v))
		goto bad_read;
	a->size = v[0];
	a->type = (__u32)v[1] & 0xff; /* a 32-bit enum: low bytes only */
	dev = v[2];
	if (want_address)
		a->address = v[3];
	if (a->type >= TTBPF_NR_TYPES || a->size > cfg.max_plausible_size ||
	    !dev) {
		stat_inc(TTBPF_STAT_IMPLAUSIBLE, 1);
		return false;
	}
	if (buffer_index__dev_get(o, dev, a))
		return true;
	if (read_fields(dev, dev_offs, 3, 0x1, dv))
		goto bad_read;

	/* Tell a chip from a mesh by the vptr: the ip of this probe minus its
	 * file address is the load bias of this mapping of the library. */
	bias = PT_REGS_IP(ctx) - TTBPF_COOKIE_VADDR(cookie);
	if (l->device_vtable && dv[0] == bias + l->device_vtable) {
		a->dev_kind = TTBPF_DEV_CHIP;
		id = (__s32)dv[1];
	} else if (l->mesh_vtable && dv[0] == bias + l->mesh_vtable) {
		/* A mesh whose id offset is unknown stays "mesh -1": still
		 * exact per process, only the mesh label is missing. */
		a->dev_kind = TTBPF_DEV_MESH;
		if (l->mesh_id_off >= 0)
			id = (__s32)dv[2];
		/* Its chips, if the layout says where they are. */
		if (chips__resolve(l, dev, bias, a)) {
			*cache_dev = dev;
			return true;
		}
		if (l->mesh_devs >= 0)
			stat_inc(TTBPF_STAT_MESH_UNRESOLVED, 1);
	} else if (!l->device_vtable) {
		/* No vtable symbol to check against: trust the layout. */
		a->dev_kind = TTBPF_DEV_CHIP;
		id = (__s32)dv[1];
	} else {
		a->dev_kind = TTBPF_DEV_UNKNOWN;
		stat_inc(TTBPF_STAT_UNKNOWN_DEVICE, 1);
	}
	a->device = id;
	if (a->dev_kind == TTBPF_DEV_CHIP)
		*cache_dev = dev;
	return true;

bad_read:
	stat_inc(TTBPF_STAT_BAD_READS, 1);
	return false;
}

/*
 * The user stack at the entry of allocate_buffer, walked by frame pointers:
 * the probed ip, the return address at [rsp] (the prologue has not run
 * yet), then the rbp chain. bpf_get_stackid() does the same walk, but reads
 * every frame separately and ends most walks with a page fault on the
 * outermost frame's null or stray rbp, which costs more than the rest of
 * the walk together. Here the stack is read once from rsp, and the chain
 * ends without touching memory as soon as a frame pointer is null, not
 * above the last one, or outside what was read: a frame beyond the chunk
 * costs one read, but is only trusted when it lies further up the stack.
 */
static __always_inline __u64 chunk_u64(const struct stack_scratch *s, __u64 off)
{
	__u64 v;

	__builtin_memcpy(&v, s->chunk + (off & (STACK_CHUNK - 1)), sizeof(v));
	return v;
}

static __always_inline __u32 stack_hash(const struct ttbpf_stack *st)
{
	__u64 h = 0xcbf29ce484222325ULL;

	for (int i = 0; i < TTBPF_MAX_STACK_DEPTH && st->ip[i]; i++)
		h = (h ^ st->ip[i]) * 0x100000001b3ULL;
	return (__u32)(h ^ (h >> 32)) & 0x7fffffff;
}

static __always_inline bool stack_equal(const struct ttbpf_stack *a,
					const struct ttbpf_stack *b)
{
	for (int i = 0; i < TTBPF_MAX_STACK_DEPTH; i++)
		if (a->ip[i] != b->ip[i])
			return false;
	return true;
}

/* A stack recorded by a process that is gone (exited, or its image
 * replaced): its addresses mean nothing to anyone else. */
static long evict_dead_stack(struct bpf_map *map, const __u32 *id,
			     struct ttbpf_stack *st, __u32 *evicted)
{
	__u32 tgid = st->tgid;

	if (!bpf_map_lookup_elem(&traced_pids, &tgid) &&
	    !bpf_map_delete_elem(map, id))
		(*evicted)++;
	return 0;
}

/* Make room in the full stack map. A global function: verified once. */
__noinline int evict_dead_stacks(void)
{
	__u32 evicted = 0;

	if (!walk_due(&stacks_walked_ns))
		return 0;
	bpf_for_each_map_elem(&stacks, evict_dead_stack, &evicted, 0);
	stat_inc(TTBPF_STAT_STACKS_EVICTED, evicted);
	return evicted;
}

static __s32 user_stack_id(struct pt_regs *ctx, __u64 *ret)
{
	__u64 sp = PT_REGS_SP(ctx), fp = ctx->bp, len = STACK_CHUNK, frame[2];
	struct stack_scratch *s;
	struct ttbpf_stack *old;
	__u32 zero = 0, id;
	int n = 0;

	s = bpf_map_lookup_elem(&stack_scratch, &zero);
	if (!s)
		return -1;
	__builtin_memset(&s->frames, 0, sizeof(s->frames));
	s->frames.tgid = bpf_get_current_pid_tgid() >> 32;
	s->frames.ip[n++] = PT_REGS_IP(ctx);
	/* Near the top of a stack mapping a full chunk faults: take less. */
	if (bpf_probe_read_user(s->chunk, STACK_CHUNK, (const void *)sp)) {
		len = STACK_CHUNK / 4;
		if (bpf_probe_read_user(s->chunk, STACK_CHUNK / 4,
					(const void *)sp))
			len = 0;
	}
	if (len >= 8)
		*ret = s->frames.ip[n++] = chunk_u64(s, 0);
	for (int i = 0; i < TTBPF_MAX_STACK_DEPTH - 2; i++) {
		if (!fp || (fp & 7) || fp < sp)
			break;
		if (len >= 16 && fp - sp <= len - 16) {
			frame[0] = chunk_u64(s, fp - sp);
			frame[1] = chunk_u64(s, fp - sp + 8);
		} else if (bpf_probe_read_user(frame, sizeof(frame),
					       (const void *)fp)) {
			break;
		}
		if (!frame[1] || n >= TTBPF_MAX_STACK_DEPTH)
			break;
		s->frames.ip[n++ & (TTBPF_MAX_STACK_DEPTH - 1)] = frame[1];
		if (frame[0] <= fp)
			break;
		fp = frame[0];
	}

	/* Open addressing over a few slots: equal ids mean equal stacks. */
	id = stack_hash(&s->frames);
	for (int i = 0; i < 4; i++, id = (id + 1) & 0x7fffffff) {
		old = bpf_map_lookup_elem(&stacks, &id);
		if (!old) {
			int err = bpf_map_update_elem(&stacks, &id, &s->frames,
						      BPF_NOEXIST);

			if (err == -E2BIG && evict_dead_stacks())
				err = bpf_map_update_elem(
					&stacks, &id, &s->frames, BPF_NOEXIST);
			if (!err)
				return id;
			/* Another CPU took the slot first: compare with it. */
			old = err == -EEXIST ? bpf_map_lookup_elem(&stacks, &id)
					     : NULL;
			if (!old)
				break;
		}
		if (stack_equal(old, &s->frames))
			return id;
	}
	stat_inc(TTBPF_STAT_STACKS_LOST, 1);
	return -1;
}

/* ttbpf_pending.counted: whether a failure has something to undo. */
#define PENDING_MAP_FULL 0 /* not recorded: the buffer map was full */
#define PENDING_COUNTED	 1
#define PENDING_NO_ROW	 2 /* not recorded: no usage row could be made */

/* Record @a as allocated at @key, replacing a stale entry for the same
 * Buffer* (its free was missed, or it failed unseen): never count one
 * buffer twice. */
static __always_inline int record_alloc(struct ttbpf_alloc_key *key,
					struct ttbpf_alloc *a,
					struct ttbpf_owner *o)
{
	struct ttbpf_alloc *prev, old;
	struct ttbpf_owner *po;
	__u32 g;
	int err;

	if (!o || buffer_index__add(key, a, o))
		return -1;
	err = bpf_map_update_elem(&allocs, key, a, BPF_NOEXIST);
	if (err == -EEXIST) {
		prev = bpf_map_lookup_elem(&allocs, key);
		if (prev) {
			old = *prev;
			po = buffer_index__owner(key->pid, old.allocator);
			/* Still held (not released by a bulk free): the
			 * generation cannot end while we are in it. */
			g = po ? gen_enter(po) : 0;
			if (!bpf_map_delete_elem(&allocs, key)) {
				buffer_index__remove(key->pid, &old, po);
				if (po && g == old.gen) {
					account_sub(key->pid, &old, false,
						    a->ts_ns);
					gen_bank_sub(po, &old);
				}
			}
			if (po)
				gen_leave(po);
		}
		err = bpf_map_update_elem(&allocs, key, a, BPF_NOEXIST);
	}
	if (err)
		buffer_index__remove(key->pid, a, o);
	return err;
}

/*
 * Counted here, at the entry, before the allocator has decided: a failure
 * is undone at the throw (throw_entry). The address is 0 until a view
 * reads it from the Buffer; allocators hand out none below their reserved
 * base, so 0 always means "not known yet".
 */
SEC("uprobe")
int BPF_KPROBE(alloc_entry)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u32 lib_idx = TTBPF_COOKIE_LIB(cookie);
	__u64 id = bpf_get_current_pid_tgid();
	struct ttbpf_alloc_key key = { .pid = id >> 32 };
	struct ttbpf_pending *p;
	struct ttbpf_owner *o;
	struct ttbpf_lib *lib;
	__u64 cache_dev = 0;
	int err;

	if (!pid_wanted(key.pid))
		return 0;
	lib = bpf_map_lookup_elem(&libs, &lib_idx);
	if (!lib)
		return 0;
	p = pending_of_current(true);
	if (!p) {
		/* No per-thread slot (out of memory, or nested task-storage
		 * use on this CPU): the allocation goes unrecorded. */
		stat_inc(TTBPF_STAT_NOT_RECORDED, 1);
		return 0;
	}
	p->active = 0;
	p->buffer = key.buffer = PT_REGS_PARM2(ctx);
	p->sp = PT_REGS_SP(ctx);
	p->ret = 0;
	p->a.allocator = PT_REGS_PARM1(ctx);
	p->a.lib = lib_idx;
	p->a.tid = (__u32)id;
	p->a.ts_ns = bpf_ktime_get_ns();
	p->a.address = 0;
	p->a.stack_id = -1;
	p->a.py_stack_id = TTBPF_PY_NONE;
	/* Its index owner keeps what the allocator's device resolved to;
	 * only where the allocator's destructor is probed. Made only for
	 * a Buffer that could be read. */
	o = buffer_index__owner(key.pid, p->a.allocator);
	if (!read_buffer(ctx, lib, cookie, key.buffer, &p->a, false,
			 lib->layout.flags & TTBPF_LAYOUT_SEES_DTOR ? o : NULL,
			 &cache_dev))
		return 0;
	if (!o)
		o = idx_owner_get(key.pid, p->a.allocator);
	/* The return address tells this call's frame from a later one at
	 * the same depth (see throw_entry); the stack walk reads it anyway. */
	if (cfg.collect_stacks)
		p->a.stack_id = user_stack_id(ctx, &p->ret);
	else if (read_u64(&p->ret, p->sp))
		p->ret = 0;
	/* Python call chain: pyframes.bpf.h */
	if (py_frames_on)
		p->a.py_stack_id = py_stack_id(key.pid);
	p->active = 1;
	/* In the allocator's generation until counted: its bulk free then
	 * waits for nothing (generations.bpf.h). */
	p->a.gen = o ? gen_enter(o) : 0;
	p->a.pad2 = 0;
	err = record_alloc(&key, &p->a, o);
	/* A full map or index while stale entries wait: take a few and
	 * try again, so that nothing is lost to what is no longer held. */
	if (err && o && IDX_ONCE(retired_queued)) {
		for (int i = 0; i < 8; i++)
			gen_reclaim__step();
		err = record_alloc(&key, &p->a, o);
	}
	/* Not counted, but a failure is still reported. */
	if (err) {
		p->counted = PENDING_MAP_FULL;
		stat_inc(TTBPF_STAT_ALLOCS_MAP_FULL, 1);
	} else if (!account_add(key.pid, p, p->a.ts_ns)) {
		/* No usage row (counted): not recorded at all. */
		if (!bpf_map_delete_elem(&allocs, &key))
			buffer_index__remove(key.pid, &p->a, o);
		p->counted = PENDING_NO_ROW;
	} else {
		p->counted = PENDING_COUNTED;
		gen_bank_add(o, &p->a);
		stat_inc(TTBPF_STAT_ALLOCS, 1);
		/* Counted: the process is in traced_pids, so its exit or
		 * exec drops the owner and what it keeps. */
		if (cache_dev && lib->layout.flags & TTBPF_LAYOUT_SEES_DTOR)
			buffer_index__dev_put(o, cache_dev, &p->a);
	}
	if (o)
		gen_leave(o);
	/* Registers and stack for a .eh_frame unwind: native_unwind.bpf.h */
	if (native_unwind_on && p->counted == PENDING_COUNTED)
		native_unwind__capture(ctx, key.buffer, p->a.ts_ns);
	emit(TTBPF_EV_ALLOC, key.pid, (__u32)id, &p->a, key.buffer, 1, 0);
	/* Stale entries of closed devices go a few at a time. */
	if (IDX_ONCE(retired_queued))
		gen_reclaim__step();
	return 0;
}

/* The device address in @buffer, read with @lib's layout; 0 if unknown. */
static __always_inline __u64 read_address(__u32 lib_idx, __u64 buffer)
{
	struct ttbpf_lib *lib = bpf_map_lookup_elem(&libs, &lib_idx);
	__u64 base = buffer, addr;

	if (!lib || lib->layout.address_off < 0)
		return 0;
	if (lib->layout.impl_off >= 0 &&
	    read_u64(&base, buffer + lib->layout.impl_off))
		return 0;
	if (read_u64(&addr, base + lib->layout.address_off))
		return 0;
	return addr;
}

/*
 * After fork() a child holds copies of its parent's Buffer objects at the
 * same addresses, and its copy of the allocator believes they are
 * allocated. Freeing one in the child releases nothing the parent holds:
 * the device memory stays the parent's, so nothing is subtracted; the free
 * is labelled with the ancestor whose buffer it was rather than as
 * "allocated before tracing".
 */
static __always_inline bool free_inherited(const struct ttbpf_alloc_key *key,
					   __u32 tid)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct ttbpf_alloc_key pk = { .buffer = key->buffer };
	struct ttbpf_alloc *found, a;

	/* multiprocessing's fork server and shells add a level or two. */
	for (int i = 0; i < 4; i++) {
		t = BPF_CORE_READ(t, real_parent);
		if (!t)
			return false;
		pk.pid = BPF_CORE_READ(t, tgid);
		if (pk.pid <= 1 || pk.pid == key->pid)
			return false;
		found = bpf_map_lookup_elem(&allocs, &pk);
		if (!found)
			continue;
		a = *found;
		if (!gen_held(pk.pid, &a))
			continue;
		stat_inc(TTBPF_STAT_INHERITED_FREES, 1);
		emit_event(TTBPF_EV_FREE, key->pid, tid, &a, key->buffer, 0,
			   TTBPF_EVF_INHERITED, pk.pid);
		return true;
	}
	return false;
}

SEC("uprobe")
int BPF_KPROBE(free_entry)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u32 lib_idx = TTBPF_COOKIE_LIB(cookie);
	__u64 id = bpf_get_current_pid_tgid();
	struct ttbpf_alloc_key key = { .pid = id >> 32 };
	struct ttbpf_alloc a = {}, *found;
	struct ttbpf_owner *o;
	struct ttbpf_lib *lib;
	__u64 dev;

	if (!pid_wanted(key.pid))
		return 0;
	key.buffer = PT_REGS_PARM2(ctx);
	found = bpf_map_lookup_elem(&allocs, &key);
	if (found) {
		a = *found;
		o = buffer_index__owner(key.pid, a.allocator);
		/* Held only in its owner's current generation, which cannot
		 * end while we are in it. */
		if (o && gen_enter(o) == a.gen) {
			if (!bpf_map_delete_elem(&allocs, &key)) {
				buffer_index__remove(key.pid, &a, o);
				account_sub(key.pid, &a, true,
					    bpf_ktime_get_ns());
				gen_bank_sub(o, &a);
				gen_leave(o);
				stat_inc(TTBPF_STAT_FREES, 1);
				/* Still in the Buffer: the free reads it. */
				if (emit_events && !a.address)
					a.address =
						read_address(a.lib, key.buffer);
				emit(TTBPF_EV_FREE, key.pid, (__u32)id, &a,
				     key.buffer, 1, 0);
				return 0;
			}
			gen_leave(o);
			return 0;
		}
		if (o)
			gen_leave(o);
		/* Stale: a bulk free released it. Its entry goes now, and
		 * the free is one of a buffer not held, as it would be had
		 * the bulk free deleted the entry. */
		if (!bpf_map_delete_elem(&allocs, &key))
			buffer_index__remove(key.pid, &a, o);
	}

	if (free_inherited(&key, (__u32)id))
		return 0;
	/* Allocated before tracing began (or not recorded): never subtract
	 * what we never added; report what the Buffer says. */
	stat_inc(TTBPF_STAT_UNMATCHED_FREES, 1);
	lib = bpf_map_lookup_elem(&libs, &lib_idx);
	if (lib &&
	    read_buffer(ctx, lib, cookie, key.buffer, &a, true, NULL, &dev)) {
		a.allocator = PT_REGS_PARM1(ctx);
		emit(TTBPF_EV_FREE, key.pid, (__u32)id, &a, key.buffer, 0,
		     TTBPF_EVF_UNMATCHED);
	}
	return 0;
}

/* What one release has freed so far, per device row (or mesh chip set)
 * of the releasing thread: sent as struct ttbpf_release_part records
 * before its event. Keyed by thread, so concurrent releases never mix. */
struct release_row_key {
	__u64 id;
	__u64 chips;
	__s32 device;
	__u32 dev_kind;
};

struct release_row {
	__u64 bytes[TTBPF_NR_TYPES];
	__u64 buffers[TTBPF_NR_TYPES];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct release_row_key);
	__type(value, struct release_row);
} release_scratch SEC(".maps");

/* Usage released in one go per device: a release of thousands of buffers
 * updates its two usage rows once, not once per buffer. */
struct release_batch {
	__s32 device;
	__u32 dev_kind;
	__u64 n;
	__u64 bytes[TTBPF_NR_TYPES];
	__u64 buffers[TTBPF_NR_TYPES];
};

/* A walk over the index of one allocator, or of every allocator of a
 * process (then the index goes with it). */
struct release_ctx {
	__u64 ts;
	__u64 id;	 /* pid_tgid of the releasing thread */
	__u32 rows_lost; /* a release_scratch row could not be made */
	__u32 pad;
	__u64 allocator; /* owner being walked, 0: none */
	__u64 bytes;
	__u32 pid;
	__u32 count;
	__u32 page;	  /* next page of the owner */
	__u32 npages;	  /* its pages */
	__u32 next_owner; /* whole process: next entry of its owner list */
	__u32 n_owners;
	__u32 whole_process;
	__u32 in_page; /* bits holds what is left of page */
	__u64 bits;
	__u32 gen; /* the owner's current generation: its held buffers */
	__u32 pad2;
	struct release_batch b;
};

/*
 * No branch below depends on a count: the verifier follows the walk's
 * callback until its states repeat, and a count it must know exactly
 * would never repeat. An empty batch has a device no row has.
 */
#define RELEASE_NO_DEVICE 0xffffffffu

static __always_inline void release_batch_reset(struct release_ctx *rc)
{
	__builtin_memset(&rc->b, 0, sizeof(rc->b));
	rc->b.dev_kind = RELEASE_NO_DEVICE;
}

/*
 * Add @n_type's buffers (count in the low 56 bits, type above) of @bytes
 * to the row of thread @id for @dev (device << 32 | dev_kind) or, for a
 * mesh buffer, @chips. Global, with scalar arguments only: checked once,
 * not at every step of the release walk, whose states it would multiply.
 * Returns 1 when the row could not be made.
 */
__noinline int release_rows__add(__u64 id, __u64 chips, __u64 dev, __u64 n_type,
				 __u64 bytes)
{
	struct release_row_key k = { .id = id,
				     .chips = chips,
				     .device = (__s32)(dev >> 32),
				     .dev_kind = (__u32)dev };
	static const struct release_row zero;
	__u32 t = n_type >> 56;
	__u64 n = n_type & ((1ULL << 56) - 1);
	struct release_row *r;

	if (!emit_events || !n || t >= TTBPF_NR_TYPES)
		return 0;
	r = bpf_map_lookup_elem(&release_scratch, &k);
	if (!r) {
		bpf_map_update_elem(&release_scratch, &k, &zero, BPF_NOEXIST);
		r = bpf_map_lookup_elem(&release_scratch, &k);
		if (!r)
			return 1;
	}
	r->bytes[t] += bytes;
	r->buffers[t] += n;
	return 0;
}

static __noinline void release_flush(struct release_ctx *rc)
{
	struct ttbpf_dev_key dk = { .device = rc->b.device,
				    .dev_kind = rc->b.dev_kind };
	struct ttbpf_proc_key pk = { .pid = rc->pid,
				     .device = rc->b.device,
				     .dev_kind = rc->b.dev_kind };
	__u64 dev = (__u64)(__u32)rc->b.device << 32 | rc->b.dev_kind;
	struct ttbpf_usage *u[2];

	for (int t = 0; t < TTBPF_NR_TYPES; t++)
		rc->rows_lost |= release_rows__add(
			rc->id, 0, dev, (__u64)t << 56 | rc->b.buffers[t],
			rc->b.bytes[t]);
	u[0] = bpf_map_lookup_elem(&dev_usage, &dk);
	u[1] = bpf_map_lookup_elem(&proc_usage, &pk);
	for (int r = 0; r < 2; r++) {
		if (!u[r])
			continue;
		for (int t = 0; t < TTBPF_NR_TYPES; t++) {
			__sync_fetch_and_sub(&u[r]->bytes[t], rc->b.bytes[t]);
			__sync_fetch_and_sub(&u[r]->buffers[t],
					     rc->b.buffers[t]);
		}
		__sync_fetch_and_add(&u[r]->frees, rc->b.n);
		u[r]->last_ts_ns = rc->ts;
	}
	release_batch_reset(rc);
}

static __always_inline void release_add(struct release_ctx *rc,
					const struct ttbpf_alloc *a)
{
	__u32 t = a->type;

	rc->count++;
	rc->bytes += a->size;
	if (t >= TTBPF_NR_TYPES)
		return;
	/* A mesh buffer: from each of its chips, past the batch. */
	if (a->chips) {
		chips__apply(rc->pid, a, CHIPS_SUB | CHIPS_COUNT_FREE, rc->ts);
		rc->rows_lost |= release_rows__add(
			rc->id, a->chips,
			(__u64)(__u32)a->device << 32 | a->dev_kind,
			(__u64)t << 56 | 1, a->size);
		return;
	}
	if (rc->b.device != a->device || rc->b.dev_kind != a->dev_kind)
		release_flush(rc);
	rc->b.device = a->device;
	rc->b.dev_kind = a->dev_kind;
	rc->b.n++;
	rc->b.bytes[t] += a->size;
	rc->b.buffers[t]++;
}

/* Release up to RELEASE_CHUNK buffers of page rc->page of allocator
 * rc->allocator; the page is done when none of its bits are left. A chunk,
 * not the page: the verifier follows a loop through every iteration, and
 * 64 of this body exceed its limit. */
#define RELEASE_CHUNK 16

static __noinline void release_chunk(struct release_ctx *rc)
{
	struct idx_page_key pk = { .pid = rc->pid,
				   .page = rc->page,
				   .allocator = rc->allocator };
	struct ttbpf_alloc_key key = { .pid = rc->pid };
	struct ttbpf_alloc *a, copy;
	struct ttbpf_owner *o;
	struct idx_page *pg;
	__u32 s;

	pg = bpf_map_lookup_elem(&idx_pages, &pk);
	if (!pg) {
		/* Never made, or a concurrent exit walk has done it. */
		rc->bits = 0;
		rc->in_page = 0;
		rc->page++;
		return;
	}
	/* One allocator: only the pages of its current generation. */
	if (!rc->in_page && !rc->whole_process && pg->gen != rc->gen) {
		rc->page++;
		return;
	}
	if (!rc->in_page) {
		rc->bits = pg->used;
		rc->in_page = 1;
	}
	for (int i = 0; i < RELEASE_CHUNK && rc->bits; i++) {
		s = lowest_bit64(rc->bits);
		rc->bits &= rc->bits - 1;
		key.buffer = pg->buffer[s & IDX_SLOT_MASK];
		/* The slot counts only if the buffer map agrees: it may be
		 * claimed and not yet recorded, or freed meanwhile. */
		a = bpf_map_lookup_elem(&allocs, &key);
		if (!a || a->allocator != rc->allocator ||
		    a->slot != rc->page * TTBPF_INDEX_SLOTS + s)
			continue;
		copy = *a;
		/* A stale entry (an ended generation) is only deleted, and
		 * only by the walk of the whole process. */
		if (copy.gen != rc->gen && !rc->whole_process)
			continue;
		/* Only the CPU whose delete succeeds subtracts: a free, an
		 * exit and a bulk free may race on the same buffer. */
		if (bpf_map_delete_elem(&allocs, &key))
			continue;
		__sync_fetch_and_and(&pg->used, ~(1ULL << s));
		if (copy.gen != rc->gen)
			continue;
		if (!rc->whole_process) {
			o = buffer_index__owner(rc->pid, rc->allocator);
			if (o)
				gen_bank_sub(o, &copy);
		}
		release_add(rc, &copy);
	}
	if (rc->bits)
		return;
	if (rc->whole_process)
		bpf_map_delete_elem(&idx_pages, &pk);
	rc->in_page = 0;
	rc->page++;
}

/* One step of the walk: a page, or moving on to the process's next
 * allocator. Returns 1 when the walk is done. */
static long release_step(struct bpf_map *map, __u32 *idx, __u8 *val,
			 struct release_ctx *rc)
{
	struct idx_proc_owner_key pk = { .pid = rc->pid };
	struct ttbpf_owner_key ok = { .pid = rc->pid };
	struct ttbpf_owner *o;
	__u64 *allocator;

	if (rc->allocator && rc->page < rc->npages) {
		release_chunk(rc);
		return 0;
	}
	if (!rc->whole_process)
		return 1;
	if (rc->allocator) {
		ok.allocator = rc->allocator;
		bpf_map_delete_elem(&owners, &ok);
	}
	if (rc->next_owner >= rc->n_owners)
		return 1;
	pk.n = rc->next_owner++;
	allocator = bpf_map_lookup_elem(&idx_proc_owners, &pk);
	rc->allocator = allocator ? *allocator : 0;
	bpf_map_delete_elem(&idx_proc_owners, &pk);
	ok.allocator = rc->allocator;
	o = rc->allocator ? bpf_map_lookup_elem(&owners, &ok) : NULL;
	rc->npages = o ? o->npages : 0;
	rc->page = o ? o->reclaimed : 0;
	rc->gen = o ? TTBPF_GEN(o->genword) : 0;
	return 0;
}

/* Release what the index holds for rc->allocator of rc->pid, or for every
 * allocator of rc->pid: the cost is their pages and buffers. */
static __always_inline void release_walk(struct release_ctx *rc)
{
	struct ttbpf_owner_key ok = { .pid = rc->pid,
				      .allocator = rc->allocator };
	struct ttbpf_owner *o;
	struct idx_proc *proc;

	if (rc->whole_process) {
		proc = bpf_map_lookup_elem(&idx_procs, &rc->pid);
		if (!proc)
			return;
		rc->n_owners = proc->n_owners;
	} else {
		o = bpf_map_lookup_elem(&owners, &ok);
		if (!o)
			return;
		rc->npages = o->npages;
		rc->page = o->reclaimed;
		rc->gen = TTBPF_GEN(o->genword);
	}
	release_batch_reset(rc);
	bpf_for_each_map_elem(&idx_loop, release_step, rc, 0);
	release_flush(rc);
}

struct send_parts_ctx {
	__u64 id;
	__u64 ts; /* the release's stamp: its parts and its event carry it */
	__u32 n;
};

static long send_part(struct bpf_map *map, struct release_row_key *k,
		      struct release_row *r, struct send_parts_ctx *c)
{
	struct ttbpf_release_part *p;

	if (k->id != c->id)
		return 0;
	c->n++;
	p = bpf_ringbuf_reserve(&events, sizeof(*p), 0);
	if (p) {
		p->id = k->id;
		p->chips = k->chips;
		p->device = k->device;
		p->dev_kind = k->dev_kind;
		p->ts_ns = c->ts;
		__builtin_memcpy(p->bytes, r->bytes, sizeof(p->bytes));
		__builtin_memcpy(p->buffers, r->buffers, sizeof(p->buffers));
		bpf_ringbuf_submit(p, BPF_RB_NO_WAKEUP);
	} else {
		stat_inc(TTBPF_STAT_EVENTS_DROPPED, 1);
	}
	bpf_map_delete_elem(map, k);
	return 0;
}

/* The event of a release, after its parts: how many were sent, and
 * whether any row could not be kept. */
static __always_inline void emit_release(__u8 kind, struct release_ctx *rc,
					 struct ttbpf_alloc *a)
{
	struct send_parts_ctx c = { .id = rc->id, .ts = bpf_ktime_get_ns() };
	struct ttbpf_event *e;

	if (!emit_events)
		return;
	bpf_for_each_map_elem(&release_scratch, send_part, &c, 0);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_inc(TTBPF_STAT_EVENTS_DROPPED, 1);
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = c.ts;
	e->pid = rc->pid;
	e->tid = (__u32)rc->id;
	e->kind = kind;
	e->flags = rc->rows_lost ? TTBPF_EVF_PARTS_LOST : 0;
	e->count = rc->count;
	e->parts = c.n;
	e->size = a->size;
	e->allocator = a->allocator;
	e->device = -1;
	e->stack_id = -1;
	e->dev_kind = TTBPF_DEV_UNKNOWN;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
}

/* What an ended generation held (gen_close()) out of the rows it was
 * counted in, as release_add() would have taken it buffer by buffer. */
static __always_inline void release_bank(struct release_ctx *rc,
					 const struct ttbpf_gen_bank *b)
{
	__u64 dev = (__u64)(__u32)b->device << 32 | b->dev_kind;

	for (int t = 0; t < TTBPF_NR_TYPES; t++) {
		__u64 n = b->buffers[t], bytes = b->bytes[t];

		if (!n)
			continue;
		rc->count += n;
		rc->bytes += bytes;
		if (b->chips)
			gen_chips__sub((__u64)rc->pid << 32 | t, b->chips, n,
				       bytes, rc->ts);
		else
			gen_rows__sub((__u64)rc->pid << 32 | (__u32)b->device,
				      (__u64)b->dev_kind << 8 | t, n, bytes,
				      rc->ts);
		rc->rows_lost |= release_rows__add(rc->id, b->chips, dev,
						   (__u64)t << 56 | n, bytes);
	}
}

SEC("uprobe")
int BPF_KPROBE(bulk_free)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct release_ctx rc = { .pid = id >> 32, .id = id };
	struct ttbpf_gen_bank bank;
	struct ttbpf_alloc a = {};
	struct ttbpf_owner *o;

	if (!pid_wanted(rc.pid))
		return 0;
	rc.allocator = PT_REGS_PARM1(ctx);
	if (!rc.allocator)
		return 0;
	buffer_index__dev_forget(rc.pid, rc.allocator);
	if (!bpf_map_lookup_elem(&traced_pids, &rc.pid))
		return 0;
	o = buffer_index__owner(rc.pid, rc.allocator);
	if (!o)
		return 0;
	rc.ts = bpf_ktime_get_ns();
	if (gen_close(rc.pid, rc.allocator, o, &bank)) {
		release_bank(&rc, &bank);
	} else {
		release_walk(&rc);
		gen_renew(rc.pid, rc.allocator, o);
	}
	if (!rc.count)
		return 0;
	stat_inc(TTBPF_STAT_BULK_FREED, rc.count);
	a.size = rc.bytes;
	a.allocator = rc.allocator;
	emit_release(TTBPF_EV_BULK_FREE, &rc, &a);
	return 0;
}

/* Take back what alloc_entry counted for @p, which failed. */
static __always_inline void undo_alloc(__u32 pid, struct ttbpf_pending *p)
{
	struct ttbpf_alloc_key key = { .pid = pid, .buffer = p->buffer };
	struct ttbpf_alloc *cur = bpf_map_lookup_elem(&allocs, &key), copy;
	struct ttbpf_owner *o;

	/* Ours, and not released meanwhile by an exit or a bulk free: only
	 * the CPU whose delete succeeds subtracts. */
	if (!cur || cur->ts_ns != p->a.ts_ns || cur->tid != p->a.tid)
		return;
	copy = *cur;
	o = buffer_index__owner(pid, copy.allocator);
	if (!o)
		return;
	/* Released meanwhile by a bulk free (stale): already taken. */
	if (gen_enter(o) != copy.gen || bpf_map_delete_elem(&allocs, &key)) {
		gen_leave(o);
		return;
	}
	buffer_index__remove(pid, &copy, o);
	if (p->a.chips)
		chips__apply(pid, &p->a, CHIPS_UNDO, 0);
	else
		account_unadd_one(pid, &p->a, p->peak_was, p->peak_now, true);
	gen_bank_sub(o, &copy);
	gen_leave(o);
	stat_inc(TTBPF_STAT_ALLOCS, -1);
}

/*
 * A throw while the thread's last allocate_buffer call is still running
 * is its failure. The call still runs when the throw is deeper on the
 * stack than its entry and the return address it was called with is still
 * in place: after it returned, any call from the frame it returned to,
 * __cxa_throw's own included, overwrites that slot. Only this path is
 * slow (__cxa_throw's first instruction is single-stepped) and it is rare.
 */
SEC("uprobe")
int BPF_KPROBE(throw_entry)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct ttbpf_pending *p = pending_of_current(false);
	__u64 slot;

	if (!p || !p->active)
		return 0;
	p->active = 0;
	if (PT_REGS_SP(ctx) >= p->sp)
		return 0;
	if (p->ret && (read_u64(&slot, p->sp) || slot != p->ret))
		return 0;
	if (p->counted == PENDING_COUNTED) {
		undo_alloc(id >> 32, p);
		stat_inc(TTBPF_STAT_ALLOC_FAILED, 1);
	} else {
		/* It was never to be recorded: not a buffer the full map
		 * lost. */
		if (p->counted == PENDING_MAP_FULL)
			stat_inc(TTBPF_STAT_ALLOCS_MAP_FULL, -1);
		count_failure(id >> 32, &p->a);
	}
	emit(TTBPF_EV_ALLOC_FAILED, id >> 32, (__u32)id, &p->a, p->buffer, 0,
	     0);
	return 0;
}

static long drop_proc_row(struct bpf_map *map, struct ttbpf_proc_key *key,
			  struct ttbpf_usage *u, __u32 *pid)
{
	if (key->pid == *pid)
		bpf_map_delete_elem(map, key);
	return 0;
}

struct drop_rows_ctx {
	__u32 pid;
	__u32 n;
	bool rows; /* delete the usage rows, not only their list */
};

static long drop_listed_row(struct bpf_map *map, __u32 *idx, __u8 *val,
			    struct drop_rows_ctx *c)
{
	struct idx_proc_owner_key lk = { .pid = c->pid, .n = *idx };
	struct ttbpf_proc_key pk = { .pid = c->pid };
	struct ttbpf_dev_key *dk;

	if (*idx >= c->n)
		return 1;
	dk = bpf_map_lookup_elem(&idx_proc_rows, &lk);
	if (!dk)
		return 0;
	pk.device = dk->device;
	pk.dev_kind = dk->dev_kind;
	if (c->rows)
		bpf_map_delete_elem(&proc_usage, &pk);
	bpf_map_delete_elem(&idx_proc_rows, &lk);
	return 0;
}

/* Drop what the index keeps for @pid and, with @rows, its usage rows: the
 * rows it listed, or all rows of @pid when one could not be listed. */
static __always_inline void drop_process(__u32 pid, bool rows)
{
	struct idx_proc *proc = bpf_map_lookup_elem(&idx_procs, &pid);
	struct drop_rows_ctx c = { .pid = pid, .rows = rows };

	if (proc) {
		c.n = proc->n_rows;
		bpf_for_each_map_elem(&idx_loop, drop_listed_row, &c, 0);
	}
	if (rows && (!proc || proc->rows_lost))
		bpf_for_each_map_elem(&proc_usage, drop_proc_row, &pid, 0);
	bpf_map_delete_elem(&idx_procs, &pid);
}

/* Release every buffer of @rc->pid and drop its rows: the process, or its
 * image, is gone. */
static __always_inline void process_release(struct release_ctx *rc)
{
	rc->whole_process = 1;
	release_walk(rc);
	/* Kept rows hold what the process did, for the trace's summary: it
	 * collects them once traced_pids no longer names the process. */
	drop_process(rc->pid, !cfg.keep_exit_rows);
	bpf_map_delete_elem(&traced_pids, &rc->pid);
}

/* One event for what a process-wide release freed, over all devices. */
static __always_inline void emit_released(__u8 kind, struct release_ctx *rc)
{
	struct ttbpf_alloc a = { .size = rc->bytes };

	emit_release(kind, rc, &a);
}

/*
 * Threads killed together (SIGKILL) may each find the process's live count
 * at 0 when they pass the exit tracepoint: the one whose claim here
 * succeeds releases, so the process has one exit event. The claim goes at
 * the end of the release; a thread that comes later finds nothing left.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} exit_claims SEC(".maps");

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *task)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct release_ctx rc = { .pid = id >> 32, .id = id };
	__u8 one = 1;
	long claim;
	int live;

	/* The thread's pending slot goes with the task itself. */
	if (!pid_wanted(rc.pid))
		return 0;
	/* Only when the last thread of the process goes. */
	live = BPF_CORE_READ(task, signal, live.counter);
	if (live)
		return 0;
	/* A later process with this pid is inspected anew: pyframes.bpf.h */
	py_forget(rc.pid);
	if (cfg.follow_tree)
		bpf_map_delete_elem(&tree_pids, &rc.pid);
	if (!bpf_map_lookup_elem(&traced_pids, &rc.pid))
		return 0;
	/* Full: every claimant releases, as before claims (still exact). */
	claim = bpf_map_update_elem(&exit_claims, &rc.pid, &one, BPF_NOEXIST);
	if (claim == -EEXIST)
		return 0;
	rc.ts = bpf_ktime_get_ns();
	process_release(&rc);
	if (rc.count) {
		stat_inc(TTBPF_STAT_EXIT_FREED, rc.count);
		emit_released(TTBPF_EV_EXIT, &rc);
	}
	if (!claim)
		bpf_map_delete_elem(&exit_claims, &rc.pid);
	return 0;
}

/*
 * exec() replaces the image: the allocator and every Buffer of the old
 * program are gone with it, as at exit, though the process lives on.
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *task, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct release_ctx rc = { .pid = id >> 32, .id = id };
	struct ttbpf_pending *p;

	if (!pid_wanted(rc.pid))
		return 0;
	if (py_frames_on)
		py_exec(rc.pid, bprm);
	if (!bpf_map_lookup_elem(&traced_pids, &rc.pid))
		return 0;
	/* An allocation parked by the old image never returns: not a
	 * failure of the new one. */
	p = pending_of_current(false);
	if (p)
		p->active = 0;
	rc.ts = bpf_ktime_get_ns();
	process_release(&rc);
	stat_inc(TTBPF_STAT_EXEC_FREED, rc.count);
	emit_released(TTBPF_EV_EXEC, &rc);
	return 0;
}

/* Threads share the tgid and are traced with it: only new processes are
 * added. An exec keeps the pid, so a wrapper's command stays in the tree. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ppid = parent->tgid, cpid = child->tgid;
	__u8 one = 1;

	if (ppid == cpid || !pid_wanted(ppid))
		return 0;
	if (cfg.follow_tree &&
	    bpf_map_update_elem(&tree_pids, &cpid, &one, BPF_ANY))
		stat_inc(TTBPF_STAT_TREE_MAP_FULL, 1);
	if (py_frames_on && pid_wanted(cpid))
		py_fork(ppid, cpid);
	return 0;
}
