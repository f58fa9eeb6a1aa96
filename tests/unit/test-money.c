/* SPDX-License-Identifier: MIT */
/*
 * test-money: golden cases for base/money, read from the .tsv files in
 * SD_TEST_DATA_DIR/money.
 *
 * Each case file is tab-separated with a header line naming the columns;
 * '#' lines and blank lines are skipped. Text columns understand the escapes
 * \s (space), \t (tab), \n, \r, \0 (NUL) and \\. An `expected` column holds
 * either a number or the name of an error status (EINVAL, EOVERFLOW). Every
 * row is run; each failure is printed with its file, line, input, expected
 * and actual result, and the test fails at the end of the file.
 *
 * The expected values were worked out independently of this code (by hand
 * and with Python's decimal module, ROUND_HALF_UP), never pasted from it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/money.h"

#include "base/banned.h"

#include "case-file.h"
static int status_from_name(const char *name)
{
    if (strcmp(name, "EINVAL") == 0)
        return SD_EINVAL;
    if (strcmp(name, "EOVERFLOW") == 0)
        return SD_EOVERFLOW;
    return 0;
}

static const char *status_label(int rc)
{
    switch (rc) {
    case SD_EINVAL: return "EINVAL";
    case SD_EOVERFLOW: return "EOVERFLOW";
    default: return "unexpected status";
    }
}

/* A decimal integer that fills the whole column, or a failed test. */
static __int128 case_int(const struct case_file *cf, const char *column)
{
    const char *text = case_field(cf, column);
    int negative = text[0] == '-';
    size_t i = negative ? 1 : 0;
    unsigned __int128 value = 0;

    if (text[i] == '\0')
        fail_msg("%s:%ld: column %s: '%s' is not an integer", cf->name, cf->line_no, column, text);
    for (; text[i] != '\0'; i++) {
        if (text[i] < '0' || text[i] > '9')
            fail_msg("%s:%ld: column %s: '%s' is not an integer", cf->name, cf->line_no, column,
                     text);
        value = value * 10 + (unsigned)(text[i] - '0');
    }
    return negative ? (__int128)(0 - value) : (__int128)value;
}

static int64_t case_i64(const struct case_file *cf, const char *column)
{
    __int128 value = case_int(cf, column);
    if (value > INT64_MAX || value < INT64_MIN)
        fail_msg("%s:%ld: column %s does not fit in int64", cf->name, cf->line_no, column);
    return (int64_t)value;
}

/* Writes what an operation gave: its value, or the status it failed with. */
static const char *outcome(int rc, int64_t value, char *buf, size_t size)
{
    if (rc == 0)
        snprintf(buf, size, "%" PRId64, value);
    else
        snprintf(buf, size, "%s (%d)", status_label(rc), rc);
    return buf;
}

/* Compares (rc, got) with the `expected` column: a number, or a status name. */
static void check_outcome(struct case_file *cf, const char *input, int rc, int64_t got)
{
    const char *expected = case_field(cf, "expected");
    int want_rc = status_from_name(expected);
    char got_text[64];

    if (want_rc != 0 ? rc == want_rc : rc == 0 && got == case_i64(cf, "expected"))
        return;
    case_fail(cf, "%s: expected %s, got %s", input, expected,
              outcome(rc, got, got_text, sizeof(got_text)));
}

#define UNTOUCHED INT64_C(0x5a5a5a5a5a5a5a5a)

/* The extra promises of a parser's failure: out untouched, err filled, message as written. */
static void check_parse_error(struct case_file *cf, const char *input, int rc, int64_t out,
                              const struct sd_error *err)
{
    const char *message = case_field(cf, "message");

    if (rc == 0)
        return;
    if (out != UNTOUCHED)
        case_fail(cf, "input '%s': failed but changed *out", input);
    if (err->code != rc || err->message[0] == '\0')
        case_fail(cf, "input '%s': err not filled (code %d, message '%s')", input, err->code,
                  err->message);
    if (message[0] != '\0' && strcmp(message, err->message) != 0)
        case_fail(cf, "input '%s': expected message \"%s\", got \"%s\"", input, message,
                  err->message);
}

typedef int (*parse_fn)(const char *s, size_t len, int64_t *out, struct sd_error *err);

/* Columns: input, expected, message (empty: any message). */
static void run_parse_file(const char *name, parse_fn parse)
{
    struct case_file cf;

    case_open(&cf, name);
    while (case_next(&cf)) {
        char input[CASE_TEXT_MAX];
        char subject[CASE_TEXT_MAX + 16];
        size_t len = case_text(&cf, "input", input);
        struct sd_error err = {0};
        int64_t out = UNTOUCHED;
        int rc = parse(input, len, &out, &err);

        snprintf(subject, sizeof(subject), "input '%s'", case_field(&cf, "input"));
        check_outcome(&cf, subject, rc, out);
        check_parse_error(&cf, case_field(&cf, "input"), rc, out, &err);
    }
    case_close(&cf);
}

static void test_money_parse(void **state)
{
    (void)state;
    run_parse_file("money/parse.tsv", money_parse);
}

static void test_discount_parse(void **state)
{
    (void)state;
    run_parse_file("money/discount_parse.tsv", discount_parse);
}

static void check_text(struct case_file *cf, const char *subject, const char *want,
                       const char *got, size_t got_len)
{
    if (strcmp(want, got) != 0 || strlen(got) != got_len)
        case_fail(cf, "%s: expected '%s', got '%s' (length %zu)", subject, want, got, got_len);
}

/* Columns: units, text. Also parses the text back (except INT64_MIN, which is unrepresentable). */
static void test_money_format(void **state)
{
    struct case_file cf;

    (void)state;
    case_open(&cf, "money/format.tsv");
    while (case_next(&cf)) {
        int64_t units = case_i64(&cf, "units");
        const char *want = case_field(&cf, "text");
        char buf[MONEY_TEXT_MAX];
        char subject[64];
        size_t len = money_format(units, buf);
        int64_t back = 0;

        snprintf(subject, sizeof(subject), "money_format(%" PRId64 ")", units);
        check_text(&cf, subject, want, buf, len);
        if (units != INT64_MIN && (money_parse(want, strlen(want), &back, NULL) || back != units))
            case_fail(&cf, "money_parse('%s') does not give %" PRId64 " back", want, units);
    }
    case_close(&cf);
}

/* Columns: units, decimals, text. */
static void test_money_format_fixed(void **state)
{
    struct case_file cf;

    (void)state;
    case_open(&cf, "money/format_fixed.tsv");
    while (case_next(&cf)) {
        int64_t units = case_i64(&cf, "units");
        int decimals = (int)case_i64(&cf, "decimals");
        char buf[MONEY_TEXT_MAX];
        char subject[64];
        size_t len = money_format_fixed(units, decimals, buf);

        snprintf(subject, sizeof(subject), "money_format_fixed(%" PRId64 ", %d)", units, decimals);
        check_text(&cf, subject, case_field(&cf, "text"), buf, len);
    }
    case_close(&cf);
}

/* Columns: units, decimals, text. */
static void test_money_format_grouped(void **state)
{
    struct case_file cf;

    (void)state;
    case_open(&cf, "money/format_grouped.tsv");
    while (case_next(&cf)) {
        int64_t units = case_i64(&cf, "units");
        int decimals = (int)case_i64(&cf, "decimals");
        char buf[MONEY_GROUPED_MAX];
        char subject[64];
        size_t len = money_format_grouped(units, decimals, buf);

        snprintf(subject, sizeof(subject), "money_format_grouped(%" PRId64 ", %d)", units,
                 decimals);
        check_text(&cf, subject, case_field(&cf, "text"), buf, len);
    }
    case_close(&cf);
}

typedef int (*binary_fn)(int64_t a, int64_t b, int64_t *out);

/* Columns: the two named operand columns and expected. */
static void run_binary_file(const char *name, const char *op, const char *left,
                            const char *right, binary_fn fn)
{
    struct case_file cf;

    case_open(&cf, name);
    while (case_next(&cf)) {
        int64_t a = case_i64(&cf, left);
        int64_t b = case_i64(&cf, right);
        int64_t out = UNTOUCHED;
        char subject[128];
        int rc = fn(a, b, &out);

        snprintf(subject, sizeof(subject), "%s(%" PRId64 ", %" PRId64 ")", op, a, b);
        check_outcome(&cf, subject, rc, out);
        if (rc != 0 && out != UNTOUCHED)
            case_fail(&cf, "%s: failed but changed *out", subject);
    }
    case_close(&cf);
}

static void test_money_add(void **state)
{
    (void)state;
    run_binary_file("money/add.tsv", "money_add", "a", "b", money_add);
}

static void test_money_mul_qty(void **state)
{
    (void)state;
    run_binary_file("money/mul_qty.tsv", "money_mul_qty", "price", "qty", money_mul_qty);
}

static void test_money_apply_discount(void **state)
{
    (void)state;
    run_binary_file("money/apply_discount.tsv", "money_apply_discount", "amount", "discount",
                    money_apply_discount);
}

/* Columns: price, qty, discount, expected. */
static void test_money_line_net(void **state)
{
    struct case_file cf;

    (void)state;
    case_open(&cf, "money/line_net.tsv");
    while (case_next(&cf)) {
        int64_t price = case_i64(&cf, "price");
        int64_t qty = case_i64(&cf, "qty");
        int64_t discount = case_i64(&cf, "discount");
        int64_t out = UNTOUCHED;
        char subject[128];
        int rc = money_line_net(price, qty, discount, &out);

        snprintf(subject, sizeof(subject), "money_line_net(%" PRId64 ", %" PRId64 ", %" PRId64 ")",
                 price, qty, discount);
        check_outcome(&cf, subject, rc, out);
    }
    case_close(&cf);
}

/* Columns: num, den (128-bit decimals), expected. */
static void test_money_div_round(void **state)
{
    struct case_file cf;

    (void)state;
    case_open(&cf, "money/div_round.tsv");
    while (case_next(&cf)) {
        int64_t out = UNTOUCHED;
        char subject[160];
        int rc = money_div_round(case_int(&cf, "num"), case_int(&cf, "den"), &out);

        snprintf(subject, sizeof(subject), "money_div_round(%s, %s)", case_field(&cf, "num"),
                 case_field(&cf, "den"));
        check_outcome(&cf, subject, rc, out);
        if (rc != 0 && out != UNTOUCHED)
            case_fail(&cf, "%s: failed but changed *out", subject);
    }
    case_close(&cf);
}

/* Columns: discount (millionths), text. Also parses the text back when within -1..1. */
static void test_discount_format(void **state)
{
    struct case_file cf;

    (void)state;
    case_open(&cf, "money/discount_format.tsv");
    while (case_next(&cf)) {
        int64_t discount = case_i64(&cf, "discount");
        const char *want = case_field(&cf, "text");
        char buf[MONEY_TEXT_MAX];
        char subject[64];
        size_t len = discount_format(discount, buf);
        int64_t back = 0;
        int in_range = discount >= -DISCOUNT_SCALE && discount <= DISCOUNT_SCALE;

        snprintf(subject, sizeof(subject), "discount_format(%" PRId64 ")", discount);
        check_text(&cf, subject, want, buf, len);
        if (in_range && (discount_parse(want, strlen(want), &back, NULL) || back != discount))
            case_fail(&cf, "discount_parse('%s') does not give %" PRId64 " back", want, discount);
    }
    case_close(&cf);
}

/* A NULL err must be accepted everywhere; statuses still come back. */
static void test_null_error(void **state)
{
    int64_t out = 0;

    (void)state;
    assert_int_equal(money_parse("1e5", 3, &out, NULL), SD_EINVAL);
    assert_int_equal(money_parse("1000000000000000", 16, &out, NULL), SD_EOVERFLOW);
    assert_int_equal(discount_parse("2", 1, &out, NULL), SD_EINVAL);
    assert_int_equal(money_parse(NULL, 0, &out, NULL), SD_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_money_parse),
        cmocka_unit_test(test_money_format),
        cmocka_unit_test(test_money_format_fixed),
        cmocka_unit_test(test_money_format_grouped),
        cmocka_unit_test(test_money_add),
        cmocka_unit_test(test_money_mul_qty),
        cmocka_unit_test(test_money_apply_discount),
        cmocka_unit_test(test_money_line_net),
        cmocka_unit_test(test_money_div_round),
        cmocka_unit_test(test_discount_parse),
        cmocka_unit_test(test_discount_format),
        cmocka_unit_test(test_null_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
