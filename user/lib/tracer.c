// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "errmsg.h"
#include "discover.h"
#include "pin_dir.h"
#include "privileges.h"
#include "state.h"
#include "text_escape.h"
#include "native_unwind.h"
#include "py_inspector.h"
#include "pyframes.h"
#include "release_rows.h"
#include "tracer.h"
#include "ttbpf.skel.h"

#define MAX_LINKS PIN_DIR_MAX_LINKS

struct tracer {
	struct ttbpf *skel;
	struct bpf_link *links[MAX_LINKS];
	size_t n_links;
	struct ring_buffer *rb;
	struct ring_buffer *unwind_rb; /* --native-unwind records */
	struct native_unwinder *unwinder;
	struct py_inspector *py; /* registers Python processes */
	long long swept_ns;	 /* last sweep of native_stacks */
	struct tt_lib_info *libs;
	size_t n_libs;
	struct ttbpf_maps maps;
	tracer_event_fn event_fn;
	void *event_ctx;
	struct release_parts parts; /* of releases whose event is to come */
	bool pin;
	bool python;
	int verbose;
	char pin_dir[256];
	struct pin_dir pins; /* the checked pin directory, while pinning */
	int links_fd;	     /* its links/ */
	bool pinning;	     /* pins were made: remove them on failure */
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

static int attach_tracepoint(struct tracer *t, struct bpf_program *prog,
			     const char *name, char *err, size_t errlen)
{
	struct bpf_link *link = bpf_program__attach(prog);
	int e;

	if (!link)
		return errmsg_set(err, errlen, -errno,
				  "attaching to %s failed: %s", name,
				  strerror(errno));
	e = add_link(t, link);
	if (e)
		return errmsg_set(err, errlen, e, "too many probes");
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
	struct found_lib found[TTBPF_MAX_LIBS + 1]; /* + 1: one too many */
	char why[1024];
	int n, skipped = 0;

	n = discover_tt_libs("/proc", found, TTBPF_MAX_LIBS + 1);
	if (n < 0)
		return errmsg_set(err, errlen, n,
				  "cannot scan /proc for libtt_metal.so: %s",
				  strerror(-n));
	if (!n)
		return errmsg_set(err, errlen, -ENOENT,
				  "no --lib given and no running process maps "
				  "libtt_metal.so; pass --lib "
				  "PATH/libtt_metal.so");
	if (n > TTBPF_MAX_LIBS) {
		fprintf(stderr,
			"ttbpf: WARNING: more than %d libtt_metal.so files are "
			"mapped; the others are not traced (name them with "
			"--lib in another ttbpf-trace)\n",
			TTBPF_MAX_LIBS);
		n = TTBPF_MAX_LIBS;
	}
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
	if (o->pid && o->follow_tree) {
		__u32 pid = (__u32)o->pid;
		__u8 one = 1;

		if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.tree_pids),
					&pid, &one, BPF_ANY))
			return -errno;
	}
	return 0;
}

/* The kernel's own ENOTSUPP, which libc has no text for: uprobes refuse
 * to probe an instruction they cannot emulate or single-step. */
#define KERNEL_ENOTSUPP 524

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
				s->symbol,
				e == -KERNEL_ENOTSUPP
					? "the kernel cannot probe the "
					  "instruction there (see --explain)"
					: strerror(-e));
		}
		e = add_link(t, link);
		if (e)
			return errmsg_set(err, errlen, e, "too many probes");
	}
	return 0;
}

/*
 * Allocations are counted at the entry of allocate_buffer; a failed one is
 * taken back at __cxa_throw. The throw lives in whichever libstdc++ the
 * process loaded: probe every copy we can find (the system's and those
 * mapped now). Without one, a failure would stay counted: say so.
 */
static void attach_throw(struct tracer *t, int verbose)
{
	struct found_lib found[16];
	int n = discover_libstdcxx("/proc", found, 16), attached = 0;

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
			break;
		attached++;
	}
	if (!attached)
		fprintf(stderr,
			"ttbpf: WARNING: no libstdc++ could be probed for "
			"__cxa_throw: an allocation that fails would stay "
			"counted as held (start the application first, then "
			"the tracer, or use -v to see why)\n");
}

/*
 * The directory must be new, or hold nothing yet: a second tracer would
 * otherwise mix its pins with the first one's.
 */
static int check_pin_dir_empty(struct tracer *t, char *err, size_t errlen)
{
	size_t n;
	const char *const *names = ttbpf_maps__pinned(&n);
	struct pin_scan scan;
	int e;

	if (t->pins.created)
		return 0;
	e = pin_dir__scan(t->pins.fd, t->pin_dir, names, n, &scan, err, errlen);
	if (e)
		return e;
	if (scan.maps || scan.links_dir)
		return errmsg_set(err, errlen, -EEXIST,
				  "%s already holds a pinned tracer; read it "
				  "with ttbpf-top/ttbpf-snapshot or remove it "
				  "with ttbpf-trace --unpin",
				  t->pin_dir);
	return 0;
}

static int pin_at(int dirfd, const char *name, int fd, const char *shown,
		  char *err, size_t errlen)
{
	int e = pin_dir__obj_pin(dirfd, name, fd);

	if (e)
		return errmsg_set(err, errlen, e, "pinning %s/%s failed: %s",
				  shown, name, strerror(-e));
	return 0;
}

/* Every pin goes through the checked directory's descriptor. */
static int pin_all(struct tracer *t, char *err, size_t errlen)
{
	size_t n;
	const char *const *names = ttbpf_maps__pinned(&n);
	char name[24];
	int e;

	t->pinning = true;
	for (size_t i = 0; i < n; i++) {
		struct bpf_map *map =
			bpf_object__find_map_by_name(t->skel->obj, names[i]);

		if (!map)
			return errmsg_set(err, errlen, -ENOENT,
					  "the BPF object has no map %s to pin",
					  names[i]);
		e = pin_at(t->pins.fd, names[i], bpf_map__fd(map), t->pin_dir,
			   err, errlen);
		if (e)
			return e;
	}
	if (mkdirat(t->pins.fd, "links", 0700))
		return errmsg_set(err, errlen, -errno,
				  "cannot create %s/links: %s", t->pin_dir,
				  strerror(errno));
	t->links_fd = openat(t->pins.fd, "links",
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* As for the pin directory: a umask must not take bits from 0700. */
	if (t->links_fd < 0 || fchmod(t->links_fd, 0700))
		return errmsg_set(err, errlen, -errno,
				  "cannot open %s/links: %s", t->pin_dir,
				  strerror(errno));
	for (size_t i = 0; i < t->n_links; i++) {
		snprintf(name, sizeof(name), "%zu", i);
		e = pin_at(t->links_fd, name, bpf_link__fd(t->links[i]),
			   t->pin_dir, err, errlen);
		if (e)
			return e;
	}
	return 0;
}

/* Undo a failed --pin: our own pins, and the directory if we made it. */
static void unpin_own(struct tracer *t)
{
	size_t n, n_ids;
	const char *const *names = ttbpf_maps__pinned(&n);

	if (t->pins.fd < 0)
		return;
	if (t->pinning)
		pin_dir__remove_pins(t->pins.fd, names, n, NULL, 0, &n_ids);
	if (t->pinning || t->pins.created)
		pin_dir__rmdir(&t->pins);
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
	t->maps.native_stacks_fd = bpf_map__fd(s->maps.native_stacks);
	t->maps.owners_fd = bpf_map__fd(s->maps.owners);
	t->maps.pinned = false;
}

static int handle_unwind(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;

	/* A record that cannot be unwound or stored leaves the buffer its
	 * frame-pointer stack; native_unwind_stats counts it. */
	native_unwinder__handle(t->unwinder, data, size);
	return 0;
}

static int handle_rb(void *ctx, void *data, size_t size)
{
	const struct ttbpf_event *e = data;
	struct tracer *t = ctx;
	struct release_rows rows;
	int rc;

	_Static_assert(sizeof(struct ttbpf_release_part) !=
			       sizeof(struct ttbpf_event),
		       "records are told apart by their size");
	if (!t->event_fn)
		return 0;
	if (size == sizeof(struct ttbpf_release_part)) {
		/* Out of memory: the event says fewer parts arrived. */
		release_parts__add(&t->parts, data);
		return 0;
	}
	if (size < sizeof(*e))
		return 0;
	/* A new image, or a pid that may be reused: its modules are not
	 * the ones the unwinder knew. */
	if (t->unwinder &&
	    (e->kind == TTBPF_EV_EXIT || e->kind == TTBPF_EV_EXEC))
		native_unwinder__forget(t->unwinder, e->pid);
	if (e->kind != TTBPF_EV_BULK_FREE && e->kind != TTBPF_EV_EXIT &&
	    e->kind != TTBPF_EV_EXEC)
		return t->event_fn(t->event_ctx, e, NULL);
	release_parts__take(&t->parts, (uint64_t)e->pid << 32 | e->tid,
			    e->ts_ns, &rows);
	rc = t->event_fn(t->event_ctx, e, &rows);
	release_rows__free(&rows);
	return rc;
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
	t->pins.fd = t->pins.parent_fd = t->links_fd = -1;
	snprintf(t->pin_dir, sizeof(t->pin_dir), "%s",
		 o->pin_dir ? o->pin_dir : TTBPF_PIN_DIR);
	if (t->pin) {
		e = bpffs_ensure(t->pin_dir, err, errlen);
		if (!e)
			e = pin_dir__open(&t->pins, t->pin_dir, PIN_DIR_WRITE,
					  true, err, errlen);
		if (e)
			goto cleanup;
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
	if (t->pin) {
		e = check_pin_dir_empty(t, err, errlen);
		if (e)
			goto cleanup;
	}
	t->skel->rodata->cfg.target_pid = (__u32)o->pid;
	t->skel->rodata->cfg.follow_tree = o->pid && o->follow_tree;
	t->skel->rodata->cfg.keep_exit_rows = o->keep_exit_rows && !o->pin;
	t->skel->rodata->cfg.collect_stacks = o->stacks;
	t->skel->rodata->py_frames_on = o->python;
	t->skel->bss->native_unwind_on = o->native_unwind;
	if (o->unwind_window)
		t->skel->rodata->unwind_window = o->unwind_window;
	t->python = o->python;
	t->verbose = o->verbose;
	t->skel->data->emit_events = o->events;
	if (o->max_buffers) {
		bpf_map__set_max_entries(t->skel->maps.allocs, o->max_buffers);
		bpf_map__set_max_entries(t->skel->maps.native_stacks,
					 o->max_buffers);
		bpf_map__set_max_entries(t->skel->maps.idx_pages,
					 TTBPF_INDEX_PAGES(o->max_buffers));
		bpf_map__set_max_entries(t->skel->maps.idx_loop,
					 TTBPF_INDEX_STEPS(o->max_buffers));
	}
	if (o->max_devices)
		bpf_map__set_max_entries(t->skel->maps.dev_usage,
					 o->max_devices);
	if (o->max_stacks)
		bpf_map__set_max_entries(t->skel->maps.stacks, o->max_stacks);
	/* A process has a row per device it uses: as many marks as rows. */
	if (o->max_procs) {
		bpf_map__set_max_entries(t->skel->maps.proc_usage,
					 o->max_procs);
		bpf_map__set_max_entries(t->skel->maps.traced_pids,
					 o->max_procs);
	}
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
	if (t->python) {
		pyframes__register_running(bpf_map__fd(t->skel->maps.py_procs),
					   (uint32_t)o->pid, o->verbose);
		/* Before the exec tracepoint: nothing it names waits. */
		t->py = py_inspector__start(
			bpf_map__fd(t->skel->maps.py_wake),
			bpf_map__fd(t->skel->maps.py_unseen),
			bpf_map__fd(t->skel->maps.py_procs), o->verbose);
		if (!t->py) {
			e = errmsg_set(err, errlen, -errno,
				       "starting the Python inspector failed: "
				       "%s (--no-python goes without)",
				       strerror(errno));
			goto cleanup;
		}
	}
	e = fill_maps(t, o);
	if (e) {
		e = errmsg_set(err, errlen, e,
			       "filling the BPF maps failed: %s", strerror(-e));
		goto cleanup;
	}

	/* Exit and exec first: a process that dies or execs while we attach
	 * is still released. */
	e = attach_tracepoint(t, t->skel->progs.handle_exit,
			      "sched_process_exit", err, errlen);
	if (!e)
		e = attach_tracepoint(t, t->skel->progs.handle_exec,
				      "sched_process_exec", err, errlen);
	if (e)
		goto cleanup;
	/* Before the command is released, so that no fork escapes; and a
	 * Python process's child takes its layout (pyframes.bpf.h). */
	if (t->skel->rodata->cfg.follow_tree || t->python) {
		e = attach_tracepoint(t, t->skel->progs.handle_fork,
				      "sched_process_fork", err, errlen);
		if (e)
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
	if (o->native_unwind) {
		t->unwinder = native_unwinder__new(
			t->maps.stacks_fd, t->maps.native_stacks_fd,
			t->maps.allocs_fd, t->maps.owners_fd);
		t->unwind_rb =
			ring_buffer__new(bpf_map__fd(t->skel->maps.unwind_rb),
					 handle_unwind, t, NULL);
		if (!t->unwinder || !t->unwind_rb) {
			e = errmsg_set(err, errlen, -ENOMEM,
				       "setting up --native-unwind failed: %s",
				       strerror(ENOMEM));
			goto cleanup;
		}
	}
	if (t->pin) {
		e = pin_all(t, err, errlen);
		if (e)
			goto cleanup;
	}
	*out = t;
	return 0;

cleanup:
	unpin_own(t);
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

static long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Unwind the records waiting; once a second forget the stacks of
 * buffers freed since. Returns records handled. */
static int tracer__unwind(struct tracer *t)
{
	int n;

	if (!t->unwind_rb)
		return 0;
	n = ring_buffer__consume(t->unwind_rb);
	if (mono_ns() - t->swept_ns > 1000000000LL) {
		native_unwinder__sweep(t->unwinder);
		t->swept_ns = mono_ns();
	}
	return n > 0 ? n : 0;
}

bool tracer__unwind_stats(const struct tracer *t, uint64_t *bpf_counts,
			  struct native_unwind_stats *user)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 vals[512];

	if (!t->unwinder)
		return false;
	native_unwinder__stats(t->unwinder, user);
	for (__u32 i = 0; i < TTBPF_UNWIND_NR_STATS; i++) {
		bpf_counts[i] = 0;
		if (ncpu <= 0 || ncpu > 512 ||
		    bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.unwind_stats),
					&i, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			bpf_counts[i] += vals[c];
	}
	return true;
}

int tracer__poll(struct tracer *t, int timeout_ms)
{
	int n = ring_buffer__poll(t->rb, timeout_ms), more;

	if (n == -EINTR)
		n = 0;
	if (n < 0)
		return n;
	/* Events are submitted without a wake-up until the ring fills up:
	 * epoll has not seen them, read what waits anyway. */
	more = ring_buffer__consume(t->rb);
	if (more < 0)
		return more;
	return n + more + tracer__unwind(t);
}

int tracer__collect_exited(struct tracer *t, struct state_proc **out, size_t *n,
			   size_t *cap)
{
	int traced_fd = bpf_map__fd(t->skel->maps.traced_pids);
	struct ttbpf_proc_key key, next, *prev = NULL;
	int moved = 0;
	__u8 mark;

	if (!t->skel->rodata->cfg.keep_exit_rows)
		return 0;
	/* traced_pids loses a process only after its exit released all its
	 * buffers: its rows cannot change any more. */
	while (!bpf_map_get_next_key(t->maps.proc_usage_fd, prev, &next)) {
		struct state_proc *p;

		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(traced_fd, &key.pid, &mark))
			continue;
		if (*n == *cap) {
			size_t c = *cap ? *cap * 2 : 16;
			void *v = realloc(*out, c * sizeof(**out));

			if (!v)
				return -ENOMEM;
			*out = v;
			*cap = c;
		}
		p = &(*out)[*n];
		if (bpf_map_lookup_elem(t->maps.proc_usage_fd, &key, &p->u))
			continue;
		p->pid = key.pid;
		p->device = key.device;
		p->kind = key.dev_kind;
		(*n)++;
		moved++;
		/* Deleting the current key restarts the walk's order on some
		 * kernels: start over, the moved rows are gone. */
		bpf_map_delete_elem(t->maps.proc_usage_fd, &key);
		bpf_map_delete_elem(bpf_map__fd(t->skel->maps.cmdlines),
				    &key.pid);
		prev = NULL;
	}
	return moved;
}

int tracer__cmdline(const struct tracer *t, uint32_t pid,
		    struct ttbpf_cmdline *out)
{
	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.cmdlines), &pid, out))
		return -ENOENT;
	return 0;
}

/* Whether the object pinned as @name in @dirfd is the one @own_fd holds. */
static bool pinned_here(int dirfd, const char *name, int own_fd)
{
	struct bpf_link_info a = {}, b = {};
	__u32 la = sizeof(a), lb = sizeof(b);
	bool same;
	int fd;

	fd = dirfd < 0 ? -EBADF : pin_dir__obj_get(dirfd, name);
	if (fd < 0)
		return false;
	/* Maps and links alike start their info with type, then id. */
	same = !bpf_obj_get_info_by_fd(fd, &a, &la) &&
	       !bpf_obj_get_info_by_fd(own_fd, &b, &lb) && a.id == b.id &&
	       a.type == b.type;
	close(fd);
	return same;
}

void tracer__pins_left(const struct tracer *t, struct tracer_pins *out)
{
	size_t n;
	const char *const *names = ttbpf_maps__pinned(&n);
	struct bpf_map *map;
	char name[24];

	memset(out, 0, sizeof(*out));
	if (!t->pin)
		return;
	out->links = t->n_links;
	for (size_t i = 0; i < t->n_links; i++) {
		snprintf(name, sizeof(name), "%zu", i);
		out->links_left += pinned_here(t->links_fd, name,
					       bpf_link__fd(t->links[i]));
	}
	for (size_t i = 0; i < n; i++) {
		map = bpf_object__find_map_by_name(t->skel->obj, names[i]);
		if (!map)
			continue;
		out->maps++;
		out->maps_left +=
			pinned_here(t->pins.fd, names[i], bpf_map__fd(map));
	}
}

void tracer__close(struct tracer *t)
{
	if (!t)
		return;
	/* Pinned probes outlive us: stop their events, nobody reads them. */
	if (t->pin && t->skel && t->skel->data && t->skel->bss) {
		t->skel->data->emit_events = 0;
		t->skel->bss->native_unwind_on = 0;
	}
	py_inspector__stop(t->py);
	ring_buffer__free(t->rb);
	ring_buffer__free(t->unwind_rb);
	native_unwinder__free(t->unwinder);
	release_parts__free(&t->parts);
	for (size_t i = 0; i < t->n_links; i++)
		bpf_link__destroy(t->links[i]);
	ttbpf__destroy(t->skel);
	if (t->links_fd >= 0)
		close(t->links_fd);
	pin_dir__close(&t->pins);
	free(t->libs);
	free(t);
}

/* The pid that pinned what @dirfd holds, from its meta map; 0 if unknown. */
static unsigned int loader_pid(int dirfd)
{
	struct bpf_map_info info = {};
	struct ttbpf_meta meta = {};
	__u32 len = sizeof(info), zero = 0;
	int fd = pin_dir__obj_get(dirfd, TTBPF_MAP_META);

	if (fd < 0)
		return 0;
	/* Read only a value of our size: an older layout could overflow. */
	if (bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    info.value_size != sizeof(meta) ||
	    bpf_map_lookup_elem(fd, &zero, &meta))
		meta.loader_pid = 0;
	close(fd);
	return meta.loader_pid;
}

int tracer__unpin(const char *dir, struct unpin_report *r, char *err,
		  size_t errlen)
{
	static unsigned int ids[MAX_LINKS];
	size_t n;
	const char *const *names = ttbpf_maps__pinned(&n);
	struct pin_scan scan;
	struct pin_dir d;
	size_t n_ids;
	int e;

	memset(r, 0, sizeof(*r));
	e = pin_dir__open(&d, dir, PIN_DIR_WRITE, false, err, errlen);
	if (e == -ENOENT)
		return 0;
	if (e)
		return e;
	r->existed = true;
	e = pin_dir__scan(d.fd, dir, names, n, &scan, err, errlen);
	if (e)
		goto cleanup;
	r->loader_pid = loader_pid(d.fd);
	e = pin_dir__remove_pins(d.fd, names, n, ids, MAX_LINKS, &n_ids);
	if (e < 0) {
		e = errmsg_set(err, errlen, e,
			       "removing the pins in %s failed: %s", dir,
			       strerror(-e));
		goto cleanup;
	}
	r->maps = scan.maps;
	r->links = scan.links;
	r->attached = pin_dir__links_alive(ids, n_ids);
	e = pin_dir__rmdir(&d);
	if (e)
		e = errmsg_set(err, errlen, e, "cannot remove %s: %s", dir,
			       strerror(-e));
cleanup:
	pin_dir__close(&d);
	return e;
}

int tracer__open_reader(const char *tool, const char *pin_dir,
			const struct tracer_opts *opts, struct tracer **out,
			struct ttbpf_maps *maps)
{
	struct tracer_opts o = *opts;
	char err[512] = "";
	int e;

	*out = NULL;
	e = ttbpf_maps__open_or_explain(tool, pin_dir, true, maps);
	if (e != -ENOENT)
		return e;
	o.stacks = false;
	o.events = false;
	fprintf(stderr,
		"%s: nothing pinned in %s; attaching by itself (only "
		"allocations from now on are seen; run `sudo ttbpf-trace --pin "
		"--lib PATH` to share one tracer)\n",
		tool, pin_dir);
	e = tracer__open(&o, out, err, sizeof(err));
	if (e) {
		fprintf(stderr, "%s: %s\n", tool, err[0] ? err : strerror(-e));
		return e;
	}
	*maps = *tracer__maps(*out);
	return 0;
}

void tracer__close_reader(struct tracer *t, struct ttbpf_maps *maps)
{
	if (t)
		tracer__close(t);
	else
		ttbpf_maps__close(maps);
}
