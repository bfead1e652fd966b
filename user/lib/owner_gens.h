/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which buffer map entries are still held. A device close ends its
 * allocator's generation without deleting each buffer's entry; the entries
 * it left (stale) wait for the BPF side to reclaim them, and every reader
 * skips them: an entry is held while its gen is its owner's current one.
 */
#ifndef TTBPF_OWNER_GENS_H
#define TTBPF_OWNER_GENS_H

#include <stdbool.h>
#include <stddef.h>

#include "ttbpf.h"

struct owner_gens {
	struct owner_gen *v; /* sorted by (pid, allocator) */
	size_t n;
};

/*
 * Read every owner's current generation from the "owners" map @fd (a
 * negative @fd: none, every entry counts as held). Read it after the
 * buffer map: an entry read before a close is then known stale. Returns
 * 0 or a negative errno.
 */
int owner_gens__read(int fd, struct owner_gens *g);
void owner_gens__free(struct owner_gens *g);

/* Whether @a, the entry of @pid, is held. Without an owner it counts as
 * held: every entry has one, and a process's exit deletes its entries
 * before their owners (as before generations, a read that races the exit
 * may still see them). */
bool owner_gens__held(const struct owner_gens *g, __u32 pid,
		      const struct ttbpf_alloc *a);

/* The same, one lookup in map @fd: for a few entries. */
bool owner_gens__held_one(int fd, __u32 pid, const struct ttbpf_alloc *a);

#endif /* TTBPF_OWNER_GENS_H */
