/* SPDX-License-Identifier: MIT */
/*
 * fuzz-csv: libFuzzer target for the CSV reader. The first input byte picks
 * the options (encoding, delimiter, tight or default limits, a piece size);
 * the rest is the CSV. Any input must be accepted or rejected without a
 * sanitizer report, and every record must keep record.h's promises (as many
 * values as columns, valid UTF-8 without NUL, INGEST_EMPTY exactly when empty,
 * rows increasing). Two differential checks hold the reader's two paths
 * together: libcsv alone (the quote-free path off) must give the same records,
 * status and message as csv_read_buffer, and so must feeding the input in
 * small pieces, as reading a file does across its reads (with default
 * limits: an over-long value may be caught mid-value at a piece boundary).
 * The reader's source is included to reach those internals.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "ingest/csv.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct outcome {
    struct strbuf out; /* rows and values, to compare the runs */
    struct sd_error err;
    int rc;
    long last_row;
    uint64_t hash;
};

/* Valid UTF-8 without NUL, checked independently of the reader's own check. */
static int valid_utf8(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        unsigned c = s[i], cp, need;
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        need = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
        if (need == 0 || c >= 0xF8 || len - i <= need)
            return 0;
        cp = c & (0x3F >> need);
        for (unsigned k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        static const unsigned min_cp[4] = {0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[need] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += need + 1;
    }
    return 1;
}

static void check_value(struct outcome *o, const struct ingest_value *v)
{
    if (!v->data || (v->kind != INGEST_TEXT && v->kind != INGEST_EMPTY) ||
        (v->len == 0) != (v->kind == INGEST_EMPTY) ||
        !valid_utf8((const unsigned char *)v->data, v->len))
        abort();
    for (size_t i = 0; i < v->len; i++)
        o->hash = (o->hash ^ (unsigned char)v->data[i]) * 1099511628211u;
}

static int on_fuzz_record(void *ctx, const struct ingest_record *rec, struct sd_error *err)
{
    struct outcome *o = ctx;

    (void)err;
    if (rec->row <= o->last_row || rec->n_values != rec->columns->n || rec->columns->n == 0)
        abort();
    o->last_row = rec->row;
    for (size_t i = 0; i < rec->columns->n; i++) {
        const char *name = rec->columns->names[i];
        if (!valid_utf8((const unsigned char *)name, strlen(name)))
            abort();
    }
    strbuf_addf(&o->out, "%ld:", rec->row);
    for (size_t i = 0; i < rec->n_values; i++) {
        check_value(o, &rec->values[i]);
        strbuf_add(&o->out, rec->values[i].data, rec->values[i].len);
        strbuf_addch(&o->out, rec->values[i].kind == INGEST_EMPTY ? '_' : '|');
    }
    return 0;
}

static void outcome_init(struct outcome *o)
{
    memset(o, 0, sizeof(*o));
    strbuf_init(&o->out, 0);
}

static void same_or_abort(const struct outcome *a, const struct outcome *b, const char *what)
{
    if (a->rc == b->rc && a->out.len == b->out.len &&
        memcmp(a->out.buf, b->out.buf, a->out.len) == 0 &&
        (a->rc == 0 || (a->err.row == b->err.row && a->err.column == b->err.column &&
                        strcmp(a->err.message, b->err.message) == 0)))
        return;
    fprintf(stderr, "%s differs:\n  %d %s\n  %d %s\n", what, a->rc, a->err.message, b->rc,
            b->err.message);
    abort();
}

/* libcsv reads every record. */
static void run_libcsv_only(const char *p, size_t n, const struct csv_options *opt,
                            struct outcome *o)
{
    struct reader r;

    o->rc = reader_init(&r, "fuzz.csv", opt, on_fuzz_record, o, &o->err);
    r.fast = 0;
    if (o->rc == 0)
        o->rc = read_buffer(&r, (const unsigned char *)p, n);
    reader_release(&r);
}

/* The input in pieces of `piece` bytes, as csv_read_file gives its reads. */
static void run_in_pieces(const char *p, size_t n, const struct csv_options *opt, size_t piece,
                          struct outcome *o)
{
    struct reader r;
    const unsigned char *u = (const unsigned char *)p;

    o->rc = reader_init(&r, "fuzz.csv", opt, on_fuzz_record, o, &o->err);
    if (o->rc == 0) {
        decide_encoding(&r, u, n);
        size_t pos = reader_begin(&r, u, n);
        while (!r.status && pos < n) {
            size_t take = n - pos < piece ? n - pos : piece;
            feed(&r, u + pos, take);
            pos += take;
        }
        finish(&r);
        o->rc = r.status;
    }
    reader_release(&r);
}

static void pick_options(uint8_t selector, struct csv_options *opt)
{
    static const char delimiters[] = {0, ',', ';', '\t'};

    csv_options_init(opt);
    opt->encoding = (enum ingest_encoding)(selector & 3);
    opt->delimiter = delimiters[(selector >> 2) & 3];
    if (selector & 0x10) {
        opt->limits.max_field_bytes = 16;
        opt->limits.max_columns = 6;
        opt->limits.max_rows = 20;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct csv_options opt;
    struct outcome whole, alone, pieces;

    if (size == 0)
        return 0;
    pick_options(data[0], &opt);
    const char *csv = (const char *)data + 1;
    size_t len = size - 1;

    outcome_init(&whole);
    whole.rc = csv_read_buffer(csv, len, "fuzz.csv", &opt, on_fuzz_record, &whole, &whole.err);
    if (whole.rc != 0 && whole.err.code != whole.rc)
        abort();
    outcome_init(&alone);
    run_libcsv_only(csv, len, &opt, &alone);
    same_or_abort(&whole, &alone, "libcsv alone");
    if (!(data[0] & 0x10)) {
        outcome_init(&pieces);
        run_in_pieces(csv, len, &opt, 1 + (size_t)(data[0] >> 5) * 7, &pieces);
        same_or_abort(&whole, &pieces, "in pieces");
        strbuf_release(&pieces.out);
    }
    strbuf_release(&whole.out);
    strbuf_release(&alone.out);
    return 0;
}
