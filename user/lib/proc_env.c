// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A running process seen from outside: its memory (process_vm_readv), its
 * start time, its mappings, and its environment as getenv() reads it now,
 * which /proc/PID/environ does not show once the process changed it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <elf.h>

#include "elf_image.h"
#include "proc_env.h"

#define MAX_ENV 65536 /* environment entries looked at */

/* Files whose __environ was looked up: executables and libcs. */
struct environ_sym {
	dev_t dev;
	ino_t ino;
	uint64_t environ; /* vaddr of __environ, 0: none */
};

static struct environ_sym libcs[8];
static size_t n_libcs;

int proc_env__read_mem(uint32_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec l = { buf, len }, r = { (void *)(uintptr_t)addr, len };

	if (!addr)
		return -EFAULT;
	return process_vm_readv((pid_t)pid, &l, 1, &r, 1, 0) == (ssize_t)len
		       ? 0
		       : -EFAULT;
}

uint64_t proc_env__u64(uint32_t pid, uint64_t addr)
{
	uint64_t v;

	return proc_env__read_mem(pid, addr, &v, sizeof(v)) ? 0 : v;
}

unsigned long long proc_env__start_time(uint32_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t = 0;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* comm may hold anything: fields count from its closing paren */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1,
			 " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u "
			 "%*d %*d %*d %*d %*d %*d %llu",
			 &t) != 1)
		return 0;
	return t;
}

static bool is_libc(const char *path)
{
	const char *b = strrchr(path, '/');

	b = b ? b + 1 : path;
	return !strncmp(b, "libc.so", 7) ||
	       (!strncmp(b, "libc-", 5) && strstr(b, ".so"));
}

int proc_env__read_maps(uint32_t pid, struct pid_maps *pm)
{
	char path[64], line[4200];
	char exe[4096];
	ssize_t n;
	FILE *f;

	memset(pm, 0, sizeof(*pm));
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end, off;
		unsigned long long uid;
		int at = 0;
		char *p;

		if (sscanf(line, "%lx-%lx %*s %lx %*s %*s %n", &start, &end,
			   &off, &at) != 3 ||
		    !at)
			continue;
		p = line + at;
		p[strcspn(p, "\n")] = '\0';
		if (!off && !pm->exe_start && exe[0] && !strcmp(p, exe)) {
			pm->exe_start = start;
			pm->exe_end = end;
		}
		if (!off && !pm->libc_start && is_libc(p)) {
			pm->libc_start = start;
			pm->libc_end = end;
		}
		if (sscanf(p, "/dev/shm/tt_device_%llu_memory", &uid) == 1 &&
		    pm->n_shm < PROC_ENV_MAX_SHM) {
			size_t i = 0;

			while (i < pm->n_shm && pm->shm_uid[i] != uid)
				i++;
			if (i == pm->n_shm)
				pm->shm_uid[pm->n_shm++] = uid;
		}
	}
	fclose(f);
	return 0;
}

/* __environ's vaddr in the file mapped at [@start, @end), 0 if none. */
static uint64_t environ_sym(uint32_t pid, unsigned long start,
			    unsigned long end)
{
	struct elf_image *img;
	struct elf_sym_info sym;
	struct environ_sym *c;
	char path[96], err[256];
	struct stat st;

	/* map_files opens what the process maps, in whatever mount
	 * namespace it lives. */
	snprintf(path, sizeof(path), "/proc/%u/map_files/%lx-%lx", pid, start,
		 end);
	if (!start || stat(path, &st))
		return 0;
	for (size_t i = 0; i < n_libcs; i++)
		if (libcs[i].dev == st.st_dev && libcs[i].ino == st.st_ino)
			return libcs[i].environ;
	c = &libcs[n_libcs < 8 ? n_libcs++ : 7];
	*c = (struct environ_sym){ st.st_dev, st.st_ino, 0 };
	if (elf_image__open(path, &img, err, sizeof(err)))
		return 0;
	if (!elf_image__find_symbol(img, "__environ", &sym) &&
	    sym.type == STT_OBJECT)
		c->environ = sym.value;
	elf_image__close(img);
	return c->environ;
}

/*
 * Where the process's __environ lives: in the executable when it defines
 * it (a copy relocation: bash, programs that use environ; libc then reads
 * that copy too), else in libc. A position-independent file's symbols
 * are offsets from its first mapping (its first PT_LOAD at vaddr 0); a
 * fixed-address executable's are addresses.
 */
static uint64_t environ_addr(uint32_t pid, const struct pid_maps *pm)
{
	uint64_t v = environ_sym(pid, pm->exe_start, pm->exe_end);

	if (v)
		return v >= pm->exe_start ? v : pm->exe_start + v;
	v = environ_sym(pid, pm->libc_start, pm->libc_end);
	return v ? pm->libc_start + v : 0;
}

int proc_env__has(uint32_t pid, const struct pid_maps *pm, const char *name)
{
	uint64_t var = environ_addr(pid, pm), envp, ptrs[128];
	size_t len = strlen(name);
	char s[256];

	if (len + 1 > sizeof(s))
		return -1;

	envp = var ? proc_env__u64(pid, var) : 0;
	if (!envp)
		return -1;
	/* Steps by what was read: the array may end near the end of a
	 * mapping, and a shorter read must not skip entries. */
	for (size_t i = 0, n; i < MAX_ENV; i += n) {
		n = 128;
		while (n && proc_env__read_mem(pid, envp + i * 8, ptrs, n * 8))
			n /= 2;
		if (!n)
			return -1;
		for (size_t k = 0; k < n; k++) {
			if (!ptrs[k])
				return 0;
			/* NAME= */
			if (!proc_env__read_mem(pid, ptrs[k], s, len + 1) &&
			    !memcmp(s, name, len) && s[len] == '=')
				return 1;
		}
	}
	return -1;
}
