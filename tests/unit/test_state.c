// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * state__read against real BPF maps filled with known rows: every number
 * read back must be the one put in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "maps_fixture.h"
#include "state.h"

struct fx {
	struct mfx mf;
	uint64_t t0;
};

static struct ttbpf_usage usage_of(uint64_t seed)
{
	struct ttbpf_usage u = {};

	for (int t = 0; t < TTBPF_NR_TYPES; t++) {
		u.bytes[t] = seed * 1000 + (uint64_t)t * 7;
		u.buffers[t] = seed + (uint64_t)t;
		u.peak[t] = u.bytes[t] * 2 + 1;
	}
	u.allocs = seed * 10;
	u.frees = seed * 3;
	u.failed = seed;
	u.first_ts_ns = 1000 + seed;
	u.last_ts_ns = 2000 + seed;
	return u;
}

static struct ttbpf_alloc alloc_of(uint64_t i, uint64_t now)
{
	struct ttbpf_alloc a = {
		.size = 4096 * (i + 1),
		.address = 0x100000 + i * 0x10000,
		.allocator = 0xa110c,
		.ts_ns = now - i * 1000000000ULL,
		.device = (__s32)(i % 2),
		.stack_id = -1,
		.tid = 77,
		.type = (__u8)(i % TTBPF_NR_TYPES),
		.dev_kind = TTBPF_DEV_CHIP,
	};

	return a;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int err;

	if (!f)
		return -1;
	err = mfx_create(&f->mf, 1 << 16, false);
	if (err) {
		fprintf(stderr, "creating BPF maps failed: %s\n",
			strerror(-err));
		free(f);
		return -1;
	}
	f->t0 = mfx_now_ns();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	mfx_destroy(&f->mf);
	free(f);
	return 0;
}

/* Three devices, four process rows, five buffers, stats and meta. */
static void fill_small(struct fx *f)
{
	struct ttbpf_meta meta = {
		.abi = TTBPF_MAP_ABI,
		.n_libs = 1,
		.start_ts_ns = f->t0 - 5000000000ULL,
		.start_realtime_ns = 1700000000000000000ULL,
		.loader_pid = 4321,
		.max_buffers = 1 << 16,
		.layout_warnings = 2,
	};
	struct ttbpf_usage u;

	strcpy(meta.lib_paths[0], "/opt/tt/libtt_metal.so");
	assert_int_equal(mfx_set_meta(&f->mf, &meta), 0);
	u = usage_of(3);
	assert_int_equal(mfx_add_dev(&f->mf, 1, TTBPF_DEV_CHIP, &u), 0);
	u = usage_of(1);
	assert_int_equal(mfx_add_dev(&f->mf, 0, TTBPF_DEV_MESH, &u), 0);
	u = usage_of(2);
	assert_int_equal(mfx_add_dev(&f->mf, 0, TTBPF_DEV_CHIP, &u), 0);

	u = usage_of(11);
	strcpy(u.comm, "python3");
	assert_int_equal(mfx_add_proc(&f->mf, 300, 0, TTBPF_DEV_CHIP, &u), 0);
	u = usage_of(12);
	strcpy(u.comm, "python3");
	assert_int_equal(mfx_add_proc(&f->mf, 300, 1, TTBPF_DEV_CHIP, &u), 0);
	u = usage_of(13);
	strcpy(u.comm, "bench");
	assert_int_equal(mfx_add_proc(&f->mf, 200, 0, TTBPF_DEV_CHIP, &u), 0);
	u = usage_of(14);
	strcpy(u.comm, "mesh-app");
	assert_int_equal(mfx_add_proc(&f->mf, 100, 0, TTBPF_DEV_MESH, &u), 0);

	for (uint64_t i = 0; i < 5; i++) {
		struct ttbpf_alloc a = alloc_of(i, f->t0);

		assert_int_equal(mfx_add_buf(&f->mf, i < 3 ? 300 : 200,
					     0x5000 + i * 0x100, &a),
				 0);
	}
	for (__u32 i = 0; i < TTBPF_NR_STATS; i++)
		assert_int_equal(mfx_set_stat(&f->mf, i, 1000 + i * 17), 0);
}

static void test_read_all(void **state)
{
	struct fx *f = *state;
	struct state s;

	fill_small(f);
	assert_int_equal(state__read(&f->mf.m, &s, STATE_BUFFERS), 0);

	assert_true(s.has_meta);
	assert_int_equal(s.meta.loader_pid, 4321);
	assert_int_equal(s.meta.layout_warnings, 2);
	assert_string_equal(s.meta.lib_paths[0], "/opt/tt/libtt_metal.so");
	assert_true(s.now_ns >= f->t0);
	assert_int_equal(state__age_ms(&s, s.meta.start_ts_ns) / 1000, 5);

	/* Devices: chips first, by id, then meshes. */
	assert_int_equal(s.n_devs, 3);
	assert_int_equal(s.devs[0].kind, TTBPF_DEV_CHIP);
	assert_int_equal(s.devs[0].device, 0);
	assert_int_equal(s.devs[1].device, 1);
	assert_int_equal(s.devs[2].kind, TTBPF_DEV_MESH);
	for (int t = 0; t < TTBPF_NR_TYPES; t++) {
		assert_int_equal(s.devs[0].u.bytes[t], 2000 + t * 7);
		assert_int_equal(s.devs[1].u.buffers[t], 3 + t);
		assert_int_equal(s.devs[2].u.peak[t], (1000 + t * 7) * 2 + 1);
	}
	assert_int_equal(s.devs[1].u.allocs, 30);
	assert_int_equal(s.devs[1].u.frees, 9);
	assert_int_equal(s.devs[1].u.failed, 3);
	assert_non_null(state__dev(&s, 0, TTBPF_DEV_MESH));
	assert_null(state__dev(&s, 1, TTBPF_DEV_MESH));

	/* Processes by pid, then kind and device. */
	assert_int_equal(s.n_procs, 4);
	assert_int_equal(s.procs[0].pid, 100);
	assert_string_equal(s.procs[0].u.comm, "mesh-app");
	assert_int_equal(s.procs[1].pid, 200);
	assert_int_equal(s.procs[2].pid, 300);
	assert_int_equal(s.procs[2].device, 0);
	assert_int_equal(s.procs[3].device, 1);
	assert_int_equal(s.procs[3].u.bytes[TTBPF_DRAM], 12000);
	assert_int_equal(usage__total_bytes(&s.procs[3].u),
			 5 * 12000 + 7 * (0 + 1 + 2 + 3 + 4));
	assert_int_equal(usage__total_buffers(&s.procs[3].u), 5 * 12 + 10);
	assert_int_equal(usage__total_peak(&s.procs[3].u),
			 2 * (5 * 12000 + 70) + 5);

	/* Buffers: exactly the five put in, whatever the map order. */
	assert_int_equal(s.n_bufs, 5);
	for (size_t i = 0; i < s.n_bufs; i++) {
		uint64_t idx = (s.bufs[i].buffer - 0x5000) / 0x100;
		struct ttbpf_alloc want = alloc_of(idx, f->t0);

		assert_true(idx < 5);
		assert_int_equal(s.bufs[i].pid, idx < 3 ? 300 : 200);
		assert_memory_equal(&s.bufs[i].a, &want, sizeof(want));
		assert_int_equal(state__age_ms(&s, want.ts_ns) / 1000, idx);
	}

	for (int i = 0; i < TTBPF_NR_STATS; i++)
		assert_int_equal(s.stats[i], 1000 + i * 17);
	state__free(&s);
	assert_null(s.bufs);
}

/*
 * Addresses the probes left 0 come from the Buffer in the process: here
 * this process, with a pimpl layout (lib 0) and an inline one (lib 1).
 * A Buffer whose address field is still 0 (the call has not returned) or
 * that cannot be read stays 0: not known.
 */
static void test_address_from_process(void **state)
{
	struct impl {
		char pad[64];
		uint64_t address;
	} done = { .address = 0xabc000 }, running = { .address = 0 };
	struct pimpl {
		char base[16];
		struct impl *impl;
	} b_done = { .impl = &done }, b_running = { .impl = &running };
	struct inline_buf {
		char pad[80];
		uint64_t address;
	} b_inline = { .address = 0x1234000 };
	struct ttbpf_lib libs[2] = {
		{ .layout = { .impl_off = 16, .address_off = 64 } },
		{ .layout = { .impl_off = -1, .address_off = 80 } },
	};
	struct {
		uint64_t buffer, want;
		__u8 lib;
	} bufs[] = {
		{ (uintptr_t)&b_done, 0xabc000, 0 },
		{ (uintptr_t)&b_running, 0, 0 },
		{ (uintptr_t)&b_inline, 0x1234000, 1 },
		{ 0x10, 0, 1 }, /* unreadable */
	};
	struct fx *f = *state;
	struct state s;
	__u32 pid = (__u32)getpid();

	(void)state;
	for (__u32 i = 0; i < 2; i++)
		assert_int_equal(
			bpf_map_update_elem(f->mf.m.libs_fd, &i, &libs[i], 0),
			0);
	for (size_t i = 0; i < 4; i++) {
		struct ttbpf_alloc a = alloc_of(i, f->t0);

		a.address = 0;
		a.lib = bufs[i].lib;
		assert_int_equal(mfx_add_buf(&f->mf, pid, bufs[i].buffer, &a),
				 0);
	}
	assert_int_equal(state__read(&f->mf.m, &s, STATE_BUFFERS), 0);
	assert_int_equal(s.n_bufs, 4);
	for (size_t i = 0; i < s.n_bufs; i++)
		for (size_t k = 0; k < 4; k++)
			if (s.bufs[i].buffer == bufs[k].buffer)
				assert_int_equal(s.bufs[i].a.address,
						 bufs[k].want);
	state__free(&s);
}

static void test_no_buffers_flag(void **state)
{
	struct fx *f = *state;
	struct state s;

	fill_small(f);
	assert_int_equal(state__read(&f->mf.m, &s, 0), 0);
	assert_int_equal(s.n_bufs, 0);
	assert_null(s.bufs);
	assert_int_equal(s.n_devs, 3);
	state__free(&s);
}

/* A mesh buffer is one map entry and one state entry per chip it holds;
 * a device filter keeps the chip's own entry. */
static void test_mesh_buffer_on_each_chip(void **state)
{
	struct fx *f = *state;
	struct ttbpf_alloc a = alloc_of(0, f->t0);
	struct state s;

	a.device = 0;
	a.chips = 0x15; /* chips 0, 2 and 4 */
	assert_int_equal(mfx_add_buf(&f->mf, 42, 0xb0f, &a), 0);
	/* Nonsense from a map, device 1 with chips 1 and 2: its entry and
	 * one more for chip 2, within the room kept for every bit. */
	a.device = 1;
	a.chips = 0x6;
	assert_int_equal(mfx_add_buf(&f->mf, 43, 0xb10, &a), 0);
	assert_int_equal(state__read(&f->mf.m, &s, STATE_BUFFERS), 0);
	assert_int_equal(s.n_bufs, 3 + 2);
	state__filter(&s, 4, TTBPF_DEV_CHIP, 42);
	assert_int_equal(s.n_bufs, 1);
	assert_int_equal(s.bufs[0].a.device, 4);
	assert_int_equal(s.bufs[0].a.chips, 0x15);
	assert_int_equal(s.bufs[0].buffer, 0xb0f);
	state__free(&s);
}

static void test_empty_maps(void **state)
{
	struct fx *f = *state;
	struct state s;

	assert_int_equal(state__read(&f->mf.m, &s, STATE_BUFFERS), 0);
	assert_false(s.has_meta); /* abi 0: never written */
	assert_int_equal(s.n_devs, 0);
	assert_int_equal(s.n_procs, 0);
	assert_int_equal(s.n_bufs, 0);
	for (int i = 0; i < TTBPF_NR_STATS; i++)
		assert_int_equal(s.stats[i], 0);
	state__free(&s);
}

static void test_filter(void **state)
{
	struct fx *f = *state;
	struct state s;

	fill_small(f);
	assert_int_equal(state__read(&f->mf.m, &s, STATE_BUFFERS), 0);
	state__filter(&s, 0, TTBPF_DEV_CHIP, 0);
	assert_int_equal(s.n_devs, 1);
	assert_int_equal(s.devs[0].device, 0);
	assert_int_equal(s.devs[0].kind, TTBPF_DEV_CHIP);
	assert_int_equal(s.n_procs, 2);
	assert_int_equal(s.procs[0].pid, 200);
	assert_int_equal(s.procs[1].pid, 300);
	/* Buffers 0, 2, 4 are on device 0. */
	assert_int_equal(s.n_bufs, 3);
	for (size_t i = 0; i < s.n_bufs; i++)
		assert_int_equal(s.bufs[i].a.device, 0);
	state__free(&s);

	/* Device 0 of any kind, one pid. */
	assert_int_equal(state__read(&f->mf.m, &s, STATE_BUFFERS), 0);
	state__filter(&s, 0, -1, 300);
	assert_int_equal(s.n_devs, 2);
	assert_int_equal(s.n_procs, 1);
	assert_int_equal(s.procs[0].pid, 300);
	assert_int_equal(s.procs[0].device, 0);
	/* pid 300 holds buffers 0..2; of those 0 and 2 are on device 0. */
	assert_int_equal(s.n_bufs, 2);
	state__free(&s);
}

static void test_sort(void **state)
{
	struct fx *f = *state;
	struct ttbpf_usage u;
	struct state s;

	fill_small(f);
	/* A process with the most L1 but the least DRAM. */
	u = usage_of(1);
	u.bytes[TTBPF_L1] = 1 << 30;
	u.first_ts_ns = 1;
	assert_int_equal(mfx_add_proc(&f->mf, 999, 0, TTBPF_DEV_CHIP, &u), 0);
	assert_int_equal(state__read(&f->mf.m, &s, 0), 0);
	assert_int_equal(s.n_procs, 5);

	state__sort_procs(&s, STATE_SORT_DRAM);
	for (size_t i = 1; i < s.n_procs; i++)
		assert_true(s.procs[i - 1].u.bytes[TTBPF_DRAM] >=
			    s.procs[i].u.bytes[TTBPF_DRAM]);
	assert_int_equal(s.procs[0].u.bytes[TTBPF_DRAM], 14000);
	assert_int_equal(s.procs[4].pid, 999);

	state__sort_procs(&s, STATE_SORT_L1);
	assert_int_equal(s.procs[0].pid, 999);

	state__sort_procs(&s, STATE_SORT_BUFFERS);
	assert_int_equal(s.procs[0].pid, 100); /* seed 14 */

	state__sort_procs(&s, STATE_SORT_AGE);
	assert_int_equal(s.procs[0].pid, 999); /* first_ts 1 */

	state__sort_procs(&s, STATE_SORT_PID);
	for (size_t i = 1; i < s.n_procs; i++)
		assert_true(s.procs[i - 1].pid <= s.procs[i].pid);
	assert_int_equal(s.procs[4].pid, 999);
	state__free(&s);
}

static int cmp_buf(const void *a, const void *b)
{
	const struct state_buf *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->buffer < y->buffer ? -1 : x->buffer > y->buffer;
}

/* Batched and key-by-key reads see the same 20000 buffers. */
static void test_batch_matches_iteration(void **state)
{
	struct fx *f = *state;
	struct state a, b;
	const size_t n = 20000;
	uint64_t sum = 0, got = 0;

	for (uint64_t i = 0; i < n; i++) {
		struct ttbpf_alloc al = alloc_of(i % 50, f->t0);

		al.size = i + 1;
		sum += i + 1;
		assert_int_equal(mfx_add_buf(&f->mf, (__u32)(1000 + i % 7),
					     0x7f0000000000ULL + i * 64, &al),
				 0);
	}
	assert_int_equal(state__read(&f->mf.m, &a, STATE_BUFFERS), 0);
	assert_int_equal(
		state__read(&f->mf.m, &b, STATE_BUFFERS | STATE_NO_BATCH), 0);
	assert_int_equal(a.n_bufs, n);
	assert_int_equal(b.n_bufs, n);
	qsort(a.bufs, a.n_bufs, sizeof(*a.bufs), cmp_buf);
	qsort(b.bufs, b.n_bufs, sizeof(*b.bufs), cmp_buf);
	assert_memory_equal(a.bufs, b.bufs, n * sizeof(*a.bufs));
	for (size_t i = 0; i < n; i++) {
		got += a.bufs[i].a.size;
		if (i)
			assert_true(cmp_buf(&a.bufs[i - 1], &a.bufs[i]) < 0);
	}
	assert_int_equal(got, sum);
	state__free(&a);
	state__free(&b);
}

static void test_read_stack_missing(void **state)
{
	struct fx *f = *state;
	uint64_t ips[TTBPF_MAX_STACK_DEPTH];

	assert_int_equal(state__read_stack(&f->mf.m, -1, ips, 32), -ENOENT);
	/* Nothing was ever recorded under id 5. */
	assert_int_equal(state__read_stack(&f->mf.m, 5, ips, 32), -ENOENT);
}

static void test_open_pinned(void **state)
{
	char msg[512];
	struct mfx pinned;
	struct ttbpf_maps m;
	struct state s;
	struct ttbpf_usage u = usage_of(5);
	char path[256];
	int fd;

	(void)state;
	assert_int_equal(ttbpf_maps__open_pinned("/sys/fs/bpf/ttbpf-test-none",
						 &m, msg, sizeof(msg)),
			 -ENOENT);
	assert_int_equal(mfx_create(&pinned, 128, true), 0);
	assert_int_equal(mfx_add_dev(&pinned, 7, TTBPF_DEV_CHIP, &u), 0);
	assert_int_equal(mfx_set_stat(&pinned, TTBPF_STAT_EVENTS_DROPPED, 41),
			 0);
	assert_int_equal(
		ttbpf_maps__open_pinned(pinned.dir, &m, msg, sizeof(msg)), 0);
	assert_true(m.pinned);
	assert_int_equal(state__read(&m, &s, STATE_BUFFERS), 0);
	assert_int_equal(s.n_devs, 1);
	assert_int_equal(s.devs[0].device, 7);
	assert_int_equal(s.devs[0].u.bytes[TTBPF_L1], 5007);
	assert_int_equal(s.stats[TTBPF_STAT_EVENTS_DROPPED], 41);
	state__free(&s);
	ttbpf_maps__close(&m);
	assert_int_equal(m.allocs_fd, -1);

	/* A map of another shape under a known name: refused. */
	snprintf(path, sizeof(path), "%s/%s", pinned.dir, TTBPF_MAP_META);
	assert_int_equal(unlink(path), 0);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "meta", 4, 64, 1, NULL);
	assert_true(fd >= 0);
	assert_int_equal(bpf_obj_pin(fd, path), 0);
	close(fd);
	assert_int_equal(
		ttbpf_maps__open_pinned(pinned.dir, &m, msg, sizeof(msg)),
		-EPROTO);
	assert_non_null(strstr(msg, "another ttbpf version"));

	/* Pins in a directory another user could have planted: refused. */
	assert_int_equal(chown(pinned.dir, 65534, 65534), 0);
	assert_int_equal(
		ttbpf_maps__open_pinned(pinned.dir, &m, msg, sizeof(msg)),
		-EPERM);
	assert_non_null(strstr(msg, "owned by uid 65534, not root"));
	assert_int_equal(m.allocs_fd, -1);
	assert_int_equal(chown(pinned.dir, 0, 0), 0);
	assert_int_equal(chmod(pinned.dir, 0777), 0);
	assert_int_equal(
		ttbpf_maps__open_pinned(pinned.dir, &m, msg, sizeof(msg)),
		-EPERM);
	assert_non_null(strstr(msg, "writable by group or others"));
	mfx_destroy(&pinned);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_address_from_process,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_buffers_flag, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mesh_buffer_on_each_chip,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_maps, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_matches_iteration,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_stack_missing, setup,
						teardown),
		cmocka_unit_test(test_open_pinned),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
