/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Files root writes where another user may have been first (--record,
 * ttbpf-report -o, often in /tmp): never through a link, never over a
 * file that is not ours.
 */
#ifndef TTBPF_OUT_FILE_H
#define TTBPF_OUT_FILE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Create @path, mode 0600, with O_CREAT|O_EXCL|O_NOFOLLOW and return a
 * write descriptor. When it exists: refused, unless @force and it is a
 * regular file of ours with one link, which is then truncated through
 * the descriptor (never through a link). Refused as well in a directory
 * others can write without the sticky bit (they could swap the file).
 * Returns the fd, or a negative errno with a one-line cause in @err.
 */
int out_file__create(const char *path, bool force, char *err, size_t errlen);

/*
 * Remove @path if it is a regular file of ours (for --force: stale
 * siblings such as FILE.db-wal). 0 when removed or absent, else a
 * negative errno with a one-line cause in @err.
 */
int out_file__remove_own(const char *path, char *err, size_t errlen);

#endif /* TTBPF_OUT_FILE_H */
