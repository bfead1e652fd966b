/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Opening a file other users may have put in our way (a --lib path, a
 * library found in another process's maps, its debug file) without being
 * stalled by it: a FIFO would block open() forever, a device could act on
 * being opened.
 */
#ifndef TTBPF_FILE_OPEN_H
#define TTBPF_FILE_OPEN_H

#include <sys/stat.h>

/*
 * Open @path read-only if it is a regular file: stat() first and refuse
 * anything else before open(); open without blocking or taking a
 * terminal; then fstat() and check it is still the same regular file
 * (a name swapped in between is refused too). Symlinks are followed:
 * libraries are often reached through one, and the checks apply to what
 * was opened. Returns the fd (close-on-exec) and fills @st; or -ENOENT
 * and friends from stat/open, -EISDIR for a directory, -EINVAL for other
 * non-regular files (@st then says which), -ESTALE when the file changed.
 */
int file_open_regular(const char *path, struct stat *st);

/* "a FIFO", "a socket", "a device", "a directory" or "not a regular file". */
const char *file_kind_name(mode_t mode);

#endif /* TTBPF_FILE_OPEN_H */
