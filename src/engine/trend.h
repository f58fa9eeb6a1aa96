/* SPDX-License-Identifier: MIT */
/*
 * trend: the pure math of trends on one time series: growth, moving averages,
 * forecast with prediction intervals and a backtest, anomalies against a
 * robust seasonal baseline, and top movers between two periods.
 *
 * A series is an array of int64 values, one per period (day, week, month...),
 * oldest first, in the engine's fixed point ×10^4 (money in 1/10000, counts
 * and percentages ×10^4). This module knows nothing of periods, measures or
 * the engine: the caller passes the season length (12 for months, 4 for
 * quarters, 52 for weeks, 7 for days; 0 or 1 for "no seasonality").
 *
 * Conventions every function keeps:
 * - Values that come back are int64 ×10^4 like the input, rounded half away
 *   from zero from the double arithmetic used inside (trend_round), and
 *   saturated at ±INT64_MAX instead of wrapping.
 * - Percentages that come back (growth, relative change, MAPE) are int64
 *   percent ×10^4, like the engine's percentages: 12.5 % is 125000. Print them
 *   with money_format_fixed(pct, 1, buf) → "12.5".
 * - TREND_NONE (INT64_MIN, the same value as MONEY_NONE, written as JSON null)
 *   marks a missing value. Growth and moving averages accept it in their input
 *   and produce it where a result is undefined; forecast, baseline, anomalies
 *   and movers reject it (SD_EINVAL naming the index).
 * - A series holds at most TREND_MAX_POINTS values and a season is at most
 *   TREND_MAX_SEASON periods; beyond, SD_ELIMIT. Any other int64 input
 *   (zeros, negatives, constants, extremes, length 0, 1, 2) is computed
 *   without crashing, dividing by zero or overflowing.
 * - Fallible functions return 0 or a negative SD_E... status and fill `err`
 *   (may be NULL). On failure the outputs are unspecified (partly written).
 *   Inputs are borrowed; outputs are caller-provided arrays.
 * - Everything is deterministic: no randomness, no global state, thread-safe.
 */
#ifndef SD_ENGINE_TREND_H
#define SD_ENGINE_TREND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define TREND_SCALE 10000          /* fixed point of values and percentages */
#define TREND_NONE INT64_MIN       /* a missing value */
#define TREND_MAX_POINTS 100000    /* longest series (and forecast horizon) */
#define TREND_MAX_SEASON 366       /* longest season: daily data, yearly cycle */
#define TREND_MAX_KEYS 1000000     /* most keys trend_movers ranks */
#define TREND_MAX_ANOMALIES 100    /* most anomalies trend_anomalies finds */

/*
 * Rounds `v` half away from zero to an int64, saturating at ±INT64_MAX (never
 * INT64_MIN, which is TREND_NONE). NaN gives 0. Every value this module
 * returns passes through it.
 */
int64_t trend_round(double v);

/* ---- growth ---------------------------------------------------------------- */

/* One point's growth against the value `lag` periods before it. */
struct trend_growth {
    int64_t change; /* values[i] − values[i − lag], saturated; TREND_NONE when either is missing */
    int64_t pct;    /* change / |base| in percent ×10^4; 0 when !defined */
    bool defined;   /* false when i < lag, either value is missing, or the base is 0 */
};

/*
 * Growth of every point against the point `lag` periods earlier: lag 1 is
 * period over period, lag = season length (12, 4, 52, 7) is year over year.
 * out[i] is filled for every i < n. The base is taken in absolute value, so a
 * loss shrinking from −100 to −50 is +50 % (an improvement) and a move from
 * −50 to 50 is +200 %. Growth from a zero base is undefined, not infinite:
 * `defined` is false and pct is 0 (change is still set).
 * Returns 0, SD_EINVAL when lag is 0, SD_ELIMIT when n > TREND_MAX_POINTS.
 */
int trend_growth(const int64_t *values, size_t n, size_t lag, struct trend_growth *out,
                 struct sd_error *err);

/* ---- moving averages ------------------------------------------------------- */

enum trend_ma_align {
    TREND_MA_TRAILING, /* out[i] = mean of values[i − window + 1 .. i] */
    TREND_MA_CENTRED,  /* window centred on i (see trend_moving_average) */
};

/*
 * Moving average with `window` points, computed exactly (128-bit sums) and
 * rounded once, half away from zero. out[i] (for every i < n) is TREND_NONE
 * where the window does not fit in the series or holds a missing value.
 * Centred with an odd window k: the mean of values[i − (k−1)/2 .. i + (k−1)/2].
 * Centred with an even window k (the classical "2×k" average, as used for
 * monthly data with k = 12): values[i − k/2 .. i + k/2] with half weight on
 * the two ends, divided by k. Window 1 copies the series.
 * Returns 0, SD_EINVAL when window is 0, SD_ELIMIT when n > TREND_MAX_POINTS.
 */
int trend_moving_average(const int64_t *values, size_t n, size_t window,
                         enum trend_ma_align align, int64_t *out, struct sd_error *err);

/* ---- forecast ---------------------------------------------------------------- */

enum trend_method {
    TREND_NAIVE,        /* n ≤ 2: the last value repeated */
    TREND_SES,          /* n = 3: simple exponential smoothing (alpha) */
    TREND_HOLT,         /* n ≥ 4 without two full seasons: Holt's linear trend (alpha, beta) */
    TREND_HOLT_WINTERS, /* season ≥ 2 and n ≥ 2 × season: additive Holt-Winters (alpha, beta, gamma) */
};

/* "naive", "ses", "holt", "holt-winters". */
const char *trend_method_name(enum trend_method method);

/* A forecast point and its prediction intervals. */
struct trend_point {
    int64_t value;
    int64_t lo80, hi80;
    int64_t lo95, hi95;
};

/* How a forecast was made. */
struct trend_fit {
    enum trend_method method;
    double alpha, beta, gamma; /* fitted smoothing parameters; those the method lacks are 0 */
    double sigma;              /* residual standard deviation, in series units (×10^4) */
    size_t residuals;          /* one-step errors sigma was computed from */
};

/*
 * Forecasts the `horizon` periods after the series into points[0 .. horizon−1].
 *
 * Method (chosen from the history, reported in fit->method):
 *   n ≥ 2·season, season ≥ 2: additive Holt-Winters, component form
 *       ŷ(t) = L + b + s[t mod m];  L' = α(x − s[t mod m]) + (1−α)(L + b);
 *       b' = β(L' − L) + (1−β)b;    s[t mod m] = γ(x − L') + (1−γ)s[t mod m];
 *     initialised from the first two seasons (level and slope from their
 *     means, seasonal indexes from both seasons detrended by that slope), so a
 *     series that is exactly linear plus a repeating pattern is forecast exactly;
 *   n ≥ 4 otherwise: Holt's linear trend, L = x1, b = x1 − x0, then as above
 *     without the seasonal term;
 *   n = 3: simple exponential smoothing from L = x0; n = 1, 2: naive.
 * Parameters are fitted by minimising the in-sample sum of squared one-step
 * errors: a grid 0.05, 0.15 .. 0.95 on each parameter, then two refinements
 * of ±2 steps of 0.025 and 0.00625 around the best (clamped to 0.01 .. 0.99;
 * the first of equal minima wins), which is deterministic.
 *
 * sigma = sqrt(SSE / residuals) over the one-step errors (naive: the changes
 * x(t) − x(t−1)); with no residual (n = 1) it is 0 and the intervals collapse
 * onto the forecast. The h-step standard deviation grows with the horizon as
 * for the equivalent ETS models (Hyndman & Athanasopoulos, FPP2 table 7.8),
 * with a = α, b = αβ and g = (1−α)γ in their error-correction parameters:
 *   naive:        σh = σ·sqrt(h)
 *   SES:          σh = σ·sqrt(1 + (h−1)a²)
 *   Holt:         σh = σ·sqrt(1 + (h−1)(a² + a·b·h + b²h(2h−1)/6))
 *   Holt-Winters: as Holt, plus g·k·(2a + g + b·m·(k+1)) inside the root,
 *                 k = (h−1) div m.
 * The intervals are value ± 1.2816·σh (80 %) and ± 1.9600·σh (95 %).
 *
 * `fit` may be NULL. Returns 0; SD_EINVAL when n is 0, horizon is 0 or a value
 * is TREND_NONE; SD_ELIMIT when n or horizon exceeds TREND_MAX_POINTS or
 * season exceeds TREND_MAX_SEASON.
 */
int trend_forecast(const int64_t *values, size_t n, size_t season, size_t horizon,
                   struct trend_point *points, struct trend_fit *fit, struct sd_error *err);

/* How well the forecast would have done on the most recent history. */
struct trend_backtest {
    enum trend_method method; /* the method used on the training part */
    size_t train;             /* points fitted: the first `train` of the series */
    size_t held_out;          /* points forecast and compared: the last `held_out` */
    size_t used;              /* held-out points with a non-zero actual: MAPE's base */
    int64_t mape;             /* mean |actual − forecast| / |actual|, percent ×10^4; 0 when used is 0 */
    size_t covered80;         /* held-out points inside the 80 % interval */
    size_t covered95;         /* held-out points inside the 95 % interval */
};

/*
 * Backtests trend_forecast: holds out the end of the series, fits on the rest
 * with the same method choice, forecasts the held-out part and compares.
 * Held out: the last season when season ≥ 2 and n ≥ 3·season (the training
 * part then keeps two seasons for Holt-Winters), otherwise the last
 * min(horizon, n / 4) points (n / 4 when horizon is 0). Zero actuals are left
 * out of the MAPE (not of the coverage counts). With nothing to hold out
 * (n < 4) it returns 0 with held_out = used = 0. A CLI prints
 * "MAPE %s%% over %zu points" with money_format_fixed(mape, 1) and `used`.
 * Returns 0 or the statuses of trend_forecast.
 */
int trend_backtest(const int64_t *values, size_t n, size_t season, size_t horizon,
                   struct trend_backtest *out, struct sd_error *err);

/* ---- baseline and anomalies -------------------------------------------------- */

/*
 * The robust seasonal baseline of every point, into expected[0 .. n−1].
 * With season m ≥ 2 and n ≥ 2m: a seasonal-trend decomposition made of
 * medians: seasonal indexes as per-phase medians of the series minus its
 * centred moving average, trend as a running median of the deseasonalised
 * series over m + 1 (m odd: m) points, extended to the first and last m/2
 * points along the slope of the neighbouring medians; indexes and trend are
 * re-estimated twice against each other. The final index of a point leaves
 * that point out (median of its phase's other cycles), so its own noise does
 * not flatter its fit. This is done additively (x − trend) and, when every
 * value is positive, also multiplicatively (x / trend, for seasons that grow
 * with the level); the one whose residuals have the smaller MAD (then mean
 * absolute deviation; additive on a tie) is kept.
 * Otherwise the trend alone, with a running median over 7 points. A single
 * outlier moves neither its own baseline nor its neighbours'; a series that is
 * exactly linear plus a repeating pattern is its own baseline.
 * Returns 0; SD_EINVAL for a TREND_NONE value; SD_ELIMIT as trend_forecast.
 */
int trend_baseline(const int64_t *values, size_t n, size_t season, int64_t *expected,
                   struct sd_error *err);

struct trend_anomaly {
    size_t index;     /* position in the series */
    int64_t actual;   /* values[index] */
    int64_t expected; /* the baseline (trend_baseline) */
    double z;         /* robust z-score of actual − expected; sign gives the direction */
};

/*
 * Points far from their baseline. Residuals r = actual − expected; their
 * scale is the MAD: σ = 1.4826 · median(|r − median(r)|), or, when more than
 * half the residuals are equal (MAD 0), 1.2533 · mean(|r − median(r)|);
 * when both are 0 nothing is an anomaly (a constant series). z = (r − median(r)) / σ,
 * and a point is an anomaly when |z| > threshold (3.5 is the usual choice).
 * Anomalies are found one per pass, strongest first: each found point is
 * replaced by its expected value and the baseline and scale are computed
 * again, so one spike does not drag the same season of other years with it;
 * at most TREND_MAX_ANOMALIES are found. The scale is at least 0.1 % of the
 * median |value|, so rounding-sized deviations of an exact series are not
 * anomalies.
 * Stores the strongest min(found, cap) anomalies into out, by |z| descending
 * (equal |z|: lower index first), and sets *found to how many there are.
 * Returns 0; SD_EINVAL when threshold is not a positive finite number or a
 * value is TREND_NONE; SD_ELIMIT as trend_forecast.
 */
int trend_anomalies(const int64_t *values, size_t n, size_t season, double threshold,
                    struct trend_anomaly *out, size_t cap, size_t *found, struct sd_error *err);

/* ---- top movers ------------------------------------------------------------ */

struct trend_mover {
    size_t index;      /* the key's position in the input arrays */
    int64_t previous;  /* previous-period value */
    int64_t current;   /* current-period value */
    int64_t change;    /* current − previous, saturated */
    int64_t pct;       /* change / |previous| in percent ×10^4; 0 when !pct_defined */
    bool pct_defined;  /* false when previous is 0 */
};

/*
 * Top movers among n keys (dimension values) with previous[i] and current[i]:
 * into by_change the up to `top` keys with the largest |change|, and into
 * by_pct the up to `top` keys with the largest |pct|, each in descending
 * order (ties: lower index first). Keys that did not change are in neither
 * list. Keys with previous = 0 (new, or back from zero) have no relative
 * change: they are ranked by absolute change only and left out of by_pct.
 * *n_change and *n_pct receive how many entries were stored (≤ top).
 * Returns 0; SD_EINVAL for a TREND_NONE value; SD_ELIMIT when n exceeds
 * TREND_MAX_KEYS.
 */
int trend_movers(const int64_t *previous, const int64_t *current, size_t n, size_t top,
                 struct trend_mover *by_change, size_t *n_change, struct trend_mover *by_pct,
                 size_t *n_pct, struct sd_error *err);

#endif
