/* SPDX-License-Identifier: MIT */
/*
 * money: exact decimal text to and from 1/10000 units, discounts in
 * millionths, and the arithmetic of order lines. Every product is formed in
 * 128 bits and rounded once, half away from zero; every result is checked
 * against the representable range (the int64 range without INT64_MIN) before
 * it is stored, so nothing ever wraps.
 */
#include "base/money.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/banned.h"

#define DISCOUNT_DECIMALS 6
#define MONEY_RANGE_TEXT "-922337203685477.5807..922337203685477.5807"


/* The scanner stops accumulating past this: far beyond any caller's range. */
#define DECIMAL_CAP ((__int128)1 << 100)
#define INT128_MAX_VALUE ((__int128)(((unsigned __int128)1 << 127) - 1))

enum decimal_status {
    DECIMAL_OK,
    DECIMAL_MALFORMED,   /* not [+-]digits[.digits] with at least one digit */
    DECIMAL_TOO_PRECISE, /* a non-zero digit past the allowed decimal places */
};

static const uint64_t power_of_ten[] = {1, 10, 100, 1000, 10000, 100000, 1000000};

/* Stores `value` in `*out` when it is within MONEY_MIN..MONEY_MAX. */
static int store_checked(__int128 value, int64_t *out)
{
    if (value > MONEY_MAX || value < MONEY_MIN)
        return SD_EOVERFLOW;
    *out = (int64_t)value;
    return 0;
}

static __int128 abs128(__int128 value)
{
    return value < 0 ? -value : value;
}

/*
 * Scans [+-]digits[.digits] (digits on at least one side of the point) into
 * an integer scaled by 10^places. Digits past `places` decimals must be
 * zeros. Magnitudes beyond DECIMAL_CAP stay at least DECIMAL_CAP, so callers
 * see them as out of range without the scan overflowing.
 */
static enum decimal_status scan_decimal(const char *s, size_t len, int places, __int128 *out)
{
    size_t pos = 0;
    int negative = len > 0 && s[0] == '-';
    int digits = 0, decimals = -1, too_precise = 0;
    __int128 value = 0;

    if (len > 0 && (s[0] == '-' || s[0] == '+'))
        pos++;
    for (; pos < len; pos++) {
        char c = s[pos];
        if (c == '.' && decimals < 0) {
            decimals = 0;
            continue;
        }
        if (c < '0' || c > '9')
            return DECIMAL_MALFORMED;
        digits++;
        if (decimals >= 0 && decimals >= places) {
            too_precise |= c != '0';
            continue;
        }
        if (decimals >= 0)
            decimals++;
        if (value < DECIMAL_CAP)
            value = value * 10 + (c - '0');
    }
    if (digits == 0)
        return DECIMAL_MALFORMED;
    if (too_precise)
        return DECIMAL_TOO_PRECISE;
    value *= (__int128)power_of_ten[places - (decimals < 0 ? 0 : decimals)];
    *out = negative ? -value : value;
    return DECIMAL_OK;
}

int money_parse(const char *s, size_t len, int64_t *out, struct sd_error *err)
{
    __int128 value = 0;

    switch (scan_decimal(s, len, MONEY_DECIMALS, &value)) {
    case DECIMAL_MALFORMED:
        return sd_error_set(err, SD_EINVAL, SD_QUOTE_FMT " is not a number", SD_QUOTE_ARGS(s, len));
    case DECIMAL_TOO_PRECISE:
        return sd_error_set(err, SD_EINVAL, SD_QUOTE_FMT " has more than %d decimal places",
                            SD_QUOTE_ARGS(s, len), MONEY_DECIMALS);
    case DECIMAL_OK:
        break;
    }
    if (store_checked(value, out) != 0)
        return sd_error_set(err, SD_EOVERFLOW, SD_QUOTE_FMT " is out of range (%s)",
                            SD_QUOTE_ARGS(s, len), MONEY_RANGE_TEXT);
    return 0;
}

/*
 * Writes magnitude / 10^places with exactly `places` decimals (none and no
 * point when places is 0), preceded by '-' when `negative`.
 */
static size_t format_scaled(int negative, uint64_t magnitude, int places, char *buf)
{
    /* Digits right to left (no snprintf: it was a tenth of writing a JSON answer). */
    char tmp[MONEY_TEXT_MAX];
    size_t n = 0;
    for (int i = 0; i < places; i++, magnitude /= 10)
        tmp[n++] = (char)('0' + magnitude % 10);
    if (places > 0)
        tmp[n++] = '.';
    do {
        tmp[n++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    size_t len = 0;
    if (negative)
        buf[len++] = '-';
    while (n)
        buf[len++] = tmp[--n];
    buf[len] = '\0';
    return len;
}

/* Drops trailing zero decimals, and the point when none are left. */
static size_t trim_decimals(char *buf, size_t len)
{
    size_t point = 0;

    while (point < len && buf[point] != '.')
        point++;
    if (point == len)
        return len;
    while (len > point + 1 && buf[len - 1] == '0')
        len--;
    if (len == point + 1)
        len = point;
    buf[len] = '\0';
    return len;
}

static uint64_t magnitude_of(int64_t v)
{
    return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

size_t money_format(int64_t v, char *buf)
{
    size_t len = format_scaled(v < 0, magnitude_of(v), MONEY_DECIMALS, buf);
    return trim_decimals(buf, len);
}

size_t money_format_fixed(int64_t v, int decimals, char *buf)
{
    if (decimals < 0)
        decimals = 0;
    if (decimals > MONEY_DECIMALS)
        decimals = MONEY_DECIMALS;
    uint64_t step = power_of_ten[MONEY_DECIMALS - decimals];
    /* Rounding the magnitude half up is rounding the value half away from zero. */
    uint64_t rounded = (magnitude_of(v) + step / 2) / step;
    return format_scaled(v < 0 && rounded != 0, rounded, decimals, buf);
}

size_t money_format_grouped(int64_t v, int decimals, char *buf)
{
    char plain[MONEY_TEXT_MAX];
    size_t len = money_format_fixed(v, decimals, plain);
    const char *digits = plain + (plain[0] == '-');
    size_t whole = strcspn(digits, ".");
    size_t n = 0;

    if (plain[0] == '-')
        buf[n++] = '-';
    for (size_t i = 0; i < whole; i++) {
        if (i > 0 && (whole - i) % 3 == 0)
            buf[n++] = ',';
        buf[n++] = digits[i];
    }
    size_t rest = len - (size_t)(digits - plain) - whole; /* ".dd" or nothing */
    memcpy(buf + n, digits + whole, rest + 1);
    return n + rest;
}

int money_add(int64_t a, int64_t b, int64_t *out)
{
    return store_checked((__int128)a + b, out);
}

int money_mul_qty(int64_t price, int64_t qty, int64_t *out)
{
    return store_checked((__int128)price * qty, out);
}

int money_apply_discount(int64_t amount, int64_t discount, int64_t *out)
{
    return money_line_net(amount, 1, discount, out);
}

int money_line_net(int64_t unit_price, int64_t qty, int64_t discount, int64_t *out)
{
    __int128 gross = (__int128)unit_price * qty;
    __int128 factor = (__int128)DISCOUNT_SCALE - discount;

    /*
     * |gross| < 2^126 and |factor| < 2^64, so their product may not fit in
     * 128 bits; when it would not, the rounded result is far beyond int64.
     */
    if (factor != 0 && abs128(gross) > INT128_MAX_VALUE / abs128(factor))
        return SD_EOVERFLOW;
    return money_div_round(gross * factor, DISCOUNT_SCALE, out);
}

int money_div_round(__int128 num, __int128 den, int64_t *out)
{
    if (den <= 0)
        return SD_EINVAL;
    __int128 quotient = num / den;
    __int128 remainder = abs128(num % den);
    /* remainder >= den / 2 without forming 2 × remainder, which could overflow. */
    if (remainder >= den - remainder)
        quotient += num < 0 ? -1 : 1;
    return store_checked(quotient, out);
}

static int has_percent_sign(const char *s, size_t len)
{
    return len > 0 && s[len - 1] == '%';
}

int discount_parse(const char *s, size_t len, int64_t *out, struct sd_error *err)
{
    __int128 value = 0;

    switch (scan_decimal(s, len, DISCOUNT_DECIMALS, &value)) {
    case DECIMAL_MALFORMED:
        if (has_percent_sign(s, len))
            return sd_error_set(err, SD_EINVAL,
                                SD_QUOTE_FMT " is not a discount: write a fraction (0.05 for 5 %%)",
                                SD_QUOTE_ARGS(s, len));
        return sd_error_set(err, SD_EINVAL,
                            SD_QUOTE_FMT " is not a discount (a fraction such as 0.05)",
                            SD_QUOTE_ARGS(s, len));
    case DECIMAL_TOO_PRECISE:
        return sd_error_set(err, SD_EINVAL, SD_QUOTE_FMT " has more than %d decimal places",
                            SD_QUOTE_ARGS(s, len), DISCOUNT_DECIMALS);
    case DECIMAL_OK:
        break;
    }
    if (value > DISCOUNT_SCALE || value < -DISCOUNT_SCALE)
        return sd_error_set(err, SD_EINVAL, SD_QUOTE_FMT " is out of range (-1..1)",
                            SD_QUOTE_ARGS(s, len));
    *out = (int64_t)value;
    return 0;
}

size_t discount_format(int64_t discount, char *buf)
{
    size_t len = format_scaled(discount < 0, magnitude_of(discount), DISCOUNT_DECIMALS, buf);
    return trim_decimals(buf, len);
}
