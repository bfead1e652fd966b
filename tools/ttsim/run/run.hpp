// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
//
// ttsim-run: workloads on the stand-in TT-Metal, for ttbpf's tests.
#ifndef TTSIM_RUN_HPP
#define TTSIM_RUN_HPP

#include <atomic>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ttsim.h"

struct env {
	std::string scenario = "steady";
	uint64_t seed = 1;
	uint64_t count = 0; // 0: the scenario's default
	bool count_set = false;
	uint64_t devices = 1;
	uint64_t first_device = 0; // id of the first chip opened
	uint64_t rounds = 0;	   // reopen: 0 = 4 rounds of --count
	uint64_t threads = 4;
	uint64_t rate = 0; // operations per second, 0 = unlimited
	uint64_t duration_ms = 0;
	uint64_t buffer_size = 0; // hold: DRAM buffers of this size, 0 = mixed
	std::string truth;
	std::string exec_after; // sh -c this instead of closing the devices
	bool wait_go = false;
	bool hold_after = false;
};

// A buffer the workload holds.
struct held {
	ttsim::buffer *buf;
	ttsim::device *dev;
};

struct run_ctx {
	const env *opt;
	std::mt19937_64 rng;
	std::vector<ttsim::device *> chips; // open_device order = id
	std::vector<ttsim::device *> meshes;
	std::vector<held> live; // still referenced at the end
	uint64_t failures_caught = 0;
};

extern std::atomic<bool> stop_requested;

int scenario_run(run_ctx *ctx);
bool scenario_known(const std::string &name);
// Closes every device (bulk free), then drops the workload's references
// (no allocator calls: the devices are closed) and frees the devices.
void scenario_teardown(run_ctx *ctx);

std::string truth_json(const std::string &scenario);
int truth_write(const std::string &path, const std::string &json);

// Paced loop helpers: honour --rate and --duration-ms.
struct pacer {
	explicit pacer(const env *opt);
	bool next(uint64_t done, uint64_t count);
	const env *opt;
	int64_t start_ns;
};

// Random buffer shapes, per memory type; size is a page multiple.
void random_shape(std::mt19937_64 &rng, int type, uint64_t *size,
		  uint64_t *page_size);

extern "C" {
// Named allocation sites of the leak scenario: the stack a tracer records
// for a leaked buffer ends in one of these.
void leak_kv_cache_dram(run_ctx *ctx, ttsim::device *dev);
void leak_activations_l1(run_ctx *ctx, ttsim::device *dev);
void leak_l1_small_scratch(run_ctx *ctx, ttsim::device *dev);
void leak_trace_region(run_ctx *ctx, ttsim::device *dev);
void temporary_buffers(run_ctx *ctx, ttsim::device *dev);
}

#endif
