/* SPDX-License-Identifier: MIT */
/*
 * cmd-alerts: `salesdesk alerts`: the KPI alerts still open (all with
 * --all); `alerts check` evaluates every target now and raises what went
 * amber or red; `alerts ack ID` acknowledges one.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/strbuf.h"
#include "cli/cli-desk.h"
#include "cli/cli-engine.h"
#include "desk/kpis.h"
#include "engine/kpi.h"
#include "base/banned.h"

static void text_alerts(struct strbuf *out, const struct kpi_alert *a, size_t n)
{
    if (n == 0)
        strbuf_addstr(out, "no alerts\n");
    for (size_t i = 0; i < n; i++) {
        char at[DATE_TEXT_MAX];
        date_format(ts_to_date(a[i].raised_at), at);
        strbuf_addf(out, "%6" PRId64 "  %-5s  %s  %s%s\n", a[i].id, a[i].level, at,
                    a[i].message, a[i].acked_at != INT_NONE ? "  (acknowledged)" : "");
    }
}

static void json_alerts(struct strbuf *out, const struct kpi_alert *a, size_t n)
{
    struct json_writer w;
    json_writer_init(&w, out, 1);
    json_array_begin(&w);
    for (size_t i = 0; i < n; i++)
        store_kpi_alert_json(&w, &a[i]);
    json_array_end(&w);
    strbuf_addch(out, '\n');
}

static int list(const struct cli_args *args, struct db *db, struct sd_error *err)
{
    struct arena arena;
    struct kpi_alert *alerts;
    size_t n;
    struct strbuf out = STRBUF_INIT;
    arena_init(&arena, 0);
    int rc = store_kpi_alerts(db, &arena, !cli_flag(args, "all"), &alerts, &n, err);
    if (rc == 0) {
        if (cli_flag(args, "json"))
            json_alerts(&out, alerts, n);
        else
            text_alerts(&out, alerts, n);
        rc = cli_write_stdout(out.buf, out.len);
    } else {
        rc = cli_fail(err);
    }
    strbuf_release(&out);
    arena_release(&arena);
    return rc;
}

static int ack(const struct cli_args *args, struct db *db, struct sd_error *err)
{
    char *end = NULL;
    if (args->n_args != 2)
        return cli_usage_error(args, "alerts ack ID");
    long long id = strtoll(args->args[1], &end, 10);
    if (!*args->args[1] || *end || id <= 0)
        return cli_usage_error(args, "'%s' is not an alert id", args->args[1]);
    struct desk_actor actor;
    char actor_name[128];
    cli_desk_actor(actor_name, sizeof(actor_name), &actor);
    int rc = db_begin(db, err);
    if (rc == 0)
        rc = alert_ack(db, &actor, id, ts_now_ms(), err);
    if (rc == 0)
        rc = db_commit(db, err);
    else if (db_in_transaction(db))
        db_rollback(db);
    if (rc)
        return cli_fail(err);
    printf("alert %lld acknowledged\n", id);
    return 0;
}

/* Evaluates every target as of the engine's today and raises alerts; prints how many. */
static int check(const struct cli_args *args)
{
    struct cli_engine e;
    struct kpi_set set;
    struct sd_error err = {0};
    int raised = 0;
    int rc = cli_engine_open(args, &e);
    if (rc)
        return rc;
    rc = kpi_set_load(e.db, &set, &err);
    if (rc == 0) {
        rc = db_begin(e.db, &err);
        if (rc == 0)
            rc = kpi_check_alerts(e.db, e.facts, &set, e.today, e.fy_start_month, ts_now_ms(),
                                  &raised, &err);
        if (rc == 0)
            rc = db_commit(e.db, &err);
        else if (db_in_transaction(e.db))
            db_rollback(e.db);
        kpi_set_release(&set);
    }
    if (rc == 0 && !cli_flag(args, "json"))
        printf("%d new alert%s\n", raised, raised == 1 ? "" : "s");
    if (rc == 0 && cli_flag(args, "json"))
        printf("{\"raised\": %d}\n", raised);
    cli_engine_close(&e);
    return rc ? cli_fail(&err) : 0;
}

int cmd_alerts(const struct cli_args *args)
{
    const char *sub = args->n_args ? args->args[0] : "list";
    struct sd_error err = {0};
    struct db *db = NULL;
    if (strcmp(sub, "check") == 0)
        return check(args);
    if (strcmp(sub, "list") && strcmp(sub, "ack"))
        return cli_usage_error(args, "'%s' is not list, check or ack", sub);
    if (store_open(&db, cli_db_url(args), DB_OPEN_EXISTING, &err))
        return cli_fail(&err);
    int rc = strcmp(sub, "ack") == 0 ? ack(args, db, &err) : list(args, db, &err);
    db_close(db);
    return rc;
}
