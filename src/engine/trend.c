/* SPDX-License-Identifier: MIT */
/*
 * trend: growth, moving averages, exponential-smoothing forecasts with a
 * backtest, robust anomalies and top movers on int64 ×10^4 series. Growth,
 * changes and moving averages are exact integer arithmetic (128-bit where a
 * sum could leave int64); the models run in double and come back through
 * trend_round. Nothing here allocates more than a few arrays of the series'
 * length, and every length is checked against the limits in trend.h first.
 */
#include "engine/trend.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/money.h"
#include "base/xalloc.h"

#include "base/banned.h"

#define Z80 1.2815515655446004
#define Z95 1.959963984540054
#define MAD_TO_SIGMA 1.4826         /* σ of a normal distribution from its MAD */
#define MEAN_ABS_TO_SIGMA 1.2533141 /* σ from the mean absolute deviation: sqrt(π/2) */
#define NONSEASONAL_HALF_WIDTH 3    /* running median over 7 points */
#define PARAM_MIN 0.01
#define PARAM_MAX 0.99
#define PERCENT_SCALE (100.0 * TREND_SCALE)

int64_t trend_round(double v)
{
    if (isnan(v))
        return 0;
    if (v >= 0x1p63)
        return INT64_MAX;
    if (v <= -0x1p63)
        return -INT64_MAX;
    return (int64_t)round(v);
}

/* Saturates an exact difference into the int64 range without INT64_MIN. */
static int64_t clamp128(__int128 v)
{
    if (v > INT64_MAX)
        return INT64_MAX;
    if (v < -INT64_MAX)
        return -INT64_MAX;
    return (int64_t)v;
}

/*
 * change / |base| in percent ×10^4, exactly rounded half away from zero
 * (base != 0; |change| < 2^65, so change × 10^6 fits in 128 bits).
 */
static int64_t percent_of(__int128 change, int64_t base)
{
    __int128 denominator = base < 0 ? -(__int128)base : base;
    int64_t pct = 0;

    if (money_div_round(change * (__int128)(100 * TREND_SCALE), denominator, &pct) != 0)
        return change < 0 ? -INT64_MAX : INT64_MAX;
    return pct;
}

static int check_length(size_t n, size_t limit, const char *what, struct sd_error *err)
{
    if (n > limit)
        return sd_error_set(err, SD_ELIMIT, "%s of %zu points is longer than the limit of %zu",
                            what, n, limit);
    return 0;
}

/* The checks of every model-based function: lengths, season, no missing values. */
static int check_series(const int64_t *values, size_t n, size_t season, struct sd_error *err)
{
    int rc = check_length(n, TREND_MAX_POINTS, "series", err);

    if (rc != 0)
        return rc;
    if (season > TREND_MAX_SEASON)
        return sd_error_set(err, SD_ELIMIT, "season of %zu periods is longer than the limit of %d",
                            season, TREND_MAX_SEASON);
    for (size_t i = 0; i < n; i++)
        if (values[i] == TREND_NONE)
            return sd_error_set(err, SD_EINVAL, "series point %zu is missing", i);
    return 0;
}

/* ---- growth ---------------------------------------------------------------- */

int trend_growth(const int64_t *values, size_t n, size_t lag, struct trend_growth *out,
                 struct sd_error *err)
{
    int rc = check_length(n, TREND_MAX_POINTS, "series", err);

    if (rc != 0)
        return rc;
    if (lag == 0)
        return sd_error_set(err, SD_EINVAL, "growth lag must be at least 1 period");
    for (size_t i = 0; i < n; i++) {
        struct trend_growth g = {.change = TREND_NONE, .pct = 0, .defined = false};

        if (i >= lag && values[i] != TREND_NONE && values[i - lag] != TREND_NONE) {
            __int128 change = (__int128)values[i] - values[i - lag];
            g.change = clamp128(change);
            if (values[i - lag] != 0) {
                g.pct = percent_of(change, values[i - lag]);
                g.defined = true;
            }
        }
        out[i] = g;
    }
    return 0;
}

/* ---- moving averages ------------------------------------------------------- */

/* Rounds num / den half away from zero (den > 0); the mean of int64 values always fits. */
static int64_t mean_round(__int128 num, __int128 den)
{
    int64_t v = 0;

    if (money_div_round(num, den, &v) != 0)
        return num < 0 ? -INT64_MAX : INT64_MAX;
    return v;
}

/*
 * Prefix sums of values and of missing counts: sum[i] is the sum of the first
 * i present values, missing[i] how many of the first i are TREND_NONE.
 */
static void prefix_sums(const int64_t *values, size_t n, __int128 *sum, size_t *missing)
{
    sum[0] = 0;
    missing[0] = 0;
    for (size_t i = 0; i < n; i++) {
        bool absent = values[i] == TREND_NONE;
        sum[i + 1] = sum[i] + (absent ? 0 : values[i]);
        missing[i + 1] = missing[i] + (absent ? 1 : 0);
    }
}

/* The mean of values[first .. last] (inclusive), or TREND_NONE when one is missing. */
static int64_t window_mean(const __int128 *sum, const size_t *missing, size_t first, size_t last,
                           const int64_t *values, bool half_ends)
{
    if (missing[last + 1] != missing[first])
        return TREND_NONE;
    if (!half_ends)
        return mean_round(sum[last + 1] - sum[first], (__int128)(last - first + 1));
    /* 2×k: ends weigh 1/2, so twice the sum minus the ends, over 2k. */
    __int128 twice = 2 * (sum[last + 1] - sum[first]) - values[first] - values[last];
    return mean_round(twice, 2 * (__int128)(last - first));
}

int trend_moving_average(const int64_t *values, size_t n, size_t window,
                         enum trend_ma_align align, int64_t *out, struct sd_error *err)
{
    int rc = check_length(n, TREND_MAX_POINTS, "series", err);
    bool even_centred = align == TREND_MA_CENTRED && window % 2 == 0;
    size_t before = align == TREND_MA_TRAILING ? window - 1 : window / 2;
    size_t after = align == TREND_MA_TRAILING ? 0 : window / 2;

    if (rc != 0)
        return rc;
    if (window == 0)
        return sd_error_set(err, SD_EINVAL, "moving average window must be at least 1 period");
    __int128 *sum = xcalloc(n + 1, sizeof(*sum));
    size_t *missing = xcalloc(n + 1, sizeof(*missing));
    prefix_sums(values, n, sum, missing);
    for (size_t i = 0; i < n; i++) {
        if (i < before || n - 1 - i < after)
            out[i] = TREND_NONE;
        else
            out[i] = window_mean(sum, missing, i - before, i + after, values, even_centred);
    }
    free(missing);
    free(sum);
    return 0;
}

/* ---- medians ----------------------------------------------------------------- */

/* The k-th smallest of v[0 .. n−1] (k < n); reorders v (Hoare's selection). */
static double select_kth(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;

    while (hi > lo) {
        double pivot = v[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                double t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k];
    }
    return v[k];
}

/* Median of v[0 .. n−1] (n ≥ 1; mean of the middle two when n is even); reorders v. */
static double median_of(double *v, size_t n)
{
    double upper = select_kth(v, n, n / 2);
    if (n % 2 == 1)
        return upper;
    /* After selection everything below n/2 is ≤ upper: the lower middle is their maximum. */
    double lower = v[0];
    for (size_t i = 1; i < n / 2; i++)
        if (v[i] > lower)
            lower = v[i];
    return (lower + upper) / 2;
}

/* ---- baseline ---------------------------------------------------------------- */

/*
 * Robust trend of d[0 .. n−1] into trend: the running median over 2h + 1
 * points where the window fits, continued linearly to the ends along the
 * slope between the outermost medians and those h further in.
 */
static void running_median_trend(const double *d, size_t n, size_t h, double *trend,
                                 double *scratch)
{
    if (n == 0)
        return;
    if (2 * h + 1 > n)
        h = (n - 1) / 2;
    size_t first = h, last = n - 1 - h;
    for (size_t t = first; t <= last; t++) {
        memcpy(scratch, d + t - h, (2 * h + 1) * sizeof(*d));
        trend[t] = median_of(scratch, 2 * h + 1);
    }
    size_t span = h < last - first ? h : last - first;
    double slope_start = span ? (trend[first + span] - trend[first]) / (double)span : 0;
    double slope_end = span ? (trend[last] - trend[last - span]) / (double)span : 0;
    for (size_t t = 0; t < first; t++)
        trend[t] = trend[first] - slope_start * (double)(first - t);
    for (size_t t = last + 1; t < n; t++)
        trend[t] = trend[last] + slope_end * (double)(t - last);
}

/*
 * Seasonal indexes: for each phase p < m the median over the t ≡ p (mod m)
 * whose level is known (not NaN; for ratios also > 0) of x[t] − level[t]
 * (additive) or x[t] / level[t] (multiplicative), then shifted to average 0
 * (additive) or scaled to average 1 (multiplicative).
 */
static void phase_medians(const int64_t *x, const double *level, size_t n, size_t m,
                          bool ratio, double *seasonal, double *scratch)
{
    double mean = 0;

    for (size_t p = 0; p < m; p++) {
        size_t count = 0;
        for (size_t t = p; t < n; t += m) {
            if (isnan(level[t]) || (ratio && !(level[t] > 0)))
                continue;
            scratch[count++] = ratio ? (double)x[t] / level[t] : (double)x[t] - level[t];
        }
        seasonal[p] = count ? median_of(scratch, count) : (ratio ? 1 : 0);
        mean += seasonal[p];
    }
    mean /= (double)m;
    for (size_t p = 0; p < m; p++) {
        if (!ratio)
            seasonal[p] -= mean;
        else if (mean > 0)
            seasonal[p] /= mean;
    }
}

struct phase_value {
    double value;
    size_t t;
};

static int compare_phase_value(const void *a, const void *b)
{
    const struct phase_value *x = a, *y = b;
    if (x->value != y->value)
        return x->value < y->value ? -1 : 1;
    return (x->t > y->t) - (x->t < y->t);
}

/* Median of the k sorted values without the one at rank `skip` (k ≥ 2). */
static double median_without(const struct phase_value *sorted, size_t k, size_t skip)
{
    size_t low = (k - 2) / 2, high = (k - 1) / 2;

    low += low >= skip;
    high += high >= skip;
    return (sorted[low].value + sorted[high].value) / 2;
}

/*
 * The final seasonal index of every point, leaving the point out: the median
 * of its phase's other detrended values, centred like phase_medians. A
 * point's own noise then never flatters its fit, so the residuals' spread
 * is an honest estimate of the noise for the anomaly z-scores.
 */
static void leave_one_out_indexes(const int64_t *x, const double *trend, size_t n, size_t m,
                                  bool ratio, double *index, struct phase_value *buf)
{
    double mean = 0;

    for (size_t p = 0; p < m; p++) {
        size_t k = 0;
        for (size_t t = p; t < n; t += m) {
            double level = trend[t];
            double v = ratio ? (level > 0 ? (double)x[t] / level : 1) : (double)x[t] - level;
            buf[k++] = (struct phase_value){v, t};
        }
        qsort(buf, k, sizeof(*buf), compare_phase_value);
        mean += (buf[(k - 1) / 2].value + buf[k / 2].value) / 2;
        for (size_t r = 0; r < k; r++)
            index[buf[r].t] = k >= 2 ? median_without(buf, k, r) : buf[0].value;
    }
    mean /= (double)m;
    for (size_t t = 0; t < n; t++) {
        if (!ratio)
            index[t] -= mean;
        else if (mean > 0)
            index[t] /= mean;
    }
}

/* Seasonal indexes and trend re-estimated against each other (see trend.h). */
static void seasonal_decompose(const int64_t *x, size_t n, size_t m, bool ratio, double *trend,
                               double *seasonal, double *work, double *scratch)
{
    int64_t *average = xcalloc(n, sizeof(int64_t));

    (void)trend_moving_average(x, n, m, TREND_MA_CENTRED, average, NULL);
    for (size_t t = 0; t < n; t++)
        trend[t] = average[t] == TREND_NONE ? NAN : (double)average[t];
    phase_medians(x, trend, n, m, ratio, seasonal, scratch);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t t = 0; t < n; t++) {
            double s = seasonal[t % m];
            work[t] = ratio ? (s > 0 ? (double)x[t] / s : (double)x[t]) : (double)x[t] - s;
        }
        running_median_trend(work, n, m / 2, trend, scratch);
        phase_medians(x, trend, n, m, ratio, seasonal, scratch);
    }
    struct phase_value *buf = xcalloc(n / m + 1, sizeof(*buf));
    leave_one_out_indexes(x, trend, n, m, ratio, work, buf);
    for (size_t t = 0; t < n; t++)
        work[t] = ratio ? trend[t] * work[t] : trend[t] + work[t];
    free(buf);
    free(average);
}

/* Spread of residuals around their median: the MAD, and the mean absolute deviation. */
struct spread {
    double mad;
    double mean_abs;
};

static struct spread residual_spread(const double *residual, size_t n, double centre,
                                     double *scratch)
{
    struct spread sp = {0, 0};

    for (size_t t = 0; t < n; t++) {
        scratch[t] = fabs(residual[t] - centre);
        sp.mean_abs += scratch[t];
    }
    sp.mean_abs /= (double)n;
    sp.mad = median_of(scratch, n);
    return sp;
}

/* Robust scale (σ) from a spread: the MAD's, else the mean deviation's; 0 when flat. */
static double robust_scale(struct spread sp)
{
    return sp.mad > 0 ? MAD_TO_SIGMA * sp.mad : MEAN_ABS_TO_SIGMA * sp.mean_abs;
}

/* The spread of x − fit (after rounding the fit, as callers see it). */
static struct spread fit_spread(const int64_t *x, const double *fit, size_t n, double *residual,
                                double *scratch)
{
    for (size_t t = 0; t < n; t++)
        residual[t] = (double)((__int128)x[t] - trend_round(fit[t]));
    memcpy(scratch, residual, n * sizeof(double));
    double centre = median_of(scratch, n);
    return residual_spread(residual, n, centre, scratch);
}

/* True when spread a is smaller than b: MAD first, mean deviation on a tie. */
static bool spread_less(struct spread a, struct spread b)
{
    return a.mad < b.mad || (a.mad == b.mad && a.mean_abs < b.mean_abs);
}

/*
 * The seasonal baseline: additive, or multiplicative when every value is
 * positive and its residuals spread less (the first wins a tie).
 */
static void seasonal_baseline(const int64_t *x, size_t n, size_t m, double *expected,
                              double *work, double *scratch)
{
    double *seasonal = xcalloc(m, sizeof(double));
    double *trend = xcalloc(n, sizeof(double));
    double *residual = xcalloc(n, sizeof(double));
    bool positive = true;

    for (size_t t = 0; t < n; t++)
        positive = positive && x[t] > 0;
    seasonal_decompose(x, n, m, false, trend, seasonal, work, scratch);
    memcpy(expected, work, n * sizeof(double));
    if (positive) {
        struct spread additive = fit_spread(x, expected, n, residual, scratch);
        seasonal_decompose(x, n, m, true, trend, seasonal, work, scratch);
        if (spread_less(fit_spread(x, work, n, residual, scratch), additive))
            memcpy(expected, work, n * sizeof(double));
    }
    free(residual);
    free(trend);
    free(seasonal);
}

/* The baseline of trend_baseline, in double, into expected[0 .. n−1] (n ≥ 1). */
static void baseline_double(const int64_t *x, size_t n, size_t m, double *expected)
{
    double *work = xcalloc(n, sizeof(double));
    double *scratch = xcalloc(n, sizeof(double));

    if (m >= 2 && n >= 2 * m) {
        seasonal_baseline(x, n, m, expected, work, scratch);
    } else {
        for (size_t t = 0; t < n; t++)
            work[t] = (double)x[t];
        running_median_trend(work, n, NONSEASONAL_HALF_WIDTH, expected, scratch);
    }
    free(scratch);
    free(work);
}

int trend_baseline(const int64_t *values, size_t n, size_t season, int64_t *expected,
                   struct sd_error *err)
{
    int rc = check_series(values, n, season, err);

    if (rc != 0 || n == 0)
        return rc;
    double *base = xcalloc(n, sizeof(double));
    baseline_double(values, n, season, base);
    for (size_t t = 0; t < n; t++)
        expected[t] = trend_round(base[t]);
    free(base);
    return 0;
}

/* ---- anomalies --------------------------------------------------------------- */

static int compare_anomaly(const void *a, const void *b)
{
    const struct trend_anomaly *x = a, *y = b;
    double ax = fabs(x->z), ay = fabs(y->z);

    if (ax != ay)
        return ax < ay ? 1 : -1;
    return (x->index > y->index) - (x->index < y->index);
}

int trend_anomalies(const int64_t *values, size_t n, size_t season, double threshold,
                    struct trend_anomaly *out, size_t cap, size_t *found, struct sd_error *err)
{
    int rc = check_series(values, n, season, err);

    *found = 0;
    if (rc != 0)
        return rc;
    if (!(threshold > 0) || !isfinite(threshold))
        return sd_error_set(err, SD_EINVAL, "anomaly threshold must be a positive number");
    if (n == 0)
        return 0;
    int64_t *expected = xcalloc(n, sizeof(int64_t));
    int64_t *work = xmalloc(n * sizeof(int64_t));
    double *residual = xcalloc(n, sizeof(double));
    double *scratch = xcalloc(n, sizeof(double));
    struct trend_anomaly *all = xcalloc(TREND_MAX_ANOMALIES, sizeof(*all));
    size_t count = 0;

    /*
     * One anomaly per pass: the point furthest from the baseline, if past the
     * threshold, is recorded and replaced by its expected value before the
     * next pass, so a spike does not distort the seasonal baseline of the
     * same month in other years (with three years, one spike in three values).
     */
    memcpy(work, values, n * sizeof(int64_t));
    for (size_t t = 0; t < n; t++)
        scratch[t] = fabs((double)values[t]);
    /* Deviations under 0.1 % of the typical level are never anomalies (rounding, not demand). */
    double floor_scale = 1e-3 * median_of(scratch, n);
    while (count < TREND_MAX_ANOMALIES) {
        (void)trend_baseline(work, n, season, expected, NULL);
        for (size_t t = 0; t < n; t++)
            residual[t] = (double)((__int128)work[t] - expected[t]);
        memcpy(scratch, residual, n * sizeof(double));
        double centre = median_of(scratch, n);
        double scale = robust_scale(residual_spread(residual, n, centre, scratch));
        if (scale > 0 && scale < floor_scale)
            scale = floor_scale;
        size_t worst = n;
        double worst_z = 0;
        for (size_t t = 0; scale > 0 && t < n; t++) {
            double z = (residual[t] - centre) / scale;
            if (fabs(z) > threshold && fabs(z) > fabs(worst_z)) {
                worst = t;
                worst_z = z;
            }
        }
        if (worst == n)
            break;
        all[count++] = (struct trend_anomaly){worst, values[worst], expected[worst], worst_z};
        work[worst] = expected[worst];
    }
    qsort(all, count, sizeof(*all), compare_anomaly);
    if (count > 0 && cap > 0)
        memcpy(out, all, (count < cap ? count : cap) * sizeof(*all));
    *found = count;
    free(all);
    free(scratch);
    free(residual);
    free(work);
    free(expected);
    return 0;
}

/* ---- smoothing models -------------------------------------------------------- */

struct model {
    enum trend_method method;
    size_t m;             /* season length (Holt-Winters only) */
    double param[3];      /* alpha, beta, gamma */
    double level, slope;  /* state after the last observation */
    double *seasonal;     /* m indexes, by t mod m (Holt-Winters only) */
    double sse;
    size_t residuals;
};

static int param_count(enum trend_method method)
{
    switch (method) {
    case TREND_SES: return 1;
    case TREND_HOLT: return 2;
    case TREND_HOLT_WINTERS: return 3;
    default: return 0;
    }
}

static double mean_range(const double *x, size_t first, size_t count)
{
    double s = 0;
    for (size_t i = 0; i < count; i++)
        s += x[first + i];
    return s / (double)count;
}

/* Holt-Winters start: state "before t = 0" from the first two seasons (see trend.h). */
static void holt_winters_start(struct model *mo, const double *x)
{
    size_t m = mo->m;
    double mean1 = mean_range(x, 0, m), mean2 = mean_range(x, m, m);
    double slope = (mean2 - mean1) / (double)m;
    double middle = (double)(m - 1) / 2;

    for (size_t i = 0; i < m; i++) {
        double offset = ((double)i - middle) * slope;
        mo->seasonal[i] = ((x[i] - mean1 - offset) + (x[m + i] - mean2 - offset)) / 2;
    }
    mo->level = mean1 - middle * slope - slope;
    mo->slope = slope;
}

/* Runs the model over x from its start state, summing squared one-step errors. */
static void model_run(struct model *mo, const double *x, size_t n)
{
    double a = mo->param[0], b = mo->param[1], g = mo->param[2];
    size_t t = 0;

    mo->sse = 0;
    switch (mo->method) {
    case TREND_NAIVE:
        for (t = 1; t < n; t++)
            mo->sse += (x[t] - x[t - 1]) * (x[t] - x[t - 1]);
        mo->level = x[n - 1];
        mo->slope = 0;
        mo->residuals = n - 1;
        return;
    case TREND_SES:
        mo->level = x[0];
        mo->slope = 0;
        t = 1;
        break;
    case TREND_HOLT:
        mo->level = x[1];
        mo->slope = x[1] - x[0];
        t = 2;
        break;
    case TREND_HOLT_WINTERS:
        holt_winters_start(mo, x);
        t = 0;
        break;
    }
    mo->residuals = n - t;
    for (; t < n; t++) {
        double *s = mo->method == TREND_HOLT_WINTERS ? &mo->seasonal[t % mo->m] : NULL;
        double season = s ? *s : 0;
        double error = x[t] - (mo->level + mo->slope + season);
        double level = a * (x[t] - season) + (1 - a) * (mo->level + mo->slope);
        mo->sse += error * error;
        if (mo->method != TREND_SES)
            mo->slope = b * (level - mo->level) + (1 - b) * mo->slope;
        mo->level = level;
        if (s)
            *s = g * (x[t] - level) + (1 - g) * *s;
    }
}

/* SSE with parameters p; NaN and infinity lose against any finite SSE. */
static bool try_params(struct model *mo, const double *x, size_t n, const double *p,
                       double *best_sse, double *best)
{
    memcpy(mo->param, p, sizeof(mo->param));
    model_run(mo, x, n);
    if (!isfinite(mo->sse) || (isfinite(*best_sse) && !(mo->sse < *best_sse)))
        return false;
    *best_sse = mo->sse;
    memcpy(best, p, sizeof(mo->param));
    return true;
}

/*
 * Walks every combination of `steps` values per parameter, value k of
 * parameter i being centre[i] + (k − (steps−1)/2)·step, or start + k·step when
 * centre is NULL, clamped to PARAM_MIN .. PARAM_MAX.
 */
static void grid_search(struct model *mo, const double *x, size_t n, const double *centre,
                        double start, double step, int steps, double *best_sse, double *best)
{
    int dims = param_count(mo->method), index[3] = {0, 0, 0};

    for (;;) {
        double p[3] = {0, 0, 0};
        for (int i = 0; i < dims; i++) {
            double v = centre ? centre[i] + (index[i] - (steps - 1) / 2) * step
                              : start + index[i] * step;
            p[i] = v < PARAM_MIN ? PARAM_MIN : v > PARAM_MAX ? PARAM_MAX : v;
        }
        try_params(mo, x, n, p, best_sse, best);
        int i = 0;
        while (i < dims && ++index[i] == steps)
            index[i++] = 0;
        if (i == dims)
            return;
    }
}

/* Fits the model's parameters (see trend.h) and leaves it run with them. */
static void model_fit(struct model *mo, const double *x, size_t n)
{
    double best[3] = {0, 0, 0}, best_sse = INFINITY;

    if (param_count(mo->method) > 0) {
        grid_search(mo, x, n, NULL, 0.05, 0.1, 10, &best_sse, best);
        double centre[3];
        memcpy(centre, best, sizeof(centre));
        grid_search(mo, x, n, centre, 0, 0.025, 5, &best_sse, best);
        memcpy(centre, best, sizeof(centre));
        grid_search(mo, x, n, centre, 0, 0.00625, 5, &best_sse, best);
        if (!isfinite(best_sse))
            best[0] = best[1] = best[2] = 0.5;
    }
    memcpy(mo->param, best, sizeof(best));
    model_run(mo, x, n);
}

static enum trend_method choose_method(size_t n, size_t season)
{
    if (season >= 2 && n >= 2 * season)
        return TREND_HOLT_WINTERS;
    if (n >= 4)
        return TREND_HOLT;
    return n == 3 ? TREND_SES : TREND_NAIVE;
}

/* The h-step standard deviation factor σh / σ (see trend.h). */
static double horizon_factor(const struct model *mo, size_t h)
{
    double a = mo->param[0], b = a * mo->param[1], g = (1 - a) * mo->param[2];
    double hd = (double)h, v = 1;

    switch (mo->method) {
    case TREND_NAIVE: return sqrt(hd);
    case TREND_SES: v = 1 + (hd - 1) * a * a; break;
    case TREND_HOLT:
    case TREND_HOLT_WINTERS:
        v = 1 + (hd - 1) * (a * a + a * b * hd + b * b * hd * (2 * hd - 1) / 6);
        if (mo->method == TREND_HOLT_WINTERS) {
            double k = (double)((h - 1) / mo->m);
            v += g * k * (2 * a + g + b * (double)mo->m * (k + 1));
        }
        break;
    }
    return sqrt(v);
}

static void forecast_points(const struct model *mo, size_t n, double sigma, size_t horizon,
                            struct trend_point *points)
{
    for (size_t h = 1; h <= horizon; h++) {
        double value = mo->level + (double)h * mo->slope;
        if (mo->method == TREND_HOLT_WINTERS)
            value += mo->seasonal[(n - 1 + h) % mo->m];
        double spread = sigma * horizon_factor(mo, h);
        points[h - 1] = (struct trend_point){
            .value = trend_round(value),
            .lo80 = trend_round(value - Z80 * spread),
            .hi80 = trend_round(value + Z80 * spread),
            .lo95 = trend_round(value - Z95 * spread),
            .hi95 = trend_round(value + Z95 * spread),
        };
    }
}

const char *trend_method_name(enum trend_method method)
{
    switch (method) {
    case TREND_NAIVE: return "naive";
    case TREND_SES: return "ses";
    case TREND_HOLT: return "holt";
    case TREND_HOLT_WINTERS: return "holt-winters";
    }
    return "unknown";
}

int trend_forecast(const int64_t *values, size_t n, size_t season, size_t horizon,
                   struct trend_point *points, struct trend_fit *fit, struct sd_error *err)
{
    int rc = check_series(values, n, season, err);

    if (rc == 0)
        rc = check_length(horizon, TREND_MAX_POINTS, "forecast horizon", err);
    if (rc != 0)
        return rc;
    if (n == 0)
        return sd_error_set(err, SD_EINVAL, "an empty series has nothing to forecast from");
    if (horizon == 0)
        return sd_error_set(err, SD_EINVAL, "forecast horizon must be at least 1 period");

    struct model mo = {.method = choose_method(n, season), .m = season};
    double *x = xcalloc(n, sizeof(double));
    for (size_t t = 0; t < n; t++)
        x[t] = (double)values[t];
    if (mo.method == TREND_HOLT_WINTERS)
        mo.seasonal = xcalloc(season, sizeof(double));
    model_fit(&mo, x, n);
    double sigma = mo.residuals ? sqrt(mo.sse / (double)mo.residuals) : 0;
    forecast_points(&mo, n, sigma, horizon, points);
    if (fit)
        *fit = (struct trend_fit){mo.method, mo.param[0], mo.param[1], mo.param[2], sigma,
                                  mo.residuals};
    free(mo.seasonal);
    free(x);
    return 0;
}

/* ---- backtest ---------------------------------------------------------------- */

static size_t held_out_count(size_t n, size_t season, size_t horizon)
{
    if (season >= 2 && n >= 3 * season)
        return season;
    if (horizon == 0 || horizon > n / 4)
        return n / 4;
    return horizon;
}

int trend_backtest(const int64_t *values, size_t n, size_t season, size_t horizon,
                   struct trend_backtest *out, struct sd_error *err)
{
    int rc = check_series(values, n, season, err);
    size_t held = held_out_count(n, season, horizon);
    struct trend_fit fit;
    double ape_sum = 0;

    memset(out, 0, sizeof(*out));
    if (rc != 0 || held == 0)
        return rc;
    struct trend_point *points = xcalloc(held, sizeof(*points));
    rc = trend_forecast(values, n - held, season, held, points, &fit, err);
    if (rc != 0)
        goto out;
    *out = (struct trend_backtest){.method = fit.method, .train = n - held, .held_out = held};
    for (size_t i = 0; i < held; i++) {
        int64_t actual = values[n - held + i];
        const struct trend_point *p = &points[i];
        out->covered80 += actual >= p->lo80 && actual <= p->hi80;
        out->covered95 += actual >= p->lo95 && actual <= p->hi95;
        if (actual == 0)
            continue;
        ape_sum += fabs((double)((__int128)actual - p->value)) / fabs((double)actual);
        out->used++;
    }
    if (out->used > 0)
        out->mape = trend_round(ape_sum / (double)out->used * PERCENT_SCALE);
out:
    free(points);
    return rc;
}

/* ---- movers ------------------------------------------------------------------ */

struct ranked {
    size_t index;
    double key; /* what is ranked, descending */
};

static int compare_ranked(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;

    if (x->key != y->key)
        return x->key < y->key ? 1 : -1;
    return (x->index > y->index) - (x->index < y->index);
}

static struct trend_mover make_mover(const int64_t *previous, const int64_t *current, size_t i)
{
    __int128 change = (__int128)current[i] - previous[i];
    struct trend_mover mv = {
        .index = i, .previous = previous[i], .current = current[i], .change = clamp128(change)};

    if (previous[i] != 0) {
        mv.pct = percent_of(change, previous[i]);
        mv.pct_defined = true;
    }
    return mv;
}

/* Sorts the candidates and stores the first `top` as movers; returns how many. */
static size_t keep_top(struct ranked *cand, size_t count, size_t top, const int64_t *previous,
                       const int64_t *current, struct trend_mover *out)
{
    size_t kept = count < top ? count : top;

    qsort(cand, count, sizeof(*cand), compare_ranked);
    for (size_t i = 0; i < kept; i++)
        out[i] = make_mover(previous, current, cand[i].index);
    return kept;
}

int trend_movers(const int64_t *previous, const int64_t *current, size_t n, size_t top,
                 struct trend_mover *by_change, size_t *n_change, struct trend_mover *by_pct,
                 size_t *n_pct, struct sd_error *err)
{
    int rc = check_length(n, TREND_MAX_KEYS, "movers list", err);
    size_t absolute = 0, relative = 0;

    *n_change = *n_pct = 0;
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (previous[i] == TREND_NONE || current[i] == TREND_NONE)
            return sd_error_set(err, SD_EINVAL, "mover %zu has a missing value", i);
    struct ranked *by_abs = xcalloc(n ? n : 1, sizeof(*by_abs));
    struct ranked *by_rel = xcalloc(n ? n : 1, sizeof(*by_rel));
    for (size_t i = 0; i < n; i++) {
        __int128 change = (__int128)current[i] - previous[i];
        double size = fabs((double)change);
        if (change == 0)
            continue;
        by_abs[absolute++] = (struct ranked){i, size};
        if (previous[i] != 0)
            by_rel[relative++] = (struct ranked){i, size / fabs((double)previous[i])};
    }
    *n_change = keep_top(by_abs, absolute, top, previous, current, by_change);
    *n_pct = keep_top(by_rel, relative, top, previous, current, by_pct);
    free(by_rel);
    free(by_abs);
    return 0;
}
