// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "event_format.h"
#include "metrics.h"
#include "text_escape.h"

void metrics__label_value(FILE *f, const char *s, size_t maxlen)
{
	size_t n = strnlen(s, maxlen), len = TEXT_ESCAPED_LEN(n);
	char small[TEXT_ESCAPED_LEN(64)], *buf = small;

	if (len > sizeof(small)) {
		buf = malloc(len);
		if (!buf) {
			fputs("?", f);
			return;
		}
	}
	text_escape(s, n, buf, len);
	/* After text_escape only '\\' and '"' are left to escape. */
	for (const char *p = buf; *p; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', f);
		fputc(*p, f);
	}
	if (buf != small)
		free(buf);
}

/* The device label: the chip number, "mesh:N" / "mesh:?", or "unknown". */
static void device_value(FILE *f, int device, uint32_t kind)
{
	if (kind == TTBPF_DEV_CHIP && device >= 0)
		fprintf(f, "%d", device);
	else if (kind == TTBPF_DEV_MESH && device >= 0)
		fprintf(f, "mesh:%d", device);
	else if (kind == TTBPF_DEV_MESH)
		fputs("mesh:?", f);
	else
		fputs("unknown", f);
}

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

enum dev_field { DEV_USED, DEV_PEAK, DEV_BUFFERS, DEV_CAPACITY };

static uint64_t dev_value(const struct state_dev *d, int t, enum dev_field w,
			  const struct capacity *cap)
{
	switch (w) {
	case DEV_USED:
		return d->u.bytes[t];
	case DEV_PEAK:
		return d->u.peak[t];
	case DEV_BUFFERS:
		return d->u.buffers[t];
	case DEV_CAPACITY:
		return cap ? cap->bytes[t] : 0;
	}
	return 0;
}

static void dev_family(FILE *f, const struct state *s, const char *name,
		       const char *help, enum dev_field w,
		       const struct capacity *cap)
{
	family(f, name, "gauge", help);
	for (size_t i = 0; i < s->n_devs; i++) {
		const struct state_dev *d = &s->devs[i];

		for (int t = 0; t < TTBPF_NR_TYPES; t++) {
			/* Capacities are per chip and only where known. */
			if (w == DEV_CAPACITY && (d->kind != TTBPF_DEV_CHIP ||
						  !cap || !cap->bytes[t]))
				continue;
			fprintf(f, "%s{device=\"", name);
			device_value(f, d->device, d->kind);
			fprintf(f, "\",type=\"%s\"} %llu\n",
				buffer_type_name(t),
				(unsigned long long)dev_value(d, t, w, cap));
		}
	}
}

enum dev_counter { CNT_ALLOCS, CNT_FREES, CNT_FAILED };

static void dev_counter(FILE *f, const struct state *s, const char *name,
			const char *help, enum dev_counter w)
{
	family(f, name, "counter", help);
	for (size_t i = 0; i < s->n_devs; i++) {
		const struct state_dev *d = &s->devs[i];
		uint64_t v = w == CNT_ALLOCS  ? d->u.allocs
			     : w == CNT_FREES ? d->u.frees
					      : d->u.failed;

		fprintf(f, "%s{device=\"", name);
		device_value(f, d->device, d->kind);
		fprintf(f, "\"} %llu\n", (unsigned long long)v);
	}
}

static void proc_family(FILE *f, const struct state *s,
			struct proc_names *names)
{
	static const char name[] = "ttbpf_process_memory_used_bytes";

	family(f, name, "gauge",
	       "Device memory a process holds, by device and buffer type.");
	for (size_t i = 0; i < s->n_procs; i++) {
		const struct state_proc *p = &s->procs[i];
		const struct proc_name *pn =
			names ? proc_names__get(names, p->pid) : NULL;

		for (int t = 0; t < TTBPF_NR_TYPES; t++) {
			/* A type the process never used is not a series. */
			if (!p->u.bytes[t] && !p->u.peak[t])
				continue;
			fprintf(f, "%s{pid=\"%u\",comm=\"", name, p->pid);
			metrics__label_value(f, p->u.comm, TTBPF_COMM_LEN);
			if (pn && pn->container[0]) {
				fputs("\",container=\"", f);
				metrics__label_value(f, pn->container,
						     sizeof(pn->container));
			}
			fputs("\",device=\"", f);
			device_value(f, p->device, p->kind);
			fprintf(f, "\",type=\"%s\"} %llu\n",
				buffer_type_name(t),
				(unsigned long long)p->u.bytes[t]);
		}
	}
}

static void stat_counter(FILE *f, const char *name, const char *help,
			 uint64_t v)
{
	family(f, name, "counter", help);
	fprintf(f, "%s %llu\n", name, (unsigned long long)v);
}

static void info_family(FILE *f, const struct state *s,
			const struct metrics_info *info)
{
	uint32_t n = s->has_meta ? s->meta.n_libs : 0;

	family(f, "ttbpf_info", "gauge",
	       "Always 1: ttbpf's version and a libtt_metal.so it traces.");
	if (n > TTBPF_MAX_LIBS)
		n = TTBPF_MAX_LIBS;
	for (uint32_t i = 0; i < n || (!n && !i); i++) {
		fputs("ttbpf_info{version=\"", f);
		metrics__label_value(f, info->version, SIZE_MAX);
		fputs("\",library=\"", f);
		if (n)
			metrics__label_value(f, s->meta.lib_paths[i],
					     sizeof(s->meta.lib_paths[i]));
		fputs("\"} 1\n", f);
	}
}

int metrics__write(FILE *f, const struct state *s,
		   const struct metrics_info *info)
{
	family(f, "ttbpf_up", "gauge",
	       "1 when the tracer's maps were read for this scrape.");
	fprintf(f, "ttbpf_up %d\n", s ? 1 : 0);
	if (!s)
		return ferror(f) ? -EIO : 0;
	info_family(f, s, info);
	dev_family(f, s, "ttbpf_device_memory_used_bytes",
		   "Device memory allocated and not freed, by buffer type.",
		   DEV_USED, NULL);
	dev_family(f, s, "ttbpf_device_memory_peak_bytes",
		   "High-water mark of used bytes since tracing began.",
		   DEV_PEAK, NULL);
	dev_family(f, s, "ttbpf_device_buffers",
		   "Buffers allocated and not freed, by buffer type.",
		   DEV_BUFFERS, NULL);
	dev_family(f, s, "ttbpf_device_memory_capacity_bytes",
		   "Capacity per chip, where the architecture or --capacity "
		   "gives it.",
		   DEV_CAPACITY, info->cap);
	proc_family(f, s, info->names);
	dev_counter(f, s, "ttbpf_allocations_total",
		    "Buffers allocated since tracing began.", CNT_ALLOCS);
	dev_counter(f, s, "ttbpf_frees_total",
		    "Buffers released since tracing began (bulk frees and "
		    "process exits included).",
		    CNT_FREES);
	dev_counter(f, s, "ttbpf_allocation_failures_total",
		    "Allocations that threw (out of memory).", CNT_FAILED);
	stat_counter(f, "ttbpf_events_dropped_total",
		     "Events lost because the ring buffer was full; totals "
		     "stay exact.",
		     s->stats[TTBPF_STAT_EVENTS_DROPPED]);
	stat_counter(f, "ttbpf_unmatched_frees_total",
		     "Frees of buffers allocated before tracing began; not "
		     "subtracted.",
		     s->stats[TTBPF_STAT_UNMATCHED_FREES]);
	stat_counter(f, "ttbpf_allocations_not_recorded_total",
		     "Allocations not recorded (buffer map full or no "
		     "per-thread slot): totals are incomplete when above 0.",
		     s->stats[TTBPF_STAT_ALLOCS_MAP_FULL] +
			     s->stats[TTBPF_STAT_NOT_RECORDED]);
	return ferror(f) ? -EIO : 0;
}
