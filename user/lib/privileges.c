// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include "privileges.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif

static int has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return !!(d[cap / 32].effective & (1U << (cap % 32)));
}

int privileges_check(char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};

	if (geteuid() == 0)
		return 0;
	if (!syscall(SYS_capget, &hdr, data) &&
	    (has_cap(data, CAP_SYS_ADMIN) ||
	     (has_cap(data, CAP_BPF) && has_cap(data, CAP_PERFMON))))
		return 0;
	snprintf(err, errlen,
		 "not permitted to load BPF programs: run as root (sudo) or "
		 "with CAP_BPF and CAP_PERFMON");
	return -EPERM;
}

/* The parent directory of @path, which must live on a bpffs. */
static void parent_dir(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash && slash != path ? (size_t)(slash - path) : 1;

	if (n >= len)
		n = len - 1;
	memcpy(out, slash ? path : ".", n);
	out[n] = '\0';
}

int bpffs_ensure(const char *pin_dir, char *err, size_t errlen)
{
	char parent[256];
	struct statfs fs;

	parent_dir(pin_dir, parent, sizeof(parent));
	if (!statfs(parent, &fs) && (unsigned long)fs.f_type == BPF_FS_MAGIC)
		return 0;
	/* Fresh machines have the mount point but nothing mounted on it. */
	if (!strcmp(parent, "/sys/fs/bpf") &&
	    !mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL))
		return 0;
	snprintf(err, errlen,
		 "%s is not on a mounted bpffs, so nothing can be pinned "
		 "there: mount it with `mount -t bpf bpf /sys/fs/bpf`",
		 parent);
	return -ENOTDIR;
}
