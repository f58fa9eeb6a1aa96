/* SPDX-License-Identifier: MIT */
/*
 * test-date: golden cases for base/date, read from the .tsv files in
 * SD_TEST_DATA_DIR/date.
 *
 * Each case file is tab-separated with a header line naming the columns;
 * '#' lines and blank lines are skipped. Text columns understand the escapes
 * \s (space), \t (tab), \n, \r, \0 (NUL) and \\. An `expected` column holds
 * either a value or EINVAL. Every row is run; each failure is printed with its
 * file, line, input, expected and actual result, and the test fails at the
 * end of the file.
 *
 * The expected values were worked out independently of this code (by hand,
 * with Python's datetime module and with date(1)), never pasted from it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/date.h"

#include "base/banned.h"

#include "case-file.h"
/* A decimal integer that fills the whole column, or a failed test. */
static int64_t case_i64(const struct case_file *cf, const char *column)
{
    const char *text = case_field(cf, column);
    char *end = NULL;

    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (text[0] == '\0' || *end != '\0' || errno != 0)
        fail_msg("%s:%ld: column %s: '%s' is not an integer", cf->name, cf->line_no, column, text);
    return value;
}

/* A date column, through date_parse (itself checked against day numbers in civil.tsv). */
static int32_t case_date(const struct case_file *cf, const char *column)
{
    const char *text = case_field(cf, column);
    int32_t days = 0;

    if (date_parse(text, strlen(text), &days, NULL) != 0)
        fail_msg("%s:%ld: column %s: '%s' is not a date", cf->name, cf->line_no, column, text);
    return days;
}

static int expects_error(const struct case_file *cf)
{
    return strcmp(case_field(cf, "expected"), "EINVAL") == 0;
}

static const char *day_text(int32_t days, char *buf)
{
    date_format(days, buf);
    return buf;
}

#define UNTOUCHED_DAY INT32_C(0x5a5a5a5a)
#define UNTOUCHED_MS INT64_C(0x5a5a5a5a5a5a5a5a)

/* The extra promises of a parser's failure: err filled, message as written. */
static void check_parse_error(struct case_file *cf, const char *input, int rc,
                              const struct sd_error *err)
{
    const char *message = case_field(cf, "message");

    if (rc == 0)
        return;
    if (rc != SD_EINVAL || err->code != rc || err->message[0] == '\0')
        case_fail(cf, "input '%s': rc %d, err not filled (code %d, message '%s')", input, rc,
                  err->code, err->message);
    if (message[0] != '\0' && strcmp(message, err->message) != 0)
        case_fail(cf, "input '%s': expected message \"%s\", got \"%s\"", input, message,
                  err->message);
}

/* Reads "YYYY-MM-DD" without the code under test. */
static void split_date(const struct case_file *cf, const char *text, int *year, int *month,
                       int *day)
{
    if (strlen(text) != 10 || text[4] != '-' || text[7] != '-')
        fail_msg("%s:%ld: '%s' is not YYYY-MM-DD", cf->name, cf->line_no, text);
    *year = (int)strtol(text, NULL, 10);
    *month = (int)strtol(text + 5, NULL, 10);
    *day = (int)strtol(text + 8, NULL, 10);
}

/* The civil-date and ISO-week functions of one row of civil.tsv. */
static void check_civil_row(struct case_file *cf)
{
    const char *date = case_field(cf, "date");
    int32_t days = (int32_t)case_i64(cf, "days");
    int year, month, day, y = 0, m = 0, d = 0, iso_year = 0, week = 0;
    char buf[DATE_TEXT_MAX], iso[PERIOD_TEXT_MAX];
    int32_t parsed = 0;

    split_date(cf, date, &year, &month, &day);
    if (date_from_civil(year, month, day) != days)
        case_fail(cf, "date_from_civil(%s): expected %" PRId32 ", got %" PRId32, date, days,
                  date_from_civil(year, month, day));
    date_to_civil(days, &y, &m, &d);
    if (y != year || m != month || d != day)
        case_fail(cf, "date_to_civil(%" PRId32 "): expected %s, got %d-%d-%d", days, date, y, m, d);
    if (strcmp(day_text(days, buf), date) != 0)
        case_fail(cf, "date_format(%" PRId32 "): expected %s, got %s", days, date, buf);
    if (date_parse(date, strlen(date), &parsed, NULL) != 0 || parsed != days)
        case_fail(cf, "date_parse(%s): expected %" PRId32 ", got %" PRId32, date, days, parsed);
    if (!date_valid(year, month, day))
        case_fail(cf, "date_valid(%s) is 0", date);
    if (date_weekday(days) != (int)case_i64(cf, "weekday"))
        case_fail(cf, "date_weekday(%s): expected %s, got %d", date, case_field(cf, "weekday"),
                  date_weekday(days));
    date_iso_week(days, &iso_year, &week);
    snprintf(iso, sizeof(iso), "%04d-W%02d", iso_year, week);
    if (strcmp(iso, case_field(cf, "iso_week")) != 0)
        case_fail(cf, "date_iso_week(%s): expected %s, got %s", date, case_field(cf, "iso_week"),
                  iso);
}

/* Columns: date, days (since 1970-01-01), weekday (1 = Monday), iso_week. */
static void test_civil(void **state)
{
    struct case_file cf;

    (void)state;
    case_open(&cf, "date/civil.tsv");
    while (case_next(&cf))
        check_civil_row(&cf);
    case_close(&cf);
}

/* Columns: input, expected (day number or EINVAL), message (empty: any). */
static void test_date_parse(void **state)
{
    struct case_file cf;

    (void)state;
    case_open(&cf, "date/parse.tsv");
    while (case_next(&cf)) {
        char input[CASE_TEXT_MAX];
        size_t len = case_text(&cf, "input", input);
        const char *shown = case_field(&cf, "input");
        struct sd_error err = {0};
        int32_t out = UNTOUCHED_DAY;
        int rc = date_parse(input, len, &out, &err);

        if (expects_error(&cf) && (rc == 0 || out != UNTOUCHED_DAY))
            case_fail(&cf, "input '%s': expected EINVAL, got rc %d, %" PRId32, shown, rc, out);
        if (!expects_error(&cf) && (rc != 0 || out != (int32_t)case_i64(&cf, "expected")))
            case_fail(&cf, "input '%s': expected %s, got rc %d, %" PRId32 " %s", shown,
                      case_field(&cf, "expected"), rc, out, err.message);
        check_parse_error(&cf, shown, rc, &err);
    }
    case_close(&cf);
}

/* Columns: year, month, days (date_days_in_month), leap (date_is_leap_year). */
static void test_month_lengths(void **state)
{
    struct case_file cf;

    (void)state;
    case_open(&cf, "date/month.tsv");
    while (case_next(&cf)) {
        int year = (int)case_i64(&cf, "year");
        int month = (int)case_i64(&cf, "month");
        int days = date_days_in_month(year, month);
        int leap = date_is_leap_year(year);

        if (days != (int)case_i64(&cf, "days"))
            case_fail(&cf, "date_days_in_month(%d, %d): expected %s, got %d", year, month,
                      case_field(&cf, "days"), days);
        if (leap != (int)case_i64(&cf, "leap"))
            case_fail(&cf, "date_is_leap_year(%d): expected %s, got %d", year,
                      case_field(&cf, "leap"), leap);
    }
    case_close(&cf);
}

/* Columns: year, month, day, valid (date_valid). */
static void test_date_valid(void **state)
{
    struct case_file cf;

    (void)state;
    case_open(&cf, "date/valid.tsv");
    while (case_next(&cf)) {
        int year = (int)case_i64(&cf, "year");
        int month = (int)case_i64(&cf, "month");
        int day = (int)case_i64(&cf, "day");
        int valid = date_valid(year, month, day);

        if (valid != (int)case_i64(&cf, "valid"))
            case_fail(&cf, "date_valid(%d, %d, %d): expected %s, got %d", year, month, day,
                      case_field(&cf, "valid"), valid);
    }
    case_close(&cf);
}

/* Columns: iso_year, weeks (date_iso_weeks_in_year). */
static void test_iso_weeks_in_year(void **state)
{
    struct case_file cf;

    (void)state;
    case_open(&cf, "date/iso_weeks_in_year.tsv");
    while (case_next(&cf)) {
        int iso_year = (int)case_i64(&cf, "iso_year");
        int weeks = date_iso_weeks_in_year(iso_year);

        if (weeks != (int)case_i64(&cf, "weeks"))
            case_fail(&cf, "date_iso_weeks_in_year(%d): expected %s, got %d", iso_year,
                      case_field(&cf, "weeks"), weeks);
    }
    case_close(&cf);
}

/* Columns: iso_year, week, expected (its Monday, or EINVAL). */
static void test_from_iso_week(void **state)
{
    struct case_file cf;

    (void)state;
    case_open(&cf, "date/from_iso_week.tsv");
    while (case_next(&cf)) {
        int iso_year = (int)case_i64(&cf, "iso_year");
        int week = (int)case_i64(&cf, "week");
        int32_t out = UNTOUCHED_DAY;
        int rc = date_from_iso_week(iso_year, week, &out);
        char got[DATE_TEXT_MAX];

        if (expects_error(&cf) ? rc != SD_EINVAL || out != UNTOUCHED_DAY
                               : rc != 0 || out != case_date(&cf, "expected"))
            case_fail(&cf, "date_from_iso_week(%d, %d): expected %s, got rc %d, %s", iso_year,
                      week, case_field(&cf, "expected"), rc,
                      rc == 0 ? day_text(out, got) : "-");
    }
    case_close(&cf);
}

/* Columns: date, months, expected (date). */
static void test_add_months(void **state)
{
    struct case_file cf;

    (void)state;
    case_open(&cf, "date/add_months.tsv");
    while (case_next(&cf)) {
        int months = (int)case_i64(&cf, "months");
        int32_t got = date_add_months(case_date(&cf, "date"), months);
        char got_text[DATE_TEXT_MAX];

        if (got != case_date(&cf, "expected"))
            case_fail(&cf, "date_add_months(%s, %d): expected %s, got %s",
                      case_field(&cf, "date"), months, case_field(&cf, "expected"),
                      day_text(got, got_text));
    }
    case_close(&cf);
}

/* Columns: input, expected (ms since the epoch, or EINVAL), message (empty: any). */
static void test_ts_parse(void **state)
{
    struct case_file cf;

    (void)state;
    case_open(&cf, "date/ts_parse.tsv");
    while (case_next(&cf)) {
        char input[CASE_TEXT_MAX];
        size_t len = case_text(&cf, "input", input);
        const char *shown = case_field(&cf, "input");
        struct sd_error err = {0};
        int64_t out = UNTOUCHED_MS;
        int rc = ts_parse(input, len, &out, &err);

        if (expects_error(&cf) && (rc == 0 || out != UNTOUCHED_MS))
            case_fail(&cf, "input '%s': expected EINVAL, got rc %d, %" PRId64, shown, rc, out);
        if (!expects_error(&cf) && (rc != 0 || out != case_i64(&cf, "expected")))
            case_fail(&cf, "input '%s': expected %s, got rc %d, %" PRId64 " %s", shown,
                      case_field(&cf, "expected"), rc, out, err.message);
        check_parse_error(&cf, shown, rc, &err);
    }
    case_close(&cf);
}

/* Columns: ms, text (ts_format), date (ts_to_date). Also parses the text back. */
static void test_ts_format(void **state)
{
    struct case_file cf;

    (void)state;
    case_open(&cf, "date/ts_format.tsv");
    while (case_next(&cf)) {
        int64_t ms = case_i64(&cf, "ms");
        const char *want = case_field(&cf, "text");
        char buf[TS_TEXT_MAX], day[DATE_TEXT_MAX];
        size_t len = ts_format(ms, buf);
        int64_t back = 0;

        if (strcmp(buf, want) != 0 || len != strlen(want))
            case_fail(&cf, "ts_format(%" PRId64 "): expected %s, got %s (length %zu)", ms, want,
                      buf, len);
        if (ts_to_date(ms) != case_date(&cf, "date"))
            case_fail(&cf, "ts_to_date(%" PRId64 "): expected %s, got %s", ms,
                      case_field(&cf, "date"), day_text(ts_to_date(ms), day));
        if (ts_parse(want, strlen(want), &back, NULL) != 0 || back != ms)
            case_fail(&cf, "ts_parse(%s) does not give %" PRId64 " back", want, ms);
    }
    case_close(&cf);
}

/*
 * Every 7th day and a spread of times from year 0 to 9999 against the C
 * library's calendar (gmtime_r), which shares no code with date.c.
 */
static void test_format_against_libc(void **state)
{
    (void)state;
    const int64_t first = -719528, last = 2932896; /* 0000-01-01, 9999-12-31 */
    for (int64_t d = first; d <= last; d += 7) {
        int64_t ms = d * 86400000 + (d * 7919 % 86400000 + 86400000) % 86400000;
        int64_t floor_secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
        time_t secs = (time_t)floor_secs;
        struct tm tm;
        char want[64], got[TS_TEXT_MAX], day[DATE_TEXT_MAX];
        assert_non_null(gmtime_r(&secs, &tm));
        snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms - floor_secs * 1000));
        assert_int_equal(ts_format(ms, got), 24);
        assert_string_equal(got, want);
        assert_int_equal(date_format((int32_t)d, day), 10);
        want[10] = '\0';
        assert_string_equal(day, want);
    }
}

static const char *const kind_names[] = {
    [PERIOD_DAY] = "day",         [PERIOD_WEEK] = "week",   [PERIOD_MONTH] = "month",
    [PERIOD_QUARTER] = "quarter", [PERIOD_YEAR] = "year",   [PERIOD_FQUARTER] = "fquarter",
    [PERIOD_FYEAR] = "fyear",     [PERIOD_RANGE] = "range",
};

static enum period_kind case_kind(const struct case_file *cf, const char *column)
{
    const char *name = case_field(cf, column);

    for (size_t i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
        if (strcmp(kind_names[i], name) == 0)
            return (enum period_kind)i;
    }
    fail_msg("%s:%ld: column %s: unknown period kind '%s'", cf->name, cf->line_no, column, name);
    return PERIOD_DAY;
}

/*
 * Compares a period with the row's first, last and text columns (and kind,
 * when `kind` is not NULL); the text must also parse back to the same period.
 */
static void check_period(struct case_file *cf, const char *subject, const struct period *p,
                         const char *kind)
{
    char text[PERIOD_TEXT_MAX], first[DATE_TEXT_MAX], last[DATE_TEXT_MAX];
    const char *want = case_field(cf, "text");
    struct period back = {.kind = PERIOD_DAY};
    size_t len = period_format(p, text);

    day_text(p->first, first);
    day_text(p->last, last);
    if (p->first != case_date(cf, "first") || p->last != case_date(cf, "last") ||
        strcmp(text, want) != 0 || len != strlen(text) ||
        (kind && p->kind != case_kind(cf, kind)))
        case_fail(cf, "%s: expected %s%s%s %s..%s, got %s %s %s..%s", subject,
                  kind ? case_field(cf, kind) : "", kind ? " " : "", want,
                  case_field(cf, "first"), case_field(cf, "last"), kind_names[p->kind], text,
                  first, last);
    if (period_parse(text, len, p->fy_start_month, &back, NULL) != 0 || back.kind != p->kind ||
        back.first != p->first || back.last != p->last)
        case_fail(cf, "%s: '%s' does not parse back to the same period", subject, text);
}

/* Columns: input, fy_start, kind, first, last, days, text (canonical). */
static void test_period_parse(void **state)
{
    struct case_file cf;

    (void)state;
    case_open(&cf, "date/period_parse.tsv");
    while (case_next(&cf)) {
        const char *input = case_field(&cf, "input");
        int fy_start = (int)case_i64(&cf, "fy_start");
        struct period p = {.kind = PERIOD_DAY};
        struct sd_error err = {0};
        char subject[128];

        snprintf(subject, sizeof(subject), "period_parse('%s', fy %d)", input, fy_start);
        if (period_parse(input, strlen(input), fy_start, &p, &err) != 0) {
            case_fail(&cf, "%s: unexpected error: %s", subject, err.message);
            continue;
        }
        check_period(&cf, subject, &p, "kind");
        if (p.fy_start_month != fy_start)
            case_fail(&cf, "%s: fy_start_month %d", subject, p.fy_start_month);
        if (period_days(&p) != (int32_t)case_i64(&cf, "days"))
            case_fail(&cf, "%s: expected %s days, got %" PRId32, subject,
                      case_field(&cf, "days"), period_days(&p));
    }
    case_close(&cf);
}

/* Columns: input, fy_start, message: every row must be rejected with exactly that message. */
static void test_period_errors(void **state)
{
    struct case_file cf;

    (void)state;
    case_open(&cf, "date/period_errors.tsv");
    while (case_next(&cf)) {
        char input[CASE_TEXT_MAX];
        size_t len = case_text(&cf, "input", input);
        int fy_start = (int)case_i64(&cf, "fy_start");
        const char *message = case_field(&cf, "message");
        struct period p = {.kind = PERIOD_WEEK, .first = 7, .last = 7};
        struct sd_error err = {0};
        int rc = period_parse(input, len, fy_start, &p, &err);

        if (rc != SD_EINVAL || p.kind != PERIOD_WEEK || p.first != 7 || p.last != 7)
            case_fail(&cf, "input '%s': expected EINVAL and *out untouched, got rc %d",
                      case_field(&cf, "input"), rc);
        else if (strcmp(err.message, message) != 0 || err.code != rc)
            case_fail(&cf, "input '%s': expected message \"%s\", got \"%s\"",
                      case_field(&cf, "input"), message, err.message);
    }
    case_close(&cf);
}

/* Columns: day, kind, fy_start, first, last, text. */
static void test_period_containing(void **state)
{
    struct case_file cf;

    (void)state;
    case_open(&cf, "date/period_containing.tsv");
    while (case_next(&cf)) {
        int fy_start = (int)case_i64(&cf, "fy_start");
        struct period p =
            period_containing(case_date(&cf, "day"), case_kind(&cf, "kind"), fy_start);
        char subject[128];

        snprintf(subject, sizeof(subject), "period_containing(%s, %s, fy %d)",
                 case_field(&cf, "day"), case_field(&cf, "kind"), fy_start);
        check_period(&cf, subject, &p, "kind");
    }
    case_close(&cf);
}

typedef struct period (*period_step_fn)(const struct period *p);

/* Columns: period, fy_start, text, first, last: the step applied to the parsed period. */
static void run_period_step_file(const char *name, const char *op, period_step_fn step)
{
    struct case_file cf;

    case_open(&cf, name);
    while (case_next(&cf)) {
        const char *input = case_field(&cf, "period");
        int fy_start = (int)case_i64(&cf, "fy_start");
        struct period p = {.kind = PERIOD_DAY};
        struct sd_error err = {0};
        char subject[128];

        snprintf(subject, sizeof(subject), "%s('%s', fy %d)", op, input, fy_start);
        if (period_parse(input, strlen(input), fy_start, &p, &err) != 0) {
            case_fail(&cf, "%s: unexpected error: %s", subject, err.message);
            continue;
        }
        struct period moved = step(&p);
        check_period(&cf, subject, &moved, NULL);
        if (moved.kind != p.kind || moved.fy_start_month != p.fy_start_month)
            case_fail(&cf, "%s: kind or fiscal start changed", subject);
    }
    case_close(&cf);
}

static void test_period_prev(void **state)
{
    (void)state;
    run_period_step_file("date/period_prev.tsv", "period_prev", period_prev);
}

static void test_period_last_year(void **state)
{
    (void)state;
    run_period_step_file("date/period_last_year.tsv", "period_last_year", period_last_year);
}

/* The clock agrees with time(2) and falls in a sane window. */
static void test_ts_now(void **state)
{
    int64_t before = (int64_t)time(NULL) * 1000;
    int64_t now = ts_now_ms();
    int64_t after = (int64_t)time(NULL) * 1000 + 1000;

    (void)state;
    assert_true(now >= before && now <= after);
    assert_true(now > INT64_C(1704067200000)); /* 2024-01-01T00:00:00Z */
}

/* A NULL err is accepted by every parser; the status still comes back. */
static void test_null_error(void **state)
{
    int32_t day = 0;
    int64_t ms = 0;
    struct period p;

    (void)state;
    assert_int_equal(date_parse("2023-02-29", 10, &day, NULL), SD_EINVAL);
    assert_int_equal(ts_parse("2024-01-01T24:00", 16, &ms, NULL), SD_EINVAL);
    assert_int_equal(period_parse("2024-03-31..2024-01-01", 22, 1, &p, NULL), SD_EINVAL);
    assert_int_equal(period_parse("2024-02-30..2024-03-01", 22, 1, &p, NULL), SD_EINVAL);
    assert_int_equal(period_parse(NULL, 0, 1, &p, NULL), SD_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_civil),
        cmocka_unit_test(test_date_parse),
        cmocka_unit_test(test_month_lengths),
        cmocka_unit_test(test_date_valid),
        cmocka_unit_test(test_iso_weeks_in_year),
        cmocka_unit_test(test_from_iso_week),
        cmocka_unit_test(test_add_months),
        cmocka_unit_test(test_ts_parse),
        cmocka_unit_test(test_ts_format),
        cmocka_unit_test(test_format_against_libc),
        cmocka_unit_test(test_period_parse),
        cmocka_unit_test(test_period_errors),
        cmocka_unit_test(test_period_containing),
        cmocka_unit_test(test_period_prev),
        cmocka_unit_test(test_period_last_year),
        cmocka_unit_test(test_ts_now),
        cmocka_unit_test(test_null_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
