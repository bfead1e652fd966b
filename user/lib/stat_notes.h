/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The counters that qualify ttbpf's numbers, worded once for every tool:
 * what each one means, and how much it matters.
 */
#ifndef TTBPF_STAT_NOTES_H
#define TTBPF_STAT_NOTES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ttbpf.h"

enum stat_level {
	STAT_NOTE,    /* expected in normal runs */
	STAT_STREAM,  /* events or stacks are missing, the totals are exact */
	STAT_WARNING, /* the totals or the layout cannot be trusted */
};

struct stat_note {
	enum ttbpf_stat idx;
	enum stat_level level;
	const char *what; /* "allocations not recorded: buffer map full" */
	const char *hint; /* what it means or what to do; NULL: nothing */
};

/* Every counter's name in JSON output, indexed by enum ttbpf_stat. */
extern const char *const stat_names[TTBPF_NR_STATS];

extern const struct stat_note stat_notes[];
extern const size_t n_stat_notes;

/*
 * One line "@prefixWARNING: N what (hint)" for every counter of @level or
 * above whose value @s exceeds @since (NULL: exceeds 0): the caller picks
 * the level from which a counter is a warning for its output. Returns the
 * number of lines.
 */
int stat_notes__print(const uint64_t *s, const uint64_t *since,
		      enum stat_level level, const char *prefix, FILE *f);

#endif /* TTBPF_STAT_NOTES_H */
