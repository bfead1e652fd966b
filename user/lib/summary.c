// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "event_format.h"
#include "summary.h"

struct row {
	struct ttbpf_proc_key key; /* pid 0 for device rows */
	struct ttbpf_usage u;
};

static int cmp_rows(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->key.dev_kind != y->key.dev_kind)
		return x->key.dev_kind < y->key.dev_kind ? -1 : 1;
	if (x->key.device != y->key.device)
		return x->key.device < y->key.device ? -1 : 1;
	if (x->key.pid != y->key.pid)
		return x->key.pid < y->key.pid ? -1 : 1;
	return 0;
}

/* Read a usage map, either keyed by device or by (pid, device), sorted. */
static int read_rows(int fd, bool per_proc, struct row **out, size_t *n)
{
	size_t cap = 64, len = 0;
	struct row *rows = malloc(cap * sizeof(*rows));
	struct ttbpf_proc_key pk, next_pk;
	struct ttbpf_dev_key dk, next_dk;
	void *key = NULL,
	     *next = per_proc ? (void *)&next_pk : (void *)&next_dk;

	if (!rows)
		return -ENOMEM;
	while (!bpf_map_get_next_key(fd, key, next)) {
		struct row r = {};

		if (len == cap) {
			struct row *bigger =
				realloc(rows, 2 * cap * sizeof(*rows));

			if (!bigger) {
				free(rows);
				return -ENOMEM;
			}
			rows = bigger;
			cap *= 2;
		}
		if (per_proc) {
			pk = next_pk;
			key = &pk;
			r.key = pk;
		} else {
			dk = next_dk;
			key = &dk;
			r.key.device = dk.device;
			r.key.dev_kind = dk.dev_kind;
		}
		if (bpf_map_lookup_elem(fd, key, &r.u))
			continue; /* deleted meanwhile */
		rows[len++] = r;
	}
	qsort(rows, len, sizeof(*rows), cmp_rows);
	*out = rows;
	*n = len;
	return 0;
}

static bool wanted(const struct summary_opts *o, const struct row *r)
{
	return o->device < 0 || r->key.device == o->device;
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

int summary_print_text(const struct ttbpf_maps *m, const struct summary_opts *o,
		       FILE *f)
{
	struct row *rows = NULL;
	char dev[32];
	size_t n = 0;
	int err;

	err = read_rows(m->dev_usage_fd, false, &rows, &n);
	if (err)
		return err;
	if (!n)
		fprintf(f, "usage: no allocations seen yet\n");
	for (size_t i = 0; i < n; i++) {
		const struct ttbpf_usage *u = &rows[i].u;

		if (!wanted(o, &rows[i]))
			continue;
		fprintf(f, "usage %-7s:",
			device_label(rows[i].key.device, rows[i].key.dev_kind,
				     dev, sizeof(dev)));
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
	free(rows);

	if (o->processes) {
		err = read_rows(m->proc_usage_fd, true, &rows, &n);
		if (err)
			return err;
		for (size_t i = 0; i < n; i++) {
			if (!wanted(o, &rows[i]))
				continue;
			fprintf(f, "  pid %-7u %-15.15s %-7s:", rows[i].key.pid,
				rows[i].u.comm,
				device_label(rows[i].key.device,
					     rows[i].key.dev_kind, dev,
					     sizeof(dev)));
			print_usage_text(&rows[i].u, f);
			fputc('\n', f);
		}
		free(rows);
	}

	if (o->stats) {
		uint64_t s[TTBPF_NR_STATS] = {};

		err = ttbpf_maps__read_stats(m, s);
		if (err)
			return err;
		fprintf(f,
			"events dropped %llu, unmatched frees %llu (allocated "
			"before tracing, not counted), failed allocations "
			"%llu\n",
			(unsigned long long)s[TTBPF_STAT_EVENTS_DROPPED],
			(unsigned long long)s[TTBPF_STAT_UNMATCHED_FREES],
			(unsigned long long)s[TTBPF_STAT_ALLOC_FAILED]);
		if (s[TTBPF_STAT_ALLOCS_MAP_FULL] ||
		    s[TTBPF_STAT_PROCS_MAP_FULL])
			fprintf(f,
				"WARNING: totals are incomplete: %llu "
				"allocations not recorded (map full; raise "
				"--max-buffers)\n",
				(unsigned long long)(s[TTBPF_STAT_ALLOCS_MAP_FULL] +
						     s[TTBPF_STAT_PROCS_MAP_FULL]));
		if (s[TTBPF_STAT_IMPLAUSIBLE] || s[TTBPF_STAT_BAD_READS] ||
		    s[TTBPF_STAT_UNKNOWN_DEVICE])
			fprintf(f,
				"WARNING: %llu implausible Buffer reads, %llu "
				"failed reads, %llu unknown devices: the "
				"layout "
				"may be wrong (see --explain)\n",
				(unsigned long long)s[TTBPF_STAT_IMPLAUSIBLE],
				(unsigned long long)s[TTBPF_STAT_BAD_READS],
				(unsigned long long)
					s[TTBPF_STAT_UNKNOWN_DEVICE]);
	}
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

static void print_row_json(const struct row *r, bool proc, FILE *f)
{
	char comm[TTBPF_COMM_LEN * 6 + 1];

	fputc('{', f);
	if (proc) {
		json_escape(r->u.comm, TTBPF_COMM_LEN, comm, sizeof(comm));
		fprintf(f, "\"pid\":%u,\"comm\":\"%s\",", r->key.pid, comm);
	}
	fprintf(f, "\"device\":%d,\"kind\":\"%s\",", r->key.device,
		dev_kind_name(r->key.dev_kind));
	print_types_json("usage", r->u.bytes, f);
	fputc(',', f);
	print_types_json("buffers", r->u.buffers, f);
	fputc(',', f);
	print_types_json("peak", r->u.peak, f);
	fprintf(f, ",\"allocs\":%llu,\"frees\":%llu,\"failed\":%llu}",
		(unsigned long long)r->u.allocs, (unsigned long long)r->u.frees,
		(unsigned long long)r->u.failed);
}

/* The rows of one usage map as comma-separated JSON objects. */
static int print_rows_json(int fd, bool proc, const struct summary_opts *o,
			   FILE *f)
{
	struct row *rows = NULL;
	size_t n = 0;
	int err, first = 1;

	err = read_rows(fd, proc, &rows, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		if (!wanted(o, &rows[i]))
			continue;
		if (!first)
			fputc(',', f);
		first = 0;
		print_row_json(&rows[i], proc, f);
	}
	free(rows);
	return 0;
}

int summary_print_json(const struct ttbpf_maps *m, const struct summary_opts *o,
		       FILE *f)
{
	uint64_t s[TTBPF_NR_STATS] = {};
	int err;

	fprintf(f, "{\"event\":\"summary\",\"devices\":[");
	err = print_rows_json(m->dev_usage_fd, false, o, f);
	if (err)
		return err;
	fprintf(f, "],\"processes\":[");
	err = print_rows_json(m->proc_usage_fd, true, o, f);
	if (err)
		return err;
	err = ttbpf_maps__read_stats(m, s);
	if (err)
		return err;
	fprintf(f,
		"],\"stats\":{\"events_dropped\":%llu,\"unmatched_frees\":%llu,"
		"\"alloc_failed\":%llu,\"allocs_map_full\":%llu,"
		"\"implausible\":%llu,\"bad_reads\":%llu,\"unknown_device\":%"
		"llu,"
		"\"late_failures\":%llu,\"bulk_freed\":%llu,\"exit_freed\":%"
		"llu,"
		"\"allocs\":%llu,\"frees\":%llu}}\n",
		(unsigned long long)s[TTBPF_STAT_EVENTS_DROPPED],
		(unsigned long long)s[TTBPF_STAT_UNMATCHED_FREES],
		(unsigned long long)s[TTBPF_STAT_ALLOC_FAILED],
		(unsigned long long)s[TTBPF_STAT_ALLOCS_MAP_FULL],
		(unsigned long long)s[TTBPF_STAT_IMPLAUSIBLE],
		(unsigned long long)s[TTBPF_STAT_BAD_READS],
		(unsigned long long)s[TTBPF_STAT_UNKNOWN_DEVICE],
		(unsigned long long)s[TTBPF_STAT_LATE_FAILURES],
		(unsigned long long)s[TTBPF_STAT_BULK_FREED],
		(unsigned long long)s[TTBPF_STAT_EXIT_FREED],
		(unsigned long long)s[TTBPF_STAT_ALLOCS],
		(unsigned long long)s[TTBPF_STAT_FREES]);
	return 0;
}
