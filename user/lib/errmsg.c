// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "errmsg.h"
#include "text_escape.h"

int errmsg_set(char *err, size_t errlen, int code, const char *fmt, ...)
{
	char *raw = NULL;
	va_list ap;
	int n;

	if (!err || !errlen)
		return code;
	/* Messages quote paths and names other users chose: every one is
	 * made terminal-safe here, once, whoever prints it. */
	va_start(ap, fmt);
	n = vasprintf(&raw, fmt, ap);
	va_end(ap);
	if (n < 0) {
		snprintf(err, errlen, "out of memory (formatting an error)");
		return code;
	}
	text_escape(raw, SIZE_MAX, err, errlen);
	free(raw);
	return code;
}
