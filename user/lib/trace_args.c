// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "trace_args.h"

static const char doc[] =
	"Trace Tenstorrent device memory allocations of every process using "
	"libtt_metal.so, live, without changing TT-Metal.\n"
	"\n"
	"USAGE: ttbpf-trace [--lib PATH]... [-p PID] [-d DEV] [--json] "
	"[--pin] [-- CMD ARGS]\n"
	"\n"
	"EXAMPLES:\n"
	"  sudo ttbpf-trace --lib build/lib/libtt_metal.so   # all processes\n"
	"  sudo ttbpf-trace                     # find the library in running "
	"processes\n"
	"  sudo ttbpf-trace -- python model.py  # trace one command, print a "
	"summary\n"
	"  sudo ttbpf-trace --json -d 0         # JSON lines for device 0\n"
	"  ttbpf-trace --explain --lib libtt_metal.so  # symbols and layout, "
	"attach nothing\n"
	"  sudo ttbpf-trace --pin --lib ... & ttbpf-top  # keep maps for the "
	"other tools\n"
	"\n"
	"LIMITS (each counted and warned about when reached, never silent):\n"
	"  --max-buffers  outstanding buffers (default 262144); beyond it\n"
	"                 allocations are not recorded, totals flagged\n"
	"  --max-devices  (device, chip|mesh) rows (default 4096); when full,\n"
	"                 rows that hold nothing are evicted to make room\n"
	"  --max-procs    (process, device) rows (default 8192); rows of\n"
	"                 exited processes are deleted, idle ones evicted\n"
	"  --max-stacks   distinct allocation stacks (default 16384); when\n"
	"                 full, stacks of exited processes are evicted\n"
	"  fixed: 16 libraries; 32 frames per stack; a 4 MiB event ring\n"
	"         (dropped events are counted)\n";

enum {
	OPT_LIB = 'l',
	OPT_PID = 'p',
	OPT_DEV = 'd',
	OPT_INTERVAL = 'i',
	OPT_VERBOSE = 'v',
	OPT_QUIET = 'q',
	OPT_JSON = 0x100,
	OPT_EXPLAIN,
	OPT_PIN,
	OPT_UNPIN,
	OPT_LAYOUT,
	OPT_NO_STACKS,
	OPT_NO_PYTHON,
	OPT_PYTHON_FRAMES,
	OPT_MAX_BUFFERS,
	OPT_PIN_DIR,
	OPT_MAX_DEVICES,
	OPT_MAX_PROCS,
	OPT_MAX_STACKS,
	OPT_RECORD,
	OPT_RECORD_MAX,
	OPT_FORCE,
};

static const struct argp_option options[] = {
	{ "lib", OPT_LIB, "PATH", 0,
	  "libtt_metal.so to trace (repeatable); default: the copies mapped "
	  "by running processes",
	  0 },
	{ "pid", OPT_PID, "PID", 0, "Only this process", 0 },
	{ "device", OPT_DEV, "DEV", 0, "Only show this device id", 0 },
	{ "json", OPT_JSON, NULL, 0, "One JSON object per event", 0 },
	{ "explain", OPT_EXPLAIN, NULL, 0,
	  "Print symbols, probe sites and layout with their sources; attach "
	  "nothing",
	  0 },
	{ "layout", OPT_LAYOUT, "KEY=OFF,...", 0,
	  "Override layout offsets (keys: impl device size type address "
	  "page_size device_id mesh_id device_vtable mesh_vtable)",
	  0 },
	{ "pin", OPT_PIN, NULL, 0,
	  "Keep probes and maps pinned under /sys/fs/bpf/ttbpf after exit "
	  "(a new directory of root's, mode 0700; one planted by another "
	  "user is refused)",
	  0 },
	{ "unpin", OPT_UNPIN, NULL, 0,
	  "Remove what --pin left, and exit: 0 also when nothing was pinned; 1 "
	  "when it refused or failed, or probes stay attached that no running "
	  "tracer holds",
	  0 },
	{ "interval", OPT_INTERVAL, "MS", 0,
	  "Print per-device usage every MS milliseconds (0: never; default "
	  "1000)",
	  0 },
	{ "quiet", OPT_QUIET, NULL, 0, "No per-event lines, usage only", 0 },
	{ "no-stacks", OPT_NO_STACKS, NULL, 0,
	  "Do not record allocation call stacks (cheaper)", 0 },
	{ "no-python", OPT_NO_PYTHON, NULL, 0,
	  "Do not record the Python frames of allocations (cheaper)", 0 },
	{ "python-frames", OPT_PYTHON_FRAMES, NULL, 0,
	  "With --json: alloc events carry their Python frames, resolved "
	  "as they are read",
	  0 },
	{ "max-buffers", OPT_MAX_BUFFERS, "N", 0,
	  "Outstanding buffers the maps can hold (default 262144, 136 B of "
	  "kernel memory each, about 50 more for the release index)",
	  0 },
	{ "max-devices", OPT_MAX_DEVICES, "N", 0,
	  "Device rows the maps can hold (default 4096; a Galaxy host has 32 "
	  "chips, meshes add one per mesh id)",
	  0 },
	{ "max-procs", OPT_MAX_PROCS, "N", 0,
	  "(process, device) rows the maps can hold (default 8192)", 0 },
	{ "max-stacks", OPT_MAX_STACKS, "N", 0,
	  "Distinct allocation stacks the maps can hold (default 16384, "
	  "264 B each)",
	  0 },
	{ "pin-dir", OPT_PIN_DIR, "DIR", 0,
	  "Absolute bpffs path for --pin/--unpin instead of /sys/fs/bpf/ttbpf "
	  "(same checks)",
	  0 },
	{ "record", OPT_RECORD, "FILE.db", 0,
	  "Also write events and usage samples (every --interval, 1 s when "
	  "0) to this SQLite file, created new (see the README for the "
	  "schema)",
	  0 },
	{ "record-max", OPT_RECORD_MAX, "MIB", 0,
	  "Stop recording (and say so) when FILE.db reaches MIB MiB "
	  "(default 1024)",
	  0 },
	{ "force", OPT_FORCE, NULL, 0,
	  "--record may replace an existing regular file of yours", 0 },
	{ "verbose", OPT_VERBOSE, NULL, 0, "libbpf logs (twice: debug)", 0 },
	{},
};

/* --max-devices, --max-procs, --max-stacks: entries of one map. */
static error_t parse_map_size(struct argp_state *state, int key,
			      const char *arg, struct trace_args *a)
{
	unsigned int *dst = key == OPT_MAX_DEVICES ? &a->max_devices
			    : key == OPT_MAX_PROCS ? &a->max_procs
						   : &a->max_stacks;
	const char *name = key == OPT_MAX_DEVICES ? "devices"
			   : key == OPT_MAX_PROCS ? "procs"
						  : "stacks";
	uint64_t v;

	if (format_parse_u64(arg, 1U << 20, &v) || v < 16) {
		argp_error(state, "invalid --max-%s: %s (16 .. 1048576)", name,
			   arg);
		return EINVAL;
	}
	*dst = (unsigned int)v;
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct trace_args *a = state->input;
	uint64_t v;

	switch (key) {
	case OPT_LIB:
		if (a->n_libs >= TTBPF_MAX_LIBS) {
			argp_error(state, "at most %d --lib", TTBPF_MAX_LIBS);
			return EINVAL;
		}
		a->libs[a->n_libs++] = arg;
		break;
	case OPT_PID:
		if (format_parse_u64(arg, 0x3fffffff, &v) || !v) {
			argp_error(state, "invalid PID: %s", arg);
			return EINVAL;
		}
		a->pid = (pid_t)v;
		break;
	case OPT_DEV:
		if (format_parse_u64(arg, 0x7fffffff, &v)) {
			argp_error(state, "invalid device id: %s", arg);
			return EINVAL;
		}
		a->device = (int)v;
		break;
	case OPT_INTERVAL:
		if (format_parse_u64(arg, 3600000, &v)) {
			argp_error(state, "invalid interval: %s", arg);
			return EINVAL;
		}
		a->interval_ms = (unsigned int)v;
		break;
	case OPT_MAX_BUFFERS:
		if (format_parse_u64(arg, 1U << 26, &v) || v < 1024) {
			argp_error(
				state,
				"invalid --max-buffers: %s (1024 .. 67108864)",
				arg);
			return EINVAL;
		}
		a->max_buffers = (unsigned int)v;
		break;
	case OPT_MAX_DEVICES:
	case OPT_MAX_PROCS:
	case OPT_MAX_STACKS:
		return parse_map_size(state, key, arg, a);
	case OPT_JSON:
		a->json = true;
		break;
	case OPT_EXPLAIN:
		a->explain = true;
		break;
	case OPT_LAYOUT:
		a->layout = arg;
		break;
	case OPT_PIN:
		a->pin = true;
		break;
	case OPT_UNPIN:
		a->unpin = true;
		break;
	case OPT_PIN_DIR:
		a->pin_dir = arg;
		break;
	case OPT_RECORD:
		a->record = arg;
		break;
	case OPT_RECORD_MAX:
		if (format_parse_u64(arg, 1U << 20, &v) || !v) {
			argp_error(
				state,
				"invalid --record-max: %s (1 .. 1048576 MiB)",
				arg);
			return EINVAL;
		}
		a->record_max = v << 20;
		break;
	case OPT_FORCE:
		a->force = true;
		break;
	case OPT_QUIET:
		a->quiet = true;
		break;
	case OPT_NO_STACKS:
		a->stacks = false;
		break;
	case OPT_NO_PYTHON:
		a->python = false;
		break;
	case OPT_PYTHON_FRAMES:
		a->python_frames = true;
		break;
	case OPT_VERBOSE:
		a->verbose++;
		break;
	case ARGP_KEY_ARG:
		/* Everything from the first non-option on is the command. */
		a->cmd = &state->argv[state->next - 1];
		state->next = state->argc;
		break;
	case ARGP_KEY_END:
		if (a->pin && a->unpin) {
			argp_error(state,
				   "--pin and --unpin exclude each other");
			return EINVAL;
		}
		if (a->python_frames && (!a->json || !a->python)) {
			argp_error(state, "--python-frames needs --json and "
					  "excludes --no-python");
			return EINVAL;
		}
		if (a->cmd && a->pid) {
			argp_error(state,
				   "-p and a command exclude each other");
			return EINVAL;
		}
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int trace_args_parse(int argc, char **argv, unsigned int argp_flags,
		     struct trace_args *out)
{
	static const struct argp argp = {
		.options = options,
		.parser = parse_opt,
		.args_doc = "[-- CMD ARGS]",
		.doc = doc,
	};
	int err;

	memset(out, 0, sizeof(*out));
	out->device = -1;
	out->interval_ms = 1000;
	out->max_buffers = TTBPF_DEFAULT_MAX_BUFFERS;
	out->max_devices = TTBPF_MAX_DEVICES;
	out->max_procs = TTBPF_MAX_PROCS;
	out->max_stacks = TTBPF_MAX_STACKS;
	out->stacks = true;
	out->record_max = 1024ULL << 20;
	out->python = true;
	err = argp_parse(&argp, argc, argv, argp_flags | ARGP_IN_ORDER, NULL,
			 out);
	return err ? -err : 0;
}
