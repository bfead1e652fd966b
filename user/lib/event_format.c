// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <time.h>

#include "event_format.h"
#include "json_writer.h"
#include "release_rows.h"
#include "text_escape.h"

static const char *const kind_names[] = {
	[TTBPF_EV_ALLOC] = "alloc",
	[TTBPF_EV_FREE] = "free",
	[TTBPF_EV_ALLOC_FAILED] = "alloc_failed",
	[TTBPF_EV_BULK_FREE] = "bulk_free",
	[TTBPF_EV_EXIT] = "exit",
	[TTBPF_EV_EXEC] = "exec",
};

static const char *const type_names[TTBPF_NR_TYPES] = {
	[TTBPF_DRAM] = "DRAM",
	[TTBPF_L1] = "L1",
	[TTBPF_SYSTEM_MEMORY] = "SYSTEM_MEMORY",
	[TTBPF_L1_SMALL] = "L1_SMALL",
	[TTBPF_TRACE] = "TRACE",
};

const char *event_kind_name(unsigned int kind)
{
	if (kind < sizeof(kind_names) / sizeof(kind_names[0]) &&
	    kind_names[kind])
		return kind_names[kind];
	return "unknown";
}

const char *buffer_type_name(unsigned int type)
{
	return type < TTBPF_NR_TYPES ? type_names[type] : "UNKNOWN";
}

const char *dev_kind_name(unsigned int dev_kind)
{
	switch (dev_kind) {
	case TTBPF_DEV_CHIP:
		return "chip";
	case TTBPF_DEV_MESH:
		return "mesh";
	default:
		return "unknown";
	}
}

const char *device_label(int device, unsigned int dev_kind, char *buf,
			 size_t len)
{
	if (dev_kind == TTBPF_DEV_MESH && device < 0)
		snprintf(buf, len, "mesh ?");
	else if (dev_kind == TTBPF_DEV_UNKNOWN || device < 0)
		snprintf(buf, len, "dev ?");
	else
		snprintf(buf, len, "%s %d",
			 dev_kind == TTBPF_DEV_MESH ? "mesh" : "dev", device);
	return buf;
}

/* "0,1,5" for the chips of a mesh buffer; "" for a single device. */
static void chip_list(unsigned long long chips, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int c = 0; c < TTBPF_MAX_CHIPS && o + 1 < len; c++) {
		int n;

		if (!(chips >> c & 1))
			continue;
		n = snprintf(buf + o, len - o, "%s%d", o ? "," : "", c);
		if (n < 0 || (size_t)n >= len - o)
			break;
		o += (size_t)n;
	}
}

const char *human_bytes(unsigned long long bytes, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	unsigned int u = 0;

	while (v >= 1024.0 && u < 4) {
		v /= 1024.0;
		u++;
	}
	if (!u)
		snprintf(buf, len, "%llu B", bytes);
	else
		snprintf(buf, len, "%.2f %s", v, units[u]);
	return buf;
}

const char *address_text(unsigned long long address, char *buf, size_t len)
{
	if (address)
		snprintf(buf, len, "0x%llx", address);
	else
		snprintf(buf, len, "?");
	return buf;
}

int event_format_text(const struct ttbpf_event *e, unsigned long long wall_ns,
		      char *buf, size_t len)
{
	char dev[32], hb[32], when[32], at[24],
		comm[TEXT_ESCAPED_LEN(TTBPF_COMM_LEN)];
	char inherited[80] = "";
	time_t secs = (time_t)(wall_ns / 1000000000ULL);
	struct tm tm;

	localtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	device_label(e->device, e->dev_kind, dev, sizeof(dev));
	if (e->chips) {
		char list[200];

		chip_list(e->chips, list, sizeof(list));
		snprintf(dev, sizeof(dev), "dev %.27s", list);
	}
	human_bytes(e->size, hb, sizeof(hb));
	text_escape(e->comm, TTBPF_COMM_LEN, comm, sizeof(comm));

	switch (e->kind) {
	case TTBPF_EV_BULK_FREE:
		return snprintf(buf, len,
				"%s.%03llu %-12s pid %-7u %-15s allocator "
				"0x%llx released %u buffers, %llu bytes (%s)",
				when, (wall_ns / 1000000ULL) % 1000,
				event_kind_name(e->kind), e->pid, comm,
				(unsigned long long)e->allocator, e->count,
				(unsigned long long)e->size, hb);
	case TTBPF_EV_EXIT:
		return snprintf(buf, len,
				"%s.%03llu %-12s pid %-7u %-15s exited holding "
				"%u buffers, %llu bytes (%s): released",
				when, (wall_ns / 1000000ULL) % 1000,
				event_kind_name(e->kind), e->pid, comm,
				e->count, (unsigned long long)e->size, hb);
	case TTBPF_EV_EXEC:
		return snprintf(buf, len,
				"%s.%03llu %-12s pid %-7u %-15s replaced an "
				"image holding %u buffers, %llu bytes (%s): "
				"released",
				when, (wall_ns / 1000000ULL) % 1000,
				event_kind_name(e->kind), e->pid, comm,
				e->count, (unsigned long long)e->size, hb);
	default:
		if (e->flags & TTBPF_EVF_INHERITED)
			snprintf(
				inherited, sizeof(inherited),
				" (inherited from pid %u over fork: the parent "
				"holds it, not subtracted)",
				e->parent_pid);
		return snprintf(
			buf, len,
			"%s.%03llu %-12s pid %-7u %-15s %-7s %-8s %12llu "
			"bytes (%s) @%s%s%s",
			when, (wall_ns / 1000000ULL) % 1000,
			event_kind_name(e->kind), e->pid, comm, dev,
			buffer_type_name(e->type), (unsigned long long)e->size,
			hb, address_text(e->address, at, sizeof(at)),
			e->flags & TTBPF_EVF_UNMATCHED
				? " (allocated before tracing: not counted)"
				: "",
			inherited);
	}
}

/* "2026-11-29T20:47:28.123456789Z" */
const char *event_time_iso(unsigned long long wall_ns, char *buf, size_t len)
{
	time_t secs = (time_t)(wall_ns / 1000000000ULL);
	struct tm tm;
	char day[24];

	gmtime_r(&secs, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09lluZ", day, wall_ns % 1000000000ULL);
	return buf;
}

void event_json_device(struct json_writer *w, int device, unsigned int dev_kind)
{
	json_writer__key(w, "device");
	if (dev_kind == TTBPF_DEV_UNKNOWN || device < 0)
		json_writer__null(w);
	else
		json_writer__i64(w, device);
	json_writer__field_string(w, "dev_kind", dev_kind_name(dev_kind));
}

void event_json_chips(struct json_writer *w, int device, unsigned int dev_kind,
		      unsigned long long chips)
{
	if (!chips && (dev_kind != TTBPF_DEV_CHIP || device < 0 ||
		       device >= TTBPF_MAX_CHIPS))
		return;
	json_writer__key(w, "chips");
	json_writer__begin_array(w);
	for (int c = 0; c < TTBPF_MAX_CHIPS; c++)
		if (chips ? chips >> c & 1 : c == device)
			json_writer__i64(w, c);
	json_writer__end_array(w);
}

/* Where a per-buffer event's buffer lives. */
static void json_device(struct json_writer *w, const struct ttbpf_event *e)
{
	event_json_device(w, e->device, e->dev_kind);
	event_json_chips(w, e->device, e->dev_kind, e->chips);
}

static void json_buffer(struct json_writer *w, const struct ttbpf_event *e)
{
	json_device(w, e);
	json_writer__field_string(w, "type", buffer_type_name(e->type));
	json_writer__field_u64(w, "size", e->size);
	json_writer__field_hex(w, "buffer", e->buffer);
	json_writer__field_hex(w, "allocator", e->allocator);
	if (e->flags & TTBPF_EVF_IMPLAUSIBLE)
		json_writer__field_bool(w, "implausible", true);
}

static void json_released(struct json_writer *w, const struct ttbpf_event *e,
			  const struct release_rows *r)
{
	static const struct release_rows none;
	uint64_t size = 0, count = 0;

	if (!r)
		r = &none;
	for (size_t i = 0; i < r->n; i++) {
		size += r->v[i].size;
		count += r->v[i].count;
	}
	json_writer__field_u64(w, "size", size);
	json_writer__field_u64(w, "count", count);
	json_writer__field_u64(w, "buffers", e->count);
	json_writer__key(w, "released");
	json_writer__begin_array(w);
	for (size_t i = 0; i < r->n; i++) {
		json_writer__begin_object(w);
		event_json_device(w, r->v[i].device, r->v[i].dev_kind);
		json_writer__field_string(w, "type",
					  buffer_type_name(r->v[i].type));
		json_writer__field_u64(w, "size", r->v[i].size);
		json_writer__field_u64(w, "count", r->v[i].count);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
	if (r->parts == e->parts && !(e->flags & TTBPF_EVF_PARTS_LOST))
		return;
	json_writer__field_bool(w, "released_complete", false);
	json_writer__field_string(
		w, "note",
		e->flags & TTBPF_EVF_PARTS_LOST
			? "released rows incomplete: the release_scratch map "
			  "was full"
			: "released rows incomplete: some were dropped "
			  "(ring buffer full)");
}

void event_json_begin(struct json_writer *w, const char *event,
		      unsigned long long ts_ns, unsigned long long wall_ns)
{
	char when[48];

	json_writer__begin_object(w);
	json_writer__field_string(w, "event", event);
	json_writer__field_u64(w, "ts_ns", ts_ns);
	json_writer__field_string(w, "time",
				  event_time_iso(wall_ns, when, sizeof(when)));
}

void event_format_header_json(struct json_writer *w,
			      const struct event_header *h)
{
	event_json_begin(
		w, "header", h->ts_ns,
		(unsigned long long)((long long)h->ts_ns + h->mono_to_wall_ns));
	json_writer__field_u64(w, "schema", EVENT_SCHEMA);
	json_writer__field_string(w, "tool", h->tool);
	json_writer__field_string(w, "version", h->version);
	json_writer__field_i64(w, "mono_to_wall_ns", h->mono_to_wall_ns);
	json_writer__key(w, "libs");
	json_writer__begin_array(w);
	for (size_t i = 0; i < h->n_libs && i < TTBPF_MAX_LIBS; i++) {
		json_writer__begin_object(w);
		json_writer__field_string(w, "path", h->lib_paths[i]);
		json_writer__field_string(w, "era", h->lib_eras[i]);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
	json_writer__field_bool(w, "python_frames", h->python_frames);
	json_writer__end_object(w);
}

void event_format_lost_json(struct json_writer *w, unsigned long long ts_ns,
			    unsigned long long wall_ns,
			    unsigned long long events, unsigned long long total)
{
	event_json_begin(w, "lost", ts_ns, wall_ns);
	json_writer__field_u64(w, "events", events);
	json_writer__field_u64(w, "total", total);
	json_writer__end_object(w);
}

void event_format_json(struct json_writer *w, const struct ttbpf_event *e,
		       const struct event_json *x)
{
	event_json_begin(w, event_kind_name(e->kind), e->ts_ns, x->wall_ns);
	json_writer__field_u64(w, "pid", e->pid);
	json_writer__field_u64(w, "tid", e->tid);
	json_writer__key(w, "comm");
	json_writer__string_n(w, e->comm, TTBPF_COMM_LEN);
	switch (e->kind) {
	case TTBPF_EV_BULK_FREE:
		json_writer__field_hex(w, "allocator", e->allocator);
		/* fallthrough */
	case TTBPF_EV_EXIT:
	case TTBPF_EV_EXEC:
		json_released(w, e, x->rows);
		break;
	case TTBPF_EV_FREE:
		json_buffer(w, e);
		if (e->address)
			json_writer__field_hex(w, "address", e->address);
		if (e->flags & TTBPF_EVF_UNMATCHED)
			json_writer__field_bool(w, "unmatched", true);
		if (e->flags & TTBPF_EVF_INHERITED)
			json_writer__field_u64(w, "inherited_from",
					       e->parent_pid);
		break;
	default:
		json_buffer(w, e);
		if (x->python && e->kind == TTBPF_EV_ALLOC)
			x->python(w, e, x->python_ctx);
		break;
	}
	json_writer__end_object(w);
}
