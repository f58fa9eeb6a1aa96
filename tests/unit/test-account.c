/* SPDX-License-Identifier: MIT */
/*
 * test-account: the account status's logic on values built here, without a
 * store: the ageing buckets' boundary days, the revenue windows at month
 * ends and leap days, exact percentages and thresholds, the rhythm's
 * median, the health factors at their thresholds, the score's floor, and
 * the settings table. Expected numbers are worked out by hand in the
 * comments.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "desk/account.c"

static int32_t day_of(const char *iso)
{
    int32_t d = 0;
    assert_int_equal(date_parse(iso, strlen(iso), &d, NULL), 0);
    return d;
}

static void assert_day(int32_t d, const char *iso)
{
    char buf[DATE_TEXT_MAX];
    date_format(d, buf);
    assert_string_equal(buf, iso);
}

static void test_age_boundaries(void **state)
{
    (void)state;
    /* Due today or later is current; 30 is the last day of 1-30, 90 of 61-90. */
    static const struct {
        int64_t days;
        enum account_age age;
    } cases[] = {{-400, AGE_CURRENT}, {-1, AGE_CURRENT}, {0, AGE_CURRENT}, {1, AGE_1_30},
                 {30, AGE_1_30},      {31, AGE_31_60},  {60, AGE_31_60},  {61, AGE_61_90},
                 {90, AGE_61_90},     {91, AGE_OVER_90}, {5000, AGE_OVER_90}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(age_of(cases[i].days), cases[i].age);
    assert_string_equal(account_age_label(AGE_OVER_90), "90+");
}

static void test_windows(void **state)
{
    struct account_status st;
    struct line_pass p;
    (void)state;
    /* A month end: the last 12 months are whole calendar months. */
    memset(&st, 0, sizeof(st));
    st.today = day_of("2026-06-30");
    windows(&st, &p);
    assert_day(st.trailing_from, "2025-07-01");
    assert_day(st.prior_from, "2024-07-01");
    assert_day(st.prior_to, "2025-06-30");
    assert_day(st.months[0].first_day, "2024-07-01");
    assert_day(st.months[23].first_day, "2026-06-01");
    /* Mid-month: the prior window starts before the first month of the trend. */
    st.today = day_of("2026-06-15");
    windows(&st, &p);
    assert_day(st.trailing_from, "2025-06-16");
    assert_day(st.prior_from, "2024-06-16");
    assert_day(st.months[0].first_day, "2024-07-01");
    /* A leap day: 12 months back is clamped to 2023-02-28. */
    st.today = day_of("2024-02-29");
    windows(&st, &p);
    assert_day(st.trailing_from, "2023-03-01");
    assert_day(st.prior_to, "2023-02-28");
    assert_day(st.prior_from, "2022-03-01");
    assert_day(st.months[0].first_day, "2022-03-01");
}

static void test_percentages(void **state)
{
    (void)state;
    /* 811 / 2000 = 40.55 %; 1 / 3 = 33.3333 %; 2 / 3 = 66.6667 % (half away from zero). */
    assert_int_equal(percent_of(811 * MONEY_SCALE, 2000 * MONEY_SCALE), 405500);
    assert_int_equal(percent_of(1, 3), 333333);
    assert_int_equal(percent_of(2, 3), 666667);
    assert_int_equal(percent_of(-2, 3), -666667);
    assert_int_equal(percent_of(5, 0), INT_NONE);
    /* 20 % exactly is "at least 20 %"; a hair below is not. */
    assert_true(at_least_pct(20, 100, 20 * MONEY_SCALE));
    assert_false(at_least_pct(19999999, 100000000, 20 * MONEY_SCALE));
    assert_false(at_least_pct(1, 0, 0));
}

static void test_median_gap(void **state)
{
    (void)state;
    /* Gaps 10, 10, 10: 10. */
    int32_t even_steps[] = {40, 30, 20, 10};
    assert_int_equal(median_gap(even_steps, 4), 10);
    /* Gaps 4, 14: the mean 9. Gaps 1, 2: 1.5 rounds up to 2. */
    int32_t two[] = {100, 96, 82};
    assert_int_equal(median_gap(two, 3), 9);
    int32_t half[] = {10, 9, 7};
    assert_int_equal(median_gap(half, 3), 2);
    /* Gaps 50, 1, 1, 1, 30 (latest first): sorted 1 1 1 30 50, the median 1. */
    int32_t skewed[] = {200, 150, 149, 148, 147, 117};
    assert_int_equal(median_gap(skewed, 6), 1);
}

static const struct account_settings *defaults(void)
{
    static struct account_settings s;
    for (int i = 0; i < ACCOUNT_P_COUNT; i++)
        assert_int_equal(param_parse(&account_params[i], account_params[i].fallback, &s.v[i],
                                     NULL),
                         0);
    return &s;
}

/* The status of a steady account: rhythm 10 days, last order 5 days ago, flat revenue. */
static void steady(struct account_status *st)
{
    memset(st, 0, sizeof(*st));
    st->view.account.ext_id = "A1";
    st->today = day_of("2026-06-30");
    st->last_order = st->today - 5;
    st->days_since_last = 5;
    st->rhythm_days = 10;
    st->expected_next = st->today + 5;
    st->revenue_trailing = st->revenue_prior = 1000 * MONEY_SCALE;
}

static void scored(struct arena *a, struct account_status *st)
{
    health(a, defaults(), st);
}

static void test_health_factors(void **state)
{
    struct arena a;
    struct account_status st;
    (void)state;
    arena_init(&a, 0);

    steady(&st);
    scored(&a, &st);
    assert_int_equal(st.health, 100);
    assert_int_equal(st.n_reasons, 0);
    assert_false(st.churn_risk);

    /* Quiet: 20 days is exactly 2 × 10, not more; 21 is. */
    steady(&st);
    st.days_since_last = 20;
    scored(&a, &st);
    assert_int_equal(st.n_reasons, 0);
    steady(&st);
    st.days_since_last = 21;
    scored(&a, &st);
    assert_int_equal(st.n_reasons, 1);
    assert_int_equal(st.reasons[0].factor, ACCOUNT_F_ORDER_FREQUENCY);
    assert_int_equal(st.health, 75);
    assert_true(st.churn_risk && st.churn_quiet && !st.churn_revenue_drop);

    /* No rhythm, no frequency check however long the silence. */
    steady(&st);
    st.rhythm_days = INT_NONE;
    st.days_since_last = 900;
    scored(&a, &st);
    assert_int_equal(st.n_reasons, 0);

    /* Revenue 20 % down exactly: REVENUE_TREND (20 points), no churn (under 50 %). */
    steady(&st);
    st.revenue_trailing = 800 * MONEY_SCALE;
    scored(&a, &st);
    assert_int_equal(st.reasons[0].factor, ACCOUNT_F_REVENUE_TREND);
    assert_int_equal(st.health, 80);
    assert_false(st.churn_risk);
    /* 50 % down: churn. */
    steady(&st);
    st.revenue_trailing = 500 * MONEY_SCALE;
    scored(&a, &st);
    assert_true(st.churn_risk && st.churn_revenue_drop);
    /* Nothing before: no trend at all. */
    steady(&st);
    st.revenue_prior = 0;
    st.revenue_trailing = 0;
    scored(&a, &st);
    assert_int_equal(st.n_reasons, 0);
    arena_release(&a);
}

static void test_health_floor_and_caps(void **state)
{
    struct arena a;
    struct account_status st;
    struct store_account_request reqs[4] = {
        {.ext_id = "Q1", .kind = "complaint"}, {.ext_id = "Q2", .kind = "complaint"},
        {.ext_id = "Q3", .kind = "complaint"}, {.ext_id = "Q4", .kind = "price_query"}};
    (void)state;
    arena_init(&a, 0);
    /* Everything at once: 30 + 25 + 20 + 10 + 20 = 105 points: the score stops at 0. */
    steady(&st);
    st.ageing[AGE_OVER_90] = st.overdue = 50 * MONEY_SCALE;
    st.ageing_invoices[AGE_OVER_90] = 1;
    st.oldest_days_overdue = 120;
    st.days_since_last = 100;
    st.revenue_trailing = 100 * MONEY_SCALE;
    st.returned_trailing = 100 * MONEY_SCALE; /* 50 % of 200 */
    st.return_rate_pct = percent_of(st.returned_trailing, 200 * MONEY_SCALE);
    st.requests = reqs;
    st.n_requests = 4;
    st.open_complaints = 3;
    scored(&a, &st);
    assert_int_equal(st.n_reasons, 5);
    assert_int_equal(st.reasons[0].points, 30);
    assert_int_equal(st.reasons[4].points, 20); /* 3 × 10, capped at 20 */
    assert_string_equal(st.reasons[4].message, "3 open complaints (Q1, Q2, Q3)");
    assert_string_equal(st.reasons[3].message,
                        "returned orders worth 100.00 in the last 12 months: 50.0 % of the value "
                        "ordered");
    assert_int_equal(st.health, 0);
    /* The ageing points follow the oldest bucket that holds a balance. */
    steady(&st);
    st.ageing[AGE_1_30] = st.ageing[AGE_31_60] = st.overdue = 1;
    st.ageing_invoices[AGE_1_30] = st.ageing_invoices[AGE_31_60] = 1;
    scored(&a, &st);
    assert_int_equal(st.reasons[0].points, 10);
    arena_release(&a);
}

static void test_param_parse(void **state)
{
    int64_t v = 0;
    struct sd_error err = {0};
    (void)state;
    assert_int_equal(param_parse(&account_params[ACCOUNT_P_QUIET_FACTOR], "1.5", &v, NULL), 0);
    assert_int_equal(v, 15000);
    assert_int_equal(param_parse(&account_params[ACCOUNT_P_QUIET_POINTS], "101", &v, &err),
                     SD_EINVAL);
    assert_string_equal(err.message,
                        "setting 'account.quiet_points': '101' is not a whole number 0..100");
    assert_int_equal(param_parse(&account_params[ACCOUNT_P_RHYTHM_GAPS], "65", &v, NULL),
                     SD_EINVAL);
    assert_int_equal(param_parse(&account_params[ACCOUNT_P_REVENUE_DROP_PCT], "-1", &v, NULL),
                     SD_EINVAL);
    assert_int_equal(param_parse(&account_params[ACCOUNT_P_REVENUE_DROP_PCT], "", &v, NULL),
                     SD_EINVAL);
    /* Every row of the table is filled in and its default parses. */
    for (int i = 0; i < ACCOUNT_P_COUNT; i++) {
        assert_non_null(account_params[i].key);
        assert_non_null(account_params[i].help);
    }
    (void)defaults();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_age_boundaries),
        cmocka_unit_test(test_windows),
        cmocka_unit_test(test_percentages),
        cmocka_unit_test(test_median_gap),
        cmocka_unit_test(test_health_factors),
        cmocka_unit_test(test_health_floor_and_caps),
        cmocka_unit_test(test_param_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
