// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/statfs.h>

#include <bpf/bpf.h>

#include "errmsg.h"
#include "pin_dir.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

#define HINT "remove it or choose another --pin-dir"

static bool trusted(uid_t uid, uid_t me)
{
	return uid == 0 || uid == me;
}

const char *pin_dir__kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:
		return "a directory";
	case S_IFLNK:
		return "a symbolic link";
	case S_IFREG:
		return "a file";
	case S_IFIFO:
		return "a FIFO";
	case S_IFSOCK:
		return "a socket";
	case S_IFCHR:
	case S_IFBLK:
		return "a device node";
	}
	return "something unknown";
}

int pin_dir__check_stat(const struct stat *st, uid_t me, enum pin_dir_use use,
			const char *path, char *err, size_t errlen)
{
	unsigned int mode = st->st_mode & 07777;

	if (!S_ISDIR(st->st_mode))
		return errmsg_set(err, errlen, -ENOTDIR,
				  "%s is %s, not ttbpf's pin directory: ttbpf "
				  "will not follow or touch it; " HINT,
				  path, pin_dir__kind(st->st_mode));
	if (!trusted(st->st_uid, me))
		return errmsg_set(err, errlen, -EPERM,
				  "%s is owned by uid %u, not root: ttbpf will "
				  "not use a pin directory another user could "
				  "have planted; " HINT,
				  path, (unsigned int)st->st_uid);
	if (use == PIN_DIR_WRITE && mode != 0700)
		return errmsg_set(err, errlen, -EPERM,
				  "%s has mode %04o, not 0700: ttbpf keeps "
				  "its pins where only their owner can reach "
				  "them; " HINT,
				  path, mode);
	if (use == PIN_DIR_READ && (mode & 022))
		return errmsg_set(err, errlen, -EPERM,
				  "%s is writable by group or others (mode "
				  "%04o): ttbpf will not read pins another "
				  "user could have planted; " HINT,
				  path, mode);
	return 0;
}

int pin_dir__check_parent(const struct stat *st, uid_t me, const char *path,
			  char *err, size_t errlen)
{
	if (!S_ISDIR(st->st_mode))
		return errmsg_set(err, errlen, -ENOTDIR,
				  "%s, on the way to the pin directory, is %s: "
				  "ttbpf does not follow links there; give the "
				  "real path",
				  path, pin_dir__kind(st->st_mode));
	if (!trusted(st->st_uid, me))
		return errmsg_set(err, errlen, -EPERM,
				  "%s, on the way to the pin directory, is "
				  "owned by uid %u, not root: that user could "
				  "swap the pin directory; choose another "
				  "--pin-dir",
				  path, (unsigned int)st->st_uid);
	/* /sys/fs/bpf is 1777: the sticky bit keeps others from renaming
	 * or removing what root made there. */
	if ((st->st_mode & 022) && !(st->st_mode & S_ISVTX))
		return errmsg_set(err, errlen, -EPERM,
				  "%s, on the way to the pin directory, is "
				  "writable by others without the sticky bit "
				  "(mode %04o): they could swap the pin "
				  "directory; choose another --pin-dir",
				  path, (unsigned int)(st->st_mode & 07777));
	return 0;
}

bool pin_dir__is_link_name(const char *name, unsigned int max)
{
	unsigned long v = 0;

	if (!name[0] || (name[0] == '0' && name[1]))
		return false;
	for (const char *p = name; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned long)(*p - '0');
		if (v >= max)
			return false;
	}
	return true;
}

/*
 * A path naming @name inside the directory open as @dirfd, for the bpf(2)
 * calls that take only paths: through /proc/self/fd, so the kernel resolves
 * the directory that was checked, not whatever the name means now.
 */
static int fd_path(int dirfd, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "/proc/self/fd/%d/%s", dirfd, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int pin_dir__obj_get(int dirfd, const char *name)
{
	char path[PATH_MAX];
	int e = fd_path(dirfd, name, path, sizeof(path)), fd;

	if (e)
		return e;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int pin_dir__obj_pin(int dirfd, const char *name, int fd)
{
	char path[PATH_MAX];
	int e = fd_path(dirfd, name, path, sizeof(path));

	if (!e && bpf_obj_pin(fd, path))
		e = -errno;
	return e;
}

/* "a pinned BPF map" etc. for an fd on a BPF object, from its link text. */
static const char *bpf_kind(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return NULL;
	target[n] = '\0';
	if (strstr(target, "bpf-map"))
		return "a pinned BPF map";
	if (strstr(target, "bpf-prog"))
		return "a pinned BPF program";
	if (strstr(target, "bpf_link") || strstr(target, "bpf-link"))
		return "a pinned BPF link";
	return NULL;
}

/* What a non-directory at a pin path is: a file on bpffs is a pin. */
static const char *describe(int parent_fd, const char *leaf, mode_t mode)
{
	const char *what = pin_dir__kind(mode), *kind;
	char path[PATH_MAX];
	int fd;

	if (!S_ISREG(mode) || fd_path(parent_fd, leaf, path, sizeof(path)))
		return what;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return what;
	kind = bpf_kind(fd);
	close(fd);
	return kind ? kind : what;
}

/*
 * Walk @path from / to the directory that holds its last component,
 * never following a symbolic link, checking each directory on the way.
 */
static int open_parent(struct pin_dir *d, const char *path, char *err,
		       size_t errlen)
{
	char copy[PATH_MAX], shown_path[PATH_MAX] = "";
	char *save = NULL, *comp, *next;
	uid_t me = geteuid();
	struct stat st;
	int fd, e;

	if (path[0] != '/')
		return errmsg_set(err, errlen, -EINVAL,
				  "--pin-dir %s is not an absolute path: give "
				  "the full path, e.g. /sys/fs/bpf/ttbpf",
				  path);
	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy))
		return errmsg_set(err, errlen, -ENAMETOOLONG,
				  "--pin-dir is too long");
	fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errmsg_set(err, errlen, -errno, "cannot open /: %s",
				  strerror(errno));
	comp = strtok_r(copy, "/", &save);
	while (comp && (next = strtok_r(NULL, "/", &save))) {
		int nfd;

		if (fstat(fd, &st)) {
			e = -errno;
			goto fail_errno;
		}
		e = pin_dir__check_parent(
			&st, me, shown_path[0] ? shown_path : "/", err, errlen);
		if (e)
			goto fail;
		strncat(shown_path, "/",
			sizeof(shown_path) - strlen(shown_path) - 1);
		strncat(shown_path, comp,
			sizeof(shown_path) - strlen(shown_path) - 1);
		nfd = openat(fd, comp,
			     O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0) {
			e = -errno;
			if (e == -ENOENT) {
				errmsg_set(err, errlen, e, "%s does not exist",
					   shown_path);
				goto fail;
			}
			if (e == -ELOOP || e == -ENOTDIR) {
				errmsg_set(err, errlen, e,
					   "%s, on the way to the pin "
					   "directory, is not a directory "
					   "(a symbolic link?): ttbpf does not "
					   "follow links there; give the real "
					   "path",
					   shown_path);
				goto fail;
			}
			goto fail_errno;
		}
		close(fd);
		fd = nfd;
		comp = next;
	}
	if (!comp || !strcmp(comp, ".") || !strcmp(comp, "..")) {
		e = errmsg_set(err, errlen, -EINVAL,
			       "--pin-dir %s names no directory of its own: "
			       "give e.g. /sys/fs/bpf/ttbpf",
			       path);
		goto fail;
	}
	if (fstat(fd, &st)) {
		e = -errno;
		goto fail_errno;
	}
	e = pin_dir__check_parent(&st, me, shown_path[0] ? shown_path : "/",
				  err, errlen);
	if (e)
		goto fail;
	snprintf(d->leaf, sizeof(d->leaf), "%s", comp);
	d->parent_fd = fd;
	return 0;

fail_errno:
	errmsg_set(err, errlen, e, "cannot open %s: %s",
		   shown_path[0] ? shown_path : "/", strerror(-e));
fail:
	close(fd);
	return e;
}

int pin_dir__open(struct pin_dir *d, const char *path, enum pin_dir_use use,
		  bool create, char *err, size_t errlen)
{
	struct statfs fs;
	struct stat st;
	int e;

	d->parent_fd = -1;
	d->fd = -1;
	d->created = false;
	d->path = path;
	e = open_parent(d, path, err, errlen);
	if (e)
		return e;
	/* Create it, or judge what is actually there: never both a check
	 * and a later mkdir that accepts EEXIST. */
	if (create) {
		if (!mkdirat(d->parent_fd, d->leaf, 0700))
			d->created = true;
		else if (errno != EEXIST) {
			e = errmsg_set(err, errlen, -errno,
				       "cannot create %s: %s", path,
				       strerror(errno));
			goto fail;
		}
	}
	d->fd = openat(d->parent_fd, d->leaf,
		       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d->fd < 0) {
		e = -errno;
		if (e == -ENOENT) {
			errmsg_set(err, errlen, e, "nothing is pinned at %s",
				   path);
			goto fail;
		}
		if (!fstatat(d->parent_fd, d->leaf, &st, AT_SYMLINK_NOFOLLOW) &&
		    !S_ISDIR(st.st_mode)) {
			e = errmsg_set(
				err, errlen, -ENOTDIR,
				"%s is %s, not ttbpf's pin directory: "
				"ttbpf will not follow or touch it; " HINT,
				path,
				describe(d->parent_fd, d->leaf, st.st_mode));
			goto fail;
		}
		errmsg_set(err, errlen, e, "cannot open %s: %s", path,
			   strerror(-e));
		goto fail;
	}
	if (fstat(d->fd, &st)) {
		e = errmsg_set(err, errlen, -errno, "cannot stat %s: %s", path,
			       strerror(errno));
		goto fail;
	}
	/* A umask may have taken bits from mkdir's 0700; only ever widen
	 * the mode of a directory made just now, and only to 0700. */
	if (d->created && st.st_uid == geteuid() &&
	    (st.st_mode & 07777) != 0700) {
		if (fchmod(d->fd, 0700) || fstat(d->fd, &st)) {
			e = errmsg_set(err, errlen, -errno,
				       "cannot set the mode of %s: %s", path,
				       strerror(errno));
			goto fail;
		}
	}
	e = pin_dir__check_stat(&st, geteuid(), use, path, err, errlen);
	if (e)
		goto fail;
	/* Only bpffs holds pins: never delete names on another filesystem. */
	if (fstatfs(d->fd, &fs) || (unsigned long)fs.f_type != BPF_FS_MAGIC) {
		e = errmsg_set(err, errlen, -EXDEV,
			       "%s is not on a bpffs, where pins live: ttbpf "
			       "will not use it; choose a --pin-dir under "
			       "/sys/fs/bpf",
			       path);
		goto fail;
	}
	return 0;

fail:
	if (d->created && d->fd >= 0)
		pin_dir__rmdir(d);
	pin_dir__close(d);
	return e;
}

void pin_dir__close(struct pin_dir *d)
{
	if (!d)
		return;
	if (d->fd >= 0)
		close(d->fd);
	if (d->parent_fd >= 0)
		close(d->parent_fd);
	d->fd = -1;
	d->parent_fd = -1;
}

int pin_dir__rmdir(struct pin_dir *d)
{
	if (unlinkat(d->parent_fd, d->leaf, AT_REMOVEDIR))
		return -errno;
	d->created = false;
	return 0;
}

static bool is_map_name(const char *name, const char *const *maps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(name, maps[i]))
			return true;
	return false;
}

static int foreign(int dirfd, const char *path, const char *sub,
		   const char *name, mode_t mode, char *err, size_t errlen)
{
	/* errmsg_set() escapes the name: the directory may be anyone's. */
	return errmsg_set(err, errlen, -EEXIST,
			  "%s holds %s%s (%s), which ttbpf did not pin: ttbpf "
			  "will not touch it; " HINT,
			  path, sub, name, describe(dirfd, name, mode));
}

/* Call @fn for every entry of @dirfd but . and ..; stop at its error. */
static int for_each_entry(int dirfd,
			  int (*fn)(int dirfd, const char *name,
				    const struct stat *st, void *ctx),
			  void *ctx)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	struct stat st;
	DIR *dir;
	int e = 0;

	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		e = -errno;
		close(fd);
		return e;
	}
	while (!e && (errno = 0, de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW)) {
			if (errno == ENOENT)
				continue;
			e = -errno;
			break;
		}
		e = fn(dirfd, de->d_name, &st, ctx);
	}
	if (!e && errno)
		e = -errno;
	closedir(dir);
	return e;
}

struct scan_ctx {
	const char *path;
	const char *const *maps;
	size_t n_maps;
	struct pin_scan *out;
	char *err;
	size_t errlen;
};

static int scan_link(int dirfd, const char *name, const struct stat *st,
		     void *arg)
{
	struct scan_ctx *c = arg;

	if (!S_ISREG(st->st_mode) ||
	    !pin_dir__is_link_name(name, PIN_DIR_MAX_LINKS))
		return foreign(dirfd, c->path, "links/", name, st->st_mode,
			       c->err, c->errlen);
	c->out->links++;
	return 0;
}

static int open_links(int dirfd, const char *path, char *err, size_t errlen)
{
	char sub[PATH_MAX];
	struct stat st;
	int fd, e;

	fd = openat(dirfd, "links",
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errmsg_set(err, errlen, -errno,
				  "cannot open %s/links: %s", path,
				  strerror(errno));
	snprintf(sub, sizeof(sub), "%s/links", path);
	e = fstat(fd, &st) ? -errno : 0;
	if (!e)
		e = pin_dir__check_stat(&st, geteuid(), PIN_DIR_WRITE, sub, err,
					errlen);
	if (e) {
		close(fd);
		return e;
	}
	return fd;
}

static int scan_entry(int dirfd, const char *name, const struct stat *st,
		      void *arg)
{
	struct scan_ctx *c = arg;
	int fd, e;

	if (S_ISREG(st->st_mode) && is_map_name(name, c->maps, c->n_maps)) {
		c->out->maps++;
		return 0;
	}
	if (!S_ISDIR(st->st_mode) || strcmp(name, "links"))
		return foreign(dirfd, c->path, "", name, st->st_mode, c->err,
			       c->errlen);
	fd = open_links(dirfd, c->path, c->err, c->errlen);
	if (fd < 0)
		return fd;
	c->out->links_dir = true;
	e = for_each_entry(fd, scan_link, c);
	close(fd);
	return e;
}

int pin_dir__scan(int dirfd, const char *path, const char *const *maps,
		  size_t n_maps, struct pin_scan *out, char *err, size_t errlen)
{
	struct scan_ctx c = { path, maps, n_maps, out, err, errlen };
	int e;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	e = for_each_entry(dirfd, scan_entry, &c);
	if (e && err && !err[0])
		errmsg_set(err, errlen, e, "cannot list %s: %s", path,
			   strerror(-e));
	return e;
}

struct remove_ctx {
	const char *const *maps;
	size_t n_maps;
	unsigned int *ids;
	size_t max, n_ids;
	int removed;
};

/* The kernel id of the link pinned as @name, or 0 if it is none. */
static unsigned int link_id(int dirfd, const char *name)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	int fd = pin_dir__obj_get(dirfd, name);

	if (fd < 0)
		return 0;
	if (!bpf_kind(fd) || strcmp(bpf_kind(fd), "a pinned BPF link") ||
	    bpf_obj_get_info_by_fd(fd, &info, &len))
		info.id = 0;
	close(fd);
	return info.id;
}

static int remove_link(int dirfd, const char *name, const struct stat *st,
		       void *arg)
{
	struct remove_ctx *c = arg;
	unsigned int id;

	if (!S_ISREG(st->st_mode) ||
	    !pin_dir__is_link_name(name, PIN_DIR_MAX_LINKS))
		return -EEXIST;
	id = link_id(dirfd, name);
	if (id && c->n_ids < c->max)
		c->ids[c->n_ids++] = id;
	if (unlinkat(dirfd, name, 0))
		return -errno;
	c->removed++;
	return 0;
}

static int remove_map(int dirfd, const char *name, const struct stat *st,
		      void *arg)
{
	struct remove_ctx *c = arg;

	if (!S_ISREG(st->st_mode) || !is_map_name(name, c->maps, c->n_maps))
		return strcmp(name, "links") ? -EEXIST : 0;
	if (unlinkat(dirfd, name, 0))
		return -errno;
	c->removed++;
	return 0;
}

int pin_dir__remove_pins(int dirfd, const char *const *maps, size_t n_maps,
			 unsigned int *ids, size_t max, size_t *n_ids)
{
	struct remove_ctx c = { maps, n_maps, ids, max, 0, 0 };
	int fd, e;

	*n_ids = 0;
	fd = openat(dirfd, "links",
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		e = for_each_entry(fd, remove_link, &c);
		close(fd);
		*n_ids = c.n_ids;
		if (e)
			return e;
		if (unlinkat(dirfd, "links", AT_REMOVEDIR))
			return -errno;
	} else if (errno != ENOENT) {
		return -errno;
	}
	e = for_each_entry(dirfd, remove_map, &c);
	return e ? e : c.removed;
}

size_t pin_dir__links_alive(const unsigned int *ids, size_t n)
{
	size_t alive = 0;

	for (size_t i = 0; i < n; i++) {
		int fd = bpf_link_get_fd_by_id(ids[i]);

		if (fd >= 0) {
			alive++;
			close(fd);
		}
	}
	return alive;
}
