/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The chips of a MeshDevice: which member holds them, decoded from
 * MeshDevice::get_devices() (see mesh_decode.c).
 */
#ifndef TTBPF_MESH_DECODE_H
#define TTBPF_MESH_DECODE_H

#include "accessor_decode.h"

struct elf_image;
struct era_desc;

/*
 * Fill @out's mesh_hop, mesh_devs, mesh_stride and mesh_local (all four or
 * none), from get_devices() as @era names it. Returns 0, or -ENOENT when the code shows no device vector.
 */
int mesh_decode__layout(const struct elf_image *img, const struct era_desc *era,
			struct accessor_layout *out);

#endif /* TTBPF_MESH_DECODE_H */
