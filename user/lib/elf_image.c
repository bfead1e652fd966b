// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errmsg.h"
#include "elf_image.h"
#include "file_open.h"

#ifndef NT_GNU_BUILD_ID
#define NT_GNU_BUILD_ID 3
#endif

struct elf_image {
	int fd;
	Elf *elf;
	char *path;
	uint64_t file_size;
	GElf_Ehdr ehdr;
	Elf_Scn *dynsym;
	Elf_Scn *symtab;
	size_t shstrndx;
};

/*
 * Classify from the identification bytes first: libelf would happily open
 * a 32-bit or big-endian file, and we want to say which one it is.
 */
static int check_ident(const char *path, int fd, uint64_t size, char *err,
		       size_t errlen)
{
	unsigned char id[EI_NIDENT];
	ssize_t n = pread(fd, id, sizeof(id), 0);

	if (n < 0)
		return errmsg_set(err, errlen, -errno, "%s: read failed: %s",
				  path, strerror(errno));
	if (n < SELFMAG || memcmp(id, ELFMAG, SELFMAG))
		return errmsg_set(err, errlen, ELF_IMAGE_ENOTELF,
				  "%s: not an ELF file", path);
	if (n < EI_NIDENT)
		return errmsg_set(err, errlen, ELF_IMAGE_ETRUNC,
				  "%s: truncated ELF file (%zd bytes)", path,
				  n);
	if (id[EI_CLASS] == ELFCLASS32)
		return errmsg_set(err, errlen, ELF_IMAGE_EWRONGKIND,
				  "%s: 32-bit ELF (ELFCLASS32): need a 64-bit "
				  "x86-64 libtt_metal.so",
				  path);
	if (id[EI_CLASS] != ELFCLASS64)
		return errmsg_set(err, errlen, ELF_IMAGE_EWRONGKIND,
				  "%s: unknown ELF class %u", path,
				  id[EI_CLASS]);
	if (id[EI_DATA] != ELFDATA2LSB)
		return errmsg_set(err, errlen, ELF_IMAGE_EWRONGKIND,
				  "%s: big-endian ELF: need x86-64", path);
	if (size < sizeof(Elf64_Ehdr))
		return errmsg_set(err, errlen, ELF_IMAGE_ETRUNC,
				  "%s: truncated ELF file (%llu bytes, header "
				  "needs %zu)",
				  path, (unsigned long long)size,
				  sizeof(Elf64_Ehdr));
	return 0;
}

static int span_ok(uint64_t off, uint64_t n, uint64_t each, uint64_t size)
{
	return off <= size && n * each <= size - off;
}

/* Every table and section we may read must lie inside the file. */
static int check_extents(struct elf_image *img, char *err, size_t errlen)
{
	const GElf_Ehdr *eh = &img->ehdr;
	Elf_Scn *scn = NULL;

	if (!span_ok(eh->e_phoff, eh->e_phnum, eh->e_phentsize,
		     img->file_size) ||
	    !span_ok(eh->e_shoff, eh->e_shnum, eh->e_shentsize, img->file_size))
		goto trunc;
	if (elf_getshdrstrndx(img->elf, &img->shstrndx))
		goto trunc;
	while ((scn = elf_nextscn(img->elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			goto trunc;
		if (sh.sh_type != SHT_NOBITS &&
		    !span_ok(sh.sh_offset, sh.sh_size, 1, img->file_size))
			goto trunc;
		if (sh.sh_type == SHT_DYNSYM)
			img->dynsym = scn;
		else if (sh.sh_type == SHT_SYMTAB)
			img->symtab = scn;
	}
	return 0;
trunc:
	return errmsg_set(
		err, errlen, ELF_IMAGE_ETRUNC,
		"%s: truncated or corrupt ELF file (headers or sections "
		"past its end, %llu bytes)",
		img->path, (unsigned long long)img->file_size);
}

static int open_error(const char *path, int e, const struct stat *st, char *err,
		      size_t errlen)
{
	switch (e) {
	case -ENOENT:
		return errmsg_set(
			err, errlen, e,
			"%s: no such file (check the --lib path; one in "
			"another "
			"mount namespace is /proc/PID/root/PATH from here; "
			"`ttbpf-trace` without --lib finds the library in "
			"running processes)",
			path);
	case -EISDIR:
		return errmsg_set(err, errlen, e,
				  "%s: is a directory, not a library", path);
	case -EINVAL:
		return errmsg_set(err, errlen, e,
				  "%s: is %s, not a library (only regular "
				  "files are opened)",
				  path, file_kind_name(st->st_mode));
	case -ESTALE:
		return errmsg_set(err, errlen, e,
				  "%s: changed while being opened; try again",
				  path);
	default:
		return errmsg_set(err, errlen, e, "%s: cannot open: %s", path,
				  strerror(-e));
	}
}

int elf_image__open(const char *path, struct elf_image **out, char *err,
		    size_t errlen)
{
	struct elf_image *img = NULL;
	struct stat st;
	int e;

	*out = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return errmsg_set(err, errlen, -EINVAL, "libelf: %s",
				  elf_errmsg(-1));
	img = calloc(1, sizeof(*img));
	if (!img)
		return -ENOMEM;
	img->fd = -1;
	img->path = strdup(path);
	if (!img->path) {
		e = -ENOMEM;
		goto cleanup;
	}
	img->fd = file_open_regular(path, &st);
	if (img->fd < 0) {
		e = open_error(path, img->fd, &st, err, errlen);
		goto cleanup;
	}
	img->file_size = (uint64_t)st.st_size;
	e = check_ident(path, img->fd, img->file_size, err, errlen);
	if (e)
		goto cleanup;
	img->elf = elf_begin(img->fd, ELF_C_READ_MMAP, NULL);
	if (!img->elf || !gelf_getehdr(img->elf, &img->ehdr)) {
		e = errmsg_set(err, errlen, ELF_IMAGE_ETRUNC,
			       "%s: bad ELF file: %s", path, elf_errmsg(-1));
		goto cleanup;
	}
	if (img->ehdr.e_machine != EM_X86_64) {
		e = errmsg_set(err, errlen, ELF_IMAGE_EMACHINE,
			       "%s: ELF machine %u is not x86-64 (%u)", path,
			       img->ehdr.e_machine, EM_X86_64);
		goto cleanup;
	}
	if (img->ehdr.e_type != ET_DYN && img->ehdr.e_type != ET_EXEC) {
		e = errmsg_set(err, errlen, ELF_IMAGE_EWRONGKIND,
			       "%s: ELF type %u is not a shared library or "
			       "executable",
			       path, img->ehdr.e_type);
		goto cleanup;
	}
	e = check_extents(img, err, errlen);
	if (e)
		goto cleanup;
	*out = img;
	return 0;
cleanup:
	elf_image__close(img);
	return e;
}

void elf_image__close(struct elf_image *img)
{
	if (!img)
		return;
	if (img->elf)
		elf_end(img->elf);
	if (img->fd >= 0)
		close(img->fd);
	free(img->path);
	free(img);
}

const char *elf_image__path(const struct elf_image *img)
{
	return img->path;
}

int elf_image__fd(const struct elf_image *img)
{
	return img->fd;
}

/*
 * Walk the defined symbols of one table; @cb returns non-zero to stop.
 * Undefined entries are imports and say nothing about this file.
 */
static int walk_table(const struct elf_image *img, Elf_Scn *scn, int dyn,
		      const char *prefix, elf_sym_cb cb, void *ctx)
{
	Elf_Data *data;
	GElf_Shdr sh;
	size_t n, plen;

	if (!prefix)
		prefix = "";
	plen = strlen(prefix);
	if (!scn || !gelf_getshdr(scn, &sh) || !sh.sh_entsize)
		return 0;
	data = elf_getdata(scn, NULL);
	if (!data)
		return 0;
	n = sh.sh_size / sh.sh_entsize;
	for (size_t i = 1; i < n; i++) {
		struct elf_sym_info info;
		const char *name;
		GElf_Sym s;
		int r;

		if (!gelf_getsym(data, (int)i, &s) || s.st_shndx == SHN_UNDEF)
			continue;
		name = elf_strptr(img->elf, sh.sh_link, s.st_name);
		if (!name || !*name || strncmp(name, prefix, plen))
			continue;
		info.value = s.st_value;
		info.size = s.st_size;
		info.type = GELF_ST_TYPE(s.st_info);
		info.in_dynsym = dyn;
		r = cb(name, &info, ctx);
		if (r)
			return r;
	}
	return 0;
}

struct find_ctx {
	const char *name;
	struct elf_sym_info *out;
};

static int find_cb(const char *name, const struct elf_sym_info *sym, void *ctx)
{
	struct find_ctx *f = ctx;

	if (strcmp(name, f->name))
		return 0;
	if (f->out)
		*f->out = *sym;
	return 1;
}

static int find_in(const struct elf_image *img, Elf_Scn *scn, int dyn,
		   const char *name, struct elf_sym_info *out)
{
	struct find_ctx f = { .name = name, .out = out };

	return walk_table(img, scn, dyn, name, find_cb, &f) == 1;
}

int elf_image__find_symbol(const struct elf_image *img, const char *name,
			   struct elf_sym_info *out)
{
	if (find_in(img, img->dynsym, 1, name, out) ||
	    find_in(img, img->symtab, 0, name, out))
		return 0;
	return -ENOENT;
}

struct dedup_ctx {
	const struct elf_image *img;
	elf_sym_cb cb;
	void *ctx;
};

/* .symtab repeats every exported name: report those once only. */
static int dedup_cb(const char *name, const struct elf_sym_info *sym, void *ctx)
{
	struct dedup_ctx *d = ctx;

	if (find_in(d->img, d->img->dynsym, 1, name, NULL))
		return 0;
	return d->cb(name, sym, d->ctx);
}

int elf_image__for_each_symbol(const struct elf_image *img, const char *prefix,
			       elf_sym_cb cb, void *ctx)
{
	struct dedup_ctx d = { .img = img, .cb = cb, .ctx = ctx };
	int r;

	r = walk_table(img, img->dynsym, 1, prefix, cb, ctx);
	if (r)
		return r;
	return walk_table(img, img->symtab, 0, prefix, dedup_cb, &d);
}

struct at_ctx {
	uint64_t vaddr;
	char *name;
	size_t namelen;
	struct elf_sym_info *out;
};

static int at_cb(const char *name, const struct elf_sym_info *sym, void *ctx)
{
	struct at_ctx *a = ctx;

	if (sym->type != STT_FUNC || a->vaddr < sym->value)
		return 0;
	if (a->vaddr - sym->value >= (sym->size ? sym->size : 1))
		return 0;
	if (a->name && a->namelen)
		snprintf(a->name, a->namelen, "%s", name);
	if (a->out)
		*a->out = *sym;
	return 1;
}

int elf_image__symbol_at(const struct elf_image *img, uint64_t vaddr,
			 char *name, size_t namelen, struct elf_sym_info *out)
{
	struct at_ctx a = { vaddr, name, namelen, out };

	/* No dedup here: it would cost a .dynsym scan per .symtab entry. */
	if (walk_table(img, img->dynsym, 1, NULL, at_cb, &a) == 1 ||
	    walk_table(img, img->symtab, 0, NULL, at_cb, &a) == 1)
		return 0;
	return -ENOENT;
}

static Elf_Scn *section_by_name(const struct elf_image *img, const char *want);

/* Entries are 16 bytes; the lazy .plt starts with a header entry. */
static int plt_index(const struct elf_image *img, uint64_t vaddr, long *idx)
{
	static const struct {
		const char *name;
		long skip;
	} kinds[] = { { ".plt.sec", 0 }, { ".plt", 1 } };

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		Elf_Scn *scn = section_by_name(img, kinds[i].name);
		GElf_Shdr sh;

		if (!scn || !gelf_getshdr(scn, &sh) || vaddr < sh.sh_addr ||
		    vaddr - sh.sh_addr >= sh.sh_size)
			continue;
		*idx = (long)((vaddr - sh.sh_addr) / 16) - kinds[i].skip;
		return *idx >= 0 ? 0 : -ENOENT;
	}
	return -ENOENT;
}

int elf_image__plt_symbol(const struct elf_image *img, uint64_t vaddr,
			  char *name, size_t namelen)
{
	Elf_Scn *rela = section_by_name(img, ".rela.plt");
	GElf_Shdr sh, dsh;
	Elf_Data *data, *syms;
	GElf_Rela r;
	GElf_Sym sym;
	const char *n;
	long idx;

	if (!rela || !img->dynsym || plt_index(img, vaddr, &idx) ||
	    !gelf_getshdr(rela, &sh) || !sh.sh_entsize ||
	    (uint64_t)idx >= sh.sh_size / sh.sh_entsize)
		return -ENOENT;
	data = elf_getdata(rela, NULL);
	syms = elf_getdata(img->dynsym, NULL);
	if (!data || !syms || !gelf_getrela(data, (int)idx, &r) ||
	    !gelf_getsym(syms, (int)GELF_R_SYM(r.r_info), &sym) ||
	    !gelf_getshdr(img->dynsym, &dsh))
		return -ENOENT;
	n = elf_strptr(img->elf, dsh.sh_link, sym.st_name);
	if (!n || !*n)
		return -ENOENT;
	snprintf(name, namelen, "%s", n);
	return 0;
}

/* The PT_LOAD whose file-backed part holds [vaddr, vaddr + len). */
static int find_load(const struct elf_image *img, uint64_t vaddr, size_t len,
		     GElf_Phdr *out)
{
	for (size_t i = 0; i < img->ehdr.e_phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(img->elf, (int)i, &ph) ||
		    ph.p_type != PT_LOAD)
			continue;
		if (vaddr < ph.p_vaddr || vaddr - ph.p_vaddr >= ph.p_filesz)
			continue;
		if (len > ph.p_filesz - (vaddr - ph.p_vaddr))
			return -EFAULT;
		*out = ph;
		return 0;
	}
	return -ENOENT;
}

int elf_image__vaddr_to_offset(const struct elf_image *img, uint64_t vaddr,
			       uint64_t *off)
{
	GElf_Phdr ph;
	int e = find_load(img, vaddr, 1, &ph);

	if (e)
		return e;
	*off = vaddr - ph.p_vaddr + ph.p_offset;
	return 0;
}

int elf_image__read(const struct elf_image *img, uint64_t vaddr, void *buf,
		    size_t len)
{
	GElf_Phdr ph;
	ssize_t n;
	int e = find_load(img, vaddr, len, &ph);

	if (e)
		return e;
	n = pread(img->fd, buf, len, (off_t)(vaddr - ph.p_vaddr + ph.p_offset));
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

int elf_image__read_function(const struct elf_image *img,
			     const struct elf_sym_info *sym, uint8_t **code)
{
	uint8_t *buf;
	int e;

	*code = NULL;
	/* A sizeless symbol cannot be disassembled safely. */
	if (!sym->size || sym->size > (64u << 20))
		return -EINVAL;
	buf = malloc(sym->size);
	if (!buf)
		return -ENOMEM;
	e = elf_image__read(img, sym->value, buf, sym->size);
	if (e) {
		free(buf);
		return e;
	}
	*code = buf;
	return 0;
}

static Elf_Scn *section_by_name(const struct elf_image *img, const char *want)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(img->elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(img->elf, img->shstrndx, sh.sh_name);
		if (name && !strcmp(name, want))
			return scn;
	}
	return NULL;
}

int elf_image__build_id(const struct elf_image *img, uint8_t *buf,
			size_t buflen)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(img->elf, scn))) {
		GElf_Shdr sh;
		GElf_Nhdr nh;
		Elf_Data *data;
		size_t off = 0, name_off, desc_off;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		while ((off = gelf_getnote(data, off, &nh, &name_off,
					   &desc_off)) > 0) {
			const char *d = data->d_buf;

			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp(d + name_off, "GNU", 4))
				continue;
			if (nh.n_descsz > buflen)
				return -ENOSPC;
			memcpy(buf, d + desc_off, nh.n_descsz);
			return (int)nh.n_descsz;
		}
	}
	return -ENOENT;
}

int elf_image__debuglink(const struct elf_image *img, char *name,
			 size_t namelen, uint32_t *crc)
{
	Elf_Scn *scn = section_by_name(img, ".gnu_debuglink");
	Elf_Data *data;
	size_t len, crc_off;
	const char *d;

	if (!scn)
		return -ENOENT;
	data = elf_getdata(scn, NULL);
	if (!data || !data->d_buf || data->d_size < 8)
		return -ENOENT;
	d = data->d_buf;
	len = strnlen(d, data->d_size);
	/* The name is padded to 4 bytes, then a little-endian CRC32. */
	crc_off = (len + 4) & ~(size_t)3;
	if (crc_off + 4 > data->d_size || len + 1 > namelen)
		return -ENOENT;
	memcpy(name, d, len + 1);
	memcpy(crc, d + crc_off, 4);
	return 0;
}

int elf_image__has_debug_info(const struct elf_image *img)
{
	Elf_Scn *scn = section_by_name(img, ".debug_info");
	GElf_Shdr sh;

	if (!scn || !gelf_getshdr(scn, &sh))
		return 0;
	return sh.sh_type != SHT_NOBITS && sh.sh_size > 0;
}
