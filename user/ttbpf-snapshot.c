// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ttbpf-snapshot: the outstanding device buffers that a pinned ttbpf-trace
 * knows about, grouped by device, type and process, with the call stacks
 * that allocated them; or, with --leaks, the old ones grouped by stack.
 */
#include <argp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buffer_order.h"
#include "chip_ids.h"
#include "format.h"
#include "leaks.h"
#include "maps.h"
#include "pysymbolize.h"
#include "proc_names.h"
#include "shm_record.h"
#include "stacks.h"
#include "stat_notes.h"
#include "state.h"
#include "symbolize.h"
#include "version.h"

#define EXIT_LEAKS 2

/* Processes ttbpf did not see allocate, from TT-Metal's own record. */
static struct shm_record record;

static struct env {
	const char *pin_dir;
	const char *proc_root;
	int device; /* -1: all */
	int kind;   /* -1: any */
	uint32_t pid;
	uint64_t top; /* 0: every buffer */
	bool json;
	bool leaks;
	uint64_t min_age_ms;
	bool fail_on_leak;
	bool symbols;
} env = {
	.pin_dir = TTBPF_PIN_DIR,
	.proc_root = "/proc",
	.device = -1,
	.kind = -1,
	.min_age_ms = 0,
	.symbols = true,
};

void (*argp_program_version_hook)(FILE *,
				  struct argp_state *) = version__argp_hook;

static const char doc[] =
	"Print the Tenstorrent device buffers still allocated, per device, "
	"type and process, with the call stacks that allocated them. Reads "
	"the maps that `ttbpf-trace --pin` keeps.\n"
	"\n"
	"USAGE: ttbpf-snapshot [-p PID] [-d DEV] [--top N] [--json] "
	"[--leaks [--min-age MS] [--fail-on-leak]]\n"
	"\n"
	"EXAMPLES:\n"
	"  sudo ttbpf-trace --pin --lib build/lib/libtt_metal.so &\n"
	"  sudo ttbpf-snapshot                 # everything outstanding\n"
	"  sudo ttbpf-snapshot -d 0 --top 10   # the 10 largest on device 0\n"
	"  sudo ttbpf-snapshot --json | jq .devices\n"
	"  sudo ttbpf-snapshot --leaks --min-age 60000 --fail-on-leak  # CI: "
	"exit 2 if buffers older than a minute remain\n";

enum {
	OPT_JSON = 0x100,
	OPT_TOP,
	OPT_LEAKS,
	OPT_MIN_AGE,
	OPT_FAIL_ON_LEAK,
	OPT_PIN_DIR,
	OPT_PROC_ROOT,
	OPT_NO_SYMBOLS,
};

static const struct argp_option options[] = {
	{ "pid", 'p', "PID", 0, "Only this process", 0 },
	{ "device", 'd', "DEV", 0,
	  "Only this device: N (chip or mesh), chip:N or mesh:N", 0 },
	{ "top", OPT_TOP, "N", 0, "Only the N largest buffers", 0 },
	{ "json", OPT_JSON, NULL, 0, "One JSON document", 0 },
	{ "leaks", OPT_LEAKS, NULL, 0,
	  "Buffers older than --min-age, grouped by allocation stack", 0 },
	{ "min-age", OPT_MIN_AGE, "MS", 0,
	  "Age in milliseconds from which a buffer counts as leaked "
	  "(default 0)",
	  0 },
	{ "fail-on-leak", OPT_FAIL_ON_LEAK, NULL, 0,
	  "Exit with status 2 when --leaks finds any buffer", 0 },
	{ "no-symbols", OPT_NO_SYMBOLS, NULL, 0,
	  "Print stack addresses without resolving them", 0 },
	{ "pin-dir", OPT_PIN_DIR, "DIR", 0,
	  "Where the maps are pinned (default " TTBPF_PIN_DIR ")", 0 },
	{ "proc-root", OPT_PROC_ROOT, "DIR", OPTION_HIDDEN, "procfs root", 0 },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	uint64_t v;

	switch (key) {
	case 'p':
		if (format_parse_u64(arg, 0x3fffffff, &v) || !v)
			argp_error(state, "invalid PID: %s", arg);
		env.pid = (uint32_t)v;
		break;
	case 'd':
		if (format_device_parse(arg, &env.device, &env.kind))
			argp_error(state, "invalid device: %s", arg);
		break;
	case OPT_TOP:
		if (format_parse_u64(arg, UINT32_MAX, &v) || !v)
			argp_error(state, "invalid --top: %s", arg);
		env.top = v;
		break;
	case OPT_JSON:
		env.json = true;
		break;
	case OPT_LEAKS:
		env.leaks = true;
		break;
	case OPT_MIN_AGE:
		if (format_parse_u64(arg, UINT64_MAX / 1000000, &v))
			argp_error(state, "invalid --min-age: %s", arg);
		env.min_age_ms = v;
		break;
	case OPT_FAIL_ON_LEAK:
		env.fail_on_leak = true;
		break;
	case OPT_NO_SYMBOLS:
		env.symbols = false;
		break;
	case OPT_PIN_DIR:
		env.pin_dir = arg;
		break;
	case OPT_PROC_ROOT:
		env.proc_root = arg;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument: %s", arg);
		break;
	case ARGP_KEY_END:
		if (env.fail_on_leak && !env.leaks)
			argp_error(state, "--fail-on-leak needs --leaks");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* Command lines and containers of the processes shown, read once. */
static struct proc_names names;

static const char *comm_of(const struct state *s, uint32_t pid)
{
	for (size_t i = 0; i < s->n_procs; i++)
		if (s->procs[i].pid == pid)
			return s->procs[i].u.comm;
	return "";
}

static void json_frames(struct json_writer *w, const struct stack_sym *ss)
{
	json_writer__begin_array(w);
	for (size_t f = 0; ss && f < ss->n; f++) {
		if (f < ss->n_py)
			py_frame__json(w, &ss->py[f]);
		else
			json_writer__string(w, ss->frames[f]);
	}
	json_writer__end_array(w);
}

static void json_stack(struct json_writer *w, const struct stack_sym *ss)
{
	json_writer__key(w, "stack");
	json_frames(w, ss);
}

/* "stack": index into the top-level "stacks", or null without one. */
/* Every chip holding the buffer, as in trace events. */
static void json_chips(struct json_writer *w, const struct state_buf *b)
{
	event_json_chips(w, b->a.device, b->a.dev_kind, b->a.chips);
}

static void json_stack_ref(struct json_writer *w, const struct stacks *st,
			   const struct state_buf *b)
{
	const struct stack_sym *ss = stacks__find(st, b);

	json_writer__key(w, "stack");
	if (ss)
		json_writer__u64(w, (uint64_t)(ss - st->v));
	else
		json_writer__null(w);
}

/* "cmdline", "cgroup", "container": null where unknown or none. */
static void json_name(struct json_writer *w, const struct proc_name *n)
{
	bool known = n && n->known;
	const char *v[3] = { known ? n->cmdline : NULL,
			     known && n->cgroup[0] ? n->cgroup : NULL,
			     known && n->container[0] ? n->container : NULL };
	const char *keys[3] = { "cmdline", "cgroup", "container" };

	for (int i = 0; i < 3; i++) {
		json_writer__key(w, keys[i]);
		if (v[i])
			json_writer__string(w, v[i]);
		else
			json_writer__null(w);
	}
}

static void print_json(const struct state *s, const struct stacks *st,
		       const struct leaks *lk, FILE *f)
{
	struct json_writer w;

	json_writer__init(&w, f);
	json_writer__begin_object(&w);
	json_writer__field_u64(&w, "schema", EVENT_SCHEMA);
	if (s->has_meta) {
		json_writer__key(&w, "meta");
		json_writer__begin_object(&w);
		json_writer__key(&w, "loader_pid");
		json_writer__u64(&w, s->meta.loader_pid);
		json_writer__key(&w, "start_realtime_ns");
		json_writer__u64(&w, s->meta.start_realtime_ns);
		json_writer__key(&w, "tracing_ms");
		json_writer__u64(&w, state__age_ms(s, s->meta.start_ts_ns));
		json_writer__key(&w, "layout_warnings");
		json_writer__u64(&w, s->meta.layout_warnings);
		json_writer__key(&w, "libs");
		json_writer__begin_array(&w);
		for (__u32 i = 0; i < s->meta.n_libs && i < TTBPF_MAX_LIBS; i++)
			json_writer__string_n(&w, s->meta.lib_paths[i],
					      sizeof(s->meta.lib_paths[i]));
		json_writer__end_array(&w);
		json_writer__end_object(&w);
	}
	json_writer__key(&w, "devices");
	json_writer__begin_array(&w);
	for (size_t i = 0; i < s->n_devs; i++) {
		json_writer__begin_object(&w);
		event_json_device(&w, s->devs[i].device, s->devs[i].kind);
		format_usage_json(&w, &s->devs[i].u);
		json_writer__end_object(&w);
	}
	json_writer__end_array(&w);
	json_writer__key(&w, "processes");
	json_writer__begin_array(&w);
	for (size_t i = 0; i < s->n_procs; i++) {
		const struct state_proc *p = &s->procs[i];

		json_writer__begin_object(&w);
		json_writer__key(&w, "pid");
		json_writer__u64(&w, p->pid);
		json_writer__key(&w, "comm");
		json_writer__string_n(&w, p->u.comm, sizeof(p->u.comm));
		json_name(&w, proc_names__get(&names, p->pid));
		event_json_device(&w, p->device, p->kind);
		if (p->kind == TTBPF_DEV_CHIP) {
			json_writer__key(&w, "local_device");
			json_writer__i64(&w, p->local_device);
			json_writer__key(&w, "chip_uid");
			if (p->has_uid)
				json_writer__u64(&w, p->chip_uid);
			else
				json_writer__null(&w);
		}
		format_usage_json(&w, &p->u);
		json_writer__key(&w, "age_ms");
		json_writer__u64(&w, state__age_ms(s, p->u.first_ts_ns));
		json_writer__end_object(&w);
	}
	json_writer__end_array(&w);
	json_writer__key(&w, "buffers");
	json_writer__begin_array(&w);
	for (size_t i = 0; i < s->n_bufs; i++) {
		const struct state_buf *b = &s->bufs[i];

		json_writer__begin_object(&w);
		json_writer__key(&w, "pid");
		json_writer__u64(&w, b->pid);
		json_writer__key(&w, "tid");
		json_writer__u64(&w, b->a.tid);
		event_json_device(&w, b->a.device, b->a.dev_kind);
		json_writer__key(&w, "local_device");
		json_writer__i64(&w, b->local_device);
		json_chips(&w, b);
		json_writer__key(&w, "type");
		json_writer__string(&w, buffer_type_name(b->a.type));
		json_writer__key(&w, "size");
		json_writer__u64(&w, b->a.size);
		/* null: the allocation has not returned yet, or its
		 * process could not be read (see buffer_address.h) */
		json_writer__key(&w, "address");
		if (b->a.address)
			json_writer__hex(&w, b->a.address);
		else
			json_writer__null(&w);
		json_writer__field_hex(&w, "buffer", b->buffer);
		json_writer__key(&w, "age_ms");
		json_writer__u64(&w, state__age_ms(s, b->a.ts_ns));
		json_stack_ref(&w, st, b);
		json_writer__end_object(&w);
	}
	json_writer__end_array(&w);
	/* Each (process, stack) once; buffers refer to it by index: a
	 * million buffers would otherwise repeat their frames a million
	 * times. */
	json_writer__key(&w, "stacks");
	json_writer__begin_array(&w);
	for (size_t i = 0; i < st->n; i++)
		json_frames(&w, &st->v[i]);
	json_writer__end_array(&w);
	shm_record__json(&record, &w);
	format_stats_json(&w, s->stats);
	if (lk) {
		json_writer__key(&w, "leaks");
		json_writer__begin_object(&w);
		json_writer__key(&w, "min_age_ms");
		json_writer__u64(&w, env.min_age_ms);
		json_writer__key(&w, "bytes");
		json_writer__u64(&w, lk->bytes);
		json_writer__key(&w, "count");
		json_writer__u64(&w, lk->count);
		json_writer__key(&w, "stacks");
		json_writer__begin_array(&w);
		for (size_t i = 0; i < lk->n; i++) {
			const struct leak *l = &lk->v[i];

			json_writer__begin_object(&w);
			json_writer__key(&w, "bytes");
			json_writer__u64(&w, l->bytes);
			json_writer__key(&w, "count");
			json_writer__u64(&w, l->count);
			format_types_json(&w, "usage", l->bytes_by_type);
			json_writer__key(&w, "oldest_ms");
			json_writer__u64(&w, l->oldest_ms);
			json_writer__key(&w, "pids");
			json_writer__begin_array(&w);
			for (size_t p = 0; p < l->n_pids; p++)
				json_writer__u64(&w, l->pids[p]);
			json_writer__end_array(&w);
			json_stack(&w, l->stack);
			json_writer__end_object(&w);
		}
		json_writer__end_array(&w);
		json_writer__end_object(&w);
	}
	json_writer__end_object(&w);
	fputc('\n', f);
}

static void print_stack_text(const struct stack_sym *ss, const char *indent,
			     FILE *f)
{
	if (!ss || !ss->n) {
		fprintf(f, "%s(no stack recorded)\n", indent);
		return;
	}
	/* Symbol and module names come from binaries any user can build. */
	for (size_t i = 0; i < ss->n; i++) {
		fputs(indent, f);
		text_escape_to(f, ss->labels[i], SIZE_MAX);
		fputc('\n', f);
	}
}

static void print_stats_text(const uint64_t *st, FILE *f)
{
	fprintf(f,
		"stats: events dropped %llu, unmatched frees %llu, failed "
		"allocations %llu, allocs map full %llu, procs map full %llu\n",
		(unsigned long long)st[TTBPF_STAT_EVENTS_DROPPED],
		(unsigned long long)st[TTBPF_STAT_UNMATCHED_FREES],
		(unsigned long long)st[TTBPF_STAT_ALLOC_FAILED],
		(unsigned long long)st[TTBPF_STAT_ALLOCS_MAP_FULL],
		(unsigned long long)st[TTBPF_STAT_PROCS_MAP_FULL]);
	/* Stacks lost matter here: the leak report groups by them. */
	stat_notes__print(st, NULL, STAT_STREAM, "", f);
}

/*
 * End a buffer's line with its stack: the frames under the first buffer
 * that has it, "stack #N" under every later one. A million buffers from a
 * few call sites would otherwise print the same frames a million times.
 */
static void print_stack_ref(const struct stacks *st, const struct stack_sym *ss,
			    bool *shown, FILE *f)
{
	size_t n = ss ? (size_t)(ss - st->v) : 0;

	if (ss)
		fprintf(f, ", stack #%zu", n + 1);
	fputc('\n', f);
	if (ss && shown && shown[n])
		return;
	print_stack_text(ss, "        ", f);
	if (ss && shown)
		shown[n] = true;
}

/* @outstanding: buffers before --top kept only the largest. */
static void print_text(const struct state *s, const struct stacks *st,
		       size_t outstanding, FILE *f)
{
	char dev[32], hb[32], age[32], at[24],
		comm[TEXT_ESCAPED_LEN(TTBPF_COMM_LEN)];
	char cmd[PROC_NAME_SHOWN_LEN], own[64];
	/* Without memory every stack is printed in full: still right. */
	bool *shown = calloc(st->n ? st->n : 1, sizeof(*shown));
	size_t i = 0;

	if (s->has_meta)
		fprintf(f, "tracing for %s (loader pid %u), ",
			format_age_ms(state__age_ms(s, s->meta.start_ts_ns),
				      age, sizeof(age)),
			s->meta.loader_pid);
	fprintf(f, "%zu buffers outstanding", outstanding);
	if (s->n_bufs < outstanding)
		fprintf(f, ", the %zu largest listed", s->n_bufs);
	fputc('\n', f);
	for (size_t d = 0; d < s->n_devs; d++) {
		const struct state_dev *sd = &s->devs[d];

		fprintf(f, "%s:",
			device_label(sd->device, sd->kind, dev, sizeof(dev)));
		for (unsigned int t = 0; t < TTBPF_NR_TYPES; t++)
			if (sd->u.bytes[t] || sd->u.peak[t])
				fprintf(f,
					" %s %llu B (%s) in %llu buffers, peak "
					"%llu;",
					buffer_type_name(t),
					(unsigned long long)sd->u.bytes[t],
					human_bytes(sd->u.bytes[t], hb,
						    sizeof(hb)),
					(unsigned long long)sd->u.buffers[t],
					(unsigned long long)sd->u.peak[t]);
		fputc('\n', f);
	}
	/* The buffers are already in device -> type -> process order. */
	while (i < s->n_bufs) {
		const struct state_buf *b = &s->bufs[i];
		size_t j = i;
		uint64_t bytes = 0;

		if (!i || !state_buf__same_dev(b, b - 1))
			fprintf(f, "%s\n",
				device_label(b->a.device, b->a.dev_kind, dev,
					     sizeof(dev)));
		if (!i || !state_buf__same_type(b, b - 1)) {
			for (j = i; j < s->n_bufs &&
				    state_buf__same_type(&s->bufs[j], b);
			     j++)
				bytes += s->bufs[j].a.size;
			fprintf(f, "  %s: %llu B (%s) in %zu buffers\n",
				buffer_type_name(b->a.type),
				(unsigned long long)bytes,
				human_bytes(bytes, hb, sizeof(hb)), j - i);
			bytes = 0;
		}
		for (j = i;
		     j < s->n_bufs && state_buf__same_type(&s->bufs[j], b) &&
		     s->bufs[j].pid == b->pid;
		     j++)
			bytes += s->bufs[j].a.size;
		if (b->host_unknown || b->local_device != b->a.device)
			snprintf(own, sizeof(own), " (its dev %d%s)",
				 b->local_device,
				 b->host_unknown ? ", host-wide number unknown"
						 : "");
		else
			own[0] = '\0';
		fprintf(f,
			"    pid %u%s %s: %llu B (%s) in %zu buffers | cmd: "
			"%s\n",
			b->pid, own,
			text_escape(comm_of(s, b->pid), TTBPF_COMM_LEN, comm,
				    sizeof(comm)),
			(unsigned long long)bytes,
			human_bytes(bytes, hb, sizeof(hb)), j - i,
			proc_name__terminal(proc_names__get(&names, b->pid), 0,
					    cmd, sizeof(cmd)));
		for (; i < j; i++) {
			const struct stack_sym *ss;

			b = &s->bufs[i];
			ss = stacks__find(st, b);
			fprintf(f,
				"      %llu B (%s) at %s, age %s, buffer "
				"0x%llx",
				(unsigned long long)b->a.size,
				human_bytes(b->a.size, hb, sizeof(hb)),
				address_text(b->a.address, at, sizeof(at)),
				format_age_ms(state__age_ms(s, b->a.ts_ns), age,
					      sizeof(age)),
				(unsigned long long)b->buffer);
			print_stack_ref(st, ss, shown, f);
		}
	}
	if (!s->n_bufs)
		fprintf(f, "no outstanding buffers\n");
	shm_record__print_text(&record, f);
	print_stats_text(s->stats, f);
	free(shown);
}

static void print_leaks_text(const struct leaks *lk, const uint64_t *st,
			     FILE *f)
{
	char hb[32], age[32];

	for (size_t i = 0; i < lk->n; i++) {
		const struct leak *l = &lk->v[i];

		fprintf(f, "%llu B (%s) in %llu buffers, oldest %s, pid",
			(unsigned long long)l->bytes,
			human_bytes(l->bytes, hb, sizeof(hb)),
			(unsigned long long)l->count,
			format_age_ms(l->oldest_ms, age, sizeof(age)));
		for (size_t p = 0; p < l->n_pids; p++)
			fprintf(f, "%s%u", p ? "," : " ", l->pids[p]);
		for (unsigned int t = 0; t < TTBPF_NR_TYPES; t++)
			if (l->bytes_by_type[t])
				fprintf(f, " %s %llu", buffer_type_name(t),
					(unsigned long long)
						l->bytes_by_type[t]);
		fputc('\n', f);
		print_stack_text(l->stack, "    ", f);
	}
	fprintf(f, "%llu leaked buffers older than %llu ms, %llu B (%s)\n",
		(unsigned long long)lk->count,
		(unsigned long long)env.min_age_ms,
		(unsigned long long)lk->bytes,
		human_bytes(lk->bytes, hb, sizeof(hb)));
	/* A report grouped by stack says when stacks or buffers are missing. */
	stat_notes__print(st, NULL, STAT_STREAM, "", f);
}

int main(int argc, char **argv)
{
	static const struct argp argp = { options, parse_opt, NULL, doc,
					  NULL,	   NULL,      NULL };
	struct ttbpf_maps maps = {};
	struct symbolizer *sym = NULL;
	struct pysymbolizer *py = NULL;
	struct stacks st = {};
	struct leaks lk = {};
	struct state s = {};
	size_t outstanding;
	int err, ret = 1;

	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return 1;
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);

	if (ttbpf_maps__open_or_explain("ttbpf-snapshot", env.pin_dir, false,
					&maps))
		return 1;
	err = state__read(&maps, &s, STATE_BUFFERS | STATE_HOST_CHIPS);
	if (err) {
		fprintf(stderr, "ttbpf-snapshot: reading the maps failed: %s\n",
			strerror(-err));
		goto cleanup;
	}
	if (s.meta.abi && s.meta.abi != TTBPF_MAP_ABI)
		fprintf(stderr,
			"ttbpf-snapshot: warning: maps written with ABI %u, "
			"this tool reads ABI %u\n",
			s.meta.abi, TTBPF_MAP_ABI);
	/* Keyed by the chip's unique id, not a device number: -d hides it. */
	if (env.device < 0 && !shm_record__read("/dev/shm", &record))
		shm_record__keep_unseen(&record, &s, env.pid);
	state__filter(&s, env.device, env.kind, env.pid);
	outstanding = s.n_bufs;
	if (env.top && s.n_bufs > env.top && !env.leaks) {
		err = buffer_order__sort(&s, BUFFER_ORDER_SIZE);
		if (err)
			goto cleanup;
		s.n_bufs = env.top;
	}
	err = buffer_order__groups(&s);
	if (err)
		goto cleanup;
	if (env.symbols) {
		sym = symbolizer__new(env.proc_root);
		py = pysymbolizer__new(env.proc_root);
		if (!sym || !py) {
			err = -ENOMEM;
			goto cleanup;
		}
	}
	err = stacks__build(&st, s.bufs, s.n_bufs, &maps, sym, py);
	if (err)
		goto cleanup;
	if (env.leaks) {
		err = leaks__build(&lk, &s, &st, env.min_age_ms);
		if (err)
			goto cleanup;
		if (env.top && lk.n > env.top)
			lk.n = env.top;
	}
	proc_names__init(&names, env.proc_root);
	if (env.json)
		print_json(&s, &st, env.leaks ? &lk : NULL, stdout);
	else if (env.leaks)
		print_leaks_text(&lk, s.stats, stdout);
	else
		print_text(&s, &st, outstanding, stdout);
	if (fflush(stdout)) {
		err = -errno;
		goto cleanup;
	}
	ret = env.fail_on_leak && lk.count ? EXIT_LEAKS : 0;

cleanup:
	if (err)
		fprintf(stderr, "ttbpf-snapshot: %s\n", strerror(-err));
	leaks__free(&lk);
	proc_names__clear(&names);
	shm_record__free(&record);
	stacks__free(&st);
	symbolizer__free(sym);
	pysymbolizer__free(py);
	state__free(&s);
	ttbpf_maps__close(&maps);
	return err ? 1 : ret;
}
