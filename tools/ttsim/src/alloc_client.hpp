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

namespace tt::tt_metal
{

// The wire format of the 72-byte protocol generation: fields at natural
// offsets, the QUERY/RESPONSE totals unused (zero) in ALLOC/FREE.
struct __attribute__((packed)) AllocMessage {
	enum Type : uint8_t { ALLOC = 1, FREE = 2, QUERY = 3, RESPONSE = 4 };

	uint8_t type;
	uint8_t pad1[3];
	int32_t device_id;
	uint64_t size;
	uint8_t buffer_type;
	uint8_t pad2[3];
	int32_t process_id;
	uint64_t buffer_id; // the device address
	uint64_t timestamp; // ns since the epoch (system clock)
	uint64_t dram_allocated;
	uint64_t l1_allocated;
	uint64_t l1_small_allocated;
	uint64_t trace_allocated;
};
static_assert(sizeof(AllocMessage) == 72, "the protocol sends 72 bytes");

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
