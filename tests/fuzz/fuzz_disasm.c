// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Function bytes as entry_insn and accessor_decode get them from a
 * library: any bytes at all. The first 4 bytes pick the load address
 * (so jump targets fall in and out of the function), the rest is code.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accessor_decode.h"
#include "entry_insn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct accessor_reads reads;
	struct accessor_chain ch;
	struct entry_insn ei;
	uint32_t lo = 0x1000;
	uint8_t *code;
	char buf[96];
	size_t len;

	if (size >= 4) {
		memcpy(&lo, data, 4);
		data += 4;
		size -= 4;
	}
	/* Exact-size copy: a read past the function is an ASan report. */
	len = size;
	code = malloc(len ? len : 1);
	if (!code)
		return 0;
	memcpy(code, data, len);

	if (!entry_insn__decode(code, len, lo, &ei) &&
	    (!memchr(ei.mnemonic, '\0', sizeof(ei.mnemonic)) ||
	     !memchr(ei.text, '\0', sizeof(ei.text))))
		abort();

	memset(&ch, 0, sizeof(ch));
	if (!accessor_decode(code, len, lo, &ch)) {
		if (ch.depth < 1 || ch.depth > ACC_MAX_DEPTH)
			abort();
		accessor_chain__format(&ch, buf, sizeof(buf));
		accessor_chain__format(&ch, buf, 5);
	}

	memset(&reads, 0, sizeof(reads));
	if (!accessor_decode__reads(code, len, lo, &reads)) {
		if (reads.n < 0 || reads.n > ACC_MAX_READS)
			abort();
		for (int i = 0; i < reads.n; i++)
			accessor_chain__format(&reads.r[i], buf, sizeof(buf));
	}
	free(code);
	return 0;
}
