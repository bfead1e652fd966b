// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
//
// Distinct, non-static, never inlined allocation sites: a tracer walking
// frame pointers from allocate_buffer must name them in its leak report.
#include "run.hpp"

#define SITE extern "C" __attribute__((noinline))

static void keep(run_ctx *ctx, ttsim::device *dev, int type, uint64_t size,
		 uint64_t page)
{
	ctx->live.push_back(
		held{ ttsim::create_buffer(dev, 0, type, size, page), dev });
}

SITE void leak_kv_cache_dram(run_ctx *ctx, ttsim::device *dev)
{
	for (int i = 0; i < 4; i++)
		ctx->live.push_back(held{
			ttsim::create_buffer(dev, 0, ttsim::MEM_DRAM,
					     (uint64_t)(1 + i) << 21, 2048),
			dev });
}

SITE void leak_activations_l1(run_ctx *ctx, ttsim::device *dev)
{
	for (int i = 0; i < 3; i++)
		ctx->live.push_back(held{
			ttsim::create_buffer(dev, 0, ttsim::MEM_L1,
					     (uint64_t)(64 + 32 * i) * 1024,
					     1024),
			dev });
}

SITE void leak_l1_small_scratch(run_ctx *ctx, ttsim::device *dev)
{
	for (int i = 0; i < 2; i++)
		ctx->live.push_back(
			held{ ttsim::create_buffer(dev, 0, ttsim::MEM_L1_SMALL,
						   64 * 96, 96),
			      dev });
}

SITE void leak_trace_region(run_ctx *ctx, ttsim::device *dev)
{
	ctx->live.push_back(held{
		ttsim::create_buffer(dev, 0, ttsim::MEM_TRACE, 1 << 20, 4096),
		dev });
}

/* Allocated and freed again: must not show up as leaks. */
SITE void temporary_buffers(run_ctx *ctx, ttsim::device *dev)
{
	size_t first = ctx->live.size();
	for (int t : { ttsim::MEM_DRAM, ttsim::MEM_L1, ttsim::MEM_L1_SMALL,
		       ttsim::MEM_TRACE }) {
		uint64_t size, page;
		random_shape(ctx->rng, t, &size, &page);
		keep(ctx, dev, t, size, page);
	}
	while (ctx->live.size() > first) {
		ttsim::destroy_buffer(ctx->live.back().buf);
		ctx->live.pop_back();
	}
}
