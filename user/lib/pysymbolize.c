// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "json_writer.h"
#include "pyframes.h"
#include "pysymbolize.h"

#define CODE_BUCKETS  1024
#define MAX_LINETABLE (1 << 20)

struct code_entry {
	struct code_entry *next;
	uint32_t pid;
	uint64_t code;
	enum py_frame_status status;
	int firstlineno;
	char function[256];
	char file[512];
	uint8_t *linetable;
	size_t linetable_len;
};

struct proc_entry {
	uint32_t pid;
	int err; /* inspection failed: frames cannot be read */
	struct py_target t;
};

struct pysymbolizer {
	char proc_root[256];
	struct proc_entry *procs;
	size_t n_procs;
	struct code_entry *codes[CODE_BUCKETS];
};

struct pysymbolizer *pysymbolizer__new(const char *proc_root)
{
	struct pysymbolizer *s = calloc(1, sizeof(*s));

	if (s)
		snprintf(s->proc_root, sizeof(s->proc_root), "%s",
			 proc_root ? proc_root : "/proc");
	return s;
}

void pysymbolizer__free(struct pysymbolizer *s)
{
	if (!s)
		return;
	for (size_t b = 0; b < CODE_BUCKETS; b++) {
		struct code_entry *c = s->codes[b], *next;

		for (; c; c = next) {
			next = c->next;
			free(c->linetable);
			free(c);
		}
	}
	free(s->procs);
	free(s);
}

void pysymbolizer__forget(struct pysymbolizer *s, uint32_t pid)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_procs; i++) {
		if (s->procs[i].pid != pid)
			continue;
		s->procs[i] = s->procs[--s->n_procs];
		break;
	}
	for (size_t b = 0; b < CODE_BUCKETS; b++) {
		struct code_entry **pp = &s->codes[b], *c;

		while ((c = *pp)) {
			if (c->pid != pid) {
				pp = &c->next;
				continue;
			}
			*pp = c->next;
			free(c->linetable);
			free(c);
		}
	}
}

static int read_mem(uint32_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)addr, len };
	ssize_t n = process_vm_readv((pid_t)pid, &local, 1, &remote, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

static const struct proc_entry *proc_of(struct pysymbolizer *s, uint32_t pid)
{
	struct proc_entry *p;
	char err[256];

	for (size_t i = 0; i < s->n_procs; i++)
		if (s->procs[i].pid == pid)
			return &s->procs[i];
	p = realloc(s->procs, (s->n_procs + 1) * sizeof(*p));
	if (!p)
		return NULL;
	s->procs = p;
	p = &s->procs[s->n_procs++];
	p->pid = pid;
	p->err = pyframes__inspect(s->proc_root, pid, &p->t, err, sizeof(err));
	return p;
}

/* UTF-8 of a compact str object, "" when it is none. */
static int read_str(uint32_t pid, const struct py_code_layout *l, uint64_t obj,
		    char *out, size_t outlen)
{
	uint8_t hdr[48], raw[1024];
	uint64_t len;
	uint32_t state, kind;
	size_t o = 0;

	out[0] = 0;
	if (!obj || read_mem(pid, obj, hdr, sizeof(hdr)))
		return -EFAULT;
	memcpy(&len, hdr + 16, 8);
	memcpy(&state, hdr + 32, 4);
	kind = (state >> 2) & 7;
	if (!((state >> 5) & 1) || (kind != 1 && kind != 2 && kind != 4))
		return -EINVAL; /* not compact: not a name CPython made */
	if (len * kind > sizeof(raw))
		len = sizeof(raw) / kind;
	if (read_mem(pid,
		     obj + (uint64_t)(((state >> 6) & 1) ? l->ascii_data
							 : l->compact_data),
		     raw, len * kind))
		return -EFAULT;
	for (uint64_t i = 0; i < len && o + 5 < outlen; i++) {
		uint32_t c = kind == 1 ? raw[i]
			     : kind == 2
				     ? (uint32_t)raw[2 * i] |
					       (uint32_t)raw[2 * i + 1] << 8
				     : (uint32_t)raw[4 * i] |
					       (uint32_t)raw[4 * i + 1] << 8 |
					       (uint32_t)raw[4 * i + 2] << 16 |
					       (uint32_t)raw[4 * i + 3] << 24;

		if (c < 0x80) {
			out[o++] = (char)c;
		} else if (c < 0x800) {
			out[o++] = (char)(0xc0 | c >> 6);
			out[o++] = (char)(0x80 | (c & 0x3f));
		} else if (c < 0x10000) {
			out[o++] = (char)(0xe0 | c >> 12);
			out[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (c & 0x3f));
		} else {
			out[o++] = (char)(0xf0 | c >> 18);
			out[o++] = (char)(0x80 | ((c >> 12) & 0x3f));
			out[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (c & 0x3f));
		}
	}
	out[o] = 0;
	return 0;
}

static uint64_t field_u64(const uint8_t *b, int32_t off)
{
	uint64_t v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

static void code_load(struct code_entry *c, const struct proc_entry *p)
{
	const struct py_code_layout *l = &p->t.code;
	uint8_t co[256], bytes[32];
	uint64_t type, tab, len;
	int32_t first;

	c->status = PY_FRAME_GONE;
	if (read_mem(c->pid, c->code, co, sizeof(co))) {
		c->status = PY_FRAME_NO_PROC;
		return;
	}
	type = field_u64(co, 8);
	if (type != p->t.code_type)
		return;
	memcpy(&first, co + l->co_firstlineno, sizeof(first));
	c->firstlineno = first;
	if (read_str(c->pid, l, field_u64(co, l->co_filename), c->file,
		     sizeof(c->file)) ||
	    read_str(c->pid, l, field_u64(co, l->co_name), c->function,
		     sizeof(c->function)))
		return;
	tab = field_u64(co, l->co_linetable);
	if (!tab || read_mem(c->pid, tab, bytes, sizeof(bytes)))
		return;
	len = field_u64(bytes, 16); /* ob_size of the bytes object */
	if (len > MAX_LINETABLE)
		return;
	c->linetable = malloc(len ? len : 1);
	if (!c->linetable || read_mem(c->pid, tab + 32, c->linetable, len))
		return;
	c->linetable_len = len;
	c->status = PY_FRAME_OK;
}

static struct code_entry *code_of(struct pysymbolizer *s,
				  const struct proc_entry *p, uint64_t code)
{
	size_t b = (code >> 4 ^ p->pid) % CODE_BUCKETS;
	struct code_entry *c;

	for (c = s->codes[b]; c; c = c->next)
		if (c->pid == p->pid && c->code == code)
			return c;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->pid = p->pid;
	c->code = code;
	code_load(c, p);
	c->next = s->codes[b];
	s->codes[b] = c;
	return c;
}

/* 3.10: (bytes advanced, line delta) pairs, PEP 626. */
static int line_310(const uint8_t *tab, size_t len, int line, int64_t target)
{
	int64_t addr = 0;

	for (size_t i = 0; i + 1 < len; i += 2) {
		int64_t start = addr;
		int8_t ld = (int8_t)tab[i + 1];

		addr += tab[i];
		if (ld != -128)
			line += ld;
		if (start <= target && target < addr)
			return ld == -128 ? 0 : line;
	}
	return 0;
}

static int varint(const uint8_t *tab, size_t len, size_t *i)
{
	unsigned int v = 0, shift = 0;
	uint8_t b;

	do {
		if (*i >= len || shift > 24)
			return 0;
		b = tab[(*i)++];
		v |= (unsigned int)(b & 63) << shift;
		shift += 6;
	} while (b & 64);
	return (v & 1) ? -(int)(v >> 1) : (int)(v >> 1);
}

/* 3.11+: the location table of PEP 657, ranges in code units. */
static int line_311(const uint8_t *tab, size_t len, int line, int64_t target)
{
	int64_t addr = 0;
	size_t i = 0;

	while (i < len) {
		uint8_t b = tab[i++];
		int code = (b >> 3) & 15, delta = 0, here;
		int64_t start = addr;

		if (!(b & 0x80))
			return 0; /* not at an entry: table misread */
		addr += (b & 7) + 1;
		if (code == 14 || code == 13)
			delta = varint(tab, len, &i);
		else if (code >= 10 && code <= 12)
			delta = code - 10;
		line += delta;
		here = code == 15 ? 0 : line;
		if (start <= target && target < addr)
			return here;
		while (i < len && !(tab[i] & 0x80))
			i++;
	}
	return 0;
}

int py_linetable_line(uint32_t version, const uint8_t *tab, size_t len,
		      int firstlineno, int64_t lasti)
{
	if (lasti < 0)
		return 0;
	if (version < 0x030b)
		return line_310(tab, len, firstlineno, lasti * 2);
	return line_311(tab, len, firstlineno, lasti);
}

int pysymbolizer__is_python(struct pysymbolizer *s, uint32_t pid)
{
	const struct proc_entry *p = proc_of(s, pid);

	return p && !p->err;
}

void pysymbolizer__resolve(struct pysymbolizer *s, uint32_t pid,
			   const struct ttbpf_py_stack *st, uint32_t i,
			   struct py_frame *out)
{
	const struct proc_entry *p = proc_of(s, pid);
	const struct code_entry *c;
	int64_t lasti;

	memset(out, 0, sizeof(*out));
	out->status = PY_FRAME_NO_PROC;
	if (!p || p->err || i >= TTBPF_PY_MAX_DEPTH)
		return;
	c = code_of(s, p, st->code[i]);
	if (!c)
		return;
	out->status = c->status;
	if (c->status != PY_FRAME_OK)
		return;
	snprintf(out->function, sizeof(out->function), "%s", c->function);
	snprintf(out->file, sizeof(out->file), "%s", c->file);
	if (p->t.code.co_code_adaptive < 0)
		lasti = (int32_t)st->instr[i]; /* f_lasti, code units */
	else
		lasti = ((int64_t)st->instr[i] -
			 (int64_t)(st->code[i] + p->t.code.co_code_adaptive)) /
			2;
	out->line = py_linetable_line(p->t.version, c->linetable,
				      c->linetable_len, c->firstlineno, lasti);
	if (!out->line)
		out->status = PY_FRAME_NO_LINE;
}

const char *py_frame__label(const struct py_frame *f, char *buf, size_t len)
{
	switch (f->status) {
	case PY_FRAME_OK:
		snprintf(buf, len, "%s (%s:%d)", f->function, f->file, f->line);
		break;
	case PY_FRAME_NO_LINE:
		snprintf(buf, len, "%s (%s, line unknown)", f->function,
			 f->file);
		break;
	case PY_FRAME_GONE:
		snprintf(buf, len, "<python code object gone>");
		break;
	default:
		snprintf(buf, len, "<python frame unreadable: process gone>");
		break;
	}
	return buf;
}

const char *py_stack_note(int32_t id)
{
	switch (id) {
	case TTBPF_PY_NO_THREAD:
		return "no Python frames on this thread";
	case TTBPF_PY_PENDING:
		return "Python frames not captured: the process was not "
		       "inspected yet";
	case TTBPF_PY_LOST:
		return "Python frames lost: unreadable or map full";
	default:
		return NULL;
	}
}

void py_frame__json(struct json_writer *w, const struct py_frame *f)
{
	bool named = f->status == PY_FRAME_OK || f->status == PY_FRAME_NO_LINE;

	json_writer__begin_object(w);
	json_writer__key(w, "function");
	named ? json_writer__string(w, f->function) : json_writer__null(w);
	json_writer__key(w, "file");
	named ? json_writer__string(w, f->file) : json_writer__null(w);
	json_writer__key(w, "line");
	f->status == PY_FRAME_OK ? json_writer__u64(w, (uint64_t)f->line)
				 : json_writer__null(w);
	if (!named) {
		char buf[512];

		json_writer__key(w, "note");
		json_writer__string(
			w, f->status == PY_FRAME_NONE
				   ? f->function
				   : py_frame__label(f, buf, sizeof(buf)));
	}
	json_writer__end_object(w);
}
