/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one way an untrusted string (a comm, a path from /proc, a symbol
 * name from a traced binary, an error quoting one of them) reaches text
 * output. These tools run as root in front of strings any local user can
 * set: printed raw, ESC and C1 controls would let that user clear, retitle
 * or rewrite the operator's terminal, and a newline would forge lines.
 *
 * Kept as is: printable ASCII other than '\', and valid UTF-8 (so
 * non-ASCII names stay readable on a UTF-8 terminal, as Debian's default
 * locales give). Written as \xNN, one escape per byte:
 *   - C0 controls 0x00-0x1f (newline and tab included) and DEL 0x7f;
 *   - every byte that is not part of a valid UTF-8 sequence (stray bytes
 *     0x80-0xff, overlong forms, surrogates, truncated sequences): on an
 *     8-bit terminal a raw 0x9b is CSI;
 *   - the bytes of code points that act as controls: C1 U+0080-U+009F,
 *     and the bidirectional and line-separator format characters
 *     (U+061C, U+200E-U+200F, U+2028-U+202E, U+2066-U+2069), which can
 *     reorder or split what a line appears to say.
 * '\' becomes "\\", so an escape in the output always came from here and
 * the original bytes can be recovered.
 * JSON output does not use this: it is escaped exactly by json_writer.
 */
#ifndef TTBPF_TEXT_ESCAPE_H
#define TTBPF_TEXT_ESCAPE_H

#include <stddef.h>
#include <stdint.h> /* SIZE_MAX: "the whole string" */
#include <stdio.h>

/* Buffer size that holds @n input bytes escaped, with the NUL. */
#define TEXT_ESCAPED_LEN(n) ((n)*4 + 1)

/*
 * Escape at most @maxlen bytes of @s (up to its NUL) into @buf of @len
 * bytes, always NUL-terminated; an escape or UTF-8 sequence that does not
 * fit is left out whole, never cut. Returns @buf.
 */
const char *text_escape(const char *s, size_t maxlen, char *buf, size_t len);

/* The same, written to @f: for strings of any length (symbol names). */
void text_escape_to(FILE *f, const char *s, size_t maxlen);

/*
 * Length of the valid UTF-8 sequence at @s (at most @n bytes), or 0 when
 * @s[0] does not start one. Shared with the JSON escaper.
 */
size_t utf8_seq_len(const unsigned char *s, size_t n);

#endif /* TTBPF_TEXT_ESCAPE_H */
