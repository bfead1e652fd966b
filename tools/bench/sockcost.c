// SPDX-License-Identifier: GPL-2.0
/* Cost of one 72-byte packed message over an AF_UNIX stream socket to a
 * reader process: the per-event cost of an allocation-server style reporter.
 * Prints ns per message. Usage: sockcost [count]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200000;
	char msg[72], buf[4096];
	int sv[2];
	double t0;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 1;
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		while (read(sv[1], buf, sizeof(buf)) > 0)
			;
		_exit(0);
	}
	close(sv[1]);
	memset(msg, 1, sizeof(msg));
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		if (write(sv[0], msg, sizeof(msg)) != sizeof(msg))
			return 1;
	printf("%.0f\n", (now_ns() - t0) / n);
	close(sv[0]);
	waitpid(pid, NULL, 0);
	return 0;
}
