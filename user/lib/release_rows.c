// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "release_rows.h"

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? *cap * 2 : 8;
	void *nv;

	if (n < *cap)
		return 0;
	nv = realloc(*v, c * size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = c;
	return 0;
}

static int add_row(struct release_rows *r, int32_t device, uint32_t dev_kind,
		   uint32_t type, uint64_t size, uint64_t count)
{
	struct release_row *row;

	for (size_t i = 0; i < r->n; i++) {
		row = &r->v[i];
		if (row->device == device && row->dev_kind == dev_kind &&
		    row->type == type) {
			row->size += size;
			row->count += count;
			return 0;
		}
	}
	if (grow((void **)&r->v, &r->cap, r->n, sizeof(*r->v)))
		return -ENOMEM;
	r->v[r->n++] =
		(struct release_row){ device, dev_kind, type, size, count };
	return 0;
}

int release_rows__add_part(struct release_rows *r,
			   const struct ttbpf_release_part *p)
{
	int e = 0;

	r->parts++;
	for (uint32_t t = 0; t < TTBPF_NR_TYPES && !e; t++) {
		if (!p->buffers[t] && !p->bytes[t])
			continue;
		if (!p->chips) {
			e = add_row(r, p->device, p->dev_kind, t, p->bytes[t],
				    p->buffers[t]);
			continue;
		}
		for (int c = 0; c < TTBPF_MAX_CHIPS && !e; c++)
			if (p->chips >> c & 1)
				e = add_row(r, c, TTBPF_DEV_CHIP, t,
					    p->bytes[t], p->buffers[t]);
	}
	return e;
}

void release_rows__free(struct release_rows *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static int row_cmp(const void *a, const void *b)
{
	const struct release_row *x = a, *y = b;

	if (x->dev_kind != y->dev_kind)
		return x->dev_kind < y->dev_kind ? -1 : 1;
	if (x->device != y->device)
		return x->device < y->device ? -1 : 1;
	return x->type < y->type ? -1 : x->type > y->type;
}

void release_rows__sort(struct release_rows *r)
{
	size_t n = 0;

	if (!r->n)
		return;
	qsort(r->v, r->n, sizeof(*r->v), row_cmp);
	for (size_t i = 1; i < r->n; i++) {
		if (!row_cmp(&r->v[n], &r->v[i])) {
			r->v[n].size += r->v[i].size;
			r->v[n].count += r->v[i].count;
			continue;
		}
		r->v[++n] = r->v[i];
	}
	r->n = n + 1;
}

int release_parts__add(struct release_parts *ps,
		       const struct ttbpf_release_part *p)
{
	for (size_t i = 0; i < ps->n; i++) {
		if (ps->v[i].id != p->id)
			continue;
		/* Left by a release whose event was lost: not this one's. */
		if (ps->v[i].ts != p->ts_ns) {
			release_rows__free(&ps->v[i].rows);
			ps->v[i].ts = p->ts_ns;
		}
		return release_rows__add_part(&ps->v[i].rows, p);
	}
	if (grow((void **)&ps->v, &ps->cap, ps->n, sizeof(*ps->v)))
		return -ENOMEM;
	memset(&ps->v[ps->n], 0, sizeof(ps->v[0]));
	ps->v[ps->n].id = p->id;
	ps->v[ps->n].ts = p->ts_ns;
	return release_rows__add_part(&ps->v[ps->n++].rows, p);
}

void release_parts__take(struct release_parts *ps, uint64_t id, uint64_t ts,
			 struct release_rows *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < ps->n; i++) {
		if (ps->v[i].id != id)
			continue;
		if (ps->v[i].ts == ts)
			*out = ps->v[i].rows;
		else
			release_rows__free(&ps->v[i].rows);
		ps->v[i] = ps->v[--ps->n];
		break;
	}
	release_rows__sort(out);
}

void release_parts__free(struct release_parts *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		release_rows__free(&ps->v[i].rows);
	free(ps->v);
	memset(ps, 0, sizeof(*ps));
}
