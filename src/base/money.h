/* SPDX-License-Identifier: MIT */
/*
 * money: exact amounts as int64_t in units of 1/10000 of the currency (like ERP
 * "money" columns), and discounts as exact fractions in millionths.
 *
 * Invariants: money never passes through double. Products of money, quantity
 * and discount use 128-bit intermediates and are rounded half away from zero
 * to 1/10000. Every operation that could leave int64 range reports
 * SD_EOVERFLOW instead of wrapping. The representable range is the whole
 * int64 range except INT64_MIN (so that negation is always defined).
 */
#ifndef SD_BASE_MONEY_H
#define SD_BASE_MONEY_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define MONEY_SCALE 10000        /* units per currency unit */
#define MONEY_DECIMALS 4
#define DISCOUNT_SCALE 1000000   /* discount 0.05 is 50000 */
#define MONEY_MAX INT64_MAX
#define MONEY_MIN (-INT64_MAX)
/* Longest text money_format writes, with the terminating NUL. */
#define MONEY_TEXT_MAX 24

/*
 * Parses decimal text `s` of `len` bytes ("1234.5", "-0.0001", "+3", "12.",
 * ".5") into 1/10000 units. No spaces, no thousands separators, no exponent.
 * Digits past the fourth decimal must be zeros ("1.23450" is fine, "1.23456"
 * is rejected: money is never silently rounded). Leading zeros and a leading
 * '+' are fine. Returns 0, SD_EINVAL for malformed text (reported before any
 * range problem), SD_EOVERFLOW when out of range (MONEY_MIN..MONEY_MAX); `*out`
 * is untouched on error.
 */
int money_parse(const char *s, size_t len, int64_t *out, struct sd_error *err);

/*
 * Writes `v` as the shortest exact decimal: 12345000 -> "1234.5", 0 -> "0",
 * -1 -> "-0.0001", 20000 -> "2". `buf` must hold MONEY_TEXT_MAX bytes.
 * Returns the length written.
 */
size_t money_format(int64_t v, char *buf);

/*
 * Like money_format but always with exactly `decimals` (0..4) decimal places,
 * rounding half away from zero when fewer than 4: for display ("1234.50").
 * `decimals` outside 0..4 is clamped to that range. A negative amount that
 * rounds to zero is written without a sign (-0.0001 with 2 decimals is "0.00").
 * `buf` must hold MONEY_TEXT_MAX bytes. Returns the length written.
 */
size_t money_format_fixed(int64_t v, int decimals, char *buf);

/* Longest text money_format_grouped writes, with the terminating NUL. */
#define MONEY_GROUPED_MAX 32

/*
 * money_format_fixed with a ',' between groups of three digits of the whole
 * part, for people: 12345678900 with 2 decimals is "1,234,567.89". `buf` must
 * hold MONEY_GROUPED_MAX bytes. Returns the length written.
 */
size_t money_format_grouped(int64_t v, int decimals, char *buf);

/*
 * The arithmetic below returns 0, or SD_EOVERFLOW when the exact (rounded)
 * result is outside MONEY_MIN..MONEY_MAX; `*out` is untouched on error.
 */

/* *out = a + b, or SD_EOVERFLOW. */
int money_add(int64_t a, int64_t b, int64_t *out);

/* *out = price × qty (qty in whole units, may be negative), or SD_EOVERFLOW. */
int money_mul_qty(int64_t price, int64_t qty, int64_t *out);

/*
 * *out = amount × (1 − discount), discount in millionths (0..DISCOUNT_SCALE,
 * negative allowed for surcharges), rounded half away from zero to 1/10000.
 * Same as money_line_net(amount, 1, discount). A discount outside the usual
 * range is computed all the same (discount_parse is where the range is
 * enforced); only an unrepresentable result is an error.
 */
int money_apply_discount(int64_t amount, int64_t discount, int64_t *out);

/*
 * A line's net: qty × unit_price × (1 − discount), computed exactly in 128
 * bits and rounded once, half away from zero, to 1/10000. SD_EOVERFLOW when
 * the result does not fit.
 */
int money_line_net(int64_t unit_price, int64_t qty, int64_t discount, int64_t *out);

/*
 * Parses a discount written as a fraction ("0.05", "0.125", "0") into
 * millionths. Same syntax as money_parse; at most 6 decimals (extra zeros
 * allowed); range -1..1. Returns 0 or SD_EINVAL (malformed, too many decimals
 * or out of range); `*out` is untouched on error.
 */
int discount_parse(const char *s, size_t len, int64_t *out, struct sd_error *err);

/*
 * Writes a discount in millionths as the shortest exact fraction: 50000 ->
 * "0.05", 0 -> "0", -250000 -> "-0.25". `buf` must hold MONEY_TEXT_MAX bytes.
 * Returns the length written.
 */
size_t discount_format(int64_t discount, char *buf);

/*
 * Rounds num/den half away from zero, for money ratios (den > 0). Returns
 * SD_EOVERFLOW when the result is outside MONEY_MIN..MONEY_MAX (INT64_MIN is
 * not representable), SD_EINVAL when den <= 0; `*out` is untouched on error.
 */
int money_div_round(__int128 num, __int128 den, int64_t *out);

#endif
