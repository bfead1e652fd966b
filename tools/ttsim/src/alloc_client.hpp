// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
//
// The "allocation server" reporter people patch into TT-Metal today: the
// allocator sends one 72-byte packed message per allocate/free over an
// AF_UNIX stream socket to a separate server process. Built into the
// library only with -DTTSIM_ALLOC_CLIENT (the e4-client variant the
// overhead bench measures); every other variant has no trace of it.
//
// TT_ALLOC_TRACKING_ENABLED=1 turns it on; TT_ALLOC_SERVER_SOCKET overrides
// /tmp/tt_allocation_server.sock. The first report connects (non-blocking
// connect); a server that is down or goes away is given up on silently.
#ifndef TTSIM_ALLOC_CLIENT_HPP
#define TTSIM_ALLOC_CLIENT_HPP

#ifdef TTSIM_ALLOC_CLIENT

#include <cstdint>
#include <mutex>

#include "tt_alloc_message.h"

namespace tt::tt_metal
{

using AllocMessage = tt_alloc_message;

// Hidden: the reporter is not part of the library's ABI.
class __attribute__((visibility("hidden"))) AllocationClient
{
      public:
	static bool is_enabled();
	static void report_allocation(int device_id, uint64_t size,
				      uint8_t buffer_type, uint64_t address);
	static void report_deallocation(int device_id, uint64_t address);

      private:
	AllocationClient() = default;
	static AllocationClient &instance();
	int connect_locked();
	void send(AllocMessage *msg);

	std::mutex mutex_; // one writer at a time: messages never interleave
	int fd_ = -1;
	bool given_up_ = false;
};

} // namespace tt::tt_metal

#endif // TTSIM_ALLOC_CLIENT

#endif
