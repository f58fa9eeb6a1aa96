/* SPDX-License-Identifier: MIT */
/*
 * test-csv: ingest/csv. The cases in SD_TEST_DATA_DIR/csv/read.tsv (quoting,
 * line ends, row numbers, BOM, delimiters, spaces, empty fields and lines,
 * strict errors, UTF-8 checks, Windows-1252 and Latin-1) run through
 * csv_read_buffer, csv_read_file, and the reader with its fast path off (so
 * libcsv reads every record; the source is included for that). The tests
 * below cover what a case line cannot: each limit, the callback's status,
 * files that cannot be read, and files larger than one read, whose records
 * cross the reads.
 *
 * Expected records, rows and messages are written by hand; for the generated
 * files the expected rows are counted while writing them, not by the reader.
 */
/* First: cmocka's fail() macro would take the reader's names. */
#include "ingest/csv.c"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/strbuf.h"

#include "case-file.h"
#include "test-util.h"

#define CHUNK CSV_CHUNK /* the reader's read size, to put things across it */

/* What the callback saw: the records rendered as read.tsv writes them. */
struct seen {
    struct strbuf out;
    long records;
    const struct ingest_columns *columns;
    unsigned version;
    long stop_after; /* return stop_status at this record (0: never) */
    int stop_status;
};

static void seen_init(struct seen *s)
{
    memset(s, 0, sizeof(*s));
    strbuf_init(&s->out, 0);
}

static void render_header(struct seen *s, const struct ingest_columns *columns)
{
    strbuf_addstr(&s->out, "h:");
    for (size_t i = 0; i < columns->n; i++)
        strbuf_addf(&s->out, "[%s]", columns->names[i]);
}

/* Checks what every record must satisfy, then renders it. */
static int collect_record(void *ctx, const struct ingest_record *rec, struct sd_error *err)
{
    struct seen *s = ctx;

    (void)err;
    if (s->records == 0) {
        s->columns = rec->columns;
        s->version = rec->columns->version;
        render_header(s, rec->columns);
    }
    assert_ptr_equal(rec->columns, s->columns);
    assert_int_equal(rec->columns->version, s->version);
    assert_int_equal(rec->n_values, rec->columns->n);
    strbuf_addf(&s->out, " %ld:", rec->row);
    for (size_t i = 0; i < rec->n_values; i++) {
        const struct ingest_value *v = &rec->values[i];
        assert_non_null(v->data);
        if (v->kind == INGEST_EMPTY) {
            assert_int_equal(v->len, 0);
            strbuf_addch(&s->out, '_');
            continue;
        }
        assert_int_equal(v->kind, INGEST_TEXT);
        assert_true(v->len > 0);
        strbuf_addch(&s->out, '[');
        strbuf_add(&s->out, v->data, v->len);
        strbuf_addch(&s->out, ']');
    }
    s->records++;
    return s->records == s->stop_after ? s->stop_status : 0;
}

static void assert_prefix(const char *text, const char *prefix)
{
    if (strncmp(text, prefix, strlen(prefix)) != 0)
        fail_msg("expected \"%.80s\" to start with \"%s\"", text, prefix);
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    fail_msg("'%c' is not a hex digit", c);
    return 0;
}

/* read.tsv's escapes: case-file's (\s \t \n \r \0 \\) and \xNN; returns the length. */
static size_t unescape(const char *raw, char *buf, size_t size)
{
    size_t len = 0;

    for (size_t i = 0; raw[i] != '\0'; i++) {
        if (len + 1 >= size)
            fail_msg("case text too long: %s", raw);
        if (raw[i] != '\\' || raw[i + 1] == '\0') {
            buf[len++] = raw[i];
            continue;
        }
        char c = raw[++i];
        if (c == 'x') {
            buf[len++] = (char)(hex_digit(raw[i + 1]) * 16 + hex_digit(raw[i + 2]));
            i += 2;
            continue;
        }
        buf[len++] = unescape_char(c); /* case-file.h's */
    }
    buf[len] = '\0';
    return len;
}

static int status_code(const char *name)
{
    if (strcmp(name, "OK") == 0)
        return 0;
    if (strcmp(name, "EINVAL") == 0)
        return SD_EINVAL;
    if (strcmp(name, "ELIMIT") == 0)
        return SD_ELIMIT;
    fail_msg("unknown status %s", name);
    return 0;
}

static long case_long(const struct case_file *cf, const char *column)
{
    char *end = NULL;
    const char *text = case_field(cf, column);
    long value = strtol(text, &end, 10);
    if (text[0] == '\0' || *end != '\0')
        fail_msg("%s:%ld: %s: '%s' is not a number", cf->name, cf->line_no, column, text);
    return value;
}

static void case_options(struct case_file *cf, struct csv_options *opt)
{
    char delim[CASE_TEXT_MAX];

    csv_options_init(opt);
    if (strcmp(case_field(cf, "delimiter"), "-") != 0) {
        if (case_text(cf, "delimiter", delim) != 1)
            fail_msg("%s:%ld: the delimiter is one byte", cf->name, cf->line_no);
        opt->delimiter = delim[0];
    }
    if (ingest_encoding_parse(case_field(cf, "encoding"), &opt->encoding) != 0)
        fail_msg("%s:%ld: unknown encoding", cf->name, cf->line_no);
}

/* Compares one run's outcome with the case; `how` says which reader ran. */
static void check_outcome(struct case_file *cf, const char *how, struct seen *s, int rc,
                          const struct sd_error *err)
{
    char want[CASE_LINE_MAX], message[CASE_LINE_MAX];
    size_t want_len = unescape(case_field(cf, "expected"), want, sizeof(want));
    const char *got = s->records ? s->out.buf : "(none)";
    int want_rc = status_code(case_field(cf, "status"));

    if (strlen(got) != want_len || memcmp(got, want, want_len) != 0)
        case_fail(cf, "%s %s: records\n  got:  %s\n  want: %s", case_field(cf, "name"), how, got,
                  want);
    if (rc != want_rc) {
        case_fail(cf, "%s %s: status %d, want %d (%s)", case_field(cf, "name"), how, rc, want_rc,
                  err->message);
        return;
    }
    if (rc == 0)
        return;
    unescape(case_field(cf, "message"), message, sizeof(message));
    if (err->code != rc || err->row != case_long(cf, "row") ||
        err->column != case_long(cf, "column") || strcmp(err->message, message) != 0)
        case_fail(cf, "%s %s: error %d at %ld:%d\n  got:  %s\n  want: %s", case_field(cf, "name"),
                  how, err->code, err->row, err->column, err->message, message);
}

static void run_case(struct case_file *cf, const char *dir)
{
    char input[CASE_LINE_MAX], path[TEST_PATH_MAX];
    size_t len = unescape(case_field(cf, "input"), input, sizeof(input));
    struct csv_options opt;
    struct sd_error err = {0};
    struct seen s;

    case_options(cf, &opt);
    seen_init(&s);
    int rc = csv_read_buffer(input, len, "t.csv", &opt, collect_record, &s, &err);
    check_outcome(cf, "(buffer)", &s, rc, &err);
    strbuf_release(&s.out);

    struct reader r; /* libcsv alone: the fast path must not change a thing */
    seen_init(&s);
    sd_error_clear(&err);
    assert_int_equal(reader_init(&r, "t.csv", &opt, collect_record, &s, &err), 0);
    r.fast = 0;
    rc = read_buffer(&r, (const unsigned char *)input, len);
    reader_release(&r);
    check_outcome(cf, "(libcsv alone)", &s, rc, &err);
    strbuf_release(&s.out);

    test_path(path, dir, "case.csv");
    test_write_file(path, input, len);
    seen_init(&s);
    sd_error_clear(&err);
    rc = csv_read_file(path, "t.csv", &opt, collect_record, &s, &err);
    check_outcome(cf, "(file)", &s, rc, &err);
    strbuf_release(&s.out);
}

static void test_cases(void **state)
{
    struct case_file cf;
    char dir[64];

    (void)state;
    test_tmpdir_make(dir, sizeof(dir));
    case_open(&cf, "csv/read.tsv");
    while (case_next(&cf))
        run_case(&cf, dir);
    case_close(&cf);
    test_tmpdir_remove(dir);
}

/* Reads `text` from memory with `opt`; the records go to s (initialised here). */
static int read_text(const char *text, const struct csv_options *opt, struct seen *s,
                     struct sd_error *err)
{
    seen_init(s);
    sd_error_clear(err);
    return csv_read_buffer(text, strlen(text), "t.csv", opt, collect_record, s, err);
}

/* Expects `text` to fail with `code` at row:column and exactly `message`. */
static void expect_error(const char *text, const struct csv_options *opt, int code, long row,
                         int column, const char *message)
{
    struct seen s;
    struct sd_error err;

    assert_sd_status(read_text(text, opt, &s, &err), code, &err);
    assert_int_equal(err.row, row);
    assert_int_equal(err.column, column);
    assert_string_equal(err.message, message);
    strbuf_release(&s.out);
}

static void expect_records(const char *text, const struct csv_options *opt, const char *want)
{
    struct seen s;
    struct sd_error err;

    assert_sd_ok(read_text(text, opt, &s, &err), &err);
    assert_string_equal(s.out.buf, want);
    strbuf_release(&s.out);
}

static void test_field_limit(void **state)
{
    struct csv_options opt;

    (void)state;
    csv_options_init(&opt);
    opt.limits.max_field_bytes = 4;
    expect_records("a\nabcd\n\"wxyz\"\n", &opt, "h:[a] 2:[abcd] 3:[wxyz]");
    expect_error("a\nabcde\n", &opt, SD_ELIMIT, 2, 1,
                 "t.csv:2: column 'a': value longer than 4 bytes");
    expect_error("a\n\"abcde\"\n", &opt, SD_ELIMIT, 2, 1,
                 "t.csv:2: column 'a': value longer than 4 bytes");
    expect_error("a,b\n1,\"ab\ncd\"\n", &opt, SD_ELIMIT, 2, 2,
                 "t.csv:2: column 'b': value longer than 4 bytes");
    expect_error("abcde\n1\n", &opt, SD_ELIMIT, 1, 1,
                 "t.csv:1: column 1: value longer than 4 bytes");
}

/* A quote never closed runs into the field limit long before the end of a large input. */
static void test_field_limit_while_reading(void **state)
{
    size_t size = 3 * CHUNK;
    char *text = malloc(size + 1);
    struct csv_options opt;
    struct seen s;
    struct sd_error err;

    (void)state;
    memcpy(text, "a,b\n1,\"", 7);
    memset(text + 7, 'x', size - 7);
    text[size] = '\0';
    csv_options_init(&opt);
    opt.limits.max_field_bytes = 100000;
    assert_sd_status(read_text(text, &opt, &s, &err), SD_ELIMIT, &err);
    assert_int_equal(err.row, 2);
    assert_int_equal(err.column, 2);
    assert_string_equal(
        err.message, "t.csv:2: column 'b': value longer than 100000 bytes (a quote not closed?)");
    strbuf_release(&s.out);
    free(text);
}

static void test_column_limit(void **state)
{
    struct csv_options opt;

    (void)state;
    csv_options_init(&opt);
    opt.limits.max_columns = 3;
    expect_records("a,b,c\n1,2,3\n", &opt, "h:[a][b][c] 2:[1][2][3]");
    expect_error("a,b,c,d\n1,2,3,4\n", &opt, SD_ELIMIT, 1, 4,
                 "t.csv:1: column 4: more than 3 columns");
    expect_error("a,b,\"c\",\"d\"\n", &opt, SD_ELIMIT, 1, 4,
                 "t.csv:1: column 4: more than 3 columns");
    expect_error("\n\na;b;c;d\n", &opt, SD_ELIMIT, 3, 4, "t.csv:3: column 4: more than 3 columns");
}

static void test_row_limit(void **state)
{
    struct csv_options opt;
    struct seen s;
    struct sd_error err;

    (void)state;
    csv_options_init(&opt);
    opt.limits.max_rows = 2;
    expect_records("a\n1\n\n2\n", &opt, "h:[a] 2:[1] 4:[2]");
    assert_sd_status(read_text("a\n1\n\"2\"\n\n3\n4\n", &opt, &s, &err), SD_ELIMIT, &err);
    assert_string_equal(s.out.buf, "h:[a] 2:[1] 3:[2]");
    assert_int_equal(err.row, 5);
    assert_int_equal(err.column, 0);
    assert_string_equal(err.message, "t.csv:5: more than 2 rows");
    strbuf_release(&s.out);
    opt.limits.max_rows = 0;
    expect_error("a\n1\n", &opt, SD_ELIMIT, 2, 0, "t.csv:2: more than 0 rows");
}

/* The callback's status comes back unchanged and nothing more is read. */
static void test_callback_status(void **state)
{
    static const char *const inputs[] = {
        "a,b\n1,2\n3,4\n5,6\n",         /* quote-free */
        "a,b\n\"1\",2\n\"3\",4\n5,6\n", /* through libcsv */
        "a,b\n1,2\n3,\"4\"",            /* the last record, at the end of the input */
    };
    struct csv_options opt;

    (void)state;
    csv_options_init(&opt);
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        struct seen s;
        struct sd_error err = {0};
        seen_init(&s);
        s.stop_after = 2;
        s.stop_status = 42;
        int rc =
            csv_read_buffer(inputs[i], strlen(inputs[i]), "t.csv", &opt, collect_record, &s, &err);
        assert_int_equal(rc, 42);
        assert_int_equal(s.records, 2);
        s.stop_status = SD_ECONFLICT;
        s.records = 0;
        rc = csv_read_buffer(inputs[i], strlen(inputs[i]), "t.csv", &opt, collect_record, &s, NULL);
        assert_int_equal(rc, SD_ECONFLICT);
        assert_int_equal(s.records, 2);
        strbuf_release(&s.out);
    }
}

static void test_unreadable_files(void **state)
{
    struct csv_options opt;
    struct sd_error err = {0};
    struct seen s;
    char dir[64], path[TEST_PATH_MAX];

    (void)state;
    csv_options_init(&opt);
    seen_init(&s);
    test_tmpdir_make(dir, sizeof(dir));
    test_path(path, dir, "missing.csv");
    assert_sd_status(csv_read_file(path, "orders.csv", &opt, collect_record, &s, &err), SD_EIO,
                     &err);
    assert_contains(err.message, "cannot open '");
    assert_contains(err.message, path);
    assert_contains(err.message, "No such file or directory");
    sd_error_clear(&err);
    assert_sd_status(csv_read_file(dir, NULL, &opt, collect_record, &s, &err), SD_EIO, &err);
    assert_contains(err.message, "cannot read '");
    assert_contains(err.message, dir);
    assert_int_equal(s.records, 0);
    test_tmpdir_remove(dir);
    strbuf_release(&s.out);
}

static void test_bad_options(void **state)
{
    struct csv_options opt;
    struct seen s;
    struct sd_error err;

    (void)state;
    csv_options_init(&opt);
    opt.delimiter = '"';
    assert_sd_status(read_text("a\n", &opt, &s, &err), SD_EINVAL, &err);
    assert_string_equal(err.message, "t.csv: the delimiter cannot be byte 0x22");
    opt.delimiter = '\n';
    assert_sd_status(read_text("a\n", &opt, &s, &err), SD_EINVAL, &err);
    assert_int_equal(s.records, 0);
    strbuf_release(&s.out);
}

/* The records and rows of a generated file, kept for checking. */
struct big_expect {
    struct strbuf text;
    long *rows; /* rows[i]: the line record i starts on */
    long n;
};

/* Record i is "i,<value>" where value is quoted, with a line break, for every 97th record. */
static void big_generate(struct big_expect *e, long n, const char *line_end)
{
    long line = 2;

    strbuf_init(&e->text, 0);
    e->rows = calloc((size_t)n, sizeof(*e->rows));
    e->n = n;
    strbuf_addf(&e->text, "id,value%s", line_end);
    for (long i = 0; i < n; i++) {
        e->rows[i] = line;
        if (i % 97 == 0) {
            strbuf_addf(&e->text, "%ld,\"v%ld%sline, \"\"two\"\"\"%s", i, i, line_end, line_end);
            line += 2;
        } else {
            strbuf_addf(&e->text, "%ld,v%ld%s", i, i, line_end);
            line += 1;
        }
    }
}

struct big_check {
    const struct big_expect *e;
    const char *line_end;
    long next;
};

static int big_record(void *ctx, const struct ingest_record *rec, struct sd_error *err)
{
    struct big_check *c = ctx;
    char id[32], value[64];
    long i = c->next++;

    (void)err;
    assert_true(i < c->e->n);
    assert_int_equal(rec->row, c->e->rows[i]);
    snprintf(id, sizeof(id), "%ld", i);
    if (i % 97 == 0)
        snprintf(value, sizeof(value), "v%ld%sline, \"two\"", i, c->line_end);
    else
        snprintf(value, sizeof(value), "v%ld", i);
    assert_int_equal(rec->values[0].len, strlen(id));
    assert_memory_equal(rec->values[0].data, id, strlen(id));
    assert_int_equal(rec->values[1].len, strlen(value));
    assert_memory_equal(rec->values[1].data, value, strlen(value));
    return 0;
}

/* Files of several reads, each line end kind: every record, value and row, by file and buffer. */
static void test_big_files(void **state)
{
    static const char *const line_ends[] = {"\n", "\r\n", "\r"};
    struct csv_options opt;
    char dir[64], path[TEST_PATH_MAX];

    (void)state;
    csv_options_init(&opt);
    test_tmpdir_make(dir, sizeof(dir));
    test_path(path, dir, "big.csv");
    for (size_t k = 0; k < 3; k++) {
        struct big_expect e;
        struct big_check c = {.e = &e, .line_end = line_ends[k]};
        struct sd_error err = {0};
        big_generate(&e, 300000, line_ends[k]);
        assert_true(e.text.len > 3 * CHUNK);
        test_write_file(path, e.text.buf, e.text.len);
        assert_sd_ok(csv_read_file(path, "big.csv", &opt, big_record, &c, &err), &err);
        assert_int_equal(c.next, e.n);
        c.next = 0;
        assert_sd_ok(csv_read_buffer(e.text.buf, e.text.len, "big.csv", &opt, big_record, &c, &err),
                     &err);
        assert_int_equal(c.next, e.n);
        strbuf_release(&e.text);
        free(e.rows);
    }
    test_tmpdir_remove(dir);
}

/* Writes `text` and reads it as a file; the records rendered into s. */
static void read_file_text(const char *dir, const struct strbuf *text, struct seen *s)
{
    char path[TEST_PATH_MAX];
    struct csv_options opt;
    struct sd_error err = {0};

    csv_options_init(&opt);
    test_path(path, dir, "t.csv");
    test_write_file(path, text->buf, text->len);
    seen_init(s);
    assert_sd_ok(csv_read_file(path, "t.csv", &opt, collect_record, s, &err), &err);
}

/* A CR LF split by the end of the first read is one line end. */
static void test_crlf_across_reads(void **state)
{
    struct strbuf text = STRBUF_INIT;
    struct seen s;
    char dir[64];

    (void)state;
    test_tmpdir_make(dir, sizeof(dir));
    strbuf_addstr(&text, "a,b\r\n1,");
    while (text.len < CHUNK - 1)
        strbuf_addch(&text, 'x');
    strbuf_addstr(&text, "\r\n2,y\r\n"); /* the CR is the last byte of the first read */
    assert_int_equal(text.buf[CHUNK - 1], '\r');
    read_file_text(dir, &text, &s);
    assert_int_equal(s.records, 2);
    assert_contains(s.out.buf, "x] 3:[2][y]");
    strbuf_release(&s.out);
    strbuf_release(&text);
    test_tmpdir_remove(dir);
}

/* AUTO over a file of several reads: UTF-8 across a read, Windows-1252 found at the end. */
static void test_auto_large_files(void **state)
{
    struct strbuf text = STRBUF_INIT;
    struct seen s;
    char dir[64];

    (void)state;
    test_tmpdir_make(dir, sizeof(dir));
    strbuf_addstr(&text, "a\n\xC3\xA9\n");
    while (text.len < CHUNK - 1)
        strbuf_addstr(&text, "x\n");
    strbuf_addstr(&text, "\xE2\x82\xAC\n"); /* € starts at the last byte of the first read */
    assert_int_equal((unsigned char)text.buf[CHUNK - 1], 0xE2);
    while (text.len < 2 * CHUNK + 10)
        strbuf_addstr(&text, "x\n");
    read_file_text(dir, &text, &s);
    assert_prefix(s.out.buf, "h:[a] 2:[\xC3\xA9] 3:[x]");
    assert_contains(s.out.buf, "[x] 524288:[\xE2\x82\xAC] 524289:[x]");
    strbuf_release(&s.out);

    strbuf_addstr(&text, "\x80\n"); /* one byte that is not UTF-8, after 2 MiB: all is cp1252 */
    read_file_text(dir, &text, &s);
    assert_prefix(s.out.buf, "h:[a] 2:[\xC3\x83\xC2\xA9] 3:[x]");
    assert_contains(s.out.buf, "524288:[\xC3\xA2\xE2\x80\x9A\xC2\xAC]");
    const char *end = s.out.buf + s.out.len - strlen("[\xE2\x82\xAC]");
    assert_string_equal(end, "[\xE2\x82\xAC]");
    strbuf_release(&s.out);
    strbuf_release(&text);
    test_tmpdir_remove(dir);
}

/* A quoted value much longer than one read, within the limit, arrives whole. */
static void test_long_quoted_value(void **state)
{
    struct strbuf text = STRBUF_INIT;
    struct seen s;
    char dir[64];
    size_t value_len = CHUNK + CHUNK / 2;

    (void)state;
    test_tmpdir_make(dir, sizeof(dir));
    strbuf_addstr(&text, "a,b\n1,\"");
    for (size_t i = 0; i < value_len / 2; i++)
        strbuf_add(&text, "\"\"", 2);
    strbuf_addstr(&text, "\"\n2,3\n");
    read_file_text(dir, &text, &s);
    assert_int_equal(s.records, 2);
    assert_int_equal(s.out.len, strlen("h:[a][b] 2:[1][") + value_len / 2 + strlen("] 3:[2][3]"));
    assert_prefix(s.out.buf, "h:[a][b] 2:[1][\"\"\"");
    strbuf_release(&s.out);
    strbuf_release(&text);
    test_tmpdir_remove(dir);
}

/* The delimiters a user may name (--delimiter, delimiter=). */
static void test_delimiter_names(void **state)
{
    char d = 0;
    (void)state;
    assert_int_equal(ingest_delimiter_parse("tab", &d), 0);
    assert_int_equal(d, '\t');
    assert_int_equal(ingest_delimiter_parse("\\t", &d), 0);
    assert_int_equal(d, '\t');
    assert_int_equal(ingest_delimiter_parse(";", &d), 0);
    assert_int_equal(d, ';');
    assert_int_equal(ingest_delimiter_parse("|", &d), 0);
    assert_int_equal(d, '|');
    assert_int_equal(ingest_delimiter_parse("x", &d), SD_EINVAL);
    assert_int_equal(ingest_delimiter_parse(",,", &d), SD_EINVAL);
    assert_int_equal(ingest_delimiter_parse("", &d), SD_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_field_limit),
        cmocka_unit_test(test_field_limit_while_reading),
        cmocka_unit_test(test_column_limit),
        cmocka_unit_test(test_row_limit),
        cmocka_unit_test(test_callback_status),
        cmocka_unit_test(test_unreadable_files),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_big_files),
        cmocka_unit_test(test_crlf_across_reads),
        cmocka_unit_test(test_auto_large_files),
        cmocka_unit_test(test_long_quoted_value),
        cmocka_unit_test(test_delimiter_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
