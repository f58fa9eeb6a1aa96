/* SPDX-License-Identifier: MIT */
/* cookie: the Cookie header parser (see cookie.h). */
#include "http/cookie.h"

#include <string.h>

#include "base/banned.h"

static const char *skip_spaces(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* Trims spaces at the end of [s, e). */
static const char *trim_end(const char *s, const char *e)
{
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    return e;
}

int http_cookie_get(const char *header, size_t len, const char *name, const char **value,
                    size_t *value_len)
{
    const char *p = header, *end = header + len;
    size_t name_len = strlen(name);
    while (p < end) {
        p = skip_spaces(p, end);
        const char *pair_end = memchr(p, ';', (size_t)(end - p));
        if (!pair_end)
            pair_end = end;
        const char *eq = memchr(p, '=', (size_t)(pair_end - p));
        if (eq) {
            const char *key_end = trim_end(p, eq);
            const char *v = skip_spaces(eq + 1, pair_end);
            const char *v_end = trim_end(v, pair_end);
            if (v_end - v >= 2 && *v == '"' && v_end[-1] == '"') {
                v++;
                v_end--;
            }
            if ((size_t)(key_end - p) == name_len && memcmp(p, name, name_len) == 0) {
                *value = v;
                *value_len = (size_t)(v_end - v);
                return 1;
            }
        }
        p = pair_end < end ? pair_end + 1 : end;
    }
    return 0;
}
