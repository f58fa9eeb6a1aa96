/* SPDX-License-Identifier: MIT */
/*
 * cmd-kpi: `salesdesk kpi`: KPI cards (value, target, pacing, status) for a
 * period and scope, or per value of a dimension; `kpi list`, `kpi define`,
 * `kpi target`, `kpi targets` manage definitions and targets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/money.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "cli/cli-desk.h"
#include "cli/cli-engine.h"
#include "desk/kpis.h"
#include "engine/kpi.h"
#include "engine/view.h"
#include "base/banned.h"

struct kpi_cmd {
    struct cli_engine engine;
    struct kpi_set set;
    struct kpi_targets targets;
    struct kpi_view view;
    int json;
};

static int parse_view(const struct cli_args *args, struct kpi_cmd *c)
{
    struct sd_error err = {0};
    const char *field = NULL;
    c->view = (struct kpi_view){
        .f = c->engine.facts,
        .set = &c->set,
        .targets = &c->targets,
        .today = c->engine.today,
        .fy_start_month = c->engine.fy_start_month,
        .period_text = cli_opt(args, "period"),
        .scope_text = cli_opt(args, "scope"),
        .kpi_names = cli_opt(args, "kpi"),
        .by = c->view.by,
    };
    if (kpi_view_prepare(&c->view, &field, &err) == 0)
        return 0;
    if (strcmp(field, "by") == 0)
        return cli_usage_error(args, "--by and --scope do not go together");
    return cli_usage_error(args, "--%s: %s", field, err.message);
}

static void text_cards(struct strbuf *out, const struct kpi_view *v, const struct kpi_card *cards)
{
    char text[PERIOD_TEXT_MAX];
    period_format(&v->period, text);
    const struct kpi_card *any = &cards[v->picked[0]];
    strbuf_addf(out, "KPIs for %s%s%s, %s (day %d of %d)\n\n", kpi_scope_kind(&v->scope),
                *v->scope.key ? " " : "", v->scope.key, text, any->days_elapsed, any->days_total);
    strbuf_addf(out, "%-30s %16s %16s %16s %16s %-11s %7s %s\n", "kpi", "value", "target",
                "expected", "projected", "pace", "status", "of pace");
    for (size_t i = 0; i < v->npicked; i++) {
        const struct kpi_card *k = &cards[v->picked[i]];
        enum measure_unit u = k->kpi->unit;
        char val[64], t[64], e[64], p[64], a[64];
        cli_format_value(u, k->value, val, sizeof(val));
        cli_format_value(u, k->has_target ? k->target : QUERY_NONE, t, sizeof(t));
        cli_format_value(u, k->has_target ? k->expected : QUERY_NONE, e, sizeof(e));
        cli_format_value(u, k->projected, p, sizeof(p));
        cli_format_value(UNIT_PERCENT, k->attainment, a, sizeof(a));
        strbuf_addf(out, "%-30.30s %16s %16s %16s %16s %-11s %7s %s\n", k->kpi->label, val, t, e,
                    p, k->has_target ? k->pace : "", kpi_status_name(k->status), a);
    }
}

static int show_cards(struct kpi_cmd *c, struct strbuf *out, struct sd_error *err)
{
    const struct kpi_view *v = &c->view;
    struct kpi_card *cards = xcalloc(c->set.n, sizeof(*cards));
    int rc = kpi_evaluate(v->f, v->set, v->targets, &v->period, v->today, &v->scope, NULL, cards,
                          err);
    if (rc == 0)
        text_cards(out, v, cards);
    free(cards);
    return rc;
}

static void text_by(struct strbuf *out, const struct kpi_view *v, const struct kpi_row_set *rows)
{
    char text[PERIOD_TEXT_MAX];
    period_format(&v->period, text);
    strbuf_addf(out, "KPIs by %s, %s (G green, A amber, R red against target)\n\n",
                dim_name(v->by), text);
    strbuf_addf(out, "%-16s %-24s", dim_name(v->by), "name");
    for (size_t i = 0; i < v->npicked; i++)
        strbuf_addf(out, " %18.18s", v->set->items[v->picked[i]].name);
    strbuf_addch(out, '\n');
    for (size_t r = 0; r < rows->n; r++) {
        strbuf_addf(out, "%-16s %-24.24s", facts_dim_key(v->f, v->by, rows->keys[r]),
                    facts_dim_label(v->f, v->by, rows->keys[r]));
        for (size_t i = 0; i < v->npicked; i++) {
            const struct kpi_card *k = &rows->cards[r * v->set->n + v->picked[i]];
            char val[64];
            cli_format_value(k->kpi->unit, k->value, val, sizeof(val));
            strbuf_addf(out, " %16s %c", val, " GAR"[k->status]);
        }
        strbuf_addch(out, '\n');
    }
}

static int show_by(struct kpi_cmd *c, struct strbuf *out, struct sd_error *err)
{
    const struct kpi_view *v = &c->view;
    struct kpi_row_set rows;
    int rc = kpi_evaluate_by(v->f, v->set, v->targets, &v->period, v->today, v->by, NULL, &rows,
                             err);
    if (rc)
        return rc;
    text_by(out, v, &rows);
    kpi_row_set_release(&rows);
    return 0;
}

static int show_json(struct kpi_cmd *c, struct strbuf *out, struct sd_error *err)
{
    struct json_writer w;
    json_writer_init(&w, out, 1);
    int rc = kpi_view_json(&c->view, &w, err);
    strbuf_addch(out, '\n');
    return rc;
}

static int view(const struct cli_args *args)
{
    struct kpi_cmd c;
    struct sd_error err = {0};
    struct strbuf out = STRBUF_INIT;
    memset(&c, 0, sizeof(c));
    c.json = cli_flag(args, "json");
    int rc = cli_opt_dim(args, "by", &c.view.by);
    if (rc == 0)
        rc = cli_engine_open(args, &c.engine);
    if (rc)
        return rc;
    if (kpi_set_load(c.engine.db, &c.set, &err) || kpi_targets_load(c.engine.db, &c.targets, &err))
        rc = cli_fail(&err);
    if (rc == 0)
        rc = parse_view(args, &c);
    if (rc == 0 && (c.json       ? show_json(&c, &out, &err)
                    : c.view.by ? show_by(&c, &out, &err)
                                : show_cards(&c, &out, &err)))
        rc = cli_fail(&err);
    if (rc == 0)
        rc = cli_write_stdout(out.buf, out.len);
    strbuf_release(&out);
    kpi_targets_release(&c.targets);
    kpi_set_release(&c.set);
    cli_engine_close(&c.engine);
    return rc;
}

static int list(const struct cli_args *args, struct db *db)
{
    struct kpi_set set;
    struct sd_error err = {0};
    struct strbuf out = STRBUF_INIT;
    if (kpi_set_load(db, &set, &err))
        return cli_fail(&err);
    struct json_writer w;
    int json = cli_flag(args, "json");
    if (json) {
        json_writer_init(&w, &out, 1);
        json_array_begin(&w);
    }
    for (size_t i = 0; i < set.n; i++) {
        const struct kpi *k = &set.items[i];
        if (!json) {
            strbuf_addf(&out, "%-18s %-8s %-7s %-6s %s\n", k->name, measure_unit_name(k->unit),
                        k->builtin ? "builtin" : "user", k->higher_is_better ? "higher" : "lower",
                        k->formula_text);
            continue;
        }
        json_object_begin(&w);
        json_kv_string(&w, "name", k->name);
        json_kv_string(&w, "label", k->label);
        json_kv_string(&w, "formula", k->formula_text);
        json_kv_string(&w, "unit", measure_unit_name(k->unit));
        json_kv_bool(&w, "higher_is_better", k->higher_is_better);
        json_kv_bool(&w, "builtin", k->builtin);
        json_object_end(&w);
    }
    if (json) {
        json_array_end(&w);
        strbuf_addch(&out, '\n');
    }
    int rc = cli_write_stdout(out.buf, out.len);
    strbuf_release(&out);
    kpi_set_release(&set);
    return rc;
}

static int parse_unit(const struct cli_args *args, enum measure_unit *unit)
{
    const char *text = cli_opt(args, "unit");
    *unit = UNIT_MONEY;
    for (int u = UNIT_MONEY; text && u <= UNIT_HOURS; u++) {
        if (strcmp(text, measure_unit_name((enum measure_unit)u)) == 0) {
            *unit = (enum measure_unit)u;
            return 0;
        }
    }
    return text ? cli_usage_error(args, "--unit: '%s' is not money, count, percent, days or hours", text)
                : 0;
}

static int define(const struct cli_args *args, struct db *db, struct sd_error *err)
{
    enum measure_unit unit;
    enum store_write w;
    if (args->n_args != 3)
        return cli_usage_error(args, "kpi define NAME FORMULA");
    int rc = parse_unit(args, &unit);
    if (rc)
        return rc;
    struct desk_actor actor;
    char actor_name[128];
    cli_desk_actor(actor_name, sizeof(actor_name), &actor);
    rc = db_begin(db, err);
    if (rc == 0)
        rc = desk_kpi_define(db, &actor, args->args[1], cli_opt(args, "label"), args->args[2],
                             unit, !cli_flag(args, "lower-is-better"), &w, err);
    if (rc == 0)
        rc = db_commit(db, err);
    else if (db_in_transaction(db))
        db_rollback(db);
    if (rc)
        return cli_fail_rejected(err, rc == SD_EINVAL);
    printf("KPI '%s' %s\n", args->args[1],
           w == STORE_INSERTED ? "defined" : w == STORE_UPDATED ? "changed" : "unchanged");
    return 0;
}

/* --green / --amber: a percentage of the expected value, as millionths. */
static int threshold(const struct cli_args *args, const char *name, int64_t fallback,
                     int64_t *out)
{
    const char *text = cli_opt(args, name);
    struct sd_error err = {0};
    *out = fallback;
    if (text && money_parse(text, strlen(text), out, &err))
        return cli_usage_error(args, "--%s: %s", name, err.message);
    if (*out < 0 || *out > 100000000)
        return cli_usage_error(args, "--%s: a percentage from 0 to 10000", name);
    return 0;
}

static int set_target(const struct cli_args *args, struct db *db, struct sd_error *err)
{
    struct kpi_set set;
    struct kpi_scope scope = {DIM_NONE, ""};
    struct period p;
    int64_t value, green, amber;
    enum store_write w;
    const char *period = cli_opt(args, "period"), *scope_text = cli_opt(args, "scope");
    if (args->n_args != 3 || !period)
        return cli_usage_error(args, "kpi target KPI VALUE --period P [--scope S]");
    int rc = threshold(args, "green", 1000000, &green);
    if (rc == 0)
        rc = threshold(args, "amber", 900000, &amber);
    if (rc)
        return rc;
    if (money_parse(args->args[2], strlen(args->args[2]), &value, err))
        return cli_usage_error(args, "VALUE: %s", err->message);
    if (scope_text && kpi_scope_parse(scope_text, &scope, err))
        return cli_usage_error(args, "--scope: %s", err->message);
    if (period_parse(period, strlen(period), cli_fiscal_start(db), &p, err))
        return cli_usage_error(args, "--period: %s", err->message);
    struct desk_actor actor;
    char actor_name[128];
    cli_desk_actor(actor_name, sizeof(actor_name), &actor);
    rc = kpi_set_load(db, &set, err);
    if (rc == 0)
        rc = db_begin(db, err);
    if (rc == 0)
        rc = desk_kpi_target_set(db, &actor, &set, args->args[1], &scope, &p, value, green, amber,
                                 &w, NULL, err);
    if (rc == 0)
        rc = db_commit(db, err);
    else if (db_in_transaction(db))
        db_rollback(db);
    kpi_set_release(&set);
    if (rc)
        return cli_fail_rejected(err, rc == SD_EINVAL || rc == SD_ENOTFOUND);
    printf("target %s %s\n", args->args[1],
           w == STORE_INSERTED ? "set" : w == STORE_UPDATED ? "changed" : "unchanged");
    return 0;
}

static int list_targets(const struct cli_args *args, struct db *db, struct sd_error *err)
{
    struct kpi_targets t;
    struct strbuf out = STRBUF_INIT;
    struct json_writer w;
    int json = cli_flag(args, "json");
    if (kpi_targets_load(db, &t, err))
        return cli_fail(err);
    if (json) {
        json_writer_init(&w, &out, 1);
        json_array_begin(&w);
    }
    const struct kpi_target *lists[2] = {t.explicit_targets, t.quotas};
    size_t counts[2] = {t.n_explicit, t.n_quotas};
    for (int l = 0; l < 2; l++) {
        for (size_t i = 0; i < counts[l]; i++) {
            const struct kpi_target *x = &lists[l][i];
            char value[MONEY_TEXT_MAX], g[MONEY_TEXT_MAX], a[MONEY_TEXT_MAX];
            money_format(x->target, value);
            money_format(x->green_at, g);
            money_format(x->amber_at, a);
            if (!json) {
                strbuf_addf(&out, "%-16s %-9s %-16s %-12s %16s  green >= %s%%  amber >= %s%%%s\n",
                            x->kpi_name, x->scope_kind, x->scope_key, x->period, value, g, a,
                            l ? "  (quota)" : "");
                continue;
            }
            store_kpi_target_json(&w, x, l);
        }
    }
    if (json) {
        json_array_end(&w);
        strbuf_addch(&out, '\n');
    }
    int rc = cli_write_stdout(out.buf, out.len);
    strbuf_release(&out);
    kpi_targets_release(&t);
    return rc;
}

int cmd_kpi(const struct cli_args *args)
{
    const char *sub = args->n_args ? args->args[0] : NULL;
    if (!sub)
        return view(args);
    struct sd_error err = {0};
    struct db *db = NULL;
    int rc;
    if (strcmp(sub, "list") && strcmp(sub, "define") && strcmp(sub, "target") &&
        strcmp(sub, "targets"))
        return cli_usage_error(args, "'%s' is not list, define, target or targets", sub);
    if (store_open(&db, cli_db_url(args), DB_OPEN_EXISTING, &err))
        return cli_fail(&err);
    if (strcmp(sub, "list") == 0)
        rc = list(args, db);
    else if (strcmp(sub, "define") == 0)
        rc = define(args, db, &err);
    else if (strcmp(sub, "target") == 0)
        rc = set_target(args, db, &err);
    else
        rc = list_targets(args, db, &err);
    db_close(db);
    return rc;
}
