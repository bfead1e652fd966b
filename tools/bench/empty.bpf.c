// SPDX-License-Identifier: GPL-2.0
/* Empty uprobe program: measures the kernel's trap cost alone. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("uprobe")
int empty(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
