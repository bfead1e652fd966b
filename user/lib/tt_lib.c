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
#include "entry_insn.h"
#include "eras.h"
#include "layout_override.h"
#include "layout_profiles.h"
#include "mesh_decode.h"
#include "text_escape.h"
#include "tt_lib.h"

/* The probes cannot count without these. */
static const enum tt_layout_field required[] = {
	TT_F_DEVICE, TT_F_SIZE, TT_F_TYPE, TT_F_ADDRESS, TT_F_IMPL,
};

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

static void mark_source(struct tt_lib_info *out, enum tt_layout_field f,
			enum tt_layout_source src, const char *detail)
{
	out->source[f] = src;
	snprintf(out->source_detail[f], sizeof(out->source_detail[f]), "%s",
		 detail);
}

static void set_field(struct tt_lib_info *out, enum tt_layout_field f,
		      int64_t v, enum tt_layout_source src, const char *detail)
{
	layout_field__set(&out->layout, f, v);
	mark_source(out, f, src, detail);
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

/* Only the first instruction: what the probe sits on. */
static int decode_entry(const struct elf_image *img, const struct era_sym *sym,
			struct entry_insn *ei)
{
	uint8_t code[ENTRY_INSN_MAX_LEN];
	size_t len = sym->size < sizeof(code) ? sym->size : sizeof(code);
	int e;

	if (!len)
		return -EINVAL;
	e = elf_image__read(img, sym->value, code, len);
	if (e)
		return e;
	return entry_insn__decode(code, len, sym->value, ei);
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
	struct entry_insn ei;
	int e;

	e = decode_entry(img, sym, &ei);
	if (e) {
		e = errmsg_set(
			err, errlen, e,
			"%s: cannot disassemble %s at 0x%llx (size %llu): %s",
			out->path, sym->name, (unsigned long long)sym->value,
			(unsigned long long)sym->size, strerror(-e));
		return e;
	}
	e = add_site(out, img, role, sym->value, sym->name, ei.text,
		     ei.emulated);
	if (e == -E2BIG)
		e = errmsg_set(err, errlen, e, "%s: more than %d probe sites",
			       out->path, TT_LIB_MAX_SITES);
	else if (e == -EFAULT)
		e = errmsg_set(err, errlen, e,
			       "%s: %s is not in a loaded segment", out->path,
			       sym->name);
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

		if (out->source[f] &&
		    layout_field__get(&p->layout, f) !=
			    layout_field__get(&out->layout, f))
			return 0;
	}
	return 1;
}

/*
 * The era's profile, unless the machine code contradicts it: then the
 * one profile that fits every field already known (the early-2025 E3
 * Buffer has the late-2024 member list), or none.
 */
static const struct layout_profile *choose_profile(struct tt_lib_info *out,
						   const struct elf_image *img,
						   const struct era_desc *era)
{
	const struct layout_profile *p, *other;
	const struct era_desc *table;
	struct elf_sym_info s;
	int exported, pimpl = -1;
	size_t n;

	exported = !eras__find_method(img, era, "6Buffer4size", NULL, 0, &s);
	if (out->source[TT_F_IMPL])
		pimpl = out->layout.impl_off >= 0;
	p = layout_profiles__pick(era->era, exported, pimpl);
	if (!p || profile_agrees(p, out))
		return p;
	table = eras__table(&n);
	for (size_t i = 0; i < n; i++) {
		other = &table[i].profile;
		if (other == p || !profile_agrees(other, out))
			continue;
		note(out,
		     "profile %s chosen over %s: it fits the fields read from "
		     "the machine code; ",
		     other->name, p->name);
		return other;
	}
	note(out,
	     "no built-in profile fits the fields read from the machine "
	     "code: fields from profile %s are doubtful, check with "
	     "--layout; ",
	     p->name);
	return p;
}

static void from_profile(struct tt_lib_info *out, const struct elf_image *img,
			 const struct era_desc *era)
{
	const struct layout_profile *p = choose_profile(out, img, era);
	char detail[96];

	if (!p)
		return;
	for (int i = TT_F_IMPL; i <= TT_F_MESH_LOCAL; i++) {
		enum tt_layout_field f = (enum tt_layout_field)i;
		int64_t v = layout_field__get(&p->layout, f);

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
	layout_field__reset(&out->layout);
	have_dwarf = !dwarf_layout__load(img, m->desc->classes, debug_root, dl);
	out->has_dwarf = have_dwarf;
	if (have_dwarf && dl->separate)
		snprintf(out->debug_file, sizeof(out->debug_file), "%s",
			 dl->file);
	if (have_dwarf && dl->notes[0])
		note(out, "%s; ", dl->notes);
	accessor_decode__layout(img, m->desc, al);
	mesh_decode__layout(img, m->desc, al);
	if (al->notes[0])
		note(out, "%s", al->notes);
	from_code_and_debug(out, dl, have_dwarf, al);
	from_profile(out, img, m->desc);
	from_symbols(out, m);
	/* The user's word beats every source. */
	layout_override__apply(ov, &out->layout);
	for (int f = 0; f < TT_NR_FIELDS; f++)
		if (ov->set[f])
			mark_source(out, (enum tt_layout_field)f,
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

	int64_t v = layout_field__get(l, (enum tt_layout_field)i);

	if (layout_field__is_address((enum tt_layout_field)i))
		fprintf(f, "  %-13s 0x%-8llx %-9s ", n, (unsigned long long)v,
			src);
	else
		fprintf(f, "  %-13s %-10d %-9s ", n, (int)v, src);
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
