/* SPDX-License-Identifier: MIT */
/*
 * gen-fixtures: writes the XLSX fixtures of tests/unit/test-xlsx.c that come
 * from libxlsxwriter or from hand-written XML (see README.md here):
 *
 *   lxw-table.xlsx      the orders table of table.csv, typed cells, written by libxlsxwriter
 *   lxw-two-sheets.xlsx two sheets, "Orders" and "Lines"
 *   lxw-1904.xlsx       dates in the 1904 date system (libxlsxwriter 1.1.4 cannot
 *                       set it, so xl/workbook.xml is patched afterwards with libzip)
 *   excel-style.xlsx    the XML under excel-style/ zipped as it is
 *
 * and, with CORPUSDIR, uncompressed (stored) copies of lxw-table.xlsx and
 * excel-style.xlsx for the fuzz corpus, plus edges-stored.xlsx, a stored
 * workbook with the cells none of the fixtures has (ISO date cells, 1900
 * serials 59-61, escapes of 2- and 3-byte characters, a time alone): a fuzzer
 * can mutate the XML in those, while in a deflated member nearly every
 * mutation only breaks the deflate stream.
 *
 * Usage: gen-fixtures OUTDIR SRCDIR [CORPUSDIR] (SRCDIR holds excel-style/).
 * Build: cc -o gen-fixtures gen-fixtures.c $(pkg-config --cflags --libs xlsxwriter libzip)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>
#include <zip.h>

#define FIXED_MTIME 1709596800 /* 2024-03-05 00:00 UTC: reproducible zip entries */

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "gen-fixtures: %s: %s\n", what, detail);
    exit(1);
}

static void check(lxw_error rc, const char *what)
{
    if (rc != LXW_NO_ERROR)
        die(what, lxw_strerror(rc));
}

static const char *path_in(const char *dir, const char *name)
{
    static char buf[4096];
    if (snprintf(buf, sizeof(buf), "%s/%s", dir, name) >= (int)sizeof(buf))
        die("path too long", name);
    return buf;
}

static lxw_datetime when(int y, int mo, int d, int h, int mi, int s)
{
    lxw_datetime dt = {y, mo, d, h, mi, s};
    return dt;
}

/* The header and the rows of table.csv, with the types a person would give them. */
static void table_rows(lxw_workbook *wb, lxw_worksheet *ws)
{
    lxw_format *date = workbook_add_format(wb);
    lxw_format *stamp = workbook_add_format(wb);
    lxw_format *bold = workbook_add_format(wb);
    lxw_format *money = workbook_add_format(wb);
    format_set_num_format_index(date, 14); /* built-in m/d/yyyy */
    format_set_num_format(stamp, "yyyy-mm-dd hh:mm:ss");
    format_set_bold(bold);
    format_set_num_format(money, "#,##0.00 \"EUR\"");

    const char *header[] = {"order_id", "customer",   "note",       "qty",  "unit_price",
                            "discount", "order_date", "shipped_at", "paid", "total"};
    for (int c = 0; c < 10; c++)
        check(worksheet_write_string(ws, 0, c, header[c], bold), "header");

    lxw_datetime d;
    /* row 2 */
    check(worksheet_write_number(ws, 1, 0, 10248, NULL), "A2");
    check(worksheet_write_string(ws, 1, 1, "Café \"Le Petit\"", NULL), "B2");
    check(worksheet_write_string(ws, 1, 2, "Überweisung à 30 jours", NULL), "C2");
    check(worksheet_write_number(ws, 1, 3, 12, NULL), "D2");
    check(worksheet_write_number(ws, 1, 4, 9.8, money), "E2");
    check(worksheet_write_number(ws, 1, 5, 0.15, NULL), "F2");
    d = when(2024, 3, 5, 0, 0, 0);
    check(worksheet_write_datetime(ws, 1, 6, &d, date), "G2");
    d = when(2024, 3, 6, 8, 30, 0);
    check(worksheet_write_datetime(ws, 1, 7, &d, stamp), "H2");
    check(worksheet_write_boolean(ws, 1, 8, 1, NULL), "I2");
    check(worksheet_write_formula_num(ws, 1, 9, "=D2*E2*(1-F2)", money, 99.96), "J2");
    /* row 3 */
    check(worksheet_write_number(ws, 2, 0, 10249, NULL), "A3");
    check(worksheet_write_string(ws, 2, 1, "O'Brien & Søn", NULL), "B3");
    check(worksheet_write_string(ws, 2, 2, "he said \"ship it\"", NULL), "C3");
    check(worksheet_write_number(ws, 2, 3, -3, NULL), "D3");
    check(worksheet_write_number(ws, 2, 4, 1234.5, money), "E3");
    check(worksheet_write_number(ws, 2, 5, 0, NULL), "F3");
    d = when(2024, 2, 29, 0, 0, 0);
    check(worksheet_write_datetime(ws, 2, 6, &d, date), "G3");
    d = when(2024, 3, 1, 17, 45, 30);
    check(worksheet_write_datetime(ws, 2, 7, &d, stamp), "H3");
    check(worksheet_write_boolean(ws, 2, 8, 0, NULL), "I3");
    check(worksheet_write_formula_num(ws, 2, 9, "=D3*E3*(1-F3)", money, -3703.5), "J3");
    /* row 4: sparse; C4 is blank but formatted, the others after G4 are missing */
    check(worksheet_write_number(ws, 3, 0, 10250, NULL), "A4");
    check(worksheet_write_string(ws, 3, 1, "Ærøskøbing ApS", NULL), "B4");
    check(worksheet_write_blank(ws, 3, 2, bold), "C4");
    check(worksheet_write_number(ws, 3, 3, 1, NULL), "D4");
    d = when(2024, 12, 31, 0, 0, 0);
    check(worksheet_write_datetime(ws, 3, 6, &d, date), "G4");
    /* row 5 is missing; row 6 has a rich string (two runs) */
    check(worksheet_write_number(ws, 5, 0, 10251, NULL), "A6");
    lxw_rich_string_tuple run1 = {.format = bold, .string = "Zoë's"};
    lxw_rich_string_tuple run2 = {.format = NULL, .string = " Bäckerei"};
    lxw_rich_string_tuple *runs[] = {&run1, &run2, NULL};
    check(worksheet_write_rich_string(ws, 5, 1, runs, NULL), "B6");
    check(worksheet_write_string(ws, 5, 2, "100 % – ok", NULL), "C6");
    check(worksheet_write_number(ws, 5, 3, 1000000, NULL), "D6");
    check(worksheet_write_number(ws, 5, 4, 0.1, money), "E6");
    check(worksheet_write_number(ws, 5, 5, 0.333, NULL), "F6");
    d = when(1999, 12, 31, 0, 0, 0);
    check(worksheet_write_datetime(ws, 5, 6, &d, date), "G6");
    d = when(2000, 1, 1, 0, 0, 1);
    check(worksheet_write_datetime(ws, 5, 7, &d, stamp), "H6");
    check(worksheet_write_boolean(ws, 5, 8, 1, NULL), "I6");
    check(worksheet_write_formula_num(ws, 5, 9, "=D6*E6*(1-F6)", money, 66700), "J6");
}

static void write_table(const char *out)
{
    lxw_workbook *wb = workbook_new(path_in(out, "lxw-table.xlsx"));
    if (!wb)
        die("workbook_new", "lxw-table.xlsx");
    table_rows(wb, workbook_add_worksheet(wb, "Orders"));
    check(workbook_close(wb), "lxw-table.xlsx");
}

static void write_two_sheets(const char *out)
{
    lxw_workbook *wb = workbook_new(path_in(out, "lxw-two-sheets.xlsx"));
    if (!wb)
        die("workbook_new", "lxw-two-sheets.xlsx");
    lxw_worksheet *orders = workbook_add_worksheet(wb, "Orders");
    lxw_worksheet *lines = workbook_add_worksheet(wb, "Lines");
    check(worksheet_write_string(orders, 0, 0, "id", NULL), "Orders!A1");
    check(worksheet_write_string(orders, 0, 1, "amount", NULL), "Orders!B1");
    check(worksheet_write_string(orders, 1, 0, "A-1", NULL), "Orders!A2");
    check(worksheet_write_number(orders, 1, 1, 19.99, NULL), "Orders!B2");
    check(worksheet_write_string(orders, 2, 0, "A-2", NULL), "Orders!A3");
    check(worksheet_write_number(orders, 2, 1, 5, NULL), "Orders!B3");
    const char *head[] = {"order", "sku", "qty"};
    for (int c = 0; c < 3; c++)
        check(worksheet_write_string(lines, 0, c, head[c], NULL), "Lines header");
    for (int r = 1; r <= 3; r++) {
        char sku[16];
        snprintf(sku, sizeof(sku), "SKU-%d", r * 10);
        check(worksheet_write_string(lines, r, 0, r < 3 ? "A-1" : "A-2", NULL), "Lines A");
        check(worksheet_write_string(lines, r, 1, sku, NULL), "Lines B");
        check(worksheet_write_number(lines, r, 2, r * 2, NULL), "Lines C");
    }
    check(workbook_close(wb), "lxw-two-sheets.xlsx");
}

/* Replaces xl/workbook.xml's "<workbookPr " with one that sets the 1904 date system. */
static void patch_1904(const char *path)
{
    int code = 0;
    zip_t *za = zip_open(path, 0, &code);
    if (!za)
        die("zip_open", path);
    zip_stat_t st;
    zip_file_t *zf = NULL;
    if (zip_stat(za, "xl/workbook.xml", 0, &st) != 0 || !(zf = zip_fopen(za, "xl/workbook.xml", 0)))
        die("xl/workbook.xml", zip_strerror(za));
    char *xml = calloc(1, st.size + 1);
    char *patched = calloc(1, st.size + 64);
    if (!xml || !patched || zip_fread(zf, xml, st.size) != (zip_int64_t)st.size)
        die("read", "xl/workbook.xml");
    zip_fclose(zf);
    char *at = strstr(xml, "<workbookPr ");
    if (!at)
        die("no <workbookPr> in", path);
    int n = snprintf(patched, st.size + 64, "%.*s<workbookPr date1904=\"1\" %s", (int)(at - xml),
                     xml, at + strlen("<workbookPr "));
    zip_source_t *src = zip_source_buffer(za, patched, (zip_uint64_t)n, 1);
    zip_int64_t index = zip_name_locate(za, "xl/workbook.xml", 0);
    if (!src || index < 0 || zip_file_replace(za, (zip_uint64_t)index, src, 0) != 0)
        die("replace xl/workbook.xml", zip_strerror(za));
    if (zip_close(za) != 0)
        die("zip_close", path);
    free(xml);
}

/* The same instants as dates in the 1904 system: serial 0 is 1904-01-01. */
static void write_1904(const char *out)
{
    const char *path = path_in(out, "lxw-1904.xlsx");
    lxw_workbook *wb = workbook_new(path);
    if (!wb)
        die("workbook_new", "lxw-1904.xlsx");
    lxw_worksheet *ws = workbook_add_worksheet(wb, "Dates");
    lxw_format *date = workbook_add_format(wb);
    lxw_format *stamp = workbook_add_format(wb);
    format_set_num_format(date, "yyyy-mm-dd");
    format_set_num_format(stamp, "yyyy-mm-dd hh:mm:ss");
    struct {
        const char *label;
        lxw_datetime dt;
        lxw_format *fmt;
    } rows[] = {
        {"epoch", {1904, 1, 1, 0, 0, 0}, date},
        {"leap day", {2024, 2, 29, 0, 0, 0}, date},
        {"meeting", {2024, 3, 5, 8, 30, 0}, stamp},
        {"y2k", {1999, 12, 31, 23, 59, 59}, stamp},
    };
    check(worksheet_write_string(ws, 0, 0, "label", NULL), "A1");
    check(worksheet_write_string(ws, 0, 1, "when", NULL), "B1");
    check(worksheet_write_string(ws, 0, 2, "serial", NULL), "C1");
    for (int r = 0; r < 4; r++) {
        double serial = lxw_datetime_to_excel_date_epoch(&rows[r].dt, LXW_EPOCH_1904);
        check(worksheet_write_string(ws, r + 1, 0, rows[r].label, NULL), "label");
        check(worksheet_write_number(ws, r + 1, 1, serial, rows[r].fmt), "when");
        check(worksheet_write_number(ws, r + 1, 2, serial, NULL), "serial");
    }
    check(workbook_close(wb), "lxw-1904.xlsx");
    patch_1904(path);
}

/* Zips SRCDIR/excel-style/<member> for each member, deflated, with a fixed time stamp. */
static void write_excel_style(const char *out, const char *src_dir)
{
    static const char *members[] = {
        "[Content_Types].xml",        "_rels/.rels",
        "docProps/app.xml",           "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels", "xl/styles.xml",
        "xl/sharedStrings.xml",       "xl/worksheets/sheet1.xml",
    };
    char path[4096];
    int code = 0;
    zip_t *za = zip_open(path_in(out, "excel-style.xlsx"), ZIP_CREATE | ZIP_TRUNCATE, &code);
    if (!za)
        die("zip_open", "excel-style.xlsx");
    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
        snprintf(path, sizeof(path), "%s/excel-style/%s", src_dir, members[i]);
        zip_source_t *src = zip_source_file(za, path, 0, -1);
        zip_int64_t index = src ? zip_file_add(za, members[i], src, ZIP_FL_ENC_UTF_8) : -1;
        if (index < 0)
            die(path, zip_strerror(za));
        zip_file_set_mtime(za, (zip_uint64_t)index, FIXED_MTIME, 0);
    }
    if (zip_close(za) != 0)
        die("zip_close", "excel-style.xlsx");
}

/* DIR/NAME.xlsx again as CORPUS/NAME-stored.xlsx, every member stored uncompressed. */
static void write_stored_copy(const char *dir, const char *name, const char *corpus)
{
    char from[4096], to[4096];
    int code = 0;
    snprintf(from, sizeof(from), "%s/%s.xlsx", dir, name);
    snprintf(to, sizeof(to), "%s/%s-stored.xlsx", corpus, name);
    zip_t *src = zip_open(from, ZIP_RDONLY, &code);
    zip_t *dst = src ? zip_open(to, ZIP_CREATE | ZIP_TRUNCATE, &code) : NULL;
    if (!dst)
        die("zip_open", src ? to : from);
    zip_int64_t n = zip_get_num_entries(src, 0);
    for (zip_int64_t i = 0; i < n; i++) {
        zip_source_t *data = zip_source_zip(dst, src, (zip_uint64_t)i, 0, 0, -1);
        zip_int64_t index =
            data ? zip_file_add(dst, zip_get_name(src, (zip_uint64_t)i, 0), data, 0) : -1;
        if (index < 0 || zip_set_file_compression(dst, (zip_uint64_t)index, ZIP_CM_STORE, 0) != 0)
            die(to, zip_strerror(dst));
        zip_file_set_mtime(dst, (zip_uint64_t)index, FIXED_MTIME, 0);
    }
    if (zip_close(dst) != 0)
        die("zip_close", to);
    zip_discard(src);
}

/* A stored workbook of edge cases for the fuzz corpus only (the unit test builds its own). */
static void write_edges(const char *corpus)
{
    static const char *const parts[][2] = {
        {"xl/workbook.xml",
         "<workbook xmlns:r=\"r\"><workbookPr date1904=\"0\"/><sheets>"
         "<sheet name=\"Edges\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"},
        {"xl/_rels/workbook.xml.rels",
         "<Relationships><Relationship Id=\"rId1\" Type=\"x/worksheet\" Target=\"e.xml\"/>"
         "<Relationship Id=\"rId2\" Type=\"x/styles\" Target=\"/xl/s.xml\"/>"
         "<Relationship Id=\"rId3\" Type=\"x/sharedStrings\" Target=\"./t.xml\"/>"
         "</Relationships>"},
        {"xl/s.xml", "<styleSheet><numFmts><numFmt numFmtId=\"164\" formatCode=\"[h]:mm\"/>"
                     "</numFmts><cellXfs><xf/><xf numFmtId=\"14\"/><xf numFmtId=\"164\"/>"
                     "</cellXfs></styleSheet>"},
        {"xl/t.xml", "<sst><si><t>a_x00E9__x20AC_</t></si><si><r><t>x</t></r><rPh><t>y</t></rPh>"
                     "</si></sst>"},
        {"xl/e.xml",
         "<worksheet><sheetData><row r=\"1\"><c t=\"s\"><v>0</v></c><c t=\"s\"><v>1</v></c>"
         "<c t=\"inlineStr\"><is><t>k</t></is></c></row>"
         "<row r=\"2\"><c t=\"d\"><v>2024-03-05T08:30:00Z</v></c><c s=\"1\"><v>59</v></c>"
         "<c s=\"2\"><v>0.75</v></c></row>"
         "<row r=\"3\"><c t=\"d\"><v>2024-03-05</v></c><c s=\"1\"><v>61</v></c>"
         "<c t=\"b\"><v>1</v></c></row>"
         "<row r=\"5\"><c r=\"C5\" t=\"e\"><v>#N/A</v></c></row></sheetData></worksheet>"},
    };
    char path[4096];
    int code = 0;
    snprintf(path, sizeof(path), "%s/edges-stored.xlsx", corpus);
    zip_t *za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &code);
    if (!za)
        die("zip_open", path);
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        zip_source_t *src = zip_source_buffer(za, parts[i][1], strlen(parts[i][1]), 0);
        zip_int64_t index = src ? zip_file_add(za, parts[i][0], src, 0) : -1;
        if (index < 0 || zip_set_file_compression(za, (zip_uint64_t)index, ZIP_CM_STORE, 0) != 0)
            die(path, zip_strerror(za));
        zip_file_set_mtime(za, (zip_uint64_t)index, FIXED_MTIME, 0);
    }
    if (zip_close(za) != 0)
        die("zip_close", path);
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: gen-fixtures OUTDIR SRCDIR [CORPUSDIR]\n");
        return 2;
    }
    write_table(argv[1]);
    write_two_sheets(argv[1]);
    write_1904(argv[1]);
    write_excel_style(argv[1], argv[2]);
    if (argc == 4) {
        write_stored_copy(argv[1], "lxw-table", argv[3]);
        write_stored_copy(argv[1], "excel-style", argv[3]);
        write_edges(argv[3]);
    }
    return 0;
}
