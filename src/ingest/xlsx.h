/* SPDX-License-Identifier: MIT */
/*
 * xlsx: a streaming reader for Office Open XML workbooks (libzip + expat) that
 * emits the rows of one sheet as records (see record.h). The sheet's XML is
 * parsed as it is unzipped, one row in memory at a time; the shared strings
 * and the cell styles are loaded first.
 *
 * Header: the first row with a value names the columns, from column A up to
 * its last non-empty cell; an empty cell inside that range is an error
 * ("FILE:1: column 4 has no name"). Names are the cells' text as read
 * (numbers and dates as below); empty or repeated names are the caller's to
 * judge. A sheet without any value is an error, a header alone is not.
 *
 * Rows: `row` is the sheet's row number (the r attribute). Rows that are
 * missing, or hold only empty cells (formatting), are skipped. Cells skipped
 * inside a row (sparse rows) are INGEST_EMPTY, missing trailing cells are
 * absent (n_values stops at the last cell present). A value in a column past
 * the header's is an error; empty cells there are ignored.
 *
 * Cells: shared strings, inline strings and formula string results are
 * INGEST_TEXT (rich text runs joined, phonetic runs left out, "_x000D_"
 * escapes decoded); numbers are INGEST_NUMBER as the shortest decimal that
 * reads back to the same double ("9.8", not "9.8000000000000007"), in plain
 * notation for exponents -7..20 and as "1.5e-8" / "1e21" beyond; booleans are
 * INGEST_BOOL; a number whose cell style has a date or time format (built-in
 * ids 14-22, 45-47, the CJK date ids 27-36 and 50-58, or a custom format with
 * d/m/y/h/s outside quotes and brackets) is INGEST_DATE, in the workbook's
 * 1900 or 1904 date system: "YYYY-MM-DD" for an integral serial, else
 * "YYYY-MM-DDTHH:MM:SS" rounded to the second (a time alone is a time on day
 * 0, 1899-12-31 or 1904-01-01). Serial 60 of the 1900 system is 1900-02-29,
 * a day Excel counts but the calendar lacks: an error. Serials that are
 * negative or past 9999-12-31 stay numbers. ISO date cells (t="d") are
 * INGEST_DATE too. Empty cells and empty strings are INGEST_EMPTY. Error
 * cells (#N/A...) are INGEST_TEXT with the error text. Values that do not
 * parse (a number cell holding "abc", a shared string index past the table)
 * are SD_EINVAL naming row and column.
 *
 * Sheets: NULL picks the first worksheet (chart sheets are passed over); a
 * name matches exactly, then "N" is the N-th sheet in tab order (hidden ones
 * count), then a name matches ignoring ASCII case.
 *
 * Errors: "FILE:ROW: column 'NAME': ..." for values ("FILE:ROW: cell D7: ..."
 * before the header is known), "FILE: xl/worksheets/sheet1.xml line 3,
 * column 17: not well-formed (invalid token)" for XML, err->row and
 * err->column set where they apply. A DOCTYPE is refused (no entities).
 *
 * Safety: the total number of bytes decompressed and the compression ratio of
 * each member are limited (zip bombs), as are row count, columns and value
 * length; exceeding one is SD_ELIMIT with the position. Sizes are checked
 * against the zip directory before a member is opened and counted again as
 * it unzips (a member unzipping to more than it declares is SD_ELIMIT);
 * members up to 1 MiB are exempt from the ratio check (small XML compresses
 * well). One XML tag may not pass max_field_bytes + 1 MiB. Limits are taken
 * as given: 0 allows nothing.
 *
 * Numbers go through strtod/snprintf and so assume the "C" LC_NUMERIC locale,
 * which the program never changes.
 */
#ifndef SD_INGEST_XLSX_H
#define SD_INGEST_XLSX_H

#include "ingest/record.h"

struct xlsx_options {
    /* a sheet name, or "N" for the N-th sheet (1-based); NULL: the first worksheet */
    const char *sheet;
    struct ingest_limits limits;
};

/* Default options: the first worksheet, ingest_default_limits. */
void xlsx_options_init(struct xlsx_options *opt);

/*
 * Reads one sheet of the workbook at `path` (shown as `name`, or as `path`
 * when `name` is NULL) and calls `fn` for every row after the header. `opt`
 * may be NULL (the defaults). SD_ENOTFOUND when the sheet does not exist
 * (the message lists the sheets), SD_EINVAL for a file that is not a valid
 * workbook (an old .xls or an encrypted workbook is named as such),
 * SD_ELIMIT, SD_EIO when the file cannot be read, or what `fn` returned.
 * Records already passed to `fn` stay passed when a later row fails.
 */
int xlsx_read_file(const char *path, const char *name, const struct xlsx_options *opt,
                   ingest_record_fn *fn, void *ctx, struct sd_error *err);

/*
 * The same over a workbook in memory (tests, fuzzing, uploads); `data` is
 * borrowed, and a NULL `name` shows as "workbook".
 */
int xlsx_read_buffer(const void *data, size_t len, const char *name,
                     const struct xlsx_options *opt, ingest_record_fn *fn, void *ctx,
                     struct sd_error *err);

#endif
