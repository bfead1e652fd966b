// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
//
// MeshDeviceView and extract_locals() in their own file, as in the real
// library (mesh_device_view.cpp): MeshDevice::get_devices() calls into it,
// and the tracer follows that call to find where the chips are.
#include "device.hpp"

namespace tt::tt_metal::distributed
{

template <class C>
__attribute__((noinline)) std::vector<IDevice *>
extract_locals(const C &devices)
{
	std::vector<IDevice *> out;
	for (const auto &d : devices)
		if (d.is_local())
			out.push_back(d.value());
	return out;
}
template std::vector<IDevice *>
extract_locals(const std::vector<MaybeRemote<IDevice *>> &);

#if TTSIM_ERA != 4
MeshDeviceView::MeshDeviceView(const std::vector<IDevice *> &devices) : other_()
{
	for (IDevice *d : devices)
		devices_.emplace_back(d);
}

std::vector<IDevice *> MeshDeviceView::get_devices() const
{
	return extract_locals(devices_);
}
#endif

} // namespace tt::tt_metal::distributed
