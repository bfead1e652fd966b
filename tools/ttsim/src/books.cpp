// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
//
// One lock for all books: a few map operations per allocation, far below
// the cost of anything a tracer does per event.
#include <algorithm>
#include <map>
#include <mutex>
#include <unordered_map>

#include "books.hpp"

namespace ttsim::ledger
{

namespace
{

struct key {
	bool mesh;
	int id;
	bool operator<(const key &o) const
	{
		return mesh != o.mesh ? !mesh : id < o.id;
	}
};

struct record {
	const void *allocator;
	key owner;
	uint64_t chips;
	live_buffer live;
};

struct state {
	std::mutex lock;
	std::map<key, device_books> devices;
	std::unordered_map<const void *, record> live;
};

state &books()
{
	/* Leaked on purpose: books must outlive every static destructor. */
	static state *s = new state;
	return *s;
}

device_books &row(state &s, key k)
{
	auto it = s.devices.find(k);
	if (it == s.devices.end()) {
		device_books b = {};
		b.device = k.id;
		b.mesh = k.mesh;
		it = s.devices.emplace(k, b).first;
	}
	return it->second;
}

/* The rows an owner's books go to: its chips, or itself. */
std::vector<key> rows_of(int id, bool mesh, uint64_t chips)
{
	std::vector<key> v;
	for (int i = 0; i < 64; i++)
		if (chips >> i & 1)
			v.push_back(key{ false, i });
	if (v.empty())
		v.push_back(key{ mesh, id });
	return v;
}

void release(state &s, const record &r)
{
	for (key k : rows_of(r.owner.id, r.owner.mesh, r.chips)) {
		usage &u = row(s, k).u[r.live.type];
		u.bytes -= r.live.size;
		u.aligned_bytes -= r.live.aligned_size;
		u.buffers--;
		u.frees++;
	}
}

} // namespace

void add_device(int id, bool mesh, uint64_t chips)
{
	state &s = books();
	std::lock_guard<std::mutex> g(s.lock);
	for (key k : rows_of(id, mesh, chips))
		row(s, k);
}

void on_alloc(const void *allocator, int id, bool mesh, uint64_t chips,
	      const void *buffer, uint64_t address, uint64_t size,
	      uint64_t aligned_size, int type)
{
	state &s = books();
	std::lock_guard<std::mutex> g(s.lock);
	std::vector<key> rows = rows_of(id, mesh, chips);
	for (key k : rows) {
		usage &u = row(s, k).u[type];
		u.bytes += size;
		u.aligned_bytes += aligned_size;
		u.buffers++;
		u.allocs++;
		u.peak_bytes = std::max(u.peak_bytes, u.bytes);
	}
	record r;
	r.allocator = allocator;
	r.owner = key{ mesh, id };
	r.chips = chips;
	/* A mesh buffer is listed once, under its lowest chip. */
	r.live = live_buffer{ (uint64_t)(uintptr_t)buffer,
			      address,
			      size,
			      aligned_size,
			      type,
			      rows[0].id,
			      rows[0].mesh,
			      chips			 ? chips
			      : rows[0].mesh || id >= 64 ? 0
							 : 1ull << id };
	s.live[buffer] = r;
}

void on_free(const void *buffer)
{
	state &s = books();
	std::lock_guard<std::mutex> g(s.lock);
	auto it = s.live.find(buffer);
	if (it == s.live.end())
		return;
	release(s, it->second);
	s.live.erase(it);
}

void on_bulk_free(const void *allocator)
{
	state &s = books();
	std::lock_guard<std::mutex> g(s.lock);
	for (auto it = s.live.begin(); it != s.live.end();) {
		if (it->second.allocator == allocator) {
			release(s, it->second);
			it = s.live.erase(it);
		} else {
			++it;
		}
	}
}

void on_failure(int id, bool mesh, uint64_t chips, int type)
{
	state &s = books();
	std::lock_guard<std::mutex> g(s.lock);
	for (key k : rows_of(id, mesh, chips))
		row(s, k).u[type].failures++;
}

void snapshot(std::vector<device_books> *devices,
	      std::vector<live_buffer> *buffers)
{
	state &s = books();
	std::lock_guard<std::mutex> g(s.lock);
	devices->clear();
	for (auto &d : s.devices)
		devices->push_back(d.second);
	buffers->clear();
	for (auto &l : s.live)
		buffers->push_back(l.second.live);
	/* Stable output: by owner, then address. */
	std::sort(buffers->begin(), buffers->end(),
		  [](const live_buffer &a, const live_buffer &b) {
			  if (a.mesh != b.mesh)
				  return !a.mesh;
			  if (a.device != b.device)
				  return a.device < b.device;
			  if (a.type != b.type)
				  return a.type < b.type;
			  return a.address < b.address;
		  });
}

} // namespace ttsim::ledger
