// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buffer_order.h"

/* Buffers in report order, with the groups they fall into. */
struct group {
	size_t start, count; /* range in the sorted buffers */
	uint64_t bytes;
	size_t first_child, n_children; /* type groups: their proc groups */
};

/*
 * Sorting a million 80-byte buffers with qsort and a many-field comparator
 * is most of a snapshot's time. Instead: stable LSD radix passes over
 * (key, index) pairs, least significant key first, skipping the bytes
 * that are equal in every key; then one permutation of the buffers.
 */
struct rkey {
	uint64_t key;
	size_t idx;
};

static void radix_sort(struct rkey *a, struct rkey *tmp, size_t n)
{
	for (unsigned int shift = 0; shift < 64; shift += 8) {
		size_t count[256] = { 0 }, pos = 0;

		for (size_t i = 0; i < n; i++)
			count[(a[i].key >> shift) & 0xff]++;
		if (n && count[(a[0].key >> shift) & 0xff] == n)
			continue; /* this byte is the same everywhere */
		for (unsigned int b = 0; b < 256; b++) {
			size_t c = count[b];

			count[b] = pos;
			pos += c;
		}
		for (size_t i = 0; i < n; i++)
			tmp[count[(a[i].key >> shift) & 0xff]++] = a[i];
		memcpy(a, tmp, n * sizeof(*a));
	}
}

/* Device, type and process in one word: kind 2 bits, device 32, type 3,
 * pid 22 (pid_max is at most 2^22). */
static uint64_t group_key(const struct state_buf *b)
{
	return (uint64_t)(b->a.dev_kind & 3) << 57 |
	       (uint64_t)((uint32_t)b->a.device + 0x80000000U) << 25 |
	       (uint64_t)(b->a.type & 7) << 22 | (b->pid & 0x3fffff);
}

/* The sort keys of @by, least significant first. */
static uint64_t sort_key(const struct state_buf *b, enum buffer_order by,
			 int level)
{
	if (by == BUFFER_ORDER_GROUPS)
		return level == 0   ? b->a.address
		       : level == 1 ? ~b->a.size
				    : group_key(b);
	return level == 0 ? b->pid : level == 1 ? b->a.address : ~b->a.size;
}

int buffer_order__sort(struct state *s, enum buffer_order by)
{
	size_t n = s->n_bufs;
	struct rkey *keys = malloc((n + 1) * sizeof(*keys));
	struct rkey *tmp = malloc((n + 1) * sizeof(*tmp));
	struct state_buf *out = malloc((n + 1) * sizeof(*out));
	int err = -ENOMEM;

	if (!keys || !tmp || !out)
		goto cleanup;
	for (size_t i = 0; i < n; i++)
		keys[i].idx = i;
	for (int level = 0; level < 3; level++) {
		for (size_t i = 0; i < n; i++)
			keys[i].key =
				sort_key(&s->bufs[keys[i].idx], by, level);
		radix_sort(keys, tmp, n);
	}
	for (size_t i = 0; i < n; i++)
		out[i] = s->bufs[keys[i].idx];
	free(s->bufs);
	s->bufs = out;
	out = NULL;
	err = 0;
cleanup:
	free(keys);
	free(tmp);
	free(out);
	return err;
}

bool state_buf__same_dev(const struct state_buf *x, const struct state_buf *y)
{
	return x->a.dev_kind == y->a.dev_kind && x->a.device == y->a.device;
}

bool state_buf__same_type(const struct state_buf *x, const struct state_buf *y)
{
	return state_buf__same_dev(x, y) && x->a.type == y->a.type;
}

static int cmp_group_bytes(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return x->start < y->start ? -1 : 1;
}

/* Sort by keys, sum each run, then reorder runs by their sums. */
int buffer_order__groups(struct state *s)
{
	struct group *procs = NULL, *types = NULL;
	struct state_buf *out = NULL;
	size_t np = 0, nt = 0, k = 0, i;
	int err;

	err = buffer_order__sort(s, BUFFER_ORDER_GROUPS);
	if (err)
		return err;
	err = -ENOMEM;
	procs = calloc(s->n_bufs + 1, sizeof(*procs));
	types = calloc(s->n_bufs + 1, sizeof(*types));
	out = malloc((s->n_bufs + 1) * sizeof(*out));
	if (!procs || !types || !out)
		goto cleanup;
	for (i = 0; i < s->n_bufs; i++) {
		const struct state_buf *b = &s->bufs[i];

		if (!i || !state_buf__same_type(b, b - 1)) {
			types[nt].start = i;
			types[nt].first_child = np;
			nt++;
		}
		if (!i || !state_buf__same_type(b, b - 1) ||
		    b->pid != (b - 1)->pid) {
			procs[np].start = i;
			np++;
			types[nt - 1].n_children++;
		}
		procs[np - 1].count++;
		procs[np - 1].bytes += b->a.size;
		types[nt - 1].count++;
		types[nt - 1].bytes += b->a.size;
	}
	for (i = 0; i < nt; i++)
		qsort(procs + types[i].first_child, types[i].n_children,
		      sizeof(*procs), cmp_group_bytes);
	/* Types reorder only within their device. */
	for (i = 0; i < nt;) {
		size_t j = i + 1;

		while (j < nt && state_buf__same_dev(&s->bufs[types[j].start],
						     &s->bufs[types[i].start]))
			j++;
		qsort(types + i, j - i, sizeof(*types), cmp_group_bytes);
		i = j;
	}
	for (i = 0; i < nt; i++)
		for (size_t p = 0; p < types[i].n_children; p++) {
			const struct group *g =
				&procs[types[i].first_child + p];

			memcpy(out + k, s->bufs + g->start,
			       g->count * sizeof(*out));
			k += g->count;
		}
	free(s->bufs);
	s->bufs = out;
	out = NULL;
	err = 0;
cleanup:
	free(procs);
	free(types);
	free(out);
	return err;
}
