/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The CPython interpreter a process runs, found from /proc/PID/maps, and
 * the offsets the BPF capture (bpf/pyframes.bpf.h) and the resolver
 * (pysymbolize.h) need: where the thread's PyThreadState hangs (the
 * interpreter's pthread key, from the code of
 * PyGILState_GetThisThreadState; glibc's key slots, from the code of
 * pthread_getspecific), and the frame and code object layout
 * (_Py_DebugOffsets in 3.13, else a table per version). Every offset says
 * where it came from, for --explain.
 */
#ifndef TTBPF_PYFRAMES_USER_H
#define TTBPF_PYFRAMES_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ttbpf_py.h"

/* Code object and string layout, for resolving frames in user space. */
struct py_code_layout {
	int32_t co_filename;
	int32_t co_name; /* co_qualname where the version has it */
	int32_t co_firstlineno;
	int32_t co_linetable;
	int32_t co_code_adaptive; /* -1 before 3.11: instr is f_lasti */
	int32_t ascii_data;	  /* sizeof(PyASCIIObject) */
	int32_t compact_data;	  /* sizeof(PyCompactUnicodeObject) */
};

struct py_target {
	uint32_t version;   /* 0x030a for 3.10 */
	uint64_t code_type; /* runtime address of PyCode_Type */
	struct py_code_layout code;
	struct ttbpf_py_proc bpf; /* what the BPF side reads */
	char interp[512];	  /* the file holding _PyRuntime */
	uint32_t tss_off;	  /* autoTSSkey in _PyRuntime */
	const char *layout_src;	  /* where frame and code offsets came from */
	const char *tss_src;	  /* where the pthread key came from */
	const char *libc_src;	  /* where glibc's key slots came from */
};

/*
 * Inspect process @pid under @proc_root ("/proc"). Returns 0, -ENOENT when
 * it runs no CPython, -ENOTSUP for a version without a layout (message in
 * @err), or another negative errno.
 */
int pyframes__inspect(const char *proc_root, uint32_t pid,
		      struct py_target *out, char *err, size_t errlen);

/* The layout of @version from the built-in table; -ENOTSUP if none. */
int pyframes__builtin(uint32_t version, struct py_target *out);

/*
 * For --explain: where the offsets of each process that runs a CPython and
 * maps a TT-Metal library (only @pid when non-zero, mapping or not) come
 * from, to @f. Returns how many processes were described.
 */
int pyframes__explain(FILE *f, const char *proc_root, uint32_t pid);

/* Register every pid the BPF side queued in @unseen_fd; returns how many. */
int pyframes__register_unseen(int unseen_fd, int procs_fd, int verbose);

/* What pyframes__register_exec and pyframes__learn_key found. */
enum {
	PY_EXEC_GONE = -1,  /* no interpreter to wait for: stop */
	PY_EXEC_RETRY = 0,  /* not mapped yet: try again soon */
	PY_EXEC_DONE = 1,   /* registered, pthread key known */
	PY_EXEC_NO_KEY = 2, /* registered; BPF reads the key each time until
			     * pyframes__learn_key finds it initialised */
};

/*
 * Register @pid, which has just exec'd a file named python*, once its
 * interpreter (and libc) are mapped: until then PY_EXEC_RETRY, and no
 * verdict is written. With @last_try, a guessed libc is accepted.
 */
int pyframes__register_exec(int procs_fd, uint32_t pid, bool last_try,
			    int verbose);

/* Give BPF @pid's pthread key once the interpreter created it. */
int pyframes__learn_key(int procs_fd, uint32_t pid);

/* Register the running processes (only @pid when non-zero) that run a
 * CPython, so that their first allocation already has frames. */
void pyframes__register_running(int procs_fd, uint32_t pid, int verbose);

#endif /* TTBPF_PYFRAMES_USER_H */
