/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Generations of an allocator (struct ttbpf_owner in ttbpf.h): a device
 * close costs what the allocator's index pages cost, not a map operation
 * per buffer.
 *
 * Every counted buffer is stamped with its owner's current generation and
 * added to that generation's totals (a bank). A bulk free ends the
 * generation: it subtracts the bank from the usage rows in one go and
 * starts the next one. The buffer map entries of the ended generation stay
 * behind, stale: every reader skips them, a free or a new allocation at
 * the same key takes them, the owner's process exit deletes them, and
 * later allocations reclaim a few at a time from the "idx_retired" queue.
 *
 * Who subtracts a buffer: an allocation or free enters the generation
 * (genword's in-flight count) before it stamps, adds or checks, and leaves
 * after. A bulk free ends the generation only with a compare-and-swap that
 * sees nothing in flight and no entry since it read the bank, so the bank
 * it read is exactly what the generation holds. Otherwise (or when the
 * generation's buffers are not all on one device row or chip set) it takes
 * the old way: a walk that deletes each buffer, whose delete decides.
 *
 * Included by ttbpf.bpf.c after chips.bpf.h.
 */
#ifndef TTBPF_GENERATIONS_BPF_H
#define TTBPF_GENERATIONS_BPF_H

/* An owner with pages of ended generations, below its base, still there.
 * tag: which owner of that pid and allocator address (ttbpf_owner.tag). */
struct gen_retired {
	__u32 pid;
	__u32 tag;
	__u64 allocator;
};

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, TTBPF_MAX_OWNERS * 4);
	__type(value, struct gen_retired);
} idx_retired SEC(".maps");

/* Records in idx_retired: allocations help only while there are some. */
__u64 retired_queued;

/* Stale entries looked at per reclaim step: bounds what one allocation
 * pays for reclaiming. */
#define GEN_RECLAIM_STEP 8

/*
 * A generation number no owner has had: each draw reserves two, and the
 * low bit of the new one flips from @g, so that it picks the other bank.
 * Unique, so that an entry outliving its process (pid reused, allocator
 * at the same address) can never match a new owner's generation.
 */
static __always_inline __u32 gen_next(__u32 g)
{
	return ((__u32)__sync_fetch_and_add(&owner_gens, 2) & ~1u) |
	       ((g & 1) ^ 1);
}

/* Enter @o's current generation; returns it. */
static __always_inline __u32 gen_enter(struct ttbpf_owner *o)
{
	return TTBPF_GEN(__sync_fetch_and_add(&o->genword,
					      TTBPF_GEN_BUSY | TTBPF_GEN_SEQ));
}

static __always_inline void gen_leave(struct ttbpf_owner *o)
{
	__sync_fetch_and_sub(&o->genword, TTBPF_GEN_BUSY);
}

/* Whether @a, an entry of @pid, is still held: its generation is its
 * owner's current one. */
static __always_inline bool gen_held(__u32 pid, const struct ttbpf_alloc *a)
{
	struct ttbpf_owner_key ok = { .pid = pid, .allocator = a->allocator };
	struct ttbpf_owner *o = bpf_map_lookup_elem(&owners, &ok);

	return o && TTBPF_GEN(IDX_ONCE(o->genword)) == a->gen;
}

/* Add @a, just counted, to its generation's bank (inside gen_enter()). */
static __always_inline void gen_bank_add(struct ttbpf_owner *o,
					 const struct ttbpf_alloc *a)
{
	struct ttbpf_gen_bank *b = &o->bank[a->gen & 1];
	__u32 t = a->type, st;

	if (t >= TTBPF_NR_TYPES) {
		/* Counted nowhere, but a close would count it released. */
		b->id_state = TTBPF_GEN_ID_MIXED;
		return;
	}
	__sync_fetch_and_add(&b->bytes[t], a->size);
	__sync_fetch_and_add(&b->buffers[t], 1);
	st = IDX_ONCE(b->id_state);
	if (st == TTBPF_GEN_ID_UNSET) {
		st = __sync_val_compare_and_swap(
			&b->id_state, TTBPF_GEN_ID_UNSET, TTBPF_GEN_ID_WRITING);
		if (st == TTBPF_GEN_ID_UNSET) {
			b->device = a->device;
			b->dev_kind = a->dev_kind;
			b->chips = a->chips;
			/* Fails when another CPU found it half-written:
			 * mixed. */
			__sync_val_compare_and_swap(&b->id_state,
						    TTBPF_GEN_ID_WRITING,
						    TTBPF_GEN_ID_SET);
			return;
		}
		/* Another CPU's first buffer won: compare with it. */
	}
	for (int i = 0; i < 4 && st == TTBPF_GEN_ID_WRITING; i++)
		st = IDX_ONCE(b->id_state);
	if (st == TTBPF_GEN_ID_SET && b->device == a->device &&
	    b->dev_kind == a->dev_kind && b->chips == a->chips)
		return;
	if (st != TTBPF_GEN_ID_MIXED)
		b->id_state = TTBPF_GEN_ID_MIXED;
}

/* Take @a, which this CPU deleted, from its generation's bank. */
static __always_inline void gen_bank_sub(struct ttbpf_owner *o,
					 const struct ttbpf_alloc *a)
{
	struct ttbpf_gen_bank *b = &o->bank[a->gen & 1];
	__u32 t = a->type;

	if (t >= TTBPF_NR_TYPES)
		return;
	__sync_fetch_and_sub(&b->bytes[t], a->size);
	__sync_fetch_and_sub(&b->buffers[t], 1);
}

/* Queue @o, owner of (@pid, @allocator), for reclaiming the pages of its
 * ended generations (below its base). */
static __always_inline void gen_retire(__u32 pid, __u64 allocator,
				       struct ttbpf_owner *o)
{
	struct gen_retired r = { .pid = pid,
				 .tag = o->tag,
				 .allocator = allocator };

	/* Queue full: its next close queues it again, or its exit or its
	 * frees take them. */
	if (o->reclaimed >= o->base ||
	    __sync_val_compare_and_swap(&o->queued, 0, 1))
		return;
	if (!bpf_map_push_elem(&idx_retired, &r, 0))
		__sync_fetch_and_add(&retired_queued, 1);
	else
		__sync_fetch_and_and(&o->queued, 0);
}

/* The generation whose bank is @b has just ended, with pages below @end:
 * empty the bank for the one after next, and give the next one pages of
 * its own. */
static __always_inline void gen_started(struct ttbpf_owner *o,
					struct ttbpf_gen_bank *b, __u32 end)
{
	__builtin_memset(b, 0, sizeof(*b));
	o->base = end;
	o->hint = end;
}

/*
 * End @o's current generation if nothing is in flight and all its
 * buffers are on one device row or chip set; then @bank holds what it
 * released and its pages are queued for reclaiming. Else false, nothing
 * changed.
 */
static __always_inline bool gen_close(__u32 pid, __u64 allocator,
				      struct ttbpf_owner *o,
				      struct ttbpf_gen_bank *bank)
{
	__u64 w = IDX_ONCE(o->genword);
	/* Read after the word: a page made by an allocation that left the
	 * generation before that read is in it; one made later entered
	 * after the read, and the compare-and-swap below fails. */
	__u32 end = IDX_ONCE(o->npages);
	__u32 g = TTBPF_GEN(w), st;
	struct ttbpf_gen_bank *b = &o->bank[g & 1];

	if (w & TTBPF_GEN_BUSY_MASK)
		return false;
	st = IDX_ONCE(b->id_state);
	if (st == TTBPF_GEN_ID_WRITING || st == TTBPF_GEN_ID_MIXED)
		return false;
	/* Nothing entered since the read (the sequence would differ), and
	 * nothing enters it now. */
	if (__sync_val_compare_and_swap(
		    &o->genword, w, (w & ~0xffffffffULL) | gen_next(g)) != w)
		return false;
	/* Copied after the swap: no one can change the bank any more. */
	*bank = *b;
	gen_started(o, b, end);
	gen_retire(pid, allocator, o);
	return true;
}

/*
 * After a walk released @o's generation buffer by buffer: start the next
 * one if the walk left it empty and nothing is in flight, so that its
 * next close can take the fast way again; the emptied pages are queued.
 */
static __always_inline void gen_renew(__u32 pid, __u64 allocator,
				      struct ttbpf_owner *o)
{
	__u64 w = IDX_ONCE(o->genword);
	__u32 end = IDX_ONCE(o->npages);
	__u32 g = TTBPF_GEN(w);
	struct ttbpf_gen_bank *b = &o->bank[g & 1];

	if (w & TTBPF_GEN_BUSY_MASK)
		return;
	for (int t = 0; t < TTBPF_NR_TYPES; t++)
		if (b->buffers[t])
			return;
	if (__sync_val_compare_and_swap(
		    &o->genword, w, (w & ~0xffffffffULL) | gen_next(g)) != w)
		return;
	gen_started(o, b, end);
	gen_retire(pid, allocator, o);
}

/*
 * Subtract @n buffers of type t and @bytes from the device row and the
 * process row of (@pid_dev: pid << 32 | device, @kind_t: kind << 8 | t),
 * counting them as freed. Global, with scalar arguments: checked once.
 */
__noinline int gen_rows__sub(__u64 pid_dev, __u64 kind_t, __u64 n, __u64 bytes,
			     __u64 ts)
{
	struct ttbpf_dev_key dk = { .device = (__s32)pid_dev,
				    .dev_kind = (__u32)(kind_t >> 8) };
	struct ttbpf_proc_key pk = { .pid = pid_dev >> 32,
				     .device = (__s32)pid_dev,
				     .dev_kind = (__u32)(kind_t >> 8) };
	__u32 t = kind_t & 0xff;
	struct ttbpf_usage *u[2];

	if (t >= TTBPF_NR_TYPES || !n)
		return 0;
	barrier_var(t);
	u[0] = bpf_map_lookup_elem(&dev_usage, &dk);
	u[1] = bpf_map_lookup_elem(&proc_usage, &pk);
	for (int r = 0; r < 2; r++) {
		if (!u[r])
			continue;
		__sync_fetch_and_sub(&u[r]->bytes[t], bytes);
		__sync_fetch_and_sub(&u[r]->buffers[t], n);
		__sync_fetch_and_add(&u[r]->frees, n);
		u[r]->last_ts_ns = ts;
	}
	return 0;
}

/* The same on each chip of @chips (a mesh generation); @pid_t: pid << 32
 * | t. */
__noinline int gen_chips__sub(__u64 pid_t, __u64 chips, __u64 n, __u64 bytes,
			      __u64 ts)
{
	__u64 pid = pid_t >> 32, kind_t = TTBPF_DEV_CHIP << 8 | (pid_t & 0xff);

	for (int i = 0; i < TTBPF_MAX_CHIPS; i++) {
		if (!(chips >> i))
			break;
		if ((chips >> i) & 1)
			gen_rows__sub(pid << 32 | (__u32)i, kind_t, n, bytes,
				      ts);
	}
	return 0;
}

/*
 * Look at up to GEN_RECLAIM_STEP slots of @o's oldest page below its base
 * and delete the stale entries among them; the page goes when all are
 * seen. Pages go in order, so "below reclaimed" is exactly what is gone.
 * Returns whether pages are left. Only one CPU at a time (reclaiming).
 */
static __always_inline bool gen_reclaim_owner(const struct gen_retired *r,
					      struct ttbpf_owner *o)
{
	struct idx_page_key pk = { .pid = r->pid,
				   .page = o->reclaimed,
				   .allocator = r->allocator };
	struct ttbpf_alloc_key key = { .pid = r->pid };
	struct ttbpf_alloc *a;
	struct idx_page *pg;
	__u64 left;
	__u32 s;

	if (pk.page >= o->base)
		return false;
	pg = bpf_map_lookup_elem(&idx_pages, &pk);
	left = pg ? (o->reclaim_left ?: pg->used) : 0;
	for (int i = 0; i < GEN_RECLAIM_STEP && left; i++) {
		s = lowest_bit64(left);
		left &= left - 1;
		key.buffer = pg->buffer[s & IDX_SLOT_MASK];
		a = bpf_map_lookup_elem(&allocs, &key);
		/* The page's generation has ended: its entries are stale. */
		if (a && a->allocator == r->allocator && a->gen == pg->gen &&
		    a->slot == pk.page * TTBPF_INDEX_SLOTS + s)
			bpf_map_delete_elem(&allocs, &key);
	}
	o->reclaim_left = left;
	if (left)
		return true;
	if (pg)
		bpf_map_delete_elem(&idx_pages, &pk);
	o->reclaimed = pk.page + 1;
	return pk.page + 1 < o->base;
}

/*
 * One step of reclaiming: the oldest queued owner's next few stale
 * entries. A record of an owner that is gone (its exit took its entries)
 * or is another owner at the same pid and address is dropped without
 * costing the step. Global: checked once.
 */
__noinline int gen_reclaim__step(void)
{
	struct ttbpf_owner_key ok = {};
	struct gen_retired r;
	struct ttbpf_owner *o;
	bool more;

	for (int i = 0; i < 4; i++) {
		if (bpf_map_pop_elem(&idx_retired, &r))
			return 0;
		ok.pid = r.pid;
		ok.allocator = r.allocator;
		o = bpf_map_lookup_elem(&owners, &ok);
		if (!o || o->tag != r.tag) {
			__sync_fetch_and_sub(&retired_queued, 1);
			continue;
		}
		/* Another CPU is at it: back in the queue. */
		if (__sync_val_compare_and_swap(&o->reclaiming, 0, 1)) {
			more = true;
		} else {
			more = gen_reclaim_owner(&r, o);
			__sync_fetch_and_and(&o->reclaiming, 0);
		}
		if (more && !bpf_map_push_elem(&idx_retired, &r, 0))
			return 1;
		__sync_fetch_and_sub(&retired_queued, 1);
		__sync_fetch_and_and(&o->queued, 0);
		/* A close since may have found it queued: queue it again. */
		gen_retire(r.pid, r.allocator, o);
		return 1;
	}
	return 1;
}

#endif /* TTBPF_GENERATIONS_BPF_H */
