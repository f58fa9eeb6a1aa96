/* SPDX-License-Identifier: MIT */
/*
 * series: runs one bucketed query and lays its rows out as dense series,
 * one per dimension value, over every bucket of the range.
 */
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/xalloc.h"
#include "engine/series.h"
#include "base/banned.h"

int measure_is_additive(enum measure m)
{
    switch (m) {
    case MEASURE_MARGIN_PCT:
    case MEASURE_AOV:
    case MEASURE_ON_TIME_RATE:
    case MEASURE_DAYS_TO_SHIP:
    case MEASURE_DAYS_TO_SHIP_MEDIAN:
    case MEASURE_FILL_RATE:
    case MEASURE_RETURN_RATE:
    case MEASURE_WIN_RATE:
    case MEASURE_AVG_DEAL:
    case MEASURE_SALES_CYCLE:
    case MEASURE_FIRST_RESPONSE:
    case MEASURE_RESOLUTION:
    case MEASURE_SLA_BREACH_RATE:
    case MEASURE_DSO:
        return 0;
    default:
        return 1;
    }
}

int measure_is_flow(enum measure m)
{
    switch (m) {
    case MEASURE_REVENUE:
    case MEASURE_COST:
    case MEASURE_MARGIN:
    case MEASURE_UNITS:
    case MEASURE_LINES:
    case MEASURE_ORDERS:
    case MEASURE_NEW_ACCOUNTS:
    case MEASURE_DISCOUNT:
    case MEASURE_DEALS_WON:
    case MEASURE_REQUESTS:
        return 1;
    default:
        return 0;
    }
}

void series_release(struct series_set *s)
{
    free(s->periods);
    free(s->key);
    free(s->values);
    memset(s, 0, sizeof(*s));
}

static const char *const bucket_names[] = {
    [PERIOD_DAY] = "day",         [PERIOD_WEEK] = "week", [PERIOD_MONTH] = "month",
    [PERIOD_QUARTER] = "quarter", [PERIOD_YEAR] = "year", [PERIOD_FQUARTER] = "fquarter",
    [PERIOD_FYEAR] = "fyear",
};

const char *series_bucket_name(enum period_kind k)
{
    return k <= PERIOD_FYEAR ? bucket_names[k] : "range";
}

int series_bucket_parse(const char *text, enum period_kind *out, struct sd_error *err)
{
    for (int k = PERIOD_DAY; k <= PERIOD_FYEAR; k++) {
        if (strcmp(text, bucket_names[k]) == 0) {
            *out = (enum period_kind)k;
            return 0;
        }
    }
    return sd_error_set(err, SD_EINVAL, "'%s' is not a bucket (day, week, month, quarter, year, "
                        "fquarter, fyear)", text);
}

static void make_periods(struct series_set *s, const struct series_spec *spec, int32_t from,
                         int32_t to)
{
    size_t cap = 0;
    for (int32_t day = from; day <= to;) {
        struct period p = period_containing(day, spec->bucket, spec->fy_start_month);
        if (s->nperiods == cap) {
            cap = cap ? cap * 2 : 64;
            s->periods = xreallocarray(s->periods, cap, sizeof(*s->periods));
        }
        s->periods[s->nperiods++] = p;
        if (p.last == INT32_MAX)
            break;
        day = p.last + 1;
    }
}

static struct query base_query(const struct series_spec *spec, int32_t from, int32_t to)
{
    return (struct query){
        .measures = 1u << spec->measure,
        .bucketed = 1,
        .bucket = spec->bucket,
        .fy_start_month = spec->fy_start_month,
        .by = {spec->by, DIM_NONE},
        .from = from,
        .to = to,
        .status_mask = spec->status_mask,
        .where = spec->where,
        .nwhere = spec->nwhere,
        .rows = spec->rows,
    };
}

/* The dimension values to show: the top ones by total, or every one that has data. */
static int pick_keys(const struct facts *f, const struct series_spec *spec, int32_t from,
                     int32_t to, struct series_set *s, struct sd_error *err)
{
    if (spec->by == DIM_NONE) {
        s->key = xcalloc(1, sizeof(*s->key));
        s->nseries = 1;
        return 0;
    }
    struct query q = base_query(spec, from, to);
    q.bucketed = 0;
    q.top = spec->top;
    q.top_by = spec->measure;
    struct query_result totals;
    int rc = query_run(f, &q, &totals, err);
    if (rc)
        return rc;
    s->nseries = 0;
    s->key = xcalloc(totals.n ? totals.n : 1, sizeof(*s->key));
    for (size_t i = 0; i < totals.n; i++) {
        if (query_rows_names(spec->rows, spec->by, totals.rows[i].key[0]))
            s->key[s->nseries++] = totals.rows[i].key[0];
    }
    query_result_release(&totals);
    return 0;
}

static size_t period_index(const struct series_set *s, int32_t first)
{
    size_t lo = 0, hi = s->nperiods;
    while (lo + 1 < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->periods[mid].first <= first)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static void fill(const struct facts *f, struct series_set *s, const struct series_spec *spec,
                 const struct query_result *r)
{
    size_t n = s->nseries * s->nperiods;
    uint32_t nkeys = facts_dim_count(f, spec->by);
    uint32_t *series_of = xcalloc(nkeys, sizeof(*series_of)); /* key → series + 1 */
    for (size_t k = 0; k < s->nseries; k++)
        series_of[s->key[k]] = (uint32_t)k + 1;
    int64_t blank = measure_is_additive(spec->measure) ? 0 : QUERY_NONE;
    s->values = xmalloc((n ? n : 1) * sizeof(*s->values));
    for (size_t i = 0; i < n; i++)
        s->values[i] = blank;
    for (size_t i = 0; i < r->n; i++) {
        const struct query_row *row = &r->rows[i];
        uint32_t k = series_of[row->key[0]];
        if (k)
            s->values[(k - 1) * s->nperiods + period_index(s, row->bucket_first)] =
                row->value[spec->measure];
    }
    free(series_of);
}

int series_build(const struct facts *f, const struct series_spec *spec, struct series_set *out,
                 struct sd_error *err)
{
    struct facts_stats st;
    memset(out, 0, sizeof(*out));
    if ((unsigned)spec->measure >= MEASURE_COUNT || spec->bucket > PERIOD_FYEAR)
        return sd_error_set(err, SD_EINVAL, "a series needs a measure and a time bucket");
    facts_stats(f, &st);
    int32_t from = spec->from != DATE_NONE ? spec->from : st.first_day;
    int32_t to = spec->to != DATE_NONE ? spec->to : st.last_day;
    if (from == DATE_NONE || to == DATE_NONE || from > to)
        return 0;
    make_periods(out, spec, from, to);
    out->partial_last = out->nperiods > 0 && out->periods[out->nperiods - 1].last > to;
    if ((uint64_t)out->nperiods * (spec->by ? facts_dim_count(f, spec->by) : 1) >
        QUERY_MAX_GROUPS) {
        series_release(out);
        return sd_error_set(err, SD_ELIMIT, "too many points: use a coarser bucket or a filter");
    }
    struct query q = base_query(spec, from, to);
    struct query_result r;
    int rc = query_run(f, &q, &r, err);
    if (rc == 0) {
        rc = pick_keys(f, spec, from, to, out, err);
        if (rc == 0)
            fill(f, out, spec, &r);
        query_result_release(&r);
    }
    if (rc)
        series_release(out);
    return rc;
}

static size_t season_of(enum period_kind bucket)
{
    switch (bucket) {
    case PERIOD_DAY:
        return 7;
    case PERIOD_WEEK:
        return 52;
    case PERIOD_MONTH:
        return 12;
    case PERIOD_QUARTER:
    case PERIOD_FQUARTER:
        return 4;
    default:
        return 1;
    }
}

void series_analysis_release(struct series_analysis *a)
{
    free(a->pop);
    free(a->yoy);
    free(a->moving);
    free(a->forecast);
    free(a->forecast_periods);
    memset(a, 0, sizeof(*a));
}

static int has_gaps(const int64_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i] == QUERY_NONE)
            return 1;
    }
    return n == 0;
}

/* The periods after the last complete one, for the forecast's labels. */
static void forecast_periods(const struct series_set *s, const struct series_spec *spec,
                             struct series_analysis *a)
{
    a->forecast_periods = xmalloc(a->horizon * sizeof(*a->forecast_periods));
    int32_t day = s->periods[a->complete - 1].last + 1;
    for (size_t h = 0; h < a->horizon; h++) {
        a->forecast_periods[h] = period_containing(day, spec->bucket, spec->fy_start_month);
        day = a->forecast_periods[h].last + 1;
    }
}

static int forecast(const struct series_set *s, const struct series_spec *spec,
                    const int64_t *v, struct series_analysis *a, struct sd_error *err)
{
    size_t season = a->season > 1 ? a->season : 0;
    if (!a->horizon || has_gaps(v, a->complete))
        return 0;
    a->forecast = xmalloc(a->horizon * sizeof(*a->forecast));
    int rc = trend_forecast(v, a->complete, season, a->horizon, a->forecast, &a->fit, err);
    if (rc == 0 && a->complete >= 4)
        rc = trend_backtest(v, a->complete, season, a->horizon, &a->backtest, err);
    if (rc == 0 && a->complete >= 3)
        rc = trend_anomalies(v, a->complete, season, 3.5, a->anomalies,
                             sizeof(a->anomalies) / sizeof(a->anomalies[0]), &a->n_anomalies,
                             err);
    if (rc == 0) {
        a->forecast_ok = 1;
        forecast_periods(s, spec, a);
    }
    return rc;
}

int series_analyse(const struct series_set *s, const struct series_spec *spec, size_t k,
                   size_t horizon, struct series_analysis *out, struct sd_error *err)
{
    memset(out, 0, sizeof(*out));
    if (k >= s->nseries)
        return sd_error_set(err, SD_EINVAL, "no series %zu", k);
    const int64_t *v = &s->values[k * s->nperiods];
    size_t n = s->nperiods;
    out->season = season_of(spec->bucket);
    out->complete = s->partial_last ? n - 1 : n;
    out->horizon = horizon;
    out->window = out->season > 1 ? out->season : 3;
    out->pop = xcalloc(n ? n : 1, sizeof(*out->pop));
    out->moving = xcalloc(n ? n : 1, sizeof(*out->moving));
    int rc = trend_growth(v, n, 1, out->pop, err);
    if (rc == 0 && out->season > 1) {
        out->yoy = xcalloc(n ? n : 1, sizeof(*out->yoy));
        rc = trend_growth(v, n, out->season, out->yoy, err);
    }
    if (rc == 0)
        rc = trend_moving_average(v, n, out->window, TREND_MA_TRAILING, out->moving, err);
    if (rc == 0)
        rc = forecast(s, spec, v, out, err);
    if (rc)
        series_analysis_release(out);
    return rc;
}

void series_movers_release(struct series_movers *m)
{
    free(m->by_change);
    free(m->by_pct);
    memset(m, 0, sizeof(*m));
}

int series_movers(const struct series_set *s, size_t top, struct series_movers *out,
                  struct sd_error *err)
{
    memset(out, 0, sizeof(*out));
    size_t complete = s->partial_last ? s->nperiods - 1 : s->nperiods;
    if (complete < 2 || s->nseries == 0 || top == 0)
        return 0;
    size_t n = 0;
    int64_t *prev = xmalloc(s->nseries * sizeof(*prev)), *cur = xmalloc(s->nseries * sizeof(*cur));
    size_t *series = xmalloc(s->nseries * sizeof(*series));
    for (size_t k = 0; k < s->nseries; k++) {
        int64_t a = s->values[k * s->nperiods + complete - 2];
        int64_t b = s->values[k * s->nperiods + complete - 1];
        if (a == QUERY_NONE || b == QUERY_NONE)
            continue;
        prev[n] = a;
        cur[n] = b;
        series[n++] = k;
    }
    out->by_change = xcalloc(top, sizeof(*out->by_change));
    out->by_pct = xcalloc(top, sizeof(*out->by_pct));
    int rc = trend_movers(prev, cur, n, top, out->by_change, &out->n_change, out->by_pct,
                          &out->n_pct, err);
    for (size_t i = 0; rc == 0 && i < out->n_change; i++)
        out->by_change[i].index = series[out->by_change[i].index];
    for (size_t i = 0; rc == 0 && i < out->n_pct; i++)
        out->by_pct[i].index = series[out->by_pct[i].index];
    out->found = rc == 0;
    out->previous = s->periods[complete - 2];
    out->current = s->periods[complete - 1];
    free(prev);
    free(cur);
    free(series);
    if (rc)
        series_movers_release(out);
    return rc;
}
