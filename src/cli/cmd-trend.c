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
#include "engine/view.h"
#include "base/banned.h"

struct trend_cmd {
    struct cli_engine engine;
    struct query_filters filters;
    struct trend_view v;
    int json;
};

static int parse(const struct cli_args *args, struct trend_cmd *t)
{
    struct sd_error err = {0};
    uint64_t top = 0, horizon = 3;
    struct series_spec *spec = &t->v.spec;
    if (measure_parse(args->args[0], &spec->measure, &err))
        return cli_usage_error(args, "%s", err.message);
    t->json = cli_flag(args, "json");
    int rc = cli_opt_bucket(args, "bucket", PERIOD_MONTH, &spec->bucket);
    if (rc == 0)
        rc = cli_opt_dim(args, "by", &spec->by);
    if (rc == 0)
        rc = cli_opt_filters(args, &t->filters);
    if (rc == 0)
        rc = cli_opt_statuses(args, &spec->status_mask);
    if (rc == 0)
        rc = cli_opt_uint(args, "top", 100000, &top);
    if (rc == 0)
        rc = cli_opt_uint(args, "forecast", 1000, &horizon);
    t->v.horizon = (size_t)horizon;
    spec->top = (size_t)top; /* with --movers: how many movers */
    t->v.want_movers = cli_flag(args, "movers");
    if (rc == 0 && t->v.want_movers && !spec->by)
        return cli_usage_error(args, "--movers needs --by DIM");
    spec->where = t->filters.items;
    spec->nwhere = t->filters.n;
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
    const struct series_analysis *a = &t->v.analysis;
    enum measure_unit u = measure_table[t->v.spec.measure].unit;
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
    const struct series_analysis *a = &t->v.analysis;
    enum measure_unit u = measure_table[t->v.spec.measure].unit;
    size_t kept = a->n_anomalies < 32 ? a->n_anomalies : 32;
    if (!a->forecast_ok)
        return;
    strbuf_addf(out, "\nanomalies (|z| > 3.5 against the seasonal baseline): %zu\n",
                a->n_anomalies);
    for (size_t i = 0; i < kept; i++) {
        const struct trend_anomaly *x = &a->anomalies[i];
        char period[PERIOD_TEXT_MAX], v[64], e[64];
        period_format(&t->v.set.periods[x->index], period);
        cli_format_value(u, x->actual, v, sizeof(v));
        cli_format_value(u, x->expected, e, sizeof(e));
        strbuf_addf(out, "%-12s %20s   expected %s, z %+.1f\n", period, v, e, x->z);
    }
}

static void text_single(struct strbuf *out, const struct trend_cmd *t, int tty)
{
    const struct measure_info *m = &measure_table[t->v.spec.measure];
    const struct series_set *s = &t->v.set;
    const struct series_analysis *a = &t->v.analysis;
    strbuf_addf(out, "%-12s %20s %12s %12s %20s\n", series_bucket_name(t->v.spec.bucket), m->name,
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
    const struct facts *f = t->v.f;
    enum measure_unit u = measure_table[t->v.spec.measure].unit;
    strbuf_addf(out, "\n%s:\n", title);
    for (size_t i = 0; i < n; i++) {
        uint32_t key = t->v.set.key[m[i].index];
        char a[64], b[64], c[64], pct[32] = "-";
        cli_format_value(u, m[i].previous, a, sizeof(a));
        cli_format_value(u, m[i].current, b, sizeof(b));
        cli_format_value(u, m[i].change, c, sizeof(c));
        if (m[i].pct_defined)
            cli_format_value(UNIT_PERCENT, m[i].pct, pct, sizeof(pct));
        strbuf_addf(out, "%-16s %-28.28s %16s -> %16s  %16s  %10s\n",
                    facts_dim_key(f, t->v.spec.by, key), facts_dim_label(f, t->v.spec.by, key), a, b,
                    c, pct);
    }
}

static void text_movers(struct strbuf *out, const struct trend_cmd *t)
{
    const struct series_movers *m = &t->v.movers;
    char prev[PERIOD_TEXT_MAX], cur[PERIOD_TEXT_MAX];
    if (!m->found) {
        strbuf_addstr(out, "no movers: fewer than two complete periods\n");
        return;
    }
    period_format(&m->previous, prev);
    period_format(&m->current, cur);
    strbuf_addf(out, "top movers of %s by %s, %s against %s\n",
                measure_table[t->v.spec.measure].name, dim_name(t->v.spec.by), cur, prev);
    text_mover_list(out, t, "by change", m->by_change, m->n_change);
    text_mover_list(out, t, "by change %", m->by_pct, m->n_pct);
}

static void text_by(struct strbuf *out, const struct trend_cmd *t, int tty)
{
    const struct measure_info *m = &measure_table[t->v.spec.measure];
    const struct series_set *s = &t->v.set;
    const struct facts *f = t->v.f;
    char first[PERIOD_TEXT_MAX] = "", last[PERIOD_TEXT_MAX] = "";
    if (s->nperiods) {
        period_format(&s->periods[0], first);
        period_format(&s->periods[s->nperiods - 1], last);
    }
    strbuf_addf(out, "%s by %s, %s buckets %s..%s\n", m->name, dim_name(t->v.spec.by),
                series_bucket_name(t->v.spec.bucket), first, last);
    for (size_t k = 0; k < s->nseries; k++) {
        const int64_t *v = &s->values[k * s->nperiods];
        char value[64];
        cli_format_value(m->unit, s->nperiods ? v[s->nperiods - 1] : QUERY_NONE, value,
                         sizeof(value));
        strbuf_addf(out, "%-16s %-28.28s last %16s  ", facts_dim_key(f, t->v.spec.by, s->key[k]),
                    facts_dim_label(f, t->v.spec.by, s->key[k]), value);
        if (tty)
            sparkline(out, v, s->nperiods);
        strbuf_addstr(out, "\n");
    }
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
    t.v.f = t.engine.facts;
    t.v.spec.fy_start_month = t.engine.fy_start_month;
    rc = cli_opt_range(args, t.engine.fy_start_month, &t.v.spec.from, &t.v.spec.to);
    if (rc == 0 && trend_view_run(&t.v, &err))
        rc = cli_fail(&err);
    if (rc == 0) {
        int tty = isatty(STDOUT_FILENO);
        if (t.json) {
            struct json_writer w;
            json_writer_init(&w, &out, 1);
            trend_view_json(&t.v, &w);
            strbuf_addch(&out, '\n');
        } else if (t.v.want_movers) {
            text_movers(&out, &t);
        } else if (t.v.spec.by) {
            text_by(&out, &t, tty);
        } else {
            text_single(&out, &t, tty);
        }
        rc = cli_write_stdout(out.buf, out.len);
    }
    strbuf_release(&out);
    trend_view_release(&t.v);
    cli_engine_close(&t.engine);
    return rc;
}
