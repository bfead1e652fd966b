// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "reader_args.h"

#include "maps.h"

enum {
	OPT_ARCH = 0x200,
	OPT_CAPACITY,
	OPT_LIB,
	OPT_LAYOUT,
	OPT_PIN_DIR,
	OPT_SYSFS_ROOT,
};

static const struct argp_option options[] = {
	{ "arch", OPT_ARCH, "ARCH", 0,
	  "Capacities of this architecture: wormhole_b0, blackhole, "
	  "grayskull (default: detected from the PCI devices, else none)",
	  0 },
	{ "capacity", OPT_CAPACITY, "TYPE=BYTES,...", 0,
	  "Capacity per chip, e.g. DRAM=12G,L1_SMALL=64K (overrides --arch)",
	  0 },
	{ "lib", OPT_LIB, "PATH", 0,
	  "libtt_metal.so to attach to when nothing is pinned (repeatable)",
	  0 },
	{ "layout", OPT_LAYOUT, "KEY=OFF,...", 0,
	  "Layout override when attaching (see ttbpf-trace --help)", 0 },
	{ "pin-dir", OPT_PIN_DIR, "DIR", 0,
	  "Where the maps are pinned (default " TTBPF_PIN_DIR ")", 0 },
	{ "sysfs-root", OPT_SYSFS_ROOT, "DIR", OPTION_HIDDEN, "sysfs root", 0 },
	{ "verbose", 'v', NULL, 0, "libbpf logs when attaching", 0 },
	{},
};

void reader_args__init(struct reader_args *r)
{
	*r = (struct reader_args){
		.pin_dir = TTBPF_PIN_DIR,
		.sysfs_root = "/sys",
	};
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct reader_args *r = state->input;

	switch (key) {
	case OPT_ARCH:
		r->arch = arg;
		break;
	case OPT_CAPACITY:
		r->capacity = arg;
		break;
	case OPT_LIB:
		if (r->n_libs >= TTBPF_MAX_LIBS)
			argp_error(state, "at most %d --lib", TTBPF_MAX_LIBS);
		r->libs[r->n_libs++] = arg;
		break;
	case OPT_LAYOUT:
		r->layout = arg;
		break;
	case OPT_PIN_DIR:
		r->pin_dir = arg;
		break;
	case OPT_SYSFS_ROOT:
		r->sysfs_root = arg;
		break;
	case 'v':
		r->verbose++;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp reader_args__argp = { options, parse_opt, NULL, NULL,
					NULL,	 NULL,	    NULL };
