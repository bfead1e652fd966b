// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A whole library file through tt_lib_analyze: ELF headers, symbols,
 * program headers, DWARF and the disassembly of what they point at. The
 * bytes go to a memfd and are analysed through /proc/self/fd/N.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tt_lib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tt_lib_info info; /* ~10 KiB: not on the stack */
	static FILE *devnull;
	char path[64], err[256];
	int fd;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	fd = memfd_create("fuzz_elf", 0);
	if (fd < 0)
		abort();
	if (write_all(fd, data, size))
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	/* No debug root: separate debug files of this host stay out. */
	memset(&info, 0, sizeof(info));
	if (!tt_lib_analyze_at(path, NULL, "/nonexistent-fuzz-debug", &info,
			       err, sizeof(err)) &&
	    devnull)
		tt_lib_explain(&info, devnull);
	close(fd);
	return 0;
}
