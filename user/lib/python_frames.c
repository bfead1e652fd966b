// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <stdlib.h>

#include "json_writer.h"
#include "pysymbolize.h"
#include "python_frames.h"
#include "state.h"

struct python_frames {
	const struct ttbpf_maps *m;
	struct pysymbolizer *py;
};

struct python_frames *python_frames__new(const struct ttbpf_maps *m)
{
	struct python_frames *pf = calloc(1, sizeof(*pf));

	if (!pf)
		return NULL;
	pf->m = m;
	pf->py = pysymbolizer__new("/proc");
	if (!pf->py) {
		free(pf);
		return NULL;
	}
	return pf;
}

void python_frames__free(struct python_frames *pf)
{
	if (!pf)
		return;
	pysymbolizer__free(pf->py);
	free(pf);
}

/* The one frame of a stack that has none: why. */
static void note_only(struct json_writer *w, const char *note)
{
	struct py_frame f = { .status = PY_FRAME_NONE };

	snprintf(f.function, sizeof(f.function), "%s", note);
	json_writer__key(w, "python");
	json_writer__begin_array(w);
	py_frame__json(w, &f);
	json_writer__end_array(w);
}

static void write_frames(struct json_writer *w, const struct ttbpf_event *e,
			 void *ctx)
{
	struct python_frames *pf = ctx;
	int32_t id = e->py_stack_id;
	struct ttbpf_py_stack st;
	struct py_frame f;
	const char *note;

	/* Not a Python process: no key, as in the snapshot. */
	if (id == TTBPF_PY_NONE || (id == TTBPF_PY_PENDING &&
				    !pysymbolizer__is_python(pf->py, e->pid)))
		return;
	note = py_stack_note(id);
	if (note || state__read_py_stack(pf->m, id, &st)) {
		note_only(w, note ? note : "Python frames gone from the map");
		return;
	}
	json_writer__key(w, "python");
	json_writer__begin_array(w);
	for (uint32_t i = 0; i < st.n && i < TTBPF_PY_MAX_DEPTH; i++) {
		if (!st.code[i])
			continue; /* the shim frame of a C call */
		pysymbolizer__resolve(pf->py, e->pid, &st, i, &f);
		py_frame__json(w, &f);
	}
	if (st.truncated) {
		f = (struct py_frame){ .status = PY_FRAME_NONE };
		snprintf(f.function, sizeof(f.function),
			 "more Python frames than %d: outer ones not captured",
			 TTBPF_PY_MAX_DEPTH);
		py_frame__json(w, &f);
	}
	json_writer__end_array(w);
}

void python_frames__hook(struct python_frames *pf, struct event_json *x)
{
	x->python = write_frames;
	x->python_ctx = pf;
}
