// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Host-wide chip numbers, found in user space once per process (see
 * chip_ids.h). Nothing here runs in the probes: a process costs one read
 * of /proc/PID/maps and of its environment (proc_env.c) when first seen,
 * and, when it
 * has TT_VISIBLE_DEVICES (or its chips' unique ids are wanted), one pass
 * over the buffer map and a few reads of its memory until they are found.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "chip_ids.h"
#include "event_format.h"
#include "maps.h"
#include "owner_gens.h"
#include "proc_env.h"
#include "release_rows.h"
#include "state.h"

/*
 * ttnn 0.81.1: Device + 0x250 holds TT-Metal's shm stats provider, which
 * starts with the chip's unique id (u64) and its Device::id_ (i32 at +8);
 * null when TT_METAL_SHM_TRACKING_DISABLED=1. Read from the disassembly
 * of the Release library; every value found is checked (the id must be
 * the Device's own, the unique id the name of a /dev/shm/tt_device_*
 * file the process maps), so another layout yields "unknown", not a
 * wrong number.
 */
#define DEVICE_SHM_STATS_OFF 0x250
#define MAX_PROCS	     8192
#define UID_TRIES	     5 /* passes over the buffer map per process */

struct chip_proc {
	uint32_t pid;
	unsigned long long start; /* a reused pid is another process */
	int visible;		  /* TT_VISIBLE_DEVICES: 1 set, 0 not, -1 ? */
	int tries;		  /* passes over the buffer map so far */
	uint64_t uid_known;	  /* bit = Device::id_ */
	uint64_t uid[TTBPF_MAX_CHIPS];
};

struct host_uid {
	uint64_t uid;
	int host;      /* its id in a process without TT_VISIBLE_DEVICES */
	bool conflict; /* two such processes disagree: unknown */
};

static struct {
	struct chip_proc *procs;
	size_t n_procs;
	struct host_uid *hosts;
	size_t n_hosts;
} C;

void chip_ids__reset(void)
{
	free(C.procs);
	free(C.hosts);
	memset(&C, 0, sizeof(C));
}

static struct chip_proc *find_proc(uint32_t pid)
{
	for (size_t i = C.n_procs; i-- > 0;)
		if (C.procs[i].pid == pid)
			return &C.procs[i];
	return NULL;
}

/* Forget processes that are gone (their rows were translated while they
 * ran); entries move, so no pointer into C.procs may be held across. */
static void compact(void)
{
	size_t j = 0;

	for (size_t i = 0; i < C.n_procs; i++)
		if (proc_env__start_time(C.procs[i].pid) == C.procs[i].start)
			C.procs[j++] = C.procs[i];
	C.n_procs = j;
}

/* A process's entry, read when new; NULL when it is gone and unknown. */
static struct chip_proc *see_env(uint32_t pid)
{
	unsigned long long start = proc_env__start_time(pid);
	struct chip_proc *e = find_proc(pid);
	struct pid_maps pm;

	if (e && (!start || e->start == start))
		return e; /* gone since: what was learned stays */
	if (!start)
		return NULL;
	if (!e) {
		if (C.n_procs == MAX_PROCS)
			return NULL; /* compact() makes room */
		if (!C.procs) {
			C.procs = calloc(MAX_PROCS, sizeof(*C.procs));
			if (!C.procs)
				return NULL;
		}
		e = &C.procs[C.n_procs++];
	}
	memset(e, 0, sizeof(*e));
	e->pid = pid;
	e->start = start;
	e->visible = proc_env__read_maps(pid, &pm)
			     ? -1
			     : proc_env__has(pid, &pm, "TT_VISIBLE_DEVICES");
	return e;
}

static void learn_host(uint64_t uid, int host)
{
	void *v;

	for (size_t i = 0; i < C.n_hosts; i++) {
		if (C.hosts[i].uid != uid)
			continue;
		if (C.hosts[i].host != host)
			C.hosts[i].conflict = true;
		return;
	}
	v = realloc(C.hosts, (C.n_hosts + 1) * sizeof(*C.hosts));
	if (!v)
		return;
	C.hosts = v;
	C.hosts[C.n_hosts++] = (struct host_uid){ uid, host, false };
}

static const struct host_uid *host_of(uint64_t uid)
{
	for (size_t i = 0; i < C.n_hosts; i++)
		if (C.hosts[i].uid == uid && !C.hosts[i].conflict)
			return &C.hosts[i];
	return NULL;
}

/* The unique id of Device @dev, checked as the comment above says. */
static void read_device(struct chip_proc *e, const struct pid_maps *pm,
			const struct ttbpf_layout *l, uint64_t dev)
{
	uint64_t stats, uid;
	int32_t id, stats_id;

	if (proc_env__read_mem(e->pid, dev + (uint64_t)l->device_id_off, &id,
			       sizeof(id)) ||
	    id < 0 || id >= TTBPF_MAX_CHIPS || (e->uid_known >> id & 1))
		return;
	stats = proc_env__u64(e->pid, dev + DEVICE_SHM_STATS_OFF);
	if (!stats || proc_env__read_mem(e->pid, stats, &uid, sizeof(uid)) ||
	    proc_env__read_mem(e->pid, stats + 8, &stats_id,
			       sizeof(stats_id)) ||
	    stats_id != id)
		return;
	for (size_t i = 0; i < pm->n_shm; i++) {
		if (pm->shm_uid[i] != uid)
			continue;
		e->uid[id] = uid;
		e->uid_known |= 1ULL << id;
		if (!e->visible)
			learn_host(uid, id);
		return;
	}
}

/*
 * The Device objects one live buffer leads to: its own, or its mesh's. A
 * 1x1 mesh's buffer is counted as its chip's, so whether device_ is a
 * Device or a MeshDevice is not taken from the row: a Device is whatever
 * passes read_device()'s checks.
 */
static void read_buffer(struct chip_proc *e, const struct pid_maps *pm,
			const struct ttbpf_layout *l, uint64_t buffer)
{
	uint64_t base = buffer, dev, mesh, begin, end;

	if (l->device_off < 0 || l->device_id_off < 0)
		return;
	if (l->impl_off >= 0)
		base = proc_env__u64(e->pid, buffer + (uint64_t)l->impl_off);
	dev = base ? proc_env__u64(e->pid, base + (uint64_t)l->device_off) : 0;
	if (!dev)
		return;
	read_device(e, pm, l, dev);
	if (l->mesh_devs < 0 || l->mesh_dev_stride <= 0)
		return;
	mesh = l->mesh_hop >= 0
		       ? proc_env__u64(e->pid, dev + (uint64_t)l->mesh_hop)
		       : dev;
	begin = mesh ? proc_env__u64(e->pid, mesh + (uint64_t)l->mesh_devs) : 0;
	end = mesh ? proc_env__u64(e->pid, mesh + (uint64_t)l->mesh_devs + 8)
		   : 0;
	for (uint64_t p = begin;
	     p && p < end &&
	     p < begin + TTBPF_MAX_CHIPS * (uint64_t)l->mesh_dev_stride;
	     p += (uint64_t)l->mesh_dev_stride) {
		uint8_t local = 1;

		if (l->mesh_dev_local >= 0 &&
		    proc_env__read_mem(e->pid, p + (uint64_t)l->mesh_dev_local,
				       &local, 1))
			continue;
		if (local == 1)
			read_device(e, pm, l, proc_env__u64(e->pid, p));
	}
}

static bool wants_uids(const struct chip_proc *e, uint64_t chips)
{
	return e && e->visible >= 0 && e->tries < UID_TRIES &&
	       (chips & ~e->uid_known);
}

/* One buffer of the pass: the Devices behind it, if it is wanted. */
static void consider(struct chip_proc **want, const uint64_t *chips,
		     struct pid_maps *pm, size_t n,
		     const struct ttbpf_lib *libs, const bool *have_lib,
		     const struct owner_gens *gens,
		     const struct ttbpf_alloc_key *key,
		     const struct ttbpf_alloc *a)
{
	uint64_t on;
	size_t i = 0;

	while (i < n && want[i]->pid != key->pid)
		i++;
	if (i == n || a->lib >= TTBPF_MAX_LIBS || !have_lib[a->lib])
		return;
	/* Its device closed: the Buffer may be gone. */
	if (!owner_gens__held(gens, key->pid, a))
		return;
	on = a->chips					     ? a->chips
	     : a->device >= 0 && a->device < TTBPF_MAX_CHIPS ? 1ULL << a->device
							     : 0;
	if (on & chips[i] & ~want[i]->uid_known)
		read_buffer(want[i], &pm[i], &libs[a->lib].layout, key->buffer);
}

#define PASS_BATCH 4096

/*
 * One pass over the buffer map for every process in @want (pid, chips
 * still without a unique id): the Devices behind a buffer of each chip.
 * Batched lookups: a pass over 100,000 buffers is a few milliseconds.
 */
static void find_uids(const struct ttbpf_maps *m, struct chip_proc **want,
		      const uint64_t *chips, size_t n)
{
	struct ttbpf_lib libs[TTBPF_MAX_LIBS];
	bool have_lib[TTBPF_MAX_LIBS] = { false };
	struct pid_maps *pm = calloc(n ? n : 1, sizeof(*pm));
	struct ttbpf_alloc_key *keys = calloc(PASS_BATCH, sizeof(*keys));
	struct ttbpf_alloc *vals = calloc(PASS_BATCH, sizeof(*vals));
	struct ttbpf_alloc_key key, *prev = NULL;
	__u64 in[4], out[4]; /* batch cursor: at least key-sized */
	struct owner_gens gens = { 0 };
	bool first = true;

	if (!pm || !keys || !vals || owner_gens__read(m->owners_fd, &gens))
		goto out;
	for (size_t i = 0; i < n; i++) {
		want[i]->tries++;
		proc_env__read_maps(want[i]->pid, &pm[i]);
	}
	for (__u32 i = 0; i < TTBPF_MAX_LIBS; i++)
		have_lib[i] = !bpf_map_lookup_elem(m->libs_fd, &i, &libs[i]);
	for (;;) {
		__u32 count = PASS_BATCH;
		int ret = bpf_map_lookup_batch(m->allocs_fd, first ? NULL : in,
					       out, keys, vals, &count, NULL);

		if (ret && errno != ENOENT)
			break; /* no batch lookups here: key by key below */
		for (__u32 k = 0; k < count; k++)
			consider(want, chips, pm, n, libs, have_lib, &gens,
				 &keys[k], &vals[k]);
		if (ret)
			goto out; /* ENOENT: the pass is complete */
		memcpy(in, out, sizeof(in));
		first = false;
	}
	if (!first)
		goto out;
	while (!bpf_map_get_next_key(m->allocs_fd, prev, &key)) {
		prev = &key;
		if (!bpf_map_lookup_elem(m->allocs_fd, &key, &vals[0]))
			consider(want, chips, pm, n, libs, have_lib, &gens,
				 &key, &vals[0]);
	}
out:
	owner_gens__free(&gens);
	free(pm);
	free(keys);
	free(vals);
}

/* The unique ids of processes without TT_VISIBLE_DEVICES seen so far,
 * when renumbered process @p has a chip in @local no host number is
 * known for yet. */
static void learn_references(const struct ttbpf_maps *m,
			     const struct chip_proc *p, uint64_t local)
{
	struct chip_proc *want[64];
	uint64_t chips[64];
	size_t n = 0;
	bool missing = false;

	for (int c = 0; c < TTBPF_MAX_CHIPS; c++)
		if ((local & p->uid_known) >> c & 1 && !host_of(p->uid[c]))
			missing = true;
	for (size_t i = 0; missing && i < C.n_procs && n < 64; i++)
		if (!C.procs[i].visible && !C.procs[i].uid_known &&
		    C.procs[i].tries < UID_TRIES &&
		    proc_env__start_time(C.procs[i].pid) == C.procs[i].start) {
			want[n] = &C.procs[i];
			chips[n++] = ~0ULL;
		}
	if (n)
		find_uids(m, want, chips, n);
}

/* At first sight only a renumbered process needs its unique ids now
 * (its events); the others get theirs at the next read of the rows. */
static void see_chips(const struct ttbpf_maps *m, uint32_t pid, uint64_t chips)
{
	struct chip_proc *e = see_env(pid);

	if (m && e && e->visible == 1 && wants_uids(e, chips))
		find_uids(m, &e, &chips, 1);
}

/* @pid as known after looking at it now for its chips @local. */
static const struct chip_proc *proc_seen(const struct ttbpf_maps *m,
					 uint32_t pid, uint64_t local)
{
	if (C.n_procs == MAX_PROCS)
		compact();
	see_chips(m, pid, local);
	return find_proc(pid);
}

void chip_ids__see(const struct ttbpf_maps *m, uint32_t pid)
{
	(void)proc_seen(m, pid, 0);
}

/* Host-wide number of one (process, Device::id_). */
static void translate(const struct chip_proc *e, int local, int *device,
		      uint64_t *uid, bool *has_uid, bool *unknown)
{
	bool known = e && local >= 0 && local < TTBPF_MAX_CHIPS &&
		     (e->uid_known >> local & 1);
	const struct host_uid *h;

	*has_uid = known;
	*uid = known ? e->uid[local] : 0;
	*unknown = false;
	*device = local;
	if (e && !e->visible)
		return;
	h = known && e->visible == 1 ? host_of(*uid) : NULL;
	*unknown = !h;
	*device = h ? h->host : -1;
}

/* A numbered chip of the process's own, which a bit of a mask can name. */
static bool own_chip(unsigned int dev_kind, int device)
{
	return dev_kind == TTBPF_DEV_CHIP && device >= 0 &&
	       device < TTBPF_MAX_CHIPS;
}

/* The host-wide number of @p's chip @local, -1 when it is unknown. */
static int host_chip(const struct chip_proc *p, int local)
{
	uint64_t uid;
	bool has, unknown;
	int h;

	translate(p, local, &h, &uid, &has, &unknown);
	return unknown || h < 0 || h >= TTBPF_MAX_CHIPS ? -1 : h;
}

void chip_ids__event(const struct ttbpf_maps *m, struct ttbpf_event *e)
{
	uint64_t local = 0, host = 0;
	const struct chip_proc *p;

	if (e->kind == TTBPF_EV_ALLOC || e->kind == TTBPF_EV_FREE ||
	    e->kind == TTBPF_EV_ALLOC_FAILED) {
		if (e->chips)
			local = e->chips;
		else if (own_chip(e->dev_kind, e->device))
			local = 1ULL << e->device;
	}
	/* Every event's process is seen while it runs, whatever the kind. */
	p = proc_seen(m, e->pid, local);
	if (!local)
		return;
	if (p && !p->visible)
		return;
	if (p && p->visible == 1 && m)
		learn_references(m, p, local);
	for (int c = 0; c < TTBPF_MAX_CHIPS; c++) {
		int h;

		if (!(local >> c & 1))
			continue;
		h = host_chip(p, c);
		if (h < 0) {
			e->device = -1;
			e->chips = 0;
			return;
		}
		host |= 1ULL << h;
	}
	e->device = __builtin_ctzll(host);
	e->chips = e->chips ? host : 0;
}

void chip_ids__rows(const struct ttbpf_maps *m, uint32_t pid,
		    struct release_rows *r)
{
	const struct chip_proc *p;
	uint64_t local = 0;

	for (size_t i = 0; i < r->n; i++)
		if (own_chip(r->v[i].dev_kind, r->v[i].device))
			local |= 1ULL << r->v[i].device;
	if (!local)
		return;
	p = proc_seen(m, pid, local);
	if (p && !p->visible)
		return;
	for (size_t i = 0; i < r->n; i++)
		if (own_chip(r->v[i].dev_kind, r->v[i].device))
			r->v[i].device = host_chip(p, r->v[i].device);
	release_rows__sort(r);
}

void chip_ids__translate(struct state_proc *p)
{
	if (p->kind != TTBPF_DEV_CHIP)
		return;
	translate(find_proc(p->pid), p->local_device, &p->device, &p->chip_uid,
		  &p->has_uid, &p->host_unknown);
}

/* The device row (@device, chip, @unknown), made when missing. */
static struct state_dev *dev_row(struct state *s, int device, bool unknown)
{
	struct state_dev *d;

	for (size_t i = 0; i < s->n_devs; i++)
		if (s->devs[i].kind == TTBPF_DEV_CHIP &&
		    s->devs[i].device == device &&
		    s->devs[i].host_unknown == unknown)
			return &s->devs[i];
	d = realloc(s->devs, (s->n_devs + 1) * sizeof(*d));
	if (!d)
		return NULL;
	s->devs = d;
	d = &s->devs[s->n_devs++];
	memset(d, 0, sizeof(*d));
	d->device = device;
	d->kind = TTBPF_DEV_CHIP;
	d->host_unknown = unknown;
	return d;
}

/* A device row read a moment apart from its process rows may hold less
 * than they do: never below 0. */
static void sub(__u64 *v, __u64 d)
{
	*v = *v > d ? *v - d : 0;
}

void chip_ids__move_devs(struct state *s, const struct state_proc *rows,
			 size_t n)
{
	bool moved = false;

	for (size_t i = 0; i < n; i++) {
		const struct state_proc *p = &rows[i];
		struct state_dev *from, *to;
		const struct ttbpf_usage *u = &p->u;

		if (p->kind != TTBPF_DEV_CHIP ||
		    (p->device == p->local_device && !p->host_unknown))
			continue;
		from = dev_row(s, p->local_device, false);
		to = from ? dev_row(s, p->device, p->host_unknown) : NULL;
		if (!to)
			continue;
		from = dev_row(s, p->local_device, false); /* realloc'ed */
		for (int t = 0; t < TTBPF_NR_TYPES; t++) {
			sub(&from->u.bytes[t], u->bytes[t]);
			sub(&from->u.buffers[t], u->buffers[t]);
			to->u.bytes[t] += u->bytes[t];
			to->u.buffers[t] += u->buffers[t];
			if (to->u.peak[t] < to->u.bytes[t])
				to->u.peak[t] = to->u.bytes[t];
			if (to->u.peak[t] < u->peak[t])
				to->u.peak[t] = u->peak[t];
		}
		sub(&from->u.allocs, u->allocs);
		sub(&from->u.frees, u->frees);
		sub(&from->u.failed, u->failed);
		to->u.allocs += u->allocs;
		to->u.frees += u->frees;
		to->u.failed += u->failed;
		if (!to->u.first_ts_ns || to->u.first_ts_ns > u->first_ts_ns)
			to->u.first_ts_ns = u->first_ts_ns;
		if (to->u.last_ts_ns < u->last_ts_ns)
			to->u.last_ts_ns = u->last_ts_ns;
		moved = true;
	}
	if (!moved)
		return;
	s->chips_moved = true;
	/* A row only the moved processes ever used is not a chip of theirs. */
	for (size_t i = 0; i < s->n_devs;) {
		const struct ttbpf_usage *u = &s->devs[i].u;

		if (s->devs[i].kind == TTBPF_DEV_CHIP && !u->allocs &&
		    !u->frees && !u->failed && !usage__total_bytes(u))
			s->devs[i] = s->devs[--s->n_devs];
		else
			i++;
	}
	state__sort_devs(s);
}

void chip_ids__apply(const struct ttbpf_maps *m, struct state *s)
{
	struct chip_proc **want;
	uint64_t *chips;
	size_t n = 0;

	if (!s->n_procs)
		return;
	if (C.n_procs > MAX_PROCS / 2)
		compact();
	want = calloc(s->n_procs, sizeof(*want));
	chips = calloc(s->n_procs, sizeof(*chips));
	if (!want || !chips)
		goto out;
	/* Processes in pid order: one entry each, with the chips of its
	 * rows that still lack a unique id. */
	for (size_t i = 0; i < s->n_procs; i++) {
		const struct state_proc *p = &s->procs[i];
		struct chip_proc *e;

		if (p->kind != TTBPF_DEV_CHIP)
			continue;
		e = n && want[n - 1]->pid == p->pid ? want[n - 1]
						    : see_env(p->pid);
		if (!e)
			continue;
		if (!n || want[n - 1] != e) {
			want[n] = e;
			chips[n++] = 0;
		}
		/* Unique ids are kept for ids below 64; a chip above keeps
		 * its own number when the process has no TT_VISIBLE_DEVICES,
		 * and is unknown otherwise. */
		if (p->local_device >= 0 && p->local_device < TTBPF_MAX_CHIPS)
			chips[n - 1] |= 1ULL << p->local_device;
	}
	{
		size_t k = 0;

		for (size_t i = 0; i < n; i++)
			if (wants_uids(want[i], chips[i])) {
				want[k] = want[i];
				chips[k++] = chips[i];
			}
		if (k)
			find_uids(m, want, chips, k);
	}
	for (size_t i = 0; i < s->n_procs; i++)
		chip_ids__translate(&s->procs[i]);
	for (size_t i = 0; i < s->n_bufs; i++) {
		struct state_buf *b = &s->bufs[i];
		uint64_t uid;
		bool has;

		if (b->a.dev_kind != TTBPF_DEV_CHIP &&
		    !(b->a.dev_kind == TTBPF_DEV_MESH && b->a.chips))
			continue;
		translate(find_proc(b->pid), b->local_device, &b->a.device,
			  &uid, &has, &b->host_unknown);
	}
	chip_ids__move_devs(s, s->procs, s->n_procs);
out:
	free(want);
	free(chips);
}

const char *chip_ids__label(int device, unsigned int kind, int local,
			    bool unknown, char *buf, size_t len)
{
	if (kind != TTBPF_DEV_CHIP || (!unknown && device == local))
		return device_label(device, kind, buf, len);
	if (unknown)
		snprintf(buf, len, "dev ? (local %d)", local);
	else
		snprintf(buf, len, "dev %d (local %d)", device, local);
	return buf;
}

int chip_ids__host_of_uid(uint64_t uid)
{
	const struct host_uid *h = host_of(uid);

	return h ? h->host : -1;
}
