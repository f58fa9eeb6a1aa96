/* SPDX-License-Identifier: MIT */
/*
 * date: civil dates as day numbers, ISO weeks, UTC timestamps and reporting
 * periods. Day arithmetic follows Howard Hinnant's days_from_civil and
 * civil_from_days: years are counted from March so that February and its
 * leap day come last, and 400-year eras (146097 days) make the leap rule
 * periodic, so the same integer formulas hold before and after the epoch.
 * Nothing here touches the C library's time zone machinery; the only system
 * call is the clock read by ts_now_ms.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c17 */
#endif

#include "base/date.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "base/banned.h"

#define MS_PER_SECOND INT64_C(1000)
#define MS_PER_MINUTE INT64_C(60000)
#define MS_PER_DAY INT64_C(86400000)
#define DAY_FIRST (-719162) /* 0001-01-01 */
#define DAY_LAST 2932896    /* 9999-12-31 */
#define DAYS_TO_MARCH_0000 719468 /* 0000-03-01 is day -719468 */
#define DAYS_PER_ERA 146097       /* 400 Gregorian years */

#define DATE_FORM "YYYY-MM-DD"
#define TS_FORM "YYYY-MM-DDTHH:MM[:SS[.fff]][Z|+HH:MM]"
#define PERIOD_FORMS "YYYY-MM-DD, YYYY-Www, YYYY-MM, YYYY-Qn, YYYY, FYYYYY-Qn, FYYYYY or FROM..TO"


struct civil {
    int year;
    int month;
    int day;
};

/* What made date or timestamp text unacceptable; the values sit in struct ts_fields. */
enum fault {
    FAULT_NONE,
    FAULT_SHAPE,       /* not the expected layout of digits and separators */
    FAULT_YEAR,        /* year 0000 */
    FAULT_MONTH,       /* month outside 01..12 */
    FAULT_DAY,         /* day outside 01..31 */
    FAULT_NO_SUCH_DAY, /* day past the end of its month */
    FAULT_HOUR,
    FAULT_MINUTE,
    FAULT_SECOND,
    FAULT_OFFSET,
};

struct ts_fields {
    struct civil date;
    int hour;
    int minute;
    int second;
    int millis;
    char offset_sign; /* '+', '-', or 0 for UTC */
    int offset_hour;
    int offset_minute;
};

static const char *const month_names[] = {
    "january", "february", "march",     "april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december",
};

/* Division and remainder rounding towards minus infinity (b > 0). */
static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b < 0);
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    int64_t r = a % b;
    return r < 0 ? r + b : r;
}

static int32_t clamp_day(int64_t days)
{
    if (days > INT32_MAX)
        return INT32_MAX;
    return days < INT32_MIN ? INT32_MIN : (int32_t)days;
}

/* Writes `v` (0 <= v < 10^width) as exactly `width` digits, zero-padded; no NUL. */
static void put_digits(char *buf, int v, int width)
{
    for (int i = width - 1; i >= 0; i--, v /= 10)
        buf[i] = (char)('0' + v % 10);
}

/* Length of what snprintf wrote into a buffer of `size` bytes. */
static size_t written_len(int written, size_t size)
{
    if (written < 0)
        return 0;
    return (size_t)written < size ? (size_t)written : size - 1;
}

static int64_t days_from_civil(int64_t year, int month, int day)
{
    year -= month <= 2;
    int64_t era = floor_div(year, 400);
    int64_t year_of_era = year - era * 400; /* 0..399 */
    int64_t march_month = month > 2 ? month - 3 : month + 9; /* 0 = March .. 11 = February */
    int64_t day_of_year = (153 * march_month + 2) / 5 + day - 1; /* 0..365 */
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * DAYS_PER_ERA + day_of_era - DAYS_TO_MARCH_0000;
}

static struct civil civil_from_days(int64_t days)
{
    int64_t shifted = days + DAYS_TO_MARCH_0000;
    int64_t era = floor_div(shifted, DAYS_PER_ERA);
    int64_t day_of_era = shifted - era * DAYS_PER_ERA; /* 0..146096 */
    int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t march_month = (5 * day_of_year + 2) / 153; /* 0 = March .. 11 = February */
    struct civil c;

    c.day = (int)(day_of_year - (153 * march_month + 2) / 5 + 1);
    c.month = (int)(march_month < 10 ? march_month + 3 : march_month - 9);
    c.year = (int)(year_of_era + era * 400 + (c.month <= 2));
    return c;
}

int32_t date_from_civil(int year, int month, int day)
{
    return clamp_day(days_from_civil(year, month, day));
}

void date_to_civil(int32_t days, int *year, int *month, int *day)
{
    struct civil c = civil_from_days(days);
    *year = c.year;
    *month = c.month;
    *day = c.day;
}

int date_is_leap_year(int year)
{
    return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

int date_days_in_month(int year, int month)
{
    static const int days_in_month[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (month < 1 || month > 12)
        return 0;
    return days_in_month[month - 1] + (month == 2 && date_is_leap_year(year));
}

int date_valid(int year, int month, int day)
{
    if (year < DATE_MIN_YEAR || year > DATE_MAX_YEAR)
        return 0;
    return day >= 1 && day <= date_days_in_month(year, month);
}

/* The value of `count` digits at `s`, or -1 when one of them is not a digit. */
static int read_digits(const char *s, int count)
{
    int value = 0;

    for (int i = 0; i < count; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        value = value * 10 + (s[i] - '0');
    }
    return value;
}

/* Reads "YYYY-MM-DD" from the 10 bytes at `s`. */
static enum fault scan_civil(const char *s, struct civil *c)
{
    c->year = read_digits(s, 4);
    c->month = read_digits(s + 5, 2);
    c->day = read_digits(s + 8, 2);
    if (c->year < 0 || c->month < 0 || c->day < 0 || s[4] != '-' || s[7] != '-')
        return FAULT_SHAPE;
    if (c->year < DATE_MIN_YEAR)
        return FAULT_YEAR;
    if (c->month < 1 || c->month > 12)
        return FAULT_MONTH;
    if (c->day < 1 || c->day > 31)
        return FAULT_DAY;
    if (c->day > date_days_in_month(c->year, c->month))
        return FAULT_NO_SUCH_DAY;
    return FAULT_NONE;
}

static void describe_fault(enum fault fault, const struct ts_fields *f, char *detail, size_t size)
{
    const struct civil *c = &f->date;

    detail[0] = '\0';
    switch (fault) {
    case FAULT_NONE:
    case FAULT_SHAPE:
        break;
    case FAULT_YEAR:
        snprintf(detail, size, "year %04d out of range (0001..9999)", c->year);
        break;
    case FAULT_MONTH:
        snprintf(detail, size, "month %02d out of range", c->month);
        break;
    case FAULT_DAY:
        snprintf(detail, size, "day %02d out of range", c->day);
        break;
    case FAULT_NO_SUCH_DAY:
        snprintf(detail, size, "%04d has no %s %d", c->year, month_names[c->month - 1], c->day);
        break;
    case FAULT_HOUR:
        snprintf(detail, size, "hour %02d out of range", f->hour);
        break;
    case FAULT_MINUTE:
        snprintf(detail, size, "minute %02d out of range", f->minute);
        break;
    case FAULT_SECOND:
        snprintf(detail, size, "second %02d out of range", f->second);
        break;
    case FAULT_OFFSET:
        snprintf(detail, size, "offset %c%02d:%02d out of range", f->offset_sign, f->offset_hour,
                 f->offset_minute);
        break;
    }
}

/*
 * Records why `s` is not a `what`. Layout and range faults repeat the expected
 * form; a well-formed day that the calendar lacks says only that.
 */
static int fault_error(struct sd_error *err, const char *what, const char *form, const char *s,
                       size_t len, enum fault fault, const struct ts_fields *f)
{
    char detail[96];

    describe_fault(fault, f, detail, sizeof(detail));
    if (fault == FAULT_SHAPE)
        return sd_error_set(err, SD_EINVAL, SD_QUOTE_FMT " is not a %s (%s)", SD_QUOTE_ARGS(s, len),
                            what, form);
    if (fault == FAULT_NO_SUCH_DAY)
        return sd_error_set(err, SD_EINVAL, SD_QUOTE_FMT " is not a %s: %s", SD_QUOTE_ARGS(s, len),
                            what, detail);
    return sd_error_set(err, SD_EINVAL, SD_QUOTE_FMT " is not a %s (%s): %s", SD_QUOTE_ARGS(s, len),
                        what, form, detail);
}

int date_parse(const char *s, size_t len, int32_t *out, struct sd_error *err)
{
    struct ts_fields f = {.offset_sign = 0};
    enum fault fault = len == 10 ? scan_civil(s, &f.date) : FAULT_SHAPE;

    if (fault != FAULT_NONE)
        return fault_error(err, "date", DATE_FORM, s, len, fault, &f);
    *out = (int32_t)days_from_civil(f.date.year, f.date.month, f.date.day);
    return 0;
}

/* Writes "YYYY-MM-DD" (10 characters, no NUL) of a day in years 0 to 9999. */
static void put_civil(char *buf, struct civil c)
{
    put_digits(buf, c.year, 4);
    buf[4] = '-';
    put_digits(buf + 5, c.month, 2);
    buf[7] = '-';
    put_digits(buf + 8, c.day, 2);
}

size_t date_format(int32_t days, char *buf)
{
    struct civil c = civil_from_days(days);
    if (c.year < 0 || c.year > 9999) {
        int written = snprintf(buf, DATE_TEXT_MAX, "%04d-%02d-%02d", c.year, c.month, c.day);
        return written_len(written, DATE_TEXT_MAX);
    }
    put_civil(buf, c);
    buf[10] = '\0';
    return 10;
}

int date_weekday(int32_t days)
{
    /* 1970-01-01 was a Thursday. */
    return (int)floor_mod((int64_t)days + 3, 7) + 1;
}

void date_iso_week(int32_t days, int *iso_year, int *week)
{
    /* A week belongs to the ISO year that holds its Thursday. */
    int64_t thursday = (int64_t)days - date_weekday(days) + 4;
    struct civil c = civil_from_days(thursday);

    *iso_year = c.year;
    *week = (int)((thursday - days_from_civil(c.year, 1, 1)) / 7 + 1);
}

int date_iso_weeks_in_year(int iso_year)
{
    int jan1 = date_weekday(clamp_day(days_from_civil(iso_year, 1, 1)));
    return jan1 == 4 || (jan1 == 3 && date_is_leap_year(iso_year)) ? 53 : 52;
}

/* Monday of week `week` of `iso_year`, without range checks: week 1 holds January 4. */
static int64_t iso_week_monday(int64_t iso_year, int64_t week)
{
    int64_t jan4 = days_from_civil(iso_year, 1, 4);
    return jan4 - (date_weekday(clamp_day(jan4)) - 1) + (week - 1) * 7;
}

int date_from_iso_week(int iso_year, int week, int32_t *out)
{
    if (iso_year < DATE_MIN_YEAR || iso_year > DATE_MAX_YEAR)
        return SD_EINVAL;
    if (week < 1 || week > date_iso_weeks_in_year(iso_year))
        return SD_EINVAL;
    *out = (int32_t)iso_week_monday(iso_year, week);
    return 0;
}

int32_t date_add_months(int32_t days, int months)
{
    struct civil c = civil_from_days(days);
    int64_t month_index = (int64_t)c.year * 12 + (c.month - 1) + months;
    int year = (int)floor_div(month_index, 12);
    int month = (int)floor_mod(month_index, 12) + 1;
    int last_day = date_days_in_month(year, month);

    return clamp_day(days_from_civil(year, month, c.day < last_day ? c.day : last_day));
}

int64_t ts_now_ms(void)
{
    struct timespec now;

    if (clock_gettime(CLOCK_REALTIME, &now) != 0)
        return 0;
    return (int64_t)now.tv_sec * MS_PER_SECOND + now.tv_nsec / 1000000;
}

/* Reads 1..9 fraction digits as milliseconds, dropping digits past the third. */
static size_t scan_fraction(const char *s, size_t len, int *millis)
{
    size_t count = 0;
    int value = 0;

    while (count < len && s[count] >= '0' && s[count] <= '9') {
        if (count < 3)
            value = value * 10 + (s[count] - '0');
        count++;
    }
    for (size_t i = count; i < 3; i++)
        value *= 10;
    *millis = value;
    return count;
}

/* Reads nothing (UTC), "Z", or "+HH:MM" / "-HH:MM": exactly the `len` bytes at `s`. */
static enum fault scan_zone(const char *s, size_t len, struct ts_fields *f)
{
    if (len == 0 || (len == 1 && s[0] == 'Z'))
        return FAULT_NONE;
    if (len != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':')
        return FAULT_SHAPE;
    f->offset_sign = s[0];
    f->offset_hour = read_digits(s + 1, 2);
    f->offset_minute = read_digits(s + 4, 2);
    return f->offset_hour < 0 || f->offset_minute < 0 ? FAULT_SHAPE : FAULT_NONE;
}

/* Reads "HH:MM[:SS[.f...]]" and the zone: the `len` bytes at `s`. */
static enum fault scan_clock(const char *s, size_t len, struct ts_fields *f)
{
    size_t pos = 5;

    if (len < 5 || s[2] != ':')
        return FAULT_SHAPE;
    f->hour = read_digits(s, 2);
    f->minute = read_digits(s + 3, 2);
    if (f->hour < 0 || f->minute < 0)
        return FAULT_SHAPE;
    if (pos < len && s[pos] == ':') {
        f->second = len - pos >= 3 ? read_digits(s + pos + 1, 2) : -1;
        if (f->second < 0)
            return FAULT_SHAPE;
        pos += 3;
        if (pos < len && s[pos] == '.') {
            size_t digits = scan_fraction(s + pos + 1, len - pos - 1, &f->millis);
            if (digits < 1 || digits > 9)
                return FAULT_SHAPE;
            pos += 1 + digits;
        }
    }
    return scan_zone(s + pos, len - pos, f);
}

static enum fault check_clock(const struct ts_fields *f)
{
    if (f->hour > 23)
        return FAULT_HOUR;
    if (f->minute > 59)
        return FAULT_MINUTE;
    if (f->second > 59)
        return FAULT_SECOND;
    if (f->offset_hour > 23 || f->offset_minute > 59)
        return FAULT_OFFSET;
    return FAULT_NONE;
}

/* The layout is checked in full before any field's range. */
static enum fault scan_ts(const char *s, size_t len, struct ts_fields *f)
{
    if (len < 10 || (len > 10 && s[10] != 'T' && s[10] != ' '))
        return FAULT_SHAPE;
    enum fault date_fault = scan_civil(s, &f->date);
    if (date_fault == FAULT_SHAPE || len == 10)
        return date_fault;
    enum fault clock_fault = scan_clock(s + 11, len - 11, f);
    if (clock_fault != FAULT_NONE)
        return clock_fault;
    return date_fault != FAULT_NONE ? date_fault : check_clock(f);
}

int ts_parse(const char *s, size_t len, int64_t *out, struct sd_error *err)
{
    struct ts_fields f = {.offset_sign = 0};
    enum fault fault = scan_ts(s, len, &f);

    if (fault != FAULT_NONE)
        return fault_error(err, "timestamp", TS_FORM, s, len, fault, &f);
    int64_t offset = (int64_t)f.offset_hour * 60 + f.offset_minute;
    int64_t seconds = ((int64_t)f.hour * 60 + f.minute) * 60 + f.second;
    *out = days_from_civil(f.date.year, f.date.month, f.date.day) * MS_PER_DAY +
           seconds * MS_PER_SECOND + f.millis -
           (f.offset_sign == '-' ? -offset : offset) * MS_PER_MINUTE;
    return 0;
}

size_t ts_format(int64_t ms, char *buf)
{
    struct civil c = civil_from_days(floor_div(ms, MS_PER_DAY));
    int64_t in_day = floor_mod(ms, MS_PER_DAY);
    if (c.year >= 0 && c.year <= 9999) {
        put_civil(buf, c);
        buf[10] = 'T';
        put_digits(buf + 11, (int)(in_day / 3600000), 2);
        buf[13] = ':';
        put_digits(buf + 14, (int)(in_day / 60000 % 60), 2);
        buf[16] = ':';
        put_digits(buf + 17, (int)(in_day / 1000 % 60), 2);
        buf[19] = '.';
        put_digits(buf + 20, (int)(in_day % 1000), 3);
        buf[23] = 'Z';
        buf[24] = '\0';
        return 24;
    }
    int written = snprintf(buf, TS_TEXT_MAX, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", c.year,
                           c.month, c.day, (int)(in_day / 3600000), (int)(in_day / 60000 % 60),
                           (int)(in_day / 1000 % 60), (int)(in_day % 1000));
    return written_len(written, TS_TEXT_MAX);
}

int32_t ts_to_date(int64_t ms)
{
    return clamp_day(floor_div(ms, MS_PER_DAY));
}

/* Periods. Months are counted as year × 12 + (month − 1), "month indexes". */

static int fiscal_start(int fy_start_month)
{
    return fy_start_month >= 1 && fy_start_month <= 12 ? fy_start_month : 1;
}

static int64_t month_index_of(int64_t day)
{
    struct civil c = civil_from_days(day);
    return (int64_t)c.year * 12 + c.month - 1;
}

static int64_t month_first_day(int64_t month_index)
{
    return days_from_civil(floor_div(month_index, 12), (int)floor_mod(month_index, 12) + 1, 1);
}

/* Month index where fiscal year `fiscal_year` starts: it is named after the year it ends in. */
static int64_t fiscal_year_start(int64_t fiscal_year, int fy_start_month)
{
    return (fiscal_year - (fy_start_month != 1)) * 12 + fy_start_month - 1;
}

static int64_t fiscal_year_of(int64_t month_index, int fy_start_month)
{
    return floor_div(month_index - fiscal_year_start(0, fy_start_month), 12);
}

static struct period month_span(enum period_kind kind, int64_t first_month, int months,
                                int fy_start_month)
{
    struct period p = {.kind = kind, .fy_start_month = fy_start_month};

    p.first = clamp_day(month_first_day(first_month));
    p.last = clamp_day(month_first_day(first_month + months) - 1);
    return p;
}

struct period period_containing(int32_t day, enum period_kind kind, int fy_start_month)
{
    int fy = fiscal_start(fy_start_month);
    int64_t month = month_index_of(day);
    int64_t fiscal_first = fiscal_year_start(fiscal_year_of(month, fy), fy);
    struct period p = {.kind = kind, .first = day, .last = day, .fy_start_month = fy};

    switch (kind) {
    case PERIOD_DAY:
    case PERIOD_RANGE:
        break;
    case PERIOD_WEEK:
        p.first = clamp_day((int64_t)day - (date_weekday(day) - 1));
        p.last = clamp_day((int64_t)p.first + 6);
        break;
    case PERIOD_MONTH:
        return month_span(kind, month, 1, fy);
    case PERIOD_QUARTER:
        return month_span(kind, month - floor_mod(month, 3), 3, fy);
    case PERIOD_YEAR:
        return month_span(kind, month - floor_mod(month, 12), 12, fy);
    case PERIOD_FQUARTER:
        return month_span(kind, month - (month - fiscal_first) % 3, 3, fy);
    case PERIOD_FYEAR:
        return month_span(kind, fiscal_first, 12, fy);
    }
    return p;
}

static int not_a_period(struct sd_error *err, const char *s, size_t len)
{
    return sd_error_set(err, SD_EINVAL, SD_QUOTE_FMT " is not a period (" PERIOD_FORMS ")",
                        SD_QUOTE_ARGS(s, len));
}

__attribute__((format(printf, 4, 5))) static int period_fault(struct sd_error *err, const char *s,
                                                              size_t len, const char *fmt, ...)
{
    char detail[128];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    return sd_error_set(err, SD_EINVAL, SD_QUOTE_FMT " is not a period: %s", SD_QUOTE_ARGS(s, len),
                        detail);
}

static int parse_range(const char *s, size_t len, size_t dots, struct period *p,
                       struct sd_error *err)
{
    int32_t from = 0, to = 0;
    int rc = date_parse(s, dots, &from, err);

    if (rc == 0)
        rc = date_parse(s + dots + 2, len - dots - 2, &to, err);
    if (rc != 0) {
        sd_error_prefix(err, SD_QUOTE_FMT " is not a period", SD_QUOTE_ARGS(s, len));
        return rc;
    }
    if (from > to)
        return period_fault(err, s, len, "%.10s is after %.10s", s, s + dots + 2);
    p->kind = PERIOD_RANGE;
    p->first = from;
    p->last = to;
    return 0;
}

static int parse_week(const char *s, size_t len, int year, struct period *p,
                      struct sd_error *err)
{
    int week = read_digits(s + 6, 2);

    if (week < 0)
        return not_a_period(err, s, len);
    if (week < 1 || week > 53)
        return period_fault(err, s, len, "week %02d out of range (01..53)", week);
    if (week > date_iso_weeks_in_year(year))
        return period_fault(err, s, len, "%04d has only 52 iso weeks", year);
    p->kind = PERIOD_WEEK;
    p->first = (int32_t)iso_week_monday(year, week);
    p->last = p->first + 6;
    return 0;
}

/* "YYYY", "YYYY-MM", "YYYY-Qn" and "YYYY-Www"; `year` is the value of the first 4 digits. */
static int parse_calendar(const char *s, size_t len, int year, struct period *p,
                          struct sd_error *err)
{
    int fy = p->fy_start_month;

    if (len == 4) {
        *p = month_span(PERIOD_YEAR, (int64_t)year * 12, 12, fy);
        return 0;
    }
    if (len == 8 && s[5] == 'W')
        return parse_week(s, len, year, p, err);
    if (len == 7 && s[5] == 'Q') {
        int quarter = read_digits(s + 6, 1);
        if (quarter < 0)
            return not_a_period(err, s, len);
        if (quarter < 1 || quarter > 4)
            return period_fault(err, s, len, "quarter %d out of range (1..4)", quarter);
        *p = month_span(PERIOD_QUARTER, (int64_t)year * 12 + (quarter - 1) * 3, 3, fy);
        return 0;
    }
    int month = len == 7 ? read_digits(s + 5, 2) : -1;
    if (month < 0)
        return not_a_period(err, s, len);
    if (month < 1 || month > 12)
        return period_fault(err, s, len, "month %02d out of range", month);
    *p = month_span(PERIOD_MONTH, (int64_t)year * 12 + month - 1, 1, fy);
    return 0;
}

/* "FYYYYY" and "FYYYYY-Qn"; `year` is the value of the 4 digits after "FY". */
static int parse_fiscal(const char *s, size_t len, int year, struct period *p,
                        struct sd_error *err)
{
    int fy = p->fy_start_month;
    int64_t start = fiscal_year_start(year, fy);

    if (len == 6) {
        *p = month_span(PERIOD_FYEAR, start, 12, fy);
        return 0;
    }
    int quarter = len == 9 && s[6] == '-' && s[7] == 'Q' ? read_digits(s + 8, 1) : -1;
    if (quarter < 0)
        return not_a_period(err, s, len);
    if (quarter < 1 || quarter > 4)
        return period_fault(err, s, len, "quarter %d out of range (1..4)", quarter);
    *p = month_span(PERIOD_FQUARTER, start + (quarter - 1) * 3, 3, fy);
    return 0;
}

/* Every form but a range: dispatches on the "FY" prefix and the length. */
static int parse_named(const char *s, size_t len, struct period *p, struct sd_error *err)
{
    int fiscal = len >= 2 && s[0] == 'F' && s[1] == 'Y';
    size_t skip = fiscal ? 2 : 0;
    int year = len >= skip + 4 ? read_digits(s + skip, 4) : -1;

    if (!fiscal && len == 10 && s[4] == '-' && s[7] == '-') {
        p->kind = PERIOD_DAY;
        int rc = date_parse(s, len, &p->first, err);
        p->last = p->first;
        return rc;
    }
    if (year < 0 || (len > skip + 4 && s[skip + 4] != '-'))
        return not_a_period(err, s, len);
    if (year < DATE_MIN_YEAR)
        return period_fault(err, s, len, "year 0000 out of range (0001..9999)");
    if (fiscal)
        return parse_fiscal(s, len, year, p, err);
    return parse_calendar(s, len, year, p, err);
}

/* Offset of the first ".." in `s`, or len when there is none. */
static size_t find_dots(const char *s, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (s[i] == '.' && s[i + 1] == '.')
            return i;
    }
    return len;
}

int period_parse(const char *s, size_t len, int fy_start_month, struct period *out,
                 struct sd_error *err)
{
    struct period p = {.kind = PERIOD_DAY, .fy_start_month = fy_start_month};
    size_t dots = find_dots(s, len);
    int rc;

    if (fy_start_month < 1 || fy_start_month > 12)
        return sd_error_set(err, SD_EINVAL, "fiscal year start month %d out of range (1..12)",
                            fy_start_month);
    rc = dots < len ? parse_range(s, len, dots, &p, err) : parse_named(s, len, &p, err);
    if (rc != 0)
        return rc;
    if (p.first < DAY_FIRST)
        return period_fault(err, s, len, "it starts before 0001-01-01");
    if (p.last > DAY_LAST)
        return period_fault(err, s, len, "it ends after 9999-12-31");
    *out = p;
    return 0;
}

/* "FY2024" or "FY2024-Q3" for the fiscal period that starts on `first`. */
static int format_fiscal(const struct period *p, char *buf)
{
    int fy = fiscal_start(p->fy_start_month);
    int64_t month = month_index_of(p->first);
    int64_t fiscal_year = fiscal_year_of(month, fy);
    int quarter = (int)((month - fiscal_year_start(fiscal_year, fy)) / 3 + 1);

    if (p->kind == PERIOD_FYEAR)
        return snprintf(buf, PERIOD_TEXT_MAX, "FY%04" PRId64, fiscal_year);
    return snprintf(buf, PERIOD_TEXT_MAX, "FY%04" PRId64 "-Q%d", fiscal_year, quarter);
}

size_t period_format(const struct period *p, char *buf)
{
    struct civil c = civil_from_days(p->first);
    char from[DATE_TEXT_MAX], to[DATE_TEXT_MAX];
    int iso_year = 0, week = 0;
    int written = 0;

    buf[0] = '\0';
    switch (p->kind) {
    case PERIOD_DAY:
        return date_format(p->first, buf);
    case PERIOD_WEEK:
        date_iso_week(p->first, &iso_year, &week);
        written = snprintf(buf, PERIOD_TEXT_MAX, "%04d-W%02d", iso_year, week);
        break;
    case PERIOD_MONTH:
        written = snprintf(buf, PERIOD_TEXT_MAX, "%04d-%02d", c.year, c.month);
        break;
    case PERIOD_QUARTER:
        written = snprintf(buf, PERIOD_TEXT_MAX, "%04d-Q%d", c.year, (c.month - 1) / 3 + 1);
        break;
    case PERIOD_YEAR:
        written = snprintf(buf, PERIOD_TEXT_MAX, "%04d", c.year);
        break;
    case PERIOD_FQUARTER:
    case PERIOD_FYEAR:
        written = format_fiscal(p, buf);
        break;
    case PERIOD_RANGE:
        date_format(p->first, from);
        date_format(p->last, to);
        written = snprintf(buf, PERIOD_TEXT_MAX, "%s..%s", from, to);
        break;
    }
    return written_len(written, PERIOD_TEXT_MAX);
}

struct period period_prev(const struct period *p)
{
    struct period prev = *p;
    int32_t days = period_days(p);

    if (p->kind != PERIOD_RANGE)
        return period_containing(clamp_day((int64_t)p->first - 1), p->kind, p->fy_start_month);
    prev.first = clamp_day((int64_t)p->first - days);
    prev.last = clamp_day((int64_t)p->first - 1);
    return prev;
}

struct period period_last_year(const struct period *p)
{
    struct period earlier = *p;
    int iso_year = 0, week = 0;

    switch (p->kind) {
    case PERIOD_WEEK:
        date_iso_week(p->first, &iso_year, &week);
        iso_year--;
        if (week > date_iso_weeks_in_year(iso_year))
            week = date_iso_weeks_in_year(iso_year);
        earlier.first = clamp_day(iso_week_monday(iso_year, week));
        earlier.last = clamp_day((int64_t)earlier.first + 6);
        break;
    case PERIOD_DAY:
    case PERIOD_RANGE:
        earlier.first = date_add_months(p->first, -12);
        earlier.last = date_add_months(p->last, -12);
        break;
    default:
        earlier = period_containing(date_add_months(p->first, -12), p->kind, p->fy_start_month);
        break;
    }
    return earlier;
}

int32_t period_days(const struct period *p)
{
    return clamp_day((int64_t)p->last - p->first + 1);
}
