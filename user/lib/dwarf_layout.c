// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "dwarf_layout.h"
#include "eras.h"
#include "file_open.h"
#include "elf_image.h"

#define DWARF_MESH_UNIT_BUDGET 256

enum cls {
	CLS_BUFFER,
	CLS_IMPL,
	CLS_DEVICE,
	CLS_MESH,
	NR_CLS,
};

static const char *const cls_short[NR_CLS] = { "Buffer", "BufferImpl", "Device",
					       "MeshDevice" };

struct scan {
	struct dwarf_layout *out;
	/* the era's qualified names, inline namespaces (v0) removed */
	const char *cls_names[NR_CLS];
	const char *file_base;
	int found[NR_CLS];
	/* member offsets per class, -1 when absent */
	int32_t impl, device, size, type, address, page_size; /* Buffer */
	int32_t i_device, i_size, i_type, i_address, i_page_size;
	int32_t dev_id, mesh_id;
	const char *mesh_member;
};

static int file_crc(const char *path, uint32_t *crc)
{
	unsigned char buf[65536];
	uLong c = crc32(0L, Z_NULL, 0);
	struct stat st;
	int fd = file_open_regular(path, &st);
	ssize_t n;

	if (fd < 0)
		return fd;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		c = crc32(c, buf, (uInt)n);
	close(fd);
	if (n < 0)
		return -EIO;
	*crc = (uint32_t)c;
	return 0;
}

static int is_file(const char *p)
{
	struct stat st;

	return !stat(p, &st) && S_ISREG(st.st_mode);
}

static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static int by_build_id(const struct elf_image *img, const char *root, char *out,
		       size_t len)
{
	uint8_t id[64];
	char hex[2 * sizeof(id) + 1];
	int n = elf_image__build_id(img, id, sizeof(id));

	if (n < 2)
		return -ENOENT;
	for (int i = 0; i < n; i++)
		sprintf(hex + 2 * i, "%02x", id[i]);
	snprintf(out, len, "%s/.build-id/%.2s/%s.debug", root, hex, hex + 2);
	return is_file(out) ? 0 : -ENOENT;
}

static int by_debuglink(const struct elf_image *img, const char *root,
			char *out, size_t len)
{
	char name[256], dir[PATH_MAX], abs[PATH_MAX], tmp[PATH_MAX];
	uint32_t want = 0, got = 0;

	if (elf_image__debuglink(img, name, sizeof(name), &want))
		return -ENOENT;
	if (!realpath(elf_image__path(img), abs))
		snprintf(abs, sizeof(abs), "%s", elf_image__path(img));
	/* dirname() works in place: keep its input apart from @dir. */
	snprintf(tmp, sizeof(tmp), "%s", abs);
	snprintf(dir, sizeof(dir), "%s", dirname(tmp));
	for (int i = 0; i < 3; i++) {
		int n;

		if (i == 0)
			n = snprintf(out, len, "%s/%s", dir, name);
		else if (i == 1)
			n = snprintf(out, len, "%s/.debug/%s", dir, name);
		else
			n = snprintf(out, len, "%s%s/%s", root, dir, name);
		/* A cut path names another file. */
		if (n < 0 || (size_t)n >= len || !is_file(out) ||
		    same_file(out, abs))
			continue;
		/* A stale debug file describes another build. */
		if (!file_crc(out, &got) && got == want)
			return 0;
	}
	return -ENOENT;
}

/*
 * Separate debug file of @img: by build-id under @debug_root/.build-id/,
 * then by .gnu_debuglink next to the file, in its .debug/ folder and under
 * @debug_root (NULL: DWARF_DEFAULT_DEBUG_ROOT); a debuglink candidate
 * must match the CRC. Returns 0 with the path, or -ENOENT.
 */
static int find_debug_file(const struct elf_image *img, const char *debug_root,
			   char *out, size_t len)
{
	const char *root = debug_root ? debug_root : DWARF_DEFAULT_DEBUG_ROOT;

	if (!by_build_id(img, root, out, len) ||
	    !by_debuglink(img, root, out, len))
		return 0;
	out[0] = '\0';
	return -ENOENT;
}

static int member_offset(Dwarf_Die *m, int32_t *off)
{
	Dwarf_Attribute attr;
	Dwarf_Word w;
	Dwarf_Op *ops;
	size_t nops;

	if (!dwarf_attr(m, DW_AT_data_member_location, &attr))
		return -ENOENT;
	if (!dwarf_formudata(&attr, &w)) {
		*off = (int32_t)w;
		return 0;
	}
	/* DWARF 2 style: DW_OP_plus_uconst N. */
	if (!dwarf_getlocation(&attr, &ops, &nops) && nops == 1 &&
	    ops[0].atom == DW_OP_plus_uconst) {
		*off = (int32_t)ops[0].number;
		return 0;
	}
	return -ENOENT;
}

static void read_members(struct scan *s, enum cls c, Dwarf_Die *die)
{
	Dwarf_Die m;

	if (dwarf_child(die, &m))
		return;
	do {
		const char *n;
		int32_t off;

		if (dwarf_tag(&m) != DW_TAG_member)
			continue;
		n = dwarf_diename(&m);
		if (!n || member_offset(&m, &off))
			continue;
		switch (c) {
		case CLS_BUFFER:
		case CLS_IMPL: {
			int b = c == CLS_BUFFER;

			if (b && !strcmp(n, "impl_"))
				s->impl = off;
			else if (!strcmp(n, "device_"))
				*(b ? &s->device : &s->i_device) = off;
			else if (!strcmp(n, "size_"))
				*(b ? &s->size : &s->i_size) = off;
			else if (!strcmp(n, "buffer_type_"))
				*(b ? &s->type : &s->i_type) = off;
			else if (!strcmp(n, "address_"))
				*(b ? &s->address : &s->i_address) = off;
			else if (!strcmp(n, "page_size_"))
				*(b ? &s->page_size : &s->i_page_size) = off;
			break;
		}
		case CLS_DEVICE:
			if (!strcmp(n, "id_"))
				s->dev_id = off;
			break;
		case CLS_MESH:
			/* mesh_id_ wins over a plain id_ */
			if (!strcmp(n, "mesh_id_")) {
				s->mesh_id = off;
				s->mesh_member = "mesh_id_";
			} else if (!strcmp(n, "id_") && !s->mesh_member) {
				s->mesh_id = off;
				s->mesh_member = "id_";
			}
			break;
		default:
			break;
		}
	} while (!dwarf_siblingof(&m, &m));
}

static int buffer_found(const struct scan *s)
{
	return s->found[CLS_BUFFER] && (s->impl < 0 || s->found[CLS_IMPL]);
}

static int all_found(const struct scan *s)
{
	return buffer_found(s) && s->found[CLS_DEVICE] && s->found[CLS_MESH];
}

/* Walk namespaces below the CU, matching class definitions by name. */
static void walk(struct scan *s, Dwarf_Die *parent, const char *prefix,
		 int depth)
{
	Dwarf_Die d;

	if (depth > 8 || dwarf_child(parent, &d))
		return;
	do {
		int tag = dwarf_tag(&d);
		const char *n = dwarf_diename(&d);
		char q[512];

		if (!n)
			continue;
		if (tag == DW_TAG_namespace) {
			/* Inline namespaces (v0) do not change the name. */
			if (dwarf_hasattr(&d, DW_AT_export_symbols) ||
			    (n[0] == 'v' && n[1] >= '0' && n[1] <= '9'))
				snprintf(q, sizeof(q), "%s", prefix);
			else
				snprintf(q, sizeof(q), "%s%s::", prefix, n);
			if (depth > 0 || !strcmp(n, "tt"))
				walk(s, &d, q, depth + 1);
			continue;
		}
		if ((tag != DW_TAG_class_type &&
		     tag != DW_TAG_structure_type) ||
		    dwarf_hasattr(&d, DW_AT_declaration) ||
		    !dwarf_haschildren(&d))
			continue;
		snprintf(q, sizeof(q), "%s%s", prefix, n);
		for (int c = 0; c < NR_CLS; c++) {
			if (s->found[c] || strcmp(q, s->cls_names[c]))
				continue;
			s->found[c] = 1;
			read_members(s, (enum cls)c, &d);
		}
	} while (!dwarf_siblingof(&d, &d) && !all_found(s));
}

static void set_field(struct scan *s, enum tt_layout_field f, enum cls c,
		      const char *member, int32_t off)
{
	struct dwarf_field *df = &s->out->f[f];

	if (off < 0 && f != TT_F_IMPL)
		return;
	df->found = 1;
	df->off = off;
	snprintf(df->detail, sizeof(df->detail), "DWARF %s::%s (%s)",
		 cls_short[c], member, s->file_base);
}

static void fill(struct scan *s)
{
	struct dwarf_layout *o = s->out;
	int pimpl = s->impl >= 0;
	enum cls c = pimpl ? CLS_IMPL : CLS_BUFFER;

	o->found_buffer = s->found[CLS_BUFFER];
	o->found_impl_class = s->found[CLS_IMPL];
	o->found_device = s->found[CLS_DEVICE];
	o->found_mesh = s->found[CLS_MESH];
	if (s->found[CLS_BUFFER]) {
		if (pimpl)
			set_field(s, TT_F_IMPL, CLS_BUFFER, "impl_", s->impl);
		else
			set_field(s, TT_F_IMPL, CLS_BUFFER, "(no impl_)", -1);
	}
	if (s->found[c]) {
		set_field(s, TT_F_DEVICE, c, "device_",
			  pimpl ? s->i_device : s->device);
		set_field(s, TT_F_SIZE, c, "size_",
			  pimpl ? s->i_size : s->size);
		set_field(s, TT_F_TYPE, c, "buffer_type_",
			  pimpl ? s->i_type : s->type);
		set_field(s, TT_F_ADDRESS, c, "address_",
			  pimpl ? s->i_address : s->address);
		set_field(s, TT_F_PAGE_SIZE, c, "page_size_",
			  pimpl ? s->i_page_size : s->page_size);
	} else if (s->found[CLS_BUFFER] && pimpl) {
		snprintf(o->notes, sizeof(o->notes),
			 "Buffer has impl_ but BufferImpl is not in the DWARF");
	}
	if (s->found[CLS_DEVICE])
		set_field(s, TT_F_DEVICE_ID, CLS_DEVICE, "id_", s->dev_id);
	if (s->found[CLS_MESH] && s->mesh_member)
		set_field(s, TT_F_MESH_ID, CLS_MESH, s->mesh_member,
			  s->mesh_id);
}

static int scan_file(const char *path, const struct era_classes *classes,
		     struct dwarf_layout *out)
{
	struct scan s = {
		.out = out,
		.cls_names = {
			[CLS_BUFFER] = classes->buffer,
			[CLS_IMPL] = classes->buffer_impl,
			[CLS_DEVICE] = classes->device,
			[CLS_MESH] = classes->mesh,
		},
	};
	Dwarf_CU *cu = NULL;
	int extra_units = 0;
	Dwarf_Die cudie;
	struct stat st;
	Dwarf *dw;
	int fd;

	s.impl = s.device = s.size = s.type = s.address = s.page_size = -1;
	s.i_device = s.i_size = s.i_type = s.i_address = s.i_page_size = -1;
	s.dev_id = s.mesh_id = -1;
	s.file_base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	/* A debug file sits next to the library, where its owner put it. */
	fd = file_open_regular(path, &st);
	if (fd < 0)
		return fd;
	dw = dwarf_begin(fd, DWARF_C_READ);
	if (!dw) {
		close(fd);
		return -ENODATA;
	}
	while (!all_found(&s) &&
	       !dwarf_get_units(dw, cu, &cu, NULL, NULL, &cudie, NULL)) {
		walk(&s, &cudie, "", 0);
		/*
		 * MeshDevice is optional (absent before 2025): once the
		 * rest is known, give it a bounded number of further units
		 * rather than the whole of a large RelWithDebInfo library.
		 */
		if (buffer_found(&s) && s.found[CLS_DEVICE] &&
		    ++extra_units > DWARF_MESH_UNIT_BUDGET)
			break;
	}
	fill(&s);
	dwarf_end(dw);
	close(fd);
	return 0;
}

int dwarf_layout__load(const struct elf_image *img,
		       const struct era_classes *classes,
		       const char *debug_root, struct dwarf_layout *out)
{
	char dbg[PATH_MAX];

	memset(out, 0, sizeof(*out));
	if (elf_image__has_debug_info(img)) {
		snprintf(out->file, sizeof(out->file), "%s",
			 elf_image__path(img));
		return scan_file(out->file, classes, out);
	}
	if (find_debug_file(img, debug_root, dbg, sizeof(dbg)))
		return -ENODATA;
	snprintf(out->file, sizeof(out->file), "%s", dbg);
	out->separate = 1;
	return scan_file(dbg, classes, out);
}
