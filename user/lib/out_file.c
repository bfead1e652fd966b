// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "out_file.h"
#include "text_escape.h"

/* @path escaped for a one-line message (it may come from anyone). */
static const char *shown(const char *path, char *buf, size_t len)
{
	return text_escape(path, 256, buf, len);
}

static int dir_check(const char *path, char *err, size_t errlen)
{
	char *copy = strdup(path), esc[TEXT_ESCAPED_LEN(256)];
	struct stat st;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	if (stat(dirname(copy), &st)) {
		ret = -errno;
		snprintf(err, errlen, "cannot write %s: its directory: %s",
			 shown(path, esc, sizeof(esc)), strerror(-ret));
	} else if ((st.st_mode & (S_IWGRP | S_IWOTH)) &&
		   !(st.st_mode & S_ISVTX)) {
		ret = -EPERM;
		snprintf(err, errlen,
			 "refusing to write %s: its directory is writable by "
			 "others and not sticky, so the file could be swapped "
			 "(pick a directory only you can write)",
			 shown(path, esc, sizeof(esc)));
	}
	free(copy);
	return ret;
}

/* An existing file we may replace: regular, ours, one link. */
static int own_regular(int fd, const char *path, char *err, size_t errlen)
{
	char esc[TEXT_ESCAPED_LEN(256)];
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    st.st_nlink != 1) {
		snprintf(err, errlen,
			 "refusing to replace %s: not a regular file of yours "
			 "with one link (remove it or pick another name)",
			 shown(path, esc, sizeof(esc)));
		return -EPERM;
	}
	return 0;
}

int out_file__create(const char *path, bool force, char *err, size_t errlen)
{
	char esc[TEXT_ESCAPED_LEN(256)];
	int fd, ret;

	ret = dir_check(path, err, errlen);
	if (ret)
		return ret;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd >= 0)
		return fd;
	ret = -errno;
	if (ret != -EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s",
			 shown(path, esc, sizeof(esc)), strerror(-ret));
		return ret;
	}
	if (!force) {
		snprintf(err, errlen,
			 "%s exists: not overwritten (--force replaces a "
			 "regular file of yours)",
			 shown(path, esc, sizeof(esc)));
		return -EEXIST;
	}
	/* O_NONBLOCK: a FIFO planted there must not hang us before fstat. */
	fd = open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "refusing to replace %s: %s",
			 shown(path, esc, sizeof(esc)),
			 ret == -ELOOP ? "it is a symbolic link"
				       : strerror(-ret));
		return ret;
	}
	ret = own_regular(fd, path, err, errlen);
	if (!ret && ftruncate(fd, 0)) {
		ret = -errno;
		snprintf(err, errlen, "cannot truncate %s: %s",
			 shown(path, esc, sizeof(esc)), strerror(-ret));
	}
	if (ret) {
		close(fd);
		return ret;
	}
	fcntl(fd, F_SETFL, 0);
	return fd;
}

int out_file__remove_own(const char *path, char *err, size_t errlen)
{
	char esc[TEXT_ESCAPED_LEN(256)];
	struct stat st;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		snprintf(err, errlen,
			 "refusing to remove %s: not a regular file of yours",
			 shown(path, esc, sizeof(esc)));
		return -EPERM;
	}
	if (unlink(path) && errno != ENOENT) {
		int ret = -errno;

		snprintf(err, errlen, "cannot remove %s: %s",
			 shown(path, esc, sizeof(esc)), strerror(-ret));
		return ret;
	}
	return 0;
}
