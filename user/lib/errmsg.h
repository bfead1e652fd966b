/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The one way errors leave the library: a negative errno and one line. */
#ifndef TTBPF_ERRMSG_H
#define TTBPF_ERRMSG_H

#include <stddef.h>

/*
 * Format the cause (with a hint) into @err, if any, and return @code. The
 * message is terminal-safe (text_escape.h): paths and names in it may
 * come from other users.
 */
int errmsg_set(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* TTBPF_ERRMSG_H */
