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

static void print_types_json(const char *name, const __u64 *v, FILE *f)
{
	fprintf(f, "\"%s\":{", name);
	for (unsigned int t = 0; t < TTBPF_NR_TYPES; t++)
		fprintf(f, "%s\"%s\":%llu", t ? "," : "", buffer_type_name(t),
			(unsigned long long)v[t]);
	fputc('}', f);
}

/* The fields after "device" of one row, and the closing brace; a chip
 * whose host-wide number is unknown is null. */
static void print_usage_json(int device, bool unknown, uint32_t kind,
			     const struct ttbpf_usage *u, FILE *f)
{
	if (unknown)
		fputs("\"device\":null,", f);
	else
		fprintf(f, "\"device\":%d,", device);
	fprintf(f, "\"kind\":\"%s\",", dev_kind_name(kind));
	print_types_json("usage", u->bytes, f);
	fputc(',', f);
	print_types_json("buffers", u->buffers, f);
	fputc(',', f);
	print_types_json("peak", u->peak, f);
	fprintf(f, ",\"allocs\":%llu,\"frees\":%llu,\"failed\":%llu}",
		(unsigned long long)u->allocs, (unsigned long long)u->frees,
		(unsigned long long)u->failed);
}

/* "cmdline", "cgroup" and "container": null when not known. */
static void print_name_json(const struct state_proc *p,
			    const struct summary_opts *o, FILE *f)
{
	const struct proc_name *n =
		o->names ? proc_names__find(o->names, p->pid) : NULL;
	const char *keys[] = { "cmdline", "cgroup", "container" };
	char buf[PROC_CMDLINE_LEN * 6 + 1];

	for (size_t i = 0; i < 3; i++) {
		const char *v = !n || !n->known ? NULL
				: i == 0	? n->cmdline
				: i == 1	? n->cgroup
						: n->container;

		fprintf(f, "\"%s\":", keys[i]);
		if (!v || (i && !v[0])) {
			fputs("null,", f);
			continue;
		}
		json_escape(v, strlen(v), buf, sizeof(buf));
		fprintf(f, "\"%s\",", buf);
	}
}

static void print_proc_json(const struct state_proc *p, bool exited, bool first,
			    const struct summary_opts *o, FILE *f)
{
	char comm[TTBPF_COMM_LEN * 6 + 1];

	json_escape(p->u.comm, TTBPF_COMM_LEN, comm, sizeof(comm));
	fprintf(f, "%s{\"pid\":%u,\"comm\":\"%s\",\"exited\":%s,",
		first ? "" : ",", p->pid, comm, exited ? "true" : "false");
	print_name_json(p, o, f);
	if (p->kind == TTBPF_DEV_CHIP) {
		fprintf(f,
			"\"local_device\":%d,\"chip_uid\":", p->local_device);
		if (p->has_uid)
			fprintf(f, "%llu,", (unsigned long long)p->chip_uid);
		else
			fputs("null,", f);
	}
	print_usage_json(p->device, p->host_unknown, p->kind, &p->u, f);
}

int summary_print_json(const struct ttbpf_maps *m, const struct summary_opts *o,
		       FILE *f)
{
	struct json_writer w;
	struct shm_record rec;
	const uint64_t *s;
	struct state st;
	bool any_dev;
	int err;

	err = read_state(m, o, &st, &any_dev, &rec);
	if (err)
		return err;
	fprintf(f, "{\"event\":\"summary\",\"devices\":[");
	for (size_t i = 0; i < st.n_devs; i++) {
		fputs(i ? ",{" : "{", f);
		print_usage_json(st.devs[i].device, st.devs[i].host_unknown,
				 st.devs[i].kind, &st.devs[i].u, f);
	}
	fprintf(f, "],\"processes\":[");
	for (size_t i = 0; i < st.n_procs; i++)
		print_proc_json(&st.procs[i], false, i == 0, o, f);
	for (size_t i = 0, k = st.n_procs; i < o->n_exited; i++)
		if (row_wanted(&o->exited[i], o))
			print_proc_json(&o->exited[i], true, k++ == 0, o, f);
	s = st.stats;
	fputs("],", f);
	json_writer__init(&w, f);
	shm_record__json(&rec, &w);
	shm_record__free(&rec);
	fputs(",\"stats\":{", f);
	for (size_t i = 0; i < TTBPF_NR_STATS; i++)
		fprintf(f, "%s\"%s\":%llu", i ? "," : "", stat_names[i],
			(unsigned long long)s[i]);
	fputs("}}\n", f);
	state__free(&st);
	return 0;
}
