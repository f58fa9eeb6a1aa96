/* SPDX-License-Identifier: MIT */
/*
 * csv: the CSV reader (see csv.h). Input arrives in chunks: one buffer, or
 * CSV_CHUNK-sized reads of a file. A record that lies on one line inside the
 * chunk, with quotes only around whole values (most records of most files),
 * is split here in one pass over a byte-class table, values pointing into the
 * chunk where they need no change. Every other record (a line end inside
 * quotes, a quote out of place, a line cut by the end of a chunk) goes to
 * libcsv in strict mode, which judges all such questions; the fast path gives
 * up on a record before passing anything on, and the fuzz target checks that
 * both paths agree on every input. libcsv gets exactly one record at a time
 * and is at the start of a row between records. Physical line numbers, empty
 * lines, the BOM, the delimiter, encodings and limits are handled here.
 */
#include "ingest/csv.h"

#include <assert.h>
#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/xalloc.h"
#include "base/banned.h"

#define CSV_CHUNK ((size_t)1 << 20)  /* file reads; the window for delimiter detection */
#define CSV_SLICE ((size_t)64 << 10) /* most bytes handed to libcsv between limit checks */
#define NO_OFFSET SIZE_MAX           /* the value points into the input, not into text */

/* Byte classes of the fast path. */
enum {
    C_TEXT,  /* copied as it is */
    C_CHECK, /* NUL or >= 0x80: the value needs checking or converting */
    C_DELIM,
    C_QUOTE,
    C_LINE, /* CR or LF */
};

struct reader {
    const char *name;
    const struct ingest_limits *limits;
    enum ingest_encoding encoding; /* AUTO until decided, then never AUTO */
    unsigned char delimiter;       /* 0 until detected */
    unsigned char classes[256];
    ingest_record_fn *fn;
    void *ctx;
    struct sd_error *err;
    int status; /* the first failure or the callback's return: stops the reader */
    int fast;   /* the fast path is on (off only to test libcsv alone) */

    struct csv_parser parser;
    int in_parser;      /* libcsv holds an unfinished record */
    int in_quotes;      /* the scan of that record is inside a quoted field */
    int record_ended;   /* libcsv reported the end of the record */
    long record_lines;  /* line breaks inside the quoted fields of that record */
    unsigned char prev; /* the last byte scanned, to see CR LF as one line end */

    long line;    /* the physical line at the scan position, 1-based */
    long row;     /* the line where the current record starts */
    long records; /* data records passed to fn */

    int have_header;
    struct ingest_columns columns;
    char **names;
    char *names_text;

    /* The record being collected. */
    struct ingest_value *values;
    size_t *offsets; /* into text, or NO_OFFSET */
    size_t capacity; /* of values and offsets */
    size_t n_fields; /* fields seen; past the header's count they are only counted */
    char *text;      /* converted or copied values */
    size_t text_len;
    size_t text_cap;
    unsigned char *scratch; /* a quoted value with its doubled quotes undone */
    size_t scratch_cap;
};

void csv_options_init(struct csv_options *opt)
{
    memset(opt, 0, sizeof(*opt));
    opt->delimiter = 0;
    opt->encoding = INGEST_ENC_AUTO;
    opt->limits = ingest_default_limits;
}

/* ---- errors ---- */

/*
 * Stops the reader with `code` and a message at the current row and, when
 * `column` > 0, the column as a person finds it: its header name when there is
 * one, else its number.
 */
__attribute__((format(printf, 4, 5))) static int stop(struct reader *r, int code, size_t column,
                                                      const char *fmt, ...)
{
    char what[SD_ERROR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    const char *col_name = NULL;
    if (column > 0 && r->have_header && column <= r->columns.n && r->names[column - 1][0])
        col_name = r->names[column - 1];
    if (column == 0)
        sd_error_set(r->err, code, "%s:%ld: %s", r->name, r->row, what);
    else if (col_name)
        sd_error_set(r->err, code, "%s:%ld: column " SD_QUOTE_FMT ": %s", r->name, r->row,
                     SD_QUOTE_ARGS(col_name, strlen(col_name)), what);
    else
        sd_error_set(r->err, code, "%s:%ld: column %zu: %s", r->name, r->row, column, what);
    if (r->err) {
        r->err->row = r->row;
        r->err->column = column > INT32_MAX ? INT32_MAX : (int)column;
    }
    r->status = code;
    return code;
}

/* ---- encodings ---- */

#define ONES  0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Non-zero when one of the 8 bytes of x is 0 (exact as a yes/no answer). */
static uint64_t has_zero_byte(uint64_t x)
{
    return (x - ONES) & ~x & HIGHS;
}

/* Whether the 8 bytes at p are all ASCII and none is NUL. */
static int plain_ascii_word(const unsigned char *p)
{
    uint64_t word;
    memcpy(&word, p, sizeof(word));
    return ((word & HIGHS) | has_zero_byte(word)) == 0;
}

/* The length of the valid UTF-8 sequence at s (avail bytes), or 0: invalid, NUL or cut short. */
static size_t utf8_sequence(const unsigned char *s, size_t avail)
{
    unsigned char lo = 0x80, hi = 0xBF;
    size_t need;

    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        need = 2;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        need = 3;
        lo = s[0] == 0xE0 ? 0xA0 : 0x80; /* no overlong forms */
        hi = s[0] == 0xED ? 0x9F : 0xBF; /* no surrogates */
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        need = 4;
        lo = s[0] == 0xF0 ? 0x90 : 0x80;
        hi = s[0] == 0xF4 ? 0x8F : 0xBF; /* nothing past U+10FFFF */
    } else {
        return s[0] > 0 && s[0] < 0x80;
    }
    if (avail < need || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t k = 2; k < need; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
    }
    return need;
}

/* The length of the longest prefix of p that is whole UTF-8 sequences without NUL. */
static size_t utf8_valid_prefix(const unsigned char *p, size_t n)
{
    size_t i = 0;

    while (i < n) {
        if (n - i >= 8 && plain_ascii_word(p + i)) {
            i += 8;
            continue;
        }
        size_t len = utf8_sequence(p + i, n - i);
        if (len == 0)
            return i;
        i += len;
    }
    return n;
}

/* Windows-1252 0x80-0x9F; the five bytes it leaves undefined map to U+0080-U+009F as in WHATWG. */
static const uint16_t cp1252_high[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

/* Converts n single-byte characters (no NUL) to UTF-8 at out (room for 3n); returns the length. */
static size_t from_8bit(char *out, const unsigned char *in, size_t n, enum ingest_encoding enc)
{
    unsigned char *o = (unsigned char *)out;

    for (size_t i = 0; i < n; i++) {
        unsigned cp = in[i];
        if (cp >= 0x80 && cp < 0xA0 && enc == INGEST_ENC_CP1252)
            cp = cp1252_high[cp - 0x80];
        if (cp < 0x80) {
            *o++ = (unsigned char)cp;
        } else if (cp < 0x800) {
            *o++ = (unsigned char)(0xC0 | cp >> 6);
            *o++ = (unsigned char)(0x80 | (cp & 0x3F));
        } else {
            *o++ = (unsigned char)(0xE0 | cp >> 12);
            *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
            *o++ = (unsigned char)(0x80 | (cp & 0x3F));
        }
    }
    return (size_t)(o - (unsigned char *)out);
}

static int has_bom(const unsigned char *p, size_t n)
{
    return n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF;
}

/* ---- collecting a record ---- */

/* Room for `extra` more bytes of text; returns where they go. */
static char *text_reserve(struct reader *r, size_t extra)
{
    if (!r->text || r->text_cap - r->text_len < extra) {
        size_t cap = r->text_cap ? r->text_cap : 4096;
        while (cap - r->text_len < extra)
            cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
        r->text = xreallocarray(r->text, cap, 1);
        r->text_cap = cap;
    }
    return r->text + r->text_len;
}

static void values_reserve(struct reader *r, size_t n)
{
    if (n <= r->capacity)
        return;
    size_t cap = r->capacity ? r->capacity * 2 : 16;
    while (cap < n)
        cap *= 2;
    r->values = xreallocarray(r->values, cap, sizeof(*r->values));
    r->offsets = xreallocarray(r->offsets, cap, sizeof(*r->offsets));
    r->capacity = cap;
}

static int bad_text(struct reader *r, size_t column, const unsigned char *data, size_t at)
{
    if (data[at] == 0)
        return stop(r, SD_EINVAL, column, "NUL byte in the value (a binary or UTF-16 file?)");
    return stop(r, SD_EINVAL, column, "invalid UTF-8 (byte 0x%02X at byte %zu of the value)",
                data[at], at + 1);
}

/*
 * Puts value i in text: copied (UTF-8, checked unless `ascii`) or converted
 * from a single-byte encoding. `ascii` says the caller saw only ASCII without NUL.
 */
static int store_text(struct reader *r, size_t i, const unsigned char *data, size_t len, int ascii)
{
    int utf8 = r->encoding == INGEST_ENC_UTF8;
    char *out = text_reserve(r, utf8 || ascii ? len : len * 3);

    if (utf8 && !ascii) {
        size_t valid = utf8_valid_prefix(data, len);
        if (valid < len)
            return bad_text(r, i + 1, data, valid);
    }
    if (utf8 || ascii) {
        memcpy(out, data, len);
    } else {
        const unsigned char *nul = memchr(data, 0, len);
        if (nul)
            return bad_text(r, i + 1, data, (size_t)(nul - data));
        len = from_8bit(out, data, len, r->encoding);
    }
    r->offsets[i] = r->text_len;
    r->values[i].len = len;
    r->text_len += len;
    return 0;
}

/*
 * Takes the next value of the record. `in_input`: data stays valid until the
 * record is passed on (it points into the input, not into libcsv's buffer).
 */
static int add_field(struct reader *r, const unsigned char *data, size_t len, int ascii,
                     int in_input)
{
    size_t i = r->n_fields++;

    if (len > r->limits->max_field_bytes)
        return stop(r, SD_ELIMIT, i + 1, "value longer than %zu bytes", r->limits->max_field_bytes);
    if (!r->have_header) {
        if (i >= r->limits->max_columns)
            return stop(r, SD_ELIMIT, i + 1, "more than %zu columns", r->limits->max_columns);
        values_reserve(r, i + 1);
    } else if (i >= r->columns.n) {
        return 0; /* counted only: the record is rejected at its end */
    }
    r->values[i].kind = len ? INGEST_TEXT : INGEST_EMPTY;
    if (in_input && r->have_header && (ascii || r->encoding == INGEST_ENC_UTF8)) {
        if (!ascii) {
            size_t valid = utf8_valid_prefix(data, len);
            if (valid < len)
                return bad_text(r, i + 1, data, valid);
        }
        r->values[i].data = (const char *)data;
        r->values[i].len = len;
        r->offsets[i] = NO_OFFSET;
        return 0;
    }
    return store_text(r, i, data, len, ascii);
}

/* The header's values become the column names, NUL-terminated, for the whole read. */
static int take_header(struct reader *r)
{
    size_t n = r->n_fields, bytes = 0;

    for (size_t i = 0; i < n; i++)
        bytes += r->values[i].len + 1;
    r->names = xcalloc(n, sizeof(*r->names));
    r->names_text = xmalloc(bytes);
    char *at = r->names_text;
    for (size_t i = 0; i < n; i++) {
        memcpy(at, r->text + r->offsets[i], r->values[i].len);
        at[r->values[i].len] = '\0';
        r->names[i] = at;
        at += r->values[i].len + 1;
    }
    r->columns.n = n;
    r->columns.names = (const char *const *)r->names;
    r->columns.version = 1;
    r->have_header = 1;
    return 0;
}

/* The record is complete: checks it and passes it to fn. */
static int end_record(struct reader *r)
{
    static const char empty[1] = "";

    if (!r->have_header)
        return take_header(r);
    if (r->n_fields != r->columns.n)
        return stop(r, SD_EINVAL, 0, "%zu field%s, the header has %zu", r->n_fields,
                    r->n_fields == 1 ? "" : "s", r->columns.n);
    if (r->records >= r->limits->max_rows)
        return stop(r, SD_ELIMIT, 0, "more than %ld rows", r->limits->max_rows);
    for (size_t i = 0; i < r->n_fields; i++) {
        if (r->offsets[i] != NO_OFFSET)
            r->values[i].data = r->text + r->offsets[i];
        if (r->values[i].len == 0)
            r->values[i].data = empty;
    }
    r->records++;
    struct ingest_record rec = {
        .file = r->name,
        .row = r->row,
        .columns = &r->columns,
        .values = r->values,
        .n_values = r->n_fields,
    };
    int rc = r->fn(r->ctx, &rec, r->err);
    if (rc != 0)
        r->status = rc;
    return rc;
}

/* ---- the fast path ---- */

/*
 * The end of the unquoted value at p[i]: the index of the delimiter or line
 * end after it; n when the data ends first or a quote comes (libcsv's case).
 */
static size_t plain_value_end(const unsigned char *classes, const unsigned char *p, size_t i,
                              size_t n, int *check)
{
    for (; i < n; i++) {
        unsigned char k = classes[p[i]];
        if (k == C_TEXT)
            continue;
        if (k == C_CHECK)
            *check = 1;
        else
            return k == C_QUOTE ? n : i;
    }
    return n;
}

/*
 * The end of the quoted value opening at p[i]: the index just after its
 * closing quote; n when the data ends first or a line end comes inside.
 */
static size_t quoted_value_end(const unsigned char *classes, const unsigned char *p, size_t i,
                               size_t n, int *check, int *doubled)
{
    for (i++; i < n; i++) {
        unsigned char k = classes[p[i]];
        if (k == C_TEXT || k == C_DELIM)
            continue;
        if (k == C_CHECK) {
            *check = 1;
        } else if (k == C_LINE) {
            return n;
        } else if (i + 1 < n && p[i + 1] == '"') {
            *doubled = 1;
            i++;
        } else {
            return i + 1;
        }
    }
    return n;
}

/* Takes the quoted value p[0..len) (quotes stripped), undoubling its quotes in `scratch`. */
static int add_quoted(struct reader *r, const unsigned char *p, size_t len, int ascii, int doubled)
{
    if (!doubled)
        return add_field(r, p, len, ascii, 1);
    if (r->scratch_cap < len) {
        r->scratch = xreallocarray(r->scratch, len, 1);
        r->scratch_cap = len;
    }
    size_t out = 0;
    for (size_t i = 0; i < len; i++) {
        r->scratch[out++] = p[i];
        i += p[i] == '"'; /* the second of a pair */
    }
    return add_field(r, r->scratch, out, ascii, 0);
}

/*
 * Takes the value at p[i]; *end is the index of the delimiter or line end
 * after it. Returns 1 when it took it (or failed: r->status), 0 when libcsv
 * must read the record: a quote out of place, a line end inside quotes, the
 * data ending first, a quoted value past the limit.
 */
static int fast_value(struct reader *r, const unsigned char *p, size_t i, size_t n, size_t *end)
{
    int check = 0, doubled = 0;

    if (p[i] != '"') {
        *end = plain_value_end(r->classes, p, i, n, &check);
        if (*end == n)
            return 0;
        add_field(r, p + i, *end - i, !check, 1);
        return 1;
    }
    *end = quoted_value_end(r->classes, p, i, n, &check, &doubled);
    if (*end == n)
        return 0;
    unsigned char after = r->classes[p[*end]];
    if ((after != C_DELIM && after != C_LINE) || *end - i - 2 > r->limits->max_field_bytes)
        return 0;
    add_quoted(r, p + i + 1, *end - i - 2, !check, doubled);
    return 1;
}

/*
 * Splits the record at p when it lies on one line that ends before p + n and
 * has nothing libcsv would have to judge. Returns 1 when it took the record
 * (or failed: r->status), *used being the bytes before its line end; 0 when
 * libcsv must read it. Nothing is passed on before the line end is seen, so
 * giving up leaves no trace, and whatever failed here would fail there the same.
 */
static int fast_record(struct reader *r, const unsigned char *p, size_t n, size_t *used)
{
    size_t i = 0, end = 0;

    while (i < n && fast_value(r, p, i, n, &end)) {
        if (r->status)
            return 1;
        if (r->classes[p[end]] == C_LINE) {
            *used = end;
            end_record(r);
            return 1;
        }
        i = end + 1;
    }
    return 0;
}

/* ---- the libcsv path ---- */

static void on_field(void *data, size_t len, void *ctx)
{
    struct reader *r = ctx;
    if (!r->status)
        add_field(r, data, len, 0, 0);
}

static void on_record(int terminator, void *ctx)
{
    struct reader *r = ctx;
    (void)terminator;
    r->record_ended = 1;
    if (!r->status)
        end_record(r);
}

/* libcsv's spaces are data: nothing is trimmed. */
static int no_spaces(unsigned char c)
{
    (void)c;
    return 0;
}

static void parser_failed(struct reader *r)
{
    size_t column = r->n_fields + 1;

    if (csv_error(&r->parser) != CSV_EPARSE) {
        sd_error_set(r->err, SD_ENOMEM, "%s:%ld: out of memory", r->name, r->row);
        r->status = SD_ENOMEM;
    } else if (r->parser.quoted) {
        stop(r, SD_EINVAL, column,
             "text after the closing quote (a quote inside a quoted value is written \"\")");
    } else {
        stop(r, SD_EINVAL, column,
             "quote inside an unquoted value (quote the whole value and write the quote as \"\")");
    }
}

/* Hands p to libcsv in slices, checking the value it is collecting against the limit. */
static void parser_feed(struct reader *r, const unsigned char *p, size_t n)
{
    while (n > 0 && !r->status) {
        size_t piece = n < CSV_SLICE ? n : CSV_SLICE;
        if (csv_parse(&r->parser, p, piece, on_field, on_record, r) != piece) {
            if (!r->status) /* else a value failed first, libcsv read on */
                parser_failed(r);
            return;
        }
        /* - 1: a closing quote stays in libcsv's buffer until the next byte. */
        size_t pending = r->parser.entry_pos;
        if (!r->status && pending > 0 && pending - 1 > r->limits->max_field_bytes)
            stop(r, SD_ELIMIT, r->n_fields + 1, "value longer than %zu bytes%s",
                 r->limits->max_field_bytes, r->in_quotes ? " (a quote not closed?)" : "");
        p += piece;
        n -= piece;
    }
}

/*
 * Finds where the record libcsv is reading ends: the first CR or LF outside
 * quotes, or n. Counts the line breaks inside quotes. A quote toggles the
 * state: in strict mode every quote libcsv accepts does exactly that.
 */
static size_t scan_record(struct reader *r, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c == '\r' || c == '\n') {
            if (!r->in_quotes)
                return i;
            if (c == '\r' || r->prev != '\r')
                r->record_lines++;
        } else if (c == '"') {
            r->in_quotes = !r->in_quotes;
        }
        r->prev = c;
    }
    return n;
}

/* Counts a CR, LF or CR LF outside quotes as one line end. */
static void line_break(struct reader *r, unsigned char c)
{
    if (c == '\r' || r->prev != '\r')
        r->line++;
    r->prev = c;
}

/* Gives libcsv its record up to and including the line end; returns the bytes used. */
static size_t parser_step(struct reader *r, const unsigned char *p, size_t n)
{
    size_t end = scan_record(r, p, n);

    parser_feed(r, p, end < n ? end + 1 : n);
    if (r->status || end == n)
        return n;
    assert(r->record_ended);
    r->in_parser = 0;
    r->line += r->record_lines;
    line_break(r, p[end]);
    return end + 1;
}

/* ---- driving ---- */

/* A record starts at p (not a line end); returns the bytes it took (0: libcsv goes on). */
static size_t start_record(struct reader *r, const unsigned char *p, size_t n)
{
    size_t used = 0;

    r->row = r->line;
    r->n_fields = 0;
    r->text_len = 0;
    r->prev = 0;
    if (r->fast && fast_record(r, p, n, &used))
        return used;
    r->n_fields = 0;
    r->text_len = 0;
    r->in_parser = 1;
    r->in_quotes = 0;
    r->record_ended = 0;
    r->record_lines = 0;
    return 0;
}

/* Reads the next piece of input; records may span pieces. */
static void feed(struct reader *r, const unsigned char *p, size_t n)
{
    size_t pos = 0;

    while (pos < n && !r->status) {
        if (r->in_parser)
            pos += parser_step(r, p + pos, n - pos);
        else if (p[pos] == '\r' || p[pos] == '\n')
            line_break(r, p[pos++]);
        else
            pos += start_record(r, p + pos, n - pos);
    }
}

/* The input is over: the last record may lack its line end. */
static void finish(struct reader *r)
{
    if (!r->status && r->in_parser) {
        r->in_parser = 0;
        if (csv_fini(&r->parser, on_field, on_record, r) != 0)
            stop(r, SD_EINVAL, r->n_fields + 1, "unterminated quoted field (no closing quote)");
    }
    if (!r->status && !r->have_header) {
        r->row = r->line;
        stop(r, SD_EINVAL, 0, "no header line (the file is empty)");
    }
}

/* The candidate that splits the header line (outside quotes) into the most fields. */
static unsigned char detect_delimiter(const unsigned char *p, size_t n)
{
    static const unsigned char candidates[] = {',', ';', '\t', '|'};
    size_t counts[sizeof(candidates)] = {0};
    size_t i = 0, best = 0;
    int in_quotes = 0;

    while (i < n && (p[i] == '\r' || p[i] == '\n'))
        i++;
    for (; i < n; i++) {
        if (p[i] == '"')
            in_quotes = !in_quotes;
        else if (!in_quotes && (p[i] == '\r' || p[i] == '\n'))
            break;
        for (size_t k = 0; !in_quotes && k < sizeof(candidates); k++)
            counts[k] += p[i] == candidates[k];
    }
    for (size_t k = 1; k < sizeof(candidates); k++) {
        if (counts[k] > counts[best])
            best = k;
    }
    return candidates[best];
}

/* Sets the delimiter up everywhere it is used. */
static void use_delimiter(struct reader *r, unsigned char delimiter)
{
    r->delimiter = delimiter;
    memset(r->classes, C_TEXT, sizeof(r->classes));
    memset(r->classes + 0x80, C_CHECK, 0x80);
    r->classes[0] = C_CHECK;
    r->classes['"'] = C_QUOTE;
    r->classes['\r'] = C_LINE;
    r->classes['\n'] = C_LINE;
    r->classes[delimiter] = C_DELIM;
    csv_set_delim(&r->parser, delimiter);
}

/*
 * Looks at the first chunk (the encoding is decided): refuses UTF-16, detects
 * the delimiter. Returns how many bytes to skip (the BOM).
 */
static size_t reader_begin(struct reader *r, const unsigned char *p, size_t n)
{
    if (n >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF))) {
        stop(r, SD_EINVAL, 0, "the file is UTF-16; save it as UTF-8 CSV");
        return n;
    }
    size_t skip = has_bom(p, n) ? 3 : 0;
    size_t window = n < CSV_CHUNK ? n : CSV_CHUNK;
    use_delimiter(r, r->delimiter ? r->delimiter : detect_delimiter(p + skip, window - skip));
    return skip;
}

static int reader_init(struct reader *r, const char *name, const struct csv_options *opt,
                       ingest_record_fn *fn, void *ctx, struct sd_error *err)
{
    unsigned char d = (unsigned char)opt->delimiter;

    memset(r, 0, sizeof(*r));
    r->name = name ? name : "(input)";
    r->limits = &opt->limits;
    r->encoding = opt->encoding;
    r->delimiter = d;
    r->fn = fn;
    r->ctx = ctx;
    r->err = err;
    r->fast = 1;
    r->line = 1;
    r->row = 1;
    csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI);
    csv_set_space_func(&r->parser, no_spaces);
    csv_set_blk_size(&r->parser, CSV_SLICE);
    if (d == '"' || d == '\r' || d == '\n' || d >= 0x80)
        return sd_error_set(err, SD_EINVAL, "%s: the delimiter cannot be byte 0x%02X", r->name, d);
    if (r->encoding > INGEST_ENC_LATIN1)
        return sd_error_set(err, SD_EINVAL, "%s: unknown encoding %d", r->name, (int)r->encoding);
    return 0;
}

static void reader_release(struct reader *r)
{
    csv_free(&r->parser);
    free(r->names);
    free(r->names_text);
    free(r->values);
    free(r->offsets);
    free(r->text);
    free(r->scratch);
}

/* AUTO over data in memory: a BOM or valid UTF-8 means UTF-8, anything else Windows-1252. */
static void decide_encoding(struct reader *r, const unsigned char *p, size_t n)
{
    if (r->encoding != INGEST_ENC_AUTO)
        return;
    if (has_bom(p, n) || utf8_valid_prefix(p, n) == n)
        r->encoding = INGEST_ENC_UTF8;
    else
        r->encoding = INGEST_ENC_CP1252;
}

static int read_buffer(struct reader *r, const unsigned char *p, size_t n)
{
    decide_encoding(r, p, n);
    size_t skip = reader_begin(r, p, n);
    if (!r->status)
        feed(r, p + skip, n - skip);
    finish(r);
    return r->status;
}

int csv_read_buffer(const char *data, size_t len, const char *name, const struct csv_options *opt,
                    ingest_record_fn *fn, void *ctx, struct sd_error *err)
{
    struct reader r;
    int rc = reader_init(&r, name, opt, fn, ctx, err);

    if (rc == 0)
        rc = read_buffer(&r, (const unsigned char *)(data ? data : ""), data ? len : 0);
    reader_release(&r);
    return rc;
}

/* ---- files ---- */

/* Reads until `size` bytes or the end of the file; -1 with errno on failure. */
static int fill(int fd, unsigned char *buf, size_t size, size_t *got)
{
    size_t n = 0;

    while (n < size) {
        ssize_t k = read(fd, buf + n, size - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        if (k == 0)
            break;
        n += (size_t)k;
    }
    *got = n;
    return 0;
}

/*
 * Reads on from the first chunk (have bytes in buf) to the end of the file
 * to see whether it all is UTF-8. A sequence cut by the end of a read is
 * carried over to the next.
 */
static int file_is_utf8(int fd, unsigned char *buf, size_t have, int *utf8)
{
    for (;;) {
        size_t valid = utf8_valid_prefix(buf, have), got;
        if (have - valid > 3) {
            *utf8 = 0;
            return 0;
        }
        size_t carry = have - valid;
        memmove(buf, buf + valid, carry);
        if (fill(fd, buf + carry, CSV_CHUNK - carry, &got) != 0)
            return -1;
        if (got == 0) {
            *utf8 = carry == 0;
            return 0;
        }
        have = carry + got;
    }
}

/* AUTO for a file: decided from the first chunk when it is the whole file, else by a first pass. */
static int decide_file_encoding(struct reader *r, int fd, unsigned char *buf, size_t *n)
{
    int utf8 = 0;

    if (r->encoding != INGEST_ENC_AUTO || has_bom(buf, *n) || *n < CSV_CHUNK) {
        decide_encoding(r, buf, *n);
        return 0;
    }
    if (file_is_utf8(fd, buf, *n, &utf8) != 0 || lseek(fd, 0, SEEK_SET) != 0 ||
        fill(fd, buf, CSV_CHUNK, n) != 0)
        return -1;
    r->encoding = utf8 ? INGEST_ENC_UTF8 : INGEST_ENC_CP1252;
    return 0;
}

/* Reads the open file chunk by chunk; -1 with errno when reading fails. */
static int read_file(struct reader *r, int fd, unsigned char *buf)
{
    size_t n = 0;

    if (fill(fd, buf, CSV_CHUNK, &n) != 0 || decide_file_encoding(r, fd, buf, &n) != 0)
        return -1;
    size_t skip = reader_begin(r, buf, n);
    if (!r->status)
        feed(r, buf + skip, n - skip);
    while (!r->status && n == CSV_CHUNK) {
        if (fill(fd, buf, CSV_CHUNK, &n) != 0)
            return -1;
        feed(r, buf, n);
    }
    finish(r);
    return 0;
}

int csv_read_file(const char *path, const char *name, const struct csv_options *opt,
                  ingest_record_fn *fn, void *ctx, struct sd_error *err)
{
    struct reader r;
    unsigned char *buf = NULL;
    int fd = -1;
    int rc = reader_init(&r, name ? name : path, opt, fn, ctx, err);

    if (rc != 0)
        goto out;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = sd_error_set(err, SD_EIO, "cannot open '%s': %s", path, strerror(errno));
        goto out;
    }
    buf = xmalloc(CSV_CHUNK);
    if (read_file(&r, fd, buf) != 0) {
        rc = sd_error_set(err, SD_EIO, "cannot read '%s': %s", path, strerror(errno));
        goto out;
    }
    rc = r.status;
out:
    free(buf);
    if (fd >= 0)
        close(fd);
    reader_release(&r);
    return rc;
}
