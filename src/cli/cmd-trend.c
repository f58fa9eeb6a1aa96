/* SPDX-License-Identifier: MIT */
/*
 * cmd-trend: `salesdesk trend MEASURE`: a measure over time buckets, as a
 * table with a sparkline on a terminal, optionally one series per value of
 * a dimension.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "base/money.h"
#include "base/strbuf.h"
#include "cli/cli-engine.h"
#include "engine/series.h"
#include "base/banned.h"

struct trend_cmd {
    struct cli_engine engine;
    struct series_spec spec;
    struct cli_filters filters;
    struct series_set set;
    struct series_analysis analysis;
    struct series_movers movers;
    uint64_t horizon;
    int want_movers;
    size_t movers_top;
    int json;
};

static int parse(const struct cli_args *args, struct trend_cmd *t)
{
    struct sd_error err = {0};
    uint64_t top = 0;
    if (measure_parse(args->args[0], &t->spec.measure, &err))
        return cli_usage_error(args, "%s", err.message);
    t->json = cli_flag(args, "json");
    int rc = cli_opt_bucket(args, "bucket", PERIOD_MONTH, &t->spec.bucket);
    if (rc == 0)
        rc = cli_opt_dim(args, "by", &t->spec.by);
    if (rc == 0)
        rc = cli_opt_filters(args, &t->filters);
    if (rc == 0)
        rc = cli_opt_statuses(args, &t->spec.status_mask);
    if (rc == 0)
        rc = cli_opt_uint(args, "top", 100000, &top);
    t->horizon = 3;
    if (rc == 0)
        rc = cli_opt_uint(args, "forecast", 1000, &t->horizon);
    t->spec.top = (size_t)top;
    t->want_movers = cli_flag(args, "movers");
    if (rc == 0 && t->want_movers && !t->spec.by)
        return cli_usage_error(args, "--movers needs --by DIM");
    if (t->want_movers) {
        t->movers_top = top ? (size_t)top : 10; /* --top: how many movers; all series ranked */
        t->spec.top = 0;
    }
    t->spec.where = t->filters.items;
    t->spec.nwhere = t->filters.n;
    return rc;
}

/* Eight levels of a bar; the values' range maps onto them. */
static void sparkline(struct strbuf *out, const int64_t *v, size_t n)
{
    static const char *const bars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == QUERY_NONE)
            continue;
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    for (size_t i = 0; i < n; i++) {
        if (v[i] == QUERY_NONE) {
            strbuf_addch(out, ' ');
            continue;
        }
        int level = hi > lo ? (int)((__int128)(v[i] - lo) * 7 / (hi - lo)) : 3;
        strbuf_addstr(out, bars[level]);
    }
}

static void growth_text(const struct trend_growth *g, char *buf, size_t size)
{
    if (!g || !g->defined)
        snprintf(buf, size, "-");
    else
        cli_format_value(UNIT_PERCENT, g->pct, buf, size);
}

static void text_forecast(struct strbuf *out, const struct trend_cmd *t)
{
    const struct series_analysis *a = &t->analysis;
    enum measure_unit u = measure_table[t->spec.measure].unit;
    char mape[64];
    if (!a->horizon)
        return;
    if (!a->forecast_ok) {
        strbuf_addstr(out, "\nno forecast: the series has periods without a value\n");
        return;
    }
    money_format_fixed(a->backtest.mape, 1, mape);
    strbuf_addf(out, "\nforecast (%s", trend_method_name(a->fit.method));
    if (a->backtest.held_out)
        strbuf_addf(out, "; backtest MAPE %s%% over %zu points", mape, a->backtest.used);
    strbuf_addstr(out, "):\n");
    for (size_t h = 0; h < a->horizon; h++) {
        char period[PERIOD_TEXT_MAX], v[64], lo[64], hi[64];
        const struct trend_point *p = &a->forecast[h];
        period_format(&a->forecast_periods[h], period);
        cli_format_value(u, p->value, v, sizeof(v));
        cli_format_value(u, p->lo95, lo, sizeof(lo));
        cli_format_value(u, p->hi95, hi, sizeof(hi));
        strbuf_addf(out, "%-12s %20s   95%%: %s .. %s\n", period, v, lo, hi);
    }
}

static void text_anomalies(struct strbuf *out, const struct trend_cmd *t)
{
    const struct series_analysis *a = &t->analysis;
    enum measure_unit u = measure_table[t->spec.measure].unit;
    size_t kept = a->n_anomalies < 32 ? a->n_anomalies : 32;
    if (!a->forecast_ok)
        return;
    strbuf_addf(out, "\nanomalies (|z| > 3.5 against the seasonal baseline): %zu\n",
                a->n_anomalies);
    for (size_t i = 0; i < kept; i++) {
        const struct trend_anomaly *x = &a->anomalies[i];
        char period[PERIOD_TEXT_MAX], v[64], e[64];
        period_format(&t->set.periods[x->index], period);
        cli_format_value(u, x->actual, v, sizeof(v));
        cli_format_value(u, x->expected, e, sizeof(e));
        strbuf_addf(out, "%-12s %20s   expected %s, z %+.1f\n", period, v, e, x->z);
    }
}

static void text_single(struct strbuf *out, const struct trend_cmd *t, int tty)
{
    const struct measure_info *m = &measure_table[t->spec.measure];
    const struct series_set *s = &t->set;
    const struct series_analysis *a = &t->analysis;
    strbuf_addf(out, "%-12s %20s %12s %12s %20s\n", cli_bucket_name(t->spec.bucket), m->name,
                "vs prev", "vs last yr", "moving avg");
    for (size_t p = 0; p < s->nperiods; p++) {
        char period[PERIOD_TEXT_MAX], value[64], pop[32], yoy[32], ma[64];
        period_format(&s->periods[p], period);
        cli_format_value(m->unit, s->values[p], value, sizeof(value));
        growth_text(&a->pop[p], pop, sizeof(pop));
        growth_text(a->yoy ? &a->yoy[p] : NULL, yoy, sizeof(yoy));
        cli_format_value(m->unit, a->moving[p], ma, sizeof(ma));
        strbuf_addf(out, "%-12s %20s %12s %12s %20s%s\n", period, value, pop, yoy, ma,
                    p + 1 == s->nperiods && s->partial_last ? "  (so far)" : "");
    }
    if (tty && s->nperiods > 1) {
        strbuf_addstr(out, "\n");
        sparkline(out, s->values, s->nperiods);
        strbuf_addstr(out, "\n");
    }
    text_forecast(out, t);
    text_anomalies(out, t);
}

static void text_mover_list(struct strbuf *out, const struct trend_cmd *t, const char *title,
                            const struct trend_mover *m, size_t n)
{
    const struct facts *f = t->engine.facts;
    enum measure_unit u = measure_table[t->spec.measure].unit;
    strbuf_addf(out, "\n%s:\n", title);
    for (size_t i = 0; i < n; i++) {
        uint32_t key = t->set.key[m[i].index];
        char a[64], b[64], c[64], pct[32] = "-";
        cli_format_value(u, m[i].previous, a, sizeof(a));
        cli_format_value(u, m[i].current, b, sizeof(b));
        cli_format_value(u, m[i].change, c, sizeof(c));
        if (m[i].pct_defined)
            cli_format_value(UNIT_PERCENT, m[i].pct, pct, sizeof(pct));
        strbuf_addf(out, "%-16s %-28.28s %16s -> %16s  %16s  %10s\n",
                    facts_dim_key(f, t->spec.by, key), facts_dim_label(f, t->spec.by, key), a, b,
                    c, pct);
    }
}

static void text_movers(struct strbuf *out, const struct trend_cmd *t)
{
    const struct series_movers *m = &t->movers;
    char prev[PERIOD_TEXT_MAX], cur[PERIOD_TEXT_MAX];
    if (!m->found) {
        strbuf_addstr(out, "no movers: fewer than two complete periods\n");
        return;
    }
    period_format(&m->previous, prev);
    period_format(&m->current, cur);
    strbuf_addf(out, "top movers of %s by %s, %s against %s\n",
                measure_table[t->spec.measure].name, dim_name(t->spec.by), cur, prev);
    text_mover_list(out, t, "by change", m->by_change, m->n_change);
    text_mover_list(out, t, "by change %", m->by_pct, m->n_pct);
}

static void text_by(struct strbuf *out, const struct trend_cmd *t, int tty)
{
    const struct measure_info *m = &measure_table[t->spec.measure];
    const struct series_set *s = &t->set;
    const struct facts *f = t->engine.facts;
    char first[PERIOD_TEXT_MAX] = "", last[PERIOD_TEXT_MAX] = "";
    if (s->nperiods) {
        period_format(&s->periods[0], first);
        period_format(&s->periods[s->nperiods - 1], last);
    }
    strbuf_addf(out, "%s by %s, %s buckets %s..%s\n", m->name, dim_name(t->spec.by),
                cli_bucket_name(t->spec.bucket), first, last);
    for (size_t k = 0; k < s->nseries; k++) {
        const int64_t *v = &s->values[k * s->nperiods];
        char value[64];
        cli_format_value(m->unit, s->nperiods ? v[s->nperiods - 1] : QUERY_NONE, value,
                         sizeof(value));
        strbuf_addf(out, "%-16s %-28.28s last %16s  ", facts_dim_key(f, t->spec.by, s->key[k]),
                    facts_dim_label(f, t->spec.by, s->key[k]), value);
        if (tty)
            sparkline(out, v, s->nperiods);
        strbuf_addstr(out, "\n");
    }
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

static void json_forecast(struct json_writer *w, const struct trend_cmd *t)
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

static void json_analysis(struct json_writer *w, const struct trend_cmd *t)
{
    const struct series_analysis *a = &t->analysis;
    size_t n = t->set.nperiods, kept = a->n_anomalies < 32 ? a->n_anomalies : 32;
    json_growth(w, "vs_prev_pct", a->pop, n);
    json_growth(w, "vs_last_year_pct", a->yoy, a->yoy ? n : 0);
    json_key(w, "moving_average");
    json_array_begin(w);
    for (size_t i = 0; i < n; i++)
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

static void json_mover_list(struct json_writer *w, const struct trend_cmd *t, const char *key,
                            const struct trend_mover *m, size_t n)
{
    const struct facts *f = t->engine.facts;
    json_key(w, key);
    json_array_begin(w);
    for (size_t i = 0; i < n; i++) {
        uint32_t k = t->set.key[m[i].index];
        json_object_begin(w);
        json_kv_string(w, "key", facts_dim_key(f, t->spec.by, k));
        json_kv_string(w, "label", facts_dim_label(f, t->spec.by, k));
        json_kv_money(w, "previous", m[i].previous);
        json_kv_money(w, "current", m[i].current);
        json_kv_money(w, "change", m[i].change);
        json_kv_money(w, "change_pct", m[i].pct_defined ? m[i].pct : MONEY_NONE);
        json_object_end(w);
    }
    json_array_end(w);
}

static void json_movers(struct json_writer *w, const struct trend_cmd *t)
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

static void json_out(struct strbuf *out, const struct trend_cmd *t)
{
    struct json_writer w;
    const struct measure_info *m = &measure_table[t->spec.measure];
    const struct series_set *s = &t->set;
    const struct facts *f = t->engine.facts;
    json_writer_init(&w, out, 1);
    json_object_begin(&w);
    json_kv_string(&w, "measure", m->name);
    json_kv_string(&w, "unit", measure_unit_name(m->unit));
    json_kv_string(&w, "bucket", cli_bucket_name(t->spec.bucket));
    json_kv_string(&w, "by", dim_name(t->spec.by));
    json_key(&w, "periods");
    json_array_begin(&w);
    for (size_t p = 0; p < s->nperiods; p++) {
        char period[PERIOD_TEXT_MAX];
        period_format(&s->periods[p], period);
        json_object_begin(&w);
        json_kv_string(&w, "period", period);
        json_kv_date(&w, "first", s->periods[p].first);
        json_kv_date(&w, "last", s->periods[p].last);
        json_object_end(&w);
    }
    json_array_end(&w);
    json_key(&w, "series");
    json_array_begin(&w);
    for (size_t k = 0; k < s->nseries; k++) {
        json_object_begin(&w);
        json_kv_string(&w, "key", t->spec.by ? facts_dim_key(f, t->spec.by, s->key[k]) : NULL);
        json_kv_string(&w, "label", t->spec.by ? facts_dim_label(f, t->spec.by, s->key[k]) : NULL);
        json_key(&w, "values");
        json_array_begin(&w);
        for (size_t p = 0; p < s->nperiods; p++)
            json_money(&w, s->values[k * s->nperiods + p]);
        json_array_end(&w);
        json_object_end(&w);
    }
    json_array_end(&w);
    json_kv_bool(&w, "partial_last", s->partial_last);
    if (!t->spec.by)
        json_analysis(&w, t);
    if (t->want_movers)
        json_movers(&w, t);
    json_object_end(&w);
    strbuf_addch(out, '\n');
}

int cmd_trend(const struct cli_args *args)
{
    struct trend_cmd t;
    struct sd_error err = {0};
    struct strbuf out = STRBUF_INIT;
    memset(&t, 0, sizeof(t));
    int rc = parse(args, &t);
    if (rc)
        return rc;
    rc = cli_engine_open(args, &t.engine);
    if (rc)
        return rc;
    t.spec.fy_start_month = t.engine.fy_start_month;
    rc = cli_opt_range(args, t.engine.fy_start_month, &t.spec.from, &t.spec.to);
    if (rc == 0 && series_build(t.engine.facts, &t.spec, &t.set, &err))
        rc = cli_fail(&err);
    if (rc == 0 && t.want_movers &&
        series_movers(&t.set, t.movers_top, &t.movers, &err))
        rc = cli_fail(&err);
    if (rc == 0 && !t.spec.by && t.set.nseries == 1 &&
        series_analyse(&t.set, &t.spec, 0, (size_t)t.horizon, &t.analysis, &err))
        rc = cli_fail(&err);
    if (rc == 0) {
        int tty = isatty(STDOUT_FILENO);
        if (t.json)
            json_out(&out, &t);
        else if (t.want_movers)
            text_movers(&out, &t);
        else if (t.spec.by)
            text_by(&out, &t, tty);
        else
            text_single(&out, &t, tty);
        rc = cli_write_stdout(out.buf, out.len);
    }
    strbuf_release(&out);
    series_analysis_release(&t.analysis);
    series_movers_release(&t.movers);
    series_release(&t.set);
    cli_engine_close(&t.engine);
    return rc;
}
