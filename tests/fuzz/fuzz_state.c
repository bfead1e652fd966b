// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Map values as another process wrote them into bpffs: state.c has no
 * pure decoder (values are copied raw by bpf syscalls), so this fuzzes
 * what is done with them afterwards: filter, sort, lookup, totals, and
 * the formatting of counters and comms for the terminal and JSON.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct hdr {
	uint8_t n_devs, n_procs, n_bufs, sort;
	int32_t device;
	int32_t kind;
	uint32_t pid;
	uint64_t now_ns;
};

static void take(const uint8_t **p, size_t *left, void *dst, size_t n)
{
	size_t k = *left < n ? *left : n;

	memset(dst, 0, n);
	memcpy(dst, *p, k);
	*p += k;
	*left -= k;
}

static void show_usage(const struct state *s, const struct ttbpf_usage *u,
		       struct json_writer *w)
{
	char buf[64], comm[TEXT_ESCAPED_LEN(TTBPF_COMM_LEN)];

	text_escape(u->comm, sizeof(u->comm), comm, sizeof(comm));
	json_writer__string_n(w, u->comm, sizeof(u->comm));
	format_age_ms(state__age_ms(s, u->first_ts_ns), buf, sizeof(buf));
	format_age_ms(u->last_ts_ns, buf, 3);
	for (int t = 0; t < TTBPF_NR_TYPES; t++) {
		format_bar(u->bytes[t], u->peak[t], 20, buf, sizeof(buf));
		format_bar(u->bytes[t], u->peak[t], 80, buf, 8);
		format_percent(u->bytes[t], u->peak[t]);
	}
	usage__total_bytes(u);
	usage__total_buffers(u);
	usage__total_peak(u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct json_writer w;
	struct state s;
	struct hdr h;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	take(&data, &size, &h, sizeof(h));
	memset(&s, 0, sizeof(s));
	s.n_devs = h.n_devs % 16;
	s.n_procs = h.n_procs % 16;
	s.n_bufs = h.n_bufs % 16;
	s.now_ns = h.now_ns;
	s.devs = calloc(s.n_devs + 1, sizeof(*s.devs));
	s.procs = calloc(s.n_procs + 1, sizeof(*s.procs));
	s.bufs = calloc(s.n_bufs + 1, sizeof(*s.bufs));
	if (!s.devs || !s.procs || !s.bufs)
		abort();
	for (size_t i = 0; i < s.n_devs; i++)
		take(&data, &size, &s.devs[i], sizeof(s.devs[i]));
	for (size_t i = 0; i < s.n_procs; i++)
		take(&data, &size, &s.procs[i], sizeof(s.procs[i]));
	for (size_t i = 0; i < s.n_bufs; i++)
		take(&data, &size, &s.bufs[i], sizeof(s.bufs[i]));

	json_writer__init(&w, devnull);
	json_writer__begin_array(&w);
	state__sort_procs(&s, (enum state_sort)(h.sort % 9));
	for (size_t i = 0; i < s.n_procs; i++)
		show_usage(&s, &s.procs[i].u, &w);
	for (size_t i = 0; i < s.n_devs; i++) {
		if (state__dev(&s, s.devs[i].device, s.devs[i].kind) == NULL)
			abort(); /* a row present must be found */
		show_usage(&s, &s.devs[i].u, &w);
	}
	for (size_t i = 0; i < s.n_bufs; i++)
		json_writer__u64(&w, s.bufs[i].buffer);
	json_writer__end_array(&w);
	state__filter(&s, h.device, h.kind, h.pid);
	state__sort_procs(&s, STATE_SORT_PID);
	state__free(&s);
	return 0;
}
