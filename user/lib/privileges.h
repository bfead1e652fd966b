/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Checks that turn "Operation not permitted" into a cause and a hint. */
#ifndef TTBPF_PRIVILEGES_H
#define TTBPF_PRIVILEGES_H

#include <stddef.h>

/* 0 when we may load BPF and attach uprobes, else -EPERM and a hint. */
int privileges_check(char *err, size_t errlen);

/*
 * Make sure the bpffs that will hold @pin_dir is mounted (mounting it at
 * /sys/fs/bpf if nothing is there). 0, or a negative errno and a hint.
 */
int bpffs_ensure(const char *pin_dir, char *err, size_t errlen);

#endif /* TTBPF_PRIVILEGES_H */
