// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "errmsg.h"
#include "maps.h"
#include "pin_dir.h"

struct map_spec {
	const char *name;
	size_t fd_off; /* NO_FD: pinned, not opened by the readers */
	__u32 type;
	__u32 key_size;
	__u32 value_size; /* 0: not checked */
};

#define NO_FD SIZE_MAX

#define SPEC(n, field, t, k, v)                                \
	{                                                      \
		n, offsetof(struct ttbpf_maps, field), t, k, v \
	}
#define PIN_ONLY(n)               \
	{                         \
		n, NO_FD, 0, 0, 0 \
	}

/*
 * The one list of the maps ttbpf pins: what ttbpf-trace --pin pins and
 * --unpin removes, and what a pin directory may hold. Those the readers
 * open come with what each pinned file must be: a pin left by an older
 * ttbpf with other struct sizes would be misread silently, so a mismatch
 * is an error. The other maps of the BPF object stay private.
 */
static const struct map_spec specs[] = {
	SPEC(TTBPF_MAP_ALLOCS, allocs_fd, BPF_MAP_TYPE_HASH,
	     sizeof(struct ttbpf_alloc_key), sizeof(struct ttbpf_alloc)),
	SPEC(TTBPF_MAP_DEV_USAGE, dev_usage_fd, BPF_MAP_TYPE_HASH,
	     sizeof(struct ttbpf_dev_key), sizeof(struct ttbpf_usage)),
	SPEC(TTBPF_MAP_PROC_USAGE, proc_usage_fd, BPF_MAP_TYPE_HASH,
	     sizeof(struct ttbpf_proc_key), sizeof(struct ttbpf_usage)),
	SPEC(TTBPF_MAP_STATS, stats_fd, BPF_MAP_TYPE_PERCPU_ARRAY,
	     sizeof(__u32), sizeof(__u64)),
	SPEC(TTBPF_MAP_STACKS, stacks_fd, BPF_MAP_TYPE_HASH, sizeof(__u32),
	     sizeof(struct ttbpf_stack)),
	SPEC(TTBPF_MAP_LIBS, libs_fd, BPF_MAP_TYPE_ARRAY, sizeof(__u32),
	     sizeof(struct ttbpf_lib)),
	SPEC(TTBPF_MAP_META, meta_fd, BPF_MAP_TYPE_ARRAY, sizeof(__u32),
	     sizeof(struct ttbpf_meta)),
	SPEC(TTBPF_MAP_PY_STACKS, py_stacks_fd, BPF_MAP_TYPE_HASH,
	     sizeof(__u32), sizeof(struct ttbpf_py_stack)),
	SPEC(TTBPF_MAP_NATIVE_STACKS, native_stacks_fd, BPF_MAP_TYPE_HASH,
	     sizeof(struct ttbpf_alloc_key), sizeof(struct ttbpf_unwound)),
	SPEC(TTBPF_MAP_OWNERS, owners_fd, BPF_MAP_TYPE_HASH,
	     sizeof(struct ttbpf_owner_key), sizeof(struct ttbpf_owner)),
	/* What a pinned tracer keeps using after its loader is gone. */
	PIN_ONLY("events"),
	PIN_ONLY("traced_pids"),
	PIN_ONLY("tree_pids"),
	PIN_ONLY("cmdlines"),
	PIN_ONLY("py_procs"),
	PIN_ONLY("py_unseen"),
	PIN_ONLY("py_wake"),
	PIN_ONLY("unwind_rb"),
	PIN_ONLY("unwind_stats"),
};

#define NR_SPECS (sizeof(specs) / sizeof(specs[0]))

static const char *const *pinned_names(void)
{
	static const char *names[NR_SPECS];

	for (size_t i = 0; i < NR_SPECS; i++)
		names[i] = specs[i].name;
	return names;
}

const char *const *ttbpf_maps__pinned(size_t *n)
{
	*n = NR_SPECS;
	return pinned_names();
}

static int *fd_of(struct ttbpf_maps *m, const struct map_spec *s)
{
	return (int *)((char *)m + s->fd_off);
}

static int check_map(int fd, const struct map_spec *s)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type != s->type || info.key_size != s->key_size ||
	    (s->value_size && info.value_size != s->value_size))
		return -EPROTO;
	return 0;
}

static int open_error(const char *dir, int err, char *msg, size_t len)
{
	if (err == -EPROTO)
		return errmsg_set(msg, len, err,
				  "the maps in %s come from another ttbpf "
				  "version; remove them with ttbpf-trace "
				  "--unpin",
				  dir);
	if (err == -ENOENT)
		return errmsg_set(msg, len, err, "nothing is pinned in %s",
				  dir);
	return errmsg_set(msg, len, err, "cannot open the maps in %s: %s%s",
			  dir, strerror(-err),
			  err == -EPERM || err == -EACCES
				  ? " (run as root or with CAP_BPF)"
				  : "");
}

int ttbpf_maps__open_pinned(const char *dir, struct ttbpf_maps *m, char *msg,
			    size_t msglen)
{
	struct pin_dir d;
	int err = 0;

	for (size_t i = 0; i < NR_SPECS; i++)
		if (specs[i].fd_off != NO_FD)
			*fd_of(m, &specs[i]) = -1;
	m->pinned = true;
	/* Only from a directory no other user could have planted. */
	err = pin_dir__open(&d, dir, PIN_DIR_READ, false, msg, msglen);
	if (err)
		return err == -ENOENT ? open_error(dir, err, msg, msglen) : err;
	for (size_t i = 0; i < NR_SPECS; i++) {
		int fd;

		if (specs[i].fd_off == NO_FD)
			continue;
		fd = pin_dir__obj_get(d.fd, specs[i].name);
		if (fd < 0) {
			err = fd;
			goto cleanup;
		}
		*fd_of(m, &specs[i]) = fd;
		err = check_map(fd, &specs[i]);
		if (err)
			goto cleanup;
	}
	pin_dir__close(&d);
	return 0;

cleanup:
	pin_dir__close(&d);
	ttbpf_maps__close(m);
	return open_error(dir, err, msg, msglen);
}

int ttbpf_maps__open_or_explain(const char *tool, const char *dir,
				bool can_attach, struct ttbpf_maps *m)
{
	char msg[1024];
	int err = ttbpf_maps__open_pinned(dir, m, msg, sizeof(msg));

	if (err == -ENOENT && can_attach)
		return err;
	if (err == -ENOENT)
		fprintf(stderr,
			"%s: nothing is pinned in %s: no tracer is running "
			"with --pin. Start one with:\n"
			"  sudo ttbpf-trace --pin --lib PATH/libtt_metal.so\n",
			tool, dir);
	else if (err)
		fprintf(stderr, "%s: %s\n", tool, msg);
	return err;
}

void ttbpf_maps__close(struct ttbpf_maps *m)
{
	if (!m || !m->pinned)
		return;
	for (size_t i = 0; i < NR_SPECS; i++) {
		int *fd;

		if (specs[i].fd_off == NO_FD)
			continue;
		fd = fd_of(m, &specs[i]);
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
}

int ttbpf_maps__read_stats(const struct ttbpf_maps *m, uint64_t *out)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;
	int err = 0;

	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (__u32 i = 0; i < TTBPF_NR_STATS; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(m->stats_fd, &i, vals)) {
			err = -errno;
			goto cleanup;
		}
		for (int c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
cleanup:
	free(vals);
	return err;
}

int ttbpf_maps__read_meta(const struct ttbpf_maps *m, struct ttbpf_meta *out)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(m->meta_fd, &zero, out))
		return -errno;
	return 0;
}
