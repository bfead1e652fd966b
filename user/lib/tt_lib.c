// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "accessor_decode.h"
#include "dwarf_layout.h"
#include "elf_image.h"
#include "eras.h"
#include "layout_override.h"
#include "layout_profiles.h"
#include "mesh_decode.h"
#include "return_sites.h"
#include "text_escape.h"
#include "tt_lib.h"

static const char *const field_names[TT_NR_FIELDS] = {
	[TT_F_IMPL] = "impl",
	[TT_F_DEVICE] = "device",
	[TT_F_SIZE] = "size",
	[TT_F_TYPE] = "type",
	[TT_F_ADDRESS] = "address",
	[TT_F_PAGE_SIZE] = "page_size",
	[TT_F_DEVICE_ID] = "device_id",
	[TT_F_MESH_ID] = "mesh_id",
	[TT_F_MESH_HOP] = "mesh_hop",
	[TT_F_MESH_DEVS] = "mesh_devs",
	[TT_F_MESH_STRIDE] = "mesh_stride",
	[TT_F_MESH_LOCAL] = "mesh_local",
	[TT_F_DEVICE_VTABLE] = "device_vtable",
	[TT_F_MESH_VTABLE] = "mesh_vtable",
};

/* The probes cannot count without these. */
static const enum tt_layout_field required[] = {
	TT_F_DEVICE, TT_F_SIZE, TT_F_TYPE, TT_F_ADDRESS, TT_F_IMPL,
};

const char *tt_layout_field_name(enum tt_layout_field f)
{
	if ((unsigned)f >= TT_NR_FIELDS)
		return "?";
	return field_names[f];
}

const char *tt_layout_source_name(enum tt_layout_source s)
{
	switch (s) {
	case TT_SRC_NONE:
		return "none";
	case TT_SRC_DWARF:
		return "dwarf";
	case TT_SRC_ACCESSOR:
		return "accessor";
	case TT_SRC_PROFILE:
		return "profile";
	case TT_SRC_OVERRIDE:
		return "override";
	case TT_SRC_SYMBOL:
		return "symbol";
	}
	return "?";
}

static void note(struct tt_lib_info *out, const char *fmt, ...)
{
	size_t used = strlen(out->notes);
	va_list ap;

	if (used >= sizeof(out->notes) - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(out->notes + used, sizeof(out->notes) - used, fmt, ap);
	va_end(ap);
}

static __s32 *field_ptr(struct ttbpf_layout *l, enum tt_layout_field f)
{
	switch (f) {
	case TT_F_IMPL:
		return &l->impl_off;
	case TT_F_DEVICE:
		return &l->device_off;
	case TT_F_SIZE:
		return &l->size_off;
	case TT_F_TYPE:
		return &l->type_off;
	case TT_F_ADDRESS:
		return &l->address_off;
	case TT_F_PAGE_SIZE:
		return &l->page_size_off;
	case TT_F_DEVICE_ID:
		return &l->device_id_off;
	case TT_F_MESH_ID:
		return &l->mesh_id_off;
	case TT_F_MESH_HOP:
		return &l->mesh_hop;
	case TT_F_MESH_DEVS:
		return &l->mesh_devs;
	case TT_F_MESH_STRIDE:
		return &l->mesh_dev_stride;
	case TT_F_MESH_LOCAL:
		return &l->mesh_dev_local;
	default:
		return NULL;
	}
}

static void set_field(struct tt_lib_info *out, enum tt_layout_field f,
		      int64_t v, enum tt_layout_source src, const char *detail)
{
	__s32 *p = field_ptr(&out->layout, f);

	if (p)
		*p = (__s32)v;
	else if (f == TT_F_DEVICE_VTABLE)
		out->layout.device_vtable = (__u64)v;
	else if (f == TT_F_MESH_VTABLE)
		out->layout.mesh_vtable = (__u64)v;
	out->source[f] = src;
	snprintf(out->source_detail[f], sizeof(out->source_detail[f]), "%s",
		 detail);
}

static int add_site(struct tt_lib_info *out, const struct elf_image *img,
		    enum ttbpf_probe_role role, uint64_t vaddr,
		    const char *symbol, const char *insn, int emulated)
{
	struct tt_probe_site *s;
	uint64_t off;

	if (out->n_sites >= TT_LIB_MAX_SITES)
		return -E2BIG;
	if (elf_image__vaddr_to_offset(img, vaddr, &off))
		return -EFAULT;
	s = &out->sites[out->n_sites++];
	s->vaddr = vaddr;
	s->file_offset = off;
	s->role = role;
	s->emulated = emulated;
	snprintf(s->symbol, sizeof(s->symbol), "%s", symbol);
	snprintf(s->insn, sizeof(s->insn), "%.47s", insn);
	return 0;
}

static int scan_function(const struct elf_image *img, const struct era_sym *sym,
			 struct ret_scan *rs)
{
	struct elf_sym_info si = { .value = sym->value, .size = sym->size };
	uint8_t *code;
	int e = elf_image__read_function(img, &si, &code);

	if (e)
		return e;
	e = return_sites__scan(code, si.size, si.value, rs);
	free(code);
	return e;
}

/*
 * A probe at the entry of one function. Only entries are probed: the
 * kernel emulates their first instruction (a push in every build seen)
 * and single-steps a `ret`, which costs about 30 times as much.
 */
static int add_function_site(struct tt_lib_info *out,
			     const struct elf_image *img,
			     const struct era_sym *sym,
			     enum ttbpf_probe_role role, char *err,
			     size_t errlen)
{
	struct ret_scan *rs = calloc(1, sizeof(*rs));
	int e;

	if (!rs)
		return -ENOMEM;
	e = scan_function(img, sym, rs);
	if (e) {
		e = errmsg_set(
			err, errlen, e,
			"%s: cannot disassemble %s at 0x%llx (size %llu): %s",
			out->path, sym->name, (unsigned long long)sym->value,
			(unsigned long long)sym->size, strerror(-e));
		goto cleanup;
	}
	e = add_site(out, img, role, sym->value, sym->name, rs->entry_text,
		     rs->entry_emulated);
	if (e == -E2BIG)
		e = errmsg_set(err, errlen, e, "%s: more than %d probe sites",
			       out->path, TT_LIB_MAX_SITES);
	else if (e == -EFAULT)
		e = errmsg_set(err, errlen, e,
			       "%s: %s is not in a loaded segment", out->path,
			       sym->name);
cleanup:
	free(rs);
	return e;
}

static int find_sites(struct tt_lib_info *out, const struct elf_image *img,
		      const struct era_match *m, char *err, size_t errlen)
{
	int e;

	e = add_function_site(out, img, &m->alloc, TTBPF_ROLE_ALLOC_ENTRY, err,
			      errlen);
	if (!e)
		e = add_function_site(out, img, &m->free, TTBPF_ROLE_FREE_ENTRY,
				      err, errlen);
	for (size_t i = 0; i < m->n_bulk && !e; i++)
		e = add_function_site(out, img, &m->bulk[i],
				      TTBPF_ROLE_BULK_FREE, err, errlen);
	return e;
}

/* A bulk-release site is the allocator's destructor (D1 or D2). */
static bool sees_destructor(const struct era_match *m)
{
	for (size_t i = 0; i < m->n_bulk; i++) {
		size_t n = strlen(m->bulk[i].name);

		if (n > 4 && (!strcmp(m->bulk[i].name + n - 4, "D1Ev") ||
			      !strcmp(m->bulk[i].name + n - 4, "D2Ev")))
			return true;
	}
	return false;
}

static int is_buffer_field(enum tt_layout_field f)
{
	return f >= TT_F_DEVICE && f <= TT_F_PAGE_SIZE;
}

/*
 * DWARF, then accessor code, per field. A Buffer field decoded through a
 * different impl_ than the one already chosen would point into the wrong
 * object: drop it.
 */
static void from_code_and_debug(struct tt_lib_info *out,
				const struct dwarf_layout *dl, int have_dwarf,
				const struct accessor_layout *al)
{
	for (int i = TT_F_IMPL; i <= TT_F_MESH_LOCAL; i++) {
		enum tt_layout_field f = (enum tt_layout_field)i;

		if (have_dwarf && dl->f[f].found) {
			set_field(out, f, dl->f[f].off, TT_SRC_DWARF,
				  dl->f[f].detail);
			continue;
		}
		if (!al->f[f].found)
			continue;
		if (is_buffer_field(f) && out->source[TT_F_IMPL] &&
		    out->layout.impl_off != al->f[TT_F_IMPL].off) {
			note(out,
			     "%s: accessor went through impl_ +%d, DWARF says "
			     "%d: ignored; ",
			     tt_layout_field_name(f), al->f[TT_F_IMPL].off,
			     out->layout.impl_off);
			continue;
		}
		set_field(out, f, al->f[f].off, TT_SRC_ACCESSOR,
			  al->f[f].detail);
	}
}

/* Does @p match every Buffer field already read from DWARF or code? */
static int profile_agrees(const struct layout_profile *p,
			  const struct tt_lib_info *out)
{
	for (int i = TT_F_IMPL; i <= TT_F_PAGE_SIZE; i++) {
		enum tt_layout_field f = (enum tt_layout_field)i;
		struct ttbpf_layout pl = p->layout, have = out->layout;

		if (out->source[f] &&
		    *field_ptr(&pl, f) != *field_ptr(&have, f))
			return 0;
	}
	return 1;
}

/*
 * The era's profile, unless the machine code contradicts it: then the
 * one profile that fits every field already known (the early-2025 E3
 * Buffer has the late-2024 member list), or none.
 */
static const struct layout_profile *
choose_profile(struct tt_lib_info *out, const struct elf_image *img, int era)
{
	const struct layout_profile *p, *table;
	struct elf_sym_info s;
	int exported, pimpl = -1, n;

	exported = !elf_image__find_symbol(
		img, "_ZNK2tt8tt_metal6Buffer4sizeEv", &s);
	if (out->source[TT_F_IMPL])
		pimpl = out->layout.impl_off >= 0;
	p = layout_profiles__pick(era, exported, pimpl);
	if (!p || profile_agrees(p, out))
		return p;
	table = layout_profiles__table(&n);
	for (int i = 0; i < n; i++) {
		if (&table[i] == p || !profile_agrees(&table[i], out))
			continue;
		note(out,
		     "profile %s chosen over %s: it fits the fields read from "
		     "the machine code; ",
		     table[i].name, p->name);
		return &table[i];
	}
	note(out,
	     "no built-in profile fits the fields read from the machine "
	     "code: fields from profile %s are doubtful, check with "
	     "--layout; ",
	     p->name);
	return p;
}

static void from_profile(struct tt_lib_info *out, const struct elf_image *img,
			 int era)
{
	const struct layout_profile *p = choose_profile(out, img, era);
	char detail[96];

	if (!p)
		return;
	for (int i = TT_F_IMPL; i <= TT_F_MESH_LOCAL; i++) {
		enum tt_layout_field f = (enum tt_layout_field)i;
		struct ttbpf_layout pl = p->layout;
		__s32 v = *field_ptr(&pl, f);

		if (out->source[f] || (v < 0 && f != TT_F_IMPL))
			continue;
		if (!out->profile[0])
			snprintf(out->profile, sizeof(out->profile), "%s",
				 p->name);
		snprintf(detail, sizeof(detail), "profile %s", p->name);
		set_field(out, f, v, TT_SRC_PROFILE, detail);
	}
	if (out->profile[0] && p->caveat)
		note(out, "layout profile %s: %s; ", p->name, p->caveat);
}

static void from_symbols(struct tt_lib_info *out, const struct era_match *m)
{
	char detail[96];

	if (m->device_vtable.name) {
		snprintf(detail, sizeof(detail), "%.60s @0x%llx + 16",
			 m->device_vtable.name,
			 (unsigned long long)m->device_vtable.value);
		set_field(out, TT_F_DEVICE_VTABLE,
			  (int64_t)eras__vptr(&m->device_vtable), TT_SRC_SYMBOL,
			  detail);
	}
	if (m->mesh_vtable.name) {
		snprintf(detail, sizeof(detail), "%.60s @0x%llx + 16",
			 m->mesh_vtable.name,
			 (unsigned long long)m->mesh_vtable.value);
		set_field(out, TT_F_MESH_VTABLE,
			  (int64_t)eras__vptr(&m->mesh_vtable), TT_SRC_SYMBOL,
			  detail);
	}
}

static void reset_layout(struct tt_lib_info *out)
{
	for (int f = TT_F_IMPL; f <= TT_F_MESH_LOCAL; f++)
		*field_ptr(&out->layout, (enum tt_layout_field)f) = -1;
	out->layout.device_vtable = 0;
	out->layout.mesh_vtable = 0;
}

static int find_layout(struct tt_lib_info *out, const struct elf_image *img,
		       const struct era_match *m,
		       const struct layout_override *ov, const char *debug_root,
		       char *err, size_t errlen)
{
	struct dwarf_layout *dl = calloc(1, sizeof(*dl));
	struct accessor_layout *al = calloc(1, sizeof(*al));
	int e = 0, have_dwarf;

	if (!dl || !al) {
		e = -ENOMEM;
		goto cleanup;
	}
	reset_layout(out);
	have_dwarf = !dwarf_layout__load(img, debug_root, dl);
	out->has_dwarf = have_dwarf;
	if (have_dwarf && dl->separate)
		snprintf(out->debug_file, sizeof(out->debug_file), "%s",
			 dl->file);
	if (have_dwarf && dl->notes[0])
		note(out, "%s; ", dl->notes);
	accessor_decode__layout(img, al);
	mesh_decode__layout(img, al);
	if (al->notes[0])
		note(out, "%s", al->notes);
	from_code_and_debug(out, dl, have_dwarf, al);
	from_profile(out, img, m->desc->era);
	from_symbols(out, m);
	for (int f = 0; f < TT_NR_FIELDS; f++)
		if (ov->set[f])
			set_field(out, (enum tt_layout_field)f, ov->value[f],
				  TT_SRC_OVERRIDE, "--layout");
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		const char *n = tt_layout_field_name(required[i]);

		if (out->source[required[i]])
			continue;
		e = errmsg_set(
			err, errlen, -ENODATA,
			"%s: layout unknown for %s: pass --layout %s=OFFSET "
			"(see --explain)",
			out->path, n, n);
		goto cleanup;
	}
cleanup:
	free(dl);
	free(al);
	return e;
}

int tt_lib_analyze_at(const char *path, const char *layout_override,
		      const char *debug_root, struct tt_lib_info *out,
		      char *err, size_t errlen)
{
	struct layout_override ov;
	struct elf_image *img = NULL;
	struct era_match m;
	char why[256];
	int e;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	snprintf(out->path, sizeof(out->path), "%s", path);
	e = layout_override__parse(layout_override, &ov, err, errlen);
	if (e)
		return e;
	e = elf_image__open(path, &img, err, errlen);
	if (e)
		return e;
	e = eras__resolve(img, &m, why, sizeof(why));
	if (e) {
		e = errmsg_set(err, errlen, e, "%s: %s", path, why);
		goto cleanup;
	}
	out->era = m.desc->era;
	snprintf(out->era_name, sizeof(out->era_name), "%s", m.desc->name);
	out->layout.call_form = m.desc->call_form;
	snprintf(out->bank_alloc, sizeof(out->bank_alloc), "%s",
		 m.bank_alloc_name);
	e = find_sites(out, img, &m, err, errlen);
	if (e)
		goto cleanup;
	e = find_layout(out, img, &m, &ov, debug_root, err, errlen);
	if (!e && sees_destructor(&m))
		out->layout.flags |= TTBPF_LAYOUT_SEES_DTOR;
cleanup:
	elf_image__close(img);
	return e;
}

int tt_lib_analyze(const char *path, const char *layout_override,
		   struct tt_lib_info *out, char *err, size_t errlen)
{
	return tt_lib_analyze_at(path, layout_override, NULL, out, err, errlen);
}

static const char *role_name(enum ttbpf_probe_role r)
{
	switch (r) {
	case TTBPF_ROLE_ALLOC_ENTRY:
		return "alloc-entry";
	case TTBPF_ROLE_FREE_ENTRY:
		return "free-entry";
	case TTBPF_ROLE_BULK_FREE:
		return "bulk-free";
	case TTBPF_ROLE_THROW:
		return "throw";
	}
	return "?";
}

static void explain_field(const struct tt_lib_info *info, FILE *f, int i)
{
	const char *n = tt_layout_field_name((enum tt_layout_field)i);
	const char *src = tt_layout_source_name(info->source[i]);
	const struct ttbpf_layout *l = &info->layout;

	if (i == TT_F_DEVICE_VTABLE || i == TT_F_MESH_VTABLE) {
		unsigned long long v = i == TT_F_DEVICE_VTABLE
					       ? l->device_vtable
					       : l->mesh_vtable;

		fprintf(f, "  %-13s 0x%-8llx %-9s ", n, v, src);
	} else {
		struct ttbpf_layout copy = *l;
		int v = *field_ptr(&copy, (enum tt_layout_field)i);

		fprintf(f, "  %-13s %-10d %-9s ", n, v, src);
	}
	/* Details name symbols of the library: anyone may have built it. */
	text_escape_to(f, info->source_detail[i], SIZE_MAX);
	fputc('\n', f);
}

/* "@label@value\n" with @value made terminal-safe. */
static void explain_line(FILE *f, const char *label, const char *value)
{
	fputs(label, f);
	text_escape_to(f, value, SIZE_MAX);
	fputc('\n', f);
}

void tt_lib_explain(const struct tt_lib_info *info, FILE *f)
{
	const struct ttbpf_layout *l = &info->layout;

	explain_line(f, "", info->path);
	fprintf(f, "  era: %s, %s\n", info->era_name,
		l->call_form == TTBPF_CALL_FREE_FN
			? "free function (Allocator& in rdi, Buffer* in rsi)"
			: "member function (this in rdi, Buffer* in rsi)");
	if (info->debug_file[0])
		explain_line(f, "  debug info: ", info->debug_file);
	else
		fprintf(f, "  debug info: %s\n",
			info->has_dwarf ? "in the library" : "none");
	if (info->bank_alloc[0])
		explain_line(f, "  bank manager: ", info->bank_alloc);
	fprintf(f, "probe sites (%zu):\n", info->n_sites);
	for (size_t i = 0; i < info->n_sites; i++) {
		const struct tt_probe_site *s = &info->sites[i];

		fprintf(f, "  %-12s 0x%-8llx file+0x%-8llx %-18s ",
			role_name(s->role), (unsigned long long)s->vaddr,
			(unsigned long long)s->file_offset, s->insn);
		text_escape_to(f, s->symbol, SIZE_MAX);
		fprintf(f, "%s\n",
			!s->emulated ? " (entry single-stepped)" : "");
	}
	fprintf(f, "layout (bytes; %s):\n",
		l->impl_off >= 0 ? "fields inside *(Buffer + impl)"
				 : "fields inside Buffer");
	for (int i = 0; i < TT_NR_FIELDS; i++)
		explain_field(info, f, i);
	if (info->profile[0])
		explain_line(f, "  profile consulted: ", info->profile);
	if (info->notes[0])
		explain_line(f, "notes: ", info->notes);
}
