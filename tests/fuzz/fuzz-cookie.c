/* SPDX-License-Identifier: MIT */
/*
 * fuzz-cookie: libFuzzer target for the Cookie header parser. The input is
 * the header (not NUL-terminated, so reads past it are caught); a found
 * value must lie inside the header and hold no ';'.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/cookie.h"
#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *header = malloc(size ? size : 1);
    if (!header)
        return 0;
    memcpy(header, data, size);
    static const char *const names[] = {"sd_session", "a", "x_y"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v = NULL;
        size_t len = 0;
        if (http_cookie_get(header, size, names[i], &v, &len) &&
            (v < header || v + len > header + size || memchr(v, ';', len)))
            abort();
    }
    free(header);
    return 0;
}
