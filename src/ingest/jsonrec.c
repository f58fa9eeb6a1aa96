/* SPDX-License-Identifier: MIT */
/*
 * jsonrec: a streaming reader for JSON records (see jsonrec.h and record.h).
 *
 * The parser is a state machine fed with chunks of any size (a file is read
 * 256 KiB at a time), so memory is bounded by the limits, not by the input: it
 * holds one record's decoded keys and values, the column names, and nothing
 * else. It is strict RFC 8259 for everything it accepts: no comments, trailing
 * commas, NaN, leading zeros, single quotes or raw control characters;
 * \uXXXX escapes (surrogate pairs too) are decoded to UTF-8, lone surrogates
 * and invalid UTF-8 are errors, and a UTF-8 byte order mark at the very start
 * is skipped. Numbers are never converted: a value keeps its source text.
 *
 * Layout: '[' first means an array of objects; '{' first means NDJSON, one
 * object per line: a line break inside a record is an error, blank lines
 * between records are fine, CRLF works (CR is JSON whitespace). Empty input
 * (or only whitespace) is zero records.
 *
 * Messages: "NAME:ROW: line L, column C: what" for the syntax, and
 * "NAME:ROW: key 'K': what (line L, column C)" for a problem with one key's
 * value (a value too long is placed where it starts); err->row is ROW, and
 * err->column the key's column (1-based; 0 for a key that has none, and in
 * the first form). Text columns count characters, not bytes. In NDJSON, ROW is
 * the line the record starts on; in an array, the position of the element.
 *
 * Details the header leaves open: limits == NULL means ingest_default_limits,
 * and a zero (or negative) field in them means that field's default, never
 * "unlimited"; name == NULL shows the path (or "input" for a buffer). A key
 * may not contain \u0000 (column names are C strings); a text value may.
 */
#include "ingest/jsonrec.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/hashmap.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "base/banned.h"

#define JSONREC_CHUNK (256 * 1024)

enum jr_mode { MODE_UNKNOWN, MODE_ARRAY, MODE_NDJSON };

enum jr_state {
    JR_BOM,           /* the first byte: the start of a byte order mark or not */
    JR_BOM2,          /* second byte of the mark */
    JR_BOM3,          /* third byte of the mark */
    JR_START,         /* before the first '[' or '{' */
    JR_ARRAY_FIRST,   /* after '[' */
    JR_ARRAY_NEXT,    /* after ',' between elements */
    JR_ARRAY_AFTER,   /* after an element */
    JR_TRAILER,       /* after the closing ']' */
    JR_LINE_START,    /* NDJSON: between records */
    JR_LINE_END,      /* NDJSON: after a record, before its line break */
    JR_OBJ_FIRST,     /* after '{' */
    JR_OBJ_KEY,       /* after ',' in a record */
    JR_OBJ_COLON,     /* after a key */
    JR_OBJ_VALUE,     /* after ':' */
    JR_OBJ_AFTER,     /* after a value */
    JR_STRING,        /* inside a key or a text value */
    JR_ESCAPE,        /* after '\' in a string */
    JR_HEX,           /* in the four hex digits of \uXXXX */
    JR_LOW_BACKSLASH, /* after a high surrogate: the '\' of its low half */
    JR_LOW_U,         /* the 'u' of the low half */
    JR_NUMBER,
    JR_LITERAL, /* true, false or null */
};

/* What each state wants next, for "expected X, found Y". */
static const char *const expectations[] = {
    [JR_BOM] = "'[' or '{'",
    [JR_BOM2] = "the rest of a byte order mark",
    [JR_BOM3] = "the rest of a byte order mark",
    [JR_START] = "'[' or '{'",
    [JR_ARRAY_FIRST] = "an object or ']'",
    [JR_ARRAY_NEXT] = "an object",
    [JR_ARRAY_AFTER] = "',' or ']'",
    [JR_TRAILER] = "nothing after the closing ']'",
    [JR_LINE_START] = "an object",
    [JR_LINE_END] = "a line break after the record",
    [JR_OBJ_FIRST] = "a key or '}'",
    [JR_OBJ_KEY] = "a key",
    [JR_OBJ_COLON] = "':'",
    [JR_OBJ_VALUE] = "a value",
    [JR_OBJ_AFTER] = "',' or '}'",
    [JR_STRING] = "the closing '\"'",
    [JR_ESCAPE] = "an escape character",
    [JR_HEX] = "a hex digit",
    [JR_LOW_BACKSLASH] = "the low surrogate of the pair",
    [JR_LOW_U] = "the low surrogate of the pair",
    [JR_NUMBER] = "a digit",
    [JR_LITERAL] = "a value",
};

/* Number grammar: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
enum num_state {
    NUM_START,
    NUM_MINUS,
    NUM_ZERO,
    NUM_INT,
    NUM_DOT,
    NUM_FRAC,
    NUM_EXP,
    NUM_EXP_SIGN,
    NUM_EXP_DIGITS,
    NUM_END, /* the byte is not part of the number, which is complete */
    NUM_BAD, /* the byte cannot follow */
};

/* UTF-8 lead bytes: how many continuation bytes follow and the range of the first. */
static const struct utf8_lead {
    unsigned char first, last, need, lo, hi;
} utf8_leads[] = {
    {0xC2, 0xDF, 1, 0x80, 0xBF}, {0xE0, 0xE0, 2, 0xA0, 0xBF}, /* no overlongs */
    {0xE1, 0xEC, 2, 0x80, 0xBF}, {0xED, 0xED, 2, 0x80, 0x9F}, /* no surrogates */
    {0xEE, 0xEF, 2, 0x80, 0xBF}, {0xF0, 0xF0, 3, 0x90, 0xBF}, /* no overlongs */
    {0xF1, 0xF3, 3, 0x80, 0xBF}, {0xF4, 0xF4, 3, 0x80, 0x8F}, /* up to U+10FFFF */
};

struct jsonrec_reader {
    const char *name;
    struct ingest_limits limits;
    size_t key_limit; /* max_field_bytes, capped to what the hashmap stores */
    ingest_record_fn *fn;
    void *ctx;
    struct sd_error *err;

    enum jr_mode mode;
    enum jr_state state;
    const unsigned char *chunk; /* the chunk being fed */
    size_t base;                /* input offset of chunk[0] */
    long line;                  /* 1-based */
    size_t line_start;          /* input offset where the line starts */
    size_t line_cont;           /* UTF-8 continuation bytes so far in the line */
    long row;
    long records;

    /* the token being read */
    int in_key;
    size_t token_start;  /* where it starts in `text` */
    size_t token_column; /* where it starts in the input, for "too long" at any chunking */
    enum num_state num_state;
    const char *literal;
    size_t literal_pos;
    unsigned utf8_need;
    unsigned char utf8_lo, utf8_hi;
    int hex_count;
    uint32_t hex_value;
    uint32_t high_surrogate; /* 0: none pending */

    /* the record */
    struct strbuf text; /* decoded values, back to back; the current key at the end */
    struct ingest_value *values;
    size_t *offsets; /* where values[i] starts in `text` */
    size_t cur_col;
    size_t next_guess; /* the column a key most likely has: the one after the last */

    /* the columns, growing */
    struct ingest_columns columns;
    const char **names;
    size_t *name_lens;
    size_t cap;
    struct hashmap index; /* name → column */
    struct arena name_arena;
};

static struct ingest_limits effective_limits(const struct ingest_limits *given)
{
    const struct ingest_limits *def = &ingest_default_limits;
    struct ingest_limits lim = given ? *given : *def;

    if (lim.max_field_bytes == 0)
        lim.max_field_bytes = def->max_field_bytes;
    if (lim.max_columns == 0)
        lim.max_columns = def->max_columns;
    if (lim.max_rows <= 0)
        lim.max_rows = def->max_rows;
    if (lim.max_depth <= 0)
        lim.max_depth = def->max_depth;
    return lim;
}

static void reader_init(struct jsonrec_reader *r, const char *name,
                        const struct ingest_limits *limits, ingest_record_fn *fn, void *ctx,
                        struct sd_error *err)
{
    memset(r, 0, sizeof(*r));
    r->name = name;
    r->limits = effective_limits(limits);
    r->key_limit = r->limits.max_field_bytes < UINT32_MAX ? r->limits.max_field_bytes : UINT32_MAX;
    r->fn = fn;
    r->ctx = ctx;
    r->err = err;
    r->state = JR_BOM;
    r->line = 1;
    strbuf_init(&r->text, 0);
    hashmap_init(&r->index);
    arena_init(&r->name_arena, 0);
}

static void reader_release(struct jsonrec_reader *r)
{
    strbuf_release(&r->text);
    free(r->values);
    free(r->offsets);
    free(r->names);
    free(r->name_lens);
    hashmap_release(&r->index);
    arena_release(&r->name_arena);
}

/* ---- positions and messages ---- */

static size_t pos_of(const struct jsonrec_reader *r, const unsigned char *s)
{
    return r->base + (size_t)(s - r->chunk);
}

/* The 1-based column of input offset `pos` in the current line, in characters. */
static size_t column_of(const struct jsonrec_reader *r, size_t pos)
{
    return pos - r->line_start - r->line_cont + 1;
}

static size_t column_at(const struct jsonrec_reader *r, const unsigned char *s)
{
    return column_of(r, pos_of(r, s));
}

static void new_line(struct jsonrec_reader *r, const unsigned char *newline)
{
    r->line++;
    r->line_start = pos_of(r, newline) + 1;
    r->line_cont = 0;
}

/* Outside a record in NDJSON (or before anything) the row is the line itself. */
static long error_row(const struct jsonrec_reader *r)
{
    if (r->mode == MODE_UNKNOWN || (r->mode == MODE_NDJSON && r->state == JR_LINE_START))
        return r->line;
    return r->row;
}

static void set_where(struct jsonrec_reader *r, int column)
{
    if (!r->err)
        return;
    r->err->row = error_row(r);
    r->err->column = column;
}

/* Malformed input (or a limit) at `column` of this line: "NAME:ROW: line L, column C: what". */
__attribute__((format(printf, 4, 5))) static int fail_at(struct jsonrec_reader *r, size_t column,
                                                         int code, const char *fmt, ...)
{
    char what[SD_ERROR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    sd_error_set(r->err, code, "%s:%ld: line %ld, column %zu: %s", r->name, error_row(r), r->line,
                 column, what);
    set_where(r, 0);
    return code;
}

/* A problem with one key: "NAME:ROW: key 'K': what (line L, column C)"; col is 0-based or -1. */
__attribute__((format(printf, 7, 8))) static int fail_key(struct jsonrec_reader *r, size_t column,
                                                          const char *key, size_t key_len, long col,
                                                          int code, const char *fmt, ...)
{
    char what[SD_ERROR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    sd_error_set(r->err, code, "%s:%ld: key " SD_QUOTE_FMT ": %s (line %ld, column %zu)", r->name,
                 error_row(r), SD_QUOTE_ARGS(key, key_len), what, r->line, column);
    set_where(r, (int)(col + 1));
    return code;
}

/* The same, for the key whose value is being read. */
__attribute__((format(printf, 4, 5))) static int fail_value(struct jsonrec_reader *r, size_t column,
                                                            int code, const char *fmt, ...)
{
    char what[SD_ERROR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return fail_key(r, column, r->names[r->cur_col], r->name_lens[r->cur_col], (long)r->cur_col,
                    code, "%s", what);
}

#define DESCRIBE_MAX 16

static const char *describe(unsigned char c, char *buf)
{
    switch (c) {
    case '\n': return "a line break";
    case '\r': return "a carriage return";
    case '\t': return "a tab";
    case ' ': return "a space";
    case '\'': return "\"'\"";
    default: break;
    }
    if (c > 0x20 && c < 0x7f)
        snprintf(buf, DESCRIBE_MAX, "'%c'", c);
    else
        snprintf(buf, DESCRIBE_MAX, "byte 0x%02x", c);
    return buf;
}

static const char *expectation(const struct jsonrec_reader *r, char *buf, size_t size)
{
    if (r->state != JR_LITERAL)
        return expectations[r->state];
    snprintf(buf, size, "'%s'", r->literal);
    return buf;
}

/* "expected X, found Y" for the byte at `s`. */
static int unexpected(struct jsonrec_reader *r, const unsigned char *s)
{
    char found[DESCRIBE_MAX], want[16];
    int line_break = *s == '\n' && r->mode == MODE_NDJSON;

    return fail_at(r, column_at(r, s), SD_EINVAL, "expected %s, found %s%s",
                   expectation(r, want, sizeof(want)), describe(*s, found),
                   line_break ? " (NDJSON has one record per line)" : "");
}

/* ---- columns ---- */

static void grow_columns(struct jsonrec_reader *r)
{
    size_t cap = r->cap ? r->cap * 2 : 16;

    r->names = xreallocarray(r->names, cap, sizeof(*r->names));
    r->name_lens = xreallocarray(r->name_lens, cap, sizeof(*r->name_lens));
    r->values = xreallocarray(r->values, cap, sizeof(*r->values));
    r->offsets = xreallocarray(r->offsets, cap, sizeof(*r->offsets));
    r->cap = cap;
    r->columns.names = r->names;
}

static int add_column(struct jsonrec_reader *r, const char *key, size_t len, size_t column,
                      size_t *col)
{
    size_t n = r->columns.n;

    if (memchr(key, '\0', len))
        return fail_at(r, column, SD_EINVAL, "a key contains \\u0000");
    if (n >= r->limits.max_columns)
        return fail_key(r, column, key, len, -1, SD_ELIMIT, "more than %zu columns",
                        r->limits.max_columns);
    if (n == r->cap)
        grow_columns(r);
    r->names[n] = arena_strndup(&r->name_arena, key, len);
    r->name_lens[n] = len;
    r->values[n] = (struct ingest_value){.data = NULL, .len = 0, .kind = INGEST_ABSENT};
    hashmap_put(&r->index, key, len, (int64_t)n);
    r->columns.n = n + 1;
    r->columns.version++;
    *col = n;
    return 0;
}

static int find_column(struct jsonrec_reader *r, const char *key, size_t len, size_t column,
                       size_t *col)
{
    size_t guess = r->next_guess;
    int64_t found = 0;

    if (guess < r->columns.n && r->name_lens[guess] == len &&
        memcmp(r->names[guess], key, len) == 0) {
        *col = guess;
        return 0;
    }
    if (hashmap_get(&r->index, key, len, &found)) {
        *col = (size_t)found;
        return 0;
    }
    return add_column(r, key, len, column, col);
}

/* ---- records ---- */

static int begin_record(struct jsonrec_reader *r, const unsigned char *s)
{
    int depth = r->mode == MODE_ARRAY ? 2 : 1;

    if (r->mode == MODE_NDJSON)
        r->row = r->line;
    if (depth > r->limits.max_depth)
        return fail_at(r, column_at(r, s), SD_ELIMIT, "nesting deeper than %d",
                       r->limits.max_depth);
    if (r->records >= r->limits.max_rows)
        return fail_at(r, column_at(r, s), SD_ELIMIT, "more than %ld rows", r->limits.max_rows);
    r->records++;
    for (size_t i = 0; i < r->columns.n; i++)
        r->values[i] = (struct ingest_value){.data = NULL, .len = 0, .kind = INGEST_ABSENT};
    strbuf_reset(&r->text);
    r->next_guess = 0;
    r->state = JR_OBJ_FIRST;
    return 0;
}

static int end_record(struct jsonrec_reader *r)
{
    for (size_t i = 0; i < r->columns.n; i++) {
        if (r->values[i].kind != INGEST_ABSENT)
            r->values[i].data = r->text.buf + r->offsets[i];
    }
    r->state = r->mode == MODE_ARRAY ? JR_ARRAY_AFTER : JR_LINE_END;

    struct ingest_record rec = {
        .file = r->name,
        .row = r->row,
        .columns = &r->columns,
        .values = r->values,
        .n_values = r->columns.n,
    };
    return r->fn(r->ctx, &rec, r->err);
}

static size_t token_limit(const struct jsonrec_reader *r)
{
    return r->in_key ? r->key_limit : r->limits.max_field_bytes;
}

/* The token passes its limit: reported where it starts, the same however the input is cut. */
static int too_long(struct jsonrec_reader *r)
{
    if (r->in_key)
        return fail_at(r, r->token_column, SD_ELIMIT, "key longer than %zu bytes", token_limit(r));
    return fail_value(r, r->token_column, SD_ELIMIT, "value longer than %zu bytes", token_limit(r));
}

/* Appends decoded bytes of the current token, within the key or value limit. */
static int append(struct jsonrec_reader *r, const void *bytes, size_t n)
{
    if (n > token_limit(r) - (r->text.len - r->token_start))
        return too_long(r);
    strbuf_add(&r->text, bytes, n);
    return 0;
}

/* A key or value starts at `s` (its quote or first character). */
static void begin_token(struct jsonrec_reader *r, enum jr_state state, const unsigned char *s)
{
    r->token_start = r->text.len;
    r->token_column = column_at(r, s);
    r->state = state;
}

/* The value just read belongs to the current column. */
static void set_value(struct jsonrec_reader *r, enum ingest_kind kind)
{
    r->values[r->cur_col] = (struct ingest_value){
        .data = NULL,
        .len = r->text.len - r->token_start,
        .kind = kind,
    };
    r->offsets[r->cur_col] = r->token_start;
    r->state = JR_OBJ_AFTER;
}

/* The key (in `text`, or still in the input) names the column of the value that follows. */
static int finish_key(struct jsonrec_reader *r, const char *key, size_t len, size_t column)
{
    size_t col = 0;
    int rc = find_column(r, key, len, column, &col);
    if (rc)
        return rc;
    if (r->values[col].kind != INGEST_ABSENT)
        return fail_key(r, column, key, len, (long)col, SD_EINVAL, "appears twice in the record");
    r->values[col].kind = INGEST_EMPTY; /* taken; the value replaces it */
    r->cur_col = col;
    r->next_guess = col + 1;
    strbuf_setlen(&r->text, r->token_start);
    r->in_key = 0;
    r->state = JR_OBJ_COLON;
    return 0;
}

/* ---- structure: the bytes between tokens ---- */

static const unsigned char *skip_space(struct jsonrec_reader *r, const unsigned char *s,
                                       const unsigned char *end)
{
    int stop_at_newline = r->mode == MODE_NDJSON && r->state != JR_LINE_START;

    for (; s < end; s++) {
        if (*s == ' ' || *s == '\t' || *s == '\r')
            continue;
        if (*s != '\n' || stop_at_newline)
            break;
        new_line(r, s);
    }
    return s;
}

static int on_start(struct jsonrec_reader *r, const unsigned char *s)
{
    if (*s == '[') {
        r->mode = MODE_ARRAY;
        r->row = 1;
        r->state = JR_ARRAY_FIRST;
        return 0;
    }
    if (*s == '{') {
        r->mode = MODE_NDJSON;
        return begin_record(r, s);
    }
    return unexpected(r, s);
}

static int on_array(struct jsonrec_reader *r, const unsigned char *s)
{
    if (*s == '{' && r->state != JR_ARRAY_AFTER)
        return begin_record(r, s);
    if (*s == ']' && r->state != JR_ARRAY_NEXT) {
        r->state = JR_TRAILER;
        return 0;
    }
    if (*s == ',' && r->state == JR_ARRAY_AFTER) {
        r->row++;
        r->state = JR_ARRAY_NEXT;
        return 0;
    }
    return unexpected(r, s);
}

static int on_lines(struct jsonrec_reader *r, const unsigned char *s)
{
    if (*s == '{' && r->state == JR_LINE_START)
        return begin_record(r, s);
    if (*s == '\n' && r->state == JR_LINE_END) {
        new_line(r, s);
        r->state = JR_LINE_START;
        return 0;
    }
    return unexpected(r, s);
}

static int on_object(struct jsonrec_reader *r, const unsigned char *s)
{
    if (*s == '"' && (r->state == JR_OBJ_FIRST || r->state == JR_OBJ_KEY)) {
        r->in_key = 1;
        begin_token(r, JR_STRING, s);
        return 0;
    }
    if (*s == '}' && (r->state == JR_OBJ_FIRST || r->state == JR_OBJ_AFTER))
        return end_record(r);
    if (*s == ',' && r->state == JR_OBJ_AFTER) {
        r->state = JR_OBJ_KEY;
        return 0;
    }
    if (*s == ':' && r->state == JR_OBJ_COLON) {
        r->state = JR_OBJ_VALUE;
        return 0;
    }
    return unexpected(r, s);
}

static int begin_literal(struct jsonrec_reader *r, const char *literal, const unsigned char *s)
{
    r->literal = literal;
    r->literal_pos = 0;
    begin_token(r, JR_LITERAL, s);
    return 0;
}

static int nested_value(struct jsonrec_reader *r, const unsigned char *s)
{
    int depth = r->mode == MODE_ARRAY ? 3 : 2;

    if (depth > r->limits.max_depth)
        return fail_value(r, column_at(r, s), SD_ELIMIT, "nesting deeper than %d",
                          r->limits.max_depth);
    return fail_value(r, column_at(r, s), SD_EINVAL, "nested values are not supported");
}

static int begin_number(struct jsonrec_reader *r, const unsigned char *s)
{
    r->num_state = NUM_START;
    begin_token(r, JR_NUMBER, s);
    return 0;
}

/* The first byte of a value; only a string's opening quote is consumed here. */
static int on_value(struct jsonrec_reader *r, const unsigned char **sp)
{
    const unsigned char *s = *sp;

    switch (*s) {
    case '"':
        ++*sp;
        begin_token(r, JR_STRING, s);
        return 0;
    case 't': return begin_literal(r, "true", s);
    case 'f': return begin_literal(r, "false", s);
    case 'n': return begin_literal(r, "null", s);
    case '{':
    case '[': return nested_value(r, s);
    case '-': return begin_number(r, s);
    default:
        if (*s >= '0' && *s <= '9')
            return begin_number(r, s);
        return unexpected(r, s);
    }
}

static int step_structure(struct jsonrec_reader *r, const unsigned char **sp,
                          const unsigned char *end)
{
    const unsigned char *s = skip_space(r, *sp, end);

    *sp = s;
    if (s == end)
        return 0;
    if (r->state == JR_OBJ_VALUE)
        return on_value(r, sp);
    ++*sp;
    switch (r->state) {
    case JR_START: return on_start(r, s);
    case JR_ARRAY_FIRST:
    case JR_ARRAY_NEXT:
    case JR_ARRAY_AFTER: return on_array(r, s);
    case JR_LINE_START:
    case JR_LINE_END: return on_lines(r, s);
    case JR_OBJ_FIRST:
    case JR_OBJ_KEY:
    case JR_OBJ_COLON:
    case JR_OBJ_AFTER: return on_object(r, s);
    default: return unexpected(r, s); /* JR_TRAILER */
    }
}

static int step_bom(struct jsonrec_reader *r, const unsigned char **sp)
{
    static const unsigned char bom[] = {0xEF, 0xBB, 0xBF};
    const unsigned char *s = *sp;
    int i = (int)r->state - JR_BOM;

    if (*s != bom[i]) {
        if (i > 0)
            return unexpected(r, s);
        r->state = JR_START;
        return 0;
    }
    ++*sp;
    r->state = i == 2 ? JR_START : r->state + 1;
    if (i == 2)
        r->line_start = sizeof(bom); /* columns count from after the mark */
    return 0;
}

/* ---- strings ---- */

static int utf8_begin(struct jsonrec_reader *r, unsigned char c)
{
    for (size_t i = 0; i < sizeof(utf8_leads) / sizeof(utf8_leads[0]); i++) {
        const struct utf8_lead *lead = &utf8_leads[i];
        if (c >= lead->first && c <= lead->last) {
            r->utf8_need = lead->need;
            r->utf8_lo = lead->lo;
            r->utf8_hi = lead->hi;
            return 1;
        }
    }
    return 0;
}

/* Skips string content: plain ASCII and valid UTF-8 (a sequence may span chunks). */
static const unsigned char *scan_content(struct jsonrec_reader *r, const unsigned char *s,
                                         const unsigned char *end)
{
    size_t cont = 0;

    for (; s < end; s++) {
        unsigned char c = *s;
        if (r->utf8_need == 0) {
            if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\')
                continue;
            if (c < 0x80 || !utf8_begin(r, c))
                break;
            continue;
        }
        if (c < r->utf8_lo || c > r->utf8_hi)
            break;
        r->utf8_need--;
        r->utf8_lo = 0x80;
        r->utf8_hi = 0xBF;
        cont++;
    }
    r->line_cont += cont;
    return s;
}

/* The byte that stopped scan_content. */
static int string_stop(struct jsonrec_reader *r, const unsigned char *s)
{
    size_t column = column_at(r, s);

    if (r->utf8_need > 0 || *s >= 0x80)
        return fail_at(r, column, SD_EINVAL, "invalid UTF-8 in a string (byte 0x%02x)", *s);
    if (*s < 0x20)
        return fail_at(r, column, SD_EINVAL, "control character 0x%02x in a string", *s);
    if (*s == '\\') {
        r->state = JR_ESCAPE;
        return 0;
    }
    if (r->in_key)
        return finish_key(r, r->text.buf + r->token_start, r->text.len - r->token_start, column);
    set_value(r, INGEST_TEXT);
    return 0;
}

static int step_string(struct jsonrec_reader *r, const unsigned char **sp, const unsigned char *end)
{
    const unsigned char *start = *sp;
    const unsigned char *s = scan_content(r, start, end);
    size_t len = (size_t)(s - start);

    *sp = s;
    if (r->in_key && r->text.len == r->token_start && s < end && *s == '"' && r->utf8_need == 0) {
        /* The common case: a whole key without escapes in this chunk, looked up in place. */
        ++*sp;
        if (len > r->key_limit)
            return too_long(r);
        return finish_key(r, (const char *)start, len, column_at(r, s));
    }
    int rc = append(r, start, len);
    if (rc || s == end)
        return rc;
    ++*sp;
    return string_stop(r, s);
}

static int step_escape(struct jsonrec_reader *r, const unsigned char **sp)
{
    static const char from[] = "\"\\/bfnrt";
    static const char to[] = "\"\\/\b\f\n\r\t";
    const unsigned char *s = (*sp)++;
    const char *hit = *s ? strchr(from, *s) : NULL;
    char found[DESCRIBE_MAX];

    if (*s == 'u') {
        r->hex_count = 0;
        r->hex_value = 0;
        r->state = JR_HEX;
        return 0;
    }
    if (!hit)
        return fail_at(r, column_at(r, s), SD_EINVAL, "invalid escape in a string: '\\' and %s",
                       describe(*s, found));
    r->state = JR_STRING;
    return append(r, &to[hit - from], 1);
}

static size_t utf8_encode(uint32_t cp, unsigned char *out)
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

static int lone_surrogate(struct jsonrec_reader *r, size_t column, uint32_t unit)
{
    return fail_at(r, column, SD_EINVAL, "lone surrogate \\u%04X in a string", (unsigned)unit);
}

/* Four hex digits read: a character, or one half of a surrogate pair. */
static int escaped_unit(struct jsonrec_reader *r, size_t column)
{
    uint32_t unit = r->hex_value, cp = unit;
    unsigned char utf8[4];

    if (r->high_surrogate) {
        if (unit < 0xDC00 || unit > 0xDFFF)
            return lone_surrogate(r, column, r->high_surrogate);
        cp = 0x10000 + ((r->high_surrogate - 0xD800) << 10) + (unit - 0xDC00);
        r->high_surrogate = 0;
    } else if (unit >= 0xD800 && unit <= 0xDBFF) {
        r->high_surrogate = unit;
        r->state = JR_LOW_BACKSLASH;
        return 0;
    } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
        return lone_surrogate(r, column, unit);
    }
    r->state = JR_STRING;
    return append(r, utf8, utf8_encode(cp, utf8));
}

static int hex_digit(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int step_hex(struct jsonrec_reader *r, const unsigned char **sp)
{
    const unsigned char *s = (*sp)++;
    int digit = hex_digit(*s);
    char found[DESCRIBE_MAX];

    if (digit < 0)
        return fail_at(r, column_at(r, s), SD_EINVAL, "expected a hex digit in '\\u', found %s",
                       describe(*s, found));
    r->hex_value = r->hex_value * 16 + (uint32_t)digit;
    if (++r->hex_count < 4)
        return 0;
    return escaped_unit(r, column_at(r, s));
}

/* After a high surrogate only "\u" and a low surrogate may follow. */
static int step_low(struct jsonrec_reader *r, const unsigned char **sp)
{
    const unsigned char *s = (*sp)++;
    unsigned char want = r->state == JR_LOW_BACKSLASH ? '\\' : 'u';

    if (*s != want)
        return lone_surrogate(r, column_at(r, s), r->high_surrogate);
    if (want == '\\') {
        r->state = JR_LOW_U;
        return 0;
    }
    r->hex_count = 0;
    r->hex_value = 0;
    r->state = JR_HEX;
    return 0;
}

/* ---- numbers and literals ---- */

static enum num_state num_next(enum num_state state, unsigned char c)
{
    int digit = c >= '0' && c <= '9';
    int is_exp = c == 'e' || c == 'E';

    switch (state) {
    case NUM_START: return c == '-' ? NUM_MINUS : c == '0' ? NUM_ZERO : NUM_INT;
    case NUM_MINUS: return c == '0' ? NUM_ZERO : digit ? NUM_INT : NUM_BAD;
    case NUM_ZERO: return c == '.' ? NUM_DOT : is_exp ? NUM_EXP : digit ? NUM_BAD : NUM_END;
    case NUM_INT: return digit ? NUM_INT : c == '.' ? NUM_DOT : is_exp ? NUM_EXP : NUM_END;
    case NUM_DOT: return digit ? NUM_FRAC : NUM_BAD;
    case NUM_FRAC: return digit ? NUM_FRAC : is_exp ? NUM_EXP : NUM_END;
    case NUM_EXP: return digit ? NUM_EXP_DIGITS : (c == '+' || c == '-') ? NUM_EXP_SIGN : NUM_BAD;
    case NUM_EXP_SIGN: return digit ? NUM_EXP_DIGITS : NUM_BAD;
    case NUM_EXP_DIGITS: return digit ? NUM_EXP_DIGITS : NUM_END;
    default: return NUM_BAD;
    }
}

static int num_complete(enum num_state state)
{
    return state == NUM_ZERO || state == NUM_INT || state == NUM_FRAC || state == NUM_EXP_DIGITS;
}

static int bad_number(struct jsonrec_reader *r, const unsigned char *s)
{
    char found[DESCRIBE_MAX];
    const char *after = r->num_state == NUM_MINUS ? "after '-'"
                        : r->num_state == NUM_DOT ? "after '.'"
                                                  : "in the exponent";

    if (r->num_state == NUM_ZERO)
        return fail_at(r, column_at(r, s), SD_EINVAL, "leading zeros are not allowed in numbers");
    return fail_at(r, column_at(r, s), SD_EINVAL, "expected a digit %s, found %s", after,
                   describe(*s, found));
}

/* Number bytes up to the first one that is not part of it (left for the next state). */
static int step_number(struct jsonrec_reader *r, const unsigned char **sp, const unsigned char *end)
{
    const unsigned char *start = *sp, *s = start;
    enum num_state next = NUM_END;

    for (; s < end; s++) {
        next = num_next(r->num_state, *s);
        if (next == NUM_END || next == NUM_BAD)
            break;
        r->num_state = next;
    }
    int rc = append(r, start, (size_t)(s - start));
    *sp = s;
    if (rc || s == end)
        return rc;
    if (next == NUM_BAD)
        return bad_number(r, s);
    set_value(r, INGEST_NUMBER);
    return 0;
}

static int step_literal(struct jsonrec_reader *r, const unsigned char **sp,
                        const unsigned char *end)
{
    const unsigned char *s = *sp;

    for (; s < end && r->literal[r->literal_pos] != '\0'; s++, r->literal_pos++) {
        if (*s != (unsigned char)r->literal[r->literal_pos]) {
            *sp = s;
            return unexpected(r, s);
        }
    }
    *sp = s;
    if (r->literal[r->literal_pos] != '\0')
        return 0;
    if (r->literal[0] == 'n') {
        set_value(r, INGEST_EMPTY);
        return 0;
    }
    int rc = append(r, r->literal, r->literal_pos);
    if (rc == 0)
        set_value(r, INGEST_BOOL);
    return rc;
}

/* ---- driving ---- */

static int step(struct jsonrec_reader *r, const unsigned char **sp, const unsigned char *end)
{
    switch (r->state) {
    case JR_BOM:
    case JR_BOM2:
    case JR_BOM3: return step_bom(r, sp);
    case JR_STRING: return step_string(r, sp, end);
    case JR_ESCAPE: return step_escape(r, sp);
    case JR_HEX: return step_hex(r, sp);
    case JR_LOW_BACKSLASH:
    case JR_LOW_U: return step_low(r, sp);
    case JR_NUMBER: return step_number(r, sp, end);
    case JR_LITERAL: return step_literal(r, sp, end);
    default: return step_structure(r, sp, end);
    }
}

/* Parses the next `len` bytes of input; records complete in them go to the callback. */
static int reader_feed(struct jsonrec_reader *r, const char *data, size_t len)
{
    if (len == 0)
        return 0;

    const unsigned char *s = (const unsigned char *)data;
    const unsigned char *end = s + len;
    int rc = 0;

    r->chunk = s;
    while (rc == 0 && s < end)
        rc = step(r, &s, end);
    r->base += len;
    r->chunk = NULL;
    return rc;
}

/* End of input: fine between records, an error inside one. */
static int reader_finish(struct jsonrec_reader *r)
{
    char want[16];

    if (r->state == JR_NUMBER && num_complete(r->num_state))
        set_value(r, INGEST_NUMBER);
    switch (r->state) {
    case JR_BOM:
    case JR_START:
    case JR_TRAILER:
    case JR_LINE_START:
    case JR_LINE_END: return 0;
    default:
        return fail_at(r, column_of(r, r->base), SD_EINVAL, "unexpected end of input, expected %s",
                       expectation(r, want, sizeof(want)));
    }
}

int jsonrec_read_buffer(const char *data, size_t len, const char *name,
                        const struct ingest_limits *limits, ingest_record_fn *fn, void *ctx,
                        struct sd_error *err)
{
    struct jsonrec_reader r;

    reader_init(&r, name ? name : "input", limits, fn, ctx, err);
    int rc = reader_feed(&r, data, len);
    if (rc == 0)
        rc = reader_finish(&r);
    reader_release(&r);
    return rc;
}

static int feed_file(struct jsonrec_reader *r, FILE *fp, char *chunk, const char *path)
{
    size_t n = JSONREC_CHUNK;

    while (n == JSONREC_CHUNK) {
        n = fread(chunk, 1, JSONREC_CHUNK, fp);
        int rc = reader_feed(r, chunk, n);
        if (rc)
            return rc;
    }
    if (ferror(fp))
        return sd_error_set(r->err, SD_EIO, "cannot read '%s': %s", path, strerror(errno));
    return reader_finish(r);
}

int jsonrec_read_file(const char *path, const char *name, const struct ingest_limits *limits,
                      ingest_record_fn *fn, void *ctx, struct sd_error *err)
{
    struct jsonrec_reader r;
    FILE *fp = NULL;
    char *chunk = NULL;
    int rc = 0;

    reader_init(&r, name ? name : path, limits, fn, ctx, err);
    fp = fopen(path, "rb");
    if (!fp) {
        rc = sd_error_set(err, SD_EIO, "cannot open '%s': %s", path, strerror(errno));
        goto out;
    }
    chunk = xmalloc(JSONREC_CHUNK);
    rc = feed_file(&r, fp, chunk, path);
out:
    free(chunk);
    if (fp)
        fclose(fp);
    reader_release(&r);
    return rc;
}
