// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <capstone/capstone.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accessor_decode.h"
#include "elf_image.h"
#include "eras.h"

#define NR_GPR	    16
#define REG_RAX	    0
#define REG_RSP	    4
#define REG_RBP	    5
#define REG_RSI	    6
#define REG_RDI	    7
#define MAX_SLOTS   8
#define MAX_PATHS   32
#define MAX_STEPS   96
#define MAX_RESULTS 8

/* What a register holds: unknown, or rdi followed through loads. */
struct val {
	int known;
	int depth;
	int32_t off[ACC_MAX_DEPTH];
	int64_t add; /* added after the last load (lea, add) */
	int width;
	int is_signed;
};

/* -O0 code parks rdi in a stack slot first: remember such stores. */
struct slot {
	int used;
	int base; /* REG_RBP or REG_RSP */
	int64_t disp;
	struct val v;
};

struct path {
	uint64_t pc;
	int steps;
	struct val r[NR_GPR];
	struct slot s[MAX_SLOTS];
};

struct walk {
	csh h;
	cs_insn *insn;
	const uint8_t *code;
	size_t len;
	uint64_t start;
	struct path stack[MAX_PATHS];
	int n_stack;
	int n_forks;
	struct val results[MAX_RESULTS];
	int n_results;
	int bad; /* a ret returned something that is not a chain */
	struct accessor_reads reads;
	struct accessor_flow *flow; /* NULL: no calls or ranges wanted */
};

/* Every name of each general-purpose register, by family (rax = 0...). */
static const x86_reg gpr_names[NR_GPR][5] = {
	{ X86_REG_RAX, X86_REG_EAX, X86_REG_AX, X86_REG_AL, X86_REG_AH },
	{ X86_REG_RCX, X86_REG_ECX, X86_REG_CX, X86_REG_CL, X86_REG_CH },
	{ X86_REG_RDX, X86_REG_EDX, X86_REG_DX, X86_REG_DL, X86_REG_DH },
	{ X86_REG_RBX, X86_REG_EBX, X86_REG_BX, X86_REG_BL, X86_REG_BH },
	{ X86_REG_RSP, X86_REG_ESP, X86_REG_SP, X86_REG_SPL },
	{ X86_REG_RBP, X86_REG_EBP, X86_REG_BP, X86_REG_BPL },
	{ X86_REG_RSI, X86_REG_ESI, X86_REG_SI, X86_REG_SIL },
	{ X86_REG_RDI, X86_REG_EDI, X86_REG_DI, X86_REG_DIL },
	{ X86_REG_R8, X86_REG_R8D, X86_REG_R8W, X86_REG_R8B },
	{ X86_REG_R9, X86_REG_R9D, X86_REG_R9W, X86_REG_R9B },
	{ X86_REG_R10, X86_REG_R10D, X86_REG_R10W, X86_REG_R10B },
	{ X86_REG_R11, X86_REG_R11D, X86_REG_R11W, X86_REG_R11B },
	{ X86_REG_R12, X86_REG_R12D, X86_REG_R12W, X86_REG_R12B },
	{ X86_REG_R13, X86_REG_R13D, X86_REG_R13W, X86_REG_R13B },
	{ X86_REG_R14, X86_REG_R14D, X86_REG_R14W, X86_REG_R14B },
	{ X86_REG_R15, X86_REG_R15D, X86_REG_R15W, X86_REG_R15B },
};

static int gpr(x86_reg r)
{
	if (r == X86_REG_INVALID)
		return -1;
	for (int g = 0; g < NR_GPR; g++)
		for (int i = 0; i < 5; i++)
			if (gpr_names[g][i] == r)
				return g;
	return -1;
}

static void clobber_writes(struct walk *w, struct path *p)
{
	cs_regs rd, wr;
	uint8_t n_rd, n_wr;

	if (cs_regs_access(w->h, w->insn, rd, &n_rd, wr, &n_wr)) {
		/* Cannot tell what it writes: trust nothing any more. */
		memset(p->r, 0, sizeof(p->r));
		return;
	}
	for (int i = 0; i < n_wr; i++) {
		int g = gpr(wr[i]);

		if (g >= 0)
			p->r[g].known = 0;
	}
}

/* Plain [base + disp]: no index, no segment, no rip. */
static int simple_mem(const cs_x86_op *op, int *base, int64_t *disp)
{
	if (op->type != X86_OP_MEM || op->mem.index != X86_REG_INVALID ||
	    op->mem.segment != X86_REG_INVALID)
		return 0;
	*base = gpr(op->mem.base);
	*disp = op->mem.disp;
	return *base >= 0;
}

static struct slot *find_slot(struct path *p, int base, int64_t disp,
			      int create)
{
	struct slot *free_slot = NULL;

	for (int i = 0; i < MAX_SLOTS; i++) {
		if (!p->s[i].used) {
			if (!free_slot)
				free_slot = &p->s[i];
			continue;
		}
		if (p->s[i].base == base && p->s[i].disp == disp)
			return &p->s[i];
	}
	if (!create || !free_slot)
		return NULL;
	free_slot->used = 1;
	free_slot->base = base;
	free_slot->disp = disp;
	return free_slot;
}

static int is_frame_reg(int g)
{
	return g == REG_RBP || g == REG_RSP;
}

/* dst = load of @width bytes at [base + disp]. */
static void do_load(struct path *p, int dst, int base, int64_t disp, int width,
		    int is_signed)
{
	const struct val *b = &p->r[base];
	struct val v = { 0 };

	if (is_frame_reg(base) && !b->known) {
		struct slot *s = find_slot(p, base, disp, 0);

		if (s && s->v.known && width == 8)
			v = s->v;
		p->r[dst] = v;
		return;
	}
	if (!b->known || b->depth >= ACC_MAX_DEPTH ||
	    b->add + disp > INT32_MAX || b->add + disp < INT32_MIN) {
		p->r[dst] = v;
		return;
	}
	v = *b;
	v.off[v.depth++] = (int32_t)(b->add + disp);
	v.add = 0;
	v.width = width;
	v.is_signed = is_signed;
	p->r[dst] = v;
}

/* Returns 1 when the instruction was modelled. */
static int model(struct path *p, const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;
	const cs_x86_op *a = &x->operands[0], *b = &x->operands[1];
	int dst, base;
	int64_t disp;

	if (x->op_count != 2 || a->type != X86_OP_REG)
		goto store;
	dst = gpr(a->reg);
	if (dst < 0)
		return 0;
	switch (insn->id) {
	case X86_INS_MOV:
		if (b->type == X86_OP_REG && gpr(b->reg) >= 0) {
			struct val v = p->r[gpr(b->reg)];

			if (a->size < 8 && v.known && v.width > a->size)
				v.width = a->size;
			p->r[dst] = v;
			return 1;
		}
		if (simple_mem(b, &base, &disp)) {
			do_load(p, dst, base, disp, b->size, 0);
			return 1;
		}
		return 0;
	case X86_INS_MOVZX:
	case X86_INS_MOVSX:
	case X86_INS_MOVSXD:
		if (!simple_mem(b, &base, &disp))
			return 0;
		do_load(p, dst, base, disp, b->size, insn->id != X86_INS_MOVZX);
		return 1;
	case X86_INS_LEA:
		if (!simple_mem(b, &base, &disp) || !p->r[base].known ||
		    is_frame_reg(base))
			return 0;
		p->r[dst] = p->r[base];
		p->r[dst].add += disp;
		return 1;
	case X86_INS_ADD:
	case X86_INS_SUB:
		if (b->type != X86_OP_IMM || !p->r[dst].known ||
		    is_frame_reg(dst))
			return 0;
		p->r[dst].add += insn->id == X86_INS_ADD ? b->imm : -b->imm;
		return 1;
	default:
		return 0;
	}
store:
	/* mov [rbp-8], rdi: keep it for the reload that follows. */
	if (insn->id == X86_INS_MOV && x->op_count == 2 &&
	    simple_mem(a, &base, &disp) && is_frame_reg(base) &&
	    b->type == X86_OP_REG && gpr(b->reg) >= 0 && a->size == 8) {
		struct slot *s = find_slot(p, base, disp, 1);

		if (s)
			s->v = p->r[gpr(b->reg)];
		return 1;
	}
	return 0;
}

static void fork_path(struct walk *w, const struct path *p, uint64_t target)
{
	if (w->n_stack >= MAX_PATHS || ++w->n_forks > 4 * MAX_PATHS)
		return;
	w->stack[w->n_stack] = *p;
	w->stack[w->n_stack].pc = target;
	w->n_stack++;
}

static int inside(const struct walk *w, uint64_t a)
{
	return a >= w->start && a - w->start < w->len;
}

static void on_ret(struct walk *w, const struct path *p)
{
	const struct val *v = &p->r[REG_RAX];

	if (!v->known || !v->depth || v->add) {
		w->bad = 1;
		return;
	}
	if (w->n_results < MAX_RESULTS)
		w->results[w->n_results++] = *v;
}

static void add_read(struct accessor_reads *r, const struct accessor_chain *c)
{
	for (int i = 0; i < r->n; i++)
		if (r->r[i].depth == c->depth && r->r[i].width == c->width &&
		    !memcmp(r->r[i].off, c->off, sizeof(c->off[0]) * c->depth))
			return;
	if (r->n >= ACC_MAX_READS) {
		r->overflow = 1;
		return;
	}
	r->r[r->n++] = *c;
}

/* Every memory operand read through an rdi chain: cmp, test, mov, ... */
static void record_reads(struct walk *w, const struct path *p)
{
	const cs_x86 *x = &w->insn->detail->x86;

	if (w->insn->id == X86_INS_LEA)
		return;
	for (int i = 0; i < x->op_count; i++) {
		const cs_x86_op *op = &x->operands[i];
		const struct val *b;
		struct accessor_chain c = { 0 };
		int base;
		int64_t disp, off;

		if (!(op->access & CS_AC_READ) || !simple_mem(op, &base, &disp))
			continue;
		b = &p->r[base];
		off = b->add + disp;
		if (!b->known || b->depth >= ACC_MAX_DEPTH || off > INT32_MAX ||
		    off < INT32_MIN)
			continue;
		c.depth = b->depth + 1;
		memcpy(c.off, b->off, sizeof(c.off[0]) * b->depth);
		c.off[b->depth] = (int32_t)off;
		c.width = op->size;
		add_read(&w->reads, &c);
	}
}

static void to_chain(const struct val *v, struct accessor_chain *c)
{
	c->depth = v->depth;
	memcpy(c->off, v->off, sizeof(c->off));
	c->width = v->width;
	c->is_signed = v->is_signed;
}

/* A call: where it goes, and what rsi (its second argument, or `this`
 * after a hidden return pointer) holds then. */
static void on_call(struct walk *w, const struct path *p)
{
	const cs_x86 *x = &w->insn->detail->x86;
	struct accessor_flow *f = w->flow;
	const struct val *rsi = &p->r[REG_RSI];

	if (!f || x->op_count != 1 || x->operands[0].type != X86_OP_IMM ||
	    f->n_calls >= ACC_MAX_CALLS)
		return;
	f->calls[f->n_calls].target = (uint64_t)x->operands[0].imm;
	f->calls[f->n_calls].arg_known = rsi->known;
	if (rsi->known) {
		to_chain(rsi, &f->calls[f->n_calls].arg);
		f->calls[f->n_calls].arg_add = rsi->add;
	}
	f->n_calls++;
}

/* What operand @i would give if read: a register, or a load through one. */
static int operand_val(const struct path *p, const cs_x86_op *op,
		       struct val *out)
{
	int base;
	int64_t disp;

	if (op->type == X86_OP_REG) {
		int g = gpr(op->reg);

		if (g < 0)
			return 0;
		*out = p->r[g];
		return out->known;
	}
	if (!simple_mem(op, &base, &disp) || op->size != 8 ||
	    is_frame_reg(base)) {
		return 0;
	}
	{
		struct path tmp = *p;

		do_load(&tmp, REG_RAX, base, disp, 8, 0);
		*out = tmp.r[REG_RAX];
	}
	return out->known;
}

/*
 * `cmp a, b` or `sub a, b` (registers or loads) of two loads 8 bytes apart
 * from the same object: a std::vector's begin and end compared, or its
 * size computed.
 */
static void record_range(struct walk *w, const struct path *p)
{
	const cs_x86 *x = &w->insn->detail->x86;
	struct val a, b;
	const struct val *lo;

	if (!w->flow || w->flow->have_range ||
	    (w->insn->id != X86_INS_CMP && w->insn->id != X86_INS_SUB) ||
	    x->op_count != 2 || !operand_val(p, &x->operands[0], &a) ||
	    !operand_val(p, &x->operands[1], &b))
		return;
	if (!a.depth || a.depth != b.depth || a.add || b.add || a.width != 8 ||
	    b.width != 8 ||
	    memcmp(a.off, b.off, sizeof(a.off[0]) * (a.depth - 1)))
		return;
	lo = a.off[a.depth - 1] < b.off[b.depth - 1] ? &a : &b;
	if (abs(a.off[a.depth - 1] - b.off[b.depth - 1]) != 8)
		return;
	to_chain(lo, &w->flow->range);
	w->flow->have_range = 1;
}

/* Run one path until it returns or dies; may push new paths. */
static int run_path(struct walk *w, struct path *p)
{
	while (p->steps++ < MAX_STEPS && inside(w, p->pc)) {
		size_t off = p->pc - w->start, left = w->len - off;
		const uint8_t *c = w->code + off;
		uint64_t addr = p->pc;
		const cs_x86 *x;

		if (!cs_disasm_iter(w->h, &c, &left, &addr, w->insn))
			return 0;
		x = &w->insn->detail->x86;
		p->pc = addr;
		switch (w->insn->id) {
		case X86_INS_RET:
			on_ret(w, p);
			return 0;
		case X86_INS_CALL:
			on_call(w, p);
			return 0;
		case X86_INS_UD2:
		case X86_INS_INT3:
		case X86_INS_HLT:
		case X86_INS_SYSCALL:
			return 0; /* cold path: TT_FATAL, abort */
		case X86_INS_ENDBR64:
		case X86_INS_NOP:
			continue;
		default:
			break;
		}
		if (cs_insn_group(w->h, w->insn, X86_GRP_JUMP)) {
			uint64_t t;

			if (x->op_count != 1 ||
			    x->operands[0].type != X86_OP_IMM)
				return 0; /* indirect: cannot follow */
			t = (uint64_t)x->operands[0].imm;
			if (w->insn->id == X86_INS_JMP) {
				if (!inside(w, t)) {
					on_call(w, p); /* tail call */
					return 0;
				}
				p->pc = t;
				continue;
			}
			/* Conditional: explore the taken side later. */
			if (inside(w, t))
				fork_path(w, p, t);
			continue;
		}
		record_reads(w, p);
		record_range(w, p);
		if (!model(p, w->insn))
			clobber_writes(w, p);
	}
	return 0;
}

static int same_chain(const struct val *a, const struct val *b)
{
	if (a->depth != b->depth || a->width != b->width ||
	    a->is_signed != b->is_signed)
		return 0;
	return !memcmp(a->off, b->off, sizeof(a->off[0]) * a->depth);
}

/* Explore every path of the function; the caller frees *@out. */
static int walk_function_from(const uint8_t *code, size_t len, uint64_t start,
			      int this_reg, struct accessor_flow *flow,
			      struct walk **out)
{
	struct walk *w;

	*out = NULL;
	if (!code || !len)
		return -ENOENT; /* no code: no accessor to decode */
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->code = code;
	w->len = len;
	w->start = start;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &w->h) != CS_ERR_OK) {
		free(w);
		return -EIO;
	}
	cs_option(w->h, CS_OPT_DETAIL, CS_OPT_ON);
	w->insn = cs_malloc(w->h);
	if (!w->insn) {
		cs_close(&w->h);
		free(w);
		return -ENOMEM;
	}
	w->flow = flow;
	w->stack[0].pc = start;
	w->stack[0].r[this_reg].known = 1;
	w->n_stack = 1;
	while (w->n_stack > 0) {
		struct path p = w->stack[--w->n_stack];

		run_path(w, &p);
	}
	*out = w;
	return 0;
}

static int walk_function(const uint8_t *code, size_t len, uint64_t start,
			 struct walk **out)
{
	return walk_function_from(code, len, start, REG_RDI, NULL, out);
}

static void walk_free(struct walk *w)
{
	if (!w)
		return;
	cs_free(w->insn, 1);
	cs_close(&w->h);
	free(w);
}

int accessor_decode(const uint8_t *code, size_t len, uint64_t start,
		    struct accessor_chain *out)
{
	struct walk *w;
	int e;

	memset(out, 0, sizeof(*out));
	e = walk_function(code, len, start, &w);
	if (e)
		return e;
	e = -ENOENT;
	if (w->bad || !w->n_results)
		goto cleanup;
	for (int i = 1; i < w->n_results; i++)
		if (!same_chain(&w->results[0], &w->results[i]))
			goto cleanup;
	out->depth = w->results[0].depth;
	memcpy(out->off, w->results[0].off, sizeof(out->off));
	out->width = w->results[0].width;
	out->is_signed = w->results[0].is_signed;
	e = 0;
cleanup:
	walk_free(w);
	return e;
}

int accessor_decode__flow(const uint8_t *code, size_t len, uint64_t start,
			  int this_in_rsi, struct accessor_flow *out)
{
	struct walk *w;
	int e;

	memset(out, 0, sizeof(*out));
	e = walk_function_from(code, len, start,
			       this_in_rsi ? REG_RSI : REG_RDI, out, &w);
	walk_free(w);
	return e;
}

/* A read whose chain is the prefix of another is only a pointer hop. */
static int is_prefix(const struct accessor_chain *a,
		     const struct accessor_chain *b)
{
	return a->depth < b->depth &&
	       !memcmp(a->off, b->off, sizeof(a->off[0]) * a->depth);
}

int accessor_decode__reads(const uint8_t *code, size_t len, uint64_t start,
			   struct accessor_reads *out)
{
	struct walk *w;
	int e;

	memset(out, 0, sizeof(*out));
	e = walk_function(code, len, start, &w);
	if (e)
		return e;
	for (int i = 0; i < w->reads.n; i++) {
		int hop = 0;

		for (int j = 0; j < w->reads.n && !hop; j++)
			hop = is_prefix(&w->reads.r[i], &w->reads.r[j]);
		if (!hop && out->n < ACC_MAX_READS)
			out->r[out->n++] = w->reads.r[i];
	}
	out->overflow = w->reads.overflow;
	walk_free(w);
	return out->overflow ? -E2BIG : 0;
}

void accessor_chain__format(const struct accessor_chain *c, char *buf,
			    size_t len)
{
	char tmp[96] = "rdi";

	for (int i = 0; i < c->depth; i++) {
		char next[96];

		snprintf(next, sizeof(next), "[%s%s0x%x]", tmp,
			 c->off[i] < 0 ? "-" : "+",
			 c->off[i] < 0 ? -(unsigned)c->off[i]
				       : (unsigned)c->off[i]);
		memcpy(tmp, next, sizeof(tmp));
	}
	snprintf(buf, len, "%s %c%d", tmp, c->is_signed ? 's' : 'u',
		 c->width * 8);
}

/* Exported accessors, mangled below the era's namespace. */
struct accessor_spec {
	enum tt_layout_field field;
	const char *pretty;
	int buffer; /* a Buffer accessor: may go through impl_ */
	const char *nested;
};

static const struct accessor_spec specs[] = {
	{ TT_F_SIZE, "Buffer::size()", 1, "6Buffer4size" },
	{ TT_F_DEVICE, "Buffer::device()", 1, "6Buffer6device" },
	{ TT_F_TYPE, "Buffer::buffer_type()", 1, "6Buffer11buffer_type" },
	{ TT_F_ADDRESS, "Buffer::address()", 1, "6Buffer7address" },
	{ TT_F_PAGE_SIZE, "Buffer::page_size()", 1, "6Buffer9page_size" },
	{ TT_F_DEVICE_ID, "Device::id()", 0, "6Device2id" },
	{ TT_F_MESH_ID, "MeshDevice::id()", 0, "11distributed10MeshDevice2id" },
};

/* Read the era's @nested method; -ENOENT when the library lacks it. */
static int read_method(const struct elf_image *img, const struct era_desc *era,
		       const char *nested, struct elf_sym_info *s,
		       uint8_t **code)
{
	if (eras__find_method(img, era, nested, NULL, 0, s))
		return -ENOENT;
	return elf_image__read_function(img, s, code);
}

static void note(struct accessor_layout *out, const char *fmt, const char *a)
{
	size_t used = strlen(out->notes);

	if (used < sizeof(out->notes) - 1)
		snprintf(out->notes + used, sizeof(out->notes) - used, fmt, a);
}

struct decoder {
	struct accessor_layout *out;
	const struct era_desc *era;
	int have_impl;
	int32_t impl;
	int n;
};

static void set(struct accessor_field *f, const struct accessor_chain *c,
		const char *pretty, const char *how, uint64_t va)
{
	char chain[64];

	accessor_chain__format(c, chain, sizeof(chain));
	f->found = 1;
	f->off = c->off[c->depth - 1];
	f->vaddr = va;
	snprintf(f->detail, sizeof(f->detail), "%s @0x%llx: %s%s", pretty,
		 (unsigned long long)va, how, chain);
}

/*
 * Take @c as the value of @field. Buffer fields are direct or one hop
 * through impl_, and every Buffer field must agree on that hop.
 */
static int accept(struct decoder *d, enum tt_layout_field field, int buffer,
		  const struct accessor_chain *c, const char *pretty,
		  const char *how, uint64_t va)
{
	int32_t this_impl = -1;

	if (c->depth > (buffer ? 2 : 1)) {
		note(d->out, "%s: load chain too deep; ", pretty);
		return -EINVAL;
	}
	if (buffer && c->depth == 2)
		this_impl = c->off[0];
	if (buffer && d->have_impl && this_impl != d->impl) {
		note(d->out,
		     "%s: disagrees with the other accessors on impl_; ",
		     pretty);
		return -EINVAL;
	}
	if (buffer && !d->have_impl) {
		d->have_impl = 1;
		d->impl = this_impl;
		set(&d->out->f[TT_F_IMPL], c, pretty, how, va);
		d->out->f[TT_F_IMPL].off = this_impl;
		d->n++;
	}
	set(&d->out->f[field], c, pretty, how, va);
	d->n++;
	return 0;
}

static void plain_accessors(struct decoder *d, const struct elf_image *img)
{
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		const struct accessor_spec *sp = &specs[i];
		struct accessor_chain c;
		struct elf_sym_info s;
		uint8_t *code = NULL;
		int e = read_method(img, d->era, sp->nested, &s, &code);

		if (e == -ENOENT)
			continue;
		if (!e)
			e = accessor_decode(code, s.size, s.value, &c);
		free(code);
		if (e) {
			note(d->out, "%s: not a plain field accessor; ",
			     sp->pretty);
			continue;
		}
		accept(d, sp->field, sp->buffer, &c, sp->pretty, "", s.value);
	}
}

/* Leaf reads of the era's @nested method. */
static int reads_of(const struct decoder *d, const struct elf_image *img,
		    const char *nested, uint64_t *va, struct accessor_reads *r)
{
	struct elf_sym_info s = { 0 };
	uint8_t *code = NULL;
	int e = read_method(img, d->era, nested, &s, &code);

	if (!e)
		e = accessor_decode__reads(code, s.size, s.value, r);
	free(code);
	*va = s.value;
	return e;
}

static const struct {
	const char *nested;
	const char *pretty;
} type_predicates[] = {
	{ "6Buffer8is_trace", "Buffer::is_trace()" },
	{ "6Buffer7is_dram", "Buffer::is_dram()" },
	{ "6Buffer5is_l1", "Buffer::is_l1()" },
};

/*
 * Builds whose Buffer accessors are inline still export predicates on
 * buffer_type_ (one 4-byte field read, compared) and num_pages() (size_
 * divided by page_size_): second-hand, but machine-code evidence.
 */
static void indirect_evidence(struct decoder *d, const struct elf_image *img)
{
	struct accessor_field *page = &d->out->f[TT_F_PAGE_SIZE];
	struct accessor_reads r;
	uint64_t va = 0;

	for (size_t i = 0;
	     i < sizeof(type_predicates) / sizeof(type_predicates[0]) &&
	     !d->out->f[TT_F_TYPE].found;
	     i++) {
		if (reads_of(d, img, type_predicates[i].nested, &va, &r) ||
		    r.n != 1 || r.r[0].width != 4)
			continue;
		accept(d, TT_F_TYPE, 1, &r.r[0], type_predicates[i].pretty,
		       "reads ", va);
	}
	if (d->out->f[TT_F_SIZE].found || !page->found ||
	    reads_of(d, img, "6Buffer9num_pages", &va, &r) || r.n != 2)
		return;
	for (int i = 0; i < 2; i++) {
		const struct accessor_chain *c = &r.r[i], *o = &r.r[1 - i];

		/* the other read is page_size_, already known */
		if (c->width != 8 || o->width != 8 ||
		    o->off[o->depth - 1] != page->off)
			continue;
		accept(d, TT_F_SIZE, 1, c, "Buffer::num_pages()", "reads ", va);
		return;
	}
}

int accessor_decode__layout(const struct elf_image *img,
			    const struct era_desc *era,
			    struct accessor_layout *out)
{
	struct decoder d = { .out = out, .era = era, .impl = -1 };

	memset(out, 0, sizeof(*out));
	plain_accessors(&d, img);
	indirect_evidence(&d, img);
	return d.n;
}
