/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which buffers each allocator of each process holds, so that a process
 * exit (and a device close that cannot end its generation at once, see
 * generations.bpf.h) visits only those buffers instead of walking the
 * whole buffer map (whose cost is its size, not what it holds).
 *
 * Each (pid, allocator) owns pages of TTBPF_INDEX_SLOTS slots: a bitmap of
 * the slots in use and the Buffer* in each. A recorded buffer keeps its
 * slot in ttbpf_alloc.slot. Slots are claimed and released with atomic
 * or/and on the bitmap, so no lock is needed and no CPU waits for another.
 * The buffer map stays the only truth: a slot is trusted only when the
 * buffer map's entry for its Buffer* names the same allocator and slot,
 * and only the CPU whose delete of that entry succeeds subtracts it.
 * Each process lists its allocators, so that its exit finds them.
 * Pages belong to one generation of their owner: a close hands its
 * generation's pages to the reclaim queue and the next generation starts
 * new ones (from owner->base on); pages below owner->reclaimed are gone.
 *
 * Included by ttbpf.bpf.c only: needs its allocs map.
 */
#ifndef TTBPF_BUFFER_INDEX_H
#define TTBPF_BUFFER_INDEX_H

#include "lowest_bit.h"

#define IDX_SLOT_MASK (TTBPF_INDEX_SLOTS - 1)
#define IDX_ONCE(x)   (*(volatile typeof(x) *)&(x))
/* Pages tried before a new one is started: bounds the claim's cost. */
#define IDX_PAGE_TRIES 4

/*
 * An owner also keeps what the allocator's device resolved to, so that the
 * next allocation reads no Device and no mesh chain (read_buffer()). An
 * allocator belongs to one device for its whole life, and ends in a probed
 * bulk free (its destructor, TTBPF_LAYOUT_SEES_DTOR) that empties this
 * before its memory can be reused; the owner itself goes at the process's
 * exit and exec. dev_tag: the Device* it is of, or one of these.
 */
#define IDX_DEV_NONE	0
#define IDX_DEV_WRITING 1

struct idx_page_key {
	__u32 pid;
	__u32 page;
	__u64 allocator;
};

struct idx_page {
	__u64 used; /* bit i: slot i holds a buffer */
	__u32 gen;  /* the owner's generation whose buffers it takes */
	__u32 pad;
	__u64 buffer[TTBPF_INDEX_SLOTS];
};

struct idx_proc_owner_key {
	__u32 pid;
	__u32 n; /* the process's n-th allocator */
};

/* Pinned: readers need each owner's generation. The "idx_" maps are
 * internal (the loader pins none). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TTBPF_MAX_OWNERS);
	__type(key, struct ttbpf_owner_key);
	__type(value, struct ttbpf_owner);
} owners SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TTBPF_INDEX_PAGES(TTBPF_DEFAULT_MAX_BUFFERS));
	__type(key, struct idx_page_key);
	__type(value, struct idx_page);
} idx_pages SEC(".maps");

/* What a process's exit must find: its allocators (idx_proc_owners) and
 * its usage rows (idx_proc_rows), each a list of n entries. */
struct idx_proc {
	__u32 n_owners;
	__u32 n_rows;
	__u32 rows_lost; /* a row is not listed: its exit walks proc_usage */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TTBPF_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct idx_proc);
} idx_procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TTBPF_MAX_PROCS);
	__type(key, struct idx_proc_owner_key);
	__type(value, struct ttbpf_dev_key);
} idx_proc_rows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TTBPF_MAX_OWNERS);
	__type(key, struct idx_proc_owner_key);
	__type(value, __u64);
} idx_proc_owners SEC(".maps");

/*
 * A loop counter for walks longer than the verifier unrolls: walking an
 * array with bpf_for_each_map_elem runs the callback once per element
 * until it returns 1 (kernel 5.13, where bpf_loop needs 5.17). One step
 * per quarter page and two per owner: TTBPF_INDEX_STEPS.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TTBPF_INDEX_STEPS(TTBPF_DEFAULT_MAX_BUFFERS));
	__type(key, __u32);
	__type(value, __u8);
} idx_loop SEC(".maps");

static const struct idx_page idx_zero_page;

/* Generation numbers handed out so far, two at a time (gen_next()). */
__u64 owner_gens = 2;

static __always_inline struct idx_proc *idx_proc_get(__u32 pid)
{
	struct idx_proc zero = {};

	bpf_map_update_elem(&idx_procs, &pid, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&idx_procs, &pid);
}

/* The owner record of (@pid, @allocator) if there is one. */
static __always_inline struct ttbpf_owner *buffer_index__owner(__u32 pid,
							       __u64 allocator)
{
	struct ttbpf_owner_key ok = { .pid = pid, .allocator = allocator };

	return bpf_map_lookup_elem(&owners, &ok);
}

/* The owner record of (@pid, @allocator), created and listed under the
 * process on first use; NULL when the owner or process list is full. */
static __always_inline struct ttbpf_owner *idx_owner_get(__u32 pid,
							 __u64 allocator)
{
	struct ttbpf_owner_key ok = { .pid = pid, .allocator = allocator };
	struct idx_proc_owner_key pk = { .pid = pid };
	struct ttbpf_owner zero = {}, *o;
	struct idx_proc *proc;

	o = bpf_map_lookup_elem(&owners, &ok);
	if (o)
		return o;
	/* A generation no owner has had (see gen_next()), bank 0. */
	zero.genword = (__u32)__sync_fetch_and_add(&owner_gens, 2) & ~1u;
	zero.tag = (__u32)zero.genword;
	/* Only the CPU that creates the owner lists it: once per owner. */
	if (bpf_map_update_elem(&owners, &ok, &zero, BPF_NOEXIST))
		return bpf_map_lookup_elem(&owners, &ok);
	proc = idx_proc_get(pid);
	if (proc) {
		pk.n = __sync_fetch_and_add(&proc->n_owners, 1);
		if (!bpf_map_update_elem(&idx_proc_owners, &pk, &allocator,
					 BPF_ANY))
			return bpf_map_lookup_elem(&owners, &ok);
	}
	/* Unlisted, its exit would not find it: do not use it. */
	bpf_map_delete_elem(&owners, &ok);
	return NULL;
}

/* Claim a free slot of page @page for @buffer; -1 when it is full. */
static __always_inline int idx_claim(struct idx_page *pg, __u32 page,
				     __u64 buffer)
{
	for (int i = 0; i < 4; i++) {
		__u64 used = pg->used, bit;
		__u32 s;

		if (used == ~0ULL)
			return -1;
		s = lowest_bit64(~used);
		bit = 1ULL << s;
		/* Another CPU may take the same bit first: then try again. */
		if (__sync_fetch_and_or(&pg->used, bit) & bit)
			continue;
		pg->buffer[s & IDX_SLOT_MASK] = buffer;
		return (int)(page * TTBPF_INDEX_SLOTS + s);
	}
	return -1;
}

/*
 * Put the buffer about to be recorded at @key into its allocator's index
 * and note the slot in @a->slot. Call before the buffer map insert: a
 * walk that meets the slot first finds no entry yet and leaves it alone.
 * Returns 0, or -1 when the index is full (then record nothing).
 */
static __always_inline int buffer_index__add(const struct ttbpf_alloc_key *key,
					     struct ttbpf_alloc *a,
					     struct ttbpf_owner *o)
{
	struct idx_page_key pk = { .pid = key->pid, .allocator = a->allocator };
	struct idx_page *pg;
	__u32 page, npages, base;
	int slot;

	if (!o)
		return -1;
	/* The page a release last freed a slot in, then the next ones of
	 * the current generation (from base on). */
	npages = o->npages;
	base = o->base;
	page = o->hint;
	for (int i = 0; i < IDX_PAGE_TRIES && npages > base; i++) {
		pk.page = page < npages && page >= base ? page : base;
		pg = bpf_map_lookup_elem(&idx_pages, &pk);
		if (pg && pg->gen == a->gen) {
			slot = idx_claim(pg, pk.page, key->buffer);
			if (slot >= 0) {
				if (pk.page != o->hint)
					o->hint = pk.page;
				goto found;
			}
		}
		page = pk.page + 1;
	}
	/* All tried pages full: start a page of our own. */
	pk.page = __sync_fetch_and_add(&o->npages, 1);
	if (bpf_map_update_elem(&idx_pages, &pk, &idx_zero_page, BPF_NOEXIST))
		return -1;
	pg = bpf_map_lookup_elem(&idx_pages, &pk);
	if (!pg)
		return -1;
	pg->gen = a->gen;
	slot = idx_claim(pg, pk.page, key->buffer);
	if (slot < 0)
		return -1;
	o->hint = pk.page;
found:
	a->slot = slot;
	return 0;
}

/* Free the slot of @a, a buffer of @pid: only after its buffer map entry
 * was deleted, and only by the CPU whose delete succeeded. The claim finds
 * a page with room from the hint on; only a page of the current generation
 * that was full needs to become the hint (saves the owner lookup on almost
 * every free). @o: its owner if the caller has it, else NULL. */
static __always_inline void buffer_index__remove(__u32 pid,
						 const struct ttbpf_alloc *a,
						 struct ttbpf_owner *o)
{
	struct idx_page_key pk = { .pid = pid,
				   .page = a->slot / TTBPF_INDEX_SLOTS,
				   .allocator = a->allocator };
	struct ttbpf_owner_key ok = { .pid = pid, .allocator = a->allocator };
	struct idx_page *pg;
	__u64 was;

	if (a->slot == TTBPF_NO_SLOT)
		return;
	pg = bpf_map_lookup_elem(&idx_pages, &pk);
	if (!pg)
		return;
	was = __sync_fetch_and_and(&pg->used,
				   ~(1ULL << (a->slot & IDX_SLOT_MASK)));
	if (was != ~0ULL)
		return;
	if (!o)
		o = bpf_map_lookup_elem(&owners, &ok);
	if (o && pk.page >= o->base)
		o->hint = pk.page;
}

/* The device @o's allocator resolved to, if known for Device* @dev. */
static __always_inline bool
buffer_index__dev_get(struct ttbpf_owner *o, __u64 dev, struct ttbpf_alloc *a)
{
	if (!o || IDX_ONCE(o->dev_tag) != dev)
		return false;
	a->device = o->device;
	a->dev_kind = o->dev_kind;
	a->chips = o->chips;
	/* Emptied meanwhile (a bulk free): what was read may be torn. */
	barrier();
	return IDX_ONCE(o->dev_tag) == dev;
}

/* Note what Device* @dev resolved to in @a. One writer: whoever moves the
 * tag from none to writing; an empty done meanwhile wins. */
static __always_inline void buffer_index__dev_put(struct ttbpf_owner *o,
						  __u64 dev,
						  const struct ttbpf_alloc *a)
{
	if (!o || dev <= IDX_DEV_WRITING ||
	    __sync_val_compare_and_swap(&o->dev_tag, IDX_DEV_NONE,
					IDX_DEV_WRITING) != IDX_DEV_NONE)
		return;
	o->device = a->device;
	o->dev_kind = a->dev_kind;
	o->chips = a->chips;
	__sync_val_compare_and_swap(&o->dev_tag, IDX_DEV_WRITING, dev);
}

/* The allocator of (@pid, @allocator) is being released or destroyed: its
 * memory may next hold another device's allocator. */
static __always_inline void buffer_index__dev_forget(__u32 pid, __u64 allocator)
{
	struct ttbpf_owner *o = buffer_index__owner(pid, allocator);

	if (o)
		IDX_ONCE(o->dev_tag) = IDX_DEV_NONE;
}

/* List the usage row @pk, just created, under its process: its exit then
 * drops the process's rows without walking everyone's. */
static __always_inline void
buffer_index__add_row(const struct ttbpf_proc_key *pk)
{
	struct idx_proc_owner_key lk = { .pid = pk->pid };
	struct ttbpf_dev_key dk = { .device = pk->device,
				    .dev_kind = pk->dev_kind };
	struct idx_proc *proc = idx_proc_get(pk->pid);

	if (!proc)
		return;
	lk.n = __sync_fetch_and_add(&proc->n_rows, 1);
	if (bpf_map_update_elem(&idx_proc_rows, &lk, &dk, BPF_ANY))
		proc->rows_lost = 1;
}

#endif /* TTBPF_BUFFER_INDEX_H */
