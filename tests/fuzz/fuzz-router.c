/* SPDX-License-Identifier: MIT */
/*
 * fuzz-router: libFuzzer target for route pattern matching. The input is
 * split at its first NUL into a pattern and a path (without a NUL: the
 * API's own patterns against the input as a path). Any input must be
 * answered without a sanitizer report; a match must give parameters that lie
 * inside the path, are non-empty and contain no '/'.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/router.h"
#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const patterns[] = {
    "/healthz",         "/api/v1/orders/{id}", "/api/v1/orders/{id}/diagnosis",
    "/{a}/{b}/{c}/{d}", "/api/v1/tokens/{id}",
};

static void check(const char *pattern, const char *path, size_t len)
{
    struct http_path_params p;
    if (!http_path_match(pattern, path, len, &p))
        return;
    for (int i = 0; i < p.n; i++) {
        if (p.p[i].value < path || p.p[i].value + p.p[i].len > path + len || p.p[i].len == 0 ||
            memchr(p.p[i].value, '/', p.p[i].len))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    size_t pattern_len = strlen(text);
    if (pattern_len < size) {
        check(text, text + pattern_len + 1, size - pattern_len - 1);
    } else {
        for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
            check(patterns[i], text, size);
    }
    free(text);
    return 0;
}
