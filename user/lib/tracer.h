/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Loading and attaching ttbpf's BPF programs to one or more libtt_metal.so
 * files, used by ttbpf-trace and by ttbpf-top when nothing is pinned.
 */
#ifndef TTBPF_TRACER_H
#define TTBPF_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "maps.h"
#include "tt_lib.h"

struct tracer;

struct tracer_opts {
	const char *const *libs; /* library paths; none: discover */
	size_t n_libs;
	const char *layout;	  /* --layout override or NULL */
	pid_t pid;		  /* 0: every process */
	bool stacks;		  /* record user stacks of allocations */
	bool python;		  /* record their Python frames */
	bool events;		  /* stream events through the ring buffer */
	unsigned int max_buffers; /* allocs map size */
	bool pin;		  /* pin maps and links under pin_dir */
	const char *pin_dir;	  /* TTBPF_PIN_DIR when NULL */
	int verbose;
};

/* Called for every event from tracer__poll(). Return non-zero to stop. */
typedef int (*tracer_event_fn)(void *ctx, const struct ttbpf_event *e);

/*
 * Analyse the libraries, load, attach. On failure returns a negative errno,
 * writes a one-line cause with a hint to @err and leaves nothing attached.
 */
int tracer__open(const struct tracer_opts *opts, struct tracer **out, char *err,
		 size_t errlen);

/* Maps of the loaded object; valid until tracer__close(). */
const struct ttbpf_maps *tracer__maps(const struct tracer *t);

/* Libraries analysed and attached (for the start-up banner and --explain). */
size_t tracer__n_libs(const struct tracer *t);
const struct tt_lib_info *tracer__lib(const struct tracer *t, size_t i);

int tracer__set_event_fn(struct tracer *t, tracer_event_fn fn, void *ctx);
/* Wait up to @timeout_ms for events; returns events handled or -errno. */
int tracer__poll(struct tracer *t, int timeout_ms);

/* Detach and unload; pinned objects stay if opts.pin was set. */
void tracer__close(struct tracer *t);

/* Remove everything pinned under @dir. */
int tracer__unpin(const char *dir);

#endif /* TTBPF_TRACER_H */
