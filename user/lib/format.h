/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Formatting shared by ttbpf-top and ttbpf-snapshot: buffer type names,
 * sizes, ages and bars. Type names, device labels and human sizes come from
 * event_format.h, terminal-safe text from text_escape.h, JSON from
 * json_writer.h; this includes all three.
 */
#ifndef TTBPF_FORMAT_H
#define TTBPF_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "event_format.h"
#include "json_writer.h"
#include "text_escape.h"

/* "DRAM", "l1_small", ... (any case) -> enum ttbpf_buffer_type, or -EINVAL. */
int format_type_parse(const char *name);

/*
 * Strict decimal (or 0x hex) number: no sign, no spaces, nothing after it,
 * at most @max. 0 or -EINVAL.
 */
int format_parse_u64(const char *s, uint64_t max, uint64_t *out);

/*
 * A device on the command line: "N" (chip or mesh N), "chip:N" or
 * "mesh:N". Sets @kind to -1 (any) or enum ttbpf_dev_kind. 0 or -EINVAL.
 */
int format_device_parse(const char *s, int *device, int *kind);

/* 850 -> "850ms", 12345 -> "12.3s", 303000 -> "5m03s", 7500000 -> "2h05m". */
const char *format_age_ms(uint64_t ms, char *buf, size_t len);

/*
 * "[#####.....]" with @width cells inside the brackets for @used of @cap.
 * Values above @cap fill the bar; @cap 0 gives an empty bar.
 */
const char *format_bar(uint64_t used, uint64_t cap, unsigned int width,
		       char *buf, size_t len);

/* @key: {"DRAM": v[0], ...} over every buffer type. */
void format_types_json(struct json_writer *w, const char *key, const __u64 *v);
/* "usage", "buffers", "peak" (per type), "allocs", "frees", "failed" of
 * a usage row: the keys snapshot and the trace's summary share. */
void format_usage_json(struct json_writer *w, const struct ttbpf_usage *u);
/* "stats": {name: value} of every counter (stat_notes.h names them). */
void format_stats_json(struct json_writer *w, const uint64_t *stats);

/* used/cap in percent with one decimal, rounded down; cap 0 gives 0. */
double format_percent(uint64_t used, uint64_t cap);

#endif /* TTBPF_FORMAT_H */
