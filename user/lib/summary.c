// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>

#include "chip_ids.h"
#include "event_format.h"
#include "format.h"
#include "shm_record.h"
#include "stat_notes.h"
#include "state.h"
#include "summary.h"
#include "text_escape.h"

/* Processes are listed under their device: kind, device, then pid. */
static int cmp_proc_dev(const void *a, const void *b)
{
	const struct state_proc *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->device != y->device)
		return x->device < y->device ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return 0;
}

/*
 * One read of the maps, cut to @o->device. @any_dev tells whether any
 * device had allocations before the cut ("no allocations seen yet").
 */
static int read_state(const struct ttbpf_maps *m, const struct summary_opts *o,
		      struct state *s, bool *any_dev, struct shm_record *rec)
{
	int err;

	memset(rec, 0, sizeof(*rec));
	err = state__read(m, s, STATE_HOST_CHIPS);
	if (err)
		return err;
	/* Before the cut: a process with rows on any chip is seen. */
	if (o->tt_metal_record && !shm_record__read("/dev/shm", rec)) {
		shm_record__keep_unseen(rec, s, 0);
		shm_record__keep_device(rec, o->device);
	}
	*any_dev = s->n_devs > 0;
	/* Exited rows left the map, not the device rows' counts. */
	chip_ids__move_devs(s, o->exited, o->n_exited);
	state__filter(s, o->device, -1, 0);
	qsort(s->procs, s->n_procs, sizeof(*s->procs), cmp_proc_dev);
	return 0;
}

static void print_usage_text(const struct ttbpf_usage *u, FILE *f)
{
	static const unsigned int shown[] = { TTBPF_DRAM, TTBPF_L1,
					      TTBPF_L1_SMALL, TTBPF_TRACE,
					      TTBPF_SYSTEM_MEMORY };
	char hb[32];

	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
		unsigned int t = shown[i];

		/* SYSTEM_MEMORY is rare: show it only when used. */
		if (t == TTBPF_SYSTEM_MEMORY && !u->bytes[t] && !u->peak[t])
			continue;
		fprintf(f, " %s %llu (%s, %llu bufs)", buffer_type_name(t),
			(unsigned long long)u->bytes[t],
			human_bytes(u->bytes[t], hb, sizeof(hb)),
			(unsigned long long)u->buffers[t]);
	}
}

static bool row_wanted(const struct state_proc *p, const struct summary_opts *o)
{
	return o->device < 0 || p->device == o->device;
}

/* " | cmd: ..." with the container, as proc_name__terminal() shows it. */
static void print_name_text(const struct state_proc *p,
			    const struct summary_opts *o, FILE *f)
{
	const struct proc_name *n;
	char buf[PROC_NAME_SHOWN_LEN];

	if (!o->names)
		return;
	n = proc_names__find(o->names, p->pid);
	fprintf(f, " | cmd: %s%s", proc_name__terminal(n, 0, buf, sizeof(buf)),
		n && n->known ? "" : " (exited before it was read)");
}

static void print_proc_text(const struct state_proc *p, bool exited,
			    const struct summary_opts *o, FILE *f)
{
	char dev[32], comm[TEXT_ESCAPED_LEN(TTBPF_COMM_LEN)];

	fprintf(f, "  pid %-7u %-15s %-7s:", p->pid,
		text_escape(p->u.comm, TTBPF_COMM_LEN, comm, sizeof(comm)),
		chip_ids__label(p->device, p->kind, p->local_device,
				p->host_unknown, dev, sizeof(dev)));
	print_usage_text(&p->u, f);
	fprintf(f, " | peak DRAM %llu L1 %llu | allocs %llu frees %llu%s",
		(unsigned long long)p->u.peak[TTBPF_DRAM],
		(unsigned long long)p->u.peak[TTBPF_L1],
		(unsigned long long)p->u.allocs, (unsigned long long)p->u.frees,
		exited ? " | exited" : "");
	print_name_text(p, o, f);
	fputc('\n', f);
}

int summary_print_text(const struct ttbpf_maps *m, const struct summary_opts *o,
		       FILE *f)
{
	struct shm_record rec;
	struct state st;
	bool any_dev;
	char dev[32];
	int err;

	err = read_state(m, o, &st, &any_dev, &rec);
	if (err)
		return err;
	if (!any_dev)
		fprintf(f, "usage: no allocations seen yet\n");
	for (size_t i = 0; i < st.n_devs; i++) {
		const struct state_dev *d = &st.devs[i];
		const struct ttbpf_usage *u = &d->u;

		fprintf(f, "usage %-7s:",
			device_label(d->device, d->kind, dev, sizeof(dev)));
		print_usage_text(u, f);
		fprintf(f,
			" | peak DRAM %llu L1 %llu | allocs %llu frees %llu "
			"failed %llu\n",
			(unsigned long long)u->peak[TTBPF_DRAM],
			(unsigned long long)u->peak[TTBPF_L1],
			(unsigned long long)u->allocs,
			(unsigned long long)u->frees,
			(unsigned long long)u->failed);
	}

	for (size_t i = 0; o->processes && i < st.n_procs; i++)
		print_proc_text(&st.procs[i], false, o, f);
	for (size_t i = 0; o->processes && i < o->n_exited; i++)
		if (row_wanted(&o->exited[i], o))
			print_proc_text(&o->exited[i], true, o, f);
	if (o->processes)
		shm_record__print_text(&rec, f);
	shm_record__free(&rec);

	if (o->stats) {
		const uint64_t *s = st.stats;

		fprintf(f,
			"events dropped %llu, unmatched frees %llu (allocated "
			"before tracing, not counted), failed allocations "
			"%llu\n",
			(unsigned long long)s[TTBPF_STAT_EVENTS_DROPPED],
			(unsigned long long)s[TTBPF_STAT_UNMATCHED_FREES],
			(unsigned long long)s[TTBPF_STAT_ALLOC_FAILED]);
		stat_notes__print(s, NULL, STAT_STREAM, "", f);
	}
	state__free(&st);
	return 0;
}

/* "cmdline", "cgroup" and "container": null when not known. */
static void name_json(struct json_writer *w, const struct state_proc *p,
		      const struct summary_opts *o)
{
	const struct proc_name *n =
		o->names ? proc_names__find(o->names, p->pid) : NULL;
	const char *keys[] = { "cmdline", "cgroup", "container" };

	for (size_t i = 0; i < 3; i++) {
		const char *v = !n || !n->known ? NULL
				: i == 0	? n->cmdline
				: i == 1	? n->cgroup
						: n->container;

		json_writer__key(w, keys[i]);
		if (!v || (i && !v[0]))
			json_writer__null(w);
		else
			json_writer__string(w, v);
	}
}

static void proc_json(struct json_writer *w, const struct state_proc *p,
		      bool exited, const struct summary_opts *o)
{
	json_writer__begin_object(w);
	json_writer__field_u64(w, "pid", p->pid);
	json_writer__key(w, "comm");
	json_writer__string_n(w, p->u.comm, TTBPF_COMM_LEN);
	json_writer__field_bool(w, "exited", exited);
	name_json(w, p, o);
	event_json_device(w, p->device, p->kind);
	if (p->kind == TTBPF_DEV_CHIP) {
		json_writer__key(w, "local_device");
		json_writer__i64(w, p->local_device);
		json_writer__key(w, "chip_uid");
		if (p->has_uid)
			json_writer__u64(w, p->chip_uid);
		else
			json_writer__null(w);
	}
	format_usage_json(w, &p->u);
	json_writer__end_object(w);
}

int summary_print_json(const struct ttbpf_maps *m, const struct summary_opts *o,
		       FILE *f)
{
	struct json_writer w;
	struct shm_record rec;
	struct state st;
	bool any_dev;
	int err;

	err = read_state(m, o, &st, &any_dev, &rec);
	if (err)
		return err;
	json_writer__init(&w, f);
	event_json_begin(&w, "summary", o->ts_ns, o->wall_ns);
	json_writer__key(&w, "devices");
	json_writer__begin_array(&w);
	for (size_t i = 0; i < st.n_devs; i++) {
		json_writer__begin_object(&w);
		event_json_device(&w, st.devs[i].device, st.devs[i].kind);
		format_usage_json(&w, &st.devs[i].u);
		json_writer__end_object(&w);
	}
	json_writer__end_array(&w);
	json_writer__key(&w, "processes");
	json_writer__begin_array(&w);
	for (size_t i = 0; i < st.n_procs; i++)
		proc_json(&w, &st.procs[i], false, o);
	for (size_t i = 0; i < o->n_exited; i++)
		if (row_wanted(&o->exited[i], o))
			proc_json(&w, &o->exited[i], true, o);
	json_writer__end_array(&w);
	shm_record__json(&rec, &w);
	shm_record__free(&rec);
	format_stats_json(&w, st.stats);
	json_writer__end_object(&w);
	fputc('\n', f);
	state__free(&st);
	return 0;
}
