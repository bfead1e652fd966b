// SPDX-License-Identifier: GPL-2.0
/* Attach an empty uprobe program at every ttbpf probe site of a library and
 * wait for SIGTERM/SIGINT: the kernel's trap cost alone.
 * Usage: emptyprobe OBJ LIB
 */
#include <bpf/libbpf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tt_lib.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	static struct tt_lib_info info;
	struct bpf_object *obj;
	struct bpf_program *prog;
	char err[256] = "";
	size_t i;

	if (argc != 3 || tt_lib_analyze(argv[2], NULL, &info, err, sizeof(err)))
		return fprintf(stderr, "emptyprobe: bad args or %s\n", err), 1;
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj))
		return fprintf(stderr, "emptyprobe: load failed\n"), 1;
	prog = bpf_object__find_program_by_name(obj, "empty");
	for (i = 0; i < info.n_sites; i++)
		if (!bpf_program__attach_uprobe(prog, false, -1, argv[2],
						info.sites[i].file_offset))
			return fprintf(stderr, "emptyprobe: attach failed\n"),
			       1;
	fprintf(stderr, "emptyprobe: %zu sites\n", info.n_sites);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	while (!stop)
		pause();
	return 0;
}
