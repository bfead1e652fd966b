/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * `ttbpf-trace --record FILE.db`: events, usage samples and allocation
 * stacks written to SQLite, for ttbpf-report and for queries.
 *
 * Schema (version 3; times are CLOCK_REALTIME nanoseconds):
 *   meta(key TEXT PRIMARY KEY, value TEXT)
 *     schema_version, ttbpf_version, start_ns, library (one per traced
 *     file: library.0, library.1, ...), events_not_recorded (when the
 *     size bound was reached), end_ns (written at a clean stop)
 *   events(id INTEGER PRIMARY KEY, ts_ns, kind, pid, tid, comm, device,
 *          dev_kind, type, size, address, buffer, allocator, count,
 *          stack_id, flags, py_stack_id)
 *     one row per event, in the order the tracer read them; kind is
 *     alloc, free, alloc_failed, bulk_free, exit or exec; device -1 and
 *     dev_kind unknown when not known; type NULL on bulk_free/exit;
 *     address NULL when not known (alloc events); stack_id NULL without
 *     a stack; py_stack_id NULL unless the allocating process runs Python
 *     (then a row of py_stacks)
 *   samples(ts_ns, pid, comm, device, dev_kind, type, bytes, buffers,
 *           peak)
 *     every interval: one row per device and type (pid 0) and per process,
 *     device and type, from the maps (exact even when events are dropped)
 *   stacks(pid, stack_id, frames, PRIMARY KEY (pid, stack_id))
 *     the allocation stack, innermost first, one symbolized frame a line
 *   py_stacks(pid, py_stack_id, frames, PRIMARY KEY (pid, py_stack_id))
 *     the allocation's Python call chain, innermost first, one frame a
 *     line as "file:line function", resolved while the process lived; a
 *     negative py_stack_id is a chain not captured, its one line saying
 *     why in brackets
 *   released(event_id, device, dev_kind, type, size, count)
 *     what a bulk_free, exit or exec event (events.id) released, one row
 *     per device and buffer type, as its JSON "released" rows: a mesh
 *     buffer once on each of its chips. The rows sum to less than was
 *     released when the event's flags say some did not reach the tracer
 *     (ring buffer or row map full); the samples stay exact
 * Version 1 had no py_stack_id and no py_stacks; version 2 no released.
 *
 * The file is created with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, as are
 * its -wal sibling (so SQLite never follows a planted link); WAL with an
 * exclusive lock, one transaction per batch: a tracer killed at any point
 * leaves a consistent file holding every batch committed before.
 */
#ifndef TTBPF_RECORDER_H
#define TTBPF_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "maps.h"
#include "state.h"

#define RECORDER_SCHEMA_VERSION "3"

struct recorder;

struct recorder_opts {
	const char *path;
	bool force;	    /* replace an existing file of ours */
	uint64_t max_bytes; /* size bound of the database */
	const char *version;
};

/*
 * Create the database. Returns 0 or a negative errno with a one-line
 * cause and hint in @err.
 */
int recorder__open(const struct recorder_opts *o, struct recorder **out,
		   char *err, size_t errlen);

/* Libraries traced, recorded as meta library.N. */
int recorder__add_library(struct recorder *r, const char *path);

struct release_rows;

/* Queue one event and, for bulk_free/exit/exec, its @rows (may be NULL);
 * @wall_ns: its CLOCK_REALTIME time. */
int recorder__event(struct recorder *r, const struct ttbpf_event *e,
		    const struct release_rows *rows, uint64_t wall_ns,
		    const struct ttbpf_maps *maps);

/* One usage sample of every device and process row of @s. */
int recorder__sample(struct recorder *r, const struct state *s,
		     uint64_t wall_ns);

/* Commit what is queued; returns 0 or a negative errno. */
int recorder__commit(struct recorder *r);

/* Events not recorded because the size bound was reached. */
uint64_t recorder__lost(const struct recorder *r);

/* Commit, note the end, close. */
void recorder__close(struct recorder *r, uint64_t end_wall_ns);

#endif /* TTBPF_RECORDER_H */
