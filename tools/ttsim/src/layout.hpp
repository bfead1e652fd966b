// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
//
// The one friend of the stand-in's classes: reaches private members for
// the layout checks of layout.cpp and for the 2024 Buffer's deleter.
#ifndef TTSIM_LAYOUT_HPP
#define TTSIM_LAYOUT_HPP

#include "buffer.hpp"

namespace ttsim
{

struct layout_check {
#if TTSIM_ERA == 2
	static void delete_buffer(tt::tt_metal::Buffer *buffer)
	{
		tt::tt_metal::Buffer::deleter(buffer);
	}
	static void
	set_weak_self(const std::shared_ptr<tt::tt_metal::Buffer> &buffer)
	{
		buffer->weak_self = buffer;
	}
#endif
	static void verify();
};

} // namespace ttsim

#endif
