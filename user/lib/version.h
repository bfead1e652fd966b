/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What --version prints, the same for every tool: the release, the git
 * revision and the hash of the BPF object the build embedded (both baked in
 * at build time), and the libbpf the binary runs with.
 */
#ifndef TTBPF_VERSION_H
#define TTBPF_VERSION_H

#include <stddef.h>
#include <stdio.h>

struct argp_state;

/* The release, e.g. "0.1.0". */
const char *version__release(void);

/*
 * "@prog RELEASE\ngit revision ...\nBPF object ...\nlibbpf ...\n" into
 * @buf. Returns the length snprintf() would have written.
 */
int version__format(const char *prog, char *buf, size_t len);

/*
 * argp_program_version_hook of every tool: prints version__format() for
 * the program argp names, on @stream.
 */
void version__argp_hook(FILE *stream, struct argp_state *state);

#endif /* TTBPF_VERSION_H */
