// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <time.h>

#include "event_format.h"
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
			"bytes (%s) @%s%s%s%s",
			when, (wall_ns / 1000000ULL) % 1000,
			event_kind_name(e->kind), e->pid, comm, dev,
			buffer_type_name(e->type), (unsigned long long)e->size,
			hb, address_text(e->address, at, sizeof(at)),
			e->flags & TTBPF_EVF_UNMATCHED
				? " (allocated before tracing: not counted)"
				: "",
			e->flags & TTBPF_EVF_LATE ? " (seen late)" : "",
			inherited);
	}
}

int json_escape(const char *s, size_t maxlen, char *buf, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < maxlen && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		int n;

		if (c == '"' || c == '\\')
			n = snprintf(buf + o, len - o, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			n = snprintf(buf + o, len - o, "\\u%04x", c);
		else
			n = snprintf(buf + o, len - o, "%c", c);
		if (n < 0 || (size_t)n >= len - o)
			break;
		o += (size_t)n;
	}
	buf[o < len ? o : len - 1] = '\0';
	return (int)o;
}

int event_format_json(const struct ttbpf_event *e, char *buf, size_t len)
{
	char comm[TTBPF_COMM_LEN * 6 + 1], chips[200], at[24] = "null",
						       inherited[40] = "";

	json_escape(e->comm, TTBPF_COMM_LEN, comm, sizeof(comm));
	if (e->chips)
		chip_list(e->chips, chips, sizeof(chips));
	else if (e->dev_kind == TTBPF_DEV_CHIP && e->device >= 0)
		snprintf(chips, sizeof(chips), "%d", e->device);
	else
		chips[0] = '\0';
	if (e->address)
		snprintf(at, sizeof(at), "%llu",
			 (unsigned long long)e->address);
	if (e->flags & TTBPF_EVF_INHERITED)
		snprintf(inherited, sizeof(inherited), ",\"inherited_from\":%u",
			 e->parent_pid);
	return snprintf(
		buf, len,
		"{\"event\":\"%s\",\"pid\":%u,\"tid\":%u,\"comm\":\"%s\","
		"\"device\":%d,\"kind\":\"%s\",\"chips\":[%s],"
		"\"type\":\"%s\",\"size\":%llu,"
		"\"address\":%s,\"buffer\":%llu,\"allocator\":%llu,"
		"\"count\":%u,\"unmatched\":%s,\"late\":%s%s,\"ts_ns\":%llu}",
		event_kind_name(e->kind), e->pid, e->tid, comm, e->device,
		dev_kind_name(e->dev_kind), chips, buffer_type_name(e->type),
		(unsigned long long)e->size, at, (unsigned long long)e->buffer,
		(unsigned long long)e->allocator, e->count,
		e->flags & TTBPF_EVF_UNMATCHED ? "true" : "false",
		e->flags & TTBPF_EVF_LATE ? "true" : "false", inherited,
		(unsigned long long)e->ts_ns);
}
