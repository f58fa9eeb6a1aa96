/* SPDX-License-Identifier: MIT */
/*
 * strbuf: a growable, always NUL-terminated byte buffer.
 *
 * Invariants: `buf` is never NULL after strbuf_init (it points at a shared
 * empty string until the first append), `buf[len] == '\0'`, and `len` never
 * exceeds `limit` when a limit is set: an append that would pass it returns
 * SD_ELIMIT and leaves the buffer unchanged. Appends without a limit cannot
 * fail (allocation failure aborts, see xalloc.h).
 */
#ifndef SD_BASE_STRBUF_H
#define SD_BASE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
    char *buf;
    size_t len;
    size_t alloc;
    size_t limit; /* 0: no limit */
};

#define STRBUF_INIT { .buf = strbuf_empty, .len = 0, .alloc = 0, .limit = 0 }
extern char strbuf_empty[];

void strbuf_init(struct strbuf *sb, size_t limit);
/* Frees the contents; the buffer is empty and usable again afterwards. */
void strbuf_release(struct strbuf *sb);
/* Empties the buffer, keeping its memory. */
void strbuf_reset(struct strbuf *sb);
/* Hands the string to the caller (free() it) and leaves `sb` empty. */
char *strbuf_detach(struct strbuf *sb, size_t *len);

/* Each returns 0 or SD_ELIMIT (buffer unchanged). */
int strbuf_add(struct strbuf *sb, const void *data, size_t len);
int strbuf_addstr(struct strbuf *sb, const char *s);
int strbuf_addch(struct strbuf *sb, char c);
int strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);

/* Appends `s`, each byte that does not start a well-formed UTF-8 sequence as U+FFFD. */
int strbuf_add_utf8(struct strbuf *sb, const char *s, size_t len);
/*
 * The length of the well-formed UTF-8 sequence at s (RFC 3629: shortest
 * form, no surrogates, at most U+10FFFF), or 0 when the bytes are not one
 * (an ASCII byte is not a sequence here: s[0] must be 0x80 or above).
 */
size_t utf8_seq_len(const unsigned char *s, size_t avail);

/* Cuts the buffer to `len` bytes (len <= sb->len). */
void strbuf_setlen(struct strbuf *sb, size_t len);

#endif
