// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <bpf/bpf.h>

#include "buffer_address.h"
#include "state.h"

/* process_vm_readv() takes at most IOV_MAX (1024) segments per call. */
#define BATCH 512

/*
 * Read the u64 at @addr[i] in @pid into @val[i] for i < n (n <= BATCH), in
 * as few calls as possible; an address of 0 or one that cannot be read
 * gives 0. The kernel stops at the first segment it cannot read: go on
 * after it.
 */
static void read_words(pid_t pid, const uint64_t *addr, size_t n, uint64_t *val)
{
	struct iovec local[BATCH], remote[BATCH];
	size_t idx[BATCH], k = 0, done = 0;

	for (size_t i = 0; i < n; i++) {
		val[i] = 0;
		if (!addr[i])
			continue;
		local[k].iov_base = &val[i];
		local[k].iov_len = sizeof(uint64_t);
		remote[k].iov_base = (void *)(uintptr_t)addr[i];
		remote[k].iov_len = sizeof(uint64_t);
		idx[k++] = i;
	}
	while (done < k) {
		ssize_t got = process_vm_readv(pid, local + done, k - done,
					       remote + done, k - done, 0);

		if (got < 0 && errno != EFAULT)
			return; /* gone, or not ours to read */
		if (got < 0)
			got = 0;
		done += (size_t)got / sizeof(uint64_t);
		if (done < k)
			val[idx[done++]] = 0; /* the segment that failed */
	}
}

struct layout_cache {
	struct ttbpf_lib lib[TTBPF_MAX_LIBS];
	bool tried[TTBPF_MAX_LIBS], ok[TTBPF_MAX_LIBS];
};

static const struct ttbpf_layout *layout_of(int libs_fd, struct layout_cache *c,
					    __u32 idx)
{
	if (idx >= TTBPF_MAX_LIBS)
		return NULL;
	if (!c->tried[idx]) {
		c->tried[idx] = true;
		c->ok[idx] = !bpf_map_lookup_elem(libs_fd, &idx, &c->lib[idx]);
	}
	return c->ok[idx] && c->lib[idx].layout.address_off >= 0
		       ? &c->lib[idx].layout
		       : NULL;
}

/* Up to BATCH buffers of one process, @pick[0..n) indexing @bufs: the
 * BufferImpl pointers first where the layout has one, then the field. */
static void read_some(int libs_fd, struct layout_cache *c,
		      const struct state_buf *bufs, const size_t *pick,
		      size_t n, uint64_t *out)
{
	const struct ttbpf_layout *l[BATCH];
	uint64_t where[BATCH] = { 0 }, val[BATCH];
	pid_t pid = (pid_t)bufs[pick[0]].pid;

	for (size_t i = 0; i < n; i++) {
		const struct state_buf *b = &bufs[pick[i]];

		l[i] = layout_of(libs_fd, c, b->a.lib);
		where[i] = l[i] && l[i]->impl_off >= 0
				   ? b->buffer + (uint64_t)l[i]->impl_off
				   : 0;
	}
	read_words(pid, where, n, val);
	for (size_t i = 0; i < n; i++) {
		const struct state_buf *b = &bufs[pick[i]];
		uint64_t base =
			l[i] && l[i]->impl_off >= 0 ? val[i] : b->buffer;

		where[i] =
			l[i] && base ? base + (uint64_t)l[i]->address_off : 0;
	}
	read_words(pid, where, n, val);
	for (size_t i = 0; i < n; i++)
		out[pick[i]] = val[i];
}

static int cmp_pid(const void *a, const void *b, void *arg)
{
	const struct state_buf *bufs = arg;
	uint32_t x = bufs[*(const size_t *)a].pid,
		 y = bufs[*(const size_t *)b].pid;

	return x < y ? -1 : x > y;
}

void buffer_address__read(int libs_fd, const struct state_buf *bufs, size_t n,
			  uint64_t *out)
{
	struct layout_cache *cache = calloc(1, sizeof(*cache));
	size_t *pick = malloc((n ? n : 1) * sizeof(*pick)), k = 0;

	for (size_t i = 0; i < n; i++) {
		out[i] = bufs[i].a.address;
		if (!out[i] && pick)
			pick[k++] = i;
	}
	if (!cache || !pick)
		goto out;
	/* One process at a time, BATCH buffers per call. */
	qsort_r(pick, k, sizeof(*pick), cmp_pid, (void *)bufs);
	for (size_t i = 0; i < k;) {
		size_t j = i;

		while (j < k && j - i < BATCH &&
		       bufs[pick[j]].pid == bufs[pick[i]].pid)
			j++;
		read_some(libs_fd, cache, bufs, pick + i, j - i, out);
		i = j;
	}
out:
	free(pick);
	free(cache);
}
