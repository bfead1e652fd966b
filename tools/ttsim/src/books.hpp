// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
//
// The stand-in's own ground truth, written by the allocator where the real
// one updates its state. Hidden: not part of the library's ABI.
#ifndef TTSIM_BOOKS_HPP
#define TTSIM_BOOKS_HPP

#include <cstdint>
#include <vector>

#include "ttsim.h"

#define TTSIM_HIDDEN __attribute__((visibility("hidden")))

namespace ttsim::ledger
{

// @chips: a mesh's chips (bit = Device id): then its books are theirs, a
// buffer counted once on each, as it occupies each.
TTSIM_HIDDEN void add_device(int id, bool mesh, uint64_t chips);
TTSIM_HIDDEN void on_alloc(const void *allocator, int id, bool mesh,
			   uint64_t chips, const void *buffer, uint64_t address,
			   uint64_t size, uint64_t aligned_size, int type);
TTSIM_HIDDEN void on_free(const void *buffer);
TTSIM_HIDDEN void on_bulk_free(const void *allocator);
TTSIM_HIDDEN void on_failure(int id, bool mesh, uint64_t chips, int type);
TTSIM_HIDDEN void snapshot(std::vector<device_books> *devices,
			   std::vector<live_buffer> *buffers);

} // namespace ttsim::ledger

#endif
