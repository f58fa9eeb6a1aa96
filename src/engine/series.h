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
};

struct series_set {
    size_t nperiods;
    struct period *periods;
    size_t nseries;
    uint32_t *key;   /* dimension value per series (0 when not by a dimension) */
    int64_t *values; /* nseries × nperiods, row-major: values[s * nperiods + p] */
};

/*
 * Builds the series. SD_EINVAL for a bad spec, SD_ELIMIT when there would be
 * more than QUERY_MAX_GROUPS points. An empty facts set gives 0 periods.
 * Release with series_release.
 */
int series_build(const struct facts *f, const struct series_spec *spec, struct series_set *out,
                 struct sd_error *err);
void series_release(struct series_set *s);
/* 1 when missing buckets of this measure read 0 (sums and counts), 0 when they have no value. */
int measure_is_additive(enum measure m);

#endif
