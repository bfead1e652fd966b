/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * How users know a process: its command line (comm is only the first 15
 * bytes of the executable's name, "python" for every model) and, for a
 * process in a container, the container's id, both read from /proc.
 * The strings are raw bytes from another user's process: escape them for
 * wherever they are shown.
 */
#ifndef TTBPF_PROC_NAMES_H
#define TTBPF_PROC_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "text_escape.h"

/* Longer command lines are cut and end in "..." */
#define PROC_CMDLINE_LEN   256
#define PROC_CGROUP_LEN	   192
#define PROC_CONTAINER_LEN 65 /* a 64-hex-digit id and its NUL */

struct proc_name {
	uint32_t pid;
	bool known;			    /* false: gone before it was read */
	char cmdline[PROC_CMDLINE_LEN];	    /* arguments joined by spaces */
	char cgroup[PROC_CGROUP_LEN];	    /* the cgroup v2 path, or "" */
	char container[PROC_CONTAINER_LEN]; /* the container id, or "" */
};

/*
 * /PROC_ROOT/PID/cmdline with its NULs turned into spaces, cut to @len
 * bytes (ending in "..." when cut). Returns the length, or a negative
 * errno (-ENOENT: no such process; an empty command line, a kernel
 * thread, is 0).
 */
int proc_names__read_cmdline(const char *proc_root, uint32_t pid, char *buf,
			     size_t len);

/*
 * The container id in a cgroup path, as docker, podman, containerd and
 * kubernetes name their cgroups ("/docker/ID", "docker-ID.scope",
 * "libpod-ID.scope", "cri-containerd-ID.scope", ".../kubepods/.../ID").
 * Writes "" when the path names no container. Returns true when found.
 */
bool proc_names__container_of(const char *cgroup, char *id, size_t len);

/*
 * @n for a terminal, in at most @width bytes (0: no limit): its command
 * line, then " [container ID]" with the short id docker shows, escaped by
 * text_escape() (another user's bytes). "?" when @n is NULL or was not
 * read in time. PROC_NAME_SHOWN_LEN holds the longest.
 */
#define PROC_NAME_SHOWN_LEN TEXT_ESCAPED_LEN(PROC_CMDLINE_LEN + 32)
const char *proc_name__terminal(const struct proc_name *n, size_t width,
				char *buf, size_t len);

/*
 * The names of processes, each read once, at first sight: a process that
 * exited later keeps the name it had then. A cache lives as long as its
 * owner needs the names of exited processes (the trace), or for one
 * screen (top, which must not keep a reused pid's old name).
 */
struct proc_names {
	const char *proc_root; /* "/proc" */
	struct proc_name *v;
	size_t n, cap;
};

void proc_names__init(struct proc_names *pn, const char *proc_root);
/* The name of @pid, read from /proc now if never seen; NULL on ENOMEM.
 * A process already gone is returned with known false. */
const struct proc_name *proc_names__get(struct proc_names *pn, uint32_t pid);
/* Name @pid from argv bytes read elsewhere (@n bytes, NUL-separated; @cut:
 * the line was longer), unless already named. NULL on ENOMEM. */
const struct proc_name *proc_names__put_args(struct proc_names *pn,
					     uint32_t pid, const char *args,
					     size_t n, bool cut);
/* Only what is already known: never reads /proc. */
const struct proc_name *proc_names__find(const struct proc_names *pn,
					 uint32_t pid);
void proc_names__clear(struct proc_names *pn);

#endif /* TTBPF_PROC_NAMES_H */
