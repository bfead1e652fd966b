// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "py_holder.h"

static int cmp_row(const struct py_holder *x, const struct py_holder *y)
{
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->device != y->device)
		return x->device < y->device ? -1 : 1;
	return 0;
}

static int cmp_group(const void *a, const void *b)
{
	const struct py_holder *x = a, *y = b;
	int c = cmp_row(x, y);

	if (c)
		return c;
	if (x->py_id != y->py_id)
		return x->py_id < y->py_id ? -1 : 1;
	return 0;
}

static int cmp_row_v(const void *a, const void *b)
{
	return cmp_row(a, b);
}

int py_holders__build(struct py_holders *h, const struct state_buf *bufs,
		      size_t n)
{
	struct py_holder *g = calloc(n ? n : 1, sizeof(*g));
	size_t ng = 0, nr = 0;

	h->v = NULL;
	h->n = 0;
	if (!g)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		g[i] = (struct py_holder){ .pid = bufs[i].pid,
					   .device = bufs[i].a.device,
					   .kind = bufs[i].a.dev_kind,
					   .py_id = bufs[i].a.py_stack_id,
					   .bytes = bufs[i].a.size,
					   .buffers = 1 };
	qsort(g, n, sizeof(*g), cmp_group);
	/* Sum equal (row, stack) groups, then keep each row's largest. */
	for (size_t i = 0; i < n; i++) {
		if (ng && !cmp_group(&g[ng - 1], &g[i])) {
			g[ng - 1].bytes += g[i].bytes;
			g[ng - 1].buffers++;
		} else {
			g[ng++] = g[i];
		}
	}
	for (size_t i = 0; i < ng; i++) {
		if (nr && !cmp_row(&g[nr - 1], &g[i])) {
			if (g[i].bytes > g[nr - 1].bytes)
				g[nr - 1] = g[i];
		} else {
			g[nr++] = g[i];
		}
	}
	h->v = g;
	h->n = nr;
	return 0;
}

void py_holders__free(struct py_holders *h)
{
	free(h->v);
	h->v = NULL;
	h->n = 0;
}

const struct py_holder *py_holders__find(const struct py_holders *h,
					 uint32_t pid, int device,
					 uint32_t kind)
{
	struct py_holder key = { .pid = pid, .device = device, .kind = kind };

	return h->n ? bsearch(&key, h->v, h->n, sizeof(key), cmp_row_v) : NULL;
}

static bool installed(const char *file)
{
	return strstr(file, "/site-packages/") ||
	       strstr(file, "/dist-packages/");
}

const char *py_holder__label(const struct py_holder *h,
			     const struct ttbpf_maps *m,
			     struct pysymbolizer *py, char *buf, size_t len)
{
	struct ttbpf_py_stack st;
	const char *note = py_stack_note(h->py_id);
	struct py_frame f, first = { .status = PY_FRAME_NONE };
	bool have = false;

	if (h->py_id == TTBPF_PY_NONE) {
		/* A Python process with no frames: the tracer runs with
		 * --no-python, or the process was seen before it ran. */
		if (!pysymbolizer__is_python(py, h->pid))
			return NULL;
		note = "no Python frames recorded (ttbpf-trace --no-python?)";
	} else if (h->py_id == TTBPF_PY_PENDING &&
		   !pysymbolizer__is_python(py, h->pid)) {
		return NULL;
	}
	if (!note && state__read_py_stack(m, h->py_id, &st))
		note = "Python frames gone from the map";
	if (note) {
		snprintf(buf, len, "? (%s)", note);
		return buf;
	}
	for (uint32_t i = 0; i < st.n && i < TTBPF_PY_MAX_DEPTH; i++) {
		if (!st.code[i])
			continue; /* the shim frame of a C call */
		pysymbolizer__resolve(py, h->pid, &st, i, &f);
		if (!have) {
			first = f;
			have = true;
		}
		if (f.status == PY_FRAME_OK && !installed(f.file)) {
			first = f;
			break;
		}
	}
	if (!have) {
		snprintf(buf, len, "? (no Python frame on the stack)");
		return buf;
	}
	if (first.status == PY_FRAME_OK || first.status == PY_FRAME_NO_LINE)
		return py_frame__label(&first, buf, len);
	snprintf(buf, len, "? (%s)",
		 first.status == PY_FRAME_GONE ? "Python code object gone"
					       : "process gone or unreadable");
	return buf;
}
