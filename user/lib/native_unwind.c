// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <elfutils/libdwfl.h>

#include "native_unwind.h"
#include "owner_gens.h"
#include "ttbpf.h"

#define CACHE_PIDS 64

/* A process's modules, and the record being unwound in it. */
struct unwind_proc {
	uint32_t pid;
	Dwfl *dwfl; /* NULL: the process could not be read */
	uint64_t used;
	const struct ttbpf_unwind_rec *rec; /* during one unwind */
	bool read_miss; /* the unwinder wanted memory outside the window */
};

struct native_unwinder {
	int stacks_fd, native_fd, allocs_fd, owners_fd;
	struct unwind_proc cache[CACHE_PIDS];
	uint64_t clock;
	struct native_unwind_stats st;
};

/*
 * No separate debug files: the CFI needed is the mapped file's own
 * .eh_frame. dwfl_standard_find_debuginfo would also ask debuginfod
 * servers, which a root tool must not do behind the user's back (and
 * which dlopens libdebuginfod, fatal in the static build).
 */
static int no_debuginfo(Dwfl_Module *mod, void **userdata, const char *name,
			Dwarf_Addr base, const char *file_name,
			const char *debuglink_file, GElf_Word debuglink_crc,
			char **debuginfo_file_name)
{
	(void)mod, (void)userdata, (void)name, (void)base, (void)file_name;
	(void)debuglink_file, (void)debuglink_crc, (void)debuginfo_file_name;
	return -1;
}

/* Whose modules are being opened: libdwfl opens them lazily, during an
 * unwind of that process (the tracer unwinds on one thread). */
static uint32_t find_pid;

/*
 * A module's file as the process maps it, through /proc/PID/map_files:
 * the path in /proc/PID/maps names a file in the process's mount
 * namespace, and opening it in ours would read another file, or one
 * planted there since. [vdso] and the like are read from memory.
 */
static int find_elf_mapped(Dwfl_Module *mod, void **userdata, const char *name,
			   Dwarf_Addr base, char **file_name, Elf **elfp)
{
	char path[64], line[4352];
	int fd = -1;
	FILE *f;

	if (name[0] != '/')
		return dwfl_linux_proc_find_elf(mod, userdata, name, base,
						file_name, elfp);
	snprintf(path, sizeof(path), "/proc/%u/maps", find_pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fd < 0 && fgets(line, sizeof(line), f)) {
		unsigned long start, end, off;
		int pos = 0;
		char *p;

		if (sscanf(line, "%lx-%lx %*s %lx %*s %*s %n", &start, &end,
			   &off, &pos) < 3 ||
		    !pos)
			continue;
		p = line + pos;
		p[strcspn(p, "\n")] = '\0';
		if (off || strcmp(p, name))
			continue;
		snprintf(path, sizeof(path), "/proc/%u/map_files/%lx-%lx",
			 find_pid, start, end);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			break;
	}
	fclose(f);
	if (fd >= 0)
		*file_name = strdup(name);
	return fd;
}

static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = find_elf_mapped,
	.find_debuginfo = no_debuginfo,
};

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_arg)
{
	(void)dwfl;
	(void)tid;
	*thread_arg = arg;
	return true;
}

/* Required, but get_thread() answers every lookup: no thread to list. */
static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_arg)
{
	(void)dwfl;
	(void)arg;
	(void)thread_arg;
	return 0;
}

/* Only the copied window: the live stack has moved on since the entry. */
static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *out, void *arg)
{
	struct unwind_proc *p = arg;
	const struct ttbpf_unwind_rec *r = p->rec;
	uint64_t sp = r->regs[7];

	(void)dwfl;
	if (addr < sp || addr - sp > (uint64_t)r->len - sizeof(*out) ||
	    r->len < sizeof(*out)) {
		p->read_miss = true;
		return false;
	}
	memcpy(out, r->data + (addr - sp), sizeof(*out));
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct unwind_proc *p = arg;
	const struct ttbpf_unwind_rec *r = p->rec;
	Dwarf_Word regs[TTBPF_UNWIND_NR_REGS];

	for (int i = 0; i < TTBPF_UNWIND_NR_REGS; i++)
		regs[i] = r->regs[i];
	dwfl_thread_state_register_pc(thread, r->regs[16]);
	return dwfl_thread_state_registers(thread, 0, TTBPF_UNWIND_NR_REGS,
					   regs);
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

static void proc_drop(struct unwind_proc *p)
{
	if (p->dwfl)
		dwfl_end(p->dwfl);
	memset(p, 0, sizeof(*p));
}

static Dwfl *proc_open(struct unwind_proc *p, uint32_t pid)
{
	Dwfl *d = dwfl_begin(&proc_callbacks);

	find_pid = pid;
	if (!d)
		return NULL;
	dwfl_report_begin(d);
	if (dwfl_linux_proc_report(d, (pid_t)pid) ||
	    dwfl_report_end(d, NULL, NULL) ||
	    !dwfl_attach_state(d, NULL, (pid_t)pid, &thread_callbacks, p)) {
		dwfl_end(d);
		return NULL;
	}
	return d;
}

static struct unwind_proc *proc_of(struct native_unwinder *u, uint32_t pid)
{
	struct unwind_proc *p, *victim = &u->cache[0];

	for (size_t i = 0; i < CACHE_PIDS; i++) {
		p = &u->cache[i];
		if (p->pid == pid) {
			p->used = ++u->clock;
			return p;
		}
		if (p->used < victim->used)
			victim = p;
	}
	proc_drop(victim);
	victim->pid = pid;
	victim->used = ++u->clock;
	victim->dwfl = proc_open(victim, pid);
	return victim;
}

void native_unwinder__forget(struct native_unwinder *u, uint32_t pid)
{
	for (size_t i = 0; i < CACHE_PIDS; i++)
		if (u->cache[i].pid == pid)
			proc_drop(&u->cache[i]);
}

struct walk {
	uint64_t *ips;
	size_t n, max;
	bool full;
	Dwarf_Addr last_pc; /* for a module lookup: inside the call */
};

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct walk *w = arg;
	Dwarf_Addr pc;
	bool activation;

	if (!dwfl_frame_pc(state, &pc, &activation))
		return DWARF_CB_ABORT;
	if (w->n >= w->max - 1) {
		w->full = true;
		return DWARF_CB_ABORT;
	}
	w->ips[w->n++] = pc;
	w->last_pc = activation ? pc : pc - 1;
	return DWARF_CB_OK;
}

static size_t unwind_in(struct unwind_proc *p, const struct ttbpf_unwind_rec *r,
			uint64_t *ips, size_t max, bool *stale_modules)
{
	struct walk w = { .ips = ips, .max = max };
	int rc;

	*stale_modules = false;
	p->rec = r;
	p->read_miss = false;
	find_pid = r->pid;
	rc = dwfl_getthread_frames(p->dwfl, (pid_t)r->tid, frame_cb, &w);
	p->rec = NULL;
	/* libdwfl ends a chain without an error when a return address
	 * cannot be read: a read outside the window is what says so. */
	if (w.full) {
		ips[w.n++] = TTBPF_UNWIND_END_DEPTH;
	} else if (p->read_miss) {
		ips[w.n++] = TTBPF_UNWIND_END_WINDOW;
	} else if (rc) {
		/* A library mapped after the modules were read has no
		 * module here: worth one more try with fresh modules. */
		*stale_modules = w.n && !dwfl_addrmodule(p->dwfl, w.last_pc);
		ips[w.n++] = TTBPF_UNWIND_END_NO_CFI;
	}
	return w.n;
}

int native_unwinder__unwind(struct native_unwinder *u,
			    const struct ttbpf_unwind_rec *r, size_t size,
			    uint64_t *ips, size_t max)
{
	struct unwind_proc *p;
	bool stale;
	size_t n;

	if (max < 2 || size < TTBPF_UNWIND_REC_HDR ||
	    r->len > TTBPF_UNWIND_MAX_WINDOW ||
	    size < TTBPF_UNWIND_REC_HDR + r->len)
		return -EINVAL;
	p = proc_of(u, r->pid);
	if (!p->dwfl)
		return -ESRCH;
	n = unwind_in(p, r, ips, max, &stale);
	if (stale) {
		native_unwinder__forget(u, r->pid);
		p = proc_of(u, r->pid);
		if (!p->dwfl)
			return -ESRCH;
		n = unwind_in(p, r, ips, max, &stale);
	}
	return (int)n;
}

static uint32_t stack_hash(const struct ttbpf_stack *st)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (int i = 0; i < TTBPF_MAX_STACK_DEPTH && st->ip[i]; i++)
		h = (h ^ st->ip[i]) * 0x100000001b3ULL;
	return (uint32_t)(h ^ (h >> 32)) & 0x7fffffff;
}

/* The id of @st in the stacks map, added if new: the same open
 * addressing as the BPF side, which skips ids taken by others. */
static int32_t stack_store(struct native_unwinder *u,
			   const struct ttbpf_stack *st)
{
	struct ttbpf_stack old;
	uint32_t id = stack_hash(st);

	for (int i = 0; i < 4; i++, id = (id + 1) & 0x7fffffff) {
		if (bpf_map_lookup_elem(u->stacks_fd, &id, &old)) {
			if (!bpf_map_update_elem(u->stacks_fd, &id, st,
						 BPF_NOEXIST))
				return (int32_t)id;
			if (errno != EEXIST ||
			    bpf_map_lookup_elem(u->stacks_fd, &id, &old))
				return -1;
		}
		if (!memcmp(old.ip, st->ip, sizeof(st->ip)))
			return (int32_t)id;
	}
	return -1;
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int native_unwinder__handle(struct native_unwinder *u, const void *data,
			    size_t size)
{
	const struct ttbpf_unwind_rec *r = data;
	struct ttbpf_stack st = {};
	struct ttbpf_alloc_key key = {};
	struct ttbpf_unwound val = {};
	uint64_t t0 = cpu_ns(), ips[TTBPF_MAX_STACK_DEPTH];
	int n;

	n = native_unwinder__unwind(u, r, size, ips, TTBPF_MAX_STACK_DEPTH);
	if (n <= 0)
		return n < 0 ? n : -ENOENT;
	for (int i = 0; i < n; i++)
		st.ip[i] = ips[i];
	u->st.records++;
	u->st.frames += (uint64_t)n;
	u->st.cut += TTBPF_UNWIND_IS_MARK(st.ip[n - 1]);
	st.tgid = r->pid;
	key.pid = r->pid;
	key.buffer = r->buffer;
	val.ts_ns = r->ts_ns;
	val.stack_id = stack_store(u, &st);
	if (val.stack_id < 0 ||
	    bpf_map_update_elem(u->native_fd, &key, &val, BPF_ANY)) {
		u->st.no_room++;
		u->st.ns += cpu_ns() - t0;
		return -ENOSPC;
	}
	u->st.ns += cpu_ns() - t0;
	return 0;
}

void native_unwinder__sweep(struct native_unwinder *u)
{
	struct ttbpf_alloc_key key, next, *prev = NULL, gone[256];
	struct ttbpf_unwound val;
	struct ttbpf_alloc a;
	size_t n = 0;

	while (n < 256 && !bpf_map_get_next_key(u->native_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(u->native_fd, &key, &val))
			continue;
		/* A stale entry (its device closed) is gone too. */
		if (bpf_map_lookup_elem(u->allocs_fd, &key, &a) ||
		    a.ts_ns != val.ts_ns ||
		    !owner_gens__held_one(u->owners_fd, key.pid, &a))
			gone[n++] = key;
	}
	for (size_t i = 0; i < n; i++)
		if (!bpf_map_delete_elem(u->native_fd, &gone[i]))
			u->st.stale++;
}

struct native_unwinder *native_unwinder__new(int stacks_fd, int native_fd,
					     int allocs_fd, int owners_fd)
{
	struct native_unwinder *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->stacks_fd = stacks_fd;
	u->native_fd = native_fd;
	u->allocs_fd = allocs_fd;
	u->owners_fd = owners_fd;
	return u;
}

void native_unwinder__free(struct native_unwinder *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < CACHE_PIDS; i++)
		proc_drop(&u->cache[i]);
	free(u);
}

void native_unwinder__stats(const struct native_unwinder *u,
			    struct native_unwind_stats *out)
{
	*out = u->st;
}
