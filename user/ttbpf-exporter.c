// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ttbpf-exporter: Tenstorrent device memory per chip, type and process as
 * Prometheus metrics on /metrics. Reads the maps pinned by `ttbpf-trace
 * --pin`, or attaches by itself when nothing is pinned, like ttbpf-top.
 * Every scrape is one state__read(): lookups on the maps, nothing that
 * waits on or slows the BPF programs.
 */
#include <argp.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capacity.h"
#include "http_server.h"
#include "maps.h"
#include "metrics.h"
#include "state.h"
#include "reader_args.h"
#include "tracer.h"
#include "version.h"

#define DEFAULT_LISTEN "127.0.0.1:9473"

static struct env {
	struct reader_args r; /* set up in main() */
	const char *listen;
} env = {
	.listen = DEFAULT_LISTEN,
};

void (*argp_program_version_hook)(FILE *,
				  struct argp_state *) = version__argp_hook;
static volatile sig_atomic_t exiting;

static const char doc[] =
	"Serve Tenstorrent device memory (per chip, buffer type and process) "
	"as Prometheus metrics on http://ADDR:PORT/metrics. Reads what "
	"`ttbpf-trace --pin` keeps, or attaches by itself when nothing is "
	"pinned (then only allocations from now on are seen).\n"
	"\n"
	"USAGE: ttbpf-exporter [--listen ADDR:PORT] [--arch ARCH] "
	"[--capacity TYPE=BYTES,...] [--lib PATH]...\n"
	"\n"
	"EXAMPLES:\n"
	"  sudo ttbpf-trace --pin --quiet &\n"
	"  sudo ttbpf-exporter                        # " DEFAULT_LISTEN "\n"
	"  sudo ttbpf-exporter --listen 0.0.0.0:9473 --arch wormhole_b0\n"
	"  curl -s localhost:9473/metrics | grep ttbpf_device_memory_used\n";

enum {
	OPT_LISTEN = 0x100,
};

static const struct argp_option options[] = {
	{ "listen", OPT_LISTEN, "ADDR:PORT", 0,
	  "Address to serve on (default " DEFAULT_LISTEN
	  "; [::1]:PORT for IPv6; port 0 picks a free one)",
	  0 },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &env.r;
		break;
	case OPT_LISTEN:
		env.listen = arg;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument: %s", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

struct server {
	const struct ttbpf_maps *maps;
	struct metrics_info info;
};

static int on_request(void *ctx, const char *path, char **body, size_t *len,
		      const char **type)
{
	const struct server *srv = ctx;
	struct metrics_info info = srv->info;
	struct proc_names names;
	struct state s;
	FILE *f;
	int err;

	if (strcmp(path, "/metrics")) {
		*body = strdup("ttbpf-exporter: metrics are on /metrics\n");
		*len = *body ? strlen(*body) : 0;
		return 404;
	}
	f = open_memstream(body, len);
	if (!f)
		return 500;
	err = state__read(srv->maps, &s, STATE_HOST_CHIPS);
	if (err)
		fprintf(stderr, "ttbpf-exporter: reading the maps failed: %s\n",
			strerror(-err));
	/* Names for one scrape only: a reused pid must not keep old ones. */
	proc_names__init(&names, "/proc");
	info.names = &names;
	metrics__write(f, err ? NULL : &s, &info);
	proc_names__clear(&names);
	if (!err)
		state__free(&s);
	fclose(f);
	*type = "text/plain; version=0.0.4; charset=utf-8";
	return 200;
}

/* The pinned maps, or a tracer of our own when nothing is pinned. */
static int open_maps(struct tracer **t, struct ttbpf_maps *maps)
{
	struct tracer_opts o = {
		.libs = env.r.libs,
		.n_libs = env.r.n_libs,
		.layout = env.r.layout,
		.verbose = env.r.verbose,
	};

	return tracer__open_reader("ttbpf-exporter", env.r.pin_dir, &o, t,
				   maps);
}

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

int main(int argc, char **argv)
{
	static const struct argp_child children[] = {
		{ &reader_args__argp, 0, NULL, 0 },
		{},
	};
	static const struct argp argp = { options,  parse_opt, NULL, doc,
					  children, NULL,      NULL };
	/* No SA_RESTART: a signal ends the wait in poll() at once. */
	struct sigaction sa = { .sa_handler = on_signal };
	struct ttbpf_maps maps = {};
	struct tracer *tracer = NULL;
	struct server srv = {};
	struct capacity cap;
	unsigned int port;
	char msg[1024];
	int err, lfd;

	reader_args__init(&env.r);
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 1;
	if (capacity__from_options(env.r.arch, env.r.capacity, env.r.sysfs_root,
				   &cap, msg, sizeof(msg))) {
		fprintf(stderr, "ttbpf-exporter: %s\n", msg);
		return 1;
	}
	lfd = http_server__listen(env.listen, &port, msg, sizeof(msg));
	if (lfd < 0) {
		fprintf(stderr, "ttbpf-exporter: %s\n", msg);
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (open_maps(&tracer, &maps)) {
		close(lfd);
		return 1;
	}
	srv.maps = &maps;
	srv.info.version = version__release();
	srv.info.cap = &cap;
	fprintf(stderr, "ttbpf-exporter: serving /metrics on port %u (%s)\n",
		port, tracer ? "attached by ttbpf-exporter" : "pinned maps");
	/* Scrapes one at a time: each is a few map lookups. */
	while (!exiting) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };

		if (poll(&p, 1, 1000) <= 0)
			continue;
		err = http_server__serve_one(lfd, on_request, &srv);
		if (err && err != -EINTR && err != -ECONNABORTED &&
		    err != -EAGAIN)
			fprintf(stderr, "ttbpf-exporter: accept: %s\n",
				strerror(-err));
	}
	close(lfd);
	tracer__close_reader(tracer, &maps);
	return 0;
}
