// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * TT-Metal's own record of who holds what: since 0.7x every process that
 * opens a chip adds its totals to /dev/shm/tt_device_<unique chip id>_memory
 * (memory_stats_shm.hpp, version 3), per process and per buffer type, on
 * every allocate and free. For a process ttbpf has not seen allocate (it
 * was running before the tracer) this is the only account there is: shown,
 * labelled as TT-Metal's, never added to ttbpf's own totals.
 *
 * The files are in a world-writable directory: only regular files that
 * are not links are read, and a slot is believed only for a live process
 * owned by the file's owner (TT-Metal creates it mode 0600) that maps this
 * very file. TT-Metal clears a slot only in its destructor, so a process
 * killed with SIGKILL leaves its slot behind, and its pid may since name
 * another process: one that does not map the record holds nothing in it.
 */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "chip_ids.h"
#include "event_format.h"
#include "format.h"
#include "shm_record.h"
#include "text_escape.h"

#define V3_PROCS_OFF 0x358
#define V3_PROC_SIZE 120
#define V3_PROC_NAME 56
#define V3_SIZE	     (V3_PROCS_OFF + SHM_RECORD_MAX_PROCS * V3_PROC_SIZE)
#define V3_VERSION   3

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* The owner of a live process, or -1. */
static long proc_uid(int pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d", pid);
	if (pid <= 0 || stat(path, &st))
		return -1;
	return (long)st.st_uid;
}

/* Whether @pid maps the file @st describes. Its device and inode, not its
 * name: the name is resolved in that process's mount namespace. */
static bool maps_file(int pid, const struct stat *st)
{
	char path[64], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned int maj, min;
		unsigned long long ino;

		if (sscanf(line, "%*x-%*x %*s %*x %x:%x %llu", &maj, &min,
			   &ino) == 3)
			found = ino == (unsigned long long)st->st_ino &&
				maj == major(st->st_dev) &&
				min == minor(st->st_dev);
		/* A line longer than the buffer: skip its rest. */
		while (!strchr(line, '\n') && fgets(line, sizeof(line), f))
			;
	}
	fclose(f);
	return found;
}

static int read_file(int dirfd, const char *name, uint64_t uid,
		     struct shm_record *out)
{
	uint8_t buf[V3_SIZE];
	uint32_t version;
	struct stat st;
	int fd, e = 0;
	ssize_t n;

	fd = openat(dirfd, name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size < V3_SIZE) {
		close(fd);
		return 0;
	}
	n = pread(fd, buf, sizeof(buf), 0);
	close(fd);
	if (n != (ssize_t)sizeof(buf))
		return 0;
	memcpy(&version, buf, sizeof(version));
	if (version != V3_VERSION)
		return 0; /* another layout: not guessed at */
	for (int i = 0; i < SHM_RECORD_MAX_PROCS; i++) {
		const uint8_t *p = buf + V3_PROCS_OFF + i * V3_PROC_SIZE;
		struct shm_record_row *r;
		int32_t pid;
		int any = 0;

		memcpy(&pid, p, sizeof(pid));
		if (pid <= 0 || proc_uid(pid) != (long)st.st_uid)
			continue;
		for (int t = 0; t < SHM_RECORD_NR_TYPES; t++)
			any |= get_u64(p + 8 + 8 * t) != 0;
		if (!any || !maps_file(pid, &st))
			continue;
		if (out->n >= out->cap) {
			size_t cap = out->cap ? 2 * out->cap : 16;
			void *nr = realloc(out->rows, cap * sizeof(*out->rows));

			if (!nr)
				return -ENOMEM;
			out->rows = nr;
			out->cap = cap;
		}
		r = &out->rows[out->n++];
		memset(r, 0, sizeof(*r));
		r->pid = (uint32_t)pid;
		r->chip_uid = uid;
		r->device = chip_ids__host_of_uid(uid);
		for (int t = 0; t < SHM_RECORD_NR_TYPES; t++)
			r->bytes[t] = get_u64(p + 8 + 8 * t);
		memcpy(r->name, p + V3_PROC_NAME, sizeof(r->name) - 1);
	}
	return e;
}

int shm_record__read(const char *dir, struct shm_record *out)
{
	struct dirent *de;
	DIR *d;
	int e = 0;

	memset(out, 0, sizeof(*out));
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (!e && (de = readdir(d))) {
		unsigned long long uid;
		int used = 0;

		if (sscanf(de->d_name, "tt_device_%llu_memory%n", &uid,
			   &used) != 1 ||
		    (size_t)used != strlen(de->d_name) ||
		    strncmp(de->d_name, "tt_device_", 10) ||
		    de->d_name[10] < '0' || de->d_name[10] > '9')
			continue;
		e = read_file(dirfd(d), de->d_name, uid, out);
		if (e == -EACCES || e == -ELOOP || e == -ENOENT)
			e = 0;
	}
	closedir(d);
	if (e)
		shm_record__free(out);
	return e;
}

void shm_record__free(struct shm_record *r)
{
	free(r->rows);
	memset(r, 0, sizeof(*r));
}

const char *const shm_record_types[SHM_RECORD_NR_TYPES] = {
	"DRAM", "L1", "L1_SMALL", "TRACE", "CB",
};

void shm_record__keep_unseen(struct shm_record *r, const struct state *s,
			     uint32_t pid)
{
	size_t j = 0;

	for (size_t i = 0; i < r->n; i++) {
		bool seen = false;

		for (size_t k = 0; k < s->n_procs && !seen; k++)
			seen = s->procs[k].pid == r->rows[i].pid;
		if (!seen && (!pid || r->rows[i].pid == pid))
			r->rows[j++] = r->rows[i];
	}
	r->n = j;
}

void shm_record__keep_device(struct shm_record *r, int device)
{
	size_t j = 0;

	for (size_t i = 0; i < r->n; i++)
		if (device < 0 || r->rows[i].device == device)
			r->rows[j++] = r->rows[i];
	r->n = j;
}

const char shm_record_heading[] =
	"not seen allocating (running before ttbpf attached): TT-Metal's own "
	"record, per process and chip, not per buffer "
	"(/dev/shm/tt_device_<chip uid>_memory)";

const char *shm_record__row_text(const struct shm_record_row *row, char *buf,
				 size_t len)
{
	char name[TEXT_ESCAPED_LEN(64)], hb[32], chip[64];
	size_t o;
	int n;

	if (row->device >= 0)
		snprintf(chip, sizeof(chip), "dev %d (chip uid %llu)",
			 row->device, (unsigned long long)row->chip_uid);
	else
		snprintf(chip, sizeof(chip), "dev ? (chip uid %llu)",
			 (unsigned long long)row->chip_uid);
	n = snprintf(
		buf, len, "  pid %u %s %s:", row->pid,
		text_escape(row->name, sizeof(row->name), name, sizeof(name)),
		chip);
	o = n < 0 ? 0 : (size_t)n;
	for (int t = 0; t < SHM_RECORD_NR_TYPES && o < len; t++) {
		if (!row->bytes[t])
			continue;
		n = snprintf(buf + o, len - o, " %s %llu B (%s);",
			     shm_record_types[t],
			     (unsigned long long)row->bytes[t],
			     human_bytes(row->bytes[t], hb, sizeof(hb)));
		o += n < 0 ? 0 : (size_t)n;
	}
	return buf;
}

void shm_record__print_text(const struct shm_record *r, FILE *f)
{
	char line[768];

	if (!r->n)
		return;
	fprintf(f, "%s\n", shm_record_heading);
	for (size_t i = 0; i < r->n; i++)
		fprintf(f, "%s\n",
			shm_record__row_text(&r->rows[i], line, sizeof(line)));
}

void shm_record__json(const struct shm_record *r, struct json_writer *w)
{
	json_writer__key(w, "tt_metal_record");
	json_writer__begin_array(w);
	for (size_t i = 0; i < r->n; i++) {
		const struct shm_record_row *row = &r->rows[i];

		json_writer__begin_object(w);
		json_writer__key(w, "pid");
		json_writer__u64(w, row->pid);
		json_writer__key(w, "name");
		json_writer__string_n(w, row->name, sizeof(row->name));
		json_writer__key(w, "chip_uid");
		json_writer__u64(w, row->chip_uid);
		json_writer__key(w, "device");
		if (row->device >= 0)
			json_writer__i64(w, row->device);
		else
			json_writer__null(w);
		json_writer__key(w, "usage");
		json_writer__begin_object(w);
		for (int t = 0; t < SHM_RECORD_NR_TYPES; t++) {
			json_writer__key(w, shm_record_types[t]);
			json_writer__u64(w, row->bytes[t]);
		}
		json_writer__end_object(w);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
}
