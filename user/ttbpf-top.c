// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ttbpf-top: live Tenstorrent device memory per device and per process.
 * Reads the maps pinned by `ttbpf-trace --pin`, or attaches by itself when
 * nothing is pinned. ncurses on a terminal, plain text otherwise (with
 * exact byte counts, so scripts and tests can compare numbers).
 */
#include <argp.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <curses.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capacity.h"
#include "chip_ids.h"
#include "format.h"
#include "maps.h"
#include "proc_names.h"
#include "py_holder.h"
#include "pysymbolize.h"
#include "shm_record.h"
#include "stat_notes.h"
#include "state.h"
#include "reader_args.h"
#include "text_escape.h"
#include "tracer.h"
#include "version.h"

static struct env {
	struct reader_args r; /* set up in main() */
	int device;	      /* -1: all */
	int kind;	      /* -1: any */
	uint32_t pid;
	uint64_t refresh_ms;
	uint64_t iterations; /* 0: until q or Ctrl-C */
	enum state_sort sort;
	bool plain;
} env = {
	.device = -1,
	.kind = -1,
	.refresh_ms = 1000,
	.sort = STATE_SORT_DRAM,
};

static volatile sig_atomic_t exiting;
/* A filter changed: read again even when paused. */
static bool refilter;

void (*argp_program_version_hook)(FILE *,
				  struct argp_state *) = version__argp_hook;

static const char doc[] =
	"Live Tenstorrent device memory (DRAM, L1, L1_SMALL, TRACE) per device "
	"and per process. Reads what `ttbpf-trace --pin` keeps, or attaches "
	"by itself when nothing is pinned (then only allocations from now on "
	"are seen).\n"
	"\n"
	"USAGE: ttbpf-top [-d DEV] [-p PID] [-r MS] [-n COUNT | --once] "
	"[--arch ARCH] [--capacity TYPE=BYTES,...] [--lib PATH]...\n"
	"\n"
	"Keys: d DRAM, l L1, s L1_SMALL, t TRACE, b buffers, k peak, a age, p "
	"pid (sort); / filter by device or pid, c clear filter; space pause; q "
	"quit.\n"
	"\n"
	"EXAMPLES:\n"
	"  sudo ttbpf-trace --pin --lib build/lib/libtt_metal.so &\n"
	"  sudo ttbpf-top                       # live view\n"
	"  sudo ttbpf-top --arch wormhole_b0    # with capacity bars\n"
	"  sudo ttbpf-top --capacity DRAM=12G,L1=93696K -d 0\n"
	"  sudo ttbpf-top --once | grep python  # one plain-text report\n"
	"  sudo ttbpf-top --lib build/lib/libtt_metal.so  # no pinned "
	"tracer: attach by itself\n";

enum {
	OPT_ONCE = 0x100,
	OPT_PLAIN,
	OPT_SORT,
};

static const struct argp_option options[] = {
	{ "device", 'd', "DEV", 0,
	  "Only this device: N (chip or mesh), chip:N or mesh:N", 0 },
	{ "pid", 'p', "PID", 0, "Only this process", 0 },
	{ "refresh", 'r', "MS", 0, "Refresh every MS milliseconds (1000)", 0 },
	{ "iterations", 'n', "COUNT", 0, "Exit after COUNT refreshes", 0 },
	{ "once", OPT_ONCE, NULL, 0, "One report, then exit (-n 1)", 0 },
	{ "sort", OPT_SORT, "KEY", 0,
	  "Process order: dram l1 l1_small trace buffers peak age pid", 0 },
	{ "plain", OPT_PLAIN, NULL, 0, "Plain text even on a terminal", 0 },
	{},
};

static int parse_sort(const char *s, enum state_sort *out)
{
	static const struct {
		const char *name;
		enum state_sort by;
	} keys[] = {
		{ "dram", STATE_SORT_DRAM },
		{ "l1", STATE_SORT_L1 },
		{ "l1_small", STATE_SORT_L1_SMALL },
		{ "trace", STATE_SORT_TRACE },
		{ "buffers", STATE_SORT_BUFFERS },
		{ "peak", STATE_SORT_PEAK },
		{ "age", STATE_SORT_AGE },
		{ "pid", STATE_SORT_PID },
		{ "total", STATE_SORT_TOTAL },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(s, keys[i].name)) {
			*out = keys[i].by;
			return 0;
		}
	return -EINVAL;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	uint64_t v;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &env.r;
		break;
	case 'd':
		if (format_device_parse(arg, &env.device, &env.kind))
			argp_error(state, "invalid device: %s", arg);
		break;
	case 'p':
		if (format_parse_u64(arg, 0x3fffffff, &v) || !v)
			argp_error(state, "invalid PID: %s", arg);
		env.pid = (uint32_t)v;
		break;
	case 'r':
		if (format_parse_u64(arg, 3600000, &v) || v < 10)
			argp_error(state,
				   "invalid refresh (10..3600000 ms): %s", arg);
		env.refresh_ms = v;
		break;
	case 'n':
		if (format_parse_u64(arg, UINT32_MAX, &v) || !v)
			argp_error(state, "invalid count: %s", arg);
		env.iterations = v;
		break;
	case OPT_ONCE:
		env.iterations = 1;
		break;
	case OPT_SORT:
		if (parse_sort(arg, &env.sort))
			argp_error(state, "invalid sort key: %s", arg);
		break;
	case OPT_PLAIN:
		env.plain = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument: %s", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void on_signal(int sig)
{
	/* A second Ctrl-C means "now". */
	if (exiting)
		signal(sig, SIG_DFL);
	exiting = 1;
}

/* Where the text goes: stdout, or the curses screen. */
struct out {
	bool curses;
	FILE *f;
};

__attribute__((format(printf, 2, 3))) static void
out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (o->curses)
		vw_printw(stdscr, fmt, ap);
	else
		vfprintf(o->f, fmt, ap);
	va_end(ap);
}

/* Exact bytes in plain text; human units on the screen. */
static const char *size_str(const struct out *o, uint64_t v, char *buf,
			    size_t len)
{
	char hb[32];

	human_bytes(v, hb, sizeof(hb));
	if (o->curses)
		snprintf(buf, len, "%s", hb);
	else if (v < 1024)
		snprintf(buf, len, "%llu B", (unsigned long long)v);
	else
		snprintf(buf, len, "%llu B (%s)", (unsigned long long)v, hb);
	return buf;
}

/* Allocation counters of the previous refresh, for rates. */
struct prev {
	struct {
		int device;
		uint32_t kind;
		uint64_t allocs, frees;
	} v[TTBPF_MAX_DEVICES];
	size_t n;
	uint64_t ts_ns;
};

static bool prev_find(const struct prev *p, const struct state_dev *d,
		      uint64_t *allocs, uint64_t *frees)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].device == d->device && p->v[i].kind == d->kind) {
			*allocs = p->v[i].allocs;
			*frees = p->v[i].frees;
			return true;
		}
	return false;
}

static void prev_save(struct prev *p, const struct state *s)
{
	p->n = 0;
	for (size_t i = 0; i < s->n_devs && p->n < TTBPF_MAX_DEVICES; i++) {
		p->v[p->n].device = s->devs[i].device;
		p->v[p->n].kind = s->devs[i].kind;
		p->v[p->n].allocs = s->devs[i].u.allocs;
		p->v[p->n].frees = s->devs[i].u.frees;
		p->n++;
	}
	p->ts_ns = s->now_ns;
}

static const unsigned int panel_types[] = { TTBPF_DRAM, TTBPF_L1,
					    TTBPF_L1_SMALL, TTBPF_TRACE,
					    TTBPF_SYSTEM_MEMORY };

static void render_device(struct out *o, const struct state_dev *d,
			  const struct capacity *cap, const struct prev *prev,
			  uint64_t now_ns)
{
	char dev[32], a[64], b[64], bar[40];
	uint64_t pa, pf;

	out_printf(o, "%s%s\n",
		   device_label(d->device, d->kind, dev, sizeof(dev)),
		   d->host_unknown ? " (chips of processes with "
				     "TT_VISIBLE_DEVICES whose host-wide "
				     "number is unknown)"
				   : "");
	for (size_t i = 0; i < sizeof(panel_types) / sizeof(panel_types[0]);
	     i++) {
		unsigned int t = panel_types[i];
		uint64_t used = d->u.bytes[t], c = cap->bytes[t];

		/* SYSTEM_MEMORY is host memory and rare: only when used. */
		if (t == TTBPF_SYSTEM_MEMORY && !used && !d->u.peak[t])
			continue;
		out_printf(o, "  %-9s used %s", buffer_type_name(t),
			   size_str(o, used, a, sizeof(a)));
		if (c)
			out_printf(o, " of %s %s %.1f%%",
				   size_str(o, c, b, sizeof(b)),
				   format_bar(used, c, 20, bar, sizeof(bar)),
				   format_percent(used, c));
		out_printf(o, ", peak %s, %llu buffers\n",
			   size_str(o, d->u.peak[t], b, sizeof(b)),
			   (unsigned long long)d->u.buffers[t]);
	}
	out_printf(o, "  allocs %llu frees %llu failed %llu",
		   (unsigned long long)d->u.allocs,
		   (unsigned long long)d->u.frees,
		   (unsigned long long)d->u.failed);
	if (prev->ts_ns && now_ns > prev->ts_ns &&
	    prev_find(prev, d, &pa, &pf)) {
		double dt = (double)(now_ns - prev->ts_ns) / 1e9;

		out_printf(o, ", %.1f allocs/s %.1f frees/s",
			   (double)(d->u.allocs - pa) / dt,
			   (double)(d->u.frees - pf) / dt);
	}
	out_printf(o, "\n");
}

/* The command line after the fixed columns: on a screen only what fits the
 * rest of the row, so that a long one does not wrap. */
static void render_cmdline(struct out *o, struct proc_names *names,
			   uint32_t pid)
{
	char buf[PROC_NAME_SHOWN_LEN];
	size_t width = 0;

	if (o->curses) {
		int room = COLS - getcurx(stdscr) - 1;

		width = room > 0 ? (size_t)room : 0;
		if (!width)
			return;
	}
	out_printf(o, "%s",
		   proc_name__terminal(proc_names__get(names, pid), width, buf,
				       sizeof(buf)));
}

/* Python stacks of the rows, for the detail line under each. */
struct py_view {
	const struct ttbpf_maps *maps;
	struct pysymbolizer *sym;
	struct py_holders holders;
};

/* "python: N B in K buffers from function (file:line)" under a row. */
static void render_py_line(struct out *o, struct py_view *pv,
			   const struct state_proc *p)
{
	const struct py_holder *h;
	char label[1024], esc[TEXT_ESCAPED_LEN(1024)], sz[64];
	size_t room = sizeof(esc);

	if (!pv->sym)
		return;
	h = py_holders__find(&pv->holders, p->pid, p->device, p->kind);
	if (!h || !py_holder__label(h, pv->maps, pv->sym, label, sizeof(label)))
		return;
	out_printf(o, "%7s python: %s in %llu buffer%s from ", "",
		   size_str(o, h->bytes, sz, sizeof(sz)),
		   (unsigned long long)h->buffers, h->buffers == 1 ? "" : "s");
	/* On a screen only what fits the row. */
	if (o->curses) {
		int w = COLS - getcurx(stdscr);

		room = w > 1 ? (size_t)w : 1;
		if (room > sizeof(esc))
			room = sizeof(esc);
	}
	out_printf(o, "%s\n", text_escape(label, SIZE_MAX, esc, room));
}

static void render_procs(struct out *o, const struct state *s,
			 struct py_view *pv)
{
	char dev[32], age[32], v[5][32], comm[TEXT_ESCAPED_LEN(TTBPF_COMM_LEN)];
	int w = o->curses ? 10 : 13, dw = 8;
	/* Read for this screen only: a pid may be reused by the next. */
	struct proc_names names;

	proc_names__init(&names, "/proc");
	/* "dev 1 (local 0)": as wide as the widest label */
	for (size_t i = 0; i < s->n_procs; i++) {
		const struct state_proc *p = &s->procs[i];
		int n = (int)strlen(
			chip_ids__label(p->device, p->kind, p->local_device,
					p->host_unknown, dev, sizeof(dev)));

		dw = n > dw ? n : dw;
	}
	out_printf(o,
		   "%7s %-15s %-*s %*s %*s %*s %*s %7s %*s %*s %8s CMDLINE\n",
		   "PID", "COMMAND", dw, "DEVICE", w, "DRAM", w, "L1", w,
		   "L1_SMALL", w, "TRACE", "BUFFERS", w, "DRAM_PEAK", w,
		   "L1_PEAK", "AGE");
	for (size_t i = 0; i < s->n_procs; i++) {
		const struct state_proc *p = &s->procs[i];
		const uint64_t nums[5] = { p->u.bytes[TTBPF_DRAM],
					   p->u.bytes[TTBPF_L1],
					   p->u.bytes[TTBPF_L1_SMALL],
					   p->u.bytes[TTBPF_TRACE], 0 };

		for (int k = 0; k < 4; k++) {
			if (o->curses)
				human_bytes(nums[k], v[k], sizeof(v[k]));
			else
				snprintf(v[k], sizeof(v[k]), "%llu",
					 (unsigned long long)nums[k]);
		}
		out_printf(o, "%7u %-15s %-*s %*s %*s %*s %*s %7llu ", p->pid,
			   text_escape(p->u.comm, TTBPF_COMM_LEN, comm,
				       sizeof(comm)),
			   dw,
			   chip_ids__label(p->device, p->kind, p->local_device,
					   p->host_unknown, dev, sizeof(dev)),
			   w, v[0], w, v[1], w, v[2], w, v[3],
			   (unsigned long long)usage__total_buffers(&p->u));
		for (int k = 0; k < 2; k++) {
			uint64_t pk = p->u.peak[k ? TTBPF_L1 : TTBPF_DRAM];

			if (o->curses)
				human_bytes(pk, v[4], sizeof(v[4]));
			else
				snprintf(v[4], sizeof(v[4]), "%llu",
					 (unsigned long long)pk);
			out_printf(o, "%*s ", w, v[4]);
		}
		out_printf(o, "%8s ",
			   format_age_ms(state__age_ms(s, p->u.first_ts_ns),
					 age, sizeof(age)));
		render_cmdline(o, &names, p->pid);
		out_printf(o, "\n");
		render_py_line(o, pv, p);
	}
	if (!s->n_procs)
		out_printf(o, "(no process holds device memory)\n");
	proc_names__clear(&names);
}

/* Processes running before ttbpf attached, from TT-Metal's own record:
 * read with the maps, before the filter (a process with rows on any
 * chip is one ttbpf sees). */
static struct shm_record record;

static void read_record(const struct state *s)
{
	shm_record__free(&record);
	if (shm_record__read("/dev/shm", &record))
		return;
	shm_record__keep_unseen(&record, s, env.pid);
	if (env.kind == TTBPF_DEV_MESH)
		record.n = 0;
	else
		shm_record__keep_device(&record, env.device);
}

static void render_record(struct out *o)
{
	char line[768];

	if (!record.n)
		return;
	out_printf(o, "\n%s\n", shm_record_heading);
	for (size_t i = 0; i < record.n; i++)
		out_printf(o, "%s\n",
			   shm_record__row_text(&record.rows[i], line,
						sizeof(line)));
}

/* Counters that mean the picture is incomplete or suspect. */
static void render_warnings(struct out *o, const struct state *s)
{
	/* Notes are expected in normal runs; warnings mean wrong totals.
	 * top shows no events: a lost one is only a note here. */
	for (size_t i = 0; i < n_stat_notes; i++) {
		const struct stat_note *sn = &stat_notes[i];

		if (s->stats[sn->idx])
			out_printf(o, "%s: %llu %s\n",
				   sn->level == STAT_WARNING ? "WARNING"
							     : "note",
				   (unsigned long long)s->stats[sn->idx],
				   sn->what);
	}
	if (s->chips_moved)
		out_printf(o, "note: a chip's peak is kept under each "
			      "process's own chip number: with "
			      "TT_VISIBLE_DEVICES it mixes chips (the "
			      "processes' peaks are exact)\n");
	if (s->has_meta && s->meta.layout_warnings)
		out_printf(o,
			   "WARNING: %u layout fields come from a built-in "
			   "profile, not from the library (see ttbpf-trace "
			   "--explain)\n",
			   s->meta.layout_warnings);
}

static const char *sort_name(enum state_sort by)
{
	static const char *const names[] = {
		[STATE_SORT_PID] = "pid",
		[STATE_SORT_DRAM] = "DRAM",
		[STATE_SORT_L1] = "L1",
		[STATE_SORT_L1_SMALL] = "L1_SMALL",
		[STATE_SORT_TRACE] = "TRACE",
		[STATE_SORT_TOTAL] = "total",
		[STATE_SORT_BUFFERS] = "buffers",
		[STATE_SORT_PEAK] = "peak",
		[STATE_SORT_AGE] = "age",
	};

	return names[by];
}

static void render(struct out *o, const struct state *s,
		   const struct capacity *cap, const struct prev *prev,
		   struct py_view *pv, const char *source, bool paused)
{
	char age[32], dev[32];

	out_printf(o, "ttbpf-top: %zu devices, %zu process rows, sorted by %s",
		   s->n_devs, s->n_procs, sort_name(env.sort));
	if (s->has_meta)
		out_printf(o, ", tracing for %s",
			   format_age_ms(state__age_ms(s, s->meta.start_ts_ns),
					 age, sizeof(age)));
	out_printf(o, ", %s", source);
	if (cap->arch[0])
		out_printf(o, ", capacity %s", cap->arch);
	if (env.device >= 0 && env.kind < 0)
		out_printf(o, ", device %d", env.device);
	else if (env.device >= 0)
		out_printf(o, ", %s",
			   device_label(env.device, (unsigned int)env.kind, dev,
					sizeof(dev)));
	if (env.pid)
		out_printf(o, ", pid %u", env.pid);
	out_printf(o, "%s\n", paused ? " [paused]" : "");
	for (size_t i = 0; i < s->n_devs; i++)
		render_device(o, &s->devs[i], cap, prev, s->now_ns);
	if (!s->n_devs)
		out_printf(o, "(no allocation seen yet)\n");
	out_printf(o, "\n");
	render_procs(o, s, pv);
	render_record(o);
	render_warnings(o, s);
}

/* The interactive filter prompt: "dev N", "mesh:N", "pid N" or empty. */
static void prompt_filter(void)
{
	char line[64], *arg;
	uint64_t v;
	int y = LINES - 1;

	timeout(-1);
	echo();
	curs_set(1);
	mvprintw(y, 0, "filter (N, mesh:N, pid N, empty clears): ");
	clrtoeol();
	if (getnstr(line, sizeof(line) - 1) == ERR)
		line[0] = '\0';
	noecho();
	curs_set(0);
	arg = line;
	while (*arg == ' ')
		arg++;
	if (!*arg) {
		env.device = env.kind = -1;
		env.pid = 0;
	} else if (!strncmp(arg, "pid", 3)) {
		arg += 3;
		while (*arg == ' ')
			arg++;
		if (!format_parse_u64(arg, 0x3fffffff, &v))
			env.pid = (uint32_t)v;
	} else {
		if (!strncmp(arg, "dev ", 4))
			arg += 4;
		format_device_parse(arg, &env.device, &env.kind);
	}
}

/* Returns false to quit. */
static bool handle_key(int ch, bool *paused)
{
	switch (ch) {
	case 'q':
	case 'Q':
		return false;
	case ' ':
		*paused = !*paused;
		break;
	case 'd':
		env.sort = STATE_SORT_DRAM;
		break;
	case 'l':
		env.sort = STATE_SORT_L1;
		break;
	case 's':
		env.sort = STATE_SORT_L1_SMALL;
		break;
	case 't':
		env.sort = STATE_SORT_TRACE;
		break;
	case 'b':
		env.sort = STATE_SORT_BUFFERS;
		break;
	case 'k':
		env.sort = STATE_SORT_PEAK;
		break;
	case 'a':
		env.sort = STATE_SORT_AGE;
		break;
	case 'p':
		env.sort = STATE_SORT_PID;
		break;
	case '/':
	case 'f':
		prompt_filter();
		refilter = true;
		break;
	case 'c':
		env.device = env.kind = -1;
		env.pid = 0;
		refilter = true;
		break;
	}
	return true;
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000),
			       .tv_nsec = (long)(ms % 1000) * 1000000L };

	/* A signal cuts the wait short, which is what Ctrl-C wants. */
	nanosleep(&ts, NULL);
}

/* Buffers are read (and frames resolved) only when a tracer recorded
 * Python stacks: without, top stays as cheap as before. */
static bool py_frames_recorded(const struct ttbpf_maps *m)
{
	uint32_t key;

	return m->py_stacks_fd >= 0 &&
	       !bpf_map_get_next_key(m->py_stacks_fd, NULL, &key);
}

/* New holders for @s; a fresh resolver each read, as pids get reused. */
static int py_view__update(struct py_view *pv, const struct state *s, bool py)
{
	py_holders__free(&pv->holders);
	pysymbolizer__free(pv->sym);
	pv->sym = NULL;
	if (!s || !py)
		return 0;
	pv->sym = pysymbolizer__new("/proc");
	if (!pv->sym || py_holders__build(&pv->holders, s->bufs, s->n_bufs)) {
		pysymbolizer__free(pv->sym);
		pv->sym = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* The pinned maps, or a tracer of our own when nothing is pinned. */
static int open_maps(struct tracer **t, struct ttbpf_maps *maps)
{
	struct tracer_opts o = {
		.libs = env.r.libs,
		.n_libs = env.r.n_libs,
		.layout = env.r.layout,
		.pid = (pid_t)env.pid,
		.verbose = env.r.verbose,
	};

	return tracer__open_reader("ttbpf-top", env.r.pin_dir, &o, t, maps);
}

int main(int argc, char **argv)
{
	static const struct argp_child children[] = {
		{ &reader_args__argp, 0, NULL, 0 },
		{},
	};
	static const struct argp argp = { options,  parse_opt, NULL, doc,
					  children, NULL,      NULL };
	struct ttbpf_maps maps = {};
	struct tracer *tracer = NULL;
	static struct prev prev;
	struct capacity cap;
	bool curses = false, paused = false, have = false;
	struct state cur = {};
	struct py_view pv = { .maps = &maps };
	char source[300], msg[1024];
	uint64_t n = 0;
	int err;

	reader_args__init(&env.r);
	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return 1;
	if (capacity__from_options(env.r.arch, env.r.capacity, env.r.sysfs_root,
				   &cap, msg, sizeof(msg))) {
		fprintf(stderr, "ttbpf-top: %s\n", msg);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	if (open_maps(&tracer, &maps))
		return 1;
	if (tracer)
		snprintf(source, sizeof(source), "attached by ttbpf-top");
	else
		snprintf(source, sizeof(source), "pinned in %s", env.r.pin_dir);

	curses = !env.plain && isatty(STDOUT_FILENO) && isatty(STDIN_FILENO);
	if (curses) {
		initscr();
		cbreak();
		noecho();
		keypad(stdscr, TRUE);
		curs_set(0);
	}
	while (!exiting) {
		struct out o = { .curses = curses, .f = stdout };
		bool fresh = !paused || !have || refilter;

		if (fresh) {
			struct state s;
			bool py = py_frames_recorded(&maps);

			err = state__read(&maps, &s,
					  STATE_HOST_CHIPS |
						  (py ? STATE_BUFFERS : 0));
			if (err)
				break;
			read_record(&s);
			state__filter(&s, env.device, env.kind, env.pid);
			state__free(&cur);
			cur = s;
			err = py_view__update(&pv, &cur, py);
			if (err)
				break;
			have = true;
			refilter = false;
			n++;
		}
		/* Paused: the frozen picture, re-sorted on key presses. */
		state__sort_procs(&cur, env.sort);
		if (curses)
			erase();
		else if (n > 1)
			fputc('\n', stdout);
		render(&o, &cur, &cap, &prev, &pv, source, paused);
		if (fresh)
			prev_save(&prev, &cur);
		if (curses) {
			int ch;

			mvprintw(LINES - 1, 0,
				 "q quit  space pause  d/l/s/t/b/k/a/p sort  / "
				 "filter  c clear");
			refresh();
			timeout((int)env.refresh_ms);
			ch = getch();
			if (ch != ERR && !handle_key(ch, &paused))
				break;
		} else {
			fflush(stdout);
		}
		if (env.iterations && n >= env.iterations)
			break;
		if (!curses)
			sleep_ms(env.refresh_ms);
	}
	if (curses)
		endwin();
	py_view__update(&pv, NULL, false);
	state__free(&cur);
	shm_record__free(&record);
	if (err)
		fprintf(stderr, "ttbpf-top: reading the maps failed: %s\n",
			strerror(-err));
	tracer__close_reader(tracer, &maps);
	return err ? 1 : 0;
}
