/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Device addresses the probes do not know: allocate_buffer is probed only
 * at its entry, before the allocator has chosen one, so the buffer map
 * holds 0 there. Once the call has returned the Buffer holds it; read it
 * from the process with the library's layout.
 */
#ifndef TTBPF_BUFFER_ADDRESS_H
#define TTBPF_BUFFER_ADDRESS_H

#include <stddef.h>
#include <stdint.h>

struct state_buf;

/*
 * For each of @bufs whose address is 0, read it from its process into
 * @out[i] (0: unreadable, or the allocation has not returned yet);
 * others are copied. @libs_fd is the libs map (layouts by lib index).
 * The caller must check that each buffer was still allocated after this
 * read: a freed Buffer's memory holds anything.
 */
void buffer_address__read(int libs_fd, const struct state_buf *bufs, size_t n,
			  uint64_t *out);

#endif /* TTBPF_BUFFER_ADDRESS_H */
