/* SPDX-License-Identifier: MIT */
/*
 * csv: a streaming RFC 4180 reader (on libcsv, strict mode) that emits
 * records (see record.h). The first record is the header and names the
 * columns. Quoted fields, doubled quotes and line breaks inside quotes; LF,
 * CRLF and CR line ends; a UTF-8 byte order mark is skipped; spaces around
 * fields are kept as they are. Empty lines are skipped. Every record must
 * have as many fields as the header. Values are INGEST_TEXT, or INGEST_EMPTY
 * for an empty field (quoted "" too).
 *
 * Delimiter: ',' ';' tab or '|', detected from the header line (the one that
 * splits it into the most fields, outside quotes) unless given.
 * Encoding: see enum ingest_encoding; with AUTO the file is checked for valid
 * UTF-8 before the first record is emitted, so one file is read one way.
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
 * Reads the file at `path` (shown as `name` in messages) and calls `fn` for
 * every record after the header. Returns 0, SD_EINVAL (malformed),
 * SD_ELIMIT, SD_EIO (cannot read), or what `fn` returned.
 */
int csv_read_file(const char *path, const char *name, const struct csv_options *opt,
                  ingest_record_fn *fn, void *ctx, struct sd_error *err);

/* The same over a buffer in memory (tests, fuzzing, uploads). */
int csv_read_buffer(const char *data, size_t len, const char *name, const struct csv_options *opt,
                    ingest_record_fn *fn, void *ctx, struct sd_error *err);

#endif
