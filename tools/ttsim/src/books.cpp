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

void release(state &s, const record &r)
{
	usage &u = row(s, r.owner).u[r.live.type];
	u.bytes -= r.live.size;
	u.aligned_bytes -= r.live.aligned_size;
	u.buffers--;
	u.frees++;
}

} // namespace

void add_device(int id, bool mesh)
{
	state &s = books();
	std::lock_guard<std::mutex> g(s.lock);
	row(s, key{ mesh, id });
}

void on_alloc(const void *allocator, int id, bool mesh, const void *buffer,
	      uint64_t address, uint64_t size, uint64_t aligned_size, int type)
{
	state &s = books();
	std::lock_guard<std::mutex> g(s.lock);
	key k{ mesh, id };
	usage &u = row(s, k).u[type];
	u.bytes += size;
	u.aligned_bytes += aligned_size;
	u.buffers++;
	u.allocs++;
	u.peak_bytes = std::max(u.peak_bytes, u.bytes);
	record r;
	r.allocator = allocator;
	r.owner = k;
	r.live = live_buffer{ (uint64_t)(uintptr_t)buffer,
			      address,
			      size,
			      aligned_size,
			      type,
			      id,
			      mesh };
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

void on_failure(int id, bool mesh, int type)
{
	state &s = books();
	std::lock_guard<std::mutex> g(s.lock);
	row(s, key{ mesh, id }).u[type].failures++;
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
