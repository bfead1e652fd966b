// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <sys/uio.h>

#include <bpf/bpf.h>
#include <capstone/capstone.h>
#include <dirent.h>
#include <gelf.h>
#include <libelf.h>

#include "elf_image.h"
#include "errmsg.h"
#include "pyframes.h"
#include "text_escape.h"

/*
 * Offsets per version, read with gdb from the DWARF of the pyenv builds
 * (3.10.13, 3.11.7, 3.12.1, 3.13.0); CPython keeps them within a minor
 * version. 3.13 carries its own (_Py_DebugOffsets), which win.
 */
struct py_table {
	uint32_t version;
	int32_t tstate_frame, cframe_frame;
	int32_t frame_code, frame_prev, frame_instr, frame_owner;
	int32_t tss; /* Py_tss_t autoTSSkey in _PyRuntime */
	struct py_code_layout code;
};

static const struct py_table tables[] = {
	{ 0x030a,
	  24,
	  -1,
	  32,
	  24,
	  96,
	  -1,
	  584,
	  { 104, 112, 40, 120, -1, 48, 72 } },
	{ 0x030b,
	  56,
	  8,
	  32,
	  48,
	  56,
	  -1,
	  592,
	  { 112, 128, 72, 136, 184, 48, 72 } },
	{ 0x030c,
	  56,
	  0,
	  0,
	  8,
	  56,
	  70,
	  1544,
	  { 112, 128, 68, 136, 192, 40, 56 } },
	{ 0x030d,
	  72,
	  -1,
	  0,
	  8,
	  56,
	  70,
	  2160,
	  { 112, 128, 68, 136, 200, 40, 56 } },
};

/* glibc 2.34 and later: struct pthread's specific_1stblock at 0x310. */
#define GLIBC_SPECIFIC_OFF 0x310
static const char LIBC_BUILTIN[] = "built-in (glibc >= 2.34)";

static const struct py_table *table_of(uint32_t version)
{
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (tables[i].version == version)
			return &tables[i];
	return NULL;
}

static void set_frame_len(struct ttbpf_py_proc *p)
{
	int32_t m = p->frame_code;

	if (p->frame_prev > m)
		m = p->frame_prev;
	if (p->frame_instr > m)
		m = p->frame_instr;
	if (p->frame_owner > m)
		m = p->frame_owner;
	p->frame_len = (uint32_t)m + 8;
}

int pyframes__builtin(uint32_t version, struct py_target *out)
{
	const struct py_table *t = table_of(version);

	if (!t)
		return -ENOTSUP;
	out->version = version;
	out->code = t->code;
	out->bpf.version = version;
	out->bpf.tstate_frame = t->tstate_frame;
	out->bpf.cframe_frame = t->cframe_frame;
	out->bpf.frame_code = t->frame_code;
	out->bpf.frame_prev = t->frame_prev;
	out->bpf.frame_instr = t->frame_instr;
	out->bpf.frame_owner = t->frame_owner;
	out->bpf.tls_specific_off = GLIBC_SPECIFIC_OFF;
	set_frame_len(&out->bpf);
	out->layout_src = "built-in table";
	out->tss_src = "built-in table";
	out->libc_src = LIBC_BUILTIN;
	return 0;
}

/* "libpython3.12.so.1.0" or "python3.12": the minor version, else 0. */
static uint32_t version_of_name(const char *path)
{
	const char *base = strrchr(path, '/');
	unsigned int minor;
	int end = 0;

	base = base ? base + 1 : path;
	if (!strncmp(base, "lib", 3))
		base += 3;
	if (sscanf(base, "python3.%u%n", &minor, &end) < 1 || !end ||
	    minor > 99)
		return 0;
	/* The executable, or a shared library; not python3.12.py. */
	if (base[end] && strncmp(base + end, ".so", 3))
		return 0;
	return 0x0300 | minor;
}

struct mapping {
	uint64_t start, offset;
	char path[512];
};

/* First mapping (lowest offset) of the file whose name @match accepts. */
static int find_mapping(const char *proc_root, uint32_t pid,
			bool (*match)(const char *), struct mapping *out)
{
	char path[256], line[1024];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%u/maps", proc_root, pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, off;
		int pos = 0;
		char *p;

		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %n", &start, &end,
			   &off, &pos) < 3 ||
		    !pos)
			continue;
		p = line + pos;
		p[strcspn(p, "\n")] = 0;
		if (*p != '/' || !match(p))
			continue;
		if (found && (strcmp(out->path, p) || off >= out->offset))
			continue;
		out->start = start;
		out->offset = off;
		snprintf(out->path, sizeof(out->path), "%s", p);
		found = true;
	}
	fclose(f);
	return found ? 0 : -ENOENT;
}

static bool is_libpython(const char *p)
{
	const char *base = strrchr(p, '/');

	return version_of_name(p) && base && !strncmp(base + 1, "lib", 3);
}

static bool is_python(const char *p)
{
	return version_of_name(p) != 0;
}

static bool is_libc(const char *p)
{
	const char *base = strrchr(p, '/');

	return base && !strncmp(base + 1, "libc.so", 7);
}

/* Runtime address of file vaddr 0 for @m: start minus the vaddr of the
 * PT_LOAD segment that the mapping's file offset falls in. */
static int load_bias(const struct elf_image *img, const struct mapping *m,
		     uint64_t *bias)
{
	int err = -ENOENT;
	size_t n = 0;
	Elf *e;

	elf_version(EV_CURRENT);
	e = elf_begin(elf_image__fd(img), ELF_C_READ, NULL);
	if (e && !elf_getphdrnum(e, &n)) {
		for (size_t i = 0; i < n; i++) {
			GElf_Phdr ph;

			if (!gelf_getphdr(e, (int)i, &ph) ||
			    ph.p_type != PT_LOAD)
				continue;
			if (m->offset < (ph.p_offset & ~0xfffULL) ||
			    m->offset >= ph.p_offset + ph.p_filesz)
				continue;
			*bias = m->start -
				((ph.p_vaddr & ~0xfffULL) +
				 (m->offset - (ph.p_offset & ~0xfffULL)));
			err = 0;
			break;
		}
	}
	elf_end(e);
	return err;
}

/* The first @max instructions of function @sym, with details. Returns
 * their count (free with cs_free, then cs_close(@h)) or a negative errno. */
static int disasm_function(const struct elf_image *img, const char *sym,
			   size_t max, csh *h, cs_insn **insn)
{
	struct elf_sym_info si;
	uint8_t *code = NULL;
	int n;

	*insn = NULL;
	if (elf_image__find_symbol(img, sym, &si) || !si.size || si.size > 4096)
		return -ENOENT;
	n = elf_image__read_function(img, &si, &code);
	if (n < 0)
		return n;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, h) != CS_ERR_OK) {
		free(code);
		return -EIO;
	}
	cs_option(*h, CS_OPT_DETAIL, CS_OPT_ON);
	n = (int)cs_disasm(*h, code, si.size, si.value, max, insn);
	free(code);
	return n;
}

/*
 * The displacement of the first `lea reg, [rax + disp]` in @sym: in
 * PyGILState_GetThisThreadState that is &_PyRuntime->autoTSSkey, after
 * _PyRuntime's address was loaded into rax from the GOT.
 */
static int first_lea_disp(const struct elf_image *img, const char *sym,
			  int64_t *disp)
{
	cs_insn *insn;
	int n, err = -ENOENT;
	csh h;

	n = disasm_function(img, sym, 16, &h, &insn);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		cs_x86 *x = &insn[i].detail->x86;

		if (insn[i].id == X86_INS_JMP || insn[i].id == X86_INS_CALL)
			break;
		if (insn[i].id == X86_INS_LEA && x->op_count == 2 &&
		    x->operands[1].type == X86_OP_MEM &&
		    x->operands[1].mem.base == X86_REG_RAX &&
		    x->operands[1].mem.index == X86_REG_INVALID) {
			*disp = x->operands[1].mem.disp;
			err = 0;
			break;
		}
	}
	cs_free(insn, (size_t)n);
	cs_close(&h);
	return err;
}

/*
 * glibc's pthread_getspecific for a key below 32:
 *   add rax, IMM ; shl rax, 4 ; add rax, fs:[0x10] ; mov rdx, [rax + 8]
 * so the slot of key K is at thread pointer + (IMM + K) * 16, data at + 8.
 */
static int libc_specific_off(const struct elf_image *img, uint32_t *off)
{
	cs_insn *insn;
	int n, err = -ENOENT;
	csh h;

	n = disasm_function(img, "pthread_getspecific", 12, &h, &insn);
	if (n < 0)
		return n;
	for (int i = 0; i + 1 < n; i++) {
		cs_x86 *a = &insn[i].detail->x86, *b = &insn[i + 1].detail->x86;

		if (insn[i].id == X86_INS_ADD && a->op_count == 2 &&
		    a->operands[0].type == X86_OP_REG &&
		    a->operands[1].type == X86_OP_IMM &&
		    insn[i + 1].id == X86_INS_SHL && b->op_count == 2 &&
		    b->operands[0].type == X86_OP_REG &&
		    b->operands[0].reg == a->operands[0].reg &&
		    b->operands[1].type == X86_OP_IMM &&
		    b->operands[1].imm == 4 && a->operands[1].imm > 0 &&
		    a->operands[1].imm < 0x1000) {
			*off = (uint32_t)a->operands[1].imm * 16;
			err = 0;
			break;
		}
	}
	cs_free(insn, (size_t)n);
	cs_close(&h);
	return err;
}

/* 3.13+: the offsets the interpreter publishes for debuggers. */
static int debug_offsets(const struct elf_image *img, uint64_t runtime,
			 struct py_target *t)
{
	uint64_t d[46];

	if (elf_image__read(img, runtime, d, sizeof(d)) ||
	    memcmp(d, "xdebugpy", 8))
		return -ENOENT;
	/* Indexes are u64 slots of struct _Py_DebugOffsets (3.13). */
	if ((d[1] >> 16) != 0x030d)
		return -ENOTSUP;
	t->bpf.tstate_frame = (int32_t)d[23];
	t->bpf.cframe_frame = -1;
	t->bpf.frame_prev = (int32_t)d[29];
	t->bpf.frame_code = (int32_t)d[30];
	t->bpf.frame_instr = (int32_t)d[31];
	t->bpf.frame_owner = (int32_t)d[33];
	t->code.co_filename = (int32_t)d[35];
	t->code.co_name = (int32_t)d[37];
	t->code.co_linetable = (int32_t)d[38];
	t->code.co_firstlineno = (int32_t)d[39];
	t->code.co_code_adaptive = (int32_t)d[43];
	for (int i = 23; i <= 43; i++)
		if (d[i] >= TTBPF_PY_FRAME_READ * 4)
			return -EPROTO;
	if (t->bpf.frame_owner >= TTBPF_PY_FRAME_READ - 8 ||
	    t->bpf.frame_instr >= TTBPF_PY_FRAME_READ - 8)
		return -EPROTO;
	set_frame_len(&t->bpf);
	t->layout_src = "_Py_DebugOffsets";
	return 0;
}

static void root_path(const char *proc_root, uint32_t pid, const char *path,
		      char *buf, size_t len)
{
	/* Through the process's root: right in another mount namespace. */
	snprintf(buf, len, "%s/%u/root%s", proc_root, pid, path);
}

static void find_libc(const char *proc_root, uint32_t pid, struct py_target *t)
{
	struct elf_image *img;
	struct mapping m;
	char path[1100], e[256];
	uint32_t off;

	if (find_mapping(proc_root, pid, is_libc, &m))
		return;
	root_path(proc_root, pid, m.path, path, sizeof(path));
	if (elf_image__open(path, &img, e, sizeof(e)))
		return;
	if (!libc_specific_off(img, &off)) {
		t->bpf.tls_specific_off = off;
		t->libc_src = "code of pthread_getspecific";
	}
	elf_image__close(img);
}

/*
 * The interpreter's pthread key, read once here instead of at every
 * allocation. CPython creates it at start-up and keeps it; only a forked
 * child re-creates it, and a child takes the parent's layout without the
 * key (pyframes.bpf.h). Before the key is initialised BPF keeps reading
 * it (pyframes__learn_key gives it later).
 */
static void known_key(const char *proc_root, uint32_t pid, struct py_target *t)
{
	struct {
		int32_t initialized;
		uint32_t key;
	} tss;
	struct iovec local = { &tss, sizeof(tss) };
	struct iovec remote = { (void *)(uintptr_t)(t->bpf.tss_key_addr - 4),
				sizeof(tss) };

	/* Another /proc (tests) is not this pid's memory. */
	if (strcmp(proc_root, "/proc") ||
	    process_vm_readv((pid_t)pid, &local, 1, &remote, 1, 0) !=
		    (ssize_t)sizeof(tss) ||
	    tss.initialized != 1)
		return;
	t->bpf.tss_key = tss.key;
	t->bpf.tss_key_known = 1;
}

int pyframes__inspect(const char *proc_root, uint32_t pid,
		      struct py_target *out, char *err, size_t errlen)
{
	struct elf_sym_info rt, ct;
	struct elf_image *img;
	struct mapping m;
	char path[1100];
	uint64_t bias = 0;
	uint32_t version;
	int64_t tss;
	int e;

	memset(out, 0, sizeof(*out));
	/* _PyRuntime is in libpython when there is one (--enable-shared),
	 * else in the executable. */
	e = find_mapping(proc_root, pid, is_libpython, &m);
	if (e == -ENOENT)
		e = find_mapping(proc_root, pid, is_python, &m);
	if (e)
		return e;
	version = version_of_name(m.path);
	snprintf(out->interp, sizeof(out->interp), "%s", m.path);
	if (pyframes__builtin(version, out))
		return errmsg_set(err, errlen, -ENOTSUP,
				  "pid %u runs Python 3.%u, which has no frame "
				  "layout here (3.10 to 3.13 have)",
				  pid, version & 0xff);
	root_path(proc_root, pid, m.path, path, sizeof(path));
	e = elf_image__open(path, &img, err, errlen);
	if (e)
		return e;
	if (elf_image__find_symbol(img, "_PyRuntime", &rt) ||
	    elf_image__find_symbol(img, "PyCode_Type", &ct)) {
		elf_image__close(img);
		return -ENOENT; /* a python3.N that links libpython */
	}
	e = load_bias(img, &m, &bias);
	if (e) {
		elf_image__close(img);
		return errmsg_set(err, errlen, e,
				  "%s: no load segment for its mapping",
				  m.path);
	}
	if (version >= 0x030d)
		debug_offsets(img, rt.value, out);
	if (!first_lea_disp(img, "PyGILState_GetThisThreadState", &tss) &&
	    tss > 0 && tss < 65536) {
		out->tss_src = "code of PyGILState_GetThisThreadState";
	} else {
		tss = table_of(version)->tss;
	}
	elf_image__close(img);
	out->tss_off = (uint32_t)tss;
	out->bpf.tss_key_addr = bias + rt.value + (uint64_t)tss + 4;
	out->code_type = bias + ct.value;
	out->bpf.enabled = 1;
	find_libc(proc_root, pid, out);
	known_key(proc_root, pid, out);
	return 0;
}

/* What ttbpf-trace -v says of an interpreter it found. */
static void say_found(uint32_t pid, const struct py_target *t)
{
	/* The path is the process's to choose. */
	char esc[TEXT_ESCAPED_LEN(sizeof(t->interp))];

	fprintf(stderr,
		"ttbpf: pid %u runs Python 3.%u (%s): frames from %s, "
		"thread key from %s, glibc slots from %s\n",
		pid, t->version & 0xff,
		text_escape(t->interp, SIZE_MAX, esc, sizeof(esc)),
		t->layout_src, t->tss_src, t->libc_src);
}

/*
 * Tell the BPF side (map @procs_fd, pyframes.bpf.h) how to read @pid's
 * frames, or that it runs no CPython. Returns 1 when it runs one.
 */
static int pyframes__register(int procs_fd, uint32_t pid, int verbose)
{
	struct py_target t;
	char err[512];
	int e = pyframes__inspect("/proc", pid, &t, err, sizeof(err));

	if (e) {
		/* Known not to run Python: BPF stops asking. */
		memset(&t, 0, sizeof(t));
		if (e == -ENOTSUP)
			fprintf(stderr,
				"ttbpf: no Python frames for pid %u: "
				"%s\n",
				pid, err);
	} else if (verbose) {
		say_found(pid, &t);
	}
	bpf_map_update_elem(procs_fd, &pid, &t.bpf, BPF_ANY);
	return !e;
}

int pyframes__register_exec(int procs_fd, uint32_t pid, bool last_try,
			    int verbose)
{
	struct py_target t;
	char err[512];
	int e = pyframes__inspect("/proc", pid, &t, err, sizeof(err));

	if (e == -ESRCH)
		return PY_EXEC_GONE;
	if (e == -ENOTSUP) {
		fprintf(stderr, "ttbpf: no Python frames for pid %u: %s\n", pid,
			err);
		memset(&t, 0, sizeof(t));
		bpf_map_update_elem(procs_fd, &pid, &t.bpf, BPF_ANY);
		return PY_EXEC_GONE;
	}
	/* Right after exec the dynamic linker may not have mapped
	 * libpython yet (the executable alone says "no CPython"), nor libc
	 * (its key slots would be a guess): not a verdict. Its first
	 * allocation still queues it if it never gets there. */
	if (e || (!last_try && t.libc_src == LIBC_BUILTIN))
		return last_try ? PY_EXEC_GONE : PY_EXEC_RETRY;
	if (verbose)
		say_found(pid, &t);
	if (bpf_map_update_elem(procs_fd, &pid, &t.bpf, BPF_ANY))
		return PY_EXEC_GONE;
	return t.bpf.tss_key_known ? PY_EXEC_DONE : PY_EXEC_NO_KEY;
}

int pyframes__learn_key(int procs_fd, uint32_t pid)
{
	struct py_target t = { 0 };

	if (bpf_map_lookup_elem(procs_fd, &pid, &t.bpf) || !t.bpf.enabled)
		return PY_EXEC_GONE;
	if (t.bpf.tss_key_known)
		return PY_EXEC_DONE;
	known_key("/proc", pid, &t);
	if (!t.bpf.tss_key_known)
		return kill((pid_t)pid, 0) && errno == ESRCH ? PY_EXEC_GONE
							     : PY_EXEC_NO_KEY;
	/* BPF_EXIST: not for a process whose exit removed the entry. */
	if (bpf_map_update_elem(procs_fd, &pid, &t.bpf, BPF_EXIST))
		return PY_EXEC_GONE;
	return PY_EXEC_DONE;
}

static bool is_tt_lib(const char *p)
{
	const char *base = strrchr(p, '/');

	return base && (!strncmp(base + 1, "libtt_metal.so", 14) ||
			!strcmp(base + 1, "_ttnncpp.so"));
}

static void explain_one(FILE *f, const char *proc_root, uint32_t pid)
{
	struct py_target t;
	char err[512];
	int e = pyframes__inspect(proc_root, pid, &t, err, sizeof(err));

	fprintf(f, "  pid %u: ", pid);
	if (e == -ENOENT || e == -ESRCH) {
		fputs(e == -ESRCH ? "no such process\n" : "runs no CPython\n",
		      f);
		return;
	}
	if (e) {
		text_escape_to(f, e == -ENOTSUP ? err : strerror(-e), SIZE_MAX);
		fputs(": no Python frames\n", f);
		return;
	}
	fprintf(f, "Python 3.%u in ", t.version & 0xff);
	text_escape_to(f, t.interp, SIZE_MAX);
	fprintf(f,
		"\n    frame and code object offsets: %s\n"
		"    thread key (_PyRuntime+%u): %s\n"
		"    glibc key slots (struct pthread+0x%x): %s\n",
		t.layout_src, t.tss_off, t.tss_src, t.bpf.tls_specific_off,
		t.libc_src);
}

int pyframes__explain(FILE *f, const char *proc_root, uint32_t pid)
{
	struct mapping m;
	struct dirent *d;
	int n = 0;
	DIR *dir;

	fprintf(f, "python (%s):\n",
		pid ? "the process"
		    : "processes running CPython with TT-Metal");
	if (pid) {
		explain_one(f, proc_root, pid);
		return 1;
	}
	dir = opendir(proc_root);
	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		char *end;
		unsigned long p = strtoul(d->d_name, &end, 10);

		if (*end || !p || p > UINT32_MAX ||
		    find_mapping(proc_root, (uint32_t)p, is_python, &m) ||
		    find_mapping(proc_root, (uint32_t)p, is_tt_lib, &m))
			continue;
		explain_one(f, proc_root, (uint32_t)p);
		n++;
	}
	closedir(dir);
	if (!n)
		fputs("  none running; a later one is inspected when it "
		      "execs python*, else at its first allocation "
		      "(ttbpf-trace -v prints what it used)\n",
		      f);
	return n;
}

int pyframes__register_unseen(int unseen_fd, int procs_fd, int verbose)
{
	uint32_t key, next;
	int n = 0;

	/* Take the first key each time: deleting while iterating skips. */
	while (!bpf_map_get_next_key(unseen_fd, NULL, &next)) {
		key = next;
		pyframes__register(procs_fd, key, verbose);
		bpf_map_delete_elem(unseen_fd, &key);
		n++;
	}
	return n;
}

void pyframes__register_running(int procs_fd, uint32_t pid, int verbose)
{
	struct mapping m;
	struct dirent *d;
	DIR *dir;

	if (pid) {
		pyframes__register(procs_fd, pid, verbose);
		return;
	}
	dir = opendir("/proc");
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		char *end;
		unsigned long p = strtoul(d->d_name, &end, 10);

		if (*end || !p || p > UINT32_MAX)
			continue;
		/* Only interpreters: other processes are asked about when
		 * they first allocate. */
		if (!find_mapping("/proc", (uint32_t)p, is_python, &m))
			pyframes__register(procs_fd, (uint32_t)p, verbose);
	}
	closedir(dir);
}
