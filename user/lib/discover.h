/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Finding libtt_metal.so (and the libstdc++ it throws through) in the
 * memory maps of running processes, when the user gave no --lib.
 */
#ifndef TTBPF_DISCOVER_H
#define TTBPF_DISCOVER_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

struct found_lib {
	char path[PATH_MAX];  /* openable from here: via /proc/PID/root */
	char shown[PATH_MAX]; /* as the process sees it */
	pid_t pid;	      /* first process seen mapping it */
	dev_t dev;
	ino_t ino;
};

/*
 * Scan @proc_root (normally "/proc") for mappings whose file name is
 * @basename. Distinct files (by device and inode) go to @out, at most
 * @max. Returns how many were found, or a negative errno.
 */
int discover_mapped_libs(const char *proc_root, const char *basename,
			 struct found_lib *out, size_t max);

/*
 * The files holding TT-Metal's allocator in running processes: every
 * libtt_metal.so, or, for ttnn wheels before 0.62 that link TT-Metal into
 * the Python extension, _ttnncpp.so. Same contract as above.
 */
int discover_tt_libs(const char *proc_root, struct found_lib *out, size_t max);

/*
 * Candidate libstdc++ copies for __cxa_throw probes: the ones mapped by
 * processes, plus the system's. Same contract as above.
 */
int discover_libstdcxx(const char *proc_root, struct found_lib *out,
		       size_t max);

/*
 * Processes that map the file @dev/@ino (named @basename) right now: they were running
 * before tracing began, so what they allocated earlier is unknown to us.
 * Fills @pids (at most @max) and returns the count or a negative errno.
 */
int discover_pids_mapping(const char *proc_root, const char *basename,
			  dev_t dev, ino_t ino, pid_t *pids, size_t max);

/*
 * A --lib @path that does not exist here may exist in the mount namespace
 * of a process that maps it (a container, `unshare -m`). Find such a
 * process (only @pid if it is not 0) whose root holds @path as a regular
 * file and, if there is one, replace @err with a cause naming the
 * @proc_root/PID/root@path that reaches it from here. Returns @code.
 */
int discover_explain_missing(const char *proc_root, const char *path, pid_t pid,
			     int code, char *err, size_t errlen);

/*
 * A path as /proc/PID/maps writes it, with the kernel's "\012" for a
 * newline turned back into one, into @out (@len bytes, NUL-terminated,
 * cut if short). Returns the length written.
 */
size_t discover_unescape_maps_path(const char *raw, char *out, size_t len);

#endif /* TTBPF_DISCOVER_H */
