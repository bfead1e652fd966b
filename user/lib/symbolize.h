/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * User-space addresses of a live process -> function names, with libdw's
 * dwfl reading the process's mappings and the ELF symbol tables. C++ names
 * come out demangled. One dwfl per pid is cached: a stack of a process
 * that exited cannot be resolved any more (its frames stay "0x...").
 */
#ifndef TTBPF_SYMBOLIZE_H
#define TTBPF_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

struct symbolizer;

struct sym_frame {
	uint64_t ip;
	uint64_t offset;  /* ip - symbol start, when resolved */
	char name[512];	  /* demangled function; "" when unresolved */
	char module[128]; /* basename of the mapped file; "" if unknown */
};

/* @proc_root: "/proc" normally; tests may point elsewhere. */
struct symbolizer *symbolizer__new(const char *proc_root);
void symbolizer__free(struct symbolizer *s);

/*
 * Resolve @ip in process @pid. Returns 0 with the name filled, -ENOENT
 * when no symbol covers it (module may still be known), -ESRCH when the
 * process is gone. @out->ip is always set.
 */
int symbolizer__resolve(struct symbolizer *s, uint32_t pid, uint64_t ip,
			struct sym_frame *out);

/* Forget the cached mappings of @pid (it exec'd or exited). */
void symbolizer__forget(struct symbolizer *s, uint32_t pid);

/*
 * Demangle an Itanium C++ name into @buf. Returns @buf, or @name itself
 * when it is not mangled or cannot be demangled.
 */
const char *symbolize_demangle(const char *name, char *buf, size_t len);

/* The frame as text: "name", or "0x7f...(module+0x...)" when unresolved. */
const char *sym_frame__label(const struct sym_frame *f, char *buf, size_t len);

#endif /* TTBPF_SYMBOLIZE_H */
