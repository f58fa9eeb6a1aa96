/* SPDX-License-Identifier: MIT */
/* strbuf: growable string buffer (see strbuf.h for the invariants). */
#include "base/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/xalloc.h"
#include "base/banned.h"

char strbuf_empty[1];

void strbuf_init(struct strbuf *sb, size_t limit)
{
    sb->buf = strbuf_empty;
    sb->len = 0;
    sb->alloc = 0;
    sb->limit = limit;
}

void strbuf_release(struct strbuf *sb)
{
    if (sb->alloc)
        free(sb->buf);
    strbuf_init(sb, sb->limit);
}

void strbuf_reset(struct strbuf *sb)
{
    strbuf_setlen(sb, 0);
}

char *strbuf_detach(struct strbuf *sb, size_t *len)
{
    char *s = sb->alloc ? sb->buf : xstrdup("");
    if (len)
        *len = sb->len;
    strbuf_init(sb, sb->limit);
    return s;
}

static int grow(struct strbuf *sb, size_t extra)
{
    if (sb->limit && (extra > sb->limit || sb->len > sb->limit - extra))
        return SD_ELIMIT;
    size_t need = sb->len + extra + 1;
    if (need <= sb->alloc)
        return 0;
    size_t alloc = sb->alloc ? sb->alloc : 64;
    while (alloc < need)
        alloc = alloc / 2 * 3 + 16;
    char *old = sb->alloc ? sb->buf : NULL;
    sb->buf = xreallocarray(old, alloc, 1);
    if (!old)
        sb->buf[0] = '\0';
    sb->alloc = alloc;
    return 0;
}

int strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
    /* The common case, room without a limit to check, skips the call. */
    if ((sb->limit || len >= sb->alloc - sb->len) && grow(sb, len))
        return SD_ELIMIT;
    memcpy(sb->buf + sb->len, data, len);
    sb->len += len;
    sb->buf[sb->len] = '\0';
    return 0;
}

int strbuf_addstr(struct strbuf *sb, const char *s)
{
    return strbuf_add(sb, s, strlen(s));
}

int strbuf_addch(struct strbuf *sb, char c)
{
    return strbuf_add(sb, &c, 1);
}

int strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int need = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (need < 0)
        return SD_ERR;
    if (grow(sb, (size_t)need))
        return SD_ELIMIT;
    vsnprintf(sb->buf + sb->len, (size_t)need + 1, fmt, ap);
    sb->len += (size_t)need;
    return 0;
}

int strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = strbuf_vaddf(sb, fmt, ap);
    va_end(ap);
    return rc;
}

void strbuf_setlen(struct strbuf *sb, size_t len)
{
    if (!sb->alloc)
        return;
    sb->len = len;
    sb->buf[len] = '\0';
}

size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
    size_t n;
    unsigned min_second = 0x80, max_second = 0xbf;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4;
    else
        return 0;
    if (s[0] == 0xe0)
        min_second = 0xa0; /* overlong */
    else if (s[0] == 0xed)
        max_second = 0x9f; /* surrogates */
    else if (s[0] == 0xf0)
        min_second = 0x90; /* overlong */
    else if (s[0] == 0xf4)
        max_second = 0x8f; /* above U+10FFFF */
    if (avail < n || s[1] < min_second || s[1] > max_second)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return n;
}

int strbuf_add_utf8(struct strbuf *sb, const char *s, size_t len)
{
    size_t done = 0, i = 0;
    int rc = 0;
    while (rc == 0 && i < len) {
        size_t n = (unsigned char)s[i] < 0x80 ? 1 : utf8_seq_len((const unsigned char *)s + i, len - i);
        if (n) {
            i += n;
            continue;
        }
        rc = strbuf_add(sb, s + done, i - done);
        if (rc == 0)
            rc = strbuf_add(sb, "\xef\xbf\xbd", 3);
        done = ++i;
    }
    return rc ? rc : strbuf_add(sb, s + done, len - done);
}
