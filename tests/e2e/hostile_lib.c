// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What a hostile local user can put in front of root's terminal, built by
 * tests/e2e/test_untrusted.sh and preloaded into a stand-in workload: it
 * names the process with escape sequences (retitle the terminal, clear the
 * screen) and puts a frame whose symbol is the same bytes on every
 * allocation stack, between the workload and ttsim::create_buffer.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define HOSTILE "\033]0;pwned\007\033[2J"
#define CREATE	"_ZN5ttsim13create_bufferEPNS_6deviceEiimm"

typedef void *(*create_fn)(void *, int, int, unsigned long, unsigned long);

/* Protected: exported, yet called directly (no PLT entry to name). */
__attribute__((visibility("protected"))) void *
hostile_frame(void *d, int a, int b, unsigned long c,
	      unsigned long e) __asm__("\"" HOSTILE "\"");

__attribute__((visibility("protected"), noinline)) void *
hostile_frame(void *d, int a, int b, unsigned long c, unsigned long e)
{
	create_fn real = (create_fn)dlsym(RTLD_NEXT, CREATE);
	void *r = real(d, a, b, c, e);

	__asm__ volatile("" ::: "memory"); /* a frame, not a tail call */
	return r;
}

/* ttsim::create_buffer(device*, int, int, unsigned long, unsigned long) */
void *_ZN5ttsim13create_bufferEPNS_6deviceEiimm(void *d, int a, int b,
						unsigned long c,
						unsigned long e)
{
	void *r = hostile_frame(d, a, b, c, e);

	__asm__ volatile("" ::: "memory");
	return r;
}

__attribute__((constructor)) static void rename_self(void)
{
	int fd = open("/proc/self/comm", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, HOSTILE, strlen(HOSTILE)) < 0)
		_exit(111);
	close(fd);
}
