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
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/perf_event.h>

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
	TTBPF_MAP_META,
};

static inline int *mfx_fd(struct mfx *f, size_t i)
{
	int *fds[] = { &f->m.allocs_fd, &f->m.dev_usage_fd, &f->m.proc_usage_fd,
		       &f->m.stats_fd,	&f->m.stacks_fd,    &f->m.libs_fd,
		       &f->m.meta_fd };

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

	for (size_t i = 0; i < 7; i++) {
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
		{ BPF_MAP_TYPE_STACK_TRACE, 4, TTBPF_MAX_STACK_DEPTH * 8,
		  1024 },
		{ BPF_MAP_TYPE_ARRAY, 4, sizeof(struct ttbpf_lib),
		  TTBPF_MAX_LIBS },
		{ BPF_MAP_TYPE_ARRAY, 4, sizeof(struct ttbpf_meta), 1 },
	};
	char path[256];
	int err;

	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < 7; i++)
		*mfx_fd(f, i) = -1;
	f->m.pinned = false;
	for (size_t i = 0; i < 7; i++) {
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
	for (size_t i = 0; i < 7; i++) {
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
 * A real user stack in the stacks map: a tiny BPF program on a uprobe at
 * mfx_stack_target() calls bpf_get_stackid() (user space cannot write a
 * STACK_TRACE map) and leaves the id in a one-entry array.
 */
__attribute__((noinline)) static int mfx_stack_target(volatile int *x)
{
	return *x + 1;
}

__attribute__((noinline)) static int mfx_stack_caller(volatile int *x)
{
	return mfx_stack_target(x) * 2;
}

#define MFX_INSN(c, d, s, o, i)             \
	((struct bpf_insn){ .code = (c),    \
			    .dst_reg = (d), \
			    .src_reg = (s), \
			    .off = (o),     \
			    .imm = (i) })

static inline int mfx_file_offset(const void *addr, char *path, size_t len,
				  uint64_t *off)
{
	unsigned long start, end, pgoff;
	char line[1024], file[PATH_MAX];
	FILE *f = fopen("/proc/self/maps", "r");
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %*s %lx %*s %*s %4095s", &start, &end,
			   &pgoff, file) != 4)
			continue;
		if ((unsigned long)addr < start || (unsigned long)addr >= end)
			continue;
		snprintf(path, len, "%s", file);
		*off = (unsigned long)addr - start + pgoff;
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

static inline int mfx_capture_stack(struct mfx *f, int *stack_id)
{
	int out_fd, prog_fd = -1, pfd = -1, err, type;
	__u32 zero = 0;
	__s32 id = -1;
	volatile int x = 1;
	char path[PATH_MAX];
	uint64_t off = 0;
	FILE *tf;

	out_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "mfx_out", 4, 4, 1, NULL);
	if (out_fd < 0)
		return -errno;
	bpf_map_update_elem(out_fd, &zero, &id, BPF_ANY);
	struct bpf_insn insns[] = {
		MFX_INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0),
		MFX_INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 6, 0, 0),
		MFX_INSN(BPF_LD | BPF_DW | BPF_IMM, 2, BPF_PSEUDO_MAP_FD, 0,
			 f->m.stacks_fd),
		MFX_INSN(0, 0, 0, 0, 0),
		MFX_INSN(BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0,
			 BPF_F_USER_STACK),
		MFX_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_stackid),
		MFX_INSN(BPF_ALU64 | BPF_MOV | BPF_X, 7, 0, 0, 0),
		MFX_INSN(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, 0),
		MFX_INSN(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0,
			 out_fd),
		MFX_INSN(0, 0, 0, 0, 0),
		MFX_INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0),
		MFX_INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4),
		MFX_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
		MFX_INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1, 0),
		MFX_INSN(BPF_STX | BPF_MEM | BPF_W, 0, 7, 0, 0),
		MFX_INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),
		MFX_INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	struct perf_event_attr attr = { .size = sizeof(attr) };

	prog_fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "mfx_stack", "GPL", insns,
				sizeof(insns) / sizeof(insns[0]), NULL);
	if (prog_fd < 0) {
		err = -errno;
		goto cleanup;
	}
	err = mfx_file_offset((const void *)mfx_stack_target, path,
			      sizeof(path), &off);
	if (err)
		goto cleanup;
	tf = fopen("/sys/bus/event_source/devices/uprobe/type", "r");
	if (!tf || fscanf(tf, "%d", &type) != 1) {
		err = -ENOENT;
		if (tf)
			fclose(tf);
		goto cleanup;
	}
	fclose(tf);
	attr.type = (__u32)type;
	attr.config1 = (__u64)(unsigned long)path;
	attr.config2 = off;
	pfd = (int)syscall(__NR_perf_event_open, &attr, getpid(), -1, -1,
			   PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0) {
		err = -errno;
		goto cleanup;
	}
	if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog_fd) ||
	    ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0)) {
		err = -errno;
		goto cleanup;
	}
	mfx_stack_caller(&x);
	if (bpf_map_lookup_elem(out_fd, &zero, &id)) {
		err = -errno;
		goto cleanup;
	}
	err = id >= 0 ? 0 : -ENODATA;
	*stack_id = id;
cleanup:
	if (pfd >= 0)
		close(pfd);
	if (prog_fd >= 0)
		close(prog_fd);
	close(out_fd);
	return err;
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
