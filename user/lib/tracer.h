/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Loading and attaching ttbpf's BPF programs to one or more libtt_metal.so
 * files, used by ttbpf-trace and by ttbpf-top when nothing is pinned.
 */
#ifndef TTBPF_TRACER_H
#define TTBPF_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "maps.h"
#include "tt_lib.h"

struct tracer;

struct tracer_opts {
	const char *const *libs; /* library paths; none: discover */
	size_t n_libs;
	const char *layout;	    /* --layout override or NULL */
	pid_t pid;		    /* 0: every process */
	bool follow_tree;	    /* pid and every process it forks */
	bool keep_exit_rows;	    /* see tracer__collect_exited() */
	bool stacks;		    /* record user stacks of allocations */
	bool python;		    /* record their Python frames */
	bool native_unwind;	    /* unwind their stacks from .eh_frame */
	unsigned int unwind_window; /* stack bytes copied, 0: default */
	bool events;		    /* stream events through the ring buffer */
	unsigned int max_buffers;   /* allocs map size */
	unsigned int max_devices;   /* dev_usage map size, 0: default */
	unsigned int max_procs;	    /* proc_usage map size, 0: default */
	unsigned int max_stacks;    /* stacks map size, 0: default */
	bool pin;		    /* pin maps and links under pin_dir */
	const char *pin_dir;	    /* TTBPF_PIN_DIR when NULL */
	int verbose;
};

struct release_rows;

/*
 * Called for every event from tracer__poll(). @rows: what a bulk_free,
 * exit or exec released per device and type (NULL for other kinds),
 * the callee's to renumber.
 * Return non-zero to stop.
 */
typedef int (*tracer_event_fn)(void *ctx, const struct ttbpf_event *e,
			       struct release_rows *rows);

/*
 * Analyse the libraries, load, attach. On failure returns a negative errno,
 * writes a one-line cause with a hint to @err and leaves nothing attached.
 */
int tracer__open(const struct tracer_opts *opts, struct tracer **out, char *err,
		 size_t errlen);

/*
 * The readers' (top, exporter) maps: those pinned in @pin_dir, with *@out
 * NULL; or, when nothing is pinned, say on stderr, as @tool, that it
 * attaches by itself and sees only allocations from now on, then
 * tracer__open() without stacks or events (*@out) and hand out its maps.
 * Returns 0 or a negative errno after printing the cause with a hint.
 * Release with tracer__close_reader().
 */
int tracer__open_reader(const char *tool, const char *pin_dir,
			const struct tracer_opts *opts, struct tracer **out,
			struct ttbpf_maps *maps);
void tracer__close_reader(struct tracer *t, struct ttbpf_maps *maps);

/* Maps of the loaded object; valid until tracer__close(). */
const struct ttbpf_maps *tracer__maps(const struct tracer *t);

/* Libraries analysed and attached (for the start-up banner and --explain). */
size_t tracer__n_libs(const struct tracer *t);
const struct tt_lib_info *tracer__lib(const struct tracer *t, size_t i);

int tracer__set_event_fn(struct tracer *t, tracer_event_fn fn, void *ctx);
/* Wait up to @timeout_ms for events; returns events handled or -errno. */
int tracer__poll(struct tracer *t, int timeout_ms);

/*
 * With keep_exit_rows a process's usage rows stay after it exits, so that
 * a summary still shows what it did; this moves the rows of processes that
 * have exited (final from then on) out of the map into @out. Returns how
 * many rows were moved or a negative errno.
 */
struct state_proc;
int tracer__collect_exited(struct tracer *t, struct state_proc **out, size_t *n,
			   size_t *cap);

/* The command line @pid had at its first traced allocation, when kept
 * (keep_exit_rows). 0, or -ENOENT. */
int tracer__cmdline(const struct tracer *t, uint32_t pid,
		    struct ttbpf_cmdline *out);

/* With --native-unwind: what the capture and the unwinding did (false
 * when the option is off). */
struct native_unwind_stats;
bool tracer__unwind_stats(const struct tracer *t, uint64_t *bpf_counts,
			  struct native_unwind_stats *user);

/* Detach and unload; pinned objects stay if opts.pin was set. */
void tracer__close(struct tracer *t);

/* What of a --pin tracer's pins are still in place (someone may unpin). */
struct tracer_pins {
	size_t links, links_left; /* probes, and of them still pinned */
	size_t maps, maps_left;
};
void tracer__pins_left(const struct tracer *t, struct tracer_pins *out);

struct unpin_report {
	bool existed;		 /* there was a pin directory */
	size_t maps, links;	 /* pins removed */
	size_t attached;	 /* of those probes, still attached after */
	unsigned int loader_pid; /* the tracer that pinned them; 0: unknown */
};

/*
 * Remove what ttbpf pinned under @dir, through checked descriptors only:
 * nothing is touched unless @dir is a trusted 0700 directory holding only
 * ttbpf's pins. 0 also when nothing is pinned there (r->existed false);
 * else a negative errno and a one-line cause in @err.
 */
int tracer__unpin(const char *dir, struct unpin_report *r, char *err,
		  size_t errlen);

#endif /* TTBPF_TRACER_H */
