/* SPDX-License-Identifier: MIT */
/*
 * fuzz-jsonrec: libFuzzer target for the JSON records reader, with tight
 * limits. Any input must be accepted or rejected without a sanitizer report;
 * every record must keep record.h's promises (text is valid UTF-8, a number
 * follows the JSON grammar, a boolean is true/false, null is empty, columns
 * only grow and bump the version); and feeding the same bytes in pieces must
 * give the same records, status and message as jsonrec_read_buffer. The
 * reader's source is included to reach its chunked feeding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/jsonrec.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct ingest_limits fuzz_limits = {
    .max_field_bytes = 64,
    .max_columns = 16,
    .max_rows = 64,
    .max_depth = 3,
};

struct digest {
    uint64_t hash;
    size_t last_n;
    unsigned last_version;
};

static void mix(struct digest *d, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        d->hash ^= p[i];
        d->hash *= 1099511628211u;
    }
}

/* Length of the UTF-8 character at s (of n bytes), 0 when invalid: checked by code points. */
static size_t utf8_char(const unsigned char *s, size_t n)
{
    size_t len = s[0] < 0x80    ? 1
                 : s[0] >= 0xF8 ? 0
                 : s[0] >= 0xF0 ? 4
                 : s[0] >= 0xE0 ? 3
                 : s[0] >= 0xC0 ? 2
                                : 0;
    uint32_t cp = len == 1 ? s[0] : s[0] & (0x7F >> len);
    static const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};

    if (len == 0 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if (cp < least[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

static int valid_utf8(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0, n; i < len; i += n) {
        n = utf8_char(s + i, len - i);
        if (n == 0)
            return 0;
    }
    return 1;
}

static size_t digits(const char *s, size_t i, size_t len)
{
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++;
    return i;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int valid_number(const char *s, size_t len)
{
    size_t i = len > 0 && s[0] == '-', j;

    if (i >= len || (s[i] == '0' && digits(s, i + 1, len) > i + 1))
        return 0;
    if ((j = digits(s, i, len)) == i)
        return 0;
    i = j;
    if (i < len && s[i] == '.') {
        if ((j = digits(s, i + 1, len)) == i + 1)
            return 0;
        i = j;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i += i + 1 < len && (s[i + 1] == '+' || s[i + 1] == '-') ? 2 : 1;
        if ((j = digits(s, i, len)) == i)
            return 0;
        i = j;
    }
    return i == len;
}

static void check_value(const struct ingest_value *v)
{
    switch (v->kind) {
    case INGEST_ABSENT:
    case INGEST_EMPTY:
        if (v->len != 0)
            abort();
        break;
    case INGEST_TEXT:
        if (!valid_utf8(v->data, v->len))
            abort();
        break;
    case INGEST_NUMBER:
        if (!valid_number(v->data, v->len))
            abort();
        break;
    case INGEST_BOOL:
        if (!(v->len == 4 && memcmp(v->data, "true", 4) == 0) &&
            !(v->len == 5 && memcmp(v->data, "false", 5) == 0))
            abort();
        break;
    default: abort();
    }
    if (v->len > fuzz_limits.max_field_bytes)
        abort();
}

static int touch_record(void *ctx, const struct ingest_record *rec, struct sd_error *err)
{
    struct digest *d = ctx;
    const struct ingest_columns *cols = rec->columns;

    (void)err;
    if (rec->n_values > cols->n || cols->n < d->last_n || cols->n > fuzz_limits.max_columns ||
        (cols->n != d->last_n) != (cols->version != d->last_version))
        abort();
    d->last_n = cols->n;
    d->last_version = cols->version;
    mix(d, &rec->row, sizeof(rec->row));
    for (size_t i = 0; i < rec->n_values; i++) {
        const struct ingest_value *v = &rec->values[i];
        size_t name_len = strlen(cols->names[i]);
        if (!valid_utf8(cols->names[i], name_len))
            abort();
        check_value(v);
        mix(d, cols->names[i], name_len + 1);
        mix(d, &v->kind, sizeof(v->kind));
        mix(d, v->data, v->len);
    }
    return 0;
}

struct result {
    int rc;
    uint64_t hash;
    long row;
    int column;
    char message[SD_ERROR_MSG_MAX];
};

static void read_whole(const char *text, size_t size, struct result *out)
{
    struct sd_error err = {0};
    struct digest d = {.hash = 14695981039346656037u};

    out->rc = jsonrec_read_buffer(text, size, "fuzz.json", &fuzz_limits, touch_record, &d, &err);
    out->hash = d.hash;
    out->row = err.row;
    out->column = err.column;
    memcpy(out->message, err.message, sizeof(out->message));
}

/* The same bytes in pieces of `step` bytes, each in its own allocation. */
static void read_pieces(const char *text, size_t size, size_t step, struct result *out)
{
    struct sd_error err = {0};
    struct digest d = {.hash = 14695981039346656037u};
    struct jsonrec_reader r;
    int rc = 0;

    reader_init(&r, "fuzz.json", &fuzz_limits, touch_record, &d, &err);
    for (size_t at = 0; rc == 0 && at < size; at += step) {
        size_t n = step < size - at ? step : size - at;
        char *piece = malloc(n);
        if (!piece)
            abort();
        memcpy(piece, text + at, n);
        rc = reader_feed(&r, piece, n);
        free(piece);
    }
    if (rc == 0)
        rc = reader_finish(&r);
    reader_release(&r);
    out->rc = rc;
    out->hash = d.hash;
    out->row = err.row;
    out->column = err.column;
    memcpy(out->message, err.message, sizeof(out->message));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A private copy without a terminating NUL, so reads past `size` are caught. */
    char *text = malloc(size ? size : 1);
    struct result whole, pieces;

    if (!text)
        return 0;
    memcpy(text, data, size);
    read_whole(text, size, &whole);
    if (whole.rc != 0 && whole.rc != SD_EINVAL && whole.rc != SD_ELIMIT)
        abort();
    if (whole.rc != 0 && (whole.message[0] == '\0' || whole.row < 0))
        abort();
    read_pieces(text, size, 1 + size % 7, &pieces);
    if (pieces.rc != whole.rc || pieces.hash != whole.hash || pieces.row != whole.row ||
        pieces.column != whole.column || strcmp(pieces.message, whole.message) != 0)
        abort();
    free(text);
    return 0;
}
