/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --json --python-frames: an alloc event's Python frames, resolved by
 * the tracer as it reads the event (the process usually still runs).
 * BPF recorded them with the buffer and the event names their stack.
 * Frames that cannot be resolved say why.
 */
#ifndef TTBPF_PYTHON_FRAMES_H
#define TTBPF_PYTHON_FRAMES_H

#include "event_format.h"
#include "maps.h"

struct python_frames;

struct python_frames *python_frames__new(const struct ttbpf_maps *m);
void python_frames__free(struct python_frames *pf);
/* Make @x print "python" for alloc events. */
void python_frames__hook(struct python_frames *pf, struct event_json *x);

#endif /* TTBPF_PYTHON_FRAMES_H */
