/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Real BPF maps of the same types and sizes as ttbpf's, created and pinned
 * under a temporary bpffs folder, for the readers' tests: the tests fill
 * them with known numbers and check what the readers make of them.
 * Included by the test files only (everything static).
 */
#ifndef TTBPF_TEST_MAPS_FIXTURE_H
#define TTBPF_TEST_MAPS_FIXTURE_H

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "maps.h"

struct mfx {
	char dir[128]; /* pinned here; "" when not pinned */
	struct ttbpf_maps m;
};

static const char *const mfx_names[] = {
	TTBPF_MAP_ALLOCS, TTBPF_MAP_DEV_USAGE, TTBPF_MAP_PROC_USAGE,
	TTBPF_MAP_STATS,  TTBPF_MAP_STACKS,    TTBPF_MAP_LIBS,
	TTBPF_MAP_META,	  TTBPF_MAP_PY_STACKS, TTBPF_MAP_NATIVE_STACKS,
	TTBPF_MAP_OWNERS,
};

#define MFX_N_MAPS (sizeof(mfx_names) / sizeof(mfx_names[0]))

static inline int *mfx_fd(struct mfx *f, size_t i)
{
	int *fds[] = { &f->m.allocs_fd,	       &f->m.dev_usage_fd,
		       &f->m.proc_usage_fd,    &f->m.stats_fd,
		       &f->m.stacks_fd,	       &f->m.libs_fd,
		       &f->m.meta_fd,	       &f->m.py_stacks_fd,
		       &f->m.native_stacks_fd, &f->m.owners_fd };

	return fds[i];
}

static inline uint64_t mfx_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline void mfx_destroy(struct mfx *f)
{
	char path[256];

	for (size_t i = 0; i < MFX_N_MAPS; i++) {
		if (f->dir[0]) {
			snprintf(path, sizeof(path), "%s/%s", f->dir,
				 mfx_names[i]);
			unlink(path);
		}
		if (*mfx_fd(f, i) >= 0)
			close(*mfx_fd(f, i));
		*mfx_fd(f, i) = -1;
	}
	if (f->dir[0])
		rmdir(f->dir);
	f->dir[0] = '\0';
}

/* Create the maps; pin them under a fresh bpffs folder when @pin. */
static inline int mfx_create(struct mfx *f, __u32 max_allocs, bool pin)
{
	struct {
		enum bpf_map_type type;
		__u32 key, value, max;
	} spec[] = {
		{ BPF_MAP_TYPE_HASH, sizeof(struct ttbpf_alloc_key),
		  sizeof(struct ttbpf_alloc), max_allocs },
		{ BPF_MAP_TYPE_HASH, sizeof(struct ttbpf_dev_key),
		  sizeof(struct ttbpf_usage), TTBPF_MAX_DEVICES },
		{ BPF_MAP_TYPE_HASH, sizeof(struct ttbpf_proc_key),
		  sizeof(struct ttbpf_usage), TTBPF_MAX_PROCS },
		{ BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, TTBPF_NR_STATS },
		{ BPF_MAP_TYPE_HASH, 4, sizeof(struct ttbpf_stack), 1024 },
		{ BPF_MAP_TYPE_ARRAY, 4, sizeof(struct ttbpf_lib),
		  TTBPF_MAX_LIBS },
		{ BPF_MAP_TYPE_ARRAY, 4, sizeof(struct ttbpf_meta), 1 },
		{ BPF_MAP_TYPE_HASH, 4, sizeof(struct ttbpf_py_stack), 64 },
		{ BPF_MAP_TYPE_HASH, sizeof(struct ttbpf_alloc_key),
		  sizeof(struct ttbpf_unwound), max_allocs },
		{ BPF_MAP_TYPE_HASH, sizeof(struct ttbpf_owner_key),
		  sizeof(struct ttbpf_owner), TTBPF_MAX_OWNERS },
	};
	char path[256];
	int err;

	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < MFX_N_MAPS; i++)
		*mfx_fd(f, i) = -1;
	f->m.pinned = false;
	for (size_t i = 0; i < MFX_N_MAPS; i++) {
		int fd = bpf_map_create(spec[i].type, mfx_names[i], spec[i].key,
					spec[i].value, spec[i].max, NULL);

		if (fd < 0) {
			err = -errno;
			goto cleanup;
		}
		*mfx_fd(f, i) = fd;
	}
	if (!pin)
		return 0;
	snprintf(f->dir, sizeof(f->dir), "/sys/fs/bpf/ttbpf-test-%d-%llu",
		 (int)getpid(), (unsigned long long)mfx_now_ns());
	if (mkdir(f->dir, 0700)) {
		err = -errno;
		f->dir[0] = '\0';
		goto cleanup;
	}
	for (size_t i = 0; i < MFX_N_MAPS; i++) {
		snprintf(path, sizeof(path), "%s/%s", f->dir, mfx_names[i]);
		if (bpf_obj_pin(*mfx_fd(f, i), path)) {
			err = -errno;
			goto cleanup;
		}
	}
	return 0;

cleanup:
	mfx_destroy(f);
	return err;
}

/* Each CPU gets a share of @total so that only the sum is @total. */
static inline int mfx_set_stat(struct mfx *f, __u32 idx, uint64_t total)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *v = calloc((size_t)ncpu, sizeof(*v));
	uint64_t left = total;
	int err = 0;

	if (!v)
		return -ENOMEM;
	for (int c = 0; c < ncpu; c++) {
		v[c] = c == ncpu - 1 ? left : left / 2;
		left -= v[c];
	}
	if (bpf_map_update_elem(f->m.stats_fd, &idx, v, BPF_ANY))
		err = -errno;
	free(v);
	return err;
}

static inline int mfx_add_dev(struct mfx *f, int device, __u32 kind,
			      const struct ttbpf_usage *u)
{
	struct ttbpf_dev_key k = { .device = device, .dev_kind = kind };

	return bpf_map_update_elem(f->m.dev_usage_fd, &k, u, BPF_ANY) ? -errno
								      : 0;
}

static inline int mfx_add_proc(struct mfx *f, __u32 pid, int device, __u32 kind,
			       const struct ttbpf_usage *u)
{
	struct ttbpf_proc_key k = { .pid = pid,
				    .device = device,
				    .dev_kind = kind };

	return bpf_map_update_elem(f->m.proc_usage_fd, &k, u, BPF_ANY) ? -errno
								       : 0;
}

static inline int mfx_add_buf(struct mfx *f, __u32 pid, __u64 buffer,
			      const struct ttbpf_alloc *a)
{
	struct ttbpf_alloc_key k = { .pid = pid, .buffer = buffer };

	return bpf_map_update_elem(f->m.allocs_fd, &k, a, BPF_ANY) ? -errno : 0;
}

static inline int mfx_set_meta(struct mfx *f, const struct ttbpf_meta *meta)
{
	__u32 zero = 0;

	return bpf_map_update_elem(f->m.meta_fd, &zero, meta, BPF_ANY) ? -errno
								       : 0;
}

/*
 * A real user stack of this process in the stacks map, as the BPF walk
 * records it at the entry of mfx_stack_target(): its first instruction,
 * then the return address into mfx_stack_caller().
 */
static uint64_t mfx_return_address;

__attribute__((noinline)) static int mfx_stack_target(volatile int *x)
{
	mfx_return_address = (uint64_t)__builtin_return_address(0);
	return *x + 1;
}

__attribute__((noinline)) static int mfx_stack_caller(volatile int *x)
{
	return mfx_stack_target(x) * 2;
}

static inline int mfx_capture_stack(struct mfx *f, int *stack_id)
{
	struct ttbpf_stack st = {};
	volatile int x = 1;
	__u32 id = 7;

	mfx_stack_caller(&x);
	st.ip[0] = (uint64_t)(uintptr_t)mfx_stack_target;
	st.ip[1] = mfx_return_address;
	if (bpf_map_update_elem(f->m.stacks_fd, &id, &st, BPF_ANY))
		return -errno;
	*stack_id = (int)id;
	return 0;
}

/*
 * The built tool @name next to the test binaries ($OUT/tests/..): its
 * path into @buf, or -ENOENT. $TTBPF_TOOLS overrides the folder.
 */
static inline int mfx_tool(const char *name, char *buf, size_t len)
{
	const char *dir = getenv("TTBPF_TOOLS");
	char exe[PATH_MAX - 64];
	ssize_t n;
	char *slash;

	if (dir) {
		snprintf(buf, len, "%s/%s", dir, name);
	} else {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n < 0)
			return -errno;
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (!slash)
			return -ENOENT;
		*slash = '\0';
		if ((size_t)snprintf(buf, len, "%s/../%s", exe, name) >= len)
			return -ENAMETOOLONG;
	}
	return access(buf, X_OK) ? -ENOENT : 0;
}

/* Run @cmd through sh; its stdout (up to @len-1 bytes) into @out. */
static inline int mfx_run(const char *cmd, char *out, size_t len, int *status)
{
	FILE *p = popen(cmd, "r");
	size_t n = 0, r;

	if (!p)
		return -errno;
	while (n + 1 < len && (r = fread(out + n, 1, len - 1 - n, p)) > 0)
		n += r;
	out[n] = '\0';
	/* Drain the rest so the child never blocks on a full pipe. */
	while (fgetc(p) != EOF)
		;
	*status = pclose(p);
	return 0;
}

#endif /* TTBPF_TEST_MAPS_FIXTURE_H */
