/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Device memory capacity per buffer type, so that usage can be shown
 * against a total. Only numbers with a source are used: the built-in table
 * of a named architecture, or what the user passes with --capacity. When
 * neither is known the tools show no capacity at all.
 */
#ifndef TTBPF_CAPACITY_H
#define TTBPF_CAPACITY_H

#include <stddef.h>
#include <stdint.h>

#include "ttbpf.h"

struct capacity {
	uint64_t bytes[TTBPF_NR_TYPES]; /* per chip; 0: unknown */
	char arch[32];			/* table used, "" if none */
};

/* "wormhole_b0|blackhole|grayskull", for --help and error messages. */
const char *capacity__arch_names(void);

/*
 * Fill @c from the built-in table for @arch (per chip, DRAM and L1 only:
 * L1_SMALL and TRACE are carved out by the application's config and stay
 * unknown). Returns 0 or -ENOENT for an unknown name.
 */
int capacity__for_arch(const char *arch, struct capacity *c);

/*
 * Apply "TYPE=BYTES[,TYPE=BYTES...]" on top of @c. BYTES is a decimal
 * number with an optional binary suffix (K, M, G, T, KiB, MiB, GiB, TiB).
 * Returns 0 or -EINVAL, leaving @c untouched on error.
 */
int capacity__parse(const char *spec, struct capacity *c);

/*
 * Find the architecture of the Tenstorrent PCI devices under
 * @sysfs_root/bus/pci/devices ("/sys" normally). Returns 0 with @arch
 * filled, -ENOENT when there is none, -ENOTUNIQ for a mix of
 * architectures.
 */
int capacity__detect_arch(const char *sysfs_root, char *arch, size_t len);

/*
 * What the tools' --arch, --capacity and detection give, in that order of
 * strength: @arch's table (or the detected architecture's when @arch is
 * NULL), then @spec on top. Returns 0, or -EINVAL with a one-line cause
 * and hint in @msg.
 */
int capacity__from_options(const char *arch, const char *spec,
			   const char *sysfs_root, struct capacity *c,
			   char *msg, size_t msglen);

#endif /* TTBPF_CAPACITY_H */
