/* SPDX-License-Identifier: MIT */
/*
 * record: what every input reader (csv, xlsx, jsonrec) emits and the mapping
 * consumes: one record at a time, as values aligned with a list of named
 * columns. Readers never touch the database.
 *
 * Lifetimes: a record and everything it points to (columns, values, text) are
 * valid only during the callback; a sink that keeps anything copies it.
 *
 * Columns: CSV and XLSX take the column names from their header row and never
 * change them. A JSON reader adds a column when a key first appears; it then
 * bumps `version`, so a sink that cached column positions knows to look again.
 *
 * Rows: `row` is the number a person finds the record by: the physical line
 * where the record starts in a CSV file (the header is line 1), the sheet row
 * in XLSX, the line in NDJSON, the element's position (1-based) in a JSON array.
 *
 * Errors: readers report malformed input as SD_EINVAL and limits as SD_ELIMIT,
 * with err->row (and err->column, 1-based, when known) set and a message that
 * starts with "FILE:ROW: " (or "FILE:ROW: column 'NAME': "). A callback's
 * non-zero return stops the reader, which returns that status unchanged.
 */
#ifndef SD_INGEST_RECORD_H
#define SD_INGEST_RECORD_H

#include <stddef.h>

#include "base/error.h"

enum ingest_kind {
    INGEST_ABSENT, /* no such key in this JSON object, or a missing trailing XLSX cell */
    INGEST_EMPTY,  /* an empty CSV field, an empty cell, JSON null */
    INGEST_TEXT,   /* text as written (UTF-8) */
    INGEST_NUMBER, /* a number from XLSX or JSON, as exact decimal text ("9.8", "-3", "1e-7") */
    INGEST_BOOL,   /* "true" or "false" */
    INGEST_DATE,   /* an XLSX date cell as ISO text: "2024-03-05" or "2024-03-05T08:30:00" */
};

struct ingest_value {
    const char *data; /* not NUL-terminated; NULL when len == 0 is fine */
    size_t len;
    enum ingest_kind kind;
};

struct ingest_columns {
    size_t n;
    const char *const *names; /* NUL-terminated UTF-8 */
    unsigned version;         /* changes whenever names change */
};

struct ingest_record {
    const char *file; /* the name to show in messages */
    long row;
    const struct ingest_columns *columns;
    const struct ingest_value *values; /* values[i] belongs to columns->names[i] */
    size_t n_values;                   /* <= columns->n; the rest are INGEST_ABSENT */
};

typedef int ingest_record_fn(void *ctx, const struct ingest_record *rec, struct sd_error *err);

/* Limits on everything sized by input; a reader stops with SD_ELIMIT past one. */
struct ingest_limits {
    size_t max_field_bytes;        /* one value */
    size_t max_columns;
    long max_rows;                 /* records, header not counted */
    size_t max_decompressed_bytes; /* XLSX: all zip members read, in total */
    size_t max_compression_ratio;  /* XLSX: uncompressed / compressed of one member */
    int max_depth;                 /* JSON nesting */
};

/* Generous defaults: 1 MiB fields, 1,000 columns, 100 million rows, 4 GiB unzipped, ratio 200, depth 32. */
extern const struct ingest_limits ingest_default_limits;

enum ingest_encoding {
    INGEST_ENC_AUTO,   /* UTF-8; if the input is not valid UTF-8, Windows-1252 */
    INGEST_ENC_UTF8,   /* invalid UTF-8 is an error naming row and column */
    INGEST_ENC_CP1252, /* Windows-1252, converted to UTF-8 */
    INGEST_ENC_LATIN1, /* ISO-8859-1, converted to UTF-8 */
};

/* "auto", "utf-8", "windows-1252"/"cp1252", "iso-8859-1"/"latin1" → enum; SD_EINVAL otherwise. */
int ingest_encoding_parse(const char *name, enum ingest_encoding *out);
/* A CSV delimiter the user names: one of , ; | or a tab ("tab", "\\t" or the byte); SD_EINVAL. */
int ingest_delimiter_parse(const char *name, char *out);

#endif
