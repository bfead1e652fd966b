/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The smallest HTTP/1.1 server ttbpf-exporter needs: GET and HEAD, one
 * connection at a time, "Connection: close". Hand-written because the
 * tools also ship statically linked, and Debian's libmicrohttpd.a needs
 * GnuTLS, whose dependencies have no static archives.
 */
#ifndef TTBPF_HTTP_SERVER_H
#define TTBPF_HTTP_SERVER_H

#include <stddef.h>

/*
 * Listen on "ADDR:PORT" or "[V6ADDR]:PORT" (numeric; port 0 picks one).
 * Returns the socket, with the port bound in @port, or a negative errno
 * with a one-line cause and hint in @err.
 */
int http_server__listen(const char *spec, unsigned int *port, char *err,
			size_t errlen);

/*
 * Fill the body for @path; return the status (200, 404, ...), the body
 * in *@body (malloc'ed, freed by the server) and its content type.
 */
typedef int (*http_handler)(void *ctx, const char *path, char **body,
			    size_t *len, const char **type);

/*
 * Accept one connection on @fd and answer it: read the request (at most
 * 8 KiB, 5 s), call @fn for GET/HEAD, 405 for other methods, 400 for
 * what does not parse. Returns 0, or a negative errno from accept.
 */
int http_server__serve_one(int fd, http_handler fn, void *ctx);

#endif /* TTBPF_HTTP_SERVER_H */
