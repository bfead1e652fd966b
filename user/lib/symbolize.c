// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <elfutils/libdwfl.h>

#include "symbolize.h"

#define CACHE_PIDS 64

struct pid_entry {
	uint32_t pid;
	Dwfl *dwfl; /* NULL: the process could not be read */
	int err;
	uint64_t used; /* for eviction */
};

struct symbolizer {
	char proc_root[256];
	struct pid_entry cache[CACHE_PIDS];
	size_t n;
	uint64_t clock;
};

/*
 * abi::__cxa_demangle lives in libstdc++. Weak, so a binary linked
 * without -lstdc++ still runs; then it is looked up in the libstdc++ the
 * process may have loaded, or loaded on demand.
 */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len,
			    int *status) __attribute__((weak));

typedef char *(*demangle_fn)(const char *, char *, size_t *, int *);

static demangle_fn find_demangler(void)
{
	static demangle_fn fn;
	static int tried;
	void *h;

	if (__cxa_demangle)
		return __cxa_demangle;
	if (tried)
		return fn;
	tried = 1;
	fn = (demangle_fn)dlsym(RTLD_DEFAULT, "__cxa_demangle");
	if (fn)
		return fn;
	h = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);
	if (h)
		fn = (demangle_fn)dlsym(h, "__cxa_demangle");
	return fn;
}

const char *symbolize_demangle(const char *name, char *buf, size_t len)
{
	demangle_fn fn;
	char *out;
	int status = -1;

	if (strncmp(name, "_Z", 2) || !len)
		return name;
	fn = find_demangler();
	if (!fn)
		return name;
	out = fn(name, NULL, NULL, &status);
	if (!out || status) {
		free(out);
		return name;
	}
	snprintf(buf, len, "%s", out);
	free(out);
	return buf;
}

static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
};

static Dwfl *dwfl_for(const char *proc_root, uint32_t pid, int *err)
{
	char path[512];
	Dwfl *d;
	FILE *f;

	/* Our own maps reader keeps the /proc root a parameter. */
	snprintf(path, sizeof(path), "%s/%u/maps", proc_root, pid);
	f = fopen(path, "r");
	if (!f) {
		*err = errno == ENOENT ? -ESRCH : -errno;
		return NULL;
	}
	d = dwfl_begin(&callbacks);
	if (!d) {
		fclose(f);
		*err = -ENOMEM;
		return NULL;
	}
	dwfl_report_begin(d);
	if (dwfl_linux_proc_maps_report(d, f) ||
	    dwfl_report_end(d, NULL, NULL)) {
		fclose(f);
		dwfl_end(d);
		*err = -EIO;
		return NULL;
	}
	fclose(f);
	*err = 0;
	return d;
}

struct symbolizer *symbolizer__new(const char *proc_root)
{
	struct symbolizer *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	snprintf(s->proc_root, sizeof(s->proc_root), "%s",
		 proc_root ? proc_root : "/proc");
	return s;
}

void symbolizer__free(struct symbolizer *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		dwfl_end(s->cache[i].dwfl);
	free(s);
}

void symbolizer__forget(struct symbolizer *s, uint32_t pid)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->cache[i].pid != pid)
			continue;
		dwfl_end(s->cache[i].dwfl);
		s->cache[i] = s->cache[--s->n];
		return;
	}
}

static struct pid_entry *entry_for(struct symbolizer *s, uint32_t pid)
{
	struct pid_entry *e = NULL;

	for (size_t i = 0; i < s->n; i++)
		if (s->cache[i].pid == pid) {
			e = &s->cache[i];
			e->used = ++s->clock;
			return e;
		}
	if (s->n < CACHE_PIDS) {
		e = &s->cache[s->n++];
	} else {
		e = &s->cache[0];
		for (size_t i = 1; i < s->n; i++)
			if (s->cache[i].used < e->used)
				e = &s->cache[i];
		dwfl_end(e->dwfl);
	}
	e->pid = pid;
	e->dwfl = dwfl_for(s->proc_root, pid, &e->err);
	e->used = ++s->clock;
	return e;
}

static void base_name(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');

	snprintf(buf, len, "%s", slash ? slash + 1 : path);
}

int symbolizer__resolve(struct symbolizer *s, uint32_t pid, uint64_t ip,
			struct sym_frame *out)
{
	struct pid_entry *e = entry_for(s, pid);
	Dwfl_Module *mod;
	const char *sym, *mname;
	GElf_Off off = 0;
	GElf_Sym es;
	Dwarf_Addr start = 0;
	char buf[sizeof(out->name)];

	memset(out, 0, sizeof(*out));
	out->ip = ip;
	if (!e->dwfl)
		return e->err ? e->err : -ESRCH;
	mod = dwfl_addrmodule(e->dwfl, ip);
	if (!mod)
		return -ENOENT;
	mname = dwfl_module_info(mod, NULL, &start, NULL, NULL, NULL, NULL,
				 NULL);
	if (mname)
		base_name(mname, out->module, sizeof(out->module));
	out->offset = ip - start;
	sym = dwfl_module_addrinfo(mod, ip, &off, &es, NULL, NULL, NULL);
	if (!sym || !*sym)
		return -ENOENT;
	snprintf(out->name, sizeof(out->name), "%s",
		 symbolize_demangle(sym, buf, sizeof(buf)));
	out->offset = off;
	return 0;
}

const char *sym_frame__label(const struct sym_frame *f, char *buf, size_t len)
{
	if (f->name[0])
		snprintf(buf, len, "%s", f->name);
	else if (f->module[0])
		snprintf(buf, len, "0x%llx (%s+0x%llx)",
			 (unsigned long long)f->ip, f->module,
			 (unsigned long long)f->offset);
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)f->ip);
	return buf;
}
