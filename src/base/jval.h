/* SPDX-License-Identifier: MIT */
/*
 * jval: a small JSON document parser for configuration-sized input (mapping
 * files, request bodies). Numbers keep their exact source text, so money and
 * 64-bit integers are never rounded through double. Strict RFC 8259: no
 * comments, no trailing commas; strings are checked UTF-8 with escapes decoded.
 *
 * Memory: every node and string lives in the arena passed to jval_parse and
 * dies with it. Objects keep their members in source order; duplicate keys are
 * an error. Depth and size are limited by the caller.
 */
#ifndef SD_BASE_JVAL_H
#define SD_BASE_JVAL_H

#include <stddef.h>

#include "base/arena.h"
#include "base/error.h"

enum jval_type { JVAL_NULL, JVAL_BOOL, JVAL_NUMBER, JVAL_STRING, JVAL_ARRAY, JVAL_OBJECT };

struct jval;

struct jval_member {
    const char *key;
    struct jval *value;
};

struct jval {
    enum jval_type type;
    int boolean;
    const char *text; /* JVAL_STRING: decoded UTF-8; JVAL_NUMBER: the source text */
    size_t len;       /* of text */
    size_t n;         /* items or members */
    struct jval **items;
    struct jval_member *members;
    int line;         /* where the value starts, for messages */
    int column;
};

/*
 * Parses `len` bytes of `text` (named `name` in messages: "map.json:3:14:
 * expected ':'"). Returns 0 and *out, SD_EINVAL for malformed JSON, SD_ELIMIT
 * past `max_depth` or when the arena's limit is reached.
 */
int jval_parse(const char *text, size_t len, const char *name, int max_depth,
               struct arena *arena, struct jval **out, struct sd_error *err);

/* The member `key` of an object, or NULL (also when `v` is not an object). */
const struct jval *jval_get(const struct jval *v, const char *key);
/* The string of `v`, or NULL when `v` is NULL or not a string. */
const char *jval_string(const struct jval *v);
/* A short name of the type, for messages: "a string", "an object"... */
const char *jval_type_name(enum jval_type type);

#endif
