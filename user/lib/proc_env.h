/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A running process seen from outside (root, or its owner): its memory,
 * start time, mappings and environment. See proc_env.c.
 */
#ifndef TTBPF_PROC_ENV_H
#define TTBPF_PROC_ENV_H

#include <stddef.h>
#include <stdint.h>

#define PROC_ENV_MAX_SHM 64

/* What /proc/PID/maps tells: the first mappings of the executable and of
 * libc, and the unique ids of TT-Metal's records it maps
 * (/dev/shm/tt_device_<id>_memory). */
struct pid_maps {
	unsigned long exe_start, exe_end;
	unsigned long libc_start, libc_end;
	uint64_t shm_uid[PROC_ENV_MAX_SHM];
	size_t n_shm;
};

/* @len bytes at @addr in @pid: 0 or -EFAULT (also for @addr 0). */
int proc_env__read_mem(uint32_t pid, uint64_t addr, void *buf, size_t len);
/* The u64 at @addr, 0 when unreadable. */
uint64_t proc_env__u64(uint32_t pid, uint64_t addr);
/* Its start time (/proc/PID/stat, clock ticks): 0 when gone. A pid with
 * another start time is another process. */
unsigned long long proc_env__start_time(uint32_t pid);
/* 0 or a negative errno. */
int proc_env__read_maps(uint32_t pid, struct pid_maps *pm);
/*
 * Whether @name is in the environment getenv() reads now (glibc's
 * __environ, from the executable when it defines it, else from libc):
 * 1, 0, or -1 when that cannot be read (no libc, a static binary).
 */
int proc_env__has(uint32_t pid, const struct pid_maps *pm, const char *name);

#endif /* TTBPF_PROC_ENV_H */
