/* SPDX-License-Identifier: MIT */
/*
 * test-jsonrec: ingest/jsonrec, the JSON records reader.
 *
 * Most cases are data: the .tsv files in SD_TEST_DATA_DIR/jsonrec, one case a line, with
 * the columns
 *   input    the JSON text. \n \r \t \s and \xNN are bytes, \\ is one
 *            backslash; any other backslash stays as written, so JSON escapes
 *            like \" \u00e9 \/ read as they would in a .json file (the JSON
 *            escapes \n \r \t \\ are written \\n \\r \\t \\\\).
 *   limits   '-' or e.g. "field=5,columns=2,rows=1,depth=1" (ingest_limits)
 *   status   OK, EINVAL or ELIMIT
 *   records  what the callback saw, '-' for nothing: records joined by " | ",
 *            each "ROW/VERSION" then " name=value" for every column known at
 *            that point: ~ absent, null, true/false, a number as written, or
 *            "text" with \" \\ and \xNN for bytes outside printable ASCII
 *   message  the exact error message (the file is named "case.json")
 *   err_col  err->column on failure (the 1-based record column of a key error)
 * Every case runs through jsonrec_read_buffer, then through the internal
 * reader fed one byte at a time and split in two at every position: all must
 * agree, so chunk boundaries never change a result.
 *
 * The expected records and messages were worked out by hand (columns counted
 * on the text, UTF-8 bytes from the Unicode tables), not pasted from output.
 * The functions below cover what a table cannot: callback statuses, files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The reader itself, to feed it in chunks of any size. */
#include "ingest/jsonrec.c"

#include "base/strbuf.h"

#include "case-file.h"
#include "test-util.h"

#define CASE_NAME "case.json"

/* What one reading produced. */
struct outcome {
    int rc;
    long row;
    int column;
    char message[SD_ERROR_MSG_MAX];
    struct strbuf dump;
    char problem[256]; /* the first broken promise of record.h, if any */
    unsigned last_version;
    size_t last_n;
    int calls;
    int stop_at; /* the callback returns stop_rc on this call (1-based); 0: never */
    int stop_rc;
};

static void dump_bytes(struct strbuf *out, const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];
        if (c == '"' || c == '\\')
            strbuf_addf(out, "\\%c", c);
        else if (c >= 0x20 && c < 0x7f)
            strbuf_addch(out, (char)c);
        else
            strbuf_addf(out, "\\x%02x", c);
    }
}

static void dump_value(struct strbuf *out, const struct ingest_value *v)
{
    switch (v->kind) {
    case INGEST_ABSENT: strbuf_addch(out, '~'); break;
    case INGEST_EMPTY: strbuf_addstr(out, "null"); break;
    case INGEST_TEXT:
        strbuf_addch(out, '"');
        dump_bytes(out, v->data, v->len);
        strbuf_addch(out, '"');
        break;
    default: strbuf_add(out, v->data, v->len); break; /* numbers and booleans as they are */
    }
}

static void note_problem(struct outcome *o, const char *what)
{
    if (o->problem[0] == '\0')
        snprintf(o->problem, sizeof(o->problem), "record %d: %s", o->calls, what);
}

/* The promises of record.h that every record must keep. */
static void check_record(struct outcome *o, const struct ingest_record *rec)
{
    const struct ingest_columns *cols = rec->columns;

    if (strcmp(rec->file, CASE_NAME) != 0)
        note_problem(o, "wrong file name");
    if (rec->n_values > cols->n)
        note_problem(o, "more values than columns");
    if ((cols->n != o->last_n) != (cols->version != o->last_version))
        note_problem(o, "version did not change exactly when the columns did");
    if (cols->n < o->last_n)
        note_problem(o, "columns went away");
    for (size_t i = 0; i < rec->n_values; i++) {
        const struct ingest_value *v = &rec->values[i];
        if (v->kind == INGEST_ABSENT && v->len != 0)
            note_problem(o, "an absent value has a length");
        if (v->len > 0 && !v->data)
            note_problem(o, "a value has a length and no data");
    }
    o->last_n = cols->n;
    o->last_version = cols->version;
}

static int dump_record(void *ctx, const struct ingest_record *rec, struct sd_error *err)
{
    struct outcome *o = ctx;
    const struct ingest_value absent = {.data = NULL, .len = 0, .kind = INGEST_ABSENT};

    o->calls++;
    check_record(o, rec);
    if (o->dump.len > 0)
        strbuf_addstr(&o->dump, " | ");
    strbuf_addf(&o->dump, "%ld/%u", rec->row, rec->columns->version);
    for (size_t i = 0; i < rec->columns->n; i++) {
        strbuf_addch(&o->dump, ' ');
        dump_bytes(&o->dump, rec->columns->names[i], strlen(rec->columns->names[i]));
        strbuf_addch(&o->dump, '=');
        dump_value(&o->dump, i < rec->n_values ? &rec->values[i] : &absent);
    }
    if (o->calls == o->stop_at)
        return sd_error_set(err, o->stop_rc, "stopped by the callback at row %ld", rec->row);
    return 0;
}

static void outcome_init(struct outcome *o)
{
    memset(o, 0, sizeof(*o));
    strbuf_init(&o->dump, 0);
}

static void outcome_finish(struct outcome *o, int rc, const struct sd_error *err)
{
    o->rc = rc;
    if (rc != 0) {
        o->row = err->row;
        o->column = err->column;
        snprintf(o->message, sizeof(o->message), "%s", err->message);
        if (err->code != rc)
            note_problem(o, "err->code differs from the status");
    }
    if (o->dump.len == 0)
        strbuf_addch(&o->dump, '-');
}

/* The whole input at once, from a private copy so that reads past its end are caught. */
static void read_whole(const char *input, size_t len, const struct ingest_limits *limits,
                       struct outcome *o)
{
    struct sd_error err = {0};
    char *copy = malloc(len ? len : 1);

    assert_non_null(copy);
    memcpy(copy, input, len);
    outcome_init(o);
    outcome_finish(o, jsonrec_read_buffer(copy, len, CASE_NAME, limits, dump_record, o, &err),
                   &err);
    free(copy);
}

/* The input fed to the reader as pieces: `first` bytes, then `step` bytes at a time. */
static void read_pieces(const char *input, size_t len, const struct ingest_limits *limits,
                        size_t first, size_t step, struct outcome *o)
{
    struct sd_error err = {0};
    struct jsonrec_reader r;
    int rc = 0;

    outcome_init(o);
    reader_init(&r, CASE_NAME, limits, dump_record, o, &err);
    for (size_t at = 0, n = first; rc == 0 && at < len; at += n, n = step) {
        n = n < len - at ? n : len - at;
        char *piece = malloc(n ? n : 1);
        assert_non_null(piece);
        memcpy(piece, input + at, n);
        rc = reader_feed(&r, piece, n);
        free(piece);
    }
    if (rc == 0)
        rc = reader_finish(&r);
    reader_release(&r);
    outcome_finish(o, rc, &err);
}

static void outcome_release(struct outcome *o)
{
    strbuf_release(&o->dump);
}

static const char *status_name(int rc)
{
    switch (rc) {
    case 0: return "OK";
    case SD_EINVAL: return "EINVAL";
    case SD_ELIMIT: return "ELIMIT";
    default: return sd_status_name(rc);
    }
}

/* ---- reading the case files ---- */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* The input column decoded as described at the top; returns its length. */
static size_t case_input(const struct case_file *cf, char *buf)
{
    const char *raw = case_field(cf, "input");
    size_t len = 0, i = 0;

    for (; raw[i] != '\0' && len + 1 < CASE_TEXT_MAX; i++) {
        char c = raw[i], next = raw[i + 1];
        if (c != '\\' || next == '\0') {
            buf[len++] = c;
            continue;
        }
        i++;
        if (next == 'x' && hex_value(raw[i + 1]) >= 0 && hex_value(raw[i + 2]) >= 0) {
            buf[len++] = (char)(hex_value(raw[i + 1]) * 16 + hex_value(raw[i + 2]));
            i += 2;
        } else if (next == 'n' || next == 'r' || next == 't' || next == 's' || next == '\\') {
            buf[len++] = unescape_char(next);
        } else {
            buf[len++] = '\\';
            buf[len++] = next;
        }
    }
    if (raw[i] != '\0')
        fail_msg("%s:%ld: input longer than %d bytes", cf->name, cf->line_no, CASE_TEXT_MAX);
    return len;
}

static void set_limit(const struct case_file *cf, struct ingest_limits *lim, const char *item)
{
    char *end = NULL;
    const char *eq = strchr(item, '=');
    long value = eq ? strtol(eq + 1, &end, 10) : -1;

    if (!eq || end == eq + 1 || (*end != '\0' && *end != ','))
        fail_msg("%s:%ld: bad limit '%s'", cf->name, cf->line_no, item);
    if (strncmp(item, "field=", 6) == 0)
        lim->max_field_bytes = (size_t)value;
    else if (strncmp(item, "columns=", 8) == 0)
        lim->max_columns = (size_t)value;
    else if (strncmp(item, "rows=", 5) == 0)
        lim->max_rows = value;
    else if (strncmp(item, "depth=", 6) == 0)
        lim->max_depth = (int)value;
    else
        fail_msg("%s:%ld: unknown limit '%s'", cf->name, cf->line_no, item);
}

static struct ingest_limits case_limits(const struct case_file *cf)
{
    struct ingest_limits lim = ingest_default_limits;
    char text[CASE_TEXT_MAX];

    case_text(cf, "limits", text);
    if (strcmp(text, "-") == 0)
        return lim;
    for (const char *item = text; item; item = strchr(item, ',') ? strchr(item, ',') + 1 : NULL)
        set_limit(cf, &lim, item);
    return lim;
}

/* Two readings must agree on everything. */
static void compare_outcomes(struct case_file *cf, const char *how, const struct outcome *want,
                             const struct outcome *got)
{
    if (got->rc != want->rc || strcmp(got->message, want->message) != 0 || got->row != want->row ||
        got->column != want->column || strcmp(got->dump.buf, want->dump.buf) != 0)
        case_fail(cf, "%s differs from the whole buffer:\n  whole: %d %s [%s]\n  %s: %d %s [%s]",
                  how, want->rc, want->message, want->dump.buf, how, got->rc, got->message,
                  got->dump.buf);
}

static void check_chunked(struct case_file *cf, const char *input, size_t len,
                          const struct ingest_limits *lim, const struct outcome *whole)
{
    struct outcome o;
    char how[64];

    read_pieces(input, len, lim, 1, 1, &o);
    compare_outcomes(cf, "byte at a time", whole, &o);
    outcome_release(&o);
    for (size_t split = 1; split < len; split++) {
        read_pieces(input, len, lim, split, len, &o);
        snprintf(how, sizeof(how), "split at %zu", split);
        compare_outcomes(cf, how, whole, &o);
        outcome_release(&o);
    }
}

/* The message's "case.json:ROW:" must be err->row. */
static void check_row(struct case_file *cf, const struct outcome *o)
{
    char prefix[64];

    snprintf(prefix, sizeof(prefix), CASE_NAME ":%ld: ", o->row);
    if (strncmp(o->message, prefix, strlen(prefix)) != 0)
        case_fail(cf, "err->row is %ld, the message says \"%s\"", o->row, o->message);
}

static void check_case_result(struct case_file *cf, const struct outcome *o)
{
    const char *status = case_field(cf, "status");
    const char *records = case_field(cf, "records");
    const char *message = case_field(cf, "message");
    const char *err_col = case_field(cf, "err_col");

    if (strcmp(status_name(o->rc), status) != 0)
        case_fail(cf, "status: expected %s, got %s (%s)", status, status_name(o->rc), o->message);
    if (strcmp(o->dump.buf, records) != 0)
        case_fail(cf, "records:\n  expected [%s]\n  got      [%s]", records, o->dump.buf);
    if (strcmp(o->message, message) != 0)
        case_fail(cf, "message:\n  expected \"%s\"\n  got      \"%s\"", message, o->message);
    if (o->rc != 0 && strtol(err_col, NULL, 10) != o->column)
        case_fail(cf, "err->column: expected %s, got %d", err_col, o->column);
    if (o->rc != 0)
        check_row(cf, o);
    if (o->problem[0] != '\0')
        case_fail(cf, "%s", o->problem);
}

static void run_case_file(const char *name)
{
    struct case_file cf;

    case_open(&cf, name);
    while (case_next(&cf)) {
        char input[CASE_TEXT_MAX];
        size_t len = case_input(&cf, input);
        struct ingest_limits lim = case_limits(&cf);
        struct outcome whole;

        read_whole(input, len, &lim, &whole);
        check_case_result(&cf, &whole);
        check_chunked(&cf, input, len, &lim, &whole);
        outcome_release(&whole);
    }
    case_close(&cf);
}

static void test_valid_cases(void **state)
{
    (void)state;
    run_case_file("jsonrec/valid.tsv");
}

static void test_number_cases(void **state)
{
    (void)state;
    run_case_file("jsonrec/numbers.tsv");
}

static void test_string_cases(void **state)
{
    (void)state;
    run_case_file("jsonrec/strings.tsv");
}

static void test_syntax_error_cases(void **state)
{
    (void)state;
    run_case_file("jsonrec/errors.tsv");
}

static void test_limit_cases(void **state)
{
    (void)state;
    run_case_file("jsonrec/limits.tsv");
}

/* ---- what a table cannot say ---- */

static int stop_reading(const char *input, int stop_at, int stop_rc, struct outcome *o,
                        struct sd_error *err)
{
    outcome_init(o);
    o->stop_at = stop_at;
    o->stop_rc = stop_rc;
    return jsonrec_read_buffer(input, strlen(input), CASE_NAME, NULL, dump_record, o, err);
}

/* A callback's status stops the reader and comes back unchanged, message and all. */
static void test_callback_status(void **state)
{
    const char *ndjson = "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n";
    const char *array = "[{\"a\":1},{\"a\":2},{\"a\":3},{]";
    struct sd_error err = {0};
    struct outcome o;

    (void)state;
    assert_int_equal(stop_reading(ndjson, 2, SD_ECONFLICT, &o, &err), SD_ECONFLICT);
    assert_int_equal(o.calls, 2);
    assert_string_equal(err.message, "stopped by the callback at row 2");
    outcome_release(&o);

    /* Stopping comes before the syntax error later in the input. */
    assert_int_equal(stop_reading(array, 3, SD_EDB, &o, &err), SD_EDB);
    assert_int_equal(o.calls, 3);
    assert_string_equal(err.message, "stopped by the callback at row 3");
    outcome_release(&o);

    /* Not only SD_E... statuses: any non-zero value. */
    assert_int_equal(stop_reading(ndjson, 1, 42, &o, NULL), 42);
    assert_int_equal(o.calls, 1);
    outcome_release(&o);
}

/* NULL limits are the defaults; zero fields too, never "unlimited"; err may be NULL. */
static void test_default_limits(void **state)
{
    struct ingest_limits zero = {0};
    struct outcome o;
    const char *deep = "{\"a\":{}}";

    (void)state;
    outcome_init(&o);
    assert_int_equal(
        jsonrec_read_buffer(deep, strlen(deep), CASE_NAME, &zero, dump_record, &o, NULL),
        SD_EINVAL);
    assert_int_equal(o.calls, 0);
    outcome_release(&o);

    outcome_init(&o);
    assert_sd_ok(jsonrec_read_buffer("[{\"a\":1}]", 9, NULL, NULL, dump_record, &o, NULL), NULL);
    assert_int_equal(o.calls, 1);
    outcome_release(&o);

    /* A value one byte over the default limit of 1 MiB. */
    size_t over = ingest_default_limits.max_field_bytes + 1;
    char *big = malloc(over + 16);
    assert_non_null(big);
    memcpy(big, "{\"a\":\"", 6);
    memset(big + 6, 'x', over);
    memcpy(big + 6 + over, "\"}", 2);
    struct sd_error err = {0};
    outcome_init(&o);
    assert_sd_status(jsonrec_read_buffer(big, over + 8, CASE_NAME, &zero, dump_record, &o, &err),
                     SD_ELIMIT, &err);
    assert_contains(err.message, "key 'a': value longer than 1048576 bytes");
    outcome_release(&o);
    free(big);
}

/* A name of NULL shows the buffer as "input". */
static void test_default_name(void **state)
{
    struct sd_error err = {0};
    struct outcome o;

    (void)state;
    outcome_init(&o);
    assert_sd_status(jsonrec_read_buffer("{]", 2, NULL, NULL, dump_record, &o, &err), SD_EINVAL,
                     &err);
    assert_string_equal(err.message, "input:1: line 1, column 2: expected a key or '}', found ']'");
    assert_int_equal(err.row, 1);
    outcome_release(&o);
}

static void test_missing_file(void **state)
{
    char dir[TEST_PATH_MAX], path[TEST_PATH_MAX];
    struct sd_error err = {0};
    struct outcome o;

    (void)state;
    test_tmpdir_make(dir, sizeof(dir));
    test_path(path, dir, "no-such.json");
    outcome_init(&o);
    assert_sd_status(jsonrec_read_file(path, "orders.json", NULL, dump_record, &o, &err), SD_EIO,
                     &err);
    assert_contains(err.message, path);
    assert_contains(err.message, "No such file");
    assert_int_equal(o.calls, 0);

    /* A directory opens but cannot be read. */
    assert_sd_status(jsonrec_read_file(dir, NULL, NULL, dump_record, &o, &err), SD_EIO, &err);
    assert_contains(err.message, dir);
    outcome_release(&o);
    test_tmpdir_remove(dir);
}

/* Line `i` of the generated file: multibyte text and escapes land on every chunk boundary. */
static void generated_line(struct strbuf *sb, int i)
{
    strbuf_addf(sb, "{\"order\":\"SO-%05d\",\"note\":\"", i);
    for (int k = 0; k < 40 + i % 23; k++)
        strbuf_addstr(sb, k % 3 == 0 ? "\xc3\xa9" : k % 3 == 1 ? "\\u20ac" : "\\uD83D\\uDE00");
    strbuf_addf(sb, "\",\"net\":%d.%04d,\"paid\":%s}\r\n", i * 7, i % 10000,
                i % 2 ? "true" : "false");
}

struct file_check {
    int records;
    int bad;
};

/* Checks each record against what generated_line(row) wrote, decoded by hand. */
static int check_generated(void *ctx, const struct ingest_record *rec, struct sd_error *err)
{
    struct file_check *fc = ctx;
    struct strbuf want = STRBUF_INIT;
    char text[64];
    int i = (int)rec->row;

    (void)err;
    fc->records++;
    for (int k = 0; k < 40 + i % 23; k++)
        strbuf_addstr(&want, k % 3 == 0   ? "\xc3\xa9"
                             : k % 3 == 1 ? "\xe2\x82\xac"
                                          : "\xf0\x9f\x98\x80");
    snprintf(text, sizeof(text), "SO-%05d|%d.%04d|%s", i, i * 7, i % 10000,
             i % 2 ? "true" : "false");
    char got[64];
    snprintf(got, sizeof(got), "%.*s|%.*s|%.*s", (int)rec->values[0].len, rec->values[0].data,
             (int)rec->values[2].len, rec->values[2].data, (int)rec->values[3].len,
             rec->values[3].data);
    if (rec->n_values != 4 || rec->values[1].len != want.len ||
        memcmp(rec->values[1].data, want.buf, want.len) != 0 || strcmp(text, got) != 0 ||
        rec->values[2].kind != INGEST_NUMBER || rec->values[3].kind != INGEST_BOOL)
        fc->bad++;
    strbuf_release(&want);
    return 0;
}

/* A file of several chunks: every record intact, and an error near the end placed exactly. */
static void test_file_in_chunks(void **state)
{
    char dir[TEST_PATH_MAX], path[TEST_PATH_MAX];
    struct strbuf sb = STRBUF_INIT;
    struct sd_error err = {0};
    struct file_check fc = {0};
    int lines = 4000;

    (void)state;
    for (int i = 1; i <= lines; i++)
        generated_line(&sb, i);
    assert_true(sb.len > 3 * JSONREC_CHUNK);
    test_tmpdir_make(dir, sizeof(dir));
    test_path(path, dir, "orders.json");
    test_write_file(path, sb.buf, sb.len);
    assert_sd_ok(jsonrec_read_file(path, "orders.json", NULL, check_generated, &fc, &err), &err);
    assert_int_equal(fc.records, lines);
    assert_int_equal(fc.bad, 0);

    /* One more line with a trailing comma: line 4001, after "{"order":"x"," (13 characters). */
    strbuf_addstr(&sb, "{\"order\":\"\xc3\xa9\",}\n");
    test_write_file(path, sb.buf, sb.len);
    fc.records = 0;
    assert_sd_status(jsonrec_read_file(path, "orders.json", NULL, check_generated, &fc, &err),
                     SD_EINVAL, &err);
    assert_string_equal(err.message,
                        "orders.json:4001: line 4001, column 14: expected a key, found '}'");
    assert_int_equal(err.row, 4001);
    assert_int_equal(fc.records, lines);
    strbuf_release(&sb);
    test_tmpdir_remove(dir);
}

/* Values point into the reader's buffer for the callback's duration only; names stay put. */
static int check_columns(void *ctx, const struct ingest_record *rec, struct sd_error *err)
{
    const char **first_names = ctx;

    (void)err;
    if (rec->row == 1)
        first_names[0] = rec->columns->names[0];
    if (rec->row == 3) {
        assert_int_equal(rec->columns->n, 40);
        assert_ptr_equal(rec->columns->names[0], first_names[0]);
        assert_string_equal(rec->columns->names[39], "k39");
        assert_int_equal(rec->values[0].kind, INGEST_NUMBER);
        assert_int_equal(rec->values[39].kind, INGEST_NUMBER);
        assert_int_equal(rec->values[39].len, 2);
        assert_memory_equal(rec->values[39].data, "39", 2);
    }
    return 0;
}

/* Forty columns appearing over three records: the arrays grow, names keep their addresses. */
static void test_many_columns(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    struct sd_error err = {0};
    const char *first_names[1] = {NULL};

    (void)state;
    strbuf_addstr(&sb, "{\"k0\":0}\n{\"k1\":1}\n{");
    for (int i = 0; i < 40; i++)
        strbuf_addf(&sb, "%s\"k%d\":%d", i ? "," : "", i, i);
    strbuf_addstr(&sb, "}\n");
    assert_sd_ok(
        jsonrec_read_buffer(sb.buf, sb.len, CASE_NAME, NULL, check_columns, first_names, &err),
        &err);
    strbuf_release(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_cases),    cmocka_unit_test(test_number_cases),
        cmocka_unit_test(test_string_cases),   cmocka_unit_test(test_syntax_error_cases),
        cmocka_unit_test(test_limit_cases),    cmocka_unit_test(test_callback_status),
        cmocka_unit_test(test_default_limits), cmocka_unit_test(test_default_name),
        cmocka_unit_test(test_missing_file),   cmocka_unit_test(test_file_in_chunks),
        cmocka_unit_test(test_many_columns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
