// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Where a MeshDevice keeps its chips, read off the machine code of
 * `MeshDevice::get_devices() const`, which returns a
 * std::vector<IDevice*> by value (result pointer in rdi, `this` in rsi):
 *
 * - it copies a vector<IDevice*> member: the begin and end of that member
 *   are loaded and compared (ttnn 0.81.1: [[rsi+0x18]+0x78] and +0x80,
 *   through MeshDevice's pimpl_);
 * - or it forwards to MeshDeviceView::get_devices() with rsi = a pointer
 *   member (0.64.5: [rsi+0x60], the view), which passes rsi + offset to
 *   extract_locals(vector<MaybeRemote<IDevice*>>): 16-byte elements, the
 *   pointer at +0, the variant's index at +8 (1 = a local chip), as
 *   extract_locals' own code reads them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accessor_decode.h"
#include "elf_image.h"
#include "eras.h"
#include "mesh_decode.h"

#define MESH_GET_DEVICES "11distributed10MeshDevice11get_devices"

static int flow_of(const struct elf_image *img, const char *name,
		   uint64_t vaddr, struct accessor_flow *f, uint64_t *at)
{
	struct elf_sym_info s;
	uint8_t *code = NULL;
	char buf[256];
	int e;

	if (name)
		e = elf_image__find_symbol(img, name, &s);
	else
		e = elf_image__symbol_at(img, vaddr, buf, sizeof(buf), &s);
	if (e)
		return e;
	e = elf_image__read_function(img, &s, &code);
	if (!e)
		e = accessor_decode__flow(code, s.size, s.value, 1, f);
	free(code);
	*at = s.value;
	return e;
}

/* The callee's name, through its PLT entry if called that way. */
static int callee(const struct elf_image *img, uint64_t target, char *name,
		  size_t len, uint64_t *def)
{
	struct elf_sym_info s;

	if (!elf_image__symbol_at(img, target, name, len, &s)) {
		*def = s.value;
		return 0;
	}
	if (elf_image__plt_symbol(img, target, name, len) ||
	    elf_image__find_symbol(img, name, &s))
		return -ENOENT;
	*def = s.value;
	return 0;
}

static void set(struct accessor_field *f, int32_t off, uint64_t va,
		const char *detail)
{
	f->found = 1;
	f->off = off;
	f->vaddr = va;
	snprintf(f->detail, sizeof(f->detail), "%s", detail);
}

static void found(struct accessor_layout *out, int32_t hop, int32_t devs,
		  int32_t stride, int32_t local, uint64_t va, const char *how)
{
	char d[96];

	snprintf(d, sizeof(d), "MeshDevice::get_devices() @0x%llx: %s",
		 (unsigned long long)va, how);
	set(&out->f[TT_F_MESH_HOP], hop, va, d);
	set(&out->f[TT_F_MESH_DEVS], devs, va, d);
	set(&out->f[TT_F_MESH_STRIDE], stride, va, d);
	set(&out->f[TT_F_MESH_LOCAL], local, va, d);
}

/* MeshDeviceView::get_devices(): rsi + K handed to extract_locals. */
static int through_view(const struct elf_image *img, uint64_t view_fn,
			int32_t hop, uint64_t va, struct accessor_layout *out)
{
	struct accessor_flow f;
	char name[256], how[96];
	uint64_t at, def;

	if (flow_of(img, NULL, view_fn, &f, &at))
		return -ENOENT;
	if (f.have_range && f.range.depth == 1) {
		snprintf(how, sizeof(how),
			 "[rsi+0x%x] view, vector<IDevice*> at +0x%x", hop,
			 f.range.off[0]);
		found(out, hop, f.range.off[0], 8, -1, va, how);
		return 0;
	}
	for (int i = 0; i < f.n_calls; i++) {
		if (!f.calls[i].arg_known || f.calls[i].arg.depth ||
		    f.calls[i].arg_add <= 0 || f.calls[i].arg_add > 0xffff ||
		    callee(img, f.calls[i].target, name, sizeof(name), &def) ||
		    !strstr(name, "extract_locals") ||
		    !strstr(name, "MaybeRemoteIPNS0_7IDevice"))
			continue;
		snprintf(how, sizeof(how),
			 "[rsi+0x%x] view, MaybeRemote<IDevice*>[] at +0x%llx",
			 hop, (unsigned long long)f.calls[i].arg_add);
		found(out, hop, (int32_t)f.calls[i].arg_add, 16, 8, va, how);
		return 0;
	}
	return -ENOENT;
}

int mesh_decode__layout(const struct elf_image *img, const struct era_desc *era,
			struct accessor_layout *out)
{
	struct accessor_flow f;
	char name[256], how[96], get_devices[256];
	uint64_t va, def;
	const struct accessor_chain *r = &f.range;
	struct elf_sym_info s;

	if (eras__find_method(img, era, MESH_GET_DEVICES, get_devices,
			      sizeof(get_devices), &s) ||
	    flow_of(img, get_devices, 0, &f, &va))
		return -ENOENT;
	if (f.have_range && r->depth <= 2) {
		if (r->depth == 2)
			snprintf(how, sizeof(how),
				 "vector<IDevice*> at [rsi+0x%x]+0x%x",
				 r->off[0], r->off[1]);
		else
			snprintf(how, sizeof(how),
				 "vector<IDevice*> at rsi+0x%x", r->off[0]);
		found(out, r->depth == 2 ? r->off[0] : -1, r->off[r->depth - 1],
		      8, -1, va, how);
		return 0;
	}
	for (int i = 0; i < f.n_calls; i++) {
		if (!f.calls[i].arg_known || f.calls[i].arg.depth != 1 ||
		    f.calls[i].arg_add ||
		    callee(img, f.calls[i].target, name, sizeof(name), &def) ||
		    !strstr(name, "get_devices"))
			continue;
		return through_view(img, def, f.calls[i].arg.off[0], va, out);
	}
	snprintf(out->notes + strlen(out->notes),
		 sizeof(out->notes) - strlen(out->notes),
		 "MeshDevice::get_devices(): no device vector found; ");
	return -ENOENT;
}
