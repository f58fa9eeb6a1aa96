/* SPDX-License-Identifier: MIT */
/*
 * jsonrec: reads JSON records: an array of objects (`[{...}, {...}]`) or
 * NDJSON (one object per line), told apart by the first character. Each
 * object is one record (see record.h); its keys are the columns. Values:
 * strings are INGEST_TEXT (escapes decoded, UTF-8 checked), numbers
 * INGEST_NUMBER with their exact source text, true/false INGEST_BOOL, null
 * INGEST_EMPTY. A nested object or array as a value is an error naming the key
 * ("nested values are not supported"). Duplicate keys in one object are an
 * error. Nesting depth and sizes are limited (struct ingest_limits).
 */
#ifndef SD_INGEST_JSONREC_H
#define SD_INGEST_JSONREC_H

#include <stddef.h>

#include "ingest/record.h"

int jsonrec_read_file(const char *path, const char *name, const struct ingest_limits *limits,
                      ingest_record_fn *fn, void *ctx, struct sd_error *err);

int jsonrec_read_buffer(const char *data, size_t len, const char *name,
                        const struct ingest_limits *limits, ingest_record_fn *fn, void *ctx,
                        struct sd_error *err);

#endif
