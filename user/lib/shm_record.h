/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * TT-Metal's own per-process, per-chip totals (/dev/shm/tt_device_<id>_memory,
 * layout version 3): what a process holds when ttbpf did not see it
 * allocate. See shm_record.c.
 */
#ifndef TTBPF_SHM_RECORD_H
#define TTBPF_SHM_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "state.h"

struct json_writer;

#define SHM_RECORD_MAX_PROCS 64
#define SHM_RECORD_NR_TYPES  5 /* DRAM, L1, L1_SMALL, TRACE, CB */

struct shm_record_row {
	uint32_t pid;
	uint64_t chip_uid; /* the UMD unique chip id, from the file name */
	int device;	   /* its host-wide number (chip_ids.h), -1: unknown */
	uint64_t bytes[SHM_RECORD_NR_TYPES];
	char name[65]; /* as TT-Metal wrote it: untrusted, escape it */
};

struct shm_record {
	struct shm_record_row *rows;
	size_t n, cap;
};

/* Rows of live processes with something recorded, from every file in @dir
 * ("/dev/shm"). 0 (possibly no rows) or a negative errno. */
int shm_record__read(const char *dir, struct shm_record *out);
void shm_record__free(struct shm_record *r);

/* Drop the rows of processes ttbpf has usage rows for (it sees them
 * allocate: never count twice), and of other pids than @pid (0: all). */
void shm_record__keep_unseen(struct shm_record *r, const struct state *s,
			     uint32_t pid);

/* Keep the rows of host-wide chip @device only (-1: all). */
void shm_record__keep_device(struct shm_record *r, int device);

/* The section's heading, and one row as a line (no newline, escaped). */
extern const char shm_record_heading[];
const char *shm_record__row_text(const struct shm_record_row *row, char *buf,
				 size_t len);

/* A labelled section; nothing without rows. */
void shm_record__print_text(const struct shm_record *r, FILE *f);

/* "tt_metal_record": [{pid, name, chip_uid, device, usage: {DRAM..CB}}] */
void shm_record__json(const struct shm_record *r, struct json_writer *w);

/* "DRAM", "L1", "L1_SMALL", "TRACE", "CB" */
extern const char *const shm_record_types[SHM_RECORD_NR_TYPES];

#endif /* TTBPF_SHM_RECORD_H */
