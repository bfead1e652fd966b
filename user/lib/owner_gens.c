// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>

#include <bpf/bpf.h>

#include "owner_gens.h"

struct owner_gen {
	__u32 pid;
	__u32 gen;
	__u64 allocator;
};

static int cmp_owner(const void *a, const void *b)
{
	const struct owner_gen *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->allocator != y->allocator)
		return x->allocator < y->allocator ? -1 : 1;
	return 0;
}

int owner_gens__read(int fd, struct owner_gens *g)
{
	struct ttbpf_owner_key key, *prev = NULL;
	struct ttbpf_owner o;
	size_t cap = 0;

	g->v = NULL;
	g->n = 0;
	if (fd < 0)
		return 0;
	/* Few entries (one per allocator): key by key is cheap enough. */
	while (!bpf_map_get_next_key(fd, prev, &key)) {
		struct owner_gen *v;

		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &o))
			continue;
		if (g->n == cap) {
			cap = cap ? cap * 2 : 64;
			v = realloc(g->v, cap * sizeof(*v));
			if (!v) {
				owner_gens__free(g);
				return -ENOMEM;
			}
			g->v = v;
		}
		g->v[g->n++] =
			(struct owner_gen){ key.pid, TTBPF_GEN(o.genword),
					    key.allocator };
	}
	if (g->n)
		qsort(g->v, g->n, sizeof(*g->v), cmp_owner);
	/* Stays a marker of "read": an empty map holds no owners at all. */
	if (!g->v)
		g->v = calloc(1, sizeof(*g->v));
	return g->v ? 0 : -ENOMEM;
}

void owner_gens__free(struct owner_gens *g)
{
	free(g->v);
	g->v = NULL;
	g->n = 0;
}

bool owner_gens__held(const struct owner_gens *g, __u32 pid,
		      const struct ttbpf_alloc *a)
{
	struct owner_gen want = { .pid = pid, .allocator = a->allocator };
	const struct owner_gen *o;

	if (!g->v)
		return true;
	o = bsearch(&want, g->v, g->n, sizeof(*g->v), cmp_owner);
	return !o || o->gen == a->gen;
}

bool owner_gens__held_one(int fd, __u32 pid, const struct ttbpf_alloc *a)
{
	struct ttbpf_owner_key key = { .pid = pid, .allocator = a->allocator };
	struct ttbpf_owner o;

	if (fd < 0 || bpf_map_lookup_elem(fd, &key, &o))
		return true;
	return TTBPF_GEN(o.genword) == a->gen;
}
