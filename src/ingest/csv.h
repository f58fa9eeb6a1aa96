/* SPDX-License-Identifier: MIT */
/*
 * csv: a streaming RFC 4180 reader (on libcsv, strict mode) that emits
 * records (see record.h). The first record is the header and names the
 * columns. Quoted fields, doubled quotes and line breaks inside quotes; LF,
 * CRLF and CR line ends; a UTF-8 byte order mark is skipped; spaces around
 * fields are kept as they are. Empty lines are skipped (a line of spaces is
 * not empty). Every record must have as many fields as the header. Values are
 * INGEST_TEXT, or INGEST_EMPTY for an empty field (quoted "" too); an empty
 * value's data is "" (not NULL). Header names are taken as written: empty or
 * repeated names are the caller's to judge.
 *
 * Strict: a quote inside an unquoted field, text after a closing quote, and
 * a quoted field still open at the end of the input are errors (SD_EINVAL),
 * as are a file without any record (no header), a NUL byte (binary or
 * UTF-16 data) and a UTF-16 byte order mark.
 *
 * Rows and columns: err->row and a record's row are the physical line where
 * the record starts (the header is line 1 unless empty lines precede it); a
 * record whose quoted fields span lines 3-4 is row 3 and the next one row 5.
 * Messages name the column by its header name ("column 'email': ") once the
 * header is known, by number otherwise; err->column is always the number.
 *
 * Delimiter: ',' ';' tab or '|', detected from the header line (the one that
 * splits it into the most fields, outside quotes; ties go in that order, none
 * found means ','), looking at no more than the first MiB of the input, unless
 * given. A given delimiter may be any ASCII byte but '"', CR and LF.
 *
 * Encoding: see enum ingest_encoding; with AUTO the file is checked for valid
 * UTF-8 before the first record is emitted, so one file is read one way (a
 * large file is read twice for that). A UTF-8 byte order mark settles AUTO on
 * UTF-8, so a bad byte after it is an error rather than a reason to read the
 * file as Windows-1252. Windows-1252's five undefined bytes (0x81 0x8D 0x8F
 * 0x90 0x9D) become U+0081... as in the WHATWG encoding standard.
 *
 * Limits: max_field_bytes counts a value's bytes before conversion to UTF-8
 * (a doubled quote once), checked while the value is read: it never grows
 * past the limit by more than 64 KiB, so an over-long value may be reported
 * before a quoting error later in it. max_columns counts the header's fields;
 * max_rows the records after the header. Past one the reader stops with
 * SD_ELIMIT, row and column set.
 *
 * Memory: a fixed 1 MiB read buffer for files, the longest record, and
 * libcsv's buffer for the longest quoted value; nothing is allocated per field.
 */
#ifndef SD_INGEST_CSV_H
#define SD_INGEST_CSV_H

#include <stddef.h>

#include "ingest/record.h"

struct csv_options {
    char delimiter; /* 0: detect */
    enum ingest_encoding encoding;
    struct ingest_limits limits;
};

/* Default options: detect the delimiter, AUTO encoding, default limits. */
void csv_options_init(struct csv_options *opt);

/*
 * Reads the file at `path` (shown as `name` in messages; NULL: the path) and
 * calls `fn` for every record after the header. Returns 0, SD_EINVAL
 * (malformed, or a bad delimiter or encoding in `opt`), SD_ELIMIT, SD_EIO
 * (cannot open or read; the message names the path), or what `fn` returned.
 * Records passed to `fn` before a failure stay passed: a caller that wants
 * all or nothing undoes them. AUTO reads an input over 1 MiB twice, so on a
 * pipe that size it fails with SD_EIO; give the encoding there.
 */
int csv_read_file(const char *path, const char *name, const struct csv_options *opt,
                  ingest_record_fn *fn, void *ctx, struct sd_error *err);

/* The same over a buffer in memory (tests, fuzzing, uploads); `name` NULL shows "(input)". */
int csv_read_buffer(const char *data, size_t len, const char *name, const struct csv_options *opt,
                    ingest_record_fn *fn, void *ctx, struct sd_error *err);

#endif
