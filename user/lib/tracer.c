// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "errmsg.h"
#include "discover.h"
#include "privileges.h"
#include "text_escape.h"
#include "pyframes.h"
#include "tracer.h"
#include "ttbpf.skel.h"

#define MAX_LINKS 512

struct tracer {
	struct ttbpf *skel;
	struct bpf_link *links[MAX_LINKS];
	size_t n_links;
	struct ring_buffer *rb;
	struct tt_lib_info *libs;
	size_t n_libs;
	struct ttbpf_maps maps;
	tracer_event_fn event_fn;
	void *event_ctx;
	bool pin;
	bool python;
	int verbose;
	char pin_dir[256];
};

static int verbose_level;

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list args)
{
	if (level == LIBBPF_DEBUG && verbose_level < 2)
		return 0;
	if (!verbose_level)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static struct bpf_program *prog_for_role(struct ttbpf *skel,
					 enum ttbpf_probe_role role)
{
	switch (role) {
	case TTBPF_ROLE_ALLOC_ENTRY:
		return skel->progs.alloc_entry;
	case TTBPF_ROLE_ALLOC_RETURN:
		return skel->progs.alloc_return;
	case TTBPF_ROLE_FREE_ENTRY:
		return skel->progs.free_entry;
	case TTBPF_ROLE_BULK_FREE:
		return skel->progs.bulk_free;
	case TTBPF_ROLE_THROW:
		return skel->progs.throw_entry;
	}
	return NULL;
}

static int add_link(struct tracer *t, struct bpf_link *link)
{
	if (t->n_links >= MAX_LINKS) {
		bpf_link__destroy(link);
		return -E2BIG;
	}
	t->links[t->n_links++] = link;
	return 0;
}

/*
 * Discovered libraries are whatever other users map under that name: one
 * that cannot be traced (not TT-Metal, not ELF, unreadable) is skipped
 * with a warning, and the rest are traced.
 */
static int collect_found(const struct tracer_opts *o, struct tracer *t,
			 char *err, size_t errlen)
{
	struct found_lib found[TTBPF_MAX_LIBS];
	char why[1024];
	int n, skipped = 0;

	n = discover_tt_libs("/proc", found, TTBPF_MAX_LIBS);
	if (n < 0)
		return errmsg_set(err, errlen, n,
				  "cannot scan /proc for libtt_metal.so: %s",
				  strerror(-n));
	if (!n)
		return errmsg_set(err, errlen, -ENOENT,
				  "no --lib given and no running process maps "
				  "libtt_metal.so; pass --lib "
				  "PATH/libtt_metal.so");
	t->libs = calloc((size_t)n, sizeof(*t->libs));
	if (!t->libs)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		struct tt_lib_info *info = &t->libs[t->n_libs];
		int e = tt_lib_analyze(found[i].path, o->layout, info, why,
				       sizeof(why));

		fputs(e ? "ttbpf: skipping " : "ttbpf: tracing ", stderr);
		text_escape_to(stderr, found[i].shown, SIZE_MAX);
		fprintf(stderr, " (mapped by pid %d)%s%s\n", (int)found[i].pid,
			e ? ": " : "", e ? why : "");
		if (e)
			skipped++;
		else
			t->n_libs++;
	}
	if (!t->n_libs)
		return errmsg_set(err, errlen, -ENOEXEC,
				  "none of the %d mapped libtt_metal.so files "
				  "can be traced (see above); pass --lib "
				  "PATH/libtt_metal.so",
				  skipped);
	return 0;
}

/* Resolve the libraries to trace: the given paths, or the mapped ones. */
static int collect_libs(const struct tracer_opts *o, struct tracer *t,
			char *err, size_t errlen)
{
	if (!o->n_libs)
		return collect_found(o, t, err, errlen);
	if (o->n_libs > TTBPF_MAX_LIBS)
		return errmsg_set(err, errlen, -E2BIG, "at most %d --lib paths",
				  TTBPF_MAX_LIBS);
	t->libs = calloc(o->n_libs, sizeof(*t->libs));
	if (!t->libs)
		return -ENOMEM;
	for (size_t i = 0; i < o->n_libs; i++) {
		int e = tt_lib_analyze(o->libs[i], o->layout, &t->libs[i], err,
				       errlen);

		if (e == -ENOENT)
			e = discover_explain_missing("/proc", o->libs[i],
						     o->pid, e, err, errlen);
		if (e)
			return e;
		t->n_libs++;
	}
	return 0;
}

/* Keep the end of a long path: the file name says more than the root. */
static void copy_tail(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	memcpy(dst, n < len ? src : src + n - (len - 1), n < len ? n + 1 : len);
	dst[len - 1] = '\0';
}

static int fill_maps(struct tracer *t, const struct tracer_opts *o)
{
	struct ttbpf_meta meta = {
		.abi = TTBPF_MAP_ABI,
		.n_libs = (__u32)t->n_libs,
		.loader_pid = (__u32)getpid(),
		.max_buffers = o->max_buffers,
		.collect_stacks = o->stacks,
	};
	struct timespec mono, real;
	__u32 zero = 0;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	meta.start_ts_ns = (__u64)mono.tv_sec * 1000000000ULL + mono.tv_nsec;
	meta.start_realtime_ns =
		(__u64)real.tv_sec * 1000000000ULL + real.tv_nsec;
	for (__u32 i = 0; i < t->n_libs; i++) {
		struct ttbpf_lib lib = { .layout = t->libs[i].layout };
		struct stat st;

		if (!stat(t->libs[i].path, &st)) {
			lib.dev = st.st_dev;
			lib.ino = st.st_ino;
		}
		for (int f = 0; f < TT_NR_FIELDS; f++)
			if (t->libs[i].source[f] == TT_SRC_PROFILE)
				meta.layout_warnings++;
		copy_tail(meta.lib_paths[i], sizeof(meta.lib_paths[i]),
			  t->libs[i].path);
		if (bpf_map_update_elem(t->maps.libs_fd, &i, &lib, BPF_ANY))
			return -errno;
	}
	if (bpf_map_update_elem(t->maps.meta_fd, &zero, &meta, BPF_ANY))
		return -errno;
	return 0;
}

static int attach_lib(struct tracer *t, __u32 idx, char *err, size_t errlen)
{
	const struct tt_lib_info *info = &t->libs[idx];

	for (size_t i = 0; i < info->n_sites; i++) {
		const struct tt_probe_site *s = &info->sites[i];
		LIBBPF_OPTS(bpf_uprobe_opts, uo);
		struct bpf_link *link;
		int e;

		uo.bpf_cookie = TTBPF_COOKIE(idx, s->role, s->vaddr);
		link = bpf_program__attach_uprobe_opts(
			prog_for_role(t->skel, s->role), -1, info->path,
			s->file_offset, &uo);
		if (!link) {
			e = -errno;
			return errmsg_set(
				err, errlen, e,
				"attaching a uprobe to %s+0x%llx (%s) "
				"failed: %s",
				info->path, (unsigned long long)s->file_offset,
				s->symbol, strerror(-e));
		}
		e = add_link(t, link);
		if (e)
			return errmsg_set(err, errlen, e, "too many probes");
	}
	return 0;
}

/*
 * Failed allocations are seen at __cxa_throw. The throw lives in whichever
 * libstdc++ the process loaded: probe every copy we can find. Missing it is
 * not fatal: failures are then reported late, at the thread's next
 * allocation.
 */
static void attach_throw(struct tracer *t, int verbose)
{
	struct found_lib found[16];
	int n = discover_libstdcxx("/proc", found, 16);

	for (int i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, uo);
		struct bpf_link *link;

		uo.func_name = "__cxa_throw";
		uo.bpf_cookie = TTBPF_COOKIE(0, TTBPF_ROLE_THROW, 0);
		link = bpf_program__attach_uprobe_opts(
			t->skel->progs.throw_entry, -1, found[i].path, 0, &uo);
		if (!link) {
			int e = errno;

			if (verbose) {
				fputs("ttbpf: no __cxa_throw probe on ",
				      stderr);
				text_escape_to(stderr, found[i].path, SIZE_MAX);
				fprintf(stderr, ": %s\n", strerror(e));
			}
			continue;
		}
		if (add_link(t, link))
			return;
	}
}

static int pin_all(struct tracer *t, char *err, size_t errlen)
{
	struct bpf_map *map;
	char path[512];
	int e;

	if (mkdir(t->pin_dir, 0700) && errno != EEXIST)
		return errmsg_set(err, errlen, -errno, "cannot create %s: %s",
				  t->pin_dir, strerror(errno));
	bpf_object__for_each_map(map, t->skel->obj)
	{
		const char *name = bpf_map__name(map);

		/* Internal maps (.rodata, .bss) and scratch stay private. */
		if (strchr(name, '.') || strstr(name, "_scratch") ||
		    !strcmp(name, "pending"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", t->pin_dir, name);
		e = bpf_map__pin(map, path);
		if (e)
			return errmsg_set(err, errlen, e,
					  "pinning %s failed: %s", path,
					  strerror(-e));
	}
	snprintf(path, sizeof(path), "%s/links", t->pin_dir);
	if (mkdir(path, 0700) && errno != EEXIST)
		return errmsg_set(err, errlen, -errno, "cannot create %s: %s",
				  path, strerror(errno));
	for (size_t i = 0; i < t->n_links; i++) {
		snprintf(path, sizeof(path), "%s/links/%zu", t->pin_dir, i);
		e = bpf_link__pin(t->links[i], path);
		if (e)
			return errmsg_set(err, errlen, e,
					  "pinning %s failed: %s", path,
					  strerror(-e));
	}
	return 0;
}

static void set_map_fds(struct tracer *t)
{
	struct ttbpf *s = t->skel;

	t->maps.allocs_fd = bpf_map__fd(s->maps.allocs);
	t->maps.dev_usage_fd = bpf_map__fd(s->maps.dev_usage);
	t->maps.proc_usage_fd = bpf_map__fd(s->maps.proc_usage);
	t->maps.stats_fd = bpf_map__fd(s->maps.stats);
	t->maps.stacks_fd = bpf_map__fd(s->maps.stacks);
	t->maps.libs_fd = bpf_map__fd(s->maps.libs);
	t->maps.meta_fd = bpf_map__fd(s->maps.meta);
	t->maps.py_stacks_fd = bpf_map__fd(s->maps.py_stacks);
	t->maps.pinned = false;
}

static int handle_rb(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;

	if (size < sizeof(struct ttbpf_event) || !t->event_fn)
		return 0;
	return t->event_fn(t->event_ctx, data);
}

int tracer__open(const struct tracer_opts *o, struct tracer **out, char *err,
		 size_t errlen)
{
	struct tracer *t;
	int e;

	*out = NULL;
	verbose_level = o->verbose;
	libbpf_set_print(libbpf_print);

	e = privileges_check(err, errlen);
	if (e)
		return e;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->pin = o->pin;
	snprintf(t->pin_dir, sizeof(t->pin_dir), "%s",
		 o->pin_dir ? o->pin_dir : TTBPF_PIN_DIR);
	if (t->pin) {
		e = bpffs_ensure(t->pin_dir, err, errlen);
		if (e)
			goto cleanup;
		if (!access(t->pin_dir, F_OK)) {
			e = errmsg_set(
				err, errlen, -EEXIST,
				"%s already holds a pinned tracer; read it "
				"with ttbpf-top/ttbpf-snapshot or remove it "
				"with ttbpf-trace --unpin",
				t->pin_dir);
			goto cleanup;
		}
	}

	e = collect_libs(o, t, err, errlen);
	if (e)
		goto cleanup;

	t->skel = ttbpf__open();
	if (!t->skel) {
		e = errmsg_set(err, errlen, -errno,
			       "opening the BPF object failed: %s",
			       strerror(errno));
		goto cleanup;
	}
	t->skel->rodata->cfg.target_pid = (__u32)o->pid;
	t->skel->rodata->cfg.collect_stacks = o->stacks;
	t->skel->rodata->py_frames_on = o->python;
	t->python = o->python;
	t->verbose = o->verbose;
	t->skel->data->emit_events = o->events;
	if (o->max_buffers)
		bpf_map__set_max_entries(t->skel->maps.allocs, o->max_buffers);
	e = ttbpf__load(t->skel);
	if (e) {
		e = errmsg_set(
			err, errlen, e,
			"loading the BPF programs failed: %s (run with -v "
			"for the verifier log)",
			strerror(-e));
		goto cleanup;
	}
	set_map_fds(t);
	if (t->python)
		pyframes__register_running(bpf_map__fd(t->skel->maps.py_procs),
					   (uint32_t)o->pid, o->verbose);
	e = fill_maps(t, o);
	if (e) {
		e = errmsg_set(err, errlen, e,
			       "filling the BPF maps failed: %s", strerror(-e));
		goto cleanup;
	}

	/* Exit first: a process that dies while we attach is still released. */
	e = add_link(t, bpf_program__attach(t->skel->progs.handle_exit));
	if (e || !t->links[t->n_links - 1]) {
		e = errmsg_set(err, errlen, -errno,
			       "attaching to sched_process_exit failed: %s",
			       strerror(errno));
		goto cleanup;
	}
	for (__u32 i = 0; i < t->n_libs; i++) {
		e = attach_lib(t, i, err, errlen);
		if (e)
			goto cleanup;
	}
	attach_throw(t, o->verbose);

	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), handle_rb,
				 t, NULL);
	if (!t->rb) {
		e = errmsg_set(err, errlen, -errno,
			       "creating the ring buffer failed: %s",
			       strerror(errno));
		goto cleanup;
	}
	if (t->pin) {
		e = pin_all(t, err, errlen);
		if (e) {
			tracer__unpin(t->pin_dir);
			t->pin = false;
			goto cleanup;
		}
	}
	*out = t;
	return 0;

cleanup:
	t->pin = false;
	tracer__close(t);
	return e;
}

const struct ttbpf_maps *tracer__maps(const struct tracer *t)
{
	return &t->maps;
}

size_t tracer__n_libs(const struct tracer *t)
{
	return t->n_libs;
}

const struct tt_lib_info *tracer__lib(const struct tracer *t, size_t i)
{
	return i < t->n_libs ? &t->libs[i] : NULL;
}

int tracer__set_event_fn(struct tracer *t, tracer_event_fn fn, void *ctx)
{
	t->event_fn = fn;
	t->event_ctx = ctx;
	return 0;
}

int tracer__poll(struct tracer *t, int timeout_ms)
{
	int n = ring_buffer__poll(t->rb, timeout_ms), more;

	if (n == -EINTR)
		n = 0;
	if (n < 0)
		return n;
	/* Python processes that allocated before we knew them. */
	if (t->python)
		pyframes__register_unseen(bpf_map__fd(t->skel->maps.py_unseen),
					  bpf_map__fd(t->skel->maps.py_procs),
					  t->verbose);
	/* Events are submitted without a wake-up until the ring fills up:
	 * epoll has not seen them, read what waits anyway. */
	more = ring_buffer__consume(t->rb);
	return more < 0 ? more : n + more;
}

void tracer__close(struct tracer *t)
{
	if (!t)
		return;
	/* Pinned probes outlive us: stop their events, nobody reads them. */
	if (t->pin && t->skel && t->skel->data)
		t->skel->data->emit_events = 0;
	ring_buffer__free(t->rb);
	for (size_t i = 0; i < t->n_links; i++)
		bpf_link__destroy(t->links[i]);
	ttbpf__destroy(t->skel);
	free(t->libs);
	free(t);
}

int tracer__unpin(const char *dir)
{
	char path[512];
	int err = 0;

	/* Links first, so no probe runs against half-removed maps. */
	for (int i = 0; i < MAX_LINKS; i++) {
		snprintf(path, sizeof(path), "%s/links/%d", dir, i);
		if (unlink(path) && errno != ENOENT)
			err = -errno;
	}
	snprintf(path, sizeof(path), "%s/links", dir);
	rmdir(path);
	const char *names[] = { TTBPF_MAP_ALLOCS,     TTBPF_MAP_DEV_USAGE,
				TTBPF_MAP_PROC_USAGE, TTBPF_MAP_STATS,
				TTBPF_MAP_STACKS,     TTBPF_MAP_LIBS,
				TTBPF_MAP_META,	      "events",
				"traced_pids",	      TTBPF_MAP_PY_STACKS,
				"py_procs",	      "py_unseen" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (unlink(path) && errno != ENOENT)
			err = -errno;
	}
	if (rmdir(dir) && errno != ENOENT)
		err = -errno;
	return err;
}
