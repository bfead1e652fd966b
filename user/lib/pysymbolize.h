/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Python frames (code object, instruction) -> file, function and line,
 * read from the live process's memory with process_vm_readv. Per pid the
 * interpreter is inspected once (pyframes.h); per code object its names
 * and line table are read once. A code object that is gone by now (its
 * memory freed or reused) is reported as such, never guessed.
 */
#ifndef TTBPF_PYSYMBOLIZE_H
#define TTBPF_PYSYMBOLIZE_H

#include <stdint.h>

#include "ttbpf_py.h"

struct pysymbolizer;

enum py_frame_status {
	PY_FRAME_OK = 0,
	PY_FRAME_GONE,	  /* not a code object any more */
	PY_FRAME_NO_PROC, /* process exited or unreadable */
	PY_FRAME_NO_LINE, /* names known, no line for the instruction */
	PY_FRAME_NONE,	  /* not a frame: function holds a note */
};

struct py_frame {
	enum py_frame_status status;
	int line; /* 0 when unknown */
	char function[256];
	char file[512];
};

struct pysymbolizer *pysymbolizer__new(const char *proc_root);
void pysymbolizer__free(struct pysymbolizer *s);

/* Drop what is known of @pid: it exited or ran exec, and the pid may be
 * reused by another program. */
void pysymbolizer__forget(struct pysymbolizer *s, uint32_t pid);

/* Resolve one frame of @st (index @i) of process @pid. */
void pysymbolizer__resolve(struct pysymbolizer *s, uint32_t pid,
			   const struct ttbpf_py_stack *st, uint32_t i,
			   struct py_frame *out);

/* 1 when @pid runs a CPython whose frames can be read. */
int pysymbolizer__is_python(struct pysymbolizer *s, uint32_t pid);

/* "function (file:line)", or what is known. */
const char *py_frame__label(const struct py_frame *f, char *buf, size_t len);
struct json_writer;
/* {"function", "file", "line"}; what is unknown is null, with a "note". */
void py_frame__json(struct json_writer *w, const struct py_frame *f);

/* Why a buffer has no Python stack, for a TTBPF_PY_* id; NULL for ids
 * that need no word (a stack, or not a Python process). */
const char *py_stack_note(int32_t py_stack_id);

/* Line of code unit @lasti in a line table (exposed for unit tests). */
int py_linetable_line(uint32_t version, const uint8_t *tab, size_t len,
		      int firstlineno, int64_t lasti);

#endif /* TTBPF_PYSYMBOLIZE_H */
