/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Command line of ttbpf-trace, parsed into a plain struct (unit-tested). */
#ifndef TTBPF_TRACE_ARGS_H
#define TTBPF_TRACE_ARGS_H

#include <stdbool.h>
#include <sys/types.h>

#include "ttbpf.h"

struct trace_args {
	const char *libs[TTBPF_MAX_LIBS];
	unsigned int n_libs;
	const char *layout;
	const char *pin_dir;
	pid_t pid;
	int device;		  /* -1: all */
	unsigned int interval_ms; /* usage line period, 0: none */
	unsigned int max_buffers;
	unsigned int max_devices; /* dev_usage rows */
	unsigned int max_procs;	  /* proc_usage rows */
	unsigned int max_stacks;  /* distinct allocation stacks */
	bool json;
	bool explain;
	bool pin;
	bool unpin;
	bool quiet; /* no per-event lines */
	bool stacks;
	bool python;	    /* Python frames of allocations */
	bool python_frames; /* ... printed in --json alloc events */
	int verbose;
	const char *record;	       /* --record FILE.db or NULL */
	unsigned long long record_max; /* its size bound, bytes */
	bool force;		       /* --force: replace our own FILE.db */
	char **cmd; /* after "--", NULL-terminated, or NULL */
};

/*
 * Parse @argv. Returns 0, or a negative errno after printing the reason.
 * @argp_flags: 0 in the tool (argp exits on --help and on errors), or
 * ARGP_NO_EXIT in tests.
 */
int trace_args_parse(int argc, char **argv, unsigned int argp_flags,
		     struct trace_args *out);

#endif /* TTBPF_TRACE_ARGS_H */
