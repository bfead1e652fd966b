/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ttbpf-trace --native-unwind, user space: each record of the unwind ring
 * (registers and a window of the stack at allocate_buffer's entry) is
 * unwound with libdwfl from the mapped files' .eh_frame, the way perf
 * unwinds its DWARF call graphs; the chain goes into the stacks map and
 * native_stacks names it for that (pid, Buffer*). One Dwfl per process,
 * cached. A chain cut short ends with a TTBPF_UNWIND_END_* mark.
 */
#ifndef TTBPF_NATIVE_UNWIND_USER_H
#define TTBPF_NATIVE_UNWIND_USER_H

#include <stddef.h>
#include <stdint.h>

#include "ttbpf_unwind.h"

struct native_unwinder;

struct native_unwind_stats {
	uint64_t records; /* unwound */
	uint64_t frames;  /* in all of them */
	uint64_t cut;	  /* chains that end in a mark */
	uint64_t no_room; /* stacks or native_stacks map full */
	uint64_t ns;	  /* user CPU time spent unwinding, total */
	uint64_t stale;	  /* entries of freed buffers swept */
};

/* @stacks_fd, @native_fd, @allocs_fd, @owners_fd: the maps of that name. */
struct native_unwinder *native_unwinder__new(int stacks_fd, int native_fd,
					     int allocs_fd, int owners_fd);
void native_unwinder__free(struct native_unwinder *u);

/* One ring record (a struct ttbpf_unwind_rec cut after its data). 0, or
 * a negative errno when it was malformed or could not be stored. */
int native_unwinder__handle(struct native_unwinder *u, const void *data,
			    size_t size);

/*
 * Unwind one record into @ips (innermost first, at most @max, a mark
 * last when cut short). Returns the depth. Exposed for the tests.
 */
int native_unwinder__unwind(struct native_unwinder *u,
			    const struct ttbpf_unwind_rec *r, size_t size,
			    uint64_t *ips, size_t max);

/* Delete native_stacks entries whose buffer was freed (or reallocated). */
void native_unwinder__sweep(struct native_unwinder *u);

/* Forget the cached modules of @pid (it exited or exec'd). */
void native_unwinder__forget(struct native_unwinder *u, uint32_t pid);

void native_unwinder__stats(const struct native_unwinder *u,
			    struct native_unwind_stats *out);

#endif /* TTBPF_NATIVE_UNWIND_USER_H */
