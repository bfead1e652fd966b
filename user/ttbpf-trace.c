// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ttbpf-trace: attach to libtt_metal.so's allocator, stream allocation
 * events and print live per-device usage across processes.
 */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <bpf/bpf.h>

#include "discover.h"
#include "chip_ids.h"
#include "event_format.h"
#include "native_unwind.h"
#include "proc_names.h"
#include "pyframes.h"
#include "stat_notes.h"
#include "summary.h"
#include "json_writer.h"
#include "python_frames.h"
#include "text_escape.h"
#include "recorder.h"
#include "state.h"
#include "trace_args.h"
#include "tracer.h"
#include "tt_lib.h"
#include "version.h"

void (*argp_program_version_hook)(FILE *,
				  struct argp_state *) = version__argp_hook;

static volatile sig_atomic_t exiting;
static struct trace_args args;
static long long mono_to_wall_ns;
/* --record: the database, and the maps its stacks are read from. */
static struct recorder *rec;
static const struct ttbpf_maps *rec_maps;
/* Every process seen, named at first sight; rows of those that exited. */
static struct proc_names names;
static struct state_proc *exited;
/* --python-frames: resolves the frames of alloc events */
static struct python_frames *py_json;
static size_t n_exited, cap_exited;

static void on_signal(int sig)
{
	/* A second Ctrl-C means "now": die with the default action. */
	if (exiting)
		signal(sig, SIG_DFL);
	exiting = 1;
}

static long long now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* What BPF kept at the first allocation beats /proc, where the process
 * may be gone already by the time we look. */
static void name_process(const struct tracer *t, uint32_t pid)
{
	struct ttbpf_cmdline c;

	if (proc_names__find(&names, pid))
		return;
	if (!tracer__cmdline(t, pid, &c))
		proc_names__put_args(&names, pid, c.args, c.len, c.cut);
	else
		proc_names__get(&names, pid);
}

static int on_event(void *ctx, const struct ttbpf_event *raw,
		    struct release_rows *rows)
{
	struct ttbpf_event copy = *raw, *e = &copy;
	unsigned long long wall =
		(unsigned long long)(e->ts_ns + mono_to_wall_ns);
	char line[512];

	name_process(ctx, e->pid);
	chip_ids__event(tracer__maps(ctx), e);
	if (rows)
		chip_ids__rows(tracer__maps(ctx), e->pid, rows);
	if (rec)
		recorder__event(rec, e, rows,
				(uint64_t)(e->ts_ns + mono_to_wall_ns),
				rec_maps);
	if (args.quiet)
		return 0;
	/* Device filter applies to per-buffer events; bulk and exit
	 * events span devices and are always shown. */
	if (args.device >= 0 && e->device != args.device &&
	    (e->kind == TTBPF_EV_ALLOC || e->kind == TTBPF_EV_FREE ||
	     e->kind == TTBPF_EV_ALLOC_FAILED))
		return 0;
	if (args.json) {
		struct event_json x = { .wall_ns = wall, .rows = rows };
		struct json_writer w;

		if (py_json)
			python_frames__hook(py_json, &x);
		json_writer__init(&w, stdout);
		event_format_json(&w, e, &x);
		putchar('\n');
		return 0;
	}
	event_format_text(e, wall, line, sizeof(line));
	puts(line);
	return 0;
}

/* The first line of --json: what produced the lines that follow. */
static void print_json_header(const struct tracer *t)
{
	struct event_header h = { .ts_ns = (unsigned long long)now_ns(
					  CLOCK_MONOTONIC),
				  .mono_to_wall_ns = mono_to_wall_ns,
				  .tool = "ttbpf-trace",
				  .version = version__release(),
				  .n_libs = tracer__n_libs(t),
				  .python_frames = args.python_frames };
	struct json_writer w;

	for (size_t i = 0; i < h.n_libs && i < TTBPF_MAX_LIBS; i++) {
		h.lib_paths[i] = tracer__lib(t, i)->path;
		h.lib_eras[i] = tracer__lib(t, i)->era_name;
	}
	json_writer__init(&w, stdout);
	event_format_header_json(&w, &h);
	putchar('\n');
}

static int explain(void)
{
	struct found_lib found[TTBPF_MAX_LIBS];
	const char *paths[TTBPF_MAX_LIBS];
	size_t n = args.n_libs, explained = 0;
	char err[1024];
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		paths[i] = args.libs[i];
	if (!n) {
		int k = discover_tt_libs("/proc", found, TTBPF_MAX_LIBS);

		if (k <= 0) {
			fprintf(stderr,
				"ttbpf-trace: no --lib given and no running "
				"process maps libtt_metal.so; pass --lib "
				"PATH\n");
			return 1;
		}
		for (int i = 0; i < k; i++)
			paths[i] = found[i].path;
		n = (size_t)k;
	}
	for (size_t i = 0; i < n; i++) {
		struct tt_lib_info *info = calloc(1, sizeof(*info));
		int e;

		if (!info)
			return 1;
		e = tt_lib_analyze(paths[i], args.layout, info, err,
				   sizeof(err));
		if (e == -ENOENT && args.n_libs)
			e = discover_explain_missing("/proc", paths[i],
						     args.pid, e, err,
						     sizeof(err));
		if (e) {
			/* A discovered file is skipped, as when tracing. */
			fprintf(stderr, "ttbpf-trace: %s%s\n",
				args.n_libs ? "" : "skipping: ", err);
			rc = 1;
		} else {
			tt_lib_explain(info, stdout);
			explained++;
		}
		free(info);
	}
	/* Python frames are read with offsets found per process. */
	pyframes__explain(stdout, "/proc", (uint32_t)args.pid);
	return args.n_libs ? rc : !explained;
}

/*
 * Fork @cmd stopped on a pipe until the probes are in place. The command
 * dies with the tracer, even a SIGKILLed one: untraced it would hold
 * device memory nobody accounts for. It gets SIGTERM, as on Ctrl-C, so it
 * can still close its devices the normal way (a set-user-ID command loses
 * this, as the kernel clears it on exec).
 */
static pid_t spawn_held(char **cmd, int *release_fd)
{
	pid_t parent = getpid(), pid;
	int fds[2];

	if (pipe2(fds, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		int e;
		char go;

		close(fds[1]);
		/* The tracer may have died before prctl: check after it. */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) || getppid() != parent)
			_exit(127);
		/* EOF without a byte: the tracer failed, do not run. */
		if (read(fds[0], &go, 1) != 1)
			_exit(127);
		execvp(cmd[0], cmd);
		/* As shells do: 127 not found, 126 found but not runnable
		 * (a directory, no permission, not an executable). */
		e = errno;
		fputs("ttbpf-trace: cannot run ", stderr);
		text_escape_to(stderr, cmd[0], SIZE_MAX);
		fprintf(stderr, ": %s\n", strerror(e));
		_exit(e == ENOENT || e == ENOTDIR ? 127 : 126);
	}
	close(fds[0]);
	*release_fd = fds[1];
	return pid;
}

static void warn_preexisting(const struct tracer *t)
{
	for (size_t i = 0; i < tracer__n_libs(t); i++) {
		const struct tt_lib_info *info = tracer__lib(t, i);
		char copy[PATH_MAX];
		pid_t pids[64];
		struct stat st;
		int n;

		if (stat(info->path, &st))
			continue;
		snprintf(copy, sizeof(copy), "%s", info->path);
		n = discover_pids_mapping("/proc", basename(copy), st.st_dev,
					  st.st_ino, pids, 64);
		for (int k = 0; k < n; k++) {
			if (pids[k] == getpid())
				continue;
			fprintf(stderr,
				"ttbpf: pid %d was already running: buffers it "
				"allocated before now are not counted (their "
				"frees show as unmatched)\n",
				(int)pids[k]);
		}
	}
}

static void print_banner(const struct tracer *t)
{
	for (size_t i = 0; i < tracer__n_libs(t); i++) {
		const struct tt_lib_info *info = tracer__lib(t, i);

		fputs("ttbpf: ", stderr);
		text_escape_to(stderr, info->path, SIZE_MAX);
		fprintf(stderr, ": %s, %zu probes, layout from %s\n",
			info->era_name, info->n_sites,
			tt_layout_source_name(info->source[TT_F_SIZE]));
	}
	fprintf(stderr, "ttbpf: attached%s\n",
		args.cmd ? "" : "; Ctrl-C to stop and print totals");
}

/*
 * Say loudly, while it happens, when numbers cannot be trusted: lost
 * events, a map that filled up, or reads that suggest a wrong layout.
 */
static void warn_on_stats(const struct tracer *t)
{
	static uint64_t last[TTBPF_NR_STATS];
	uint64_t s[TTBPF_NR_STATS];

	if (ttbpf_maps__read_stats(tracer__maps(t), s))
		return;
	stat_notes__print(s, last, STAT_STREAM, "ttbpf: ", stderr);
	if (args.json && !args.quiet &&
	    s[TTBPF_STAT_EVENTS_DROPPED] > last[TTBPF_STAT_EVENTS_DROPPED]) {
		long long mono = now_ns(CLOCK_MONOTONIC);
		struct json_writer w;

		json_writer__init(&w, stdout);
		event_format_lost_json(
			&w, (unsigned long long)mono,
			(unsigned long long)(mono + mono_to_wall_ns),
			s[TTBPF_STAT_EVENTS_DROPPED] -
				last[TTBPF_STAT_EVENTS_DROPPED],
			s[TTBPF_STAT_EVENTS_DROPPED]);
		putchar('\n');
	}
	memcpy(last, s, sizeof(last));
}

/*
 * Name every process with rows before it can exit unnamed (events name
 * them sooner, but --quiet turns events off), then keep the final rows of
 * those that exited.
 */
static void see_processes(struct tracer *t)
{
	int fd = tracer__maps(t)->proc_usage_fd;
	struct ttbpf_proc_key key, *prev = NULL;
	size_t had = n_exited;

	while (!bpf_map_get_next_key(fd, prev, &key)) {
		/* Its chips' host-wide numbers, while it runs (cheap once
		 * known); on_event's chip_ids__event() does it per event. */
		chip_ids__see(tracer__maps(t), key.pid);
		name_process(t, key.pid);
		prev = &key;
	}
	if (tracer__collect_exited(t, &exited, &n_exited, &cap_exited) < 0)
		fprintf(stderr, "ttbpf-trace: out of memory keeping the rows "
				"of exited processes\n");
	for (size_t i = had; i < n_exited; i++) {
		exited[i].local_device = exited[i].device;
		exited[i].host_unknown = exited[i].has_uid = false;
		exited[i].chip_uid = 0;
		chip_ids__translate(&exited[i]);
	}
}

static void print_summary(const struct tracer *t)
{
	struct summary_opts so = { .device = args.device,
				   .processes = true,
				   .stats = true,
				   .exited = exited,
				   .n_exited = n_exited,
				   .names = &names,
				   .tt_metal_record = !args.pid && !args.cmd };
	long long mono = now_ns(CLOCK_MONOTONIC);

	so.ts_ns = (unsigned long long)mono;
	so.wall_ns = (unsigned long long)(mono + mono_to_wall_ns);

	if (args.json) {
		summary_print_json(tracer__maps(t), &so, stdout);
	} else {
		printf("--- totals ---\n");
		summary_print_text(tracer__maps(t), &so, stdout);
	}
}

/*
 * Say what really stays pinned: someone may have run --unpin while we
 * traced, and then our probes detach with us.
 */
/* --native-unwind: what it did, and every record it could not use. */
static void report_unwind(const struct tracer *t)
{
	uint64_t b[TTBPF_UNWIND_NR_STATS];
	struct native_unwind_stats u;

	if (!tracer__unwind_stats(t, b, &u))
		return;
	fprintf(stderr,
		"ttbpf: native unwind: %llu stacks unwound from .eh_frame "
		"(%.1f frames, %.1f us each), %llu of them cut short (noted "
		"in the stack)\n",
		(unsigned long long)(u.records - u.no_room),
		u.records ? (double)u.frames / (double)u.records : 0.0,
		u.records ? (double)u.ns / (double)u.records / 1000.0 : 0.0,
		(unsigned long long)u.cut);
	if (b[TTBPF_UNWIND_COPY_FAILED] || b[TTBPF_UNWIND_RING_FULL] ||
	    b[TTBPF_UNWIND_CAPTURED] > u.records || u.no_room)
		fprintf(stderr,
			"ttbpf: WARNING: native unwind: %llu stacks not "
			"copied (unreadable), %llu dropped (ring full), %llu "
			"not unwound, %llu not stored (map full): those "
			"buffers keep their frame-pointer stack\n",
			(unsigned long long)b[TTBPF_UNWIND_COPY_FAILED],
			(unsigned long long)b[TTBPF_UNWIND_RING_FULL],
			/* records counts the ones not stored too */
			(unsigned long long)(b[TTBPF_UNWIND_CAPTURED] >
							     u.records
						     ? b[TTBPF_UNWIND_CAPTURED] -
							       u.records
						     : 0),
			(unsigned long long)u.no_room);
	if (b[TTBPF_UNWIND_COPY_SHORT])
		fprintf(stderr,
			"ttbpf: native unwind: %llu windows cut at the top of "
			"a thread's stack\n",
			(unsigned long long)b[TTBPF_UNWIND_COPY_SHORT]);
}

static void report_pins(const struct tracer *t)
{
	const char *dir = args.pin_dir ? args.pin_dir : TTBPF_PIN_DIR;
	struct tracer_pins p;

	tracer__pins_left(t, &p);
	if (p.links_left == p.links && p.maps_left == p.maps)
		fprintf(stderr,
			"ttbpf: probes and maps stay pinned in %s: read them "
			"with ttbpf-top or ttbpf-snapshot; remove them with "
			"ttbpf-trace --unpin\n",
			dir);
	else if (!p.links_left && !p.maps_left)
		fprintf(stderr,
			"ttbpf: nothing stays pinned: the pins in %s were "
			"removed while tracing (ttbpf-trace --unpin); the "
			"probes detach now\n",
			dir);
	else
		fprintf(stderr,
			"ttbpf: only %zu of %zu probes and %zu of %zu maps "
			"stay "
			"pinned in %s (the rest were removed while tracing); "
			"remove them with ttbpf-trace --unpin\n",
			p.links_left, p.links, p.maps_left, p.maps, dir);
}

static int record_open(void)
{
	struct recorder_opts ro = { .path = args.record,
				    .force = args.force,
				    .max_bytes = args.record_max,
				    .version = version__release() };
	char err[1024];

	if (!recorder__open(&ro, &rec, err, sizeof(err)))
		return 0;
	fprintf(stderr, "ttbpf-trace: --record: %s\n", err);
	return 1;
}

/* One usage sample per interval: exact even when events were dropped. */
static void record_sample(const struct tracer *t)
{
	struct state s;

	if (!rec || state__read(tracer__maps(t), &s, STATE_HOST_CHIPS))
		return;
	recorder__sample(rec, &s, (uint64_t)now_ns(CLOCK_REALTIME));
	recorder__commit(rec);
	state__free(&s);
}

static void record_close(const struct tracer *t)
{
	uint64_t lost;

	if (!rec)
		return;
	record_sample(t);
	lost = recorder__lost(rec);
	recorder__close(rec, (uint64_t)now_ns(CLOCK_REALTIME));
	rec = NULL;
	if (lost)
		fprintf(stderr,
			"ttbpf: WARNING: %llu events not recorded in %s: "
			"--record-max reached\n",
			(unsigned long long)lost, args.record);
}

static int run(void)
{
	struct tracer_opts o = {
		.libs = args.libs,
		.n_libs = args.n_libs,
		.layout = args.layout,
		.pid = args.pid,
		/* A command is its whole process tree: wrappers, workers. */
		.follow_tree = args.cmd != NULL,
		.keep_exit_rows = args.cmd != NULL,
		.stacks = args.stacks,
		.python = args.python,
		.native_unwind = args.native_unwind,
		.unwind_window = args.unwind_window,
		.events = !args.quiet || args.record,
		.max_buffers = args.max_buffers,
		.max_devices = args.max_devices,
		.max_procs = args.max_procs,
		.max_stacks = args.max_stacks,
		.pin = args.pin,
		.pin_dir = args.pin_dir,
		.verbose = args.verbose,
	};
	struct summary_opts so = { .device = args.device };
	long long next_usage, status_code = 0;
	int release_fd = -1, status = 0;
	struct tracer *t = NULL;
	pid_t child = 0;
	char err[1024];
	int e;

	if (args.record && record_open())
		return 1;
	if (args.cmd) {
		child = spawn_held(args.cmd, &release_fd);
		if (child < 0) {
			fprintf(stderr, "ttbpf-trace: fork failed: %s\n",
				strerror(errno));
			return 1;
		}
		o.pid = child;
	}
	e = tracer__open(&o, &t, err, sizeof(err));
	if (e) {
		fprintf(stderr, "ttbpf-trace: %s\n", err);
		recorder__close(rec, 0);
		if (child) {
			close(release_fd); /* child exits on EOF */
			waitpid(child, NULL, 0);
		}
		return 1;
	}
	tracer__set_event_fn(t, on_event, t);
	if (args.python_frames) {
		py_json = python_frames__new(tracer__maps(t));
		if (!py_json)
			fprintf(stderr, "ttbpf-trace: out of memory: alloc "
					"events carry no Python frames\n");
	}
	mono_to_wall_ns = now_ns(CLOCK_REALTIME) - now_ns(CLOCK_MONOTONIC);
	if (rec) {
		rec_maps = tracer__maps(t);
		for (size_t i = 0; i < tracer__n_libs(t); i++)
			recorder__add_library(rec, tracer__lib(t, i)->path);
	}
	print_banner(t);
	if (args.json && !args.quiet)
		print_json_header(t);
	if (child) {
		if (write(release_fd, "g", 1) != 1) {
			fputs("ttbpf-trace: cannot start ", stderr);
			text_escape_to(stderr, args.cmd[0], SIZE_MAX);
			fputc('\n', stderr);
		}
		close(release_fd);
	} else {
		warn_preexisting(t);
	}

	next_usage = now_ns(CLOCK_MONOTONIC) +
		     (args.interval_ms ? args.interval_ms : 1000) * 1000000LL;
	while (!exiting) {
		e = tracer__poll(t, 100);
		if (e < 0) {
			fprintf(stderr, "ttbpf-trace: polling events: %s\n",
				strerror(-e));
			break;
		}
		if (rec)
			recorder__commit(rec);
		see_processes(t);
		if (child && waitpid(child, &status, WNOHANG) == child) {
			child = 0;
			break;
		}
		if (now_ns(CLOCK_MONOTONIC) < next_usage)
			continue;
		next_usage += (args.interval_ms ? args.interval_ms : 1000) *
			      1000000LL;
		record_sample(t);
		warn_on_stats(t);
		if (args.interval_ms && !args.json)
			summary_print_text(tracer__maps(t), &so, stdout);
	}
	/* The exit probe runs before waitpid returns: drain what is left. */
	while (tracer__poll(t, 0) > 0)
		;
	/* Drops since the last interval are said before the summary too. */
	warn_on_stats(t);
	record_close(t);
	see_processes(t);
	print_summary(t);
	report_unwind(t);
	if (args.pin)
		report_pins(t);
	python_frames__free(py_json);
	tracer__close(t);

	if (args.cmd) {
		if (child) { /* interrupted: stop the command too */
			kill(child, SIGTERM);
			waitpid(child, &status, 0);
		}
		if (WIFEXITED(status))
			status_code = WEXITSTATUS(status);
		else if (WIFSIGNALED(status))
			status_code = 128 + WTERMSIG(status);
	}
	free(exited);
	proc_names__clear(&names);
	return (int)status_code;
}

/*
 * Exit 0 when nothing of ttbpf stays pinned at the directory afterwards,
 * including when nothing was; 1 when it refused or failed, or when probes
 * stay attached with no running tracer to explain it.
 */
static int unpin(void)
{
	const char *dir = args.pin_dir ? args.pin_dir : TTBPF_PIN_DIR;
	struct unpin_report r;
	char err[1024];

	if (tracer__unpin(dir, &r, err, sizeof(err))) {
		fprintf(stderr, "ttbpf-trace: cannot unpin: %s\n", err);
		return 1;
	}
	if (!r.maps && !r.links) {
		fprintf(stderr, "ttbpf: nothing pinned at %s%s\n", dir,
			r.existed ? " (removed the empty directory)" : "");
		return 0;
	}
	fprintf(stderr, "ttbpf: removed %zu probes and %zu maps pinned at %s\n",
		r.links, r.maps, dir);
	if (!r.attached)
		return 0;
	if (r.loader_pid && !kill((pid_t)r.loader_pid, 0)) {
		fprintf(stderr,
			"ttbpf: %zu of those probes stay attached while the "
			"tracer that pinned them (pid %u) runs; they detach "
			"when it exits\n",
			r.attached, r.loader_pid);
		return 0;
	}
	fprintf(stderr,
		"ttbpf-trace: %zu of the unpinned probes stay attached: "
		"another "
		"process holds them open (see `bpftool link show`)\n",
		r.attached);
	return 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };

	setvbuf(stdout, NULL, _IOLBF, 0);
	proc_names__init(&names, "/proc");
	if (trace_args_parse(argc, argv, 0, &args))
		return 2;
	if (args.unpin)
		return unpin();
	if (args.explain)
		return explain();

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return run();
}
