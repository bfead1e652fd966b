/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Leak report (memleak-style): the outstanding buffers older than an age,
 * grouped by allocation stack, equal stacks of different processes
 * merged.
 */
#ifndef TTBPF_LEAKS_H
#define TTBPF_LEAKS_H

#include <stddef.h>
#include <stdint.h>

#include "stacks.h"
#include "state.h"

/* Stack groups of leaked buffers, largest total first. */
struct leak {
	const struct stack_sym *stack; /* NULL: no stack recorded */
	uint64_t bytes, count;
	__u64 bytes_by_type[TTBPF_NR_TYPES];
	uint32_t pids[8];
	size_t n_pids;
	uint64_t oldest_ms;
};

struct leaks {
	struct leak *v;
	size_t n;
	uint64_t bytes, count;
};

/*
 * Group the buffers of @s at least @min_age_ms old by their stack in
 * @st, largest total first (then most buffers, then stack text). 0 or
 * -ENOMEM; free with leaks__free() either way.
 */
int leaks__build(struct leaks *lk, const struct state *s,
		 const struct stacks *st, uint64_t min_age_ms);
void leaks__free(struct leaks *lk);

#endif /* TTBPF_LEAKS_H */
