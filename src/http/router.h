/* SPDX-License-Identifier: MIT */
/*
 * router: matching a request path against a route pattern. Pure functions on
 * strings, no allocation, so the API's routes table, its docs and its tests
 * all see the same rule.
 *
 * A pattern is a path of literal segments and parameters: "/api/v1/orders/{id}".
 * A literal segment matches itself exactly (case-sensitive); "{name}" matches
 * one non-empty segment (no '/'). Empty segments never match a parameter, so
 * "/api/v1/orders//diagnosis" and a trailing "/" match nothing.
 */
#ifndef SD_HTTP_ROUTER_H
#define SD_HTTP_ROUTER_H

#include <stddef.h>

#define HTTP_PATH_PARAMS_MAX 4

struct http_path_param {
    const char *name; /* points into the pattern, not NUL-terminated */
    size_t name_len;
    const char *value; /* points into the path, not NUL-terminated */
    size_t len;
};

struct http_path_params {
    int n;
    struct http_path_param p[HTTP_PATH_PARAMS_MAX];
};

/*
 * 1 when `path` (`path_len` bytes, need not be NUL-terminated) matches
 * `pattern`, filling `out` (may be NULL) with the parameters in pattern
 * order; 0 when it does not (out is then unspecified). A pattern with more
 * than HTTP_PATH_PARAMS_MAX parameters never matches.
 */
int http_path_match(const char *pattern, const char *path, size_t path_len,
                    struct http_path_params *out);

/* The parameter called `name`, or NULL; *len receives its length. */
const char *http_path_param(const struct http_path_params *params, const char *name, size_t *len);

/*
 * Decodes the %XX escapes of a NUL-terminated path or query text in place
 * and returns its new length. "%00" is left as the three characters: a
 * decoded NUL would cut the text short, so that "/healthz%00x" answered as
 * "/healthz" and "/api/v1/tokens/1%00x" named token 1. A '%' not followed
 * by two hex digits is kept as it is.
 */
size_t http_unescape(char *s);

#endif
