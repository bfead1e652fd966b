/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The BPF maps that hold ttbpf's state, whoever loaded them: a running
 * tracer in this process, or a `ttbpf-trace --pin` run that left them in
 * bpffs. Readers (top, snapshot, trace's summaries) only see this struct.
 */
#ifndef TTBPF_MAPS_H
#define TTBPF_MAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "ttbpf.h"
#include "ttbpf_py.h"
#include "ttbpf_unwind.h"

#define TTBPF_PIN_DIR "/sys/fs/bpf/ttbpf"

/* Map names: the BPF object's map names and the pinned file names. */
#define TTBPF_MAP_ALLOCS	"allocs"
#define TTBPF_MAP_DEV_USAGE	"dev_usage"
#define TTBPF_MAP_PROC_USAGE	"proc_usage"
#define TTBPF_MAP_STATS		"stats"
#define TTBPF_MAP_STACKS	"stacks"
#define TTBPF_MAP_LIBS		"libs"
#define TTBPF_MAP_META		"meta"
#define TTBPF_MAP_PY_STACKS	"py_stacks"
#define TTBPF_MAP_NATIVE_STACKS "native_stacks"
#define TTBPF_MAP_OWNERS	"owners"

struct ttbpf_maps {
	int allocs_fd;
	int dev_usage_fd;
	int proc_usage_fd;
	int stats_fd;
	int stacks_fd;
	int libs_fd;
	int meta_fd;
	int py_stacks_fd;
	int native_stacks_fd; /* --native-unwind stacks per buffer */
	int owners_fd;	      /* generations: which allocs are held */
	bool pinned;	      /* fds came from bpffs: close them on release */
};

/*
 * Open the maps pinned under @dir (TTBPF_PIN_DIR normally), which must be
 * a directory only root (or the caller) can write. Returns 0, -ENOENT when
 * nothing is pinned there, or another negative errno; a one-line cause
 * with a hint goes to @msg either way.
 */
int ttbpf_maps__open_pinned(const char *dir, struct ttbpf_maps *m, char *msg,
			    size_t msglen);
void ttbpf_maps__close(struct ttbpf_maps *m);

/*
 * What every reader tool does first: open the maps pinned in @dir or say
 * why not on stderr, as @tool, with a hint. When nothing is pinned and
 * @can_attach (the tool then attaches by itself: tracer__open_reader()),
 * -ENOENT is returned without a word.
 */
int ttbpf_maps__open_or_explain(const char *tool, const char *dir,
				bool can_attach, struct ttbpf_maps *m);

/*
 * The names of every map ttbpf pins, the readers' and the tracer's own:
 * the one list --pin pins, --unpin removes and a pin directory may hold.
 */
const char *const *ttbpf_maps__pinned(size_t *n);

/* Sum the per-CPU stats into @out (TTBPF_NR_STATS entries). */
int ttbpf_maps__read_stats(const struct ttbpf_maps *m, uint64_t *out);
int ttbpf_maps__read_meta(const struct ttbpf_maps *m, struct ttbpf_meta *out);

#endif /* TTBPF_MAPS_H */
