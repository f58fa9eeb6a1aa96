/* SPDX-License-Identifier: MIT */
/* router: route pattern matching (see router.h). */
#include "http/router.h"

#include <string.h>

#include "base/banned.h"

/* Length of the segment starting at s (up to '/' or end). */
static size_t segment_len(const char *s, const char *end)
{
    const char *p = s;
    while (p < end && *p != '/')
        p++;
    return (size_t)(p - s);
}

int http_path_match(const char *pattern, const char *path, size_t path_len,
                    struct http_path_params *out)
{
    const char *pend = pattern + strlen(pattern);
    const char *end = path + path_len;
    int n = 0;
    if (pattern >= pend || *pattern != '/' || path_len == 0 || *path != '/')
        return 0;
    pattern++;
    path++;
    for (;;) {
        size_t plen = segment_len(pattern, pend);
        size_t slen = segment_len(path, end);
        if (plen >= 2 && pattern[0] == '{' && pattern[plen - 1] == '}') {
            if (slen == 0 || n == HTTP_PATH_PARAMS_MAX)
                return 0;
            if (out) {
                out->p[n].name = pattern + 1;
                out->p[n].name_len = plen - 2;
                out->p[n].value = path;
                out->p[n].len = slen;
            }
            n++;
        } else if (plen != slen || memcmp(pattern, path, plen) != 0) {
            return 0;
        }
        pattern += plen;
        path += slen;
        int pattern_more = pattern < pend, path_more = path < end;
        if (pattern_more != path_more)
            return 0;
        if (!pattern_more)
            break;
        pattern++; /* the '/' */
        path++;
    }
    if (out)
        out->n = n;
    return 1;
}

const char *http_path_param(const struct http_path_params *params, const char *name, size_t *len)
{
    size_t name_len = strlen(name);
    for (int i = 0; i < params->n; i++) {
        const struct http_path_param *p = &params->p[i];
        if (p->name_len == name_len && memcmp(p->name, name, name_len) == 0) {
            if (len)
                *len = p->len;
            return p->value;
        }
    }
    return NULL;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t http_unescape(char *s)
{
    char *out = s;
    for (const char *p = s; *p; p++) {
        int hi = p[0] == '%' ? hex_value(p[1]) : -1;
        int lo = hi >= 0 ? hex_value(p[2]) : -1;
        if (lo >= 0 && (hi | lo) != 0) {
            *out++ = (char)(hi << 4 | lo);
            p += 2;
        } else {
            *out++ = *p;
        }
    }
    *out = '\0';
    return (size_t)(out - s);
}
