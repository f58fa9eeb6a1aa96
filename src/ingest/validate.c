/* SPDX-License-Identifier: MIT */
/* validate: typed parsing of one field's text (see validate.h). */
#include "ingest/validate.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/date.h"
#include "base/money.h"
#include "base/banned.h"

#define NUMBER_TEXT_MAX 64
#define DAY_MS 86400000LL

/* Copies a number into `buf` in plain form: thousands separators dropped, decimal mark '.'. */
static int normalise_number(const char *text, size_t len, const struct field_map *map, char *buf,
                            size_t *out_len, struct sd_error *err)
{
    char decimal = map && map->decimal ? map->decimal : '.';
    char thousands = map ? map->thousands : 0;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (thousands && c == thousands)
            continue;
        if (c == decimal)
            c = '.';
        else if (c == '.' && decimal != '.')
            return sd_error_set(err, SD_EINVAL, SD_QUOTE_FMT " is not a number (decimal mark is '%c')",
                                SD_QUOTE_ARGS(text, len), decimal);
        if (n + 1 >= NUMBER_TEXT_MAX)
            return sd_error_set(err, SD_EINVAL, SD_QUOTE_FMT " is too long for a number",
                                SD_QUOTE_ARGS(text, len));
        buf[n++] = c;
    }
    buf[n] = '\0';
    *out_len = n;
    return 0;
}

/* An exact decimal with up to 4 places (1/10000 units), after normalising. */
static int parse_units(const char *text, size_t len, const struct field_map *map, int64_t *out,
                       struct sd_error *err)
{
    char buf[NUMBER_TEXT_MAX];
    size_t n = 0;
    int rc = normalise_number(text, len, map, buf, &n, err);
    return rc ? rc : money_parse(buf, n, out, err);
}

static int check_range(const struct field_def *def, int64_t v, const char *text, size_t len,
                       struct sd_error *err)
{
    if (def->min == def->max || (v >= def->min && v <= def->max))
        return 0;
    return sd_error_set(err, SD_EINVAL, SD_QUOTE_FMT " is out of range", SD_QUOTE_ARGS(text, len));
}

static int parse_int(const struct field_def *def, const struct field_map *map, const char *text,
                     size_t len, int64_t *out, struct sd_error *err)
{
    int64_t units = 0;
    if (parse_units(text, len, map, &units, NULL) != 0 || units % MONEY_SCALE != 0)
        return sd_error_set(err, SD_EINVAL, SD_QUOTE_FMT " is not a whole number",
                            SD_QUOTE_ARGS(text, len));
    *out = units / MONEY_SCALE;
    return check_range(def, *out, text, len, err);
}

/* "5%" or (with percent) "5" → 50000 millionths; else a fraction "0.05". */
static int parse_fraction(const struct field_def *def, const struct field_map *map,
                          const char *text, size_t len, int64_t *out, struct sd_error *err)
{
    int as_percent = def->type == FT_PERCENT || (map && map->percent);
    if (len > 0 && text[len - 1] == '%') {
        as_percent = 1;
        len--;
    }
    int64_t units = 0;
    int rc = parse_units(text, len, map, &units, err);
    if (rc)
        return rc;
    if (!as_percent && (units > MONEY_SCALE || units < -MONEY_SCALE))
        return sd_error_set(err, SD_EINVAL, SD_QUOTE_FMT " is not a fraction between 0 and 1"
                            " (write 5%% or 0.05)", SD_QUOTE_ARGS(text, len));
    /* p percent is p/100 of one = p * 10^4 millionths, which is p in 1/10000 units. */
    int64_t millionths = as_percent ? units : units * 100;
    if (millionths < 0 || millionths > DISCOUNT_SCALE)
        return sd_error_set(err, SD_EINVAL, SD_QUOTE_FMT " is not between 0 and 100%%",
                            SD_QUOTE_ARGS(text, len));
    *out = millionths;
    return 0;
}

/* An exact decimal with up to 8 places, × 10^8 (currency rates). */
static int parse_rate(const char *text, size_t len, const struct field_map *map, int64_t *out,
                      struct sd_error *err)
{
    char buf[NUMBER_TEXT_MAX];
    size_t n = 0;
    int rc = normalise_number(text, len, map, buf, &n, err);
    if (rc)
        return rc;
    int64_t whole = 0, frac = 0;
    int places = 0, seen_dot = 0, digits = 0;
    for (size_t i = 0; i < n; i++) {
        char c = buf[i];
        if (c == '.' && !seen_dot) {
            seen_dot = 1;
        } else if (c >= '0' && c <= '9' && !seen_dot && whole < 1000000000) {
            whole = whole * 10 + (c - '0');
            digits++;
        } else if (c >= '0' && c <= '9' && seen_dot && places < 8) {
            frac = frac * 10 + (c - '0');
            places++;
            digits++;
        } else if (!(c == '0' && seen_dot)) {
            return sd_error_set(err, SD_EINVAL, SD_QUOTE_FMT " is not a rate (up to 8 decimals)",
                                SD_QUOTE_ARGS(text, len));
        }
    }
    if (!digits)
        return sd_error_set(err, SD_EINVAL, SD_QUOTE_FMT " is not a rate", SD_QUOTE_ARGS(text, len));
    while (places < 8) {
        frac *= 10;
        places++;
    }
    *out = whole * 100000000 + frac;
    return 0;
}

static int month_from_name(const char *s, size_t len, int *month)
{
    static const char *const names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                        "jul", "aug", "sep", "oct", "nov", "dec"};
    if (len < 3)
        return SD_EINVAL;
    for (int i = 0; i < 12; i++) {
        if (strncasecmp(s, names[i], 3) == 0) {
            *month = i + 1;
            return 0;
        }
    }
    return SD_EINVAL;
}

/* Reads 1..max digits at *p; the count read, or 0. */
static int read_digits(const char *text, size_t len, size_t *p, int max, int *value)
{
    int n = 0;
    *value = 0;
    while (*p < len && n < max && text[*p] >= '0' && text[*p] <= '9') {
        *value = *value * 10 + (text[*p] - '0');
        (*p)++;
        n++;
    }
    return n;
}

struct date_parts {
    int year, month, day, hour, minute, second;
};

static int format_directive(char d, const char *text, size_t len, size_t *p,
                            struct date_parts *t)
{
    int v = 0;
    switch (d) {
    case 'Y': if (read_digits(text, len, p, 4, &t->year) != 4) return -1; return 0;
    case 'y':
        if (read_digits(text, len, p, 2, &v) != 2)
            return -1;
        t->year = v < 70 ? 2000 + v : 1900 + v;
        return 0;
    case 'm': return read_digits(text, len, p, 2, &t->month) ? 0 : -1;
    case 'd':
    case 'e': return read_digits(text, len, p, 2, &t->day) ? 0 : -1;
    case 'H': return read_digits(text, len, p, 2, &t->hour) ? 0 : -1;
    case 'M': return read_digits(text, len, p, 2, &t->minute) ? 0 : -1;
    case 'S': return read_digits(text, len, p, 2, &t->second) ? 0 : -1;
    case 'b': {
        size_t start = *p;
        while (*p < len && ((text[*p] | 32) >= 'a' && (text[*p] | 32) <= 'z'))
            (*p)++;
        return month_from_name(text + start, *p - start, &t->month) ? -1 : 0;
    }
    default: return -1;
    }
}

int validate_date_format(const char *text, size_t len, const char *format, int32_t *day,
                         int64_t *ms_of_day, struct sd_error *err)
{
    struct date_parts t = {0, 1, 1, 0, 0, 0};
    size_t p = 0;
    for (const char *f = format; *f; f++) {
        int bad = 0;
        if (*f == '%' && f[1]) {
            bad = format_directive(*++f, text, len, &p, &t);
        } else {
            bad = p >= len || text[p] != *f;
            p++;
        }
        if (bad)
            return sd_error_set(err, SD_EINVAL, SD_QUOTE_FMT " does not match the date format '%s'",
                                SD_QUOTE_ARGS(text, len), format);
    }
    if (p != len)
        return sd_error_set(err, SD_EINVAL, SD_QUOTE_FMT " has text after the date format '%s'",
                            SD_QUOTE_ARGS(text, len), format);
    if (!date_valid(t.year, t.month, t.day) || t.hour > 23 || t.minute > 59 || t.second > 59)
        return sd_error_set(err, SD_EINVAL, SD_QUOTE_FMT " is not a real date",
                            SD_QUOTE_ARGS(text, len));
    *day = date_from_civil(t.year, t.month, t.day);
    if (ms_of_day)
        *ms_of_day = ((t.hour * 60LL + t.minute) * 60 + t.second) * 1000;
    return 0;
}

/* An Excel serial day (1900 system, with its phantom 1900-02-29). */
static int parse_excel_serial(const char *text, size_t len, int32_t *day, struct sd_error *err)
{
    int64_t units = 0;
    if (money_parse(text, len, &units, NULL) != 0 || units < MONEY_SCALE ||
        units > 2958465LL * MONEY_SCALE)
        return sd_error_set(err, SD_EINVAL, SD_QUOTE_FMT " is not an Excel date serial",
                            SD_QUOTE_ARGS(text, len));
    int64_t serial = units / MONEY_SCALE;
    if (serial == 60)
        return sd_error_set(err, SD_EINVAL, "Excel serial 60 is 1900-02-29, which did not exist");
    /* Serial 1 is 1900-01-01; serials from 61 on count the phantom leap day. */
    *day = date_from_civil(1899, 12, 31) + (int32_t)serial - (serial > 60 ? 1 : 0);
    return 0;
}

static int parse_date(const struct field_def *def, const struct field_map *map, const char *text,
                      size_t len, int64_t *out, struct sd_error *err)
{
    int32_t day = 0;
    int rc;
    const char *format = map ? map->date_format : NULL;
    if (format && strcmp(format, "excel") == 0)
        rc = parse_excel_serial(text, len, &day, err);
    else if (format)
        rc = validate_date_format(text, len, format, &day, NULL, err);
    else if (len > 10 && (text[10] == 'T' || text[10] == ' '))
        rc = date_parse(text, 10, &day, err) ? date_parse(text, len, &day, err) : 0;
    else
        rc = date_parse(text, len, &day, err);
    if (rc)
        return rc;
    *out = day;
    return check_range(def, day, text, len, err);
}

static int parse_timestamp(const struct field_map *map, const char *text, size_t len,
                           int64_t *out, struct sd_error *err)
{
    const char *format = map ? map->date_format : NULL;
    if (!format)
        return ts_parse(text, len, out, err);
    int32_t day = 0;
    int64_t ms = 0;
    int rc = validate_date_format(text, len, format, &day, &ms, err);
    if (rc == 0)
        *out = (int64_t)day * DAY_MS + ms;
    return rc;
}

static int parse_enum(const struct field_def *def, const char *text, size_t len,
                      struct typed_value *out, struct sd_error *err)
{
    char allowed[256] = "";
    size_t used = 0;
    for (const char *const *v = def->values; *v; v++) {
        if (strlen(*v) == len && strncasecmp(*v, text, len) == 0) {
            out->s = *v;
            out->len = len;
            return 0;
        }
        int n = snprintf(allowed + used, sizeof(allowed) - used, "%s%s", used ? ", " : "", *v);
        if (n > 0 && (size_t)n < sizeof(allowed) - used)
            used += (size_t)n;
    }
    return sd_error_set(err, SD_EINVAL, SD_QUOTE_FMT " is not one of %s", SD_QUOTE_ARGS(text, len),
                        allowed);
}

static int parse_period_text(const char *text, size_t len, int fy_start_month, int64_t *first,
                             struct sd_error *err)
{
    struct period p;
    int rc = period_parse(text, len, fy_start_month, &p, err);
    if (rc == 0)
        *first = p.first;
    return rc;
}

int validate_value(const struct field_def *def, const struct field_map *map, const char *text,
                   size_t len, int fy_start_month, struct typed_value *out, struct sd_error *err)
{
    out->i = 0;
    out->s = text;
    out->len = len;
    switch (def->type) {
    case FT_TEXT:
    case FT_ID: return 0;
    case FT_ENUM: return parse_enum(def, text, len, out, err);
    case FT_MONEY: {
        int rc = parse_units(text, len, map, &out->i, err);
        return rc ? rc : check_range(def, out->i, text, len, err);
    }
    case FT_DISCOUNT:
    case FT_PERCENT: return parse_fraction(def, map, text, len, &out->i, err);
    case FT_INT: return parse_int(def, map, text, len, &out->i, err);
    case FT_DATE: return parse_date(def, map, text, len, &out->i, err);
    case FT_TIMESTAMP: return parse_timestamp(map, text, len, &out->i, err);
    case FT_RATE: return parse_rate(text, len, map, &out->i, err);
    case FT_PERIOD: return parse_period_text(text, len, fy_start_month, &out->i, err);
    }
    return sd_error_set(err, SD_EINVAL, "unknown field type");
}
