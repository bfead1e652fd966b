// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stacks.h"

static int cmp_stack_key(const void *a, const void *b)
{
	const struct stack_sym *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	if (x->py_id != y->py_id)
		return x->py_id < y->py_id ? -1 : 1;
	return 0;
}

/* A buffer has a stack entry when it has native or Python frames, or a
 * reason why its Python frames are missing. */
static bool has_stack(const struct state_buf *b)
{
	return b->a.stack_id >= 0 || b->a.py_stack_id > 0 ||
	       py_stack_note(b->a.py_stack_id);
}

const struct stack_sym *stacks__find(const struct stacks *st,
				     const struct state_buf *b)
{
	struct stack_sym key = { .pid = b->pid,
				 .id = b->a.stack_id,
				 .py_id = b->a.py_stack_id };

	if (!has_stack(b))
		return NULL;
	return bsearch(&key, st->v, st->n, sizeof(key), cmp_stack_key);
}

void stack_sym__free(struct stack_sym *ss)
{
	for (size_t f = 0; f < ss->n; f++) {
		free(ss->frames[f]);
		free(ss->labels[f]);
	}
	free(ss->frames);
	free(ss->labels);
	free(ss->py);
	free(ss->joined);
}

void stacks__free(struct stacks *st)
{
	for (size_t i = 0; i < st->n; i++)
		stack_sym__free(&st->v[i]);
	free(st->v);
	st->v = NULL;
	st->n = 0;
}

/* Python frames first: the labels of py[], then a truncation or a note. */
static int stack_sym__resolve_py(struct stack_sym *ss,
				 const struct ttbpf_maps *m,
				 struct pysymbolizer *py)
{
	struct ttbpf_py_stack pst;
	const char *note = py_stack_note(ss->py_id);
	char label[1024];

	/* Every process is queued for inspection at its first allocation:
	 * that it was not inspected yet only matters if it runs Python. */
	if (ss->py_id == TTBPF_PY_PENDING && py &&
	    !pysymbolizer__is_python(py, ss->pid))
		return 0;
	if (note || ss->py_id <= 0 ||
	    state__read_py_stack(m, ss->py_id, &pst)) {
		if (ss->py_id > 0)
			note = "Python frames gone from the map";
		if (!note)
			return 0;
		ss->py = calloc(1, sizeof(*ss->py));
		if (!ss->py)
			return -ENOMEM;
		ss->py[0].status = PY_FRAME_NONE;
		snprintf(ss->py[0].function, sizeof(ss->py[0].function), "%s",
			 note);
		snprintf(label, sizeof(label), "[%s]", note);
		ss->labels[0] = strdup(label);
		ss->n_py = ss->n = 1;
		return ss->labels[0] ? 0 : -ENOMEM;
	}
	ss->py = calloc(pst.n + 2, sizeof(*ss->py));
	if (!ss->py)
		return -ENOMEM;
	ss->py_truncated = pst.truncated;
	for (uint32_t i = 0; i < pst.n; i++) {
		struct py_frame *f = &ss->py[ss->n];

		if (!pst.code[i])
			continue; /* the shim frame of a C call */

		if (py) {
			pysymbolizer__resolve(py, ss->pid, &pst, i, f);
			py_frame__label(f, label, sizeof(label));
		} else {
			f->status = PY_FRAME_NONE;
			snprintf(f->function, sizeof(f->function),
				 "python code 0x%llx instr 0x%llx",
				 (unsigned long long)pst.code[i],
				 (unsigned long long)pst.instr[i]);
			snprintf(label, sizeof(label), "[%s]", f->function);
		}
		ss->labels[ss->n] = strdup(label);
		if (!ss->labels[ss->n])
			return -ENOMEM;
		ss->n_py = ++ss->n;
	}
	if (ss->py_truncated) {
		struct py_frame *f = &ss->py[ss->n];

		f->status = PY_FRAME_NONE;
		snprintf(f->function, sizeof(f->function),
			 "more Python frames than %d: outer ones not captured",
			 TTBPF_PY_MAX_DEPTH);
		snprintf(label, sizeof(label), "[%s]", f->function);
		ss->labels[ss->n] = strdup(label);
		if (!ss->labels[ss->n])
			return -ENOMEM;
		ss->n_py = ++ss->n;
	}
	return 0;
}

int stack_sym__resolve(struct stack_sym *ss, const struct ttbpf_maps *m,
		       struct symbolizer *sym, struct pysymbolizer *py)
{
	uint64_t ips[TTBPF_MAX_STACK_DEPTH];
	size_t joined_len = 1, total;
	char label[1024];
	int n, err;

	n = state__read_stack(m, ss->id, ips, TTBPF_MAX_STACK_DEPTH);
	if (n < 0)
		n = 0; /* gone from the map: show no frames */
	total = (size_t)n + TTBPF_PY_MAX_DEPTH + 1;
	ss->frames = calloc(total, sizeof(char *));
	ss->labels = calloc(total, sizeof(char *));
	if (!ss->frames || !ss->labels)
		return -ENOMEM;
	err = stack_sym__resolve_py(ss, m, py);
	if (err)
		return err;
	for (size_t i = 0; i < ss->n; i++)
		joined_len += strlen(ss->labels[i]) + 1;
	for (int k = 0; k < n; k++) {
		size_t i = ss->n;
		struct sym_frame f = { .ip = ips[k] };
		char hex[32];

		if (sym)
			symbolizer__resolve(sym, ss->pid, ips[k], &f);
		snprintf(hex, sizeof(hex), "0x%llx",
			 (unsigned long long)ips[k]);
		ss->frames[i] = strdup(f.name[0] ? f.name : hex);
		ss->labels[i] =
			strdup(sym_frame__label(&f, label, sizeof(label)));
		if (!ss->frames[i] || !ss->labels[i])
			return -ENOMEM;
		ss->n++;
		joined_len += strlen(ss->frames[i]) + 1;
	}
	ss->joined = calloc(1, joined_len);
	if (!ss->joined)
		return -ENOMEM;
	for (size_t i = 0; i < ss->n; i++) {
		strcat(ss->joined,
		       i < ss->n_py ? ss->labels[i] : ss->frames[i]);
		strcat(ss->joined, "\n");
	}
	return 0;
}

int stacks__build(struct stacks *st, const struct state_buf *bufs, size_t n,
		  const struct ttbpf_maps *m, struct symbolizer *sym,
		  struct pysymbolizer *py)
{
	size_t u = 0;
	int err;

	st->v = calloc(n ? n : 1, sizeof(*st->v));
	if (!st->v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!has_stack(&bufs[i]))
			continue;
		st->v[u].pid = bufs[i].pid;
		st->v[u].id = bufs[i].a.stack_id;
		st->v[u].py_id = bufs[i].a.py_stack_id;
		u++;
	}
	qsort(st->v, u, sizeof(*st->v), cmp_stack_key);
	st->n = 0;
	for (size_t i = 0; i < u; i++)
		if (!st->n || cmp_stack_key(&st->v[st->n - 1], &st->v[i]))
			st->v[st->n++] = st->v[i];
	for (size_t i = 0; i < st->n; i++) {
		err = stack_sym__resolve(&st->v[i], m, sym, py);
		if (err)
			return err;
	}
	return 0;
}
