/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The allocation stacks of a set of buffers, each distinct (process,
 * stack) read from the maps and symbolized once: Python frames first,
 * then native ones. What every view that prints stacks shares.
 */
#ifndef TTBPF_STACKS_H
#define TTBPF_STACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "maps.h"
#include "pysymbolize.h"
#include "state.h"
#include "symbolize.h"

/* One allocation stack of one process, resolved once: its Python frames
 * (innermost first) and then its native ones. */
struct stack_sym {
	uint32_t pid;
	int32_t id;
	int32_t py_id; /* py_stacks id, or a TTBPF_PY_* reason */
	size_t n_py;   /* frames[0..n_py) are Python frames: py[] */
	struct py_frame *py;
	bool py_truncated;
	size_t n;
	char **frames; /* JSON form: name or "0x..."; NULL for Python */
	char **labels; /* text form: name or "0x... (module+0x...)" */
	char *joined;  /* frames joined: groups equal stacks of any pid */
};

struct stacks {
	struct stack_sym *v;
	size_t n;
};

/*
 * Read and symbolize the stack @ss->id (and Python stack @ss->py_id) of
 * process @ss->pid; @sym and @py may be NULL. 0 or -ENOMEM; free with
 * stack_sym__free() either way.
 */
int stack_sym__resolve(struct stack_sym *ss, const struct ttbpf_maps *m,
		       struct symbolizer *sym, struct pysymbolizer *py);
void stack_sym__free(struct stack_sym *ss);

/*
 * Resolve every distinct (pid, stack) among @bufs once. @sym and @py may
 * be NULL: frames are then addresses. Returns 0 or -ENOMEM; free with
 * stacks__free() either way.
 */
int stacks__build(struct stacks *st, const struct state_buf *bufs, size_t n,
		  const struct ttbpf_maps *m, struct symbolizer *sym,
		  struct pysymbolizer *py);

/* The stack of @b, or NULL when it has none. */
const struct stack_sym *stacks__find(const struct stacks *st,
				     const struct state_buf *b);

void stacks__free(struct stacks *st);

#endif /* TTBPF_STACKS_H */
