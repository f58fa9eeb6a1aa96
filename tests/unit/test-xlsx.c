/* SPDX-License-Identifier: MIT */
/*
 * test-xlsx: ingest/xlsx: the fixtures written by libxlsxwriter, LibreOffice
 * and by hand in Excel's style (tests/data/xlsx, README.md there), read value
 * by value; sheet selection by name and number; the 1900 and 1904 date
 * systems and the 1900 leap-year edge; number text; the header rules; every
 * limit (zip bombs built here with libzip: a member declaring a huge size,
 * and one lying about it); archives and XML that are broken; a callback's
 * status coming back unchanged.
 *
 * Expected values are written out by hand: Excel serials from 2024-01-01 =
 * 45292 (1900 system) and the 1462-day offset of the 1904 system, number
 * texts from the decimal the writer was given.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "base/error.h"
#include "base/strbuf.h"
#include "ingest/xlsx.h"
#include "test-util.h"

#include "base/banned.h"

#define FIXTURES   SD_TEST_DATA_DIR "/xlsx/"
#define MAX_ROWS   16
#define MAX_VALUES 16

/* ---- collecting records ------------------------------------------------ */

/* Every value as "K:text": T text, N number, B bool, D date, E empty, A absent. */
struct got {
    size_t n_rows;
    long row[MAX_ROWS];
    size_t n_values[MAX_ROWS];
    char *value[MAX_ROWS][MAX_VALUES];
    size_t n_names;
    char *names[MAX_VALUES];
    const char *file;
    long stop_at_row; /* return stop_status from this row on (0: never) */
    int stop_status;
};

static char kind_letter(enum ingest_kind kind)
{
    static const char letters[] = {
        [INGEST_ABSENT] = 'A', [INGEST_EMPTY] = 'E', [INGEST_TEXT] = 'T',
        [INGEST_NUMBER] = 'N', [INGEST_BOOL] = 'B',  [INGEST_DATE] = 'D',
    };
    return letters[kind];
}

static int collect(void *ctx, const struct ingest_record *rec, struct sd_error *err)
{
    struct got *got = ctx;
    if (got->stop_at_row && rec->row >= got->stop_at_row)
        return sd_error_set(err, got->stop_status, "stopped by the callback");
    if (got->n_rows == MAX_ROWS || rec->columns->n > MAX_VALUES)
        fail_msg("more rows or columns than the test expects");
    if (got->n_rows == 0) {
        got->n_names = rec->columns->n;
        for (size_t i = 0; i < rec->columns->n; i++)
            got->names[i] = strdup(rec->columns->names[i]);
    }
    assert_true(rec->n_values <= rec->columns->n);
    size_t r = got->n_rows++;
    got->row[r] = rec->row;
    got->n_values[r] = rec->n_values;
    got->file = rec->file;
    for (size_t i = 0; i < rec->n_values; i++) {
        const struct ingest_value *v = &rec->values[i];
        struct strbuf sb = STRBUF_INIT;
        strbuf_addch(&sb, kind_letter(v->kind));
        strbuf_addch(&sb, ':');
        strbuf_add(&sb, v->data, v->len);
        got->value[r][i] = strbuf_detach(&sb, NULL);
    }
    return 0;
}

static void got_release(struct got *got)
{
    for (size_t r = 0; r < got->n_rows; r++) {
        for (size_t i = 0; i < got->n_values[r]; i++)
            free(got->value[r][i]);
    }
    for (size_t i = 0; i < got->n_names; i++)
        free(got->names[i]);
    memset(got, 0, sizeof(*got));
}

/* Row `i` came from sheet row `row` with exactly the values in `want` (NULL-terminated). */
static void expect_row(const struct got *got, size_t i, long row, const char *const *want)
{
    size_t n = 0;
    if (i >= got->n_rows)
        fail_msg("record %zu missing (got %zu)", i, got->n_rows);
    assert_int_equal(got->row[i], row);
    for (; want[n]; n++) {
        if (n >= got->n_values[i])
            fail_msg("row %ld: value %zu missing, wanted \"%s\"", row, n + 1, want[n]);
        if (strcmp(got->value[i][n], want[n]) != 0)
            fail_msg("row %ld value %zu: got \"%s\", wanted \"%s\"", row, n + 1, got->value[i][n],
                     want[n]);
    }
    if (n != got->n_values[i])
        fail_msg("row %ld: %zu values, wanted %zu", row, got->n_values[i], n);
}

static void expect_names(const struct got *got, const char *const *want)
{
    size_t n = 0;
    for (; want[n]; n++) {
        assert_true(n < got->n_names);
        assert_string_equal(got->names[n], want[n]);
    }
    assert_int_equal(got->n_names, n);
}

/* ---- building workbooks in memory -------------------------------------- */

struct part {
    const char *name;
    const void *data;
    size_t len; /* 0: strlen(data) */
    int store;  /* 1: no compression */
};

/* A zip archive of the parts, built with libzip in memory; free() it. */
static unsigned char *zip_build(const struct part *parts, size_t n, size_t *len)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    assert_non_null(src);
    zip_source_keep(src);
    zip_t *za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
    assert_non_null(za);
    for (size_t i = 0; i < n; i++) {
        size_t size = parts[i].len ? parts[i].len : strlen(parts[i].data);
        zip_source_t *data = zip_source_buffer(za, parts[i].data, size, 0);
        zip_int64_t index = zip_file_add(za, parts[i].name, data, ZIP_FL_OVERWRITE);
        assert_true(index >= 0);
        if (parts[i].store)
            assert_int_equal(zip_set_file_compression(za, (zip_uint64_t)index, ZIP_CM_STORE, 0), 0);
    }
    assert_int_equal(zip_close(za), 0);
    assert_int_equal(zip_source_open(src), 0);
    assert_int_equal(zip_source_seek(src, 0, SEEK_END), 0);
    zip_int64_t size = zip_source_tell(src);
    assert_true(size > 0);
    assert_int_equal(zip_source_seek(src, 0, SEEK_SET), 0);
    unsigned char *buf = malloc((size_t)size);
    assert_non_null(buf);
    assert_int_equal(zip_source_read(src, buf, (zip_uint64_t)size), size);
    zip_source_close(src);
    zip_source_free(src);
    zip_error_fini(&ze);
    *len = (size_t)size;
    return buf;
}

static const char workbook_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
    "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
    "<sheets><sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";

static const char workbook_rels[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" "
    "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" "
    "Target=\"worksheets/sheet1.xml\"/>"
    "<Relationship Id=\"rId2\" "
    "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" "
    "Target=\"styles.xml\"/>"
    "<Relationship Id=\"rId3\" "
    "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings\" "
    "Target=\"sharedStrings.xml\"/></Relationships>";

/* Styles 0 general, 1 built-in 14 (a date), 2 "yyyy-mm-dd hh:mm", 3 "0.00". */
static const char styles_xml[] =
    "<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
    "<numFmts count=\"2\"><numFmt numFmtId=\"164\" formatCode=\"yyyy-mm-dd hh:mm\"/>"
    "<numFmt numFmtId=\"165\" formatCode=\"0.00\"/></numFmts>"
    "<cellXfs count=\"4\"><xf numFmtId=\"0\"/><xf numFmtId=\"14\"/><xf numFmtId=\"164\"/>"
    "<xf numFmtId=\"165\"/></cellXfs></styleSheet>";

static const char shared_strings_xml[] =
    "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
    "<si><t>v</t></si><si><t>hello</t></si><si><t></t></si></sst>";

#define SHEET_HEAD                                                                                 \
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"                              \
    "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"              \
    "<sheetData>"
#define SHEET_TAIL "</sheetData></worksheet>"
/* A header row naming one column "v"; one naming "v" and "w". */
#define HEADER_V "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>"
#define HEADER_VW                                                                                  \
    "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" "                                    \
    "t=\"inlineStr\"><is><t>w</t></is></c>"                                                        \
    "</row>"

/* A workbook with the sheet XML given and, when `pr` is set, that <workbookPr>. */
static unsigned char *workbook_build(const char *sheet_xml, const char *pr, size_t *len)
{
    char workbook[1024];
    snprintf(workbook, sizeof(workbook), "%.*s%s%s",
             (int)(strstr(workbook_xml, "<sheets>") - workbook_xml), workbook_xml, pr ? pr : "",
             strstr(workbook_xml, "<sheets>"));
    const struct part parts[] = {
        {"xl/workbook.xml", workbook, 0, 0},
        {"xl/_rels/workbook.xml.rels", workbook_rels, 0, 0},
        {"xl/styles.xml", styles_xml, 0, 0},
        {"xl/sharedStrings.xml", shared_strings_xml, 0, 0},
        {"xl/worksheets/sheet1.xml", sheet_xml, 0, 0},
    };
    return zip_build(parts, sizeof(parts) / sizeof(parts[0]), len);
}

/* Reads a sheet built from XML; returns the status. */
static int read_sheet(const char *sheet_xml, const char *pr, const struct xlsx_options *opt,
                      struct got *got, struct sd_error *err)
{
    size_t len = 0;
    unsigned char *zip = workbook_build(sheet_xml, pr, &len);
    int rc = xlsx_read_buffer(zip, len, "t.xlsx", opt, collect, got, err);
    free(zip);
    return rc;
}

/* ---- the fixtures ------------------------------------------------------ */

static const char *const table_names[] = {"order_id",   "customer", "note",       "qty",
                                          "unit_price", "discount", "order_date", "shipped_at",
                                          "paid",       "total",    NULL};
static const char *const table_row2[] = {
    "N:10248", "T:Café \"Le Petit\"", "T:Überweisung à 30 jours", "N:12",   "N:9.8",
    "N:0.15",  "D:2024-03-05",        "D:2024-03-06T08:30:00",    "B:true", "N:99.96",
    NULL};
static const char *const table_row3[] = {
    "N:10249", "T:O'Brien & Søn", "T:he said \"ship it\"", "N:-3",    "N:1234.5",
    "N:0",     "D:2024-02-29",    "D:2024-03-01T17:45:30", "B:false", "N:-3703.5",
    NULL};
/* Sparse: C4 blank (libxlsxwriter writes it formatted, LibreOffice not at all), E4 F4 missing. */
static const char *const table_row4[] = {
    "N:10250", "T:Ærøskøbing ApS", "E:", "N:1", "E:", "E:", "D:2024-12-31", NULL};
static const char *const table_row6[] = {
    "N:10251",      "T:Zoë's Bäckerei",      "T:100 % – ok", "N:1000000", "N:0.1", "N:0.333",
    "D:1999-12-31", "D:2000-01-01T00:00:01", "B:true",       "N:66700",   NULL};

static void check_table(const char *path)
{
    struct got got = {0};
    struct sd_error err = {0};
    assert_sd_ok(xlsx_read_file(path, "table.xlsx", NULL, collect, &got, &err), &err);
    assert_string_equal(got.file, "table.xlsx");
    expect_names(&got, table_names);
    assert_int_equal(got.n_rows, 4); /* row 5 is missing */
    expect_row(&got, 0, 2, table_row2);
    expect_row(&got, 1, 3, table_row3);
    expect_row(&got, 2, 4, table_row4);
    expect_row(&got, 3, 6, table_row6);
    got_release(&got);
}

static void test_libxlsxwriter_table(void **state)
{
    (void)state;
    check_table(FIXTURES "lxw-table.xlsx");
}

static void test_libreoffice_table(void **state)
{
    (void)state;
    check_table(FIXTURES "lo-table.xlsx");
}

static void test_excel_style(void **state)
{
    static const char *const names[] = {"name",    "amount", "when", "flag",
                                        "formula", "error",  "memo", NULL};
    static const char *const row2[] = {"T:Ünïcode & co ", "N:9.8",  "D:2024-03-05", "B:true",
                                       "T:name&amount",   "T:#N/A", "T:inline ",    NULL};
    static const char *const row3[] = {
        "T:O'Neil \"Q\" <ltd>", "N:-0.001", "D:2024-03-05T08:30:00",         "B:false",
        "D:2024-03-06",         "E:",       "T:line one\r\nline two_x0041_", NULL};
    static const char *const row5[] = {"E:", "E:", "D:1899-12-31T12:00:00", "E:", "N:1e21", NULL};
    struct got got = {0};
    struct sd_error err = {0};
    (void)state;
    assert_sd_ok(xlsx_read_file(FIXTURES "excel-style.xlsx", NULL, NULL, collect, &got, &err),
                 &err);
    assert_string_equal(got.file, FIXTURES "excel-style.xlsx");
    expect_names(&got, names);
    assert_int_equal(got.n_rows, 3); /* row 4 missing, row 6 formatting only */
    expect_row(&got, 0, 2, row2);
    expect_row(&got, 1, 3, row3);
    expect_row(&got, 2, 5, row5);
    got_release(&got);
}

static const char *const orders_row2[] = {"T:A-1", "N:19.99", NULL};
static const char *const orders_row3[] = {"T:A-2", "N:5", NULL};
static const char *const lines_row2[] = {"T:A-1", "T:SKU-10", "N:2", NULL};
static const char *const lines_row3[] = {"T:A-1", "T:SKU-20", "N:4", NULL};
static const char *const lines_row4[] = {"T:A-2", "T:SKU-30", "N:6", NULL};

static int read_two_sheets(const char *sheet, struct got *got, struct sd_error *err)
{
    struct xlsx_options opt;
    xlsx_options_init(&opt);
    opt.sheet = sheet;
    return xlsx_read_file(FIXTURES "lxw-two-sheets.xlsx", "two.xlsx", &opt, collect, got, err);
}

static void expect_lines(const struct got *got)
{
    static const char *const names[] = {"order", "sku", "qty", NULL};
    expect_names(got, names);
    assert_int_equal(got->n_rows, 3);
    expect_row(got, 0, 2, lines_row2);
    expect_row(got, 1, 3, lines_row3);
    expect_row(got, 2, 4, lines_row4);
}

static void test_sheet_selection(void **state)
{
    static const char *const orders_names[] = {"id", "amount", NULL};
    static const char *const pick_lines[] = {"Lines", "2", "lines", "LINES"};
    struct got got = {0};
    struct sd_error err = {0};
    (void)state;
    assert_sd_ok(read_two_sheets(NULL, &got, &err), &err);
    expect_names(&got, orders_names);
    assert_int_equal(got.n_rows, 2);
    expect_row(&got, 0, 2, orders_row2);
    expect_row(&got, 1, 3, orders_row3);
    got_release(&got);
    assert_sd_ok(read_two_sheets("1", &got, &err), &err);
    expect_row(&got, 0, 2, orders_row2);
    got_release(&got);
    for (size_t i = 0; i < sizeof(pick_lines) / sizeof(pick_lines[0]); i++) {
        assert_sd_ok(read_two_sheets(pick_lines[i], &got, &err), &err);
        expect_lines(&got);
        got_release(&got);
    }
}

static void test_sheet_not_found(void **state)
{
    static const char *const wanted[] = {"Missing", "3", "0", ""};
    struct got got = {0};
    struct sd_error err = {0};
    (void)state;
    for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
        assert_sd_status(read_two_sheets(wanted[i], &got, &err), SD_ENOTFOUND, &err);
        assert_contains(err.message, "two.xlsx: no sheet");
        assert_contains(err.message, "'Orders', 'Lines'");
        assert_int_equal(got.n_rows, 0);
    }
    assert_contains(err.message, "no sheet ''");
}

static void test_1904_system(void **state)
{
    static const char *const names[] = {"label", "when", "serial", NULL};
    static const char *const row2[] = {"T:epoch", "D:1904-01-01", "N:0", NULL};
    /* 2024-02-29: 45292 + 31 + 28 = 45351 in the 1900 system, 45351 - 1462 in 1904 */
    static const char *const row3[] = {"T:leap day", "D:2024-02-29", "N:43889", NULL};
    struct got got = {0};
    struct sd_error err = {0};
    (void)state;
    assert_sd_ok(xlsx_read_file(FIXTURES "lxw-1904.xlsx", NULL, NULL, collect, &got, &err), &err);
    expect_names(&got, names);
    assert_int_equal(got.n_rows, 4);
    expect_row(&got, 0, 2, row2);
    expect_row(&got, 1, 3, row3);
    assert_string_equal(got.value[2][0], "T:meeting");
    assert_string_equal(got.value[2][1], "D:2024-03-05T08:30:00");
    assert_true(fabs(strtod(got.value[2][2] + 2, NULL) - (43889 + 5 + 8.5 / 24)) < 1e-9);
    assert_string_equal(got.value[3][0], "T:y2k");
    assert_string_equal(got.value[3][1], "D:1999-12-31T23:59:59");
    got_release(&got);
}

/* ---- cells, one at a time ---------------------------------------------- */

/* Cell A2 of a sheet with columns v and w, and B2 = TRUE so that the row is never empty. */
struct cell_case {
    const char *cell; /* the XML of cell A2 */
    const char *want; /* "K:text", or NULL when the read must fail */
    int status;
    const char *message; /* a part of the error message */
    const char *pr;      /* <workbookPr>, if any */
};

static void check_cell(const struct cell_case *c)
{
    char sheet[2048];
    struct got got = {0};
    struct sd_error err = {0};
    snprintf(sheet, sizeof(sheet),
             SHEET_HEAD HEADER_VW
             "<row r=\"2\">%s<c r=\"B2\" t=\"b\"><v>1</v></c></row>" SHEET_TAIL,
             c->cell);
    int rc = read_sheet(sheet, c->pr, NULL, &got, &err);
    if (c->want) {
        if (rc != 0)
            fail_msg("%s: status %d: %s", c->cell, rc, err.message);
        if (got.n_rows != 1 || got.n_values[0] != 2 || strcmp(got.value[0][0], c->want) != 0)
            fail_msg("%s: got \"%s\", wanted \"%s\"", c->cell,
                     got.n_rows && got.n_values[0] ? got.value[0][0] : "(nothing)", c->want);
    } else {
        if (rc != c->status)
            fail_msg("%s: status %d, wanted %d (%s)", c->cell, rc, c->status, err.message);
        if (!strstr(err.message, c->message))
            fail_msg("%s: message \"%s\" lacks \"%s\"", c->cell, err.message, c->message);
        assert_int_equal(err.row, 2);
    }
    got_release(&got);
}

#define DATE1904 "<workbookPr date1904=\"true\"/>"

static void test_numbers(void **state)
{
    static const struct cell_case cases[] = {
        {"<c r=\"A2\"><v>9.8000000000000007</v></c>", "N:9.8", 0, NULL, NULL},
        {"<c r=\"A2\" t=\"n\"><v>9.800000000000001</v></c>", "N:9.8", 0, NULL, NULL},
        {"<c r=\"A2\"><v>0.30000000000000004</v></c>", "N:0.30000000000000004", 0, NULL, NULL},
        {"<c r=\"A2\"><v>0.1</v></c>", "N:0.1", 0, NULL, NULL},
        {"<c r=\"A2\"><v>-42</v></c>", "N:-42", 0, NULL, NULL},
        {"<c r=\"A2\"><v> 42 </v></c>", "N:42", 0, NULL, NULL},
        {"<c r=\"A2\"><v>007</v></c>", "N:7", 0, NULL, NULL},
        {"<c r=\"A2\"><v>2.50</v></c>", "N:2.5", 0, NULL, NULL},
        {"<c r=\"A2\"><v>+3</v></c>", "N:3", 0, NULL, NULL},
        {"<c r=\"A2\"><v>.5</v></c>", "N:0.5", 0, NULL, NULL},
        {"<c r=\"A2\"><v>-0</v></c>", "N:0", 0, NULL, NULL},
        {"<c r=\"A2\"><v>1E-7</v></c>", "N:0.0000001", 0, NULL, NULL},
        {"<c r=\"A2\"><v>0.0000001</v></c>", "N:0.0000001", 0, NULL, NULL},
        {"<c r=\"A2\"><v>1.5E-8</v></c>", "N:1.5e-8", 0, NULL, NULL},
        {"<c r=\"A2\"><v>0.000000015</v></c>", "N:1.5e-8", 0, NULL, NULL},
        {"<c r=\"A2\"><v>1E+20</v></c>", "N:100000000000000000000", 0, NULL, NULL},
        {"<c r=\"A2\"><v>1E+21</v></c>", "N:1e21", 0, NULL, NULL},
        {"<c r=\"A2\"><v>123456789012345678</v></c>", "N:123456789012345680", 0, NULL, NULL},
        {"<c r=\"A2\"><v>123456789012345</v></c>", "N:123456789012345", 0, NULL, NULL},
        {"<c r=\"A2\"><v>1.7976931348623157E308</v></c>", "N:1.7976931348623157e308", 0, NULL,
         NULL},
        {"<c r=\"A2\" s=\"3\"><v>45356</v></c>", "N:45356", 0, NULL, NULL},  /* "0.00": no date */
        {"<c r=\"A2\" s=\"99\"><v>45356</v></c>", "N:45356", 0, NULL, NULL}, /* no such style */
        {"<c r=\"A2\"><v></v></c>", "E:", 0, NULL, NULL},
        {"<c r=\"A2\"><f>1/0</f></c>", "E:", 0, NULL, NULL},
        {"<c r=\"A2\"><v>abc</v></c>", NULL, SD_EINVAL,
         "t.xlsx:2: column 'v': 'abc' is not a number", NULL},
        {"<c r=\"A2\"><v>inf</v></c>", NULL, SD_EINVAL, "'inf' is not a number", NULL},
        {"<c r=\"A2\"><v>0x10</v></c>", NULL, SD_EINVAL, "'0x10' is not a number", NULL},
        {"<c r=\"A2\"><v>1e999</v></c>", NULL, SD_EINVAL, "'1e999' is not a number", NULL},
        {"<c r=\"A2\"><v>1 2</v></c>", NULL, SD_EINVAL, "'1 2' is not a number", NULL},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_cell(&cases[i]);
}

static void test_dates(void **state)
{
    static const struct cell_case cases[] = {
        /* 1900 system: 1 = 1900-01-01, 59 = 1900-02-28, 60 = the phantom 1900-02-29, 61 =
           1900-03-01 */
        {"<c r=\"A2\" s=\"1\"><v>1</v></c>", "D:1900-01-01", 0, NULL, NULL},
        {"<c r=\"A2\" s=\"1\"><v>59</v></c>", "D:1900-02-28", 0, NULL, NULL},
        {"<c r=\"A2\" s=\"1\"><v>61</v></c>", "D:1900-03-01", 0, NULL, NULL},
        {"<c r=\"A2\" s=\"1\"><v>60</v></c>", NULL, SD_EINVAL, "'60' is 1900-02-29", NULL},
        {"<c r=\"A2\" s=\"2\"><v>59.5</v></c>", "D:1900-02-28T12:00:00", 0, NULL, NULL},
        {"<c r=\"A2\" s=\"2\"><v>0.25</v></c>", "D:1899-12-31T06:00:00", 0, NULL, NULL},
        {"<c r=\"A2\" s=\"1\"><v>45292</v></c>", "D:2024-01-01", 0, NULL, NULL},
        {"<c r=\"A2\" s=\"1\"><v>45351</v></c>", "D:2024-02-29", 0, NULL, NULL},
        /* 08:30 is 8.5/24 = 0.3541666…; Excel writes 17 digits */
        {"<c r=\"A2\" s=\"2\"><v>45356.354166666664</v></c>", "D:2024-03-05T08:30:00", 0, NULL,
         NULL},
        /* 23:59:59.6 rounds to the next day */
        {"<c r=\"A2\" s=\"2\"><v>45356.999995</v></c>", "D:2024-03-06T00:00:00", 0, NULL, NULL},
        {"<c r=\"A2\" s=\"1\"><v>2958465</v></c>", "D:9999-12-31", 0, NULL, NULL},
        {"<c r=\"A2\" s=\"1\"><v>2958466</v></c>", "N:2958466", 0, NULL, NULL},
        {"<c r=\"A2\" s=\"1\"><v>-1</v></c>", "N:-1", 0, NULL, NULL},
        {"<c r=\"A2\" s=\"1\"><v>x</v></c>", NULL, SD_EINVAL, "'x' is not a number", NULL},
        /* 1904 system: 0 = 1904-01-01, 60 is an ordinary day */
        {"<c r=\"A2\" s=\"1\"><v>0</v></c>", "D:1904-01-01", 0, NULL, DATE1904},
        {"<c r=\"A2\" s=\"1\"><v>59</v></c>", "D:1904-02-29", 0, NULL, DATE1904},
        {"<c r=\"A2\" s=\"1\"><v>60</v></c>", "D:1904-03-01", 0, NULL, DATE1904},
        {"<c r=\"A2\" s=\"1\"><v>43889</v></c>", "D:2024-02-29", 0, NULL, DATE1904},
        {"<c r=\"A2\" s=\"1\"><v>43889</v></c>", "D:2024-02-29", 0, NULL,
         "<workbookPr date1904=\"1\"/>"},
        {"<c r=\"A2\" s=\"1\"><v>43889</v></c>", "D:2020-02-28", 0, NULL,
         "<workbookPr date1904=\"false\"/>"},
        /* t="d": ISO 8601 text */
        {"<c r=\"A2\" t=\"d\"><v>2024-03-05</v></c>", "D:2024-03-05", 0, NULL, NULL},
        {"<c r=\"A2\" t=\"d\"><v>2024-03-05T08:30:00.600Z</v></c>", "D:2024-03-05T08:30:01", 0,
         NULL, NULL},
        {"<c r=\"A2\" t=\"d\"><v>2023-02-29</v></c>", NULL, SD_EINVAL, "'2023-02-29' is not a date",
         NULL},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_cell(&cases[i]);
}

static void test_text_and_other_kinds(void **state)
{
    static const struct cell_case cases[] = {
        {"<c r=\"A2\" t=\"s\"><v>1</v></c>", "T:hello", 0, NULL, NULL},
        {"<c r=\"A2\" t=\"s\" s=\"1\"><v>1</v></c>", "T:hello", 0, NULL, NULL},
        {"<c r=\"A2\" t=\"s\"><v>2</v></c>", "E:", 0, NULL, NULL},
        {"<c r=\"A2\" t=\"s\"><v>3</v></c>", NULL, SD_EINVAL, "shared string 3 does not exist",
         NULL},
        {"<c r=\"A2\" t=\"s\"><v>-1</v></c>", NULL, SD_EINVAL, "'-1' is not a number", NULL},
        {"<c r=\"A2\" t=\"inlineStr\"><is><t>a_x0009_b</t></is></c>", "T:a\tb", 0, NULL, NULL},
        {"<c r=\"A2\" t=\"inlineStr\"><is><t>_x0000_ _xD800_ _x12_</t></is></c>",
         "T:_x0000_ _xD800_ _x12_", 0, NULL, NULL},
        {"<c r=\"A2\" t=\"inlineStr\"><is><t>&#x1F600;&lt;</t></is></c>", "T:\xF0\x9F\x98\x80<", 0,
         NULL, NULL},
        {"<c r=\"A2\" t=\"inlineStr\"><is><t/></is></c>", "E:", 0, NULL, NULL},
        {"<c r=\"A2\" t=\"inlineStr\"><v>ignored</v><is><t>kept</t></is></c>", "T:kept", 0, NULL,
         NULL},
        {"<c r=\"A2\" t=\"str\"><f>\"a\"&amp;\"b\"</f><v>ab</v></c>", "T:ab", 0, NULL, NULL},
        {"<c r=\"A2\" t=\"str\"><f>\"\"</f><v></v></c>", "E:", 0, NULL, NULL},
        {"<c r=\"A2\" t=\"e\"><v>#DIV/0!</v></c>", "T:#DIV/0!", 0, NULL, NULL},
        {"<c r=\"A2\" t=\"b\"><v>1</v></c>", "B:true", 0, NULL, NULL},
        {"<c r=\"A2\" t=\"b\"><v>0</v></c>", "B:false", 0, NULL, NULL},
        {"<c r=\"A2\" t=\"b\"><v>2</v></c>", NULL, SD_EINVAL, "'2' is not a boolean", NULL},
        {"<c r=\"A2\" t=\"q\"><v>2</v></c>", NULL, SD_EINVAL, "cell type 'q' is not known", NULL},
        {"<c r=\"A2\" s=\"x\"><v>2</v></c>", NULL, SD_EINVAL, "style 'x' is not a number", NULL},
        {"<c r=\"A3\"><v>2</v></c>", NULL, SD_EINVAL, "'A3' is not a cell of row 2", NULL},
        {"<c r=\"XFE2\"><v>2</v></c>", NULL, SD_EINVAL, "'XFE2' is not a cell of row 2", NULL},
        {"<c r=\"2\"><v>2</v></c>", NULL, SD_EINVAL, "'2' is not a cell of row 2", NULL},
        {"<c><v>5</v></c>", "N:5", 0, NULL, NULL}, /* no r: the next column */
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_cell(&cases[i]);
}

/* ---- rows and the header ------------------------------------------------ */

static void test_sparse_and_skipped_rows(void **state)
{
    static const char *const names[] = {"a", "b", NULL};
    static const char *const row4[] = {"N:1", "N:2", NULL};
    static const char *const row5[] = {"E:", "N:4", NULL};
    static const char *const row6[] = {"N:5", NULL};
    const char *sheet = SHEET_HEAD
        "<row r=\"2\"><c r=\"B2\" s=\"1\"/></row>" /* formatting only: skipped */
        "<row><c t=\"inlineStr\"><is><t>a</t></is></c><c t=\"inlineStr\"><is><t>b</t></is></c>"
        "<c r=\"C3\" s=\"2\"/></row>" /* row 3 by counting; C3 past the header */
        "<row><c><v>1</v></c><c><v>2</v></c></row>"
        "<row><c r=\"B5\"><v>4</v></c><c r=\"E5\" s=\"1\"/></row>"
        "<row><c><v>5</v></c></row>" SHEET_TAIL;
    struct got got = {0};
    struct sd_error err = {0};
    (void)state;
    assert_sd_ok(read_sheet(sheet, NULL, NULL, &got, &err), &err);
    expect_names(&got, names);
    assert_int_equal(got.n_rows, 3);
    expect_row(&got, 0, 4, row4);
    expect_row(&got, 1, 5, row5);
    expect_row(&got, 2, 6, row6);
    got_release(&got);
}

/* Like an empty CSV file, a sheet without a header row is an error; a header alone is not. */
static void test_empty_sheet(void **state)
{
    struct got got = {0};
    struct sd_error err = {0};
    (void)state;
    assert_sd_status(read_sheet(SHEET_HEAD SHEET_TAIL, NULL, NULL, &got, &err), SD_EINVAL, &err);
    assert_string_equal(err.message, "t.xlsx: sheet 'S' is empty (no header row)");
    assert_sd_status(read_sheet(SHEET_HEAD "<row r=\"1\"><c r=\"A1\" s=\"1\"/></row>" SHEET_TAIL,
                                NULL, NULL, &got, &err),
                     SD_EINVAL, &err);
    assert_sd_ok(read_sheet(SHEET_HEAD HEADER_V SHEET_TAIL, NULL, NULL, &got, &err), &err);
    assert_int_equal(got.n_rows, 0);
}

struct sheet_case {
    const char *rows; /* the XML inside <sheetData> */
    int status;
    const char *message;
    long row;
    int column;
};

static void test_sheet_errors(void **state)
{
    static const struct sheet_case cases[] = {
        {"<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"C1\" t=\"s\"><v>1</v></c></row>",
         SD_EINVAL, "t.xlsx:1: column 2 has no name", 1, 2},
        {"<row r=\"3\"><c r=\"A3\" t=\"s\"><v>0</v></c><c r=\"B3\" t=\"s\"><v>2</v></c>"
         "<c r=\"C3\" t=\"s\"><v>1</v></c></row>",
         SD_EINVAL, "t.xlsx:3: column 2 has no name", 3, 2},
        {HEADER_V "<row r=\"2\"><c r=\"A2\"><v>1</v></c><c r=\"B2\"><v>2</v></c></row>", SD_EINVAL,
         "t.xlsx:2: cell B2: a value outside the header's 1 columns", 2, 2},
        {HEADER_V "<row r=\"3\"><c><v>1</v></c></row><row r=\"2\"><c><v>1</v></c></row>", SD_EINVAL,
         "row 2 comes after row 3", 3, 0},
        {HEADER_V "<row r=\"1\"><c><v>1</v></c></row>", SD_EINVAL, "row 1 comes after row 1", 1, 0},
        {HEADER_V "<row r=\"0\"><c><v>1</v></c></row>", SD_EINVAL, "row number '0' is not in", 1,
         0},
        {HEADER_V "<row r=\"1048577\"><c><v>1</v></c></row>", SD_EINVAL,
         "row number '1048577' is not in", 1, 0},
        {HEADER_VW "<row r=\"2\"><c r=\"B2\"><v>1</v></c><c r=\"A2\"><v>1</v></c></row>", SD_EINVAL,
         "t.xlsx:2: cell A2 comes after column 2", 2, 1},
        {HEADER_V "<row r=\"2\"><row r=\"3\"/></row>", SD_EINVAL, "a <row> inside a row", 2, 0},
        {HEADER_V "<row r=\"2\"><c><c/></c></row>", SD_EINVAL, "a <c> inside a cell", 2, 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char sheet[2048];
        struct got got = {0};
        struct sd_error err = {0};
        snprintf(sheet, sizeof(sheet), SHEET_HEAD "%s" SHEET_TAIL, cases[i].rows);
        int rc = read_sheet(sheet, NULL, NULL, &got, &err);
        if (rc != cases[i].status || !strstr(err.message, cases[i].message))
            fail_msg("%s: status %d, message \"%s\"; wanted %d and \"%s\"", cases[i].rows, rc,
                     err.message, cases[i].status, cases[i].message);
        assert_int_equal(err.row, cases[i].row);
        assert_int_equal(err.column, cases[i].column);
        got_release(&got);
    }
}

static void test_callback_status(void **state)
{
    const char *sheet = SHEET_HEAD HEADER_V "<row r=\"2\"><c><v>1</v></c></row>"
                                            "<row r=\"3\"><c><v>2</v></c></row>"
                                            "<row r=\"4\"><c><v>3</v></c></row>" SHEET_TAIL;
    struct got got = {.stop_at_row = 3, .stop_status = SD_ECONFLICT};
    struct sd_error err = {0};
    (void)state;
    assert_sd_status(read_sheet(sheet, NULL, NULL, &got, &err), SD_ECONFLICT, &err);
    assert_string_equal(err.message, "stopped by the callback");
    assert_int_equal(got.n_rows, 1); /* row 2 only; row 4 never came */
    got_release(&got);
    got = (struct got){.stop_at_row = 2, .stop_status = 7};
    assert_int_equal(read_sheet(sheet, NULL, NULL, &got, &err), 7);
    got_release(&got);
}

/* ---- limits ------------------------------------------------------------ */

static void test_row_column_and_value_limits(void **state)
{
    const char *sheet = SHEET_HEAD
        "<row r=\"1\"><c t=\"s\"><v>0</v></c><c t=\"inlineStr\"><is><t>w</t></is></c></row>"
        "<row r=\"2\"><c t=\"inlineStr\"><is><t>12345</t></is></c></row>"
        "<row r=\"3\"><c t=\"s\"><v>1</v></c></row>"
        "<row r=\"4\"><c t=\"inlineStr\"><is><t>123456</t></is></c></row>" SHEET_TAIL;
    struct xlsx_options opt;
    struct got got = {0};
    struct sd_error err = {0};
    (void)state;
    xlsx_options_init(&opt);
    opt.limits.max_rows = 2;
    assert_sd_status(read_sheet(sheet, NULL, &opt, &got, &err), SD_ELIMIT, &err);
    assert_string_equal(err.message, "t.xlsx:4: more than 2 rows");
    assert_int_equal(err.row, 4);
    assert_int_equal(got.n_rows, 2);
    got_release(&got);

    xlsx_options_init(&opt);
    opt.limits.max_columns = 1;
    assert_sd_status(read_sheet(sheet, NULL, &opt, &got, &err), SD_ELIMIT, &err);
    assert_string_equal(err.message, "t.xlsx:1: more than 1 columns");
    assert_int_equal(err.column, 2);

    xlsx_options_init(&opt);
    opt.limits.max_field_bytes = 5;
    assert_sd_status(read_sheet(sheet, NULL, &opt, &got, &err), SD_ELIMIT, &err);
    assert_string_equal(err.message, "t.xlsx:4: column 'v': value longer than 5 bytes");
    assert_int_equal(err.row, 4);
    assert_int_equal(err.column, 1);
    assert_int_equal(got.n_rows, 2);
    got_release(&got);

    /* "hello" in the shared strings is one byte too long */
    opt.limits.max_field_bytes = 4;
    assert_sd_status(read_sheet(sheet, NULL, &opt, &got, &err), SD_ELIMIT, &err);
    assert_contains(err.message, "t.xlsx: xl/sharedStrings.xml line 1, column ");
    assert_contains(err.message, "a string longer than 4 bytes");
    assert_int_equal(got.n_rows, 0);
}

/* A workbook whose sheet is `size` bytes of zeros: a few KB deflated. */
static unsigned char *zeros_workbook(size_t size, size_t *len)
{
    char *zeros = calloc(1, size);
    assert_non_null(zeros);
    const struct part parts[] = {
        {"xl/workbook.xml", workbook_xml, 0, 0},
        {"xl/_rels/workbook.xml.rels", workbook_rels, 0, 0},
        {"xl/worksheets/sheet1.xml", zeros, size, 0},
    };
    unsigned char *zip = zip_build(parts, 3, len);
    free(zeros);
    return zip;
}

static void test_zip_bomb(void **state)
{
    struct xlsx_options opt;
    struct got got = {0};
    struct sd_error err = {0};
    size_t len = 0;
    unsigned char *zip = zeros_workbook((size_t)8 << 20, &len);
    (void)state;
    assert_true(len < 64 * 1024); /* 8 MiB of zeros deflate ~1000:1 */

    /* the default ratio limit (200) */
    assert_sd_status(xlsx_read_buffer(zip, len, "bomb.xlsx", NULL, collect, &got, &err), SD_ELIMIT,
                     &err);
    assert_contains(err.message, "bomb.xlsx: xl/worksheets/sheet1.xml unzips ");
    assert_contains(err.message, "into 8388608, a ratio past the limit of 200");

    /* the total size limit */
    xlsx_options_init(&opt);
    opt.limits.max_compression_ratio = 100000;
    opt.limits.max_decompressed_bytes = 4 << 20;
    assert_sd_status(xlsx_read_buffer(zip, len, "bomb.xlsx", &opt, collect, &got, &err), SD_ELIMIT,
                     &err);
    assert_contains(err.message, "sheet1.xml unzips to 8388608 bytes, past the limit of 4194304");

    /* within both limits the zeros reach the XML parser, which refuses them */
    opt.limits.max_decompressed_bytes = 16 << 20;
    assert_sd_status(xlsx_read_buffer(zip, len, "bomb.xlsx", &opt, collect, &got, &err), SD_EINVAL,
                     &err);
    assert_contains(err.message, "bomb.xlsx: xl/worksheets/sheet1.xml line 1, column 1: ");
    assert_int_equal(got.n_rows, 0);
    free(zip);
}

/* Sets the uncompressed size of every deflated entry, in its local header and in the directory. */
static void zip_patch_deflated_sizes(unsigned char *zip, size_t len, uint32_t size)
{
    int patched = 0;
    for (size_t i = 0; i + 46 <= len; i++) {
        size_t method = 0, at = 0;
        if (memcmp(zip + i, "PK\3\4", 4) == 0)
            method = i + 8, at = i + 22;
        else if (memcmp(zip + i, "PK\1\2", 4) == 0)
            method = i + 10, at = i + 24;
        if (!at || zip[method] != ZIP_CM_DEFLATE || zip[method + 1] != 0)
            continue;
        for (int b = 0; b < 4; b++)
            zip[at + (size_t)b] = (unsigned char)(size >> (8 * b));
        patched++;
    }
    assert_int_equal(patched, 2);
}

/* A sheet of 600 KB (spaces mostly) that says it is 1000 bytes: counting what is unzipped catches
 * it. */
static void test_member_lying_about_its_size(void **state)
{
    size_t big = 600 * 1024, len = 0;
    char *sheet = malloc(big + 1);
    struct got got = {0};
    struct sd_error err = {0};
    (void)state;
    assert_non_null(sheet);
    static const char head[] = SHEET_HEAD "<row><c t=\"inlineStr\"><is><t>k</t></is></c></row>";
    memset(sheet, ' ', big);
    memcpy(sheet, head, strlen(head));
    memcpy(sheet + big - strlen(SHEET_TAIL), SHEET_TAIL, strlen(SHEET_TAIL));
    sheet[big] = '\0';
    const struct part parts[] = {
        {"xl/workbook.xml", workbook_xml, 0, 1},
        {"xl/_rels/workbook.xml.rels", workbook_rels, 0, 1},
        {"xl/worksheets/sheet1.xml", sheet, big, 0},
    };
    unsigned char *zip = zip_build(parts, 3, &len);
    assert_sd_ok(xlsx_read_buffer(zip, len, "ok.xlsx", NULL, collect, &got, &err), &err);
    zip_patch_deflated_sizes(zip, len, 1000);
    assert_sd_status(xlsx_read_buffer(zip, len, "liar.xlsx", NULL, collect, &got, &err), SD_ELIMIT,
                     &err);
    assert_string_equal(err.message, "liar.xlsx: xl/worksheets/sheet1.xml unzips to more than "
                                     "the 1000 bytes it declares");
    free(zip);
    free(sheet);
}

static void test_long_tag(void **state)
{
    size_t big = (size_t)2 << 20, len = 0;
    char *sheet = malloc(big + 256);
    struct xlsx_options opt;
    struct got got = {0};
    struct sd_error err = {0};
    (void)state;
    assert_non_null(sheet);
    int n = snprintf(sheet, 256, SHEET_HEAD "<row r=\"1\" x=\"");
    memset(sheet + n, 'a', big);
    snprintf(sheet + n + big, 256, "\"/>" SHEET_TAIL);
    const struct part parts[] = {
        {"xl/workbook.xml", workbook_xml, 0, 0},
        {"xl/_rels/workbook.xml.rels", workbook_rels, 0, 0},
        {"xl/worksheets/sheet1.xml", sheet, 0, 1},
    };
    unsigned char *zip = zip_build(parts, 3, &len);
    xlsx_options_init(&opt);
    opt.limits.max_field_bytes = 1000;
    assert_sd_status(xlsx_read_buffer(zip, len, "tag.xlsx", &opt, collect, &got, &err), SD_ELIMIT,
                     &err);
    assert_contains(err.message, "an XML tag longer than 1049576 bytes");
    free(zip);
    free(sheet);
}

/* ---- broken input ------------------------------------------------------- */

static void test_not_a_workbook(void **state)
{
    static const unsigned char ole[] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0};
    struct got got = {0};
    struct sd_error err = {0};
    size_t len = 0;
    (void)state;
    assert_sd_status(
        xlsx_read_buffer("order_id,qty\n1,2\n", 17, "a.csv", NULL, collect, &got, &err), SD_EINVAL,
        &err);
    assert_string_equal(err.message, "a.csv: not an xlsx workbook (Not a zip archive)");
    assert_sd_status(xlsx_read_buffer(ole, sizeof(ole), "old.xls", NULL, collect, &got, &err),
                     SD_EINVAL, &err);
    assert_contains(err.message, "old.xls: not an xlsx workbook (an encrypted workbook or an old");
    assert_sd_status(xlsx_read_buffer(NULL, 0, "empty.xlsx", NULL, collect, &got, &err), SD_EINVAL,
                     &err);
    assert_contains(err.message, "empty.xlsx: not an xlsx workbook");

    /* a zip without a workbook */
    const struct part parts[] = {{"hello.txt", "hello", 0, 0}};
    unsigned char *zip = zip_build(parts, 1, &len);
    assert_sd_status(xlsx_read_buffer(zip, len, "x.zip", NULL, collect, &got, &err), SD_EINVAL,
                     &err);
    assert_string_equal(err.message, "x.zip: not an xlsx workbook (no xl/workbook.xml in the zip "
                                     "archive)");
    free(zip);

    assert_sd_status(xlsx_read_file("/nonexistent/x.xlsx", "x.xlsx", NULL, collect, &got, &err),
                     SD_EIO, &err);
    assert_contains(err.message, "x.xlsx: cannot read: No such file");
    assert_int_equal(got.n_rows, 0);
}

static void test_truncated_archive(void **state)
{
    struct got got = {0};
    struct sd_error err = {0};
    size_t len = 0;
    (void)state;
    unsigned char *zip = workbook_build(SHEET_HEAD HEADER_V SHEET_TAIL, NULL, &len);
    for (size_t keep = 0; keep < len; keep += len / 7 + 1) {
        int rc = xlsx_read_buffer(zip, keep, "cut.xlsx", NULL, collect, &got, &err);
        if (rc != SD_EINVAL)
            fail_msg("%zu of %zu bytes: status %d: %s", keep, len, rc, err.message);
        assert_contains(err.message, "cut.xlsx: ");
    }
    free(zip);
}

static void test_broken_xml(void **state)
{
    static const struct {
        const char *sheet;
        const char *message;
        long row;
    } cases[] = {
        /* line 1 is the XML declaration, line 2 <worksheet> and the header row */
        {SHEET_HEAD HEADER_V "\n<row r=\"2\"><c r=\"A2\"><v>1</v></c></row>\n<row r=\"3\"><c",
         "t.xlsx: xl/worksheets/sheet1.xml line 4, column 12: unclosed token", 3},
        /* "</rowx>" starts in column 34; expat points at its name */
        {SHEET_HEAD HEADER_V "\n<row r=\"2\"><c r=\"A2\"><v>1</v></c></rowx>" SHEET_TAIL,
         "t.xlsx: xl/worksheets/sheet1.xml line 3, column 36: mismatched tag", 2},
        /* expat points at the character after the '&' */
        {SHEET_HEAD HEADER_V "\n<row r=\"2\"><c r=\"A2\"><v>1 & 2</v></c></row>" SHEET_TAIL,
         "xl/worksheets/sheet1.xml line 3, column 28: not well-formed (invalid token)", 2},
        {SHEET_HEAD HEADER_V "<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>\xC3\x28</t>",
         "xl/worksheets/sheet1.xml line 2, column ", 2},
        {"", "xl/worksheets/sheet1.xml line 1, column 1: no element found", 0},
        {"<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\">]>\n<worksheet/>",
         /* expat reports the declaration where its internal subset opens */
         "xl/worksheets/sheet1.xml line 2, column 16: a DOCTYPE declaration is not allowed", 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct got got = {0};
        struct sd_error err = {0};
        int rc = read_sheet(cases[i].sheet, NULL, NULL, &got, &err);
        if (rc != SD_EINVAL || !strstr(err.message, cases[i].message))
            fail_msg("case %zu: status %d, message \"%s\", wanted \"%s\"", i, rc, err.message,
                     cases[i].message);
        assert_int_equal(err.row, cases[i].row);
        got_release(&got);
    }
}

static void test_package_parts(void **state)
{
    static const char rels_elsewhere[] =
        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
        "<Relationship Id=\"rId1\" "
        "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
        "officeDocument\" "
        "Target=\"book/main.xml\"/></Relationships>";
    static const char book_rels[] =
        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
        "<Relationship Id=\"rId1\" "
        "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" "
        "Target=\"./data/../data/one.xml\"/>"
        "<Relationship Id=\"rId9\" "
        "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/chartsheet\" "
        "Target=\"/book/chart.xml\"/></Relationships>";
    static const char book[] =
        "<x:workbook xmlns:x=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
        "xmlns:rel=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
        "<x:sheets><x:sheet name=\"Chart\" sheetId=\"2\" rel:id=\"rId9\"/>"
        "<x:sheet name=\"One\" sheetId=\"1\" rel:id=\"rId1\"/>"
        "<x:sheet name=\"Gone\" sheetId=\"3\" rel:id=\"rId7\"/></x:sheets></x:workbook>";
    static const char sheet[] =
        "<x:worksheet xmlns:x=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
        "<x:sheetData><x:row r=\"1\"><x:c r=\"A1\" t=\"inlineStr\"><x:is><x:t>k</x:t></x:is></x:c>"
        "</x:row><x:row r=\"2\"><x:c r=\"A2\"><x:v>7</x:v></x:c></x:row></x:sheetData>"
        "</x:worksheet>";
    static const char *const row2[] = {"N:7", NULL};
    const struct part parts[] = {
        {"_rels/.rels", rels_elsewhere, 0, 0},
        {"book/main.xml", book, 0, 0},
        {"book/_rels/main.xml.rels", book_rels, 0, 0},
        {"book/data/one.xml", sheet, 0, 0},
    };
    struct xlsx_options opt;
    struct got got = {0};
    struct sd_error err = {0};
    size_t len = 0;
    (void)state;
    unsigned char *zip = zip_build(parts, 4, &len);
    /* the first worksheet, skipping the chart sheet; no styles, no shared strings */
    assert_sd_ok(xlsx_read_buffer(zip, len, "p.xlsx", NULL, collect, &got, &err), &err);
    expect_row(&got, 0, 2, row2);
    got_release(&got);
    xlsx_options_init(&opt);
    opt.sheet = "Chart";
    assert_sd_status(xlsx_read_buffer(zip, len, "p.xlsx", &opt, collect, &got, &err), SD_EINVAL,
                     &err);
    assert_string_equal(err.message, "p.xlsx: sheet 'Chart' is not a worksheet (a chart?)");
    opt.sheet = "Gone";
    assert_sd_status(xlsx_read_buffer(zip, len, "p.xlsx", &opt, collect, &got, &err), SD_EINVAL,
                     &err);
    assert_string_equal(err.message, "p.xlsx: sheet 'Gone' has no relationship rId7");
    free(zip);
}

/*
 * Many sheets, relationships and formats: found through hashes (a linear
 * search per sheet or per style made such a workbook quadratic to open).
 * 3000 chart sheets come before the one worksheet; 3000 custom formats, the
 * last one a date, and as many cell styles.
 */
static void test_many_sheets_and_styles(void **state)
{
    enum { N = 3000 };
    struct strbuf book = STRBUF_INIT, rels = STRBUF_INIT, styles = STRBUF_INIT;
    static const char *const row2[] = {"D:2024-01-01", NULL};
    struct got got = {0};
    struct sd_error err = {0};
    size_t len = 0;
    (void)state;
    strbuf_addstr(&book, "<workbook><sheets>");
    strbuf_addstr(&rels, "<Relationships>");
    strbuf_addstr(&styles, "<styleSheet><numFmts>");
    for (int i = 0; i < N; i++) {
        strbuf_addf(&book, "<sheet name=\"C%d\" r:id=\"c%d\"/>", i, i);
        strbuf_addf(&rels, "<Relationship Id=\"c%d\" Type=\"x/chartsheet\" Target=\"c.xml\"/>", i);
        strbuf_addf(&styles, "<numFmt numFmtId=\"%d\" formatCode=\"%s\"/>", 164 + i,
                    i == N - 1 ? "d/m/yy" : "0.00");
    }
    strbuf_addstr(&book, "<sheet name=\"W\" r:id=\"w\"/></sheets></workbook>");
    strbuf_addstr(&rels, "<Relationship Id=\"w\" Type=\"x/worksheet\" Target=\"w.xml\"/>"
                         "<Relationship Id=\"s\" Type=\"x/styles\" Target=\"s.xml\"/>"
                         "</Relationships>");
    strbuf_addstr(&styles, "</numFmts><cellXfs>");
    for (int i = 0; i < N; i++)
        strbuf_addf(&styles, "<xf numFmtId=\"%d\"/>", 164 + i);
    strbuf_addstr(&styles, "</cellXfs></styleSheet>");
    char sheet[512];
    snprintf(sheet, sizeof(sheet),
             SHEET_HEAD "<row r=\"1\"><c t=\"inlineStr\"><is><t>d</t></is></c></row>"
                        "<row r=\"2\"><c s=\"%d\"><v>45292</v></c></row>" SHEET_TAIL,
             N - 1);
    const struct part parts[] = {
        {"xl/workbook.xml", book.buf, 0, 0},
        {"xl/_rels/workbook.xml.rels", rels.buf, 0, 0},
        {"xl/s.xml", styles.buf, 0, 0},
        {"xl/w.xml", sheet, 0, 0},
    };
    unsigned char *zip = zip_build(parts, 4, &len);
    assert_sd_ok(xlsx_read_buffer(zip, len, "many.xlsx", NULL, collect, &got, &err), &err);
    expect_row(&got, 0, 2, row2);
    got_release(&got);
    free(zip);
    strbuf_release(&book);
    strbuf_release(&rels);
    strbuf_release(&styles);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_libxlsxwriter_table),
        cmocka_unit_test(test_libreoffice_table),
        cmocka_unit_test(test_excel_style),
        cmocka_unit_test(test_sheet_selection),
        cmocka_unit_test(test_sheet_not_found),
        cmocka_unit_test(test_1904_system),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_text_and_other_kinds),
        cmocka_unit_test(test_sparse_and_skipped_rows),
        cmocka_unit_test(test_empty_sheet),
        cmocka_unit_test(test_sheet_errors),
        cmocka_unit_test(test_callback_status),
        cmocka_unit_test(test_row_column_and_value_limits),
        cmocka_unit_test(test_zip_bomb),
        cmocka_unit_test(test_member_lying_about_its_size),
        cmocka_unit_test(test_long_tag),
        cmocka_unit_test(test_not_a_workbook),
        cmocka_unit_test(test_truncated_archive),
        cmocka_unit_test(test_broken_xml),
        cmocka_unit_test(test_package_parts),
        cmocka_unit_test(test_many_sheets_and_styles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
