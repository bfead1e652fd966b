/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A buffer allocated through a MeshDevice lives on every chip of that
 * mesh: one allocate_buffer on the mesh's lock-step allocator reserves the
 * same range on each chip. So device rows are chips, and a mesh buffer is
 * counted once on each of them.
 *
 * The chips are read from the mesh itself (a few user reads, see
 * chips__resolve) at the first allocation through an allocator; its index
 * owner keeps the result until the allocator's next bulk free or its
 * destructor (buffer_index.h), so a mesh closed and replaced in the same
 * memory is read anew. The buffer keeps the result as a bit mask of
 * Device::id_ values, and its free, bulk free or exit subtracts from
 * exactly the chips it was added to.
 *
 * Included by ttbpf.bpf.c after the one-row functions (account_add_one(),
 * account_sub_one(), account_unadd_one(), count_failure_one()).
 */
#ifndef TTBPF_CHIPS_BPF_H
#define TTBPF_CHIPS_BPF_H

/* Bytes of a mesh's device vector read at once: 64 chips of 16 bytes. */
#define CHIPS_VEC_MAX (TTBPF_MAX_CHIPS * 16)

struct chips_scratch {
	__u8 vec[CHIPS_VEC_MAX + 16]; /* + 16: any masked offset is readable */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct chips_scratch);
} chips_scratch SEC(".maps");

enum chips_op {
	CHIPS_SUB = 0,
	CHIPS_ADD = 1,	      /* peaks noted in the thread's pending slot */
	CHIPS_FAIL = 2,	      /* count a failure that was never added */
	CHIPS_UNADD = 3,      /* take CHIPS_ADD back: a half-made buffer */
	CHIPS_UNDO = 5,	      /* take CHIPS_ADD back: the allocation failed */
	CHIPS_COUNT_FREE = 8, /* flag: a free, not a replacement */
};

/*
 * One chip's rows. Global, with scalar arguments only: the verifier checks
 * it once, not once per chip of the loop below at every caller. Returns
 * non-zero when CHIPS_ADD could not make the chip's rows.
 */
__noinline int chips__update(__u64 pid_chip, __u64 type_op, __u64 size,
			     __u64 ts)
{
	struct ttbpf_alloc one = {};
	__u32 pid = pid_chip >> 32, op = type_op & 0xff;
	__u32 type = (type_op >> 8) & 0xff, chip = pid_chip & 0xffffffff;
	struct ttbpf_pending *p;

	/* Checked here too: the verifier knows nothing of a global's args. */
	if (type >= TTBPF_NR_TYPES || chip >= TTBPF_MAX_CHIPS)
		return -1;
	barrier_var(type);
	one.device = (__s32)chip;
	one.dev_kind = TTBPF_DEV_CHIP;
	one.type = type;
	one.size = size;
	switch (op & 7) {
	case CHIPS_FAIL:
		count_failure_one(pid, &one);
		return 0;
	case CHIPS_SUB:
		account_sub_one(pid, &one, op & CHIPS_COUNT_FREE, ts);
		return 0;
	}
	/* The rest need the peaks of the thread's allocation. */
	p = pending_of_current(false);
	if (!p)
		return -1;
	if (op == CHIPS_ADD)
		return account_add_one(pid, &one, ts, p->chip_peak_was[chip],
				       p->chip_peak_now[chip])
			       ? 0
			       : -1;
	account_unadd_one(pid, &one, p->chip_peak_was[chip],
			  p->chip_peak_now[chip], op == CHIPS_UNDO);
	return 0;
}

/*
 * One update per chip of @chips; stops at the first that fails, and
 * returns the chip it stopped at, or -1. Global too: the release walk
 * calls it inside loops of its own, which a loop over 64 chips inlined
 * there would make too long for the verifier.
 */
__noinline int chips__update_all(__u64 pid_op, __u64 chips, __u64 type,
				 __u64 size, __u64 ts)
{
	__u64 pid = pid_op >> 32,
	      type_op = ((type & 0xff) << 8) | (pid_op & 0xff);

	for (int i = 0; i < TTBPF_MAX_CHIPS; i++) {
		if (!(chips >> i))
			break;
		if (((chips >> i) & 1) &&
		    chips__update((pid << 32) | (__u32)i, type_op, size, ts))
			return i;
	}
	return -1;
}

static __always_inline int chips__apply(__u32 pid, const struct ttbpf_alloc *a,
					__u32 op, __u64 ts)
{
	return chips__update_all(((__u64)pid << 32) | op, a->chips, a->type,
				 a->size, ts);
}

/*
 * Add a mesh buffer to every chip's two rows, or to none: when a chip's
 * rows cannot be made, the chips before it are taken back, so nothing
 * half-added stays.
 */
static __always_inline bool chips__add(__u32 pid, const struct ttbpf_alloc *a,
				       __u64 ts)
{
	struct ttbpf_alloc done = *a;
	int stop = chips__apply(pid, a, CHIPS_ADD, ts);

	if (stop < 0)
		return true;
	done.chips &= (1ULL << (stop & (TTBPF_MAX_CHIPS - 1))) - 1;
	chips__apply(pid, &done, CHIPS_UNADD, ts);
	return false;
}

/*
 * The chips of the MeshDevice at @mesh (@bias: load bias of the library),
 * into @a: device = the lowest Device::id_, chips = all of them when more
 * than one. False when the layout does not say where they are, or any
 * read or check fails: the caller keeps the buffer on a "mesh" row.
 */
static __always_inline bool chips__resolve(const struct ttbpf_layout *l,
					   __u64 mesh, __u64 bias,
					   struct ttbpf_alloc *a)
{
	__u64 obj = mesh, range[2], len, stride, mask = 0, dev, w[4];
	__s32 id_off = l->device_id_off, lo = -1;
	struct chips_scratch *s;
	__u32 zero = 0;

	stride = l->mesh_dev_stride;
	if (l->mesh_devs < 0 || (stride != 8 && stride != 16) || id_off < 0 ||
	    id_off > 24 || l->mesh_dev_local >= (__s32)stride)
		return false;
	if (l->mesh_hop >= 0 &&
	    bpf_probe_read_user(&obj, sizeof(obj),
				(const void *)(mesh + l->mesh_hop)))
		return false;
	if (bpf_probe_read_user(range, sizeof(range),
				(const void *)(obj + l->mesh_devs)))
		return false;
	/* Empty: an uninitialised parent of unit meshes allocates nothing. */
	len = range[1] - range[0];
	if (range[1] <= range[0] || len > CHIPS_VEC_MAX || len % stride)
		return false;
	s = bpf_map_lookup_elem(&chips_scratch, &zero);
	if (!s || bpf_probe_read_user(s->vec, len, (const void *)range[0]))
		return false;
	for (int i = 0; i < TTBPF_MAX_CHIPS; i++) {
		__u64 off = i * stride;
		__s32 id;

		if (off >= len)
			break;
		off &= CHIPS_VEC_MAX - 1;
		if (l->mesh_dev_local >= 0 &&
		    s->vec[(off + l->mesh_dev_local) & (CHIPS_VEC_MAX - 1)] !=
			    1)
			continue; /* a remote chip: another host counts it */
		__builtin_memcpy(&dev, s->vec + off, sizeof(dev));
		/* The vptr and id_ in one read. */
		if (!dev ||
		    bpf_probe_read_user(w, sizeof(w), (const void *)dev))
			return false;
		if (l->device_vtable && w[0] != bias + l->device_vtable)
			return false;
		__builtin_memcpy(&id, (const __u8 *)w + (id_off & 31),
				 sizeof(id));
		if (id < 0 || id >= TTBPF_MAX_CHIPS)
			return false;
		mask |= 1ULL << id;
		if (lo < 0 || id < lo)
			lo = id;
	}
	if (lo < 0)
		return false;
	a->dev_kind = TTBPF_DEV_CHIP;
	a->device = lo;
	/* One chip: the same row and cost as a buffer on that Device. */
	a->chips = mask == 1ULL << lo ? 0 : mask;
	return true;
}

#endif /* TTBPF_CHIPS_BPF_H */
