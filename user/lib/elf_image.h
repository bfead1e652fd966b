/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One 64-bit x86-64 ELF file opened with libelf: symbols, the mapping of
 * virtual addresses to file offsets (what uprobes attach to), function
 * bytes, build-id and debug link.
 */
#ifndef TTBPF_ELF_IMAGE_H
#define TTBPF_ELF_IMAGE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

struct elf_image;

/*
 * Errors of elf_image__open() besides the system's own (-ENOENT, -EISDIR,
 * -EACCES, ...). The message in @err always names the cause.
 */
#define ELF_IMAGE_ENOTELF    (-ENOEXEC)	   /* no ELF magic */
#define ELF_IMAGE_EWRONGKIND (-ENOTSUP)	   /* 32-bit, big-endian, ET_REL */
#define ELF_IMAGE_EMACHINE   (-EPROTOTYPE) /* not x86-64 */
#define ELF_IMAGE_ETRUNC     (-ELIBBAD)	   /* headers past end of file */

struct elf_sym_info {
	uint64_t value; /* st_value: virtual address for functions */
	uint64_t size;
	int type;      /* STT_FUNC, STT_OBJECT, ... */
	int in_dynsym; /* found in .dynsym (else .symtab) */
};

/*
 * Open @path; it must be a 64-bit little-endian x86-64 ET_DYN or ET_EXEC
 * file. Returns 0, or a negative errno with the cause in @err.
 */
int elf_image__open(const char *path, struct elf_image **out, char *err,
		    size_t errlen);
void elf_image__close(struct elf_image *img);

const char *elf_image__path(const struct elf_image *img);
int elf_image__fd(const struct elf_image *img);

/* Defined symbol named exactly @name (.dynsym first); -ENOENT if none. */
int elf_image__find_symbol(const struct elf_image *img, const char *name,
			   struct elf_sym_info *out);

/*
 * Call @cb for each defined symbol whose name starts with @prefix (both
 * tables; a name present in both is reported once, from .dynsym). Stops
 * and returns @cb's value when it is non-zero.
 */
typedef int (*elf_sym_cb)(const char *name, const struct elf_sym_info *sym,
			  void *ctx);
int elf_image__for_each_symbol(const struct elf_image *img, const char *prefix,
			       elf_sym_cb cb, void *ctx);

/*
 * The function symbol covering @vaddr (a sizeless one only at its start),
 * its name copied to @name; -ENOENT when none (stripped file).
 */
int elf_image__symbol_at(const struct elf_image *img, uint64_t vaddr,
			 char *name, size_t namelen, struct elf_sym_info *out);

/*
 * The function a PLT entry at @vaddr jumps to, from .rela.plt (lazy .plt
 * with its header entry, or .plt.sec); -ENOENT when not a PLT entry.
 */
int elf_image__plt_symbol(const struct elf_image *img, uint64_t vaddr,
			  char *name, size_t namelen);

/* File offset of @vaddr through the PT_LOAD headers; -ENOENT if unmapped. */
int elf_image__vaddr_to_offset(const struct elf_image *img, uint64_t vaddr,
			       uint64_t *off);

/* Copy @len file-backed bytes at @vaddr into @buf; -ENOENT/-EFAULT. */
int elf_image__read(const struct elf_image *img, uint64_t vaddr, void *buf,
		    size_t len);

/* Bytes of a function: malloc'ed copy of [value, value+size) in *@code. */
int elf_image__read_function(const struct elf_image *img,
			     const struct elf_sym_info *sym, uint8_t **code);

/* NT_GNU_BUILD_ID bytes; returns the length, or -ENOENT / -ENOSPC. */
int elf_image__build_id(const struct elf_image *img, uint8_t *buf,
			size_t buflen);

/* .gnu_debuglink file name and CRC32; -ENOENT when absent. */
int elf_image__debuglink(const struct elf_image *img, char *name,
			 size_t namelen, uint32_t *crc);

/* 1 when the file itself carries a non-empty .debug_info section. */
int elf_image__has_debug_info(const struct elf_image *img);

#endif /* TTBPF_ELF_IMAGE_H */
