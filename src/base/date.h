/* SPDX-License-Identifier: MIT */
/*
 * date: calendar dates as int32_t days since 1970-01-01 (proleptic Gregorian,
 * no time zone), timestamps as int64_t milliseconds since the epoch in UTC, and
 * reporting periods (day, ISO week, month, quarter, year, fiscal quarter and
 * fiscal year, and explicit FROM..TO ranges).
 *
 * Supported years are 0001..9999. ISO 8601 is the only text form.
 *
 * Fiscal years: `fy_start_month` (1..12) is the month the fiscal year starts.
 * A fiscal year is named after the calendar year in which it ENDS: with a July
 * start, FY2024 runs 2023-07-01..2024-06-30; with a January start FY2024 is
 * the calendar year 2024. FY2024-Q1 is the first three months of FY2024.
 */
#ifndef SD_BASE_DATE_H
#define SD_BASE_DATE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define DATE_MIN_YEAR 1
#define DATE_MAX_YEAR 9999
#define DATE_TEXT_MAX 11        /* "YYYY-MM-DD" + NUL */
#define TS_TEXT_MAX 25          /* "YYYY-MM-DDTHH:MM:SS.mmmZ" + NUL */
#define PERIOD_TEXT_MAX 32      /* "YYYY-MM-DD..YYYY-MM-DD" + NUL */

/*
 * Day number of a valid civil date (caller checks validity with date_valid);
 * for anything else the result is arithmetic without meaning.
 */
int32_t date_from_civil(int year, int month, int day);
/* Civil date of a day number. */
void date_to_civil(int32_t days, int *year, int *month, int *day);
/* 1 when year-month-day is a real calendar date within the supported years. */
int date_valid(int year, int month, int day);
int date_is_leap_year(int year);
/* 28..31, or 0 for a month outside 1..12. */
int date_days_in_month(int year, int month);

/*
 * Parses exactly "YYYY-MM-DD" (len bytes, no surrounding space). Returns 0 or
 * SD_EINVAL; `*out` is untouched on error. Errors name the text and the reason:
 * "'2024-13-01' is not a date (YYYY-MM-DD): month 13 out of range", "... day 00
 * out of range", "... year 0000 out of range (0001..9999)", and for a day the
 * calendar lacks "'2023-02-29' is not a date: 2023 has no february 29".
 */
int date_parse(const char *s, size_t len, int32_t *out, struct sd_error *err);
/*
 * Writes "YYYY-MM-DD" into buf (DATE_TEXT_MAX bytes); returns 10. A day outside
 * the supported years still gives NUL-terminated text within DATE_TEXT_MAX,
 * but not a meaningful one.
 */
size_t date_format(int32_t days, char *buf);

/* ISO weekday: 1 = Monday .. 7 = Sunday. */
int date_weekday(int32_t days);
/* ISO 8601 week-numbering year and week (1..53) of a day. */
void date_iso_week(int32_t days, int *iso_year, int *week);
/*
 * First day (Monday) of ISO week `week` of `iso_year`; SD_EINVAL if that week
 * does not exist or the year is outside 0001..9999 (`*out` untouched).
 */
int date_from_iso_week(int iso_year, int week, int32_t *out);
/* Number of ISO weeks (52 or 53) in an ISO year. */
int date_iso_weeks_in_year(int iso_year);
/* Adds `months` calendar months, clamping the day to the end of the target month. */
int32_t date_add_months(int32_t days, int months);

/* Milliseconds since the epoch, UTC, from the system clock. */
int64_t ts_now_ms(void);
/*
 * Parses "YYYY-MM-DDTHH:MM[:SS[.fff]]" with an optional "Z" or "±HH:MM" offset
 * (no offset means UTC); a space may stand for the 'T'. A plain date means
 * midnight UTC. The fraction has 1 to 9 digits; digits past the milliseconds
 * are dropped (".123456" is 123 ms). Hours 00..23, minutes and seconds 00..59
 * (no leap second), offsets up to ±23:59; 'T' and 'Z' are upper case only.
 * Returns 0 or SD_EINVAL with a message like date_parse's; `*out` is untouched
 * on error.
 */
int ts_parse(const char *s, size_t len, int64_t *out, struct sd_error *err);
/*
 * Writes "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf (TS_TEXT_MAX bytes); returns its
 * length (24 within the supported years; the text stays bounded outside them).
 */
size_t ts_format(int64_t ms, char *buf);
/*
 * Day number containing timestamp `ms` (floor division, correct before 1970),
 * clamped to the int32_t range for absurd timestamps.
 */
int32_t ts_to_date(int64_t ms);

enum period_kind {
    PERIOD_DAY,
    PERIOD_WEEK,       /* ISO week, Monday..Sunday */
    PERIOD_MONTH,
    PERIOD_QUARTER,
    PERIOD_YEAR,
    PERIOD_FQUARTER,   /* fiscal quarter */
    PERIOD_FYEAR,      /* fiscal year */
    PERIOD_RANGE,      /* explicit FROM..TO */
};

/* A period: its kind and the first and last day it covers, both included. */
struct period {
    enum period_kind kind;
    int32_t first;
    int32_t last;
    int fy_start_month; /* 1..12; meaningful for fiscal kinds, kept for all */
};

/*
 * Parses a period: "2024-03-05", "2024-W05", "2024-07", "2024-Q3", "2024",
 * "FY2024-Q1", "FY2024", or "2024-01-01..2024-03-31" (both included, FROM <=
 * TO). `fy_start_month` is 1..12. The whole period must lie within
 * 0001-01-01..9999-12-31 (so "9999-W52", which ends in 10000, and "FY0001"
 * with a start month other than January are rejected). Returns 0 or
 * SD_EINVAL: "'2021-W53' is not a period: 2021 has only 52 iso weeks", "'...'
 * is not a period (YYYY-MM-DD, YYYY-Www, ...)"; a day, or a range end, that is
 * not a date carries date_parse's message. `*out` is untouched on error.
 * `out->fy_start_month` is `fy_start_month` for every kind.
 */
int period_parse(const char *s, size_t len, int fy_start_month, struct period *out,
                 struct sd_error *err);
/*
 * Writes the canonical text of a period (as period_parse accepts it) into buf
 * (PERIOD_TEXT_MAX bytes); returns its length. The text is named after
 * `p->first` (and `p->last` for a range); fiscal kinds use p->fy_start_month.
 */
size_t period_format(const struct period *p, char *buf);
/*
 * The period of `kind` that contains `day`. PERIOD_RANGE gives the single day.
 * A `fy_start_month` outside 1..12 is taken as 1.
 */
struct period period_containing(int32_t day, enum period_kind kind, int fy_start_month);
/*
 * The period of the same kind just before `p`; a range moves back by its own
 * length. Here and in period_last_year, a result past the supported years is
 * computed all the same (period_parse would not accept its text).
 */
struct period period_prev(const struct period *p);
/*
 * The same period one year earlier: 2024-Q3 -> 2023-Q3, FY2024 -> FY2023; a week
 * keeps its number in the previous ISO year (W53 becomes that year's last
 * week when it has only 52); a day or range moves back 12 months (Feb 29 ->
 * Feb 28).
 */
struct period period_last_year(const struct period *p);
/* Number of days in the period. */
int32_t period_days(const struct period *p);

#endif
