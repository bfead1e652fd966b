// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
//
// The workloads. Every allocation goes through ttsim::create_buffer, i.e.
// the era's real path down to BankManager; out-of-memory arrives as the
// std::runtime_error the allocator throws and is caught here.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <sys/wait.h>
#include <unistd.h>

#include "run.hpp"

static int64_t now_ns()
{
	return std::chrono::duration_cast<std::chrono::nanoseconds>(
		       std::chrono::steady_clock::now().time_since_epoch())
		.count();
}

pacer::pacer(const env *o) : opt(o), start_ns(now_ns())
{
}

bool pacer::next(uint64_t done, uint64_t count)
{
	if (stop_requested.load() || done >= count)
		return false;
	int64_t elapsed = now_ns() - start_ns;
	if (opt->duration_ms && elapsed >= (int64_t)opt->duration_ms * 1000000)
		return false;
	if (opt->rate) {
		int64_t due = (int64_t)(done * 1000000000.0 / opt->rate);
		if (due > elapsed)
			std::this_thread::sleep_for(
				std::chrono::nanoseconds(due - elapsed));
	}
	return true;
}

static uint64_t pick(std::mt19937_64 &rng, uint64_t lo, uint64_t hi)
{
	return lo + rng() % (hi - lo + 1);
}

void random_shape(std::mt19937_64 &rng, int type, uint64_t *size,
		  uint64_t *page_size)
{
	/* Some page sizes are not multiples of the alignment on purpose:
	 * aligned_size then differs from size. */
	static const uint64_t dram_pages[] = { 1000, 2048, 4096 };
	static const uint64_t l1_pages[] = { 1024, 2000, 4096 };
	static const uint64_t small_pages[] = { 32, 64, 96, 120 };
	static const uint64_t trace_pages[] = { 2048, 4096 };
	uint64_t page, pages;

	switch (type) {
	case ttsim::MEM_DRAM:
		page = dram_pages[rng() % 3];
		pages = pick(rng, 1, 512);
		break;
	case ttsim::MEM_L1:
		page = l1_pages[rng() % 3];
		pages = pick(rng, 1, 256);
		break;
	case ttsim::MEM_L1_SMALL:
		page = small_pages[rng() % 4];
		pages = pick(rng, 1, 128);
		break;
	default:
		page = trace_pages[rng() % 2];
		pages = pick(rng, 1, 256);
		break;
	}
	*page_size = page;
	*size = page * pages;
}

static int random_type(std::mt19937_64 &rng)
{
	uint64_t r = rng() % 100;
	if (r < 40)
		return ttsim::MEM_DRAM;
	if (r < 70)
		return ttsim::MEM_L1;
	if (r < 85)
		return ttsim::MEM_L1_SMALL;
	return ttsim::MEM_TRACE;
}

/* nullptr when the allocator threw out-of-memory. */
static ttsim::buffer *try_alloc(run_ctx *ctx, ttsim::device *dev, int sub,
				int type, uint64_t size, uint64_t page)
{
	try {
		return ttsim::create_buffer(dev, sub, type, size, page);
	} catch (const std::runtime_error &e) {
		ctx->failures_caught++;
		return nullptr;
	}
}

static void alloc_random(run_ctx *ctx, std::vector<held> *live,
			 ttsim::device *dev)
{
	uint64_t size, page;
	int type = random_type(ctx->rng);
	random_shape(ctx->rng, type, &size, &page);
	/* A quarter of the buffers go to the second sub-device. */
	int sub = ctx->rng() % 4 == 0 ? 1 : 0;
	ttsim::buffer *b = try_alloc(ctx, dev, sub, type, size, page);
	if (b)
		live->push_back(held{ b, dev });
}

static void free_at(std::vector<held> *live, size_t i)
{
	ttsim::destroy_buffer((*live)[i].buf);
	(*live)[i] = live->back();
	live->pop_back();
}

/* Frees about half of what is held, so the run ends with some. */
static void free_half(run_ctx *ctx, std::vector<held> *live)
{
	for (size_t i = live->size(); i-- > 0;)
		if (ctx->rng() % 2)
			free_at(live, i);
}

static void open_chips(run_ctx *ctx)
{
	for (uint64_t i = 0; i < ctx->opt->devices; i++)
		ctx->chips.push_back(ttsim::open_device(
			(int)(ctx->opt->first_device + i), nullptr));
}

static uint64_t count_or(const run_ctx *ctx, uint64_t def)
{
	if (ctx->opt->count_set)
		return ctx->opt->count;
	/* A timed run goes on until the time is up. */
	return ctx->opt->duration_ms ? UINT64_MAX : def;
}

static int run_steady(run_ctx *ctx)
{
	uint64_t count = count_or(ctx, 400);
	pacer p(ctx->opt);
	open_chips(ctx);
	for (uint64_t i = 0; p.next(i, count); i++) {
		ttsim::device *dev = ctx->chips[ctx->rng() % ctx->chips.size()];
		size_t n = ctx->live.size();
		if (n < 16 || (n < 200 && ctx->rng() % 100 < 55))
			alloc_random(ctx, &ctx->live, dev);
		else
			free_at(&ctx->live, ctx->rng() % n);
	}
	free_half(ctx, &ctx->live);
	return 0;
}

static int run_leak(run_ctx *ctx)
{
	open_chips(ctx);
	for (ttsim::device *dev : ctx->chips) {
		temporary_buffers(ctx, dev);
		leak_kv_cache_dram(ctx, dev);
		temporary_buffers(ctx, dev);
		leak_activations_l1(ctx, dev);
		leak_l1_small_scratch(ctx, dev);
		leak_trace_region(ctx, dev);
		temporary_buffers(ctx, dev);
	}
	return 0;
}

/* An error raised and caught right after a successful allocation, deeper
 * on the stack than the allocator ran (as an op's argument check does in a
 * real program): not an allocation failure. */
__attribute__((noinline)) static int deep_throw(int depth)
{
	if (depth)
		return deep_throw(depth - 1) + 1;
	throw std::invalid_argument("not an allocation failure");
}

static void unrelated_error()
{
	try {
		deep_throw(16);
	} catch (const std::invalid_argument &) {
	}
}

/* Fills L1 until the allocator throws, several times, with an unrelated
 * error caught after each success; DRAM and TRACE requests larger than the
 * device fail at once. */
static int run_oom(run_ctx *ctx)
{
	uint64_t rounds = count_or(ctx, 3);
	open_chips(ctx);
	for (uint64_t r = 0; r < rounds && !stop_requested.load(); r++) {
		ttsim::device *dev = ctx->chips[r % ctx->chips.size()];
		std::vector<held> round;
		for (int i = 0; i < 100000; i++) {
			uint64_t pages = 64 * pick(ctx->rng, 1, 8);
			ttsim::buffer *b = try_alloc(ctx, dev, 0, ttsim::MEM_L1,
						     pages * 4096, 4096);
			if (!b)
				break;
			round.push_back(held{ b, dev });
			unrelated_error();
		}
		ttsim::buffer *b = try_alloc(ctx, dev, 0, ttsim::MEM_DRAM,
					     16ull << 30, 4096);
		if (b)
			round.push_back(held{ b, dev });
		b = try_alloc(ctx, dev, 0, ttsim::MEM_TRACE, 1ull << 30, 4096);
		if (b)
			round.push_back(held{ b, dev });
		/* Keep going after the failures, with half freed. */
		free_half(ctx, &round);
		alloc_random(ctx, &round, dev);
		ctx->live.insert(ctx->live.end(), round.begin(), round.end());
	}
	printf("oom: %llu allocation failures caught\n",
	       (unsigned long long)ctx->failures_caught);
	return 0;
}

/* Device close with live buffers: one bulk release, no per-buffer frees. */
static int run_close(run_ctx *ctx)
{
	uint64_t count = count_or(ctx, 60);
	pacer p(ctx->opt);
	open_chips(ctx);
	for (uint64_t i = 0; p.next(i, count); i++)
		alloc_random(ctx, &ctx->live,
			     ctx->chips[i % ctx->chips.size()]);
	for (size_t i = ctx->live.size(); i-- > 0;)
		if (ctx->rng() % 10 == 0)
			free_at(&ctx->live, i);
	ttsim::device *closed = ctx->chips[0];
	ttsim::close_device(closed);
	/* Its buffers are gone with the device: dropping our references
	 * calls nothing in the allocator. */
	for (size_t i = ctx->live.size(); i-- > 0;)
		if (ctx->live[i].dev == closed)
			free_at(&ctx->live, i);
	return 0;
}

static int run_mesh(run_ctx *ctx)
{
	uint64_t count = count_or(ctx, 100);
	pacer p(ctx->opt);
	open_chips(ctx);
	ttsim::device *mesh = ttsim::open_mesh(ctx->chips, nullptr);
	ctx->meshes.push_back(mesh);
	for (uint64_t i = 0; p.next(i, count); i++) {
		size_t n = ctx->live.size();
		if (n >= 8 && ctx->rng() % 100 >= 60) {
			free_at(&ctx->live, ctx->rng() % n);
			continue;
		}
		uint64_t size, page;
		int type = random_type(ctx->rng);
		random_shape(ctx->rng, type, &size, &page);
		ttsim::buffer *b = try_alloc(ctx, mesh, 0, type, size, page);
		if (!b)
			continue;
		ctx->live.push_back(held{ b, mesh });
		/* The per-chip shards of a MeshBuffer sit at the mesh
		 * address: created without the allocator. */
		uint64_t addr = ttsim::buffer_address(b);
		for (ttsim::device *chip : ctx->chips)
			ttsim::destroy_buffer(ttsim::create_buffer_at(
				chip, addr, type, size, page));
	}
	/* A few plain chip buffers next to the mesh ones. */
	for (int i = 0; i < 3; i++)
		alloc_random(ctx, &ctx->live, ctx->chips[0]);
	free_half(ctx, &ctx->live);
	return 0;
}

/*
 * Meshes over changing chips, each closed and destroyed before the next
 * opens, so that the next one's MeshDevice and allocators take the memory
 * of the one before (reported on stderr): what a tracer keeps about an
 * allocator's device must not outlive it. The last mesh holds its buffers.
 */
static int run_remesh(run_ctx *ctx)
{
	static const uint64_t masks[] = { 3, 2, 3, 1 };
	uint64_t count = count_or(ctx, 20);
	uintptr_t prev_dev = 0, prev_alloc[2] = {};
	int reused = 0;

	open_chips(ctx);
	if (ctx->chips.size() < 2)
		return -1;
	for (size_t r = 0; r < sizeof(masks) / sizeof(masks[0]); r++) {
		std::vector<ttsim::device *> chips;
		std::vector<held> mine;
		for (size_t c = 0; c < 2; c++)
			if (masks[r] >> c & 1)
				chips.push_back(ctx->chips[c]);
		ttsim::device *mesh = ttsim::open_mesh(chips, nullptr);
		uintptr_t alloc[2] = { ttsim::device_allocator(mesh, 0),
				       ttsim::device_allocator(mesh, 1) };
		if (ttsim::device_object(mesh) == prev_dev &&
		    (alloc[0] == prev_alloc[0] || alloc[0] == prev_alloc[1] ||
		     alloc[1] == prev_alloc[0] || alloc[1] == prev_alloc[1]))
			reused++;
		/* Both sub-devices: whichever allocator memory is taken
		 * again, the one before allocated through it. */
		for (uint64_t i = 0; i < count; i++) {
			uint64_t size, page;
			int type = random_type(ctx->rng);
			random_shape(ctx->rng, type, &size, &page);
			ttsim::buffer *b = try_alloc(ctx, mesh, (int)(i % 2),
						     type, size, page);
			if (b)
				mine.push_back(held{ b, mesh });
		}
		if (r + 1 == sizeof(masks) / sizeof(masks[0])) {
			ctx->meshes.push_back(mesh);
			ctx->live.insert(ctx->live.end(), mine.begin(),
					 mine.end());
			break;
		}
		ttsim::close_device(mesh);
		for (held &h : mine)
			ttsim::destroy_buffer(h.buf);
		prev_dev = ttsim::device_object(mesh);
		prev_alloc[0] = alloc[0];
		prev_alloc[1] = alloc[1];
		ttsim::destroy_device(mesh);
	}
	fprintf(stderr,
		"ttsim-run: remesh: %d of 3 meshes in the memory of the one "
		"before\n",
		reused);
	return 0;
}

/*
 * The same chip opened, filled, closed and destroyed again and again, its
 * buffers dropped after the close (which calls nothing in the allocator):
 * what a close leaves of each round is the tracer's to reclaim, while new
 * Buffers take the memory of the dropped ones. The last round holds.
 */
static int run_reopen(run_ctx *ctx)
{
	uint64_t count = count_or(ctx, 100);
	/* --rounds N: a big generation, then N-1 of one buffer each: closes
	 * come faster than the big one's stale entries are reclaimed. */
	uint64_t rounds = ctx->opt->rounds ? ctx->opt->rounds : 4;

	for (uint64_t r = 0; r < rounds; r++) {
		ttsim::device *dev = ttsim::open_device(
			(int)ctx->opt->first_device, nullptr);
		std::vector<held> mine;
		uint64_t n = ctx->opt->rounds && r ? 1 : count;
		for (uint64_t i = 0; i < n; i++) {
			ttsim::buffer *b = try_alloc(
				ctx, dev, 0, ttsim::MEM_DRAM, 4096, 4096);
			if (b)
				mine.push_back(held{ b, dev });
		}
		if (r + 1 == rounds) {
			ctx->chips.push_back(dev);
			ctx->live.insert(ctx->live.end(), mine.begin(),
					 mine.end());
			break;
		}
		ttsim::close_device(dev);
		for (held &h : mine)
			ttsim::destroy_buffer(h.buf);
		ttsim::destroy_device(dev);
	}
	return 0;
}

namespace
{
class barrier
{
      public:
	explicit barrier(size_t n) : n_(n)
	{
	}
	void wait()
	{
		std::unique_lock<std::mutex> g(m_);
		size_t gen = gen_;
		if (++waiting_ == n_) {
			waiting_ = 0;
			gen_++;
			cv_.notify_all();
			return;
		}
		cv_.wait(g, [&] { return gen != gen_; });
	}

      private:
	std::mutex m_;
	std::condition_variable cv_;
	size_t n_;
	size_t waiting_ = 0;
	size_t gen_ = 0;
};
} // namespace

/* T threads in lock-step rounds: all allocate, then all free. Within a
 * phase a type's bytes only grow or only shrink, so the peak is the same
 * whatever the interleaving. Thread t uses chip t % N; threads with
 * t % 3 == 2 use sub-device 1's allocator, the others share sub-device 0's
 * with the other threads on their chip. */
static int run_threads(run_ctx *ctx)
{
	uint64_t count = count_or(ctx, 200);
	uint64_t rounds = count / 20 ? count / 20 : 1;
	size_t nthreads = ctx->opt->threads;
	barrier phase(nthreads);
	std::mutex lock;
	std::vector<std::thread> workers;

	open_chips(ctx);
	for (size_t t = 0; t < nthreads; t++) {
		workers.emplace_back([&, t] {
			run_ctx mine;
			mine.opt = ctx->opt;
			mine.rng.seed(ctx->opt->seed * 1000 + t);
			ttsim::device *dev = ctx->chips[t % ctx->chips.size()];
			int sub = t % 3 == 2 ? 1 : 0;
			std::vector<held> live;
			for (uint64_t r = 0; r < rounds; r++) {
				for (int i = 0; i < 11; i++) {
					uint64_t size, page;
					int type = random_type(mine.rng);
					random_shape(mine.rng, type, &size,
						     &page);
					ttsim::buffer *b =
						try_alloc(&mine, dev, sub, type,
							  size, page);
					if (b)
						live.push_back(held{ b, dev });
				}
				phase.wait();
				for (int i = 0; i < 9 && !live.empty(); i++)
					free_at(&live,
						mine.rng() % live.size());
				phase.wait();
			}
			std::lock_guard<std::mutex> g(lock);
			ctx->live.insert(ctx->live.end(), live.begin(),
					 live.end());
			ctx->failures_caught += mine.failures_caught;
		});
	}
	for (auto &w : workers)
		w.join();
	return 0;
}

static int run_burst(run_ctx *ctx)
{
	uint64_t count = count_or(ctx, 100000);
	pacer p(ctx->opt);
	open_chips(ctx);
	ttsim::device *dev = ctx->chips[0];
	int64_t t0 = now_ns();
	uint64_t i;
	for (i = 0; p.next(i, count); i++) {
		int type = i % 2 ? ttsim::MEM_L1 : ttsim::MEM_DRAM;
		ttsim::buffer *b =
			ttsim::create_buffer(dev, 0, type, 64 * 4096, 4096);
		ttsim::destroy_buffer(b);
	}
	double secs = (now_ns() - t0) / 1e9;
	printf("burst: %llu pairs in %.3f s: %.0f pairs/s, %.0f ns/pair\n",
	       (unsigned long long)i, secs, secs > 0 ? i / secs : 0.0,
	       i ? secs * 1e9 / i : 0.0);
	return 0;
}

static int run_hold(run_ctx *ctx)
{
	uint64_t count = count_or(ctx, 50);
	pacer p(ctx->opt);
	open_chips(ctx);
	uint64_t size = ctx->opt->buffer_size;
	for (uint64_t i = 0; p.next(i, count); i++) {
		ttsim::device *dev = ctx->chips[i % ctx->chips.size()];
		/* One page per buffer: a million fit in one device's banks. */
		if (!size) {
			alloc_random(ctx, &ctx->live, dev);
			continue;
		}
		ttsim::buffer *b =
			try_alloc(ctx, dev, 0, ttsim::MEM_DRAM, size, size);
		if (b)
			ctx->live.push_back(held{ b, dev });
	}
	/* --threads T: T-1 more threads that idle while the buffers are
	 * held, as TT-Metal's own workers do, so that a SIGKILL ends several
	 * threads of the process at once. They end with the process. */
	for (uint64_t t = 1; t < ctx->opt->threads; t++)
		std::thread([] {
			for (;;)
				pause();
		}).detach();
	return 0;
}

/* fork() with live buffers, as multiprocessing's fork start method does:
 * the child frees every other inherited buffer and closes its copies of
 * the devices (a bulk free), then exits. Nothing of that touches the
 * parent's allocator, whose books stay its own. The parent then frees the
 * same buffers itself and keeps the rest. */
static int run_fork(run_ctx *ctx)
{
	uint64_t count = count_or(ctx, 40);
	int status;

	open_chips(ctx);
	for (uint64_t i = 0; i < count; i++)
		alloc_random(ctx, &ctx->live,
			     ctx->chips[i % ctx->chips.size()]);
	fflush(stdout);
	pid_t child = fork();
	if (child < 0)
		return -1;
	if (!child) {
		uint64_t freed = 0;
		for (size_t i = 0; i < ctx->live.size(); i += 2, freed++)
			ttsim::destroy_buffer(ctx->live[i].buf);
		for (ttsim::device *c : ctx->chips)
			ttsim::close_device(c);
		printf("fork: child pid=%d freed %llu inherited buffers\n",
		       (int)getpid(), (unsigned long long)freed);
		fflush(stdout);
		_exit(0);
	}
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return -1;
	/* Descending: what free_at moves into slot i is odd and kept. */
	for (size_t i = ctx->live.size(); i-- > 0;)
		if (i % 2 == 0)
			free_at(&ctx->live, i);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(run_ctx *ctx);
} scenarios[] = {
	{ "steady", run_steady },   { "leak", run_leak },
	{ "oom", run_oom },	    { "close", run_close },
	{ "mesh", run_mesh },	    { "remesh", run_remesh },
	{ "threads", run_threads }, { "burst", run_burst },
	{ "hold", run_hold },	    { "fork", run_fork },
	{ "reopen", run_reopen },
};

bool scenario_known(const std::string &name)
{
	for (auto &s : scenarios)
		if (name == s.name)
			return true;
	return false;
}

int scenario_run(run_ctx *ctx)
{
	for (auto &s : scenarios)
		if (ctx->opt->scenario == s.name)
			return s.fn(ctx);
	return -1;
}

void scenario_teardown(run_ctx *ctx)
{
	for (ttsim::device *m : ctx->meshes)
		ttsim::close_device(m);
	for (ttsim::device *c : ctx->chips)
		ttsim::close_device(c);
	for (held &h : ctx->live)
		ttsim::destroy_buffer(h.buf);
	ctx->live.clear();
	for (ttsim::device *m : ctx->meshes)
		ttsim::destroy_device(m);
	for (ttsim::device *c : ctx->chips)
		ttsim::destroy_device(c);
	ctx->meshes.clear();
	ctx->chips.clear();
}
