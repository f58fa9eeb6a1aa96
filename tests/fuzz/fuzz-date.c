/* SPDX-License-Identifier: MIT */
/*
 * fuzz-date: libFuzzer target for the date, timestamp and period parsers. Any
 * input must be rejected or accepted without a sanitizer report, and accepted
 * values must survive format → parse unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/date.h"
#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_date(const char *text, size_t len)
{
    int32_t day = 0, again = 0;
    if (date_parse(text, len, &day, NULL) != 0)
        return;
    char buf[DATE_TEXT_MAX];
    size_t n = date_format(day, buf);
    if (date_parse(buf, n, &again, NULL) != 0 || again != day)
        abort();
}

static void check_ts(const char *text, size_t len)
{
    int64_t ms = 0, again = 0;
    if (ts_parse(text, len, &ms, NULL) != 0)
        return;
    char buf[TS_TEXT_MAX];
    size_t n = ts_format(ms, buf);
    if (ts_parse(buf, n, &again, NULL) != 0 || again != ms)
        abort();
}

static void check_period(const char *text, size_t len, int fy_start)
{
    struct period p, again;
    if (period_parse(text, len, fy_start, &p, NULL) != 0)
        return;
    char buf[PERIOD_TEXT_MAX];
    size_t n = period_format(&p, buf);
    if (period_parse(buf, n, fy_start, &again, NULL) != 0 || again.first != p.first ||
        again.last != p.last || again.kind != p.kind)
        abort();
    if (p.first > p.last || period_days(&p) != p.last - p.first + 1)
        abort();
    period_prev(&p);
    period_last_year(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    int fy_start = data[0] % 12 + 1;
    char *text = malloc(size - 1 ? size - 1 : 1);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    check_date(text, size - 1);
    check_ts(text, size - 1);
    check_period(text, size - 1, fy_start);
    free(text);
    return 0;
}
