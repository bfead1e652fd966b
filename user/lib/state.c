// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "buffer_address.h"
#include "chip_ids.h"
#include "owner_gens.h"
#include "state.h"

/* A growing array of (key, value) pairs read from one hash map. */
struct kv {
	char *keys;
	char *vals;
	size_t ksz, vsz;
	size_t n, cap;
};

static int kv_reserve(struct kv *kv, size_t want)
{
	char *k, *v;

	if (want <= kv->cap)
		return 0;
	k = realloc(kv->keys, want * kv->ksz);
	if (!k)
		return -ENOMEM;
	kv->keys = k;
	v = realloc(kv->vals, want * kv->vsz);
	if (!v)
		return -ENOMEM;
	kv->vals = v;
	kv->cap = want;
	return 0;
}

static void kv_free(struct kv *kv)
{
	free(kv->keys);
	free(kv->vals);
	kv->keys = kv->vals = NULL;
}

static __u32 map_max_entries(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.max_entries;
}

/*
 * Batched lookup: one syscall per few thousand entries instead of two per
 * entry, which is what makes a million buffers readable in well under a
 * second. Returns -EOPNOTSUPP/-EINVAL where the kernel lacks it.
 */
static int read_batch(int fd, struct kv *kv)
{
	__u64 in[4], out[4]; /* batch cursor: at least key-sized */
	bool first = true;
	int err;

	for (;;) {
		__u32 count;
		int ret;

		if (kv->cap - kv->n < 1024) {
			err = kv_reserve(kv, kv->cap * 2 > kv->n + 1024
						     ? kv->cap * 2
						     : kv->n + 1024);
			if (err)
				return err;
		}
		count = (__u32)(kv->cap - kv->n);
		ret = bpf_map_lookup_batch(
			fd, first ? NULL : in, out, kv->keys + kv->n * kv->ksz,
			kv->vals + kv->n * kv->vsz, &count, NULL);
		err = ret ? -errno : 0;
		if (err && err != -ENOENT) {
			/* A bucket larger than the room left: grow, retry. */
			if (err == -ENOSPC && !count) {
				err = kv_reserve(kv, kv->cap * 2 + 1024);
				if (err)
					return err;
				continue;
			}
			return err;
		}
		kv->n += count;
		if (err == -ENOENT)
			return 0;
		memcpy(in, out, sizeof(in));
		first = false;
	}
}

static int read_iter(int fd, struct kv *kv, __u32 max_entries)
{
	char key[64], next[64];
	void *prev = NULL;
	size_t steps = 0;
	int err;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		/* Deletions restart the walk: do not loop forever. */
		if (++steps > 2 * (size_t)max_entries + 16)
			break;
		memcpy(key, next, kv->ksz);
		prev = key;
		if (kv->n == kv->cap) {
			err = kv_reserve(kv, kv->cap ? kv->cap * 2 : 256);
			if (err)
				return err;
		}
		if (bpf_map_lookup_elem(fd, key, kv->vals + kv->n * kv->vsz))
			continue; /* deleted meanwhile */
		memcpy(kv->keys + kv->n * kv->ksz, key, kv->ksz);
		kv->n++;
	}
	return 0;
}

static int read_hash(int fd, size_t ksz, size_t vsz, bool batch, struct kv *kv)
{
	__u32 max = map_max_entries(fd);
	int err;

	memset(kv, 0, sizeof(*kv));
	kv->ksz = ksz;
	kv->vsz = vsz;
	if (ksz > 64)
		return -EINVAL;
	if (batch) {
		err = read_batch(fd, kv);
		if (!err)
			return 0;
		if (err != -EINVAL && err != -EOPNOTSUPP && err != -ENOTSUP)
			goto cleanup;
		kv->n = 0; /* start over the slow way */
	}
	err = read_iter(fd, kv, max);
	if (!err)
		return 0;
cleanup:
	kv_free(kv);
	return err;
}

static int cmp_dev(const void *a, const void *b)
{
	const struct state_dev *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->host_unknown != y->host_unknown)
		return x->host_unknown ? 1 : -1;
	if (x->device != y->device)
		return x->device < y->device ? -1 : 1;
	return 0;
}

static int cmp_proc_pid(const void *a, const void *b)
{
	const struct state_proc *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->device != y->device)
		return x->device < y->device ? -1 : 1;
	return 0;
}

void state__sort_devs(struct state *s)
{
	qsort(s->devs, s->n_devs, sizeof(*s->devs), cmp_dev);
}

static int read_devs(const struct ttbpf_maps *m, struct state *s, bool batch)
{
	struct kv kv;
	int err;

	err = read_hash(m->dev_usage_fd, sizeof(struct ttbpf_dev_key),
			sizeof(struct ttbpf_usage), batch, &kv);
	if (err)
		return err;
	s->devs = calloc(kv.n ? kv.n : 1, sizeof(*s->devs));
	if (!s->devs) {
		kv_free(&kv);
		return -ENOMEM;
	}
	for (size_t i = 0; i < kv.n; i++) {
		const struct ttbpf_dev_key *k =
			(const void *)(kv.keys + i * kv.ksz);

		s->devs[i].device = k->device;
		s->devs[i].kind = k->dev_kind;
		memcpy(&s->devs[i].u, kv.vals + i * kv.vsz, kv.vsz);
	}
	s->n_devs = kv.n;
	kv_free(&kv);
	qsort(s->devs, s->n_devs, sizeof(*s->devs), cmp_dev);
	return 0;
}

static int read_procs(const struct ttbpf_maps *m, struct state *s, bool batch)
{
	struct kv kv;
	int err;

	err = read_hash(m->proc_usage_fd, sizeof(struct ttbpf_proc_key),
			sizeof(struct ttbpf_usage), batch, &kv);
	if (err)
		return err;
	s->procs = calloc(kv.n ? kv.n : 1, sizeof(*s->procs));
	if (!s->procs) {
		kv_free(&kv);
		return -ENOMEM;
	}
	for (size_t i = 0; i < kv.n; i++) {
		const struct ttbpf_proc_key *k =
			(const void *)(kv.keys + i * kv.ksz);

		s->procs[i].pid = k->pid;
		s->procs[i].device = k->device;
		s->procs[i].kind = k->dev_kind;
		s->procs[i].local_device = k->device;
		memcpy(&s->procs[i].u, kv.vals + i * kv.vsz, kv.vsz);
	}
	s->n_procs = kv.n;
	kv_free(&kv);
	qsort(s->procs, s->n_procs, sizeof(*s->procs), cmp_proc_pid);
	return 0;
}

struct live_key {
	uint32_t pid, tid;
	uint64_t buffer, ts_ns;
};

static int cmp_live(const void *a, const void *b)
{
	const struct live_key *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->buffer != y->buffer)
		return x->buffer < y->buffer ? -1 : 1;
	return 0;
}

/*
 * Addresses the probes left 0, read from the processes. A value counts
 * only if the same allocation is still in the map after the read: then
 * the Buffer was alive while it was read (its free deletes the entry
 * first). Those not known stay 0, which the views print as unknown.
 */
static int fill_addresses(const struct ttbpf_maps *m, struct state *s,
			  bool batch)
{
	struct live_key *live = NULL, want;
	struct owner_gens gens;
	size_t unknown = 0, n_live = 0;
	uint64_t *addr;
	struct kv kv;
	int err;

	for (size_t i = 0; i < s->n_bufs; i++)
		unknown += !s->bufs[i].a.address;
	if (!unknown)
		return 0;
	addr = malloc(s->n_bufs * sizeof(*addr));
	if (!addr)
		return -ENOMEM;
	buffer_address__read(m->libs_fd, s->bufs, s->n_bufs, addr);
	err = read_hash(m->allocs_fd, sizeof(struct ttbpf_alloc_key),
			sizeof(struct ttbpf_alloc), batch, &kv);
	if (err)
		goto out;
	err = owner_gens__read(m->owners_fd, &gens);
	if (err)
		goto out_kv;
	live = malloc((kv.n ? kv.n : 1) * sizeof(*live));
	if (!live) {
		err = -ENOMEM;
		goto out_gens;
	}
	for (size_t i = 0; i < kv.n; i++) {
		const struct ttbpf_alloc_key *k =
			(const void *)(kv.keys + i * kv.ksz);
		const struct ttbpf_alloc *a =
			(const void *)(kv.vals + i * kv.vsz);

		if (owner_gens__held(&gens, k->pid, a))
			live[n_live++] =
				(struct live_key){ k->pid, a->tid, k->buffer,
						   a->ts_ns };
	}
	qsort(live, n_live, sizeof(*live), cmp_live);
	for (size_t i = 0; i < s->n_bufs; i++) {
		struct state_buf *b = &s->bufs[i];
		const struct live_key *l;

		if (b->a.address || !addr[i])
			continue;
		want.pid = b->pid;
		want.buffer = b->buffer;
		l = bsearch(&want, live, n_live, sizeof(*live), cmp_live);
		if (l && l->ts_ns == b->a.ts_ns && l->tid == b->a.tid)
			b->a.address = addr[i];
	}
	free(live);
out_gens:
	owner_gens__free(&gens);
out_kv:
	kv_free(&kv);
out:
	free(addr);
	return err;
}

/* A native_stacks entry, key and value side by side. */
struct unwound_entry {
	struct ttbpf_alloc_key k;
	struct ttbpf_unwound v;
};

static int cmp_unwound(const void *a, const void *b)
{
	const struct ttbpf_alloc_key *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->buffer != y->buffer)
		return x->buffer < y->buffer ? -1 : 1;
	return 0;
}

/*
 * Buffers whose stack a tracer unwound from .eh_frame (--native-unwind):
 * that stack replaces the frame-pointer one, as long as native_stacks
 * names this very allocation (same timestamp), not an earlier one of the
 * same Buffer*.
 */
static int apply_native_stacks(const struct ttbpf_maps *m, struct state *s,
			       bool batch)
{
	const size_t ksz = sizeof(struct ttbpf_alloc_key);
	struct unwound_entry *e, *hit;
	size_t n;
	struct kv kv;
	int err;

	if (m->native_stacks_fd <= 0 || !s->n_bufs)
		return 0;
	err = read_hash(m->native_stacks_fd, ksz, sizeof(struct ttbpf_unwound),
			batch, &kv);
	if (err)
		return err;
	e = calloc(kv.n ? kv.n : 1, sizeof(*e));
	if (!e) {
		kv_free(&kv);
		return -ENOMEM;
	}
	for (size_t i = 0; i < kv.n; i++) {
		memcpy(&e[i].k, kv.keys + i * kv.ksz, ksz);
		memcpy(&e[i].v, kv.vals + i * kv.vsz, sizeof(e[i].v));
	}
	n = kv.n;
	kv_free(&kv);
	qsort(e, n, sizeof(*e), cmp_unwound);
	for (size_t i = 0; i < s->n_bufs && n; i++) {
		struct ttbpf_alloc_key k = { .pid = s->bufs[i].pid,
					     .buffer = s->bufs[i].buffer };

		hit = bsearch(&k, e, n, sizeof(*e), cmp_unwound);
		if (hit && hit->v.ts_ns == s->bufs[i].a.ts_ns)
			s->bufs[i].a.stack_id = hit->v.stack_id;
	}
	free(e);
	return 0;
}

static int read_bufs(const struct ttbpf_maps *m, struct state *s, bool batch)
{
	struct owner_gens gens;
	size_t extra = 0, n = 0;
	struct kv kv;
	int err;

	err = read_hash(m->allocs_fd, sizeof(struct ttbpf_alloc_key),
			sizeof(struct ttbpf_alloc), batch, &kv);
	if (err)
		return err;
	/* After the buffers: what a close ended meanwhile is skipped. */
	err = owner_gens__read(m->owners_fd, &gens);
	if (err) {
		kv_free(&kv);
		return err;
	}
	for (size_t i = 0; i < kv.n; i++) {
		const struct ttbpf_alloc *a =
			(const void *)(kv.vals + i * kv.vsz);

		/* Whatever the map says: room for every bit. */
		extra += (size_t)__builtin_popcountll(a->chips);
	}
	/* calloc: padding too */
	s->bufs = calloc(kv.n + extra ? kv.n + extra : 1, sizeof(*s->bufs));
	if (!s->bufs) {
		kv_free(&kv);
		owner_gens__free(&gens);
		return -ENOMEM;
	}
	for (size_t i = 0; i < kv.n; i++) {
		const struct ttbpf_alloc_key *k =
			(const void *)(kv.keys + i * kv.ksz);
		struct state_buf *b;

		/* Released by a device close, not yet reclaimed. */
		if (!owner_gens__held(&gens, k->pid,
				      (const void *)(kv.vals + i * kv.vsz)))
			continue;
		b = &s->bufs[n++];

		b->pid = k->pid;
		b->buffer = k->buffer;
		memcpy(&b->a, kv.vals + i * kv.vsz, kv.vsz);
		/* A mesh buffer is held by each of its chips: one entry per
		 * chip, so that every view shows it on each. */
		for (int c = b->a.device + 1; b->a.chips && c < TTBPF_MAX_CHIPS;
		     c++) {
			if (!(b->a.chips >> c & 1))
				continue;
			s->bufs[n] = *b;
			s->bufs[n++].a.device = c;
		}
	}
	for (size_t i = 0; i < n; i++)
		s->bufs[i].local_device = s->bufs[i].a.device;
	s->n_bufs = n;
	kv_free(&kv);
	owner_gens__free(&gens);
	err = apply_native_stacks(m, s, batch);
	return err ? err : fill_addresses(m, s, batch);
}

int state__read(const struct ttbpf_maps *m, struct state *s, unsigned int flags)
{
	bool batch = !(flags & STATE_NO_BATCH);
	struct timespec ts;
	int err;

	memset(s, 0, sizeof(*s));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->now_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	s->has_meta = !ttbpf_maps__read_meta(m, &s->meta) &&
		      s->meta.abi == TTBPF_MAP_ABI;
	err = ttbpf_maps__read_stats(m, s->stats);
	if (err)
		goto cleanup;
	err = read_devs(m, s, batch);
	if (err)
		goto cleanup;
	err = read_procs(m, s, batch);
	if (err)
		goto cleanup;
	if (flags & STATE_BUFFERS) {
		err = read_bufs(m, s, batch);
		if (err)
			goto cleanup;
	}
	if (flags & STATE_HOST_CHIPS)
		chip_ids__apply(m, s);
	return 0;

cleanup:
	state__free(s);
	return err;
}

void state__free(struct state *s)
{
	if (!s)
		return;
	free(s->devs);
	free(s->procs);
	free(s->bufs);
	memset(s, 0, sizeof(*s));
}

static bool keep(int want_dev, int want_kind, uint32_t want_pid, int device,
		 uint32_t kind, uint32_t pid)
{
	if (want_dev >= 0 && device != want_dev)
		return false;
	if (want_kind >= 0 && kind != (uint32_t)want_kind)
		return false;
	return !want_pid || !pid || pid == want_pid;
}

void state__filter(struct state *s, int device, int kind, uint32_t pid)
{
	size_t j = 0;

	for (size_t i = 0; i < s->n_devs; i++)
		if (keep(device, kind, 0, s->devs[i].device, s->devs[i].kind,
			 0))
			s->devs[j++] = s->devs[i];
	s->n_devs = j;
	j = 0;
	for (size_t i = 0; i < s->n_procs; i++)
		if (keep(device, kind, pid, s->procs[i].device,
			 s->procs[i].kind, s->procs[i].pid))
			s->procs[j++] = s->procs[i];
	s->n_procs = j;
	j = 0;
	for (size_t i = 0; i < s->n_bufs; i++)
		if (keep(device, kind, pid, s->bufs[i].a.device,
			 s->bufs[i].a.dev_kind, s->bufs[i].pid))
			s->bufs[j++] = s->bufs[i];
	s->n_bufs = j;
}

uint64_t usage__total_bytes(const struct ttbpf_usage *u)
{
	uint64_t t = 0;

	for (int i = 0; i < TTBPF_NR_TYPES; i++)
		t += u->bytes[i];
	return t;
}

uint64_t usage__total_buffers(const struct ttbpf_usage *u)
{
	uint64_t t = 0;

	for (int i = 0; i < TTBPF_NR_TYPES; i++)
		t += u->buffers[i];
	return t;
}

uint64_t usage__total_peak(const struct ttbpf_usage *u)
{
	uint64_t t = 0;

	for (int i = 0; i < TTBPF_NR_TYPES; i++)
		t += u->peak[i];
	return t;
}

static uint64_t sort_value(const struct state_proc *p, enum state_sort by)
{
	switch (by) {
	case STATE_SORT_DRAM:
		return p->u.bytes[TTBPF_DRAM];
	case STATE_SORT_L1:
		return p->u.bytes[TTBPF_L1];
	case STATE_SORT_L1_SMALL:
		return p->u.bytes[TTBPF_L1_SMALL];
	case STATE_SORT_TRACE:
		return p->u.bytes[TTBPF_TRACE];
	case STATE_SORT_TOTAL:
		return usage__total_bytes(&p->u);
	case STATE_SORT_BUFFERS:
		return usage__total_buffers(&p->u);
	case STATE_SORT_PEAK:
		return usage__total_peak(&p->u);
	case STATE_SORT_AGE:
		/* Oldest first: smaller first_ts is "larger". */
		return UINT64_MAX - p->u.first_ts_ns;
	case STATE_SORT_PID:
		break;
	}
	return 0;
}

/* qsort has no context argument in C11: the key lives here. */
static _Thread_local enum state_sort sort_by;

static int cmp_proc(const void *a, const void *b)
{
	const struct state_proc *x = a, *y = b;
	uint64_t vx = sort_value(x, sort_by), vy = sort_value(y, sort_by);

	if (vx != vy)
		return vx > vy ? -1 : 1;
	return cmp_proc_pid(a, b);
}

void state__sort_procs(struct state *s, enum state_sort by)
{
	sort_by = by;
	qsort(s->procs, s->n_procs, sizeof(*s->procs),
	      by == STATE_SORT_PID ? cmp_proc_pid : cmp_proc);
}

const struct state_dev *state__dev(const struct state *s, int device,
				   uint32_t kind)
{
	for (size_t i = 0; i < s->n_devs; i++)
		if (s->devs[i].device == device && s->devs[i].kind == kind)
			return &s->devs[i];
	return NULL;
}

int state__read_stack(const struct ttbpf_maps *m, int32_t stack_id,
		      uint64_t *ips, size_t max)
{
	struct ttbpf_stack st = {};
	size_t n = 0;

	if (stack_id < 0)
		return -ENOENT;
	if (bpf_map_lookup_elem(m->stacks_fd, &stack_id, &st))
		return -errno;
	/* The walk zero-fills past the last frame. */
	while (n < TTBPF_MAX_STACK_DEPTH && n < max && st.ip[n]) {
		ips[n] = st.ip[n];
		n++;
	}
	return (int)n;
}

int state__read_py_stack(const struct ttbpf_maps *m, int32_t id,
			 struct ttbpf_py_stack *out)
{
	if (id <= 0)
		return -ENOENT;
	if (bpf_map_lookup_elem(m->py_stacks_fd, &id, out))
		return -errno;
	if (out->n > TTBPF_PY_MAX_DEPTH)
		out->n = TTBPF_PY_MAX_DEPTH;
	return 0;
}

uint64_t state__age_ms(const struct state *s, uint64_t ts_ns)
{
	if (!ts_ns || ts_ns > s->now_ns)
		return 0;
	return (s->now_ns - ts_ns) / 1000000ULL;
}
