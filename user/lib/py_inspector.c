// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "py_inspector.h"
#include "pyframes.h"
#include "ttbpf_py.h"

/* Exec'd interpreters waiting for their mappings or their pthread key. */
#define MAX_WATCHED 256
/* The dynamic linker maps libpython and libc within milliseconds of the
 * exec: past this, take what is there. */
#define MAPPED_WITHIN_NS 2000000000LL
/* The interpreter creates its key while it starts; past this BPF just
 * keeps reading it (as exact, one read more per allocation). */
#define KEY_WITHIN_NS 60000000000LL
/* How often a watched process is looked at: well inside the time an
 * interpreter needs to start and import anything, then, past its start,
 * seldom (a program named python* that never maps one costs little). */
#define WATCH_POLL_MS  2
#define WATCH_SLOW_NS  100000000LL
#define WATCH_SLOW_GAP 50000000LL
#define IDLE_POLL_MS   50

struct watched {
	uint32_t pid;
	int state; /* PY_EXEC_RETRY or PY_EXEC_NO_KEY */
	long long since_ns, next_ns;
};

struct py_inspector {
	pthread_t thread;
	atomic_bool stop;
	struct ring_buffer *rb;
	int unseen_fd, procs_fd, verbose;
	struct watched w[MAX_WATCHED];
	size_t n;
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int on_wake(void *ctx, void *data, size_t size)
{
	struct py_inspector *pi = ctx;
	const struct ttbpf_py_wake *w = data;
	size_t i;

	/* A first allocation is in py_unseen, taken after the poll. */
	if (size < sizeof(*w) || w->why != TTBPF_PY_WAKE_EXEC)
		return 0;
	/* A second exec of the same pid starts its wait anew. */
	for (i = 0; i < pi->n && pi->w[i].pid != w->pid; i++)
		;
	if (i == MAX_WATCHED)
		return 0; /* its first allocation queues it */
	if (i == pi->n)
		pi->n++;
	pi->w[i] = (struct watched){ w->pid, PY_EXEC_RETRY, now_ns(), 0 };
	return 0;
}

static void step(struct py_inspector *pi)
{
	long long now = now_ns();
	size_t i = 0;

	while (i < pi->n) {
		struct watched *w = &pi->w[i];
		long long age = now - w->since_ns;
		int r;

		if (now < w->next_ns) {
			i++;
			continue;
		}
		if (w->state == PY_EXEC_RETRY)
			r = pyframes__register_exec(pi->procs_fd, w->pid,
						    age > MAPPED_WITHIN_NS,
						    pi->verbose);
		else
			r = age > KEY_WITHIN_NS
				    ? PY_EXEC_GONE
				    : pyframes__learn_key(pi->procs_fd, w->pid);
		if (r == PY_EXEC_RETRY || r == PY_EXEC_NO_KEY) {
			w->state = r;
			w->next_ns =
				age < WATCH_SLOW_NS ? 0 : now + WATCH_SLOW_GAP;
			i++;
			continue;
		}
		pi->w[i] = pi->w[--pi->n];
	}
}

static void *run(void *arg)
{
	struct py_inspector *pi = arg;

	while (!atomic_load(&pi->stop)) {
		ring_buffer__poll(pi->rb, pi->n ? WATCH_POLL_MS : IDLE_POLL_MS);
		pyframes__register_unseen(pi->unseen_fd, pi->procs_fd,
					  pi->verbose);
		step(pi);
	}
	return NULL;
}

struct py_inspector *py_inspector__start(int wake_fd, int unseen_fd,
					 int procs_fd, int verbose)
{
	struct py_inspector *pi = calloc(1, sizeof(*pi));
	int e;

	if (!pi)
		return NULL;
	pi->unseen_fd = unseen_fd;
	pi->procs_fd = procs_fd;
	pi->verbose = verbose;
	atomic_init(&pi->stop, false);
	pi->rb = ring_buffer__new(wake_fd, on_wake, pi, NULL);
	if (!pi->rb) {
		e = errno;
		free(pi);
		errno = e;
		return NULL;
	}
	e = pthread_create(&pi->thread, NULL, run, pi);
	if (e) {
		ring_buffer__free(pi->rb);
		free(pi);
		errno = e;
		return NULL;
	}
	return pi;
}

void py_inspector__stop(struct py_inspector *pi)
{
	if (!pi)
		return;
	atomic_store(&pi->stop, true);
	pthread_join(pi->thread, NULL);
	ring_buffer__free(pi->rb);
	free(pi);
}
