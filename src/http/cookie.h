/* SPDX-License-Identifier: MIT */
/*
 * cookie: reading one cookie from a Cookie request header (RFC 6265 5.4:
 * "name=value" pairs separated by ";" and optional spaces). Pure, no
 * allocation. A value in double quotes is returned without them. Pairs
 * without '=' are skipped; the first pair with the name wins.
 */
#ifndef SD_HTTP_COOKIE_H
#define SD_HTTP_COOKIE_H

#include <stddef.h>

/*
 * Looks for cookie `name` in `header` (`len` bytes, need not be
 * NUL-terminated). Returns 1 and points *value and *value_len into the header,
 * or 0 when absent.
 */
int http_cookie_get(const char *header, size_t len, const char *name, const char **value,
                    size_t *value_len);

#endif
