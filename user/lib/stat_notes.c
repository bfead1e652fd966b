// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "stat_notes.h"

const char *const stat_names[TTBPF_NR_STATS] = {
	[TTBPF_STAT_EVENTS_DROPPED] = "events_dropped",
	[TTBPF_STAT_UNMATCHED_FREES] = "unmatched_frees",
	[TTBPF_STAT_ALLOC_FAILED] = "alloc_failed",
	[TTBPF_STAT_ALLOCS_MAP_FULL] = "allocs_map_full",
	[TTBPF_STAT_PROCS_MAP_FULL] = "procs_map_full",
	[TTBPF_STAT_BAD_READS] = "bad_reads",
	[TTBPF_STAT_IMPLAUSIBLE] = "implausible",
	[TTBPF_STAT_UNKNOWN_DEVICE] = "unknown_device",
	[TTBPF_STAT_BULK_FREED] = "bulk_freed",
	[TTBPF_STAT_EXIT_FREED] = "exit_freed",
	[TTBPF_STAT_ALLOCS] = "allocs",
	[TTBPF_STAT_FREES] = "frees",
	[TTBPF_STAT_STACKS_LOST] = "stacks_lost",
	[TTBPF_STAT_NOT_RECORDED] = "not_recorded",
	[TTBPF_STAT_DEVS_MAP_FULL] = "devs_map_full",
	[TTBPF_STAT_ROWS_EVICTED] = "rows_evicted",
	[TTBPF_STAT_EXEC_FREED] = "exec_freed",
	[TTBPF_STAT_INHERITED_FREES] = "inherited_frees",
	[TTBPF_STAT_STACKS_EVICTED] = "stacks_evicted",
	[TTBPF_STAT_TREE_MAP_FULL] = "tree_map_full",
	[TTBPF_STAT_MESH_UNRESOLVED] = "mesh_unresolved",
};

const struct stat_note stat_notes[] = {
	{ TTBPF_STAT_EVENTS_DROPPED, STAT_STREAM, "events dropped",
	  "ring buffer full: totals stay exact, the event stream does not" },
	{ TTBPF_STAT_UNMATCHED_FREES, STAT_NOTE,
	  "unmatched frees (allocated before tracing)", NULL },
	{ TTBPF_STAT_ALLOC_FAILED, STAT_NOTE, "failed allocations", NULL },
	{ TTBPF_STAT_INHERITED_FREES, STAT_NOTE,
	  "frees of buffers inherited over fork",
	  "the parent still holds them: not subtracted" },
	{ TTBPF_STAT_STACKS_EVICTED, STAT_NOTE,
	  "stacks of exited processes evicted to make room", NULL },
	{ TTBPF_STAT_ROWS_EVICTED, STAT_NOTE,
	  "usage rows that held nothing evicted to make room",
	  "their peaks and counters are gone" },
	{ TTBPF_STAT_STACKS_LOST, STAT_STREAM,
	  "allocations without a stack: stack map full",
	  "totals stay exact; stacks of exited processes make room" },
	{ TTBPF_STAT_ALLOCS_MAP_FULL, STAT_WARNING,
	  "allocations not recorded: buffer map full",
	  "totals are incomplete; raise --max-buffers" },
	{ TTBPF_STAT_NOT_RECORDED, STAT_WARNING,
	  "allocations not recorded: no per-thread slot",
	  "totals are incomplete" },
	{ TTBPF_STAT_DEVS_MAP_FULL, STAT_WARNING,
	  "allocations not recorded: device map full",
	  "totals are incomplete; raise --max-devices" },
	{ TTBPF_STAT_TREE_MAP_FULL, STAT_WARNING,
	  "forked processes not followed: process tree map full",
	  "those processes are not traced; totals are incomplete" },
	{ TTBPF_STAT_PROCS_MAP_FULL, STAT_WARNING,
	  "allocations not recorded: process map full",
	  "totals are incomplete; raise --max-procs" },
	{ TTBPF_STAT_IMPLAUSIBLE, STAT_WARNING, "implausible Buffer reads",
	  "the layout may be wrong for this build: check ttbpf-trace "
	  "--explain, fix with --layout" },
	{ TTBPF_STAT_BAD_READS, STAT_WARNING, "failed Buffer reads",
	  "the layout may be wrong for this build: check ttbpf-trace "
	  "--explain, fix with --layout" },
	{ TTBPF_STAT_MESH_UNRESOLVED, STAT_WARNING,
	  "mesh allocations whose chips could not be read",
	  "counted on a \"mesh\" row instead of its chips: check "
	  "ttbpf-trace --explain (mesh_devs), fix with --layout" },
	{ TTBPF_STAT_UNKNOWN_DEVICE, STAT_WARNING,
	  "allocations on unknown devices",
	  "the device class was not recognised: check ttbpf-trace "
	  "--explain" },
};

const size_t n_stat_notes = sizeof(stat_notes) / sizeof(stat_notes[0]);

int stat_notes__print(const uint64_t *s, const uint64_t *since,
		      enum stat_level level, const char *prefix, FILE *f)
{
	int n = 0;

	for (size_t i = 0; i < n_stat_notes; i++) {
		const struct stat_note *sn = &stat_notes[i];

		if (sn->level < level ||
		    s[sn->idx] <= (since ? since[sn->idx] : 0))
			continue;
		fprintf(f, "%sWARNING: %llu %s%s%s%s\n", prefix,
			(unsigned long long)s[sn->idx], sn->what,
			sn->hint ? " (" : "", sn->hint ? sn->hint : "",
			sn->hint ? ")" : "");
		n++;
	}
	return n;
}
