/* SPDX-License-Identifier: MIT */
/*
 * series: a measure over consecutive time buckets, one series per value of
 * an optional dimension — the input of trends, forecasts and sparklines.
 * Buckets without any counted line are filled: 0 for sums and counts,
 * QUERY_NONE for ratios and averages (no data is not zero).
 */
#ifndef SD_ENGINE_SERIES_H
#define SD_ENGINE_SERIES_H

#include "engine/query.h"
#include "engine/trend.h"

struct series_spec {
    enum measure measure;
    enum period_kind bucket; /* PERIOD_DAY..PERIOD_FYEAR */
    int fy_start_month;
    enum dim by;             /* DIM_NONE: one series */
    int32_t from, to;        /* DATE_NONE: the first / last order day of the facts */
    unsigned status_mask;
    const struct query_filter *where;
    size_t nwhere;
    size_t top;              /* with `by`: only the `top` series by their total (0: all) */
    const struct query_rows *rows; /* NULL: every line (query.h) */
};

struct series_set {
    size_t nperiods;
    int partial_last; /* the last period is not over yet (the data end before it does) */
    struct period *periods;
    size_t nseries;
    uint32_t *key;   /* dimension value per series (0 when not by a dimension) */
    int64_t *values; /* nseries × nperiods, row-major: values[s * nperiods + p] */
};

/* "day" "week" "month" "quarter" "year" "fquarter" "fyear"; "range" for others. */
const char *series_bucket_name(enum period_kind k);
/* 0 and *out for a bucket name, or SD_EINVAL naming the buckets. */
int series_bucket_parse(const char *text, enum period_kind *out, struct sd_error *err);

/*
 * Builds the series. SD_EINVAL for a bad spec, SD_ELIMIT when there would be
 * more than QUERY_MAX_GROUPS points. An empty facts set gives 0 periods.
 * Release with series_release.
 */
int series_build(const struct facts *f, const struct series_spec *spec, struct series_set *out,
                 struct sd_error *err);
void series_release(struct series_set *s);

/* Growth, smoothing, forecast and anomalies of one series (trend.c on it). */
struct series_analysis {
    size_t season;                  /* periods in a year for the bucket (1 for years) */
    size_t complete;                /* periods analysed: all but a running last one */
    struct trend_growth *pop, *yoy; /* per period; yoy NULL when season is 1 */
    int64_t *moving;                /* trailing moving average over `season` (3 when 1) */
    size_t window;
    int forecast_ok;                /* 0: the series has gaps (no value) or no history */
    size_t horizon;
    struct trend_point *forecast;   /* horizon points after the last complete period */
    struct period *forecast_periods;
    struct trend_fit fit;
    struct trend_backtest backtest;
    struct trend_anomaly anomalies[32];
    size_t n_anomalies;             /* found (those beyond 32 not kept) */
};

/*
 * Analyses series `k` of `s` (bucket as in `spec`): growth against the
 * previous period and the same period last year, a trailing moving average,
 * a forecast of `horizon` periods with its backtest, and anomalies with
 * |z| > 3.5 against the seasonal baseline. A running last period is left
 * out of the forecast and anomalies. Release with series_analysis_release.
 */
int series_analyse(const struct series_set *s, const struct series_spec *spec, size_t k,
                   size_t horizon, struct series_analysis *out, struct sd_error *err);
void series_analysis_release(struct series_analysis *a);
/* 1 when missing buckets of this measure read 0 (sums and counts), 0 when they have no value. */
int measure_is_additive(enum measure m);
/* 1 for measures that accumulate over a period (revenue, orders...): they can be paced. */
int measure_is_flow(enum measure m);

/* The dimension values that moved most between the last two complete periods. */
struct series_movers {
    int found;                  /* 0: fewer than two complete periods */
    struct period previous, current;
    struct trend_mover *by_change, *by_pct; /* index: the series (s->key[index]) */
    size_t n_change, n_pct;
};

/*
 * Top `top` movers among the series of `s` (one per dimension value): by
 * absolute change and by relative change of the last complete period
 * against the one before (trend_movers). Series without a value in either
 * period are left out. Release with series_movers_release.
 */
int series_movers(const struct series_set *s, size_t top, struct series_movers *out,
                  struct sd_error *err);
void series_movers_release(struct series_movers *m);

#endif
