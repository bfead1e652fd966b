/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Host-wide chip numbers. The probes see Device::id_, the number a chip
 * has inside its process; TT_VISIBLE_DEVICES renumbers the chips a
 * process sees from 0. The host-wide number is the one the chip has in a
 * process started without it. Found in user space, once per process:
 *  - the process's environment as getenv() sees it (glibc's __environ,
 *    read from its memory): no TT_VISIBLE_DEVICES, its ids are host-wide;
 *  - otherwise each of its chips' TT-Metal unique id (the number in
 *    /dev/shm/tt_device_<id>_memory), read from its Device objects through
 *    one of its live buffers, and the host-wide number of that unique id
 *    as a process without TT_VISIBLE_DEVICES has it on this host.
 * What cannot be found is unknown, never guessed. See chip_ids.c.
 */
#ifndef TTBPF_CHIP_IDS_H
#define TTBPF_CHIP_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct state;
struct state_proc;
struct ttbpf_maps;

/* Learn what can be known of @pid's chips now, while it runs (its first
 * event is the best moment). Cheap once the process is known. */
void chip_ids__see(const struct ttbpf_maps *m, uint32_t pid);

/* An alloc/free event's device and chips on host-wide numbers (device -1
 * and no chips when unknown); sees the process of any event first, as
 * chip_ids__see() does. */
struct ttbpf_event;
void chip_ids__event(const struct ttbpf_maps *m, struct ttbpf_event *e);

/* What a bulk free, exit or exec of @pid released, on host-wide chip
 * numbers (device -1 when unknown), as chip_ids__event() does. */
struct release_rows;
void chip_ids__rows(const struct ttbpf_maps *m, uint32_t pid,
		    struct release_rows *r);

/* Rows of @s (processes, devices, buffers) on host-wide chip numbers,
 * each process row keeping its own id and the unique id where known. */
void chip_ids__apply(const struct ttbpf_maps *m, struct state *s);

/* Move the device rows' share of process rows @rows that are on another
 * host-wide chip than their own id (the trace's rows of exited ones). */
void chip_ids__move_devs(struct state *s, const struct state_proc *rows,
			 size_t n);

/* One process row read elsewhere (the trace's rows of exited processes),
 * from what was learned while the process ran. */
void chip_ids__translate(struct state_proc *p);

/* The host-wide number of unique chip id @uid as learnt so far, or -1. */
int chip_ids__host_of_uid(uint64_t uid);

/* "dev 1 (local 0)" for a chip the process numbers otherwise, "dev ?
 * (local 0)" when its host-wide number is unknown, else device_label(). */
const char *chip_ids__label(int device, unsigned int kind, int local,
			    bool unknown, char *buf, size_t len);

/* Forget every process and learned number (tests). */
void chip_ids__reset(void);

#endif /* TTBPF_CHIP_IDS_H */
