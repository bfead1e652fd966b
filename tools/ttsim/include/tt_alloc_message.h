/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The wire format of the "allocation server" protocol, 72-byte generation:
 * one packed message per allocate/free, fields at natural offsets, the
 * QUERY/RESPONSE totals zero in ALLOC/FREE. Shared, C and C++, by the
 * stand-in's reporter (src/alloc_client.cpp) and the bench's reader
 * (tools/bench/alloc_server.c), so both sides agree by construction.
 */
#ifndef TT_ALLOC_MESSAGE_H
#define TT_ALLOC_MESSAGE_H

#include <stdint.h>

enum tt_alloc_message_type {
	TT_ALLOC_MSG_ALLOC = 1,
	TT_ALLOC_MSG_FREE = 2,
	TT_ALLOC_MSG_QUERY = 3,
	TT_ALLOC_MSG_RESPONSE = 4,
};

struct __attribute__((packed)) tt_alloc_message {
	uint8_t type; /* enum tt_alloc_message_type */
	uint8_t pad1[3];
	int32_t device_id;
	uint64_t size;
	uint8_t buffer_type;
	uint8_t pad2[3];
	int32_t process_id;
	uint64_t buffer_id;	 /* the device address */
	uint64_t timestamp;	 /* ns since the epoch (system clock) */
	uint64_t dram_allocated; /* RESPONSE only, from here on */
	uint64_t l1_allocated;
	uint64_t l1_small_allocated;
	uint64_t trace_allocated;
};

#define TT_ALLOC_MESSAGE_SIZE 72
#ifdef __cplusplus
static_assert(sizeof(tt_alloc_message) == TT_ALLOC_MESSAGE_SIZE,
	      "the protocol sends 72 bytes");
#else
_Static_assert(sizeof(struct tt_alloc_message) == TT_ALLOC_MESSAGE_SIZE,
	       "the protocol sends 72 bytes");
#endif

#endif
