/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Outstanding buffers in report order: grouped device -> type -> process,
 * or by size alone. A million buffers sort in well under a second.
 */
#ifndef TTBPF_BUFFER_ORDER_H
#define TTBPF_BUFFER_ORDER_H

#include <stdbool.h>

#include "state.h"

enum buffer_order {
	BUFFER_ORDER_GROUPS, /* device, type, process, then size, address */
	BUFFER_ORDER_SIZE,   /* size (largest first), address, pid */
};

/* Sort @s->bufs by @by. 0 or -ENOMEM (then @s is unchanged). */
int buffer_order__sort(struct state *s, enum buffer_order by);

/*
 * Order @s->bufs device -> type -> process, the largest type of a device
 * and the largest process of a type first, each process's buffers
 * largest first. 0 or -ENOMEM.
 */
int buffer_order__groups(struct state *s);

/* Same device (kind and number); same device and buffer type: where
 * one group of the report ends. */
bool state_buf__same_dev(const struct state_buf *x, const struct state_buf *y);
bool state_buf__same_type(const struct state_buf *x, const struct state_buf *y);

#endif /* TTBPF_BUFFER_ORDER_H */
