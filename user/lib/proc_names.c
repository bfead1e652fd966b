// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc_names.h"

#define CONTAINER_ID_LEN 64

/* Up to @len bytes of /PROC_ROOT/PID/NAME; a negative errno on failure. */
static ssize_t read_proc_file(const char *proc_root, uint32_t pid,
			      const char *name, char *buf, size_t len)
{
	char path[256];
	size_t got = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%u/%s", proc_root, pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	while (got < len) {
		ssize_t r = read(fd, buf + got, len - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = -errno;

			close(fd);
			return e;
		}
		if (!r)
			break;
		got += (size_t)r;
	}
	close(fd);
	return (ssize_t)got;
}

/* argv bytes (NUL-separated) as one line in @buf; @cut: @raw is only the
 * start of a longer line. Returns the length written. */
static int join_args(char *raw, size_t n, bool cut, char *buf, size_t len)
{
	while (n > 0 && raw[n - 1] == '\0')
		n--;
	for (size_t i = 0; i < n; i++)
		if (raw[i] == '\0')
			raw[i] = ' ';
	if (cut || n >= len) {
		/* Keep what fits before "...". */
		n = n < len - 4 ? n : len > 4 ? len - 4 : 0;
		memcpy(buf, raw, n);
		snprintf(buf + n, len - n, "...");
		return (int)strlen(buf);
	}
	memcpy(buf, raw, n);
	buf[n] = '\0';
	return (int)n;
}

int proc_names__read_cmdline(const char *proc_root, uint32_t pid, char *buf,
			     size_t len)
{
	char raw[PROC_CMDLINE_LEN];
	ssize_t n;

	if (!len)
		return -EINVAL;
	if (len > PROC_CMDLINE_LEN)
		len = PROC_CMDLINE_LEN;
	/* @len bytes: one more than fits tells whether the line was cut. */
	n = read_proc_file(proc_root, pid, "cmdline", raw, len);
	if (n < 0)
		return (int)n;
	return join_args(raw, (size_t)n, false, buf, len);
}

static bool is_id_edge(const char *p, const char *start, const char *end)
{
	return p == start || p == end || *p == '/' || *p == '-' || *p == '.' ||
	       *p == ':';
}

bool proc_names__container_of(const char *cgroup, char *id, size_t len)
{
	const char *end = cgroup + strlen(cgroup), *found = NULL;

	if (len)
		id[0] = '\0';
	/* The last run of exactly 64 hex digits between separators: every
	 * runtime names the container's cgroup after its id. */
	for (const char *p = cgroup; p + CONTAINER_ID_LEN <= end; p++) {
		size_t k = 0;

		if (p != cgroup && !is_id_edge(p - 1, cgroup, end))
			continue;
		while (k < CONTAINER_ID_LEN && isxdigit((unsigned char)p[k]) &&
		       !isupper((unsigned char)p[k]))
			k++;
		if (k == CONTAINER_ID_LEN && is_id_edge(p + k, cgroup, end))
			found = p;
	}
	if (!found || len <= CONTAINER_ID_LEN)
		return false;
	memcpy(id, found, CONTAINER_ID_LEN);
	id[CONTAINER_ID_LEN] = '\0';
	return true;
}

/* The cgroup v2 path ("0::PATH"), else the first hierarchy's path. */
static void read_cgroup(const char *proc_root, uint32_t pid, char *out,
			size_t len)
{
	char buf[4096], *line, *save = NULL, *first = NULL;
	ssize_t n =
		read_proc_file(proc_root, pid, "cgroup", buf, sizeof(buf) - 1);

	out[0] = '\0';
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *path = strchr(line, ':');

		path = path ? strchr(path + 1, ':') : NULL;
		if (!path)
			continue;
		if (!strncmp(line, "0::", 3)) {
			first = path + 1;
			break;
		}
		if (!first)
			first = path + 1;
	}
	if (first)
		snprintf(out, len, "%s", first);
}

void proc_names__init(struct proc_names *pn, const char *proc_root)
{
	memset(pn, 0, sizeof(*pn));
	pn->proc_root = proc_root;
}

const struct proc_name *proc_names__find(const struct proc_names *pn,
					 uint32_t pid)
{
	/* Newest first: a reused pid's latest name wins. */
	for (size_t i = pn->n; i-- > 0;)
		if (pn->v[i].pid == pid)
			return &pn->v[i];
	return NULL;
}

static struct proc_name *add_name(struct proc_names *pn, uint32_t pid)
{
	struct proc_name *p;

	if (pn->n == pn->cap) {
		size_t cap = pn->cap ? pn->cap * 2 : 16;
		void *v = realloc(pn->v, cap * sizeof(*pn->v));

		if (!v)
			return NULL;
		pn->v = v;
		pn->cap = cap;
	}
	p = &pn->v[pn->n++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	return p;
}

static void read_container(struct proc_names *pn, struct proc_name *p)
{
	read_cgroup(pn->proc_root, p->pid, p->cgroup, sizeof(p->cgroup));
	proc_names__container_of(p->cgroup, p->container, sizeof(p->container));
}

const struct proc_name *proc_names__get(struct proc_names *pn, uint32_t pid)
{
	const struct proc_name *old = proc_names__find(pn, pid);
	struct proc_name *p;

	if (old)
		return old;
	p = add_name(pn, pid);
	if (!p)
		return NULL;
	/* A zombie's command line is empty, as is a kernel thread's. */
	p->known = proc_names__read_cmdline(pn->proc_root, pid, p->cmdline,
					    sizeof(p->cmdline)) > 0;
	if (p->known)
		read_container(pn, p);
	return p;
}

const struct proc_name *proc_names__put_args(struct proc_names *pn,
					     uint32_t pid, const char *args,
					     size_t n, bool cut)
{
	char raw[PROC_CMDLINE_LEN];
	struct proc_name *p;

	if (proc_names__find(pn, pid))
		return proc_names__find(pn, pid);
	p = add_name(pn, pid);
	if (!p)
		return NULL;
	n = n < sizeof(raw) ? n : sizeof(raw);
	memcpy(raw, args, n);
	p->known = join_args(raw, n, cut, p->cmdline, sizeof(p->cmdline)) > 0;
	/* The container, if the process is still there to say. */
	if (p->known)
		read_container(pn, p);
	return p;
}

void proc_names__clear(struct proc_names *pn)
{
	free(pn->v);
	pn->v = NULL;
	pn->n = pn->cap = 0;
}

const char *proc_name__terminal(const struct proc_name *n, size_t width,
				char *buf, size_t len)
{
	char line[PROC_CMDLINE_LEN + 32];

	if (!len)
		return buf;
	if (!n || !n->known) {
		snprintf(buf, len, "?");
		return buf;
	}
	snprintf(line, sizeof(line), "%s", n->cmdline);
	if (n->container[0])
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
			 " [container %.12s]", n->container);
	if (width && width + 1 < len)
		len = width + 1;
	return text_escape(line, sizeof(line), buf, len);
}
