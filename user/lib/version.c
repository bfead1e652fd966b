// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <argp.h>
#include <errno.h>
#include <stdio.h>

#include <bpf/libbpf.h>

#include "version.h"
#include "version_info.h" /* generated: tools/packaging/gen-version.sh */

const char *version__release(void)
{
	return TTBPF_VERSION;
}

int version__format(const char *prog, char *buf, size_t len)
{
	/* libbpf's version is asked at run time: a dynamically linked tool
	 * runs with whatever libbpf the host has, not the one it was built
	 * against. */
	return snprintf(buf, len,
			"%s %s\n"
			"git revision: %s\n"
			"BPF object: sha256 %s, %s bytes\n"
			"libbpf: %u.%u\n",
			prog, TTBPF_VERSION, TTBPF_GIT_REVISION,
			TTBPF_BPF_SHA256, TTBPF_BPF_SIZE,
			libbpf_major_version(), libbpf_minor_version());
}

void version__argp_hook(FILE *stream, struct argp_state *state)
{
	char buf[512];

	version__format(state && state->name ? state->name
					     : program_invocation_short_name,
			buf, sizeof(buf));
	fputs(buf, stream);
}
