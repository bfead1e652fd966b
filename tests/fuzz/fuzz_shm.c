// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * TT-Metal's shm record as any local user could write it: the bytes of
 * one /dev/shm/tt_device_<id>_memory file, read, filtered and printed for
 * the terminal and as JSON. The input is laid over a zeroed record of
 * full size with version 3 unless its first byte is odd, and slots whose
 * pid field is 1 get this process's pid, so that rows pass the size,
 * version and live-owner checks and reach the printers.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format.h"
#include "shm_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], path[128];

static void remove_dir(void)
{
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[0x4000];
	struct state s = { 0 };
	struct shm_record r;
	struct json_writer w;
	size_t n = size < sizeof(buf) ? size : sizeof(buf);
	uint32_t v3 = 3;
	int32_t me = (int32_t)getpid();
	FILE *f, *out;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/ttbpf-fuzz-shm.XXXXXX");
		if (!mkdtemp(dir))
			abort();
		snprintf(path, sizeof(path), "%s/tt_device_1_memory", dir);
		atexit(remove_dir);
	}
	memset(buf, 0, sizeof(buf));
	memcpy(buf, data, n);
	if (!n || !(data[0] & 1))
		memcpy(buf, &v3, sizeof(v3));
	n = n > 0x2180 ? n : 0x2180;
	for (size_t o = 0x358; o + 4 <= n; o += 120) {
		int32_t pid;

		memcpy(&pid, buf + o, sizeof(pid));
		if (pid == 1)
			memcpy(buf + o, &me, sizeof(me));
	}
	f = fopen(path, "w");
	if (!f)
		abort();
	fwrite(buf, 1, n, f);
	fclose(f);
	if (shm_record__read(dir, &r))
		return 0;
	out = fopen("/dev/null", "w");
	shm_record__print_text(&r, out);
	json_writer__init(&w, out);
	json_writer__begin_object(&w);
	shm_record__json(&r, &w);
	json_writer__end_object(&w);
	shm_record__keep_unseen(&r, &s, 0);
	fclose(out);
	shm_record__free(&r);
	return 0;
}
