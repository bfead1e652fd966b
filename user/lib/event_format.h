/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* One event as a readable line or as one JSON object per line. */
#ifndef TTBPF_EVENT_FORMAT_H
#define TTBPF_EVENT_FORMAT_H

#include <stddef.h>

#include "ttbpf.h"

const char *event_kind_name(unsigned int kind);
const char *buffer_type_name(unsigned int type);
/* "dev 3", "mesh 1" or "dev ?" into @buf. */
const char *device_label(int device, unsigned int dev_kind, char *buf,
			 size_t len);
const char *dev_kind_name(unsigned int dev_kind);
/* 1536 -> "1.50 KiB"; exact bytes are always printed next to it. */
const char *human_bytes(unsigned long long bytes, char *buf, size_t len);
/* "0x1a000", or "?" for 0: allocations are seen at their entry, before
 * the allocator has chosen an address (no allocator hands out 0). */
const char *address_text(unsigned long long address, char *buf, size_t len);

/*
 * Escape at most @maxlen bytes of @s for a JSON string (comm comes from the
 * task and may hold any byte). Returns the length written.
 */
int json_escape(const char *s, size_t maxlen, char *buf, size_t len);

/* Both return the length written (snprintf semantics). */
int event_format_text(const struct ttbpf_event *e, unsigned long long wall_ns,
		      char *buf, size_t len);
int event_format_json(const struct ttbpf_event *e, char *buf, size_t len);

#endif /* TTBPF_EVENT_FORMAT_H */
