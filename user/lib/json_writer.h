/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one JSON writer: every JSON byte the tools print goes through it
 * (trace events and summary, snapshot, the trace's header line), so there
 * is one escaper and one encoding per kind of value.
 *
 * Strings: valid UTF-8 passes through as is; a byte that is not part of a
 * valid sequence (a comm or a command line may hold any byte) becomes
 * \u00XX, so the byte stays recoverable and the output is always valid
 * UTF-8; control characters and DEL are escaped. 64-bit addresses are
 * written as "0x..." strings (json_writer__hex): many JSON consumers read
 * numbers as doubles, which lose bits above 2^53.
 */
#ifndef TTBPF_JSON_WRITER_H
#define TTBPF_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

/* Commas and nesting are tracked here so callers only say what comes
 * next. */
struct json_writer {
	FILE *f;
	int depth;
	int beyond; /* levels opened past JSON_MAX_DEPTH, not tracked */
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
/* "0x1a2b": addresses and pointers. */
void json_writer__hex(struct json_writer *w, uint64_t v);
void json_writer__bool(struct json_writer *w, bool v);
void json_writer__null(struct json_writer *w);

/* Key and value in one call. */
void json_writer__field_u64(struct json_writer *w, const char *key, uint64_t v);
void json_writer__field_i64(struct json_writer *w, const char *key, int64_t v);
void json_writer__field_hex(struct json_writer *w, const char *key, uint64_t v);
void json_writer__field_string(struct json_writer *w, const char *key,
			       const char *s);
void json_writer__field_bool(struct json_writer *w, const char *key, bool v);

/* Escape @s (up to @maxlen bytes) into @f without quotes. */
void json_escape_to(FILE *f, const char *s, size_t maxlen);

#endif /* TTBPF_JSON_WRITER_H */
