/* SPDX-License-Identifier: MIT */
/*
 * test-formula: golden cases for engine/formula, read from
 * SD_TEST_DATA_DIR/formula/parse.tsv (text → normalised text and needs, or
 * the error's status, column and message) and eval.tsv (text + the values
 * the callback answers → result and the calls the callback saw). The file
 * headers describe the columns. Limits that a case file cannot hold (texts of
 * 512 bytes and more) and the small contracts (NULL err, format limits) are
 * tested here in code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/money.h"
#include "base/strbuf.h"
#include "engine/formula.h"

#include "base/banned.h"

#include "case-file.h"

static const char *const names[] = {"revenue", "cost", "orders", "margin", "net_2024"};
#define NAME_COUNT (sizeof(names) / sizeof(names[0]))

#define KEY_MAX   48
#define CALLS_MAX 64

/* name[@prev[,years]]: how the case files write a value the formula needs. */
static void key_text(int measure, struct formula_shift shift, char *buf, size_t size)
{
    const char *name = measure == FORMULA_TARGET ? "target" : names[measure];

    if (shift.years != 0)
        snprintf(buf, size, "%s@%d,%d", name, shift.prev, shift.years);
    else if (shift.prev != 0)
        snprintf(buf, size, "%s@%d", name, shift.prev);
    else
        snprintf(buf, size, "%s", name);
}

static const char *status_label(int rc)
{
    switch (rc) {
    case SD_EINVAL: return "EINVAL";
    case SD_ELIMIT: return "ELIMIT";
    case SD_EDB: return "EDB";
    default: return "unexpected status";
    }
}

/* The needs of `f` as the case files write them: keys joined by spaces, '-' for none. */
static void needs_text(const struct formula *f, char *buf, size_t size)
{
    size_t count = 0, used = 0;
    const struct formula_need *needs = formula_needs(f, &count);

    snprintf(buf, size, "-");
    for (size_t i = 0; i < count && used < size; i++) {
        char key[KEY_MAX];
        key_text(needs[i].measure, needs[i].shift, key, sizeof(key));
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? " " : "", key);
    }
}

static char *formatted(const struct formula *f, struct strbuf *sb)
{
    strbuf_reset(sb);
    assert_int_equal(formula_format(f, sb), 0);
    return sb->buf;
}

/* The normalised text must parse back to a formula that prints the same. */
static void check_round_trip(struct case_file *cf, const char *text)
{
    struct formula *again = NULL;
    struct strbuf sb = STRBUF_INIT;
    struct sd_error err = {0};

    if (formula_parse(text, strlen(text), names, NAME_COUNT, &again, &err) != 0)
        case_fail(cf, "normalised '%s' does not parse: %s", text, err.message);
    else if (strcmp(formatted(again, &sb), text) != 0)
        case_fail(cf, "normalised '%s' prints as '%s'", text, sb.buf);
    formula_free(again);
    strbuf_release(&sb);
}

static void check_accepted(struct case_file *cf, const char *input, int rc, struct formula *f,
                           const struct sd_error *err)
{
    const char *want = case_field(cf, "expected");
    struct strbuf sb = STRBUF_INIT;
    char needs[512];

    if (rc != 0) {
        case_fail(cf, "'%s': expected '%s', got %s: %s", input, want, status_label(rc),
                  err->message);
        return;
    }
    if (strcmp(formatted(f, &sb), want) != 0)
        case_fail(cf, "'%s': expected normalised '%s', got '%s'", input, want, sb.buf);
    needs_text(f, needs, sizeof(needs));
    if (strcmp(needs, case_field(cf, "needs")) != 0)
        case_fail(cf, "'%s': expected needs '%s', got '%s'", input, case_field(cf, "needs"), needs);
    check_round_trip(cf, want);
    strbuf_release(&sb);
}

static void check_rejected(struct case_file *cf, const char *input, int rc, const struct formula *f,
                           const struct sd_error *err)
{
    const char *want = case_field(cf, "expected");
    const char *fragment = case_field(cf, "message");
    long column = strtol(case_field(cf, "column"), NULL, 10);

    if (rc == 0 || strcmp(status_label(rc), want) != 0) {
        case_fail(cf, "'%s': expected %s, got %d (%s)", input, want, rc, err->message);
        return;
    }
    if (f != NULL)
        case_fail(cf, "'%s': failed but set *out", input);
    if (err->code != rc || err->column != column)
        case_fail(cf, "'%s': expected column %ld, got code %d column %d (%s)", input, column,
                  err->code, err->column, err->message);
    if (strstr(err->message, fragment) == NULL)
        case_fail(cf, "'%s': message \"%s\" does not contain \"%s\"", input, err->message,
                  fragment);
}

static void test_parse(void **state)
{
    struct case_file cf;

    (void)state;
    case_open(&cf, "formula/parse.tsv");
    while (case_next(&cf)) {
        char input[CASE_TEXT_MAX];
        size_t len = case_text(&cf, "input", input);
        const char *want = case_field(&cf, "expected");
        struct sd_error err = {0};
        struct formula *f = NULL;
        int rc = formula_parse(input, len, names, NAME_COUNT, &f, &err);

        if (strcmp(want, "EINVAL") == 0 || strcmp(want, "ELIMIT") == 0)
            check_rejected(&cf, case_field(&cf, "input"), rc, f, &err);
        else
            check_accepted(&cf, case_field(&cf, "input"), rc, f, &err);
        formula_free(f);
    }
    case_close(&cf);
}

/* ---- evaluation ---- */

struct answers {
    struct case_file *cf;
    char values[CASE_LINE_MAX]; /* " key=V key=V " */
    char asked[CALLS_MAX * KEY_MAX];
    size_t asked_len;
};

/* Answers from the `values` column and records each call's key in `asked`. */
static int answer(void *ctx, int measure, struct formula_shift shift, int64_t *value,
                  struct sd_error *err)
{
    struct answers *a = ctx;
    char key[KEY_MAX], pattern[KEY_MAX + 2];
    const char *found;

    key_text(measure, shift, key, sizeof(key));
    a->asked_len += (size_t)snprintf(a->asked + a->asked_len, sizeof(a->asked) - a->asked_len,
                                     "%s%s", a->asked_len ? " " : "", key);
    snprintf(pattern, sizeof(pattern), " %s=", key);
    *value = FORMULA_NONE;
    if ((found = strstr(a->values, pattern)) == NULL)
        return 0;
    found += strlen(pattern);
    size_t len = strcspn(found, " ");
    if (len == 4 && memcmp(found, "none", 4) == 0)
        return 0;
    if (len == 3 && memcmp(found, "ERR", 3) == 0)
        return sd_error_set(err, SD_EDB, "reading %s failed", key);
    if (money_parse(found, len, value, NULL) != 0)
        fail_msg("%s:%ld: bad value for %s", a->cf->name, a->cf->line_no, key);
    return 0;
}

static void result_text(int rc, int64_t result, char *buf)
{
    if (rc != 0)
        snprintf(buf, MONEY_TEXT_MAX, "%s", status_label(rc));
    else if (result == FORMULA_NONE)
        snprintf(buf, MONEY_TEXT_MAX, "none");
    else
        money_format(result, buf);
}

/* Every distinct call must be a need and every need a call. */
static void check_calls_are_needs(struct case_file *cf, const struct formula *f, const char *asked)
{
    char needs[CALLS_MAX * KEY_MAX], padded_asked[CALLS_MAX * KEY_MAX + 2];
    char padded_needs[CALLS_MAX * KEY_MAX + 2], key[KEY_MAX + 2];
    size_t count = 0;

    needs_text(f, needs, sizeof(needs));
    snprintf(padded_asked, sizeof(padded_asked), " %s ", asked);
    snprintf(padded_needs, sizeof(padded_needs), " %s ", needs);
    formula_needs(f, &count);
    for (const char *p = padded_asked + 1; *p; p += strcspn(p, " ") + 1) {
        snprintf(key, sizeof(key), " %.*s ", (int)strcspn(p, " "), p);
        if (strcmp(key, " - ") != 0 && strstr(padded_needs, key) == NULL)
            case_fail(cf, "asked for%sbut it is not in the needs '%s'", key, needs);
    }
    for (const char *p = padded_needs + 1; *p && count > 0; p += strcspn(p, " ") + 1) {
        snprintf(key, sizeof(key), " %.*s ", (int)strcspn(p, " "), p);
        if (strstr(padded_asked, key) == NULL)
            case_fail(cf, "needs%sbut it was never asked for", key);
    }
}

static void run_eval_case(struct case_file *cf, struct answers *a)
{
    char input[CASE_TEXT_MAX], got[MONEY_TEXT_MAX];
    size_t len = case_text(cf, "input", input);
    const char *want = case_field(cf, "expected");
    const char *asked_want = case_field(cf, "asked");
    struct sd_error err = {0};
    struct formula *f = NULL;
    int64_t result = INT64_C(0x5a5a5a5a5a5a5a5a);
    int rc;

    if (formula_parse(input, len, names, NAME_COUNT, &f, &err) != 0) {
        case_fail(cf, "'%s' does not parse: %s", input, err.message);
        return;
    }
    rc = formula_eval(f, answer, a, &result, &err);
    result_text(rc, result, got);
    if (rc != 0 && result != INT64_C(0x5a5a5a5a5a5a5a5a))
        case_fail(cf, "'%s': failed but changed *result", input);
    int64_t want_units = 0;
    int same = strcmp(want, got) == 0 ||
               (rc == 0 && result != FORMULA_NONE &&
                money_parse(want, strlen(want), &want_units, NULL) == 0 && want_units == result);
    if (!same)
        case_fail(cf, "'%s' with %s: expected %s, got %s", input, case_field(cf, "values"), want,
                  got);
    if (strcmp(a->asked_len ? a->asked : "-", asked_want) != 0)
        case_fail(cf, "'%s': expected calls '%s', got '%s'", input, asked_want,
                  a->asked_len ? a->asked : "-");
    if (rc == 0)
        check_calls_are_needs(cf, f, a->asked_len ? a->asked : "-");
    formula_free(f);
}

static void test_eval(void **state)
{
    struct case_file cf;

    (void)state;
    case_open(&cf, "formula/eval.tsv");
    while (case_next(&cf)) {
        struct answers a = {.cf = &cf};
        snprintf(a.values, sizeof(a.values), " %s ", case_field(&cf, "values"));
        run_eval_case(&cf, &a);
    }
    case_close(&cf);
}

/* ---- what a case file cannot hold ---- */

static void test_text_limit(void **state)
{
    char text[FORMULA_TEXT_MAX + 2];
    struct sd_error err = {0};
    struct formula *f = NULL;

    (void)state;
    /* 512 bytes: a measure and spaces, accepted */
    memset(text, ' ', sizeof(text));
    memcpy(text, "revenue", 7);
    assert_int_equal(formula_parse(text, FORMULA_TEXT_MAX, names, NAME_COUNT, &f, &err), 0);
    formula_free(f);
    f = NULL;
    /* 513 bytes: rejected at column 513, before anything else is looked at */
    text[0] = '#';
    assert_int_equal(formula_parse(text, FORMULA_TEXT_MAX + 1, names, NAME_COUNT, &f, &err),
                     SD_ELIMIT);
    assert_null(f);
    assert_int_equal(err.code, SD_ELIMIT);
    assert_int_equal(err.column, 513);
    assert_non_null(strstr(err.message, "column 513: longer than 512 bytes"));
    /* the quoted formula is cut */
    assert_non_null(strstr(err.message, "...'"));
}

static void test_null_arguments(void **state)
{
    struct formula *f = NULL;
    struct sd_error err = {0};

    (void)state;
    assert_int_equal(formula_parse("revenue +", 9, names, NAME_COUNT, &f, NULL), SD_EINVAL);
    assert_int_equal(formula_parse(NULL, 0, names, NAME_COUNT, &f, &err), SD_EINVAL);
    assert_int_equal(err.column, 1);
    /* no table: only `target` is known, and the message says so */
    assert_int_equal(formula_parse("revenue", 7, NULL, 0, &f, &err), SD_EINVAL);
    assert_non_null(strstr(err.message, "unknown measure 'revenue' (known: target)"));
    assert_int_equal(formula_parse("target * 2", 10, NULL, 0, &f, &err), 0);
    formula_free(f);
    formula_free(NULL);
}

/* A long table is listed only in part, and the message stays whole. */
static void test_long_known_list(void **state)
{
    const char *many[40];
    struct sd_error err = {0};
    struct formula *f = NULL;

    (void)state;
    for (size_t i = 0; i < 40; i++)
        many[i] = "a_rather_long_measure_name";
    assert_int_equal(formula_parse("x", 1, many, 40, &f, &err), SD_EINVAL);
    assert_non_null(strstr(err.message, "a_rather_long_measure_name, ..., target)"));
    assert_true(strlen(err.message) < SD_ERROR_MSG_MAX - 1);
}

/* Duplicate names resolve to the first; `target` wins over a measure named so. */
static void test_name_resolution(void **state)
{
    const char *table[] = {"units", NULL, "target", "units"};
    struct formula *f = NULL;
    size_t count = 0;

    (void)state;
    assert_int_equal(formula_parse("units + target", 14, table, 4, &f, NULL), 0);
    const struct formula_need *needs = formula_needs(f, &count);
    assert_int_equal(count, 2);
    assert_int_equal(needs[0].measure, FORMULA_TARGET);
    assert_int_equal(needs[1].measure, 0);
    formula_free(f);
}

static void test_format_limit(void **state)
{
    struct formula *f = NULL;
    struct strbuf sb;

    (void)state;
    strbuf_init(&sb, 8);
    assert_int_equal(formula_parse("revenue/orders", 14, names, NAME_COUNT, &f, NULL), 0);
    assert_int_equal(formula_format(f, &sb), SD_ELIMIT);
    assert_true(sb.len <= 8);
    strbuf_release(&sb);
    formula_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),           cmocka_unit_test(test_eval),
        cmocka_unit_test(test_text_limit),      cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_long_known_list), cmocka_unit_test(test_name_resolution),
        cmocka_unit_test(test_format_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
