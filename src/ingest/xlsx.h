/* SPDX-License-Identifier: MIT */
/*
 * xlsx: a streaming reader for Office Open XML workbooks (libzip + expat) that
 * emits the rows of one sheet as records (see record.h). The first row is the
 * header and names the columns.
 *
 * Cells: shared strings, inline strings and formula string results are
 * INGEST_TEXT; numbers are INGEST_NUMBER as the shortest decimal that reads
 * back to the same double ("9.8", not "9.8000000000000007"); booleans are
 * INGEST_BOOL; a number whose cell style has a date or time format
 * (built-in ids 14-22, 45-47, or a custom format with d/m/y/h/s outside
 * quotes and brackets) is INGEST_DATE, in the workbook's 1900 or 1904 date
 * system; empty and missing cells (sparse rows) are INGEST_EMPTY. Error
 * cells (#N/A...) are INGEST_TEXT with the error text.
 *
 * Safety: the total number of bytes decompressed and the compression ratio of
 * each member are limited (zip bombs), as are row count, columns and value
 * length; exceeding one is SD_ELIMIT with the position.
 */
#ifndef SD_INGEST_XLSX_H
#define SD_INGEST_XLSX_H

#include "ingest/record.h"

struct xlsx_options {
    const char *sheet; /* a sheet name, or "N" for the N-th sheet (1-based); NULL: the first */
    struct ingest_limits limits;
};

void xlsx_options_init(struct xlsx_options *opt);

/*
 * Reads one sheet of the workbook at `path` (shown as `name`) and calls `fn`
 * for every row after the header. SD_ENOTFOUND when the sheet does not exist
 * (the message lists the sheets), SD_EINVAL for a file that is not a valid
 * workbook, SD_ELIMIT, SD_EIO, or what `fn` returned.
 */
int xlsx_read_file(const char *path, const char *name, const struct xlsx_options *opt,
                   ingest_record_fn *fn, void *ctx, struct sd_error *err);

/* The same over a workbook in memory (tests, fuzzing, uploads). */
int xlsx_read_buffer(const void *data, size_t len, const char *name,
                     const struct xlsx_options *opt, ingest_record_fn *fn, void *ctx,
                     struct sd_error *err);

#endif
