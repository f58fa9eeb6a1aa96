/* SPDX-License-Identifier: MIT */
/*
 * cmd-queue: `salesdesk queue [pending|requests]`: the work queues of the
 * desk, one row of subcommands[] each (with the options it takes).
 * pending: every order not yet shipped, by priority, with the order doctor's
 * verdict and top finding (desk/queue.h has the score). requests: the
 * customer requests not yet resolved, most urgent first (time left to the
 * next SLA deadline), with time left and breach flags (desk/requests.h).
 */
#include <stdio.h>
#include <string.h>

#include "base/date.h"
#include "base/json.h"
#include "base/strbuf.h"
#include "cli/cli-desk.h"
#include "cli/cli.h"
#include "desk/doctor.h"
#include "desk/queue.h"
#include "desk/requests.h"
#include "store/store.h"
#include "base/banned.h"

#define PENDING_LIMIT_DEFAULT 50

static const char *money_text(int64_t amount, char *buf)
{
    struct doctor_evidence e = {.unit = DOCTOR_MONEY, .value = amount};
    return doctor_evidence_text(&e, buf);
}

static void json_item(struct json_writer *w, const struct queue_item *it)
{
    json_object_begin(w);
    json_kv_string(w, "order", it->diagnosis.order_ext_id);
    json_kv_string(w, "status", order_status_name(it->diagnosis.status));
    json_kv_int(w, "score", it->score);
    json_key(w, "score_parts");
    json_object_begin(w);
    json_kv_int(w, "verdict", it->verdict_points);
    json_kv_int(w, "date", it->date_points);
    json_kv_int(w, "value", it->value_points);
    json_kv_int(w, "tier", it->tier_points);
    json_object_end(w);
    json_kv_string(w, "verdict", doctor_verdict_name(it->diagnosis.verdict));
    json_kv_string(w, "account", it->account_ext_id);
    json_kv_string(w, "account_name", it->account_name);
    json_kv_string(w, "tier", it->tier);
    json_kv_string(w, "region", it->region);
    json_kv_string(w, "rep", it->rep_ext_id);
    json_kv_string(w, "rep_name", it->rep_name);
    json_kv_string(w, "team", it->team_ext_id);
    json_kv_string(w, "team_name", it->team_name);
    json_kv_date(w, "order_date", it->order_date);
    json_kv_int(w, "age_days", it->age_days);
    json_kv_date(w, "due", it->due);
    json_kv_int(w, "days_left", it->due == DATE_NONE ? INT_NONE : it->days_left);
    json_kv_money(w, "value", it->diagnosis.net);
    json_kv_string(w, "currency", it->currency);
    json_key(w, "top_finding");
    if (it->top) {
        json_object_begin(w);
        json_kv_string(w, "code", it->top->rule->code);
        json_kv_string(w, "severity", doctor_severity_name(it->top->rule->severity));
        json_kv_string(w, "owner", doctor_owner_name(it->top->rule->owner));
        json_kv_string(w, "message", it->top->message);
        json_kv_string(w, "action", it->top->rule->action);
        json_object_end(w);
    } else {
        json_null(w);
    }
    json_key(w, "codes"); /* every rule that found something, in the findings' order */
    json_array_begin(w);
    for (size_t k = 0; k < it->diagnosis.n_findings; k++)
        if (k == 0 || it->diagnosis.findings[k].rule != it->diagnosis.findings[k - 1].rule)
            json_string(w, it->diagnosis.findings[k].rule->code);
    json_array_end(w);
    json_object_end(w);
}

static void count_verdicts(const struct queue_item *items, size_t n, size_t counts[3])
{
    counts[0] = counts[1] = counts[2] = 0;
    for (size_t i = 0; i < n; i++)
        counts[items[i].diagnosis.verdict]++;
}

static void json_pending(struct strbuf *out, const struct queue_item *items, size_t n,
                         size_t total, size_t shown, int32_t today)
{
    struct json_writer w;
    size_t counts[3];
    count_verdicts(items, n, counts);
    json_writer_init(&w, out, 1);
    json_object_begin(&w);
    json_kv_date(&w, "today", today);
    json_kv_int(&w, "pending", (int64_t)total);
    json_kv_int(&w, "matching", (int64_t)n);
    json_kv_int(&w, "blocked", (int64_t)counts[DOCTOR_BLOCKED]);
    json_kv_int(&w, "at_risk", (int64_t)counts[DOCTOR_AT_RISK]);
    json_kv_int(&w, "ok", (int64_t)counts[DOCTOR_OK]);
    json_key(&w, "items");
    json_array_begin(&w);
    for (size_t i = 0; i < shown; i++)
        json_item(&w, &items[i]);
    json_array_end(&w);
    json_object_end(&w);
    strbuf_addch(out, '\n');
}

/* At most `width` bytes of s, cut at a UTF-8 character boundary. */
static int cut(const char *s, int width)
{
    int len = (int)strlen(s);
    if (len <= width)
        return len;
    while (width > 0 && ((unsigned char)s[width] & 0xC0) == 0x80)
        width--;
    return width;
}

static void text_pending(struct strbuf *out, const struct queue_item *items, size_t n,
                         size_t total, size_t shown, int32_t today)
{
    size_t counts[3];
    char day[DATE_TEXT_MAX], due[DATE_TEXT_MAX], money[64], left[16];
    count_verdicts(items, n, counts);
    date_format(today, day);
    strbuf_addf(out, "%zu pending orders as of %s", total, day);
    if (n != total)
        strbuf_addf(out, ", %zu matching", n);
    strbuf_addf(out, ": %zu blocked, %zu at risk, %zu ok\n", counts[DOCTOR_BLOCKED],
                counts[DOCTOR_AT_RISK], counts[DOCTOR_OK]);
    if (!shown)
        return;
    strbuf_addf(out, "\n%5s  %-12s %-28s %-10s %4s  %-10s %5s %16s  %-8s %-22s %s\n", "score",
                "order", "account", "tier", "age", "due", "left", "value", "verdict",
                "top finding", "rep");
    for (size_t i = 0; i < shown; i++) {
        const struct queue_item *it = &items[i];
        const char *name = it->account_name ? it->account_name : it->account_ext_id;
        if (it->due == DATE_NONE) {
            snprintf(due, sizeof(due), "-");
            snprintf(left, sizeof(left), "-");
        } else {
            date_format(it->due, due);
            snprintf(left, sizeof(left), "%d", it->days_left);
        }
        strbuf_addf(out, "%5d  %-12s %-28.*s %-10.10s %4d  %-10s %5s %12s %-3.3s  %-8s %-22s %s\n",
                    it->score, it->diagnosis.order_ext_id, cut(name ? name : "", 28),
                    name ? name : "", it->tier ? it->tier : "-", it->age_days, due, left,
                    money_text(it->diagnosis.net, money), it->currency ? it->currency : "",
                    doctor_verdict_name(it->diagnosis.verdict),
                    it->top ? it->top->rule->code : "-",
                    it->rep_ext_id ? it->rep_ext_id : "-");
    }
    if (shown < n)
        strbuf_addf(out, "\n%zu more (--limit 0 shows all; --json for every figure)\n",
                    n - shown);
}

/* --verdict: blocked, at-risk (or at_risk) or ok. */
static int parse_verdict(const struct cli_args *args, int *out)
{
    const char *v = cli_opt(args, "verdict");
    *out = -1;
    if (!v)
        return 0;
    if (strcmp(v, "blocked") == 0)
        *out = DOCTOR_BLOCKED;
    else if (strcmp(v, "at-risk") == 0 || strcmp(v, "at_risk") == 0)
        *out = DOCTOR_AT_RISK;
    else if (strcmp(v, "ok") == 0)
        *out = DOCTOR_OK;
    else
        return cli_usage_error(args, "--verdict: '%s' is not blocked, at-risk or ok", v);
    return 0;
}

static int parse_code(const struct cli_args *args, const char **out)
{
    *out = cli_opt(args, "code");
    if (!*out)
        return 0;
    for (size_t r = 0; r < doctor_rules_count; r++)
        if (strcmp(doctor_rules[r].code, *out) == 0)
            return 0;
    return cli_usage_error(args, "--code: '%s' is not a rule of the order doctor (docs/desk.md)",
                           *out);
}

static int pending(const struct cli_args *args)
{
    struct queue_filter f = {.team = cli_opt(args, "team"), .rep = cli_opt(args, "rep"),
                             .region = cli_opt(args, "region")};
    uint64_t limit = PENDING_LIMIT_DEFAULT;
    int32_t today = 0;
    int rc = parse_verdict(args, &f.verdict);
    if (rc == 0)
        rc = parse_code(args, &f.code);
    if (rc == 0 && cli_opt(args, "limit"))
        rc = cli_opt_uint(args, "limit", UINT32_MAX, &limit);
    if (rc == 0)
        rc = cli_opt_date(args, "today", &today);
    if (rc)
        return rc;

    struct sd_error err = {0};
    struct db *db = NULL;
    struct arena arena;
    struct strbuf out = STRBUF_INIT;
    struct doctor_settings ds;
    struct queue_settings qs;
    struct queue_item *items = NULL;
    size_t n = 0, total = 0;
    arena_init(&arena, 0);
    rc = store_open(&db, cli_db_url(args), DB_OPEN_EXISTING, &err);
    if (rc == 0)
        rc = cli_today(args, db, &today, &err);
    if (rc == 0)
        rc = doctor_settings_load(db, &ds, &err);
    if (rc == 0)
        rc = queue_settings_load(db, &arena, &qs, &err);
    if (rc == 0)
        rc = db_begin_read(db, &err);
    if (rc == 0) {
        rc = queue_pending(db, &arena, &ds, &qs, today, &f, &items, &n, &total, &err);
        db_rollback(db);
    }
    size_t shown = limit == 0 || limit > n ? n : (size_t)limit;
    if (rc == 0 && cli_flag(args, "json"))
        json_pending(&out, items, n, total, shown, today);
    else if (rc == 0)
        text_pending(&out, items, n, total, shown, today);
    int exit_code = rc ? cli_fail(&err) : cli_write_stdout(out.buf, out.len);
    strbuf_release(&out);
    arena_release(&arena);
    db_close(db);
    return exit_code;
}

/* --status open,waiting: a mask of request statuses; CLI_EXIT_USAGE (printed) when unknown. */
static int request_statuses(const struct cli_args *args, unsigned *mask)
{
    const char *text = cli_opt(args, "status");
    *mask = 0;
    while (text && *text) {
        size_t len = strcspn(text, ",");
        char name[32];
        snprintf(name, sizeof(name), "%.*s", (int)(len < sizeof(name) ? len : sizeof(name) - 1),
                 text);
        int s = request_status_parse(name);
        if (s < 0 || s > REQUEST_WAITING)
            return cli_usage_error(args, "--status: '%.*s' is not open, in_progress or waiting",
                                   (int)len, text);
        *mask |= 1u << s;
        text += len + (text[len] == ',');
    }
    return 0;
}

static void json_requests(struct strbuf *out, const struct request_queue_item *items, size_t n,
                          int64_t now)
{
    struct json_writer w;
    size_t breached = 0;
    for (size_t i = 0; i < n; i++)
        breached += items[i].sla.breached != 0;
    json_writer_init(&w, out, 1);
    json_object_begin(&w);
    json_kv_ts(&w, "now", now);
    json_kv_int(&w, "requests", (int64_t)n);
    json_kv_int(&w, "breached", (int64_t)breached);
    json_key(&w, "items");
    json_array_begin(&w);
    for (size_t i = 0; i < n; i++)
        request_queue_item_json(&w, &items[i]);
    json_array_end(&w);
    json_object_end(&w);
    strbuf_addch(out, '\n');
}

static void text_requests(struct strbuf *out, const struct request_queue_item *items, size_t n,
                          int64_t now)
{
    char t[32];
    size_t breached = 0;
    for (size_t i = 0; i < n; i++)
        breached += items[i].sla.breached != 0;
    cli_desk_time(now, t, sizeof(t));
    strbuf_addf(out, "%zu requests not yet resolved as of %s UTC, %zu with a breached SLA\n", n,
                t, breached);
    if (n)
        strbuf_addf(out, "  %-12s %-7s %-11s %-10s %-12s %-16s %-11s %s\n", "request",
                    "prio", "status", "assignee", "account", "next due", "left", "breached");
    for (size_t i = 0; i < n; i++) {
        const struct request_queue_item *it = &items[i];
        char due[32], left[32];
        cli_desk_time(it->sla.next_due_at, due, sizeof(due));
        if (it->sla.next_left_ms == INT_NONE)
            snprintf(left, sizeof(left), "-");
        else
            cli_desk_duration(it->sla.next_left_ms, left, sizeof(left));
        const char *flags = it->sla.first_response.breached && it->sla.resolution.breached
                                ? "first response, resolution"
                            : it->sla.first_response.breached ? "first response"
                            : it->sla.resolution.breached     ? "resolution"
                                                              : "-";
        strbuf_addf(out, "  %-12s %-7s %-11s %-10s %-12s %-16s %-11s %s\n",
                    it->view.request.ext_id, it->view.request.priority, it->view.request.status,
                    it->view.assignee_ext_id ? it->view.assignee_ext_id : "-",
                    it->view.account_ext_id, due, left, flags);
        strbuf_addf(out, "  %-12s %s\n", "", it->view.request.subject);
    }
}

static int queue_requests(const struct cli_args *args)
{
    struct sd_error err = {0};
    struct db *db = NULL;
    struct arena arena;
    struct strbuf out = STRBUF_INIT;
    struct sla_targets targets;
    struct request_queue_item *items = NULL;
    size_t n = 0;
    int64_t now = 0;
    int now_given = 0;
    struct request_queue_filter f = {
        .assignee = cli_opt(args, "assignee"),
        .priority = cli_opt(args, "priority"),
        .breached = cli_flag(args, "breached") ? REQUEST_BREACHED_ONLY : REQUEST_BREACHED_ANY,
    };
    int rc = request_statuses(args, &f.status_mask);
    if (rc == 0 && f.priority && sla_priority_parse(f.priority) < 0)
        rc = cli_usage_error(args, "--priority: '%s' is not low, normal, high or urgent",
                             f.priority);
    if (rc == 0)
        rc = cli_desk_now_option(args, &now, &now_given);
    if (rc)
        return rc;
    arena_init(&arena, 0);
    if (store_open(&db, cli_db_url(args), DB_OPEN_EXISTING, &err))
        rc = cli_fail(&err);
    else if (!now_given)
        rc = cli_desk_now(db, &now);
    if (rc == 0 && (sla_targets_load(db, &targets, &err) ||
                    request_queue(db, &arena, &f, &targets, now, &items, &n, &err)))
        rc = cli_fail(&err);
    if (rc == 0 && cli_flag(args, "json"))
        json_requests(&out, items, n, now);
    else if (rc == 0)
        text_requests(&out, items, n, now);
    if (rc == 0)
        rc = cli_write_stdout(out.buf, out.len);
    strbuf_release(&out);
    arena_release(&arena);
    db_close(db);
    return rc;
}

/* The options (besides --db and --json) each queue takes; any other is a usage error. */
static const char *const pending_options[] = {"team", "rep", "region", "code", "verdict",
                                              "limit", "today", NULL};
static const char *const requests_options[] = {"status", "assignee", "priority", "breached",
                                               "now", NULL};

struct queue_subcommand {
    const char *name;
    int (*run)(const struct cli_args *args);
    const char *const *options;
};

static const struct queue_subcommand subcommands[] = {
    {"pending", pending, pending_options},
    {"requests", queue_requests, requests_options},
};

/* A usage error for an option given that queue `sub` does not take. */
static int check_options(const struct cli_args *args, const struct queue_subcommand *sub)
{
    const struct cli_option *opts = args->command->options;
    for (int i = 0; opts[i].name; i++) {
        int own = strcmp(opts[i].name, "db") == 0 || strcmp(opts[i].name, "json") == 0;
        for (size_t k = 0; !own && sub->options[k]; k++)
            own = strcmp(opts[i].name, sub->options[k]) == 0;
        if (!own && args->values[i])
            return cli_usage_error(args, "--%s does not go with 'queue %s'", opts[i].name,
                                   sub->name);
    }
    return 0;
}

int cmd_queue(const struct cli_args *args)
{
    const char *name = args->n_args ? args->args[0] : "pending";
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
        if (strcmp(subcommands[i].name, name) == 0) {
            int rc = check_options(args, &subcommands[i]);
            return rc ? rc : subcommands[i].run(args);
        }
    return cli_usage_error(args, "unknown queue '%s' (pending, requests)", name);
}
