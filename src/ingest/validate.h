/* SPDX-License-Identifier: MIT */
/*
 * validate: turns one field's text into its typed value, by the field's type
 * in the kinds table and the options of its mapping (date format, decimal
 * mark, thousands separator, percentages). Every rejection says why, in words
 * a person can act on, without the position (the caller adds file, row and
 * column).
 */
#ifndef SD_INGEST_VALIDATE_H
#define SD_INGEST_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "ingest/kinds.h"
#include "ingest/mapping.h"

/*
 * A typed value: integers (money, days, ms...) in `i`, text in `s`. For
 * FT_PERIOD, `s` is the text as given (valid) and `i` the period's first day.
 */
struct typed_value {
    int64_t i;
    const char *s; /* FT_TEXT, FT_ID, FT_ENUM: NUL-terminated, owned by the caller's buffer */
    size_t len;
};

/*
 * Parses `text` (`len` bytes, not empty) for field `def` under mapping options
 * `map` (may be NULL). FT_TEXT/FT_ID/FT_ENUM values point into `text`
 * (FT_ENUM normalised to the allowed spelling). `fy_start_month` is for
 * periods. Returns 0, or SD_EINVAL with the reason in err.
 */
int validate_value(const struct field_def *def, const struct field_map *map, const char *text,
                   size_t len, int fy_start_month, struct typed_value *out, struct sd_error *err);

/*
 * Parses a date in a strptime-like `format` (%Y %y %m %d %e %b %H %M %S and
 * literal characters); the time part, if any, goes to *ms_of_day (may be NULL).
 */
int validate_date_format(const char *text, size_t len, const char *format, int32_t *day,
                         int64_t *ms_of_day, struct sd_error *err);

#endif
