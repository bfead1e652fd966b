// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
//
// GraphTracker as Buffer::allocate_impl/deallocate_impl see it: exported,
// called after every allocation and before every free, no processor
// registered unless graph capture runs.
#include "device.hpp"

namespace tt::tt_metal
{

GraphTracker &GraphTracker::instance()
{
	static GraphTracker tracker;
	return tracker;
}

void GraphTracker::track_allocate(const Buffer *buffer)
{
	if (processors.empty())
		return;
	for (auto &p : processors)
		p->track_allocate(buffer);
}

void GraphTracker::track_deallocate(Buffer *buffer)
{
	if (processors.empty())
		return;
	for (auto &p : processors)
		p->track_deallocate(buffer);
}

bool GraphTracker::hook_allocate(const Buffer *buffer)
{
	(void)buffer;
	return hook != nullptr;
}

bool GraphTracker::hook_deallocate(Buffer *buffer)
{
	(void)buffer;
	return hook != nullptr;
}

} // namespace tt::tt_metal
