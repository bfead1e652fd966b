/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The Python line that holds the most device memory of one process row:
 * the buffers of each (process, device) grouped by their Python stack,
 * the largest group's stack resolved to the frame a user wrote (for
 * ttbpf-top's detail line).
 */
#ifndef TTBPF_PY_HOLDER_H
#define TTBPF_PY_HOLDER_H

#include <stddef.h>
#include <stdint.h>

#include "pysymbolize.h"
#include "state.h"

struct py_holder {
	uint32_t pid;
	int device;
	uint32_t kind;
	int32_t py_id; /* py_stacks id, or a TTBPF_PY_* reason */
	uint64_t bytes;
	uint64_t buffers;
};

struct py_holders {
	struct py_holder *v; /* one per (pid, device, kind), sorted */
	size_t n;
};

/* The largest Python stack of every row among @bufs. 0 or -ENOMEM. */
int py_holders__build(struct py_holders *h, const struct state_buf *bufs,
		      size_t n);
void py_holders__free(struct py_holders *h);

/* The row's largest holder, or NULL when the row has no buffer. */
const struct py_holder *py_holders__find(const struct py_holders *h,
					 uint32_t pid, int device,
					 uint32_t kind);

/*
 * Text for @h (unescaped: the strings come from the traced process):
 * "function (file:line)" of the innermost frame outside installed packages
 * (site-packages, dist-packages), else the innermost; "? (reason)" when
 * the frames are unknown. NULL when there is nothing to say: the process
 * runs no Python.
 */
const char *py_holder__label(const struct py_holder *h,
			     const struct ttbpf_maps *m,
			     struct pysymbolizer *py, char *buf, size_t len);

#endif /* TTBPF_PY_HOLDER_H */
