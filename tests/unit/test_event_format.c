// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "event_format.h"

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

static void test_json_event(void **state)
{
	struct ttbpf_event e = sample();
	char line[512];

	(void)state;
	event_format_json(&e, line, sizeof(line));
	assert_string_equal(
		line,
		"{\"event\":\"alloc\",\"pid\":4242,\"tid\":4243,\"comm\":"
		"\"ttsim-run\",\"device\":1,\"kind\":\"chip\",\"chips\":[1],"
		"\"type\":"
		"\"L1_SMALL\",\"size\":1048576,\"address\":262144,\"buffer\":"
		"4096,\"allocator\":8192,\"count\":1,"
		"\"unmatched\":false,\"late\":false,\"ts_ns\":123456789}");
}

/* A mesh buffer names every chip it occupies, in JSON and in text. */
static void test_mesh_chips(void **state)
{
	struct ttbpf_event e = sample();
	char line[512];

	(void)state;
	e.device = 0;
	e.chips = 0x23; /* chips 0, 1 and 5 */
	event_format_json(&e, line, sizeof(line));
	assert_non_null(strstr(line, "\"device\":0,\"kind\":\"chip\","
				     "\"chips\":[0,1,5],"));
	event_format_text(&e, 0, line, sizeof(line));
	assert_non_null(strstr(line, " dev 0,1,5 "));
	e.chips = 0;
	e.dev_kind = TTBPF_DEV_MESH;
	e.device = -1;
	event_format_json(&e, line, sizeof(line));
	assert_non_null(strstr(line, "\"kind\":\"mesh\",\"chips\":[],"));
}

static void test_json_escapes_comm(void **state)
{
	struct ttbpf_event e = sample();
	char line[512];

	(void)state;
	memcpy(e.comm, "a\"b\\c\x01\x7f", 8);
	event_format_json(&e, line, sizeof(line));
	assert_non_null(strstr(line, "\"comm\":\"a\\\"b\\\\c\\u0001\\u007f\""));
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
	char line[512];

	(void)state;
	e.kind = TTBPF_EV_FREE;
	e.count = 0;
	e.flags = TTBPF_EVF_INHERITED;
	e.parent_pid = 4000;
	event_format_text(&e, 0, line, sizeof(line));
	assert_non_null(strstr(line, "(inherited from pid 4000 over fork: the "
				     "parent holds it, not subtracted)"));
	assert_null(strstr(line, "before tracing"));
	event_format_json(&e, line, sizeof(line));
	assert_non_null(strstr(line,
			       "\"count\":0,\"unmatched\":false,"
			       "\"late\":false,\"inherited_from\":4000,"));

	e.flags = 0;
	event_format_json(&e, line, sizeof(line));
	assert_null(strstr(line, "inherited_from"));
	e.kind = TTBPF_EV_EXEC;
	event_format_json(&e, line, sizeof(line));
	assert_non_null(strstr(line, "{\"event\":\"exec\",\"pid\":4242,"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_human_bytes),
		cmocka_unit_test(test_json_event),
		cmocka_unit_test(test_mesh_chips),
		cmocka_unit_test(test_json_escapes_comm),
		cmocka_unit_test(test_text_event),
		cmocka_unit_test(test_inherited_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
