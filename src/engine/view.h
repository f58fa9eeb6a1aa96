/* SPDX-License-Identifier: MIT */
/*
 * view: the KPI cards and trends as the surfaces show them, in one place so
 * that `salesdesk kpi --json`, `salesdesk trend --json` and the HTTP API
 * answer the same fields and numbers: the options they take (period, scope,
 * which KPIs; measure, bucket, forecast, movers), the engine calls in order,
 * and the JSON. Money and every other value are exact decimals (json_money).
 * The facts are borrowed and must not change while a view uses them.
 */
#ifndef SD_ENGINE_VIEW_H
#define SD_ENGINE_VIEW_H

#include "base/json.h"
#include "engine/kpi.h"
#include "engine/series.h"

#define KPI_VIEW_MAX 64

/* KPI cards for a period and scope, or one row of cards per value of `by`. */
struct kpi_view {
    /* Inputs. */
    const struct facts *f;
    const struct kpi_set *set;
    const struct kpi_targets *targets; /* NULL: no targets */
    const struct query_rows *rows;     /* NULL: every line */
    int32_t today;
    int fy_start_month;
    const char *period_text; /* NULL: the quarter holding `today` */
    const char *scope_text;  /* NULL: the company */
    const char *kpi_names;   /* "a,b,c"; NULL: all, or a short list with `by` */
    enum dim by;             /* DIM_NONE: one set of cards */
    /* Set by kpi_view_prepare. */
    struct period period;
    struct kpi_scope scope;
    size_t picked[KPI_VIEW_MAX]; /* indexes into set->items */
    size_t npicked;
};

/*
 * Parses the period, scope and KPI names. SD_EINVAL with *field naming the
 * input at fault ("period", "scope", "kpi", "by": by and scope together).
 */
int kpi_view_prepare(struct kpi_view *v, const char **field, struct sd_error *err);
/*
 * Evaluates the view and writes the object of `salesdesk kpi --json`:
 * {period, first, last, today, scope, scope_key, cards} or, by a dimension,
 * {period, first, last, today, by, rows: [{key, label, cards}]}.
 * SD_ENOTFOUND when the scope's value does not exist.
 */
int kpi_view_json(const struct kpi_view *v, struct json_writer *w, struct sd_error *err);
/* One card's JSON object. */
void kpi_card_json(struct json_writer *w, const struct kpi_card *k);

/* A trend: a measure over buckets, maybe by a dimension, analysed or ranked. */
struct trend_view {
    /* Inputs. */
    const struct facts *f;
    struct series_spec spec; /* spec.top with movers: how many movers (default 10) */
    size_t horizon;          /* forecast periods (single series only) */
    int want_movers;         /* needs spec.by */
    /* Results of trend_view_run. */
    struct series_set set;
    struct series_analysis analysis;
    struct series_movers movers;
    size_t movers_top;
};

/* Builds the series, the movers and (one series) the analysis. SD_EINVAL for a bad spec. */
int trend_view_run(struct trend_view *t, struct sd_error *err);
/* The object of `salesdesk trend --json`. */
void trend_view_json(const struct trend_view *t, struct json_writer *w);
void trend_view_release(struct trend_view *t);

#endif
