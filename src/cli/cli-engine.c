/* SPDX-License-Identifier: MIT */
/* cli-engine: store + facts for the number commands, and their shared options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/date.h"
#include "base/json.h"
#include "base/money.h"
#include "cli/cli-engine.h"
#include "engine/kpi.h"
#include "engine/series.h"
#include "base/banned.h"

const char *cli_bucket_name(enum period_kind k)
{
    return series_bucket_name(k);
}

static int progress(void *ctx, int64_t done, int64_t total)
{
    (void)ctx;
    if ((done & 0xFFFFF) != 0 && done < total)
        return 0; /* a line a million is enough on a terminal */
    fprintf(stderr, "\rreading order lines: %lld of %lld", (long long)done, (long long)total);
    if (done >= total)
        fputs("\r\033[K", stderr);
    fflush(stderr);
    return 0;
}

int cli_fiscal_start(struct db *db)
{
    return store_fiscal_start(db);
}

int cli_fail_rejected(const struct sd_error *err, int rejected)
{
    cli_fail(err);
    return rejected ? CLI_EXIT_REJECTED : CLI_EXIT_FAIL;
}

static int read_settings(struct cli_engine *e, const struct cli_args *args,
                         struct sd_error *err)
{
    e->fy_start_month = cli_fiscal_start(e->db);
    return cli_today(args, e->db, &e->today, err);
}

int cli_engine_open(const struct cli_args *args, struct cli_engine *e)
{
    struct sd_error err = {0};
    memset(e, 0, sizeof(*e));
    int rc = cli_opt_date(args, "today", &e->today);
    if (rc)
        return rc;
    rc = store_open(&e->db, cli_db_url(args), DB_OPEN_EXISTING, &err);
    if (rc == 0)
        rc = read_settings(e, args, &err);
    if (rc == 0)
        rc = facts_build(e->db, isatty(STDERR_FILENO) ? progress : NULL, NULL, &e->facts, &err);
    if (rc) {
        cli_engine_close(e);
        return cli_fail(&err);
    }
    return 0;
}

void cli_engine_close(struct cli_engine *e)
{
    facts_free(e->facts);
    db_close(e->db);
    memset(e, 0, sizeof(*e));
}

/* Splits `text` at `sep` in place; returns the number of parts (≤ max). */
static size_t split(char *text, char sep, char **parts, size_t max)
{
    size_t n = 0;
    for (char *p = text; n < max;) {
        parts[n++] = p;
        char *next = strchr(p, sep);
        if (!next)
            break;
        *next = '\0';
        p = next + 1;
    }
    return n;
}

int cli_opt_filters(const struct cli_args *args, struct query_filters *out)
{
    struct sd_error err = {0};
    const char *text = cli_opt(args, "where");
    memset(out, 0, sizeof(*out));
    if (text && query_filters_parse(text, out, &err))
        return cli_usage_error(args, "--where: %s", err.message);
    return 0;
}

int cli_opt_statuses(const struct cli_args *args, unsigned *mask)
{
    const char *text = cli_opt(args, "status");
    char copy[256], *names[ORDER_STATUS_COUNT + 1];
    *mask = 0;
    if (!text)
        return 0;
    if (strlen(text) >= sizeof(copy))
        return cli_usage_error(args, "--status: too long");
    memcpy(copy, text, strlen(text) + 1);
    size_t n = split(copy, ',', names, ORDER_STATUS_COUNT + 1);
    for (size_t i = 0; i < n; i++) {
        enum order_status st;
        if (order_status_parse(names[i], &st))
            return cli_usage_error(args, "--status: unknown order status '%s'", names[i]);
        *mask |= 1u << st;
    }
    return 0;
}

int cli_opt_dim(const struct cli_args *args, const char *name, enum dim *out)
{
    struct sd_error err = {0};
    const char *text = cli_opt(args, name);
    *out = DIM_NONE;
    if (text && dim_parse(text, out, &err))
        return cli_usage_error(args, "--%s: %s", name, err.message);
    return 0;
}

int cli_opt_bucket(const struct cli_args *args, const char *name, enum period_kind fallback,
                   enum period_kind *out)
{
    struct sd_error err = {0};
    const char *text = cli_opt(args, name);
    *out = fallback;
    if (text && series_bucket_parse(text, out, &err))
        return cli_usage_error(args, "--%s: %s", name, err.message);
    return 0;
}

int cli_opt_range(const struct cli_args *args, int fy_start_month, int32_t *from, int32_t *to)
{
    struct sd_error err = {0};
    const char *period = cli_opt(args, "period");
    *from = *to = DATE_NONE;
    if (period) {
        struct period p;
        if (period_parse(period, strlen(period), fy_start_month, &p, &err))
            return cli_usage_error(args, "--period: %s", err.message);
        *from = p.first;
        *to = p.last;
    }
    const char *names[2] = {"from", "to"};
    int32_t *days[2] = {from, to};
    for (int i = 0; i < 2; i++) {
        const char *text = cli_opt(args, names[i]);
        if (text && date_parse(text, strlen(text), days[i], &err))
            return cli_usage_error(args, "--%s: %s", names[i], err.message);
    }
    return 0;
}

void cli_format_value(enum measure_unit unit, int64_t v, char *buf, size_t size)
{
    char num[MONEY_TEXT_MAX];
    if (v == QUERY_NONE) {
        snprintf(buf, size, "-");
        return;
    }
    money_format(v, num);
    switch (unit) {
    case UNIT_PERCENT:
        money_format_fixed(v, 2, num);
        snprintf(buf, size, "%s%%", num);
        break;
    case UNIT_DAYS:
        money_format_fixed(v, 2, num);
        snprintf(buf, size, "%s d", num);
        break;
    case UNIT_HOURS:
        money_format_fixed(v, 1, num);
        snprintf(buf, size, "%s h", num);
        break;
    default:
        snprintf(buf, size, "%s", num);
        break;
    }
}

/* 1 when some target's period is recent enough for kpi_check_alerts to look at it. */
static int targets_due(struct db *db, int32_t today, int *due, struct sd_error *err)
{
    struct kpi_targets t;
    *due = 0;
    int rc = kpi_targets_load(db, &t, err);
    const struct kpi_target *lists[2] = {t.explicit_targets, t.quotas};
    size_t counts[2] = {t.n_explicit, t.n_quotas};
    for (int l = 0; rc == 0 && l < 2; l++) {
        for (size_t i = 0; i < counts[l]; i++)
            *due |= lists[l][i].first_day <= today && lists[l][i].last_day >= today - 31;
    }
    if (rc == 0)
        kpi_targets_release(&t);
    return rc;
}

int cli_alerts_after_write(struct db *db, int *raised, struct sd_error *err)
{
    struct cli_engine e = {.db = db, .today = ts_to_date(ts_now_ms())};
    struct kpi_set set;
    int due;
    *raised = -1;
    int rc = read_settings(&e, NULL, err);
    if (rc == 0)
        rc = targets_due(db, e.today, &due, err);
    if (rc || !due)
        return rc;
    rc = facts_build(db, NULL, NULL, &e.facts, err);
    if (rc == 0)
        rc = kpi_set_load(db, &set, err);
    if (rc == 0) {
        rc = db_begin(db, err);
        if (rc == 0)
            rc = kpi_check_alerts(db, e.facts, &set, e.today, e.fy_start_month, ts_now_ms(), raised,
                                  err);
        if (rc == 0)
            rc = db_commit(db, err);
        else if (db_in_transaction(db))
            db_rollback(db);
        kpi_set_release(&set);
    }
    facts_free(e.facts);
    return rc;
}
