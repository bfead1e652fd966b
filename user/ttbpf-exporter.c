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
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "capacity.h"
#include "format.h"
#include "maps.h"
#include "metrics.h"
#include "state.h"
#include "tracer.h"

#define EXPORTER_VERSION "0.1"
#define DEFAULT_LISTEN	 "127.0.0.1:9473"

static struct env {
	const char *libs[TTBPF_MAX_LIBS];
	size_t n_libs;
	const char *layout;
	const char *pin_dir;
	const char *sysfs_root;
	const char *arch;
	const char *capacity;
	const char *listen;
	int verbose;
} env = {
	.pin_dir = TTBPF_PIN_DIR,
	.sysfs_root = "/sys",
	.listen = DEFAULT_LISTEN,
};

const char *argp_program_version = "ttbpf-exporter " EXPORTER_VERSION;

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
	OPT_ARCH = 0x100,
	OPT_CAPACITY,
	OPT_LIB,
	OPT_LAYOUT,
	OPT_PIN_DIR,
	OPT_SYSFS_ROOT,
	OPT_LISTEN,
};

static const struct argp_option options[] = {
	{ "listen", OPT_LISTEN, "ADDR:PORT", 0,
	  "Address to serve on (default " DEFAULT_LISTEN
	  "; [::1]:PORT for IPv6; port 0 picks a free one)",
	  0 },
	{ "arch", OPT_ARCH, "ARCH", 0,
	  "Capacities of this architecture: wormhole_b0, blackhole, "
	  "grayskull (default: detected from the PCI devices, else none)",
	  0 },
	{ "capacity", OPT_CAPACITY, "TYPE=BYTES,...", 0,
	  "Capacity per chip, e.g. DRAM=12G,L1_SMALL=64K (overrides --arch)",
	  0 },
	{ "lib", OPT_LIB, "PATH", 0,
	  "libtt_metal.so to attach to when nothing is pinned (repeatable)",
	  0 },
	{ "layout", OPT_LAYOUT, "KEY=OFF,...", 0,
	  "Layout override when attaching (see ttbpf-trace --help)", 0 },
	{ "pin-dir", OPT_PIN_DIR, "DIR", 0,
	  "Where the maps are pinned (default " TTBPF_PIN_DIR ")", 0 },
	{ "sysfs-root", OPT_SYSFS_ROOT, "DIR", OPTION_HIDDEN, "sysfs root", 0 },
	{ "verbose", 'v', NULL, 0, "libbpf logs when attaching", 0 },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case OPT_LISTEN:
		env.listen = arg;
		break;
	case OPT_ARCH:
		env.arch = arg;
		break;
	case OPT_CAPACITY:
		env.capacity = arg;
		break;
	case OPT_LIB:
		if (env.n_libs >= TTBPF_MAX_LIBS)
			argp_error(state, "at most %d --lib", TTBPF_MAX_LIBS);
		env.libs[env.n_libs++] = arg;
		break;
	case OPT_LAYOUT:
		env.layout = arg;
		break;
	case OPT_PIN_DIR:
		env.pin_dir = arg;
		break;
	case OPT_SYSFS_ROOT:
		env.sysfs_root = arg;
		break;
	case 'v':
		env.verbose++;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument: %s", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* "ADDR:PORT" or "[V6ADDR]:PORT", numeric only: no DNS at start-up. */
static int parse_listen(const char *spec, struct sockaddr_storage *ss,
			socklen_t *len)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
				  .ai_socktype = SOCK_STREAM };
	char host[128];
	const char *port;
	struct addrinfo *res;
	size_t n;
	uint64_t p;

	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');

		if (!end || end[1] != ':')
			return -EINVAL;
		n = (size_t)(end - spec - 1);
		spec++;
		port = end + 2;
	} else {
		port = strrchr(spec, ':');
		if (!port)
			return -EINVAL;
		n = (size_t)(port - spec);
		port++;
	}
	if (!n || n >= sizeof(host) || format_parse_u64(port, 65535, &p))
		return -EINVAL;
	memcpy(host, spec, n);
	host[n] = '\0';
	if (getaddrinfo(host, port, &hints, &res))
		return -EINVAL;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

struct server {
	const struct ttbpf_maps *maps;
	struct metrics_info info;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int code,
			     const char *type, char *body, size_t len,
			     enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, mode);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_len, void **req)
{
	static char not_found[] = "ttbpf-exporter: metrics are on /metrics\n";
	static char bad_method[] = "ttbpf-exporter: only GET and HEAD\n";
	const struct server *srv = cls;
	struct state s;
	char *body = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)req;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			     bad_method, sizeof(bad_method) - 1,
			     MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", not_found,
			     sizeof(not_found) - 1, MHD_RESPMEM_PERSISTENT);
	f = open_memstream(&body, &len);
	if (!f)
		return MHD_NO;
	err = state__read(srv->maps, &s, 0);
	if (err)
		fprintf(stderr, "ttbpf-exporter: reading the maps failed: %s\n",
			strerror(-err));
	metrics__write(f, err ? NULL : &s, &srv->info);
	if (!err)
		state__free(&s);
	if (fclose(f)) {
		free(body);
		return MHD_NO;
	}
	return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
		     body, len, MHD_RESPMEM_MUST_FREE);
}

static int set_capacity(struct capacity *cap)
{
	char arch[32];

	memset(cap, 0, sizeof(*cap));
	if (env.arch) {
		if (capacity__for_arch(env.arch, cap)) {
			fprintf(stderr,
				"ttbpf-exporter: unknown --arch %s (known: "
				"%s)\n",
				env.arch, capacity__arch_names());
			return -EINVAL;
		}
	} else if (!capacity__detect_arch(env.sysfs_root, arch, sizeof(arch))) {
		capacity__for_arch(arch, cap);
	}
	if (env.capacity && capacity__parse(env.capacity, cap)) {
		fprintf(stderr,
			"ttbpf-exporter: invalid --capacity %s (want "
			"TYPE=BYTES[,TYPE=BYTES], e.g. DRAM=12G)\n",
			env.capacity);
		return -EINVAL;
	}
	return 0;
}

static int attach_self(struct tracer **t, struct ttbpf_maps *maps)
{
	struct tracer_opts o = {
		.libs = env.libs,
		.n_libs = env.n_libs,
		.layout = env.layout,
		.verbose = env.verbose,
	};
	char err[512] = "";
	int e;

	fprintf(stderr,
		"ttbpf-exporter: nothing pinned in %s; attaching by itself "
		"(only allocations from now on are seen; run `sudo ttbpf-trace "
		"--pin` to share one tracer)\n",
		env.pin_dir);
	e = tracer__open(&o, t, err, sizeof(err));
	if (e) {
		fprintf(stderr, "ttbpf-exporter: %s\n",
			err[0] ? err : strerror(-e));
		return e;
	}
	*maps = *tracer__maps(*t);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { options, parse_opt, NULL, doc,
					  NULL,	   NULL,      NULL };
	struct ttbpf_maps maps = {};
	struct tracer *tracer = NULL;
	struct sockaddr_storage addr;
	struct server srv = {};
	const union MHD_DaemonInfo *di;
	struct MHD_Daemon *d;
	struct capacity cap;
	socklen_t addr_len;
	char msg[1024];
	sigset_t set;
	int err, sig;

	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 1;
	if (parse_listen(env.listen, &addr, &addr_len)) {
		fprintf(stderr,
			"ttbpf-exporter: invalid --listen %s (want ADDR:PORT "
			"with a numeric address, e.g. 127.0.0.1:9473 or "
			"[::1]:9473)\n",
			env.listen);
		return 1;
	}
	if (set_capacity(&cap))
		return 1;
	/* Signals are taken by sigwait below, not by the server's thread. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	err = ttbpf_maps__open_pinned(env.pin_dir, &maps, msg, sizeof(msg));
	if (err == -ENOENT) {
		if (attach_self(&tracer, &maps))
			return 1;
	} else if (err) {
		fprintf(stderr, "ttbpf-exporter: %s\n", msg);
		return 1;
	}
	srv.maps = &maps;
	srv.info.version = EXPORTER_VERSION;
	srv.info.cap = &cap;
	/*
	 * One internal thread serves scrapes one at a time: a scrape is a
	 * few map lookups, and a slow or idle client is cut off after 10 s.
	 */
	d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD |
			(addr.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
		0, NULL, NULL, on_request, &srv, MHD_OPTION_SOCK_ADDR, &addr,
		MHD_OPTION_CONNECTION_TIMEOUT, 10U, MHD_OPTION_CONNECTION_LIMIT,
		64U, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr,
			"ttbpf-exporter: cannot listen on %s (address in use "
			"or not on this host? pick another with --listen)\n",
			env.listen);
		err = 1;
		goto out;
	}
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	fprintf(stderr, "ttbpf-exporter: serving /metrics on port %u (%s)\n",
		di ? di->port : 0U,
		tracer ? "attached by ttbpf-exporter" : "pinned maps");
	do {
		if (sigwait(&set, &sig))
			break;
	} while (sig == SIGHUP);
	MHD_stop_daemon(d);
	err = 0;
out:
	if (tracer)
		tracer__close(tracer);
	else
		ttbpf_maps__close(&maps);
	return err ? 1 : 0;
}
