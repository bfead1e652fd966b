/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The tracer's Python inspector: a thread of its own that registers a
 * process with the BPF side (pyframes.h) as soon as BPF names it on the
 * py_wake ring, whatever the tracer's event loop is busy with. A process
 * that exec'd an interpreter is inspected once the interpreter is mapped,
 * before it can run a line of Python, so its first allocation already has
 * frames; one that allocated unknown (forked, or an interpreter not named
 * python*) is inspected at once, its first allocations marked "not
 * inspected yet" meanwhile.
 */
#ifndef TTBPF_PY_INSPECTOR_H
#define TTBPF_PY_INSPECTOR_H

struct py_inspector;

/*
 * Start the thread on the maps py_wake (@wake_fd), py_unseen and
 * py_procs. Returns NULL with errno set when it cannot start.
 */
struct py_inspector *py_inspector__start(int wake_fd, int unseen_fd,
					 int procs_fd, int verbose);
/* Stop the thread (within its 50 ms poll) and free it; NULL is fine. */
void py_inspector__stop(struct py_inspector *pi);

#endif /* TTBPF_PY_INSPECTOR_H */
