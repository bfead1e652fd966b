/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One state read as Prometheus text exposition (format 0.0.4): what
 * ttbpf-exporter serves on /metrics. Kept apart from the HTTP side so the
 * text can be checked without a socket.
 */
#ifndef TTBPF_METRICS_H
#define TTBPF_METRICS_H

#include <stdio.h>

#include "capacity.h"
#include "proc_names.h"
#include "state.h"

struct metrics_info {
	const char *version;	    /* ttbpf's version, for ttbpf_info */
	const struct capacity *cap; /* per-chip capacities; NULL: none */
	/* Where process rows get their container label; NULL: none. */
	struct proc_names *names;
};

/*
 * Write every ttbpf_* family for @s to @f, HELP and TYPE first. @s may be
 * NULL when the maps could not be read: then only ttbpf_up 0. Returns 0 or
 * -EIO when @f failed.
 */
int metrics__write(FILE *f, const struct state *s,
		   const struct metrics_info *info);

/*
 * A label value as Prometheus reads it back: first made terminal-safe like
 * every untrusted string (text_escape: controls and invalid UTF-8 become
 * \xNN), then '\\', '"' and newline escaped per the exposition format.
 */
void metrics__label_value(FILE *f, const char *s, size_t maxlen);

#endif /* TTBPF_METRICS_H */
