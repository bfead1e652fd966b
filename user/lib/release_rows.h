/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What a bulk free, exit or exec released, per device and buffer type:
 * the struct ttbpf_release_part records BPF sends before such an event,
 * gathered per releasing thread and handed over with the event.
 */
#ifndef TTBPF_RELEASE_ROWS_H
#define TTBPF_RELEASE_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "ttbpf.h"

/* A mesh buffer counts once on each of its chips, as usage rows count it. */
struct release_row {
	int32_t device;
	uint32_t dev_kind; /* enum ttbpf_dev_kind */
	uint32_t type;	   /* enum ttbpf_buffer_type */
	uint64_t size;
	uint64_t count;
};

struct release_rows {
	struct release_row *v; /* by dev_kind, device, type */
	size_t n, cap;
	uint32_t parts; /* part records received */
};

/* Parts waiting for their event, per thread. */
struct release_parts {
	struct release_parts_entry {
		uint64_t id;
		uint64_t ts; /* the release the rows are of */
		struct release_rows rows;
	} * v;
	size_t n, cap;
};

/* Add one part (a mesh part to each of its chips). 0 or -ENOMEM. */
int release_rows__add_part(struct release_rows *r,
			   const struct ttbpf_release_part *p);
void release_rows__free(struct release_rows *r);
/* Sort @r and fold rows that came to name the same device and type
 * (after their devices were renumbered). */
void release_rows__sort(struct release_rows *r);

int release_parts__add(struct release_parts *ps,
		       const struct ttbpf_release_part *p);
/* Move the rows gathered for thread @id (pid << 32 | tid) by the release
 * stamped @ts (its event's ts_ns) into @out, sorted; empty when none
 * came. Rows of an earlier release whose event was lost are dropped.
 * The caller frees @out. */
void release_parts__take(struct release_parts *ps, uint64_t id, uint64_t ts,
			 struct release_rows *out);
void release_parts__free(struct release_parts *ps);

#endif /* TTBPF_RELEASE_ROWS_H */
