/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The options every reader of the pinned maps takes (ttbpf-top,
 * ttbpf-exporter): where the pins are, what to attach to when nothing is
 * pinned, and the capacities to show. One argp child, so that the tools
 * agree on names, help and parsing.
 */
#ifndef TTBPF_READER_ARGS_H
#define TTBPF_READER_ARGS_H

#include <argp.h>
#include <stddef.h>

#include "ttbpf.h"

struct reader_args {
	const char *libs[TTBPF_MAX_LIBS];
	size_t n_libs;
	const char *layout;
	const char *pin_dir;
	const char *sysfs_root;
	const char *arch;
	const char *capacity;
	int verbose;
};

/* Give it a struct reader_args, initialised with reader_args__init(), as
 * its child input (state->child_inputs[i] at ARGP_KEY_INIT). */
extern const struct argp reader_args__argp;

void reader_args__init(struct reader_args *r);

#endif /* TTBPF_READER_ARGS_H */
