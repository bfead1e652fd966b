/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ttbpf's maps read into plain arrays: per-device and per-process usage,
 * outstanding buffers, stats and meta. One read is one consistent-enough
 * picture for ttbpf-top, ttbpf-snapshot and ttbpf-trace's summaries.
 */
#ifndef TTBPF_STATE_H
#define TTBPF_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "maps.h"

struct state_dev {
	int device;	   /* a chip: its host-wide number (chip_ids.h) */
	uint32_t kind;	   /* enum ttbpf_dev_kind */
	bool host_unknown; /* chips of processes whose number is unknown */
	struct ttbpf_usage u;
};

struct state_proc {
	uint32_t pid;
	int device; /* a chip: host-wide number, -1 when host_unknown */
	uint32_t kind;
	int local_device;  /* the id the process itself gives it */
	bool host_unknown; /* the host-wide number cannot be known */
	bool has_uid;	   /* chip_uid is known */
	uint64_t chip_uid; /* TT-Metal's unique chip id (its shm file's) */
	struct ttbpf_usage u;
};

struct state_buf {
	uint32_t pid;
	uint64_t buffer;      /* Buffer* in that process */
	struct ttbpf_alloc a; /* a mesh buffer: one entry per chip (device) */
	int local_device;     /* a.device as the process numbers it */
	bool host_unknown;    /* a.device (-1) cannot be known */
};

struct state {
	struct state_dev *devs; /* sorted by kind, then device */
	size_t n_devs;
	struct state_proc *procs; /* sorted by pid, kind, device */
	size_t n_procs;
	struct state_buf *bufs; /* map order unless sorted */
	size_t n_bufs;
	uint64_t stats[TTBPF_NR_STATS];
	struct ttbpf_meta meta;
	bool has_meta;
	uint64_t now_ns;  /* CLOCK_MONOTONIC at the read, like ts_ns */
	bool chips_moved; /* device rows moved to host-wide numbers */
};

enum state_flags {
	STATE_BUFFERS = 1 << 0,	   /* read outstanding buffers too (large) */
	STATE_NO_BATCH = 1 << 1,   /* iterate keys one by one (for tests) */
	STATE_HOST_CHIPS = 1 << 2, /* chips by host-wide number (chip_ids.h) */
};

/*
 * Read everything from @m into @s (zeroed first). A missing meta entry is
 * not an error (has_meta false). Returns 0 or a negative errno, with @s
 * freed.
 */
int state__read(const struct ttbpf_maps *m, struct state *s,
		unsigned int flags);
void state__free(struct state *s);

/* Keep rows of @device (-1: all) of @kind (-1: any) and of @pid (0: all). */
void state__filter(struct state *s, int device, int kind, uint32_t pid);

enum state_sort {
	STATE_SORT_PID,	 /* ascending */
	STATE_SORT_DRAM, /* bytes, descending */
	STATE_SORT_L1,
	STATE_SORT_L1_SMALL,
	STATE_SORT_TRACE,
	STATE_SORT_TOTAL,   /* all types */
	STATE_SORT_BUFFERS, /* live buffers, descending */
	STATE_SORT_PEAK,    /* sum of per-type peaks, descending */
	STATE_SORT_AGE,	    /* oldest first */
};

void state__sort_procs(struct state *s, enum state_sort by);
/* Device rows by kind, then device (rows of unknown chips last). */
void state__sort_devs(struct state *s);

/* The device row for (@device, @kind), or NULL. */
const struct state_dev *state__dev(const struct state *s, int device,
				   uint32_t kind);

uint64_t usage__total_bytes(const struct ttbpf_usage *u);
uint64_t usage__total_buffers(const struct ttbpf_usage *u);
uint64_t usage__total_peak(const struct ttbpf_usage *u);

/*
 * Copy the user stack @stack_id into @ips (at most @max frames). Returns
 * the depth, -ENOENT when the stack is gone or @stack_id < 0.
 */
int state__read_stack(const struct ttbpf_maps *m, int32_t stack_id,
		      uint64_t *ips, size_t max);

/* Copy the Python stack @id into @out; -ENOENT when gone or @id <= 0. */
int state__read_py_stack(const struct ttbpf_maps *m, int32_t id,
			 struct ttbpf_py_stack *out);

/* Age in ms of something stamped @ts_ns (0 for the future or no stamp). */
uint64_t state__age_ms(const struct state *s, uint64_t ts_ns);

#endif /* TTBPF_STATE_H */
