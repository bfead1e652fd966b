/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Per-device (and per-process) usage lines printed by ttbpf-trace every
 * interval and at the end, read through state__read().
 */
#ifndef TTBPF_SUMMARY_H
#define TTBPF_SUMMARY_H

#include <stdbool.h>
#include <stdio.h>

#include "maps.h"
#include "proc_names.h"
#include "state.h"

struct summary_opts {
	int device;	/* only this device; -1 for all */
	bool processes; /* one line per process too */
	bool stats;	/* drops, unmatched frees, ... */
	/* Rows of processes that have exited, kept by the caller. */
	const struct state_proc *exited;
	size_t n_exited;
	/* Command lines and containers; NULL: not shown. */
	struct proc_names *names;
	/* Processes not seen allocating, from TT-Metal's own record
	 * (shm_record.h): when every process is traced. */
	bool tt_metal_record;
	/* When it was read (JSON): monotonic, and on the wall clock. */
	unsigned long long ts_ns, wall_ns;
};

int summary_print_text(const struct ttbpf_maps *m, const struct summary_opts *o,
		       FILE *f);
/* One JSON object on one line: {"event":"summary",...}. */
int summary_print_json(const struct ttbpf_maps *m, const struct summary_opts *o,
		       FILE *f);

#endif /* TTBPF_SUMMARY_H */
