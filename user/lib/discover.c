// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "discover.h"
#include "errmsg.h"

static const char *const system_libstdcxx[] = {
	"/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
	"/lib/x86_64-linux-gnu/libstdc++.so.6",
	"/usr/lib64/libstdc++.so.6",
	"/lib64/libstdc++.so.6",
};

static bool already_found(const struct found_lib *out, size_t n, dev_t dev,
			  ino_t ino)
{
	for (size_t i = 0; i < n; i++)
		if (out[i].dev == dev && out[i].ino == ino)
			return true;
	return false;
}

/* Add @path if it is a regular file not yet listed; returns the new count. */
static size_t add_file(struct found_lib *out, size_t n, size_t max,
		       const char *path, const char *shown, pid_t pid)
{
	struct stat st;

	if (n >= max || stat(path, &st) || !S_ISREG(st.st_mode))
		return n;
	if (already_found(out, n, st.st_dev, st.st_ino))
		return n;
	snprintf(out[n].path, sizeof(out[n].path), "%s", path);
	snprintf(out[n].shown, sizeof(out[n].shown), "%s", shown);
	out[n].pid = pid;
	out[n].dev = st.st_dev;
	out[n].ino = st.st_ino;
	return n + 1;
}

/*
 * The file name part of a maps line, or NULL for anonymous mappings;
 * @ino gets the inode column.
 */
static char *maps_line_path(char *line, unsigned long *ino)
{
	char *p;
	size_t len;
	int pos = 0;

	if (sscanf(line, "%*s %*s %*s %*s %lu %n", ino, &pos) != 1 || !pos)
		return NULL;
	p = line + pos;
	if (*p != '/')
		return NULL;
	len = strlen(p);
	while (len && (p[len - 1] == '\n' || p[len - 1] == ' '))
		p[--len] = '\0';
	/* A file replaced after mapping keeps its old inode: skip it. */
	if (len > 10 && !strcmp(p + len - 10, " (deleted)"))
		return NULL;
	return p;
}

size_t discover_unescape_maps_path(const char *raw, char *out, size_t len)
{
	size_t o = 0;

	if (!len)
		return 0;
	for (; *raw && o + 1 < len; o++) {
		if (!strncmp(raw, "\\012", 4)) {
			out[o] = '\n';
			raw += 4;
		} else {
			out[o] = *raw++;
		}
	}
	out[o] = '\0';
	return o;
}

/* @proc_root/@pid/root@path into @full; false if it does not fit. */
static bool under_root(char *full, size_t len, const char *proc_root,
		       const char *pid, const char *path)
{
	int n = snprintf(full, len, "%s/%s/root%s", proc_root, pid, path);

	return n >= 0 && (size_t)n < len;
}

/*
 * The kernel writes a newline in a mapped path as "\012" and nothing else
 * escaped, so a name holding those four characters reads the same. Of
 * the two readings, take the one whose inode is the mapping's. NULL when
 * the path does not fit in @full.
 */
static const char *mapped_path(const char *proc_root, const char *pid,
			       const char *raw, unsigned long ino, char *buf,
			       size_t len, char *full, size_t full_len)
{
	const char *path = raw;
	struct stat st;

	discover_unescape_maps_path(raw, buf, len);
	if (strcmp(buf, raw)) {
		path = buf;
		if (under_root(full, full_len, proc_root, pid, raw) &&
		    !stat(full, &st) && st.st_ino == ino &&
		    (!under_root(full, full_len, proc_root, pid, buf) ||
		     stat(full, &st) || st.st_ino != ino))
			path = raw;
	}
	return under_root(full, full_len, proc_root, pid, path) ? path : NULL;
}

static bool name_matches(const char *path, const char *basename)
{
	const char *slash = strrchr(path, '/');

	return slash && !strcmp(slash + 1, basename);
}

static bool is_pid_dir(const char *name)
{
	if (!*name)
		return false;
	for (; *name; name++)
		if (!isdigit((unsigned char)*name))
			return false;
	return true;
}

/*
 * Call @fn for every file mapped by every process under @proc_root; @fn
 * returns true when it is done with that process. Paths handed on go
 * through /proc/PID/root so a library inside a container's mount namespace
 * is opened as that container sees it.
 */
typedef bool (*mapped_fn)(void *ctx, pid_t pid, const char *path,
			  const char *full);

static int walk_maps(const char *proc_root, mapped_fn fn, void *ctx)
{
	char maps[PATH_MAX], full[PATH_MAX], unesc[PATH_MAX];
	size_t line_len = 0;
	char *line = NULL;
	struct dirent *de;
	DIR *dir;

	dir = opendir(proc_root);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		bool done = false;
		FILE *f;

		if (!is_pid_dir(de->d_name))
			continue;
		snprintf(maps, sizeof(maps), "%s/%s/maps", proc_root,
			 de->d_name);
		f = fopen(maps, "re");
		if (!f)
			continue; /* raced with exit, or not ours to read */
		/* getline: an escaped path can be four times PATH_MAX. */
		while (!done && getline(&line, &line_len, f) > 0) {
			unsigned long ino;
			char *raw = maps_line_path(line, &ino);
			const char *path;

			if (!raw)
				continue;
			path = mapped_path(proc_root, de->d_name, raw, ino,
					   unesc, sizeof(unesc), full,
					   sizeof(full));
			if (!path)
				continue;
			done = fn(ctx, (pid_t)atoi(de->d_name), path, full);
		}
		fclose(f);
	}
	free(line);
	closedir(dir);
	return 0;
}

struct scan_ctx {
	const char *basename;
	struct found_lib *out;
	size_t n, max;
};

static bool scan_one(void *ctx, pid_t pid, const char *path, const char *full)
{
	struct scan_ctx *c = ctx;

	if (name_matches(path, c->basename))
		c->n = add_file(c->out, c->n, c->max, full, path, pid);
	return false;
}

static int scan(const char *proc_root, const char *basename,
		struct found_lib *out, size_t max)
{
	struct scan_ctx c = { .basename = basename, .out = out, .max = max };
	int err = walk_maps(proc_root, scan_one, &c);

	return err ? err : (int)c.n;
}

int discover_mapped_libs(const char *proc_root, const char *basename,
			 struct found_lib *out, size_t max)
{
	return scan(proc_root, basename, out, max);
}

int discover_tt_libs(const char *proc_root, struct found_lib *out, size_t max)
{
	int n = scan(proc_root, "libtt_metal.so", out, max);

	if (n)
		return n;
	return scan(proc_root, "_ttnncpp.so", out, max);
}

int discover_libstdcxx(const char *proc_root, struct found_lib *out, size_t max)
{
	size_t n = 0;
	int err;

	for (size_t i = 0;
	     i < sizeof(system_libstdcxx) / sizeof(system_libstdcxx[0]); i++)
		n = add_file(out, n, max, system_libstdcxx[i],
			     system_libstdcxx[i], 0);
	err = scan(proc_root, "libstdc++.so.6", out + n, max - n);
	if (err < 0)
		return (int)n; /* the system copies are still useful */
	/* scan() does not know about the system entries: dedupe again. */
	size_t end = n + (size_t)err;

	for (size_t i = n; i < end; i++) {
		if (already_found(out, n, out[i].dev, out[i].ino))
			continue;
		out[n++] = out[i];
	}
	return (int)n;
}

struct pids_ctx {
	const char *basename;
	dev_t dev;
	ino_t ino;
	pid_t *pids;
	size_t n, max;
};

static bool pids_one(void *ctx, pid_t pid, const char *path, const char *full)
{
	struct pids_ctx *c = ctx;
	struct stat st;

	if (c->n >= c->max || !name_matches(path, c->basename))
		return false;
	if (stat(full, &st) || st.st_dev != c->dev || st.st_ino != c->ino)
		return false;
	c->pids[c->n++] = pid;
	return true; /* one entry per process */
}

int discover_pids_mapping(const char *proc_root, const char *basename,
			  dev_t dev, ino_t ino, pid_t *pids, size_t max)
{
	struct pids_ctx c = { .basename = basename,
			      .dev = dev,
			      .ino = ino,
			      .pids = pids,
			      .max = max };
	int err = walk_maps(proc_root, pids_one, &c);

	return err ? err : (int)c.n;
}

struct missing_ctx {
	const char *path;
	pid_t want;
	pid_t found;
	char full[PATH_MAX];
};

static bool missing_one(void *ctx, pid_t pid, const char *path,
			const char *full)
{
	struct missing_ctx *c = ctx;
	struct stat st;

	if (c->found || (c->want && pid != c->want) || strcmp(path, c->path))
		return false;
	if (stat(full, &st) || !S_ISREG(st.st_mode))
		return true; /* this process's copy is gone: try the next */
	c->found = pid;
	snprintf(c->full, sizeof(c->full), "%s", full);
	return true;
}

int discover_explain_missing(const char *proc_root, const char *path, pid_t pid,
			     int code, char *err, size_t errlen)
{
	struct missing_ctx c = { .path = path, .want = pid };
	struct stat st;

	/* /proc/PID/maps only ever shows absolute paths. */
	if (path[0] != '/' || !stat(path, &st) || errno != ENOENT)
		return code;
	if (walk_maps(proc_root, missing_one, &c) || !c.found)
		return code;
	return errmsg_set(err, errlen, code,
			  "%s: no such file in this mount namespace, but pid "
			  "%d maps it in its own; pass --lib %s (probes attach "
			  "to the file, so that traces it)",
			  path, (int)c.found, c.full);
}
