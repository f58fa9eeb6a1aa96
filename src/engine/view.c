/* SPDX-License-Identifier: MIT */
/*
 * view: KPI cards and trends as `salesdesk kpi/trend --json` and the API
 * show them (view.h): option parsing, the engine calls, the JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "engine/view.h"
#include "base/banned.h"

/* ---- KPI cards ---- */

/* Which KPIs to show: the names given, else all, or a short list by a dimension. */
static int pick(struct kpi_view *v, struct sd_error *err)
{
    static const char *const by_default[] = {"revenue", "orders", "aov", "margin_pct",
                                             "on_time_rate"};
    char copy[512];
    const char *names[KPI_VIEW_MAX];
    size_t n = 0;
    v->npicked = 0;
    if (v->kpi_names) {
        if (strlen(v->kpi_names) >= sizeof(copy))
            return sd_error_set(err, SD_EINVAL, "too long (at most %zu bytes)", sizeof(copy) - 1);
        memcpy(copy, v->kpi_names, strlen(v->kpi_names) + 1);
        for (char *p = copy; p && n < KPI_VIEW_MAX; n++) {
            names[n] = p;
            p = strchr(p, ',');
            if (p)
                *p++ = '\0';
        }
    } else if (v->by) {
        for (; n < sizeof(by_default) / sizeof(by_default[0]); n++)
            names[n] = by_default[n];
    }
    if (n == 0) {
        for (; v->npicked < v->set->n && v->npicked < KPI_VIEW_MAX; v->npicked++)
            v->picked[v->npicked] = v->npicked;
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        const struct kpi *k = kpi_find(v->set, names[i]);
        if (!k)
            return sd_error_set(err, SD_EINVAL, "no KPI '%s' (salesdesk kpi list)", names[i]);
        v->picked[v->npicked++] = (size_t)(k - v->set->items);
    }
    return 0;
}

int kpi_view_prepare(struct kpi_view *v, const char **field, struct sd_error *err)
{
    const char *p = v->period_text;
    *field = "period";
    if (p && period_parse(p, strlen(p), v->fy_start_month, &v->period, err))
        return SD_EINVAL;
    if (!p)
        v->period = period_containing(v->today, PERIOD_QUARTER, v->fy_start_month);
    *field = "scope";
    v->scope = (struct kpi_scope){DIM_NONE, ""};
    if (v->scope_text && kpi_scope_parse(v->scope_text, &v->scope, err))
        return SD_EINVAL;
    *field = "by";
    if (v->by && v->scope.dim != DIM_NONE)
        return sd_error_set(err, SD_EINVAL, "by and scope do not go together");
    *field = "kpi";
    return pick(v, err);
}

void kpi_card_json(struct json_writer *w, const struct kpi_card *k)
{
    json_object_begin(w);
    json_kv_string(w, "name", k->kpi->name);
    json_kv_string(w, "label", k->kpi->label);
    json_kv_string(w, "unit", measure_unit_name(k->kpi->unit));
    json_kv_bool(w, "higher_is_better", k->kpi->higher_is_better);
    json_kv_money(w, "value", k->value);
    json_kv_money(w, "target", k->target);
    json_kv_string(w, "target_source", k->target_source);
    json_kv_money(w, "expected", k->expected);
    json_kv_money(w, "projected", k->projected);
    json_kv_string(w, "pace", k->pace);
    json_kv_money(w, "attainment_pct", k->attainment);
    json_kv_string(w, "status", kpi_status_name(k->status));
    json_object_end(w);
}

static void json_head(struct json_writer *w, const struct kpi_view *v)
{
    char text[PERIOD_TEXT_MAX];
    period_format(&v->period, text);
    json_kv_string(w, "period", text);
    json_kv_date(w, "first", v->period.first);
    json_kv_date(w, "last", v->period.last);
    json_kv_date(w, "today", v->today);
}

/*
 * The picked KPIs as a set of their own (sharing the definitions and
 * formulas of v->set), so that only what they need is computed: a card's
 * value does not depend on which other KPIs are evaluated with it.
 */
static struct kpi_set picked_set(const struct kpi_view *v, struct kpi *items)
{
    struct kpi_set sub = {.items = items, .n = v->npicked};
    for (size_t i = 0; i < v->npicked; i++)
        items[i] = v->set->items[v->picked[i]];
    return sub;
}

static int json_cards(const struct kpi_view *v, struct json_writer *w, struct sd_error *err)
{
    struct kpi items[KPI_VIEW_MAX];
    struct kpi_set sub = picked_set(v, items);
    struct kpi_card *cards = xcalloc(sub.n ? sub.n : 1, sizeof(*cards));
    int rc = kpi_evaluate(v->f, &sub, v->targets, &v->period, v->today, &v->scope, v->rows, cards,
                          err);
    if (rc == 0) {
        json_object_begin(w);
        json_head(w, v);
        json_kv_string(w, "scope", kpi_scope_kind(&v->scope));
        json_kv_string(w, "scope_key", v->scope.key);
        json_key(w, "cards");
        json_array_begin(w);
        for (size_t i = 0; i < sub.n; i++)
            kpi_card_json(w, &cards[i]);
        json_array_end(w);
        json_object_end(w);
    }
    free(cards);
    return rc;
}

static int json_by(const struct kpi_view *v, struct json_writer *w, struct sd_error *err)
{
    struct kpi_row_set rows;
    struct kpi items[KPI_VIEW_MAX];
    struct kpi_set sub = picked_set(v, items);
    int rc = kpi_evaluate_by(v->f, &sub, v->targets, &v->period, v->today, v->by, v->rows, &rows,
                             err);
    if (rc)
        return rc;
    json_object_begin(w);
    json_head(w, v);
    json_kv_string(w, "by", dim_name(v->by));
    json_key(w, "rows");
    json_array_begin(w);
    for (size_t r = 0; r < rows.n; r++) {
        json_object_begin(w);
        json_kv_string(w, "key", facts_dim_key(v->f, v->by, rows.keys[r]));
        json_kv_string(w, "label", facts_dim_label(v->f, v->by, rows.keys[r]));
        json_key(w, "cards");
        json_array_begin(w);
        for (size_t i = 0; i < sub.n; i++)
            kpi_card_json(w, &rows.cards[r * sub.n + i]);
        json_array_end(w);
        json_object_end(w);
    }
    json_array_end(w);
    json_object_end(w);
    kpi_row_set_release(&rows);
    return 0;
}

int kpi_view_json(const struct kpi_view *v, struct json_writer *w, struct sd_error *err)
{
    return v->by ? json_by(v, w, err) : json_cards(v, w, err);
}

/* ---- trends ---- */

int trend_view_run(struct trend_view *t, struct sd_error *err)
{
    if (t->want_movers && !t->spec.by)
        return sd_error_set(err, SD_EINVAL, "movers need a dimension (by)");
    if (t->want_movers) {
        t->movers_top = t->spec.top ? t->spec.top : 10; /* how many movers; all series ranked */
        t->spec.top = 0;
    }
    int rc = series_build(t->f, &t->spec, &t->set, err);
    if (rc == 0 && t->want_movers)
        rc = series_movers(&t->set, t->movers_top, &t->movers, err);
    if (rc == 0 && !t->spec.by && t->set.nseries == 1)
        rc = series_analyse(&t->set, &t->spec, 0, t->horizon, &t->analysis, err);
    return rc;
}

void trend_view_release(struct trend_view *t)
{
    series_analysis_release(&t->analysis);
    series_movers_release(&t->movers);
    series_release(&t->set);
}

static void json_growth(struct json_writer *w, const char *key, const struct trend_growth *g,
                        size_t n)
{
    json_key(w, key);
    json_array_begin(w);
    for (size_t i = 0; i < n; i++)
        json_money(w, g && g[i].defined ? g[i].pct : MONEY_NONE);
    json_array_end(w);
}

static void json_forecast(struct json_writer *w, const struct trend_view *t)
{
    const struct series_analysis *a = &t->analysis;
    json_key(w, "forecast");
    if (!a->forecast_ok) {
        json_null(w);
        return;
    }
    json_object_begin(w);
    json_kv_string(w, "method", trend_method_name(a->fit.method));
    json_key(w, "points");
    json_array_begin(w);
    for (size_t h = 0; h < a->horizon; h++) {
        char period[PERIOD_TEXT_MAX];
        period_format(&a->forecast_periods[h], period);
        json_object_begin(w);
        json_kv_string(w, "period", period);
        json_kv_money(w, "value", a->forecast[h].value);
        json_kv_money(w, "lo80", a->forecast[h].lo80);
        json_kv_money(w, "hi80", a->forecast[h].hi80);
        json_kv_money(w, "lo95", a->forecast[h].lo95);
        json_kv_money(w, "hi95", a->forecast[h].hi95);
        json_object_end(w);
    }
    json_array_end(w);
    json_key(w, "backtest");
    json_object_begin(w);
    json_kv_money(w, "mape_pct", a->backtest.held_out ? a->backtest.mape : MONEY_NONE);
    json_kv_int(w, "held_out", (int64_t)a->backtest.held_out);
    json_kv_int(w, "points", (int64_t)a->backtest.used);
    json_kv_int(w, "covered95", (int64_t)a->backtest.covered95);
    json_object_end(w);
    json_object_end(w);
}

static void json_analysis(struct json_writer *w, const struct trend_view *t)
{
    const struct series_analysis *a = &t->analysis;
    size_t n = t->set.nperiods, kept = a->n_anomalies < 32 ? a->n_anomalies : 32;
    json_growth(w, "vs_prev_pct", a->pop, n);
    json_growth(w, "vs_last_year_pct", a->yoy, a->yoy ? n : 0);
    json_key(w, "moving_average");
    json_array_begin(w);
    for (size_t i = 0; i < n && a->moving; i++)
        json_money(w, a->moving[i]);
    json_array_end(w);
    json_forecast(w, t);
    json_key(w, "anomalies");
    json_array_begin(w);
    for (size_t i = 0; i < kept; i++) {
        char period[PERIOD_TEXT_MAX], z[32];
        period_format(&t->set.periods[a->anomalies[i].index], period);
        json_object_begin(w);
        json_kv_string(w, "period", period);
        json_kv_money(w, "actual", a->anomalies[i].actual);
        json_kv_money(w, "expected", a->anomalies[i].expected);
        json_key(w, "z");
        json_raw(w, z, (size_t)snprintf(z, sizeof(z), "%.2f", a->anomalies[i].z));
        json_object_end(w);
    }
    json_array_end(w);
}

static void json_mover_list(struct json_writer *w, const struct trend_view *t, const char *key,
                            const struct trend_mover *m, size_t n)
{
    json_key(w, key);
    json_array_begin(w);
    for (size_t i = 0; i < n; i++) {
        uint32_t k = t->set.key[m[i].index];
        json_object_begin(w);
        json_kv_string(w, "key", facts_dim_key(t->f, t->spec.by, k));
        json_kv_string(w, "label", facts_dim_label(t->f, t->spec.by, k));
        json_kv_money(w, "previous", m[i].previous);
        json_kv_money(w, "current", m[i].current);
        json_kv_money(w, "change", m[i].change);
        json_kv_money(w, "change_pct", m[i].pct_defined ? m[i].pct : MONEY_NONE);
        json_object_end(w);
    }
    json_array_end(w);
}

static void json_movers(struct json_writer *w, const struct trend_view *t)
{
    const struct series_movers *m = &t->movers;
    char prev[PERIOD_TEXT_MAX], cur[PERIOD_TEXT_MAX];
    json_key(w, "movers");
    if (!m->found) {
        json_null(w);
        return;
    }
    period_format(&m->previous, prev);
    period_format(&m->current, cur);
    json_object_begin(w);
    json_kv_string(w, "previous", prev);
    json_kv_string(w, "current", cur);
    json_mover_list(w, t, "by_change", m->by_change, m->n_change);
    json_mover_list(w, t, "by_change_pct", m->by_pct, m->n_pct);
    json_object_end(w);
}

static void json_series(struct json_writer *w, const struct trend_view *t)
{
    const struct series_set *s = &t->set;
    enum dim by = t->spec.by;
    json_key(w, "series");
    json_array_begin(w);
    for (size_t k = 0; k < s->nseries; k++) {
        json_object_begin(w);
        json_kv_string(w, "key", by ? facts_dim_key(t->f, by, s->key[k]) : NULL);
        json_kv_string(w, "label", by ? facts_dim_label(t->f, by, s->key[k]) : NULL);
        json_key(w, "values");
        json_array_begin(w);
        for (size_t p = 0; p < s->nperiods; p++)
            json_money(w, s->values[k * s->nperiods + p]);
        json_array_end(w);
        json_object_end(w);
    }
    json_array_end(w);
}

void trend_view_json(const struct trend_view *t, struct json_writer *w)
{
    const struct measure_info *m = &measure_table[t->spec.measure];
    const struct series_set *s = &t->set;
    json_object_begin(w);
    json_kv_string(w, "measure", m->name);
    json_kv_string(w, "unit", measure_unit_name(m->unit));
    json_kv_string(w, "bucket", series_bucket_name(t->spec.bucket));
    json_kv_string(w, "by", dim_name(t->spec.by));
    json_key(w, "periods");
    json_array_begin(w);
    for (size_t p = 0; p < s->nperiods; p++) {
        char period[PERIOD_TEXT_MAX];
        period_format(&s->periods[p], period);
        json_object_begin(w);
        json_kv_string(w, "period", period);
        json_kv_date(w, "first", s->periods[p].first);
        json_kv_date(w, "last", s->periods[p].last);
        json_object_end(w);
    }
    json_array_end(w);
    json_series(w, t);
    json_kv_bool(w, "partial_last", s->partial_last);
    if (!t->spec.by)
        json_analysis(w, t);
    if (t->want_movers)
        json_movers(w, t);
    json_object_end(w);
}
