// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "leaks.h"

static const char *leak_key(const struct leak *l)
{
	return l->stack ? l->stack->joined : "";
}

static int cmp_leak_key(const void *a, const void *b)
{
	return strcmp(leak_key(a), leak_key(b));
}

static int cmp_leak_bytes(const void *a, const void *b)
{
	const struct leak *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(leak_key(x), leak_key(y));
}

static void leak__add_pid(struct leak *l, uint32_t pid)
{
	for (size_t i = 0; i < l->n_pids; i++)
		if (l->pids[i] == pid)
			return;
	if (l->n_pids < sizeof(l->pids) / sizeof(l->pids[0]))
		l->pids[l->n_pids++] = pid;
}

int leaks__build(struct leaks *lk, const struct state *s,
		 const struct stacks *st, uint64_t min_age_ms)
{
	size_t n = 0, u = 0;

	memset(lk, 0, sizeof(*lk));
	lk->v = calloc(s->n_bufs + 1, sizeof(*lk->v));
	if (!lk->v)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_bufs; i++) {
		const struct state_buf *b = &s->bufs[i];
		uint64_t age = state__age_ms(s, b->a.ts_ns);
		struct leak *l = &lk->v[n++];

		if (age < min_age_ms) {
			n--;
			continue;
		}
		l->stack = stacks__find(st, b);
		l->bytes = b->a.size;
		l->count = 1;
		if (b->a.type < TTBPF_NR_TYPES)
			l->bytes_by_type[b->a.type] = b->a.size;
		l->pids[0] = b->pid;
		l->n_pids = 1;
		l->oldest_ms = age;
		lk->bytes += b->a.size;
		lk->count++;
	}
	/* Equal stacks of different processes merge into one entry. */
	qsort(lk->v, n, sizeof(*lk->v), cmp_leak_key);
	for (size_t i = 0; i < n; i++) {
		struct leak *l = &lk->v[i], *g;

		if (u && !cmp_leak_key(&lk->v[u - 1], l)) {
			g = &lk->v[u - 1];
			g->bytes += l->bytes;
			g->count += l->count;
			for (int t = 0; t < TTBPF_NR_TYPES; t++)
				g->bytes_by_type[t] += l->bytes_by_type[t];
			leak__add_pid(g, l->pids[0]);
			if (l->oldest_ms > g->oldest_ms)
				g->oldest_ms = l->oldest_ms;
			continue;
		}
		lk->v[u++] = *l;
	}
	lk->n = u;
	qsort(lk->v, lk->n, sizeof(*lk->v), cmp_leak_bytes);
	return 0;
}

void leaks__free(struct leaks *lk)
{
	free(lk->v);
	memset(lk, 0, sizeof(*lk));
}
