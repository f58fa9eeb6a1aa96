/* SPDX-License-Identifier: MIT */
/*
 * test-trend: engine/trend. Growth, moving averages and movers against values
 * worked out by hand (in the comments next to them); forecasts against series
 * whose future is known exactly (a line; a line plus a repeating pattern) and
 * against a noisy seasonal series from a fixed-seed generator written here,
 * whose MAPE and interval coverage the test computes itself; anomalies with a
 * planted spike; and the edges: lengths 0 to 3, zeros, negatives, extremes,
 * missing values and the length limits.
 *
 * Values are ×10^4 fixed point like the engine's: 1000000 is 100.0000.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/money.h"
#include "engine/trend.h"

#include "test-util.h"

#include "base/banned.h"

#define NONE TREND_NONE
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- a deterministic noise source (splitmix64) --------------------------------- */

struct noise {
    uint64_t state;
};

static uint64_t noise_next(struct noise *g)
{
    uint64_t z = (g->state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* Approximately standard normal: the sum of 12 uniforms on [0, 1) minus 6. */
static double noise_normal(struct noise *g)
{
    double sum = 0;
    for (int i = 0; i < 12; i++)
        sum += (double)(noise_next(g) >> 11) / 9007199254740992.0;
    return sum - 6;
}

/* A monthly pattern in ×10^4 units; deliberately not summing to zero. */
static const int64_t pattern12[12] = {300000, -100000, 50000,  0,       -250000, 120000,
                                      80000,  -40000,  10000,  500000,  -300000, 70000};

/* 5,000,000 + 20,000·t + pattern12[t mod 12]: a line plus an exact season. */
static int64_t exact_seasonal(size_t t)
{
    return 5000000 + 20000 * (int64_t)t + pattern12[t % 12];
}

/* Level 10,000,000 growing 50,000 a month, a ±20 % season, noise σ = sigma_pct % of level. */
static void noisy_seasonal(int64_t *x, size_t n, uint64_t seed, double sigma_pct)
{
    static const double season[12] = {-0.20, -0.12, 0.02, 0.05, 0.10, 0.08,
                                      -0.05, -0.15, 0.04, 0.12, 0.15, 0.20};
    struct noise g = {seed};

    for (size_t t = 0; t < n; t++) {
        double level = 10000000.0 + 50000.0 * (double)t;
        double v = level * (1 + season[t % 12]) + level * sigma_pct / 100 * noise_normal(&g);
        x[t] = (int64_t)llround(v);
    }
}

/* ---- growth -------------------------------------------------------------------- */

static void test_growth_by_hand(void **state)
{
    /* 100, 125, 0, 50, −20, −10, missing, 30 */
    const int64_t x[] = {1000000, 1250000, 0, 500000, -200000, -100000, NONE, 300000};
    struct trend_growth g[COUNT(x)];
    struct sd_error err = {0};

    (void)state;
    assert_sd_ok(trend_growth(x, COUNT(x), 1, g, &err), &err);
    assert_false(g[0].defined);          /* no earlier period */
    assert_true(g[0].change == NONE);
    assert_true(g[1].defined);           /* 100 → 125: +25 % */
    assert_int_equal(g[1].change, 250000);
    assert_int_equal(g[1].pct, 250000);
    assert_int_equal(g[2].pct, -1000000); /* 125 → 0: −100 % */
    assert_false(g[3].defined);           /* 0 → 50: base 0, undefined */
    assert_int_equal(g[3].change, 500000);
    assert_int_equal(g[3].pct, 0);
    assert_int_equal(g[4].pct, -1400000); /* 50 → −20: −70 / 50 = −140 % */
    assert_int_equal(g[5].pct, 500000);   /* −20 → −10: +10 / |−20| = +50 % */
    assert_false(g[6].defined);           /* missing value */
    assert_true(g[6].change == NONE);
    assert_false(g[7].defined);           /* missing base */

    /* Lag 4 (quarters, year over year). */
    assert_sd_ok(trend_growth(x, COUNT(x), 4, g, &err), &err);
    for (size_t i = 0; i < 4; i++)
        assert_false(g[i].defined);
    assert_int_equal(g[4].pct, -1200000); /* 100 → −20: −120 % */
    assert_int_equal(g[5].pct, -1080000); /* 125 → −10: −135 / 125 = −108 % */
    assert_false(g[6].defined);
    assert_int_equal(g[7].change, -200000); /* 50 → 30: −40 % */
    assert_int_equal(g[7].pct, -400000);
}

static void test_growth_rounding(void **state)
{
    /* 30 → 40 is 33.33333 % → 333333.33 → 333333; 30 → 50 is 66.66667 % → 666667;
     * 200 → 200.0001 is 0.00005 % → 0.5 → 1 (half away from zero);
     * 200 → 199.9999 → −0.5 → −1. */
    const int64_t up[] = {300000, 400000, 300000, 500000, 2000000, 2000001, 2000000, 1999999};
    struct trend_growth g[COUNT(up)];

    (void)state;
    assert_sd_ok(trend_growth(up, COUNT(up), 1, g, NULL), NULL);
    assert_int_equal(g[1].pct, 333333);
    assert_int_equal(g[3].pct, 666667);
    assert_int_equal(g[5].pct, 1);
    assert_int_equal(g[7].pct, -1);
}

/* ---- moving averages ----------------------------------------------------------- */

static void test_moving_average_by_hand(void **state)
{
    const int64_t x[] = {1, 2, 4, 7, 11, 16};
    int64_t out[COUNT(x)];
    struct sd_error err = {0};

    (void)state;
    /* Trailing 3: 7/3 = 2.33 → 2, 13/3 → 4, 22/3 → 7, 34/3 → 11. */
    assert_sd_ok(trend_moving_average(x, 6, 3, TREND_MA_TRAILING, out, &err), &err);
    const int64_t trailing3[] = {NONE, NONE, 2, 4, 7, 11};
    assert_memory_equal(out, trailing3, sizeof(out));

    /* Centred 3: the same means one step earlier. */
    assert_sd_ok(trend_moving_average(x, 6, 3, TREND_MA_CENTRED, out, &err), &err);
    const int64_t centred3[] = {NONE, 2, 4, 7, 11, NONE};
    assert_memory_equal(out, centred3, sizeof(out));

    /* Centred 2×4: i=2: (1/2 + 2 + 4 + 7 + 11/2) / 4 = 19/4 = 4.75 → 5;
     * i=3: (2/2 + 4 + 7 + 11 + 16/2) / 4 = 31/4 = 7.75 → 8. */
    assert_sd_ok(trend_moving_average(x, 6, 4, TREND_MA_CENTRED, out, &err), &err);
    const int64_t centred4[] = {NONE, NONE, 5, 8, NONE, NONE};
    assert_memory_equal(out, centred4, sizeof(out));

    /* Window 1 copies; a window longer than the series gives nothing. */
    assert_sd_ok(trend_moving_average(x, 6, 1, TREND_MA_CENTRED, out, &err), &err);
    assert_memory_equal(out, x, sizeof(out));
    assert_sd_ok(trend_moving_average(x, 6, 7, TREND_MA_TRAILING, out, &err), &err);
    for (size_t i = 0; i < 6; i++)
        assert_true(out[i] == NONE);
}

static void test_moving_average_halves_and_missing(void **state)
{
    /* Trailing 2 of 1, 2 is 1.5 → 2; of −1, −2 is −1.5 → −2 (half away from zero). */
    const int64_t pos[] = {1, 2}, neg[] = {-1, -2};
    /* A missing value voids every window that holds it: 3.5 → 4, 4.5 → 5. */
    const int64_t gap[] = {1, NONE, 3, 4, 5};
    int64_t out[5];

    (void)state;
    assert_sd_ok(trend_moving_average(pos, 2, 2, TREND_MA_TRAILING, out, NULL), NULL);
    assert_int_equal(out[1], 2);
    assert_sd_ok(trend_moving_average(neg, 2, 2, TREND_MA_TRAILING, out, NULL), NULL);
    assert_int_equal(out[1], -2);
    assert_sd_ok(trend_moving_average(gap, 5, 2, TREND_MA_TRAILING, out, NULL), NULL);
    const int64_t want[] = {NONE, NONE, NONE, 4, 5};
    assert_memory_equal(out, want, sizeof(out));
}

/* ---- forecasts ------------------------------------------------------------------ */

static void test_holt_winters_exact_season(void **state)
{
    int64_t x[48];
    struct trend_point p[12];
    struct trend_fit fit;
    struct trend_backtest bt;
    struct sd_error err = {0};

    (void)state;
    for (size_t t = 0; t < 48; t++)
        x[t] = exact_seasonal(t);
    assert_sd_ok(trend_forecast(x, 48, 12, 12, p, &fit, &err), &err);
    assert_int_equal(fit.method, TREND_HOLT_WINTERS);
    assert_string_equal(trend_method_name(fit.method), "holt-winters");
    assert_true(fit.sigma < 1);
    for (size_t h = 0; h < 12; h++) {
        int64_t want = exact_seasonal(48 + h);
        if (llabs(p[h].value - want) > 1)
            fail_msg("h=%zu: forecast %lld, the series continues with %lld", h + 1,
                     (long long)p[h].value, (long long)want);
        assert_true(p[h].lo95 <= p[h].value && p[h].value <= p[h].hi95);
    }

    /* Held out: the last 12; fitted on 36; forecast (near) exactly: MAPE ~ 0. */
    assert_sd_ok(trend_backtest(x, 48, 12, 6, &bt, &err), &err);
    assert_int_equal(bt.method, TREND_HOLT_WINTERS);
    assert_int_equal(bt.train, 36);
    assert_int_equal(bt.held_out, 12);
    assert_int_equal(bt.used, 12);
    assert_true(bt.mape <= 1); /* ≤ 0.0001 % */

    /* Exactly two seasons of quarters is enough for Holt-Winters. */
    int64_t q[8];
    const int64_t quarter[4] = {-30000, 10000, 50000, -20000};
    for (size_t t = 0; t < 8; t++)
        q[t] = 400000 + 7000 * (int64_t)t + quarter[t % 4];
    assert_sd_ok(trend_forecast(q, 8, 4, 4, p, &fit, &err), &err);
    assert_int_equal(fit.method, TREND_HOLT_WINTERS);
    for (size_t h = 0; h < 4; h++)
        assert_true(llabs(p[h].value - (400000 + 7000 * (int64_t)(8 + h) + quarter[h % 4])) <= 1);
}

static void test_holt_extrapolates_a_line(void **state)
{
    int64_t x[10], down[6];
    struct trend_point p[5];
    struct trend_fit fit;
    struct sd_error err = {0};

    (void)state;
    for (size_t t = 0; t < 10; t++)
        x[t] = 200000 + 30000 * (int64_t)t;
    /* Season 12 but fewer than 24 points: Holt, not Holt-Winters. */
    assert_sd_ok(trend_forecast(x, 10, 12, 5, p, &fit, &err), &err);
    assert_int_equal(fit.method, TREND_HOLT);
    for (size_t h = 0; h < 5; h++)
        assert_int_equal(p[h].value, 200000 + 30000 * (int64_t)(10 + h));

    /* Falling through zero: 10, 5.5, 1, −3.5, −8, −12.5 → −17, −21.5, −26, −30.5, −35. */
    for (size_t t = 0; t < 6; t++)
        down[t] = 100000 - 45000 * (int64_t)t;
    assert_sd_ok(trend_forecast(down, 6, 0, 5, p, &fit, &err), &err);
    assert_int_equal(fit.method, TREND_HOLT);
    const int64_t want[] = {-170000, -215000, -260000, -305000, -350000};
    for (size_t h = 0; h < 5; h++)
        assert_int_equal(p[h].value, want[h]);
}

static void test_noisy_seasonal_forecast(void **state)
{
    int64_t x[72];
    struct trend_point p[12];
    struct trend_fit fit;
    struct trend_backtest bt;
    struct sd_error err = {0};
    double ape = 0;
    size_t covered = 0;

    (void)state;
    noisy_seasonal(x, 72, 20240601, 2.0);
    /* Our own backtest: fit on 60 months, forecast 12, compare. */
    assert_sd_ok(trend_forecast(x, 60, 12, 12, p, &fit, &err), &err);
    assert_int_equal(fit.method, TREND_HOLT_WINTERS);
    for (size_t h = 0; h < 12; h++) {
        int64_t actual = x[60 + h];
        ape += fabs((double)(actual - p[h].value)) / fabs((double)actual);
        covered += actual >= p[h].lo95 && actual <= p[h].hi95;
        assert_true(p[h].lo95 <= p[h].lo80 && p[h].lo80 <= p[h].value);
        assert_true(p[h].value <= p[h].hi80 && p[h].hi80 <= p[h].hi95);
        if (h > 0) /* intervals widen with the horizon */
            assert_true(p[h].hi95 - p[h].lo95 >= p[h - 1].hi95 - p[h - 1].lo95);
    }
    double mape_pct = ape / 12 * 100;
    /* Noise is 2 % of the level: a sane forecast stays well under 6 %. */
    if (mape_pct >= 6.0)
        fail_msg("MAPE %.2f%% on a 2%% noise series", mape_pct);
    if (covered < 10)
        fail_msg("the 95%% interval covers %zu of 12 held-out points", covered);

    /* trend_backtest holds out the same last season and must agree. */
    assert_sd_ok(trend_backtest(x, 72, 12, 3, &bt, &err), &err);
    assert_int_equal(bt.train, 60);
    assert_int_equal(bt.held_out, 12);
    assert_int_equal(bt.used, 12);
    assert_int_equal(bt.covered95, covered);
    assert_true(llabs(bt.mape - llround(mape_pct * 10000)) <= 1);

    char pct[MONEY_TEXT_MAX], line[64];
    money_format_fixed(bt.mape, 1, pct);
    snprintf(line, sizeof(line), "MAPE %s%% over %zu points", pct, bt.used);
    char want[64];
    snprintf(want, sizeof(want), "MAPE %.1f%% over 12 points", round(mape_pct * 10) / 10);
    assert_string_equal(line, want);
}

static void test_backtest_by_hand(void **state)
{
    /* A line 10, 20, … 60 then actuals 77 and 80 (×10^4). Holt on the first 6
     * forecasts 70 and 80. APE: 7/77 = 9.0909 % and 0 → MAPE 4.54545 % → 45455. */
    const int64_t x[] = {100000, 200000, 300000, 400000, 500000, 600000, 770000, 800000};
    /* The same with a zero actual: it is left out, 80 alone → 0 % over 1 point. */
    const int64_t z[] = {100000, 200000, 300000, 400000, 500000, 600000, 0, 800000};
    struct trend_backtest bt;
    char pct[MONEY_TEXT_MAX];

    (void)state;
    assert_sd_ok(trend_backtest(x, 8, 0, 2, &bt, NULL), NULL);
    assert_int_equal(bt.method, TREND_HOLT);
    assert_int_equal(bt.held_out, 2);
    assert_int_equal(bt.used, 2);
    assert_int_equal(bt.mape, 45455);
    money_format_fixed(bt.mape, 1, pct);
    assert_string_equal(pct, "4.5");

    assert_sd_ok(trend_backtest(z, 8, 0, 2, &bt, NULL), NULL);
    assert_int_equal(bt.held_out, 2);
    assert_int_equal(bt.used, 1);
    assert_int_equal(bt.mape, 0);

    /* Too short to hold anything out. */
    assert_sd_ok(trend_backtest(x, 3, 0, 2, &bt, NULL), NULL);
    assert_int_equal(bt.held_out, 0);
    assert_int_equal(bt.used, 0);
}

static void test_short_series(void **state)
{
    const int64_t two[] = {100000, 120000}, flat[] = {7, 7, 7}, zeros[] = {0, 0, 0, 0, 0};
    struct trend_point p[4];
    struct trend_fit fit;
    struct sd_error err = {0};

    (void)state;
    assert_sd_status(trend_forecast(two, 0, 0, 4, p, &fit, &err), SD_EINVAL, &err);
    assert_sd_status(trend_forecast(two, 2, 0, 0, p, &fit, &err), SD_EINVAL, &err);

    /* n = 1: naive, no residual, the intervals collapse onto the value. */
    assert_sd_ok(trend_forecast(two, 1, 12, 4, p, &fit, &err), &err);
    assert_int_equal(fit.method, TREND_NAIVE);
    assert_int_equal(p[3].value, 100000);
    assert_int_equal(p[3].lo95, 100000);
    assert_int_equal(p[3].hi95, 100000);

    /* n = 2: naive at 12; σ = |12 − 10| = 2 (×10^4 = 20000).
     * h=1: ±1.96·20000 = ±39199.28 → 80801 .. 159199;
     * h=4: σ·sqrt(4) = 40000, ±78398.56 → 41601 .. 198399. */
    assert_sd_ok(trend_forecast(two, 2, 0, 4, p, &fit, &err), &err);
    assert_int_equal(fit.method, TREND_NAIVE);
    assert_int_equal(p[0].value, 120000);
    assert_int_equal(p[0].lo95, 80801);
    assert_int_equal(p[0].hi95, 159199);
    assert_int_equal(p[3].lo95, 41601);
    assert_int_equal(p[3].hi95, 198399);

    /* n = 3: simple exponential smoothing; a flat series stays flat. */
    assert_sd_ok(trend_forecast(flat, 3, 0, 4, p, &fit, &err), &err);
    assert_int_equal(fit.method, TREND_SES);
    assert_int_equal(p[0].value, 7);
    assert_int_equal(p[3].hi95, 7);

    /* All zeros: zero forecasts, zero intervals, any method. */
    for (size_t n = 1; n <= 5; n++) {
        assert_sd_ok(trend_forecast(zeros, n, 2, 4, p, &fit, &err), &err);
        for (size_t h = 0; h < 4; h++)
            assert_true(p[h].value == 0 && p[h].lo95 == 0 && p[h].hi95 == 0);
    }
}

/* ---- anomalies ------------------------------------------------------------------ */

static void check_single_anomaly(const int64_t *x, size_t n, size_t index, int64_t clean)
{
    struct trend_anomaly a[4];
    size_t found = 99;
    struct sd_error err = {0};

    assert_sd_ok(trend_anomalies(x, n, 12, 3.5, a, 4, &found, &err), &err);
    if (found != 1)
        fail_msg("spike at %zu: found %zu anomalies (first at %zu, z %.2f)", index, found,
                 found ? a[0].index : 0, found ? a[0].z : 0.0);
    assert_int_equal(a[0].index, index);
    assert_int_equal(a[0].actual, x[index]);
    assert_true(fabs(a[0].z) > 3.5);
    assert_true((a[0].z > 0) == (x[index] > clean));
    /* The baseline is where the point would have been (noise σ ≈ 1 % of 10,000,000). */
    if (llabs(a[0].expected - clean) > 300000)
        fail_msg("spike at %zu: expected %lld, the clean value was %lld", index,
                 (long long)a[0].expected, (long long)clean);
}

static void test_planted_anomaly(void **state)
{
    int64_t x[48];

    (void)state;
    /* σ = 1 % of the level, about 100,000; spikes of 20σ. */
    noisy_seasonal(x, 48, 7, 1.0);
    int64_t clean = x[30];
    x[30] += 2000000;
    check_single_anomaly(x, 48, 30, clean);

    /* A drop at the very last point (the one a desk cares about most). */
    noisy_seasonal(x, 48, 7, 1.0);
    clean = x[47];
    x[47] -= 2000000;
    check_single_anomaly(x, 48, 47, clean);

    /* An exact season with one spike: the residuals' MAD is 0, the fallback scale finds it. */
    for (size_t t = 0; t < 48; t++)
        x[t] = exact_seasonal(t);
    x[20] += 500000;
    check_single_anomaly(x, 48, 20, exact_seasonal(20));
}

static void test_no_anomaly_in_flat_or_exact(void **state)
{
    int64_t x[48], base[48];
    struct trend_anomaly a[4];
    size_t found = 99;
    struct sd_error err = {0};

    (void)state;
    for (size_t t = 0; t < 48; t++)
        x[t] = 5000000;
    assert_sd_ok(trend_anomalies(x, 48, 12, 3.5, a, 4, &found, &err), &err);
    assert_int_equal(found, 0);
    assert_sd_ok(trend_anomalies(x, 48, 0, 3.5, a, 4, &found, &err), &err);
    assert_int_equal(found, 0);
    memset(x, 0, sizeof(x));
    assert_sd_ok(trend_anomalies(x, 48, 12, 3.5, a, 4, &found, &err), &err);
    assert_int_equal(found, 0);

    /* A line plus an exact season is its own baseline, ends included. */
    for (size_t t = 0; t < 48; t++)
        x[t] = exact_seasonal(t);
    assert_sd_ok(trend_baseline(x, 48, 12, base, &err), &err);
    for (size_t t = 0; t < 48; t++)
        if (llabs(base[t] - x[t]) > 1)
            fail_msg("baseline[%zu] = %lld, value %lld", t, (long long)base[t], (long long)x[t]);
    assert_sd_ok(trend_anomalies(x, 48, 12, 3.5, a, 4, &found, &err), &err);
    assert_int_equal(found, 0);

    assert_sd_status(trend_anomalies(x, 48, 12, 0, a, 4, &found, &err), SD_EINVAL, &err);
    assert_sd_status(trend_anomalies(x, 48, 12, NAN, a, 4, &found, &err), SD_EINVAL, &err);
}

/* ---- movers ----------------------------------------------------------------------- */

static void test_movers_by_hand(void **state)
{
    /* key:        0     1     2    3     4     5
     * previous: 100   200     0   50  1000    80
     * current:  150   100    30   50  1100    20
     * change:   +50  −100   +30    0  +100   −60
     * relative: +50%  −50%    —    0  +10%   −75%
     * By |change|: 1 and 4 tie at 100 (lower index first), then 5, 0, 2; 3 did not move.
     * By |relative|: 5, then 0 and 1 tie at 50 %, then 4; 2 has no base. */
    const int64_t prev[] = {1000000, 2000000, 0, 500000, 10000000, 800000};
    const int64_t cur[] = {1500000, 1000000, 300000, 500000, 11000000, 200000};
    struct trend_mover by_change[6], by_pct[6];
    size_t n_change = 0, n_pct = 0;
    struct sd_error err = {0};

    (void)state;
    assert_sd_ok(trend_movers(prev, cur, 6, 3, by_change, &n_change, by_pct, &n_pct, &err), &err);
    assert_int_equal(n_change, 3);
    assert_int_equal(by_change[0].index, 1);
    assert_int_equal(by_change[0].change, -1000000);
    assert_int_equal(by_change[1].index, 4);
    assert_int_equal(by_change[2].index, 5);
    assert_int_equal(n_pct, 3);
    assert_int_equal(by_pct[0].index, 5);
    assert_int_equal(by_pct[0].pct, -750000);
    assert_int_equal(by_pct[1].index, 0);
    assert_int_equal(by_pct[1].pct, 500000);
    assert_int_equal(by_pct[2].index, 1);
    assert_int_equal(by_pct[2].pct, -500000);

    assert_sd_ok(trend_movers(prev, cur, 6, 10, by_change, &n_change, by_pct, &n_pct, &err),
                 &err);
    assert_int_equal(n_change, 5);
    const size_t abs_order[] = {1, 4, 5, 0, 2};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(by_change[i].index, abs_order[i]);
    assert_false(by_change[4].pct_defined); /* key 2: new, no relative change */
    assert_int_equal(by_change[4].change, 300000);
    assert_int_equal(n_pct, 4);
    assert_int_equal(by_pct[3].index, 4);
    assert_int_equal(by_pct[3].pct, 100000);

    assert_sd_ok(trend_movers(prev, cur, 0, 3, by_change, &n_change, by_pct, &n_pct, &err), &err);
    assert_int_equal(n_change + n_pct, 0);
}

/* ---- edges and limits ------------------------------------------------------------- */

static void test_lengths_0_to_3(void **state)
{
    const int64_t x[] = {-50000, 0, 250000};
    struct trend_growth g[3];
    int64_t out[3];
    struct trend_anomaly a[3];
    struct trend_backtest bt;
    size_t found;

    (void)state;
    for (size_t n = 0; n <= 3; n++) {
        assert_sd_ok(trend_growth(x, n, 1, g, NULL), NULL);
        assert_sd_ok(trend_moving_average(x, n, 2, TREND_MA_CENTRED, out, NULL), NULL);
        assert_sd_ok(trend_baseline(x, n, 12, out, NULL), NULL);
        assert_sd_ok(trend_anomalies(x, n, 12, 3.5, a, 3, &found, NULL), NULL);
        assert_int_equal(found, 0);
        assert_sd_ok(trend_backtest(x, n, 12, 1, &bt, NULL), NULL);
        assert_int_equal(bt.used, 0);
    }
    /* −5 → 0 is +100 % (|base|); 0 → 25 undefined. */
    assert_true(g[1].defined);
    assert_int_equal(g[1].pct, 1000000);
    assert_false(g[2].defined);
}

static void test_extreme_values(void **state)
{
    int64_t x[40];
    struct trend_point p[30];
    struct trend_growth g[40];
    int64_t out[40];
    struct trend_anomaly a[40];
    struct trend_mover mv[40], mp[40];
    size_t found, nc, np;
    struct sd_error err = {0};

    (void)state;
    for (size_t t = 0; t < 40; t++)
        x[t] = t % 3 == 0 ? INT64_MAX : t % 3 == 1 ? -INT64_MAX : 0;
    for (size_t season = 0; season <= 12; season += 4) {
        assert_sd_ok(trend_forecast(x, 40, season, 30, p, NULL, &err), &err);
        for (size_t h = 0; h < 30; h++)
            assert_true(p[h].value != NONE && p[h].lo95 != NONE && p[h].hi95 != NONE);
        assert_sd_ok(trend_anomalies(x, 40, season, 3.5, a, 40, &found, &err), &err);
    }
    assert_sd_ok(trend_growth(x, 40, 1, g, &err), &err);
    assert_int_equal(g[1].change, -INT64_MAX); /* saturated, never INT64_MIN */
    assert_int_equal(g[1].pct, -2000000);      /* exactly −200 % */
    assert_sd_ok(trend_moving_average(x, 40, 3, TREND_MA_TRAILING, out, &err), &err);
    assert_int_equal(out[2], 0); /* (MAX − MAX + 0) / 3, summed exactly */
    assert_sd_ok(trend_movers(x, x + 1, 39, 40, mv, &nc, mp, &np, &err), &err);
    assert_int_equal(nc, 39);
    assert_int_equal(trend_round(1e300), INT64_MAX);
    assert_int_equal(trend_round(-1e300), -INT64_MAX);
    assert_int_equal(trend_round(NAN), 0);
    assert_int_equal(trend_round(2.5), 3);
    assert_int_equal(trend_round(-2.5), -3);
}

static void test_limits_and_missing(void **state)
{
    size_t big = TREND_MAX_POINTS + 1;
    int64_t *x = calloc(big, sizeof(int64_t));
    struct trend_growth *g = calloc(big, sizeof(*g));
    int64_t *out = calloc(big, sizeof(int64_t));
    struct trend_point p[2];
    struct trend_anomaly a[2];
    struct trend_backtest bt;
    size_t found;
    struct sd_error err = {0};

    (void)state;
    assert_non_null(x);
    assert_non_null(g);
    assert_non_null(out);
    assert_sd_ok(trend_growth(x, TREND_MAX_POINTS, 12, g, &err), &err);
    assert_sd_status(trend_growth(x, big, 12, g, &err), SD_ELIMIT, &err);
    assert_sd_status(trend_moving_average(x, big, 3, TREND_MA_TRAILING, out, &err), SD_ELIMIT,
                     &err);
    assert_sd_status(trend_forecast(x, big, 12, 2, p, NULL, &err), SD_ELIMIT, &err);
    assert_sd_status(trend_forecast(x, 10, 12, big, p, NULL, &err), SD_ELIMIT, &err);
    assert_sd_status(trend_forecast(x, 10, TREND_MAX_SEASON + 1, 2, p, NULL, &err), SD_ELIMIT,
                     &err);
    assert_sd_status(trend_baseline(x, big, 12, out, &err), SD_ELIMIT, &err);
    assert_sd_status(trend_anomalies(x, big, 12, 3.5, a, 2, &found, &err), SD_ELIMIT, &err);
    assert_sd_status(trend_backtest(x, big, 12, 2, &bt, &err), SD_ELIMIT, &err);
    assert_sd_status(trend_growth(x, 5, 0, g, &err), SD_EINVAL, &err);
    assert_sd_status(trend_moving_average(x, 5, 0, TREND_MA_TRAILING, out, &err), SD_EINVAL,
                     &err);

    /* A missing value cannot be forecast from. */
    x[2] = NONE;
    assert_sd_status(trend_forecast(x, 10, 0, 2, p, NULL, &err), SD_EINVAL, &err);
    assert_contains(err.message, "point 2");
    assert_sd_status(trend_anomalies(x, 10, 0, 3.5, a, 2, &found, &err), SD_EINVAL, &err);
    free(out);
    free(g);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_growth_by_hand),
        cmocka_unit_test(test_growth_rounding),
        cmocka_unit_test(test_moving_average_by_hand),
        cmocka_unit_test(test_moving_average_halves_and_missing),
        cmocka_unit_test(test_holt_winters_exact_season),
        cmocka_unit_test(test_holt_extrapolates_a_line),
        cmocka_unit_test(test_noisy_seasonal_forecast),
        cmocka_unit_test(test_backtest_by_hand),
        cmocka_unit_test(test_short_series),
        cmocka_unit_test(test_planted_anomaly),
        cmocka_unit_test(test_no_anomaly_in_flat_or_exact),
        cmocka_unit_test(test_movers_by_hand),
        cmocka_unit_test(test_lengths_0_to_3),
        cmocka_unit_test(test_extreme_values),
        cmocka_unit_test(test_limits_and_missing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
