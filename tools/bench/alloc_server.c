// SPDX-License-Identifier: GPL-2.0
/* The reader end of the allocation-server reporter (tools/ttsim/src/
 * alloc_client.hpp): listens on an AF_UNIX stream socket, accepts any number
 * of clients, reads 72-byte messages and counts them. Prints "ready" once it
 * listens; on SIGTERM/SIGINT reads what is still queued, prints
 * "allocs N frees N bytes N" and exits 0.
 * Usage: alloc_server SOCKET_PATH
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tt_alloc_message.h"

#define MSG_SIZE   TT_ALLOC_MESSAGE_SIZE
#define READ_BATCH 65536

struct client {
	int fd;
	size_t have; /* bytes of a message split across reads */
	unsigned char part[MSG_SIZE];
};

struct server {
	int listen_fd;
	struct client *clients;
	size_t n_clients;
	size_t cap;
	uint64_t allocs;
	uint64_t frees;
	uint64_t bytes;
	uint64_t other;
	uint64_t partial; /* clients that left in the middle of a message */
};

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static void server__count(struct server *s, const unsigned char *raw)
{
	struct tt_alloc_message m;

	memcpy(&m, raw, sizeof(m));
	if (m.type == TT_ALLOC_MSG_ALLOC) {
		s->allocs++;
		s->bytes += m.size;
	} else if (m.type == TT_ALLOC_MSG_FREE) {
		s->frees++;
	} else {
		s->other++;
	}
}

/* Messages may arrive split at any byte: a stream has no boundaries. */
static void client__feed(struct client *c, struct server *s,
			 const unsigned char *p, size_t n)
{
	size_t take;

	if (c->have) {
		take = MSG_SIZE - c->have < n ? MSG_SIZE - c->have : n;
		memcpy(c->part + c->have, p, take);
		c->have += take;
		p += take;
		n -= take;
		if (c->have < MSG_SIZE)
			return;
		server__count(s, c->part);
		c->have = 0;
	}
	for (; n >= MSG_SIZE; p += MSG_SIZE, n -= MSG_SIZE)
		server__count(s, p);
	memcpy(c->part, p, n);
	c->have = n;
}

/* Returns 1 when the client is done (EOF or error), 0 otherwise. */
static int client__read(struct client *c, struct server *s, int drain)
{
	static unsigned char buf[READ_BATCH];
	ssize_t n;

	for (;;) {
		n = recv(c->fd, buf, sizeof(buf), drain ? MSG_DONTWAIT : 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return 1;
		client__feed(c, s, buf, (size_t)n);
		/* One read per poll wakeup unless draining at exit. */
		if (!drain)
			return 0;
	}
}

static int server__add(struct server *s, int fd)
{
	struct client *grown;
	size_t cap;

	if (s->n_clients == s->cap) {
		cap = s->cap ? s->cap * 2 : 16;
		grown = realloc(s->clients, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		s->clients = grown;
		s->cap = cap;
	}
	s->clients[s->n_clients].fd = fd;
	s->clients[s->n_clients].have = 0;
	s->n_clients++;
	return 0;
}

static void server__drop(struct server *s, size_t i)
{
	if (s->clients[i].have)
		s->partial++;
	close(s->clients[i].fd);
	s->clients[i] = s->clients[--s->n_clients];
}

static int server__accept(struct server *s)
{
	int fd, err;

	for (;;) {
		fd = accept4(s->listen_fd, NULL, NULL,
			     SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -errno;
		}
		err = server__add(s, fd);
		if (err) {
			close(fd);
			return err;
		}
	}
}

/* Clients are non-blocking; poll says which have data. */
static int server__poll(struct server *s, const sigset_t *unblocked)
{
	struct pollfd *pfd;
	size_t i, n = s->n_clients;
	int ret, err = 0;

	pfd = calloc(n + 1, sizeof(*pfd));
	if (!pfd)
		return -ENOMEM;
	pfd[0].fd = s->listen_fd;
	pfd[0].events = POLLIN;
	for (i = 0; i < n; i++) {
		pfd[i + 1].fd = s->clients[i].fd;
		pfd[i + 1].events = POLLIN;
	}
	/* ppoll unblocks the signals only while waiting: none is lost
	 * between the check of `exiting` and the wait. */
	ret = ppoll(pfd, n + 1, NULL, unblocked);
	if (ret < 0) {
		err = errno == EINTR ? 0 : -errno;
		goto cleanup;
	}
	/* Backwards: dropping client i moves the last one into its slot. */
	for (i = n; i-- > 0;)
		if (pfd[i + 1].revents && client__read(&s->clients[i], s, 0))
			server__drop(s, i);
	if (pfd[0].revents & POLLIN)
		err = server__accept(s);
cleanup:
	free(pfd);
	return err;
}

/* At exit: connections still in the backlog and bytes still queued belong
 * to the count (a client may have sent everything and exited). */
static int server__drain(struct server *s)
{
	size_t i;
	int err;

	err = server__accept(s);
	for (i = s->n_clients; i-- > 0;)
		if (client__read(&s->clients[i], s, 1))
			server__drop(s, i);
	return err;
}

static int server__listen(struct server *s, const char *path)
{
	struct sockaddr_un addr;
	int err;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	strcpy(addr.sun_path, path);
	s->listen_fd =
		socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->listen_fd < 0)
		return -errno;
	/* A stale socket file from an earlier run would fail the bind. */
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	if (bind(s->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return -errno;
	if (listen(s->listen_fd, SOMAXCONN) < 0) {
		err = -errno;
		unlink(path);
		return err;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct server s = { .listen_fd = -1 };
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, unblocked;
	int err = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: alloc_server SOCKET_PATH\n");
		return 2;
	}
	/* Blocked except inside ppoll; no SA_RESTART: ppoll returns EINTR. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &unblocked);
	sigdelset(&unblocked, SIGTERM);
	sigdelset(&unblocked, SIGINT);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	err = server__listen(&s, argv[1]);
	if (err) {
		fprintf(stderr, "alloc_server: listen on %s: %s\n", argv[1],
			strerror(-err));
		goto cleanup;
	}
	printf("ready\n");
	fflush(stdout);
	while (!exiting && !err)
		err = server__poll(&s, &unblocked);
	if (!err)
		err = server__drain(&s);
	if (err)
		fprintf(stderr, "alloc_server: %s\n", strerror(-err));
	printf("allocs %llu frees %llu bytes %llu\n",
	       (unsigned long long)s.allocs, (unsigned long long)s.frees,
	       (unsigned long long)s.bytes);
	if (s.other || s.partial)
		fprintf(stderr,
			"alloc_server: %llu messages of other types, "
			"%llu clients left mid-message\n",
			(unsigned long long)s.other,
			(unsigned long long)s.partial);
	unlink(argv[1]);
cleanup:
	while (s.n_clients)
		server__drop(&s, s.n_clients - 1);
	free(s.clients);
	if (s.listen_fd >= 0)
		close(s.listen_fd);
	return err ? 1 : 0;
}
