// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "event_format.h"
#include "json_writer.h"
#include "release_rows.h"

static struct ttbpf_event sample(void)
{
	struct ttbpf_event e = {
		.ts_ns = 123456789,
		.size = 1048576,
		.address = 0x40000,
		.buffer = 0x1000,
		.allocator = 0x2000,
		.pid = 4242,
		.tid = 4243,
		.device = 1,
		.stack_id = 7,
		.count = 1,
		.kind = TTBPF_EV_ALLOC,
		.type = TTBPF_L1_SMALL,
		.dev_kind = TTBPF_DEV_CHIP,
	};

	memcpy(e.comm, "ttsim-run", 10);
	return e;
}

static void test_names(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(buffer_type_name(TTBPF_DRAM), "DRAM");
	assert_string_equal(buffer_type_name(TTBPF_SYSTEM_MEMORY),
			    "SYSTEM_MEMORY");
	assert_string_equal(buffer_type_name(TTBPF_TRACE), "TRACE");
	assert_string_equal(buffer_type_name(99), "UNKNOWN");
	assert_string_equal(event_kind_name(TTBPF_EV_ALLOC_FAILED),
			    "alloc_failed");
	assert_string_equal(event_kind_name(0), "unknown");
	assert_string_equal(event_kind_name(200), "unknown");
	assert_string_equal(device_label(3, TTBPF_DEV_CHIP, buf, sizeof(buf)),
			    "dev 3");
	assert_string_equal(device_label(1, TTBPF_DEV_MESH, buf, sizeof(buf)),
			    "mesh 1");
	assert_string_equal(
		device_label(-1, TTBPF_DEV_UNKNOWN, buf, sizeof(buf)), "dev ?");
	/* A mesh recognised by its vtable whose id offset is unknown. */
	assert_string_equal(device_label(-1, TTBPF_DEV_MESH, buf, sizeof(buf)),
			    "mesh ?");
}

static void test_human_bytes(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(human_bytes(0, buf, sizeof(buf)), "0 B");
	assert_string_equal(human_bytes(1023, buf, sizeof(buf)), "1023 B");
	assert_string_equal(human_bytes(1536, buf, sizeof(buf)), "1.50 KiB");
	assert_string_equal(human_bytes(12ULL << 30, buf, sizeof(buf)),
			    "12.00 GiB");
}

/* The JSON of one event, through the writer, as a string to free. */
static char *json_of(const struct ttbpf_event *e, const struct event_json *x)
{
	static const struct event_json none = {
		.wall_ns = 1700000000123456789ULL
	};
	struct json_writer w;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	json_writer__init(&w, f);
	event_format_json(&w, e, x ? x : &none);
	fclose(f);
	return buf;
}

/*
 * The kinds table of docs/events.md: one row per kind, backquoted
 * required and optional keys. Read from the repository (make runs the
 * compiler there, so __FILE__ is relative to it), or $TTBPF_DOCS.
 */
struct doc_kind {
	char name[32];
	char keys[2][512]; /* " k1 k2 ... " required, optional */
};

static struct doc_kind doc_kinds[32];
static size_t n_doc_kinds;

static void words_of(const char *cell, char *out, size_t len)
{
	size_t o = 0;

	out[o++] = ' ';
	for (const char *p = cell; (p = strchr(p, '`'));) {
		const char *q = strchr(p + 1, '`');

		if (!q)
			break;
		if (o + (size_t)(q - p) + 1 < len) {
			memcpy(out + o, p + 1, (size_t)(q - p - 1));
			o += (size_t)(q - p - 1);
			out[o++] = ' ';
		}
		p = q + 1;
	}
	out[o] = '\0';
}

static int load_doc(void **state)
{
	const char *path = getenv("TTBPF_DOCS");
	char fallback[512], line[2048];
	bool in_table = false;
	FILE *f;

	(void)state;
	if (!path) {
		/* tests/unit/test_event_format.c -> docs/events.md */
		snprintf(fallback, sizeof(fallback), "%s", __FILE__);
		*strstr(fallback, "tests/unit/") = '\0';
		strcat(fallback, "docs/events.md");
		path = fallback;
	}
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "cannot read %s\n", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *cells[4] = { 0 }, *p = line;
		struct doc_kind *k;

		if (!strncmp(line, "## Fields by event", 18))
			in_table = true;
		else if (!strncmp(line, "## ", 3))
			in_table = false;
		if (!in_table || strncmp(line, "| `", 3) || n_doc_kinds == 32)
			continue;
		for (int i = 0; i < 4 && p; i++) {
			cells[i] = p + 1;
			p = strchr(p + 1, '|');
			if (p)
				*p = '\0';
		}
		if (!cells[3])
			continue;
		k = &doc_kinds[n_doc_kinds++];
		sscanf(cells[0], " `%31[a-z_]`", k->name);
		words_of(cells[1], k->keys[0], sizeof(k->keys[0]));
		words_of(cells[2], k->keys[1], sizeof(k->keys[1]));
	}
	fclose(f);
	return n_doc_kinds ? 0 : -1;
}

static const struct doc_kind *doc_kind(const char *name)
{
	for (size_t i = 0; i < n_doc_kinds; i++)
		if (!strcmp(doc_kinds[i].name, name))
			return &doc_kinds[i];
	fail_msg("docs/events.md has no row for \"%s\"", name);
	return NULL;
}

/* The keys of the top-level object in @json, " k1 k2 ... ". Strings are
 * skipped with their escapes; only keys at depth 1 count. Fails on JSON
 * that is not one well-nested object. */
static void top_keys(const char *json, char *out, size_t len)
{
	int depth = 0;
	size_t o = 0;

	out[o++] = ' ';
	for (const char *p = json; *p; p++) {
		if (*p == '"') {
			const char *q = p + 1;

			while (*q && *q != '"')
				q += *q == '\\' ? 2 : 1;
			assert_int_equal(*q, '"');
			if (depth == 1 && q[1] == ':' &&
			    o + (size_t)(q - p) + 1 < len) {
				memcpy(out + o, p + 1, (size_t)(q - p - 1));
				o += (size_t)(q - p - 1);
				out[o++] = ' ';
			}
			p = q;
		} else if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			depth--;
			assert_true(depth >= 0);
		}
	}
	assert_int_equal(depth, 0);
	out[o] = '\0';
}

/* @json is a @kind event as docs/events.md lists it: every required key,
 * nothing the row does not name. */
static void assert_documented(const char *kind, const char *json)
{
	const struct doc_kind *k = doc_kind(kind);
	char keys[1024], want[64];
	const char *p = keys;

	top_keys(json, keys, sizeof(keys));
	snprintf(want, sizeof(want), "\"event\":\"%s\"", kind);
	assert_non_null(strstr(json, want));
	for (const char *r = k->keys[0]; sscanf(r, " %63s", want) == 1;) {
		char pad[70];

		snprintf(pad, sizeof(pad), " %s ", want);
		if (!strstr(keys, pad))
			fail_msg("%s: required key %s missing in %s", kind,
				 want, json);
		r = strstr(r, pad) + strlen(pad) - 1;
	}
	while (sscanf(p, " %63s", want) == 1) {
		char pad[70];

		snprintf(pad, sizeof(pad), " %s ", want);
		if (!strstr(k->keys[0], pad) && !strstr(k->keys[1], pad))
			fail_msg("%s: key %s not in docs/events.md", kind,
				 want);
		p = strstr(p, pad) + strlen(pad) - 1;
	}
}

static void test_json_alloc(void **state)
{
	struct ttbpf_event e = sample();
	char *json;

	(void)state;
	json = json_of(&e, NULL);
	assert_documented("alloc", json);
	assert_string_equal(
		json,
		"{\"event\":\"alloc\",\"ts_ns\":123456789,\"time\":"
		"\"2023-11-14T22:13:20.123456789Z\",\"pid\":4242,\"tid\":4243,"
		"\"comm\":\"ttsim-run\",\"device\":1,\"dev_kind\":\"chip\","
		"\"chips\":[1],\"type\":\"L1_SMALL\",\"size\":1048576,"
		"\"buffer\":\"0x1000\",\"allocator\":\"0x2000\"}");
	free(json);
}

/* A mesh buffer names every chip it occupies, in JSON and in text; a
 * device that is not known is null, with no chips. */
static void test_mesh_chips(void **state)
{
	struct ttbpf_event e = sample();
	char line[512], *json;

	(void)state;
	e.device = 0;
	e.chips = 0x23; /* chips 0, 1 and 5 */
	json = json_of(&e, NULL);
	assert_documented("alloc", json);
	assert_non_null(strstr(json, "\"device\":0,\"dev_kind\":\"chip\","
				     "\"chips\":[0,1,5],"));
	free(json);
	event_format_text(&e, 0, line, sizeof(line));
	assert_non_null(strstr(line, " dev 0,1,5 "));
	e.chips = 0;
	e.dev_kind = TTBPF_DEV_MESH;
	e.device = -1;
	json = json_of(&e, NULL);
	assert_documented("alloc", json);
	assert_non_null(strstr(json, "\"device\":null,\"dev_kind\":\"mesh\","
				     "\"type\""));
	free(json);
	e.dev_kind = TTBPF_DEV_UNKNOWN;
	json = json_of(&e, NULL);
	assert_non_null(strstr(json, "\"device\":null,\"dev_kind\":"
				     "\"unknown\",\"type\""));
	free(json);
}

static void test_json_escapes_comm(void **state)
{
	struct ttbpf_event e = sample();
	char *json;

	(void)state;
	memcpy(e.comm, "a\"b\\c\x01\x7f\xc3\xa9\xff", 11);
	json = json_of(&e, NULL);
	/* Valid UTF-8 (U+00E9) passes; the stray 0xff is \u00ff. */
	assert_non_null(strstr(json, "\"comm\":\"a\\\"b\\\\c\\u0001\\u007f"
				     "\xc3\xa9\\u00ff\""));
	free(json);
}

static void test_json_free(void **state)
{
	struct ttbpf_event e = sample();
	char *json;

	(void)state;
	e.kind = TTBPF_EV_FREE;
	json = json_of(&e, NULL);
	assert_documented("free", json);
	assert_non_null(strstr(json, "\"allocator\":\"0x2000\",\"address\":"
				     "\"0x40000\"}"));
	assert_null(strstr(json, "unmatched"));
	free(json);

	/* Allocated before tracing: the allocator is still known. */
	e.flags = TTBPF_EVF_UNMATCHED;
	e.address = 0;
	json = json_of(&e, NULL);
	assert_documented("free", json);
	assert_non_null(strstr(json, "\"allocator\":\"0x2000\",\"unmatched\":"
				     "true}"));
	free(json);
}

static void test_json_alloc_failed(void **state)
{
	struct ttbpf_event e = sample();
	char *json;

	(void)state;
	e.kind = TTBPF_EV_ALLOC_FAILED;
	e.flags = TTBPF_EVF_IMPLAUSIBLE;
	json = json_of(&e, NULL);
	assert_documented("alloc_failed", json);
	assert_non_null(strstr(json, "\"implausible\":true}"));
	assert_null(strstr(json, "address"));
	free(json);
}

/* Parts of a release whose event was lost are not the next one's: the
 * next release's parts replace them, and an event takes only its own. */
static void test_release_parts_stale(void **state)
{
	struct ttbpf_release_part lost = { .id = 7ULL << 32 | 8,
					   .dev_kind = TTBPF_DEV_CHIP,
					   .ts_ns = 5 };
	struct ttbpf_release_part next = lost;
	struct release_parts parts = { 0 };
	struct release_rows rows;

	(void)state;
	lost.bytes[TTBPF_DRAM] = 100;
	lost.buffers[TTBPF_DRAM] = 1;
	next.ts_ns = 9;
	next.bytes[TTBPF_L1] = 30;
	next.buffers[TTBPF_L1] = 3;
	assert_int_equal(release_parts__add(&parts, &lost), 0);
	assert_int_equal(release_parts__add(&parts, &next), 0);
	release_parts__take(&parts, next.id, 9, &rows);
	assert_int_equal(rows.n, 1);
	assert_int_equal(rows.v[0].type, TTBPF_L1);
	assert_int_equal(rows.v[0].size, 30);
	assert_int_equal(rows.parts, 1);
	release_rows__free(&rows);

	/* Only a lost release's parts wait: an event of another stamp
	 * takes nothing, and they are gone. */
	assert_int_equal(release_parts__add(&parts, &lost), 0);
	release_parts__take(&parts, lost.id, 9, &rows);
	assert_int_equal(rows.n, 0);
	assert_int_equal(parts.n, 0);
	release_parts__free(&parts);
}

/* A bulk free's rows: per device and type, a mesh part on each chip,
 * summed into size and count; buffers counts allocations. */
static void test_json_bulk_free(void **state)
{
	struct ttbpf_release_part p1 = { .id = 4242ULL << 32 | 4243,
					 .device = 1,
					 .dev_kind = TTBPF_DEV_CHIP };
	struct ttbpf_release_part p2 = { .id = 4242ULL << 32 | 4243,
					 .device = 0,
					 .dev_kind = TTBPF_DEV_CHIP,
					 .chips = 0x3 };
	struct ttbpf_event e = sample();
	struct release_parts parts = { 0 };
	struct release_rows rows;
	struct event_json x = { .wall_ns = 1 };
	char *json;

	(void)state;
	p1.bytes[TTBPF_DRAM] = 100;
	p1.buffers[TTBPF_DRAM] = 2;
	p1.bytes[TTBPF_L1] = 7;
	p1.buffers[TTBPF_L1] = 1;
	p2.bytes[TTBPF_DRAM] = 50;
	p2.buffers[TTBPF_DRAM] = 1;
	assert_int_equal(release_parts__add(&parts, &p1), 0);
	assert_int_equal(release_parts__add(&parts, &p2), 0);
	release_parts__take(&parts, p1.id, 0, &rows);
	assert_int_equal(parts.n, 0);
	e.kind = TTBPF_EV_BULK_FREE;
	e.count = 4;
	e.size = 157;
	e.parts = 2;
	x.rows = &rows;
	json = json_of(&e, &x);
	assert_documented("bulk_free", json);
	assert_non_null(strstr(
		json,
		"\"allocator\":\"0x2000\",\"size\":207,\"count\":5,\"buffers\":"
		"4,"
		"\"released\":[{\"device\":0,\"dev_kind\":\"chip\",\"type\":"
		"\"DRAM\",\"size\":50,\"count\":1},{\"device\":1,\"dev_kind\":"
		"\"chip\",\"type\":\"DRAM\",\"size\":150,\"count\":3},{"
		"\"device\":1,\"dev_kind\":\"chip\",\"type\":\"L1\",\"size\":7,"
		"\"count\":1}]}"));
	free(json);

	/* One part did not arrive: said, not hidden. */
	e.parts = 3;
	json = json_of(&e, &x);
	assert_documented("bulk_free", json);
	assert_non_null(strstr(json, "\"released_complete\":false,\"note\":"));
	free(json);
	release_rows__free(&rows);
	release_parts__free(&parts);
}

static void test_json_exit_exec(void **state)
{
	struct ttbpf_event e = sample();
	char *json;

	(void)state;
	e.kind = TTBPF_EV_EXIT;
	json = json_of(&e, NULL);
	assert_documented("exit", json);
	assert_non_null(strstr(json, "\"size\":0,\"count\":0,\"buffers\":1,"
				     "\"released\":[]}"));
	free(json);
	e.kind = TTBPF_EV_EXEC;
	json = json_of(&e, NULL);
	assert_documented("exec", json);
	assert_null(strstr(json, "allocator"));
	free(json);
}

static void test_json_header_lost(void **state)
{
	struct event_header h = { .ts_ns = 5,
				  .mono_to_wall_ns = 1000000000,
				  .tool = "ttbpf-trace",
				  .version = "0.1.0",
				  .lib_paths = { "/x/libtt_metal.so" },
				  .lib_eras = { "E4" },
				  .n_libs = 1 };
	struct json_writer w;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	json_writer__init(&w, f);
	event_format_header_json(&w, &h);
	fclose(f);
	assert_documented("header", buf);
	assert_non_null(strstr(buf,
			       "\"time\":\"1970-01-01T00:00:01.000000005Z\","
			       "\"schema\":2,"));
	free(buf);
	f = open_memstream(&buf, &len);
	json_writer__init(&w, f);
	event_format_lost_json(&w, 1, 2, 3, 4);
	fclose(f);
	assert_documented("lost", buf);
	free(buf);
}

static void test_text_event(void **state)
{
	struct ttbpf_event e = sample();
	char line[512];

	(void)state;
	e.flags = TTBPF_EVF_UNMATCHED;
	e.kind = TTBPF_EV_FREE;
	event_format_text(&e, 1700000000123456789ULL, line, sizeof(line));
	assert_non_null(strstr(line, ".123 free"));
	assert_non_null(strstr(line, "pid 4242"));
	assert_non_null(strstr(line, "dev 1"));
	assert_non_null(strstr(line, "L1_SMALL"));
	assert_non_null(strstr(line, "1048576 bytes (1.00 MiB) @0x40000"));
	assert_non_null(strstr(line, "allocated before tracing"));

	e.kind = TTBPF_EV_EXIT;
	e.count = 12;
	e.size = 4096;
	event_format_text(&e, 0, line, sizeof(line));
	assert_non_null(strstr(line, "exited holding 12 buffers, 4096 bytes"));

	e.kind = TTBPF_EV_EXEC;
	event_format_text(&e, 0, line, sizeof(line));
	assert_non_null(strstr(line, " exec "));
	assert_non_null(strstr(line, "replaced an image holding 12 buffers, "
				     "4096 bytes (4.00 KiB): released"));
}

/* A forked child's free of its parent's buffer names the parent, in text
 * and JSON; other events carry no such field. */
static void test_inherited_free(void **state)
{
	struct ttbpf_event e = sample();
	char line[512], *json;

	(void)state;
	e.kind = TTBPF_EV_FREE;
	e.count = 0;
	e.flags = TTBPF_EVF_INHERITED;
	e.parent_pid = 4000;
	event_format_text(&e, 0, line, sizeof(line));
	assert_non_null(strstr(line, "(inherited from pid 4000 over fork: the "
				     "parent holds it, not subtracted)"));
	assert_null(strstr(line, "before tracing"));
	json = json_of(&e, NULL);
	assert_documented("free", json);
	assert_non_null(strstr(json, ",\"inherited_from\":4000}"));
	free(json);

	e.flags = 0;
	json = json_of(&e, NULL);
	assert_null(strstr(json, "inherited_from"));
	free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_human_bytes),
		cmocka_unit_test(test_json_alloc),
		cmocka_unit_test(test_mesh_chips),
		cmocka_unit_test(test_json_escapes_comm),
		cmocka_unit_test(test_json_free),
		cmocka_unit_test(test_json_alloc_failed),
		cmocka_unit_test(test_json_bulk_free),
		cmocka_unit_test(test_release_parts_stale),
		cmocka_unit_test(test_json_exit_exec),
		cmocka_unit_test(test_json_header_lost),
		cmocka_unit_test(test_text_event),
		cmocka_unit_test(test_inherited_free),
	};

	return cmocka_run_group_tests(tests, load_doc, NULL);
}
