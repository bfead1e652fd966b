/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* One event as a readable line or as one JSON object per line. */
#ifndef TTBPF_EVENT_FORMAT_H
#define TTBPF_EVENT_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

#include "ttbpf.h"

/* Version of the JSON the tools print (docs/events.md). */
#define EVENT_SCHEMA 2

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

/* "2026-11-29T20:47:28.123456789Z" (UTC) into @buf. */
const char *event_time_iso(unsigned long long wall_ns, char *buf, size_t len);

/* Returns the length written (snprintf semantics). */
int event_format_text(const struct ttbpf_event *e, unsigned long long wall_ns,
		      char *buf, size_t len);

struct json_writer;
struct release_rows;

/* "device" (null when unknown, a mesh id for a mesh whose chips are
 * unknown) and "dev_kind" ("chip", "mesh", "unknown"): one encoding in
 * every JSON the tools print. */
void event_json_device(struct json_writer *w, int device,
		       unsigned int dev_kind);

/* "chips": every chip holding a buffer (a mesh buffer's chips, or the one
 * chip); left out when no chip is known. */
void event_json_chips(struct json_writer *w, int device, unsigned int dev_kind,
		      unsigned long long chips);

/* What user space adds to an event it prints as JSON. */
struct event_json {
	unsigned long long wall_ns;	 /* ts_ns on the wall clock */
	const struct release_rows *rows; /* bulk_free, exit, exec */
	/* alloc and alloc_failed: writes more keys (--python-frames) */
	void (*python)(struct json_writer *w, const struct ttbpf_event *e,
		       void *ctx);
	void *python_ctx;
};

/* Open an event's object: "event", "ts_ns" and "time", which every JSON
 * line of the trace starts with. */
void event_json_begin(struct json_writer *w, const char *event,
		      unsigned long long ts_ns, unsigned long long wall_ns);

/* What the first line of the trace's --json says. */
struct event_header {
	unsigned long long ts_ns;
	long long mono_to_wall_ns; /* wall-clock time = ts_ns + this */
	const char *tool, *version;
	const char *lib_paths[TTBPF_MAX_LIBS], *lib_eras[TTBPF_MAX_LIBS];
	size_t n_libs;
	bool python_frames;
};

void event_format_header_json(struct json_writer *w,
			      const struct event_header *h);

/* {"event":"lost"}: @events more were dropped (ring buffer full) since the
 * last one, @total since the start. */
void event_format_lost_json(struct json_writer *w, unsigned long long ts_ns,
			    unsigned long long wall_ns,
			    unsigned long long events,
			    unsigned long long total);

/* One event as one JSON object (schema 2, docs/events.md), no newline. */
void event_format_json(struct json_writer *w, const struct ttbpf_event *e,
		       const struct event_json *x);

#endif /* TTBPF_EVENT_FORMAT_H */
