// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "format.h"
#include "http_server.h"

#define REQ_MAX 8192

static int parse_spec(const char *spec, char *host, size_t hostlen,
		      const char **port)
{
	size_t n;

	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');

		if (!end || end[1] != ':')
			return -EINVAL;
		n = (size_t)(end - spec - 1);
		spec++;
		*port = end + 2;
	} else {
		const char *c = strrchr(spec, ':');

		if (!c)
			return -EINVAL;
		n = (size_t)(c - spec);
		*port = c + 1;
	}
	if (!n || n >= hostlen)
		return -EINVAL;
	memcpy(host, spec, n);
	host[n] = '\0';
	return 0;
}

int http_server__listen(const char *spec, unsigned int *port, char *err,
			size_t errlen)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	const char *p;
	char host[128];
	uint64_t pn;
	int fd, one = 1, ret;

	/* inet_pton, not getaddrinfo: numeric only, and no NSS when static. */
	if (parse_spec(spec, host, sizeof(host), &p) ||
	    format_parse_u64(p, 65535, &pn)) {
		ret = -EINVAL;
	} else if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)pn);
		sl = sizeof(*v4);
		ret = 0;
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)pn);
		sl = sizeof(*v6);
		ret = 0;
	} else {
		ret = -EINVAL;
	}
	if (ret) {
		snprintf(err, errlen,
			 "invalid --listen %.128s (want ADDR:PORT with a "
			 "numeric address, e.g. 127.0.0.1:9473 or [::1]:9473)",
			 spec);
		return ret;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		goto fail;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 16)) {
		ret = -errno;
		close(fd);
		goto fail;
	}
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl))
		*port = 0;
	else if (ss.ss_family == AF_INET6)
		*port = ntohs(v6->sin6_port);
	else
		*port = ntohs(v4->sin_port);
	return fd;
fail:
	snprintf(err, errlen,
		 "cannot listen on %.128s: %s (address in use or not on this "
		 "host? pick another with --listen)",
		 spec, strerror(-ret));
	return ret;
}

static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void respond(int fd, int code, const char *type, const char *body,
		    size_t len, int head)
{
	const char *reason = code == 200   ? "OK"
			     : code == 404 ? "Not Found"
			     : code == 405 ? "Method Not Allowed"
					   : "Bad Request";
	char hdr[256];
	int n;

	n = snprintf(hdr, sizeof(hdr),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: "
		     "%zu\r\nConnection: close\r\n\r\n",
		     code, reason, type, len);
	send_all(fd, hdr, (size_t)n);
	if (!head)
		send_all(fd, body, len);
}

/* Read up to the end of the headers; 0 when complete. */
static int read_request(int c, char *buf, size_t cap)
{
	size_t n = 0;

	while (n < cap - 1) {
		ssize_t r = recv(c, buf + n, cap - 1 - n, 0);

		if (r <= 0)
			return -EIO;
		n += (size_t)r;
		buf[n] = '\0';
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			return 0;
	}
	return -E2BIG;
}

int http_server__serve_one(int fd, http_handler fn, void *ctx)
{
	static const char bad[] = "bad request\n";
	static const char method[] = "only GET and HEAD\n";
	struct timeval tv = { .tv_sec = 5 };
	char *req, *sp, *path, *body = NULL;
	const char *type = "text/plain";
	size_t len = 0;
	int c, code, head;

	c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return -errno;
	/* A client that stalls is cut off: the next scrape must not wait. */
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	req = malloc(REQ_MAX);
	if (!req || read_request(c, req, REQ_MAX)) {
		if (req)
			respond(c, 400, type, bad, sizeof(bad) - 1, 0);
		goto out;
	}
	sp = strchr(req, ' ');
	path = sp ? sp + 1 : NULL;
	sp = path ? strchr(path, ' ') : NULL;
	if (!sp) {
		respond(c, 400, type, bad, sizeof(bad) - 1, 0);
		goto out;
	}
	*sp = '\0';
	head = !strncmp(req, "HEAD ", 5);
	if (!head && strncmp(req, "GET ", 4)) {
		respond(c, 405, type, method, sizeof(method) - 1, 0);
		goto out;
	}
	/* Prometheus may add a query string: the path is what counts. */
	path[strcspn(path, "?")] = '\0';
	code = fn(ctx, path, &body, &len, &type);
	respond(c, code, type, body ? body : "", body ? len : 0, head);
	free(body);
out:
	free(req);
	close(c);
	return 0;
}
