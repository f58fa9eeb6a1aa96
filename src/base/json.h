/* SPDX-License-Identifier: MIT */
/*
 * json: a streaming JSON writer into a strbuf. Money is written as an exact
 * decimal JSON number (never through double), dates as ISO 8601 strings.
 *
 * The writer inserts commas and (when pretty) newlines and indentation
 * itself; callers only say begin/end, key and value. Nesting is limited to
 * JSON_MAX_DEPTH; deeper nesting is a programming error (SD_BUG).
 * "None" sentinels (DATE_NONE, MONEY_NONE, a NULL string) are written as null.
 */
#ifndef SD_BASE_JSON_H
#define SD_BASE_JSON_H

#include <stdint.h>

#include "base/strbuf.h"

#define JSON_MAX_DEPTH 32
/* Sentinels for absent values in model structs. */
#define DATE_NONE INT32_MIN
#define MONEY_NONE INT64_MIN
#define INT_NONE INT64_MIN

struct json_writer {
    struct strbuf *out;
    int depth;
    int pretty;
    unsigned char has_items[JSON_MAX_DEPTH]; /* per level: a value was written */
    unsigned char after_key;
};

void json_writer_init(struct json_writer *w, struct strbuf *out, int pretty);

void json_object_begin(struct json_writer *w);
void json_object_end(struct json_writer *w);
void json_array_begin(struct json_writer *w);
void json_array_end(struct json_writer *w);
void json_key(struct json_writer *w, const char *key);

void json_string(struct json_writer *w, const char *s);
void json_string_n(struct json_writer *w, const char *s, size_t len);
void json_int(struct json_writer *w, int64_t v);  /* INT_NONE → null */
void json_money(struct json_writer *w, int64_t v); /* MONEY_NONE → null */
void json_date(struct json_writer *w, int32_t day); /* DATE_NONE → null */
void json_ts(struct json_writer *w, int64_t ms);    /* INT_NONE → null */
void json_bool(struct json_writer *w, int v);
void json_null(struct json_writer *w);
/* A number already formatted as JSON (e.g. an exact decimal); written as is. */
void json_raw(struct json_writer *w, const char *number, size_t len);
/* A discount in millionths as an exact fraction: 50000 -> 0.05. */
void json_discount(struct json_writer *w, int64_t discount);

/* key + value in one call. */
void json_kv_string(struct json_writer *w, const char *key, const char *s);
void json_kv_int(struct json_writer *w, const char *key, int64_t v);
void json_kv_money(struct json_writer *w, const char *key, int64_t v);
void json_kv_date(struct json_writer *w, const char *key, int32_t day);
void json_kv_ts(struct json_writer *w, const char *key, int64_t ms);
void json_kv_bool(struct json_writer *w, const char *key, int v);
void json_kv_discount(struct json_writer *w, const char *key, int64_t discount);

/*
 * Appends `s` as a quoted, escaped JSON string (control characters as \uXXXX).
 * A byte that does not start a well-formed UTF-8 sequence is written as
 * U+FFFD, so the output is valid JSON (RFC 8259: UTF-8) whatever `s` holds.
 */
void json_escape(struct strbuf *out, const char *s, size_t len);

#endif
