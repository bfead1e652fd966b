/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Formatting shared by ttbpf-top and ttbpf-snapshot: buffer type names,
 * sizes, ages, bars, and a small streaming JSON writer. Type names, device
 * labels and human sizes come from event_format.h, terminal-safe text from
 * text_escape.h; this includes both.
 */
#ifndef TTBPF_FORMAT_H
#define TTBPF_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "event_format.h"
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

/* used/cap in percent with one decimal, rounded down; cap 0 gives 0. */
double format_percent(uint64_t used, uint64_t cap);

#define JSON_MAX_DEPTH 32

/*
 * Streaming JSON writer: commas and nesting are tracked here so callers
 * only say what comes next. Strings are escaped as RFC 8259 wants; bytes
 * that are not valid UTF-8 (a comm may hold any byte) become \u00XX.
 */
struct json_writer {
	FILE *f;
	int depth;
	bool first[JSON_MAX_DEPTH];
	bool after_key;
	int err; /* -EOVERFLOW on too deep nesting */
};

void json_writer__init(struct json_writer *w, FILE *f);
void json_writer__begin_object(struct json_writer *w);
void json_writer__end_object(struct json_writer *w);
void json_writer__begin_array(struct json_writer *w);
void json_writer__end_array(struct json_writer *w);
void json_writer__key(struct json_writer *w, const char *key);
void json_writer__string(struct json_writer *w, const char *s);
/* At most @maxlen bytes of @s (fixed-size fields like comm). */
void json_writer__string_n(struct json_writer *w, const char *s, size_t maxlen);
void json_writer__u64(struct json_writer *w, uint64_t v);
void json_writer__i64(struct json_writer *w, int64_t v);
void json_writer__bool(struct json_writer *w, bool v);
void json_writer__null(struct json_writer *w);

/* Escape @s (up to @maxlen bytes) into @f without quotes. */
void json_escape_to(FILE *f, const char *s, size_t maxlen);

#endif /* TTBPF_FORMAT_H */
