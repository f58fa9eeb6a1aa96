/* SPDX-License-Identifier: MIT */
/*
 * cmd-queue: `salesdesk queue SUBCOMMAND`: the desk's work queues, one row
 * of queue_subcommands[] each. `queue requests`: the customer requests not
 * yet resolved, most urgent first (time left to the next SLA deadline), with
 * time left and breach flags (desk/requests.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/date.h"
#include "base/json.h"
#include "base/strbuf.h"
#include "cli/cli-desk.h"
#include "cli/cli.h"
#include "desk/requests.h"
#include "store/store.h"
#include "base/banned.h"

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

static void json_item(struct json_writer *w, const struct request_queue_item *it)
{
    const struct request *r = &it->view.request;
    json_object_begin(w);
    json_kv_string(w, "id", r->ext_id);
    json_kv_string(w, "account", it->view.account_ext_id);
    json_kv_string(w, "order", it->view.order_ext_id);
    json_kv_string(w, "priority", r->priority);
    json_kv_string(w, "status", r->status);
    json_kv_string(w, "assignee", it->view.assignee_ext_id);
    json_kv_string(w, "subject", r->subject);
    json_kv_ts(w, "opened_at", r->opened_at);
    json_kv_ts(w, "first_response_at", r->first_response_at);
    json_kv_ts(w, "first_response_due_at", it->sla.first_response.due_at);
    json_kv_ts(w, "resolution_due_at", it->sla.resolution.due_at);
    json_kv_ts(w, "next_due_at", it->sla.next_due_at);
    json_kv_int(w, "left_ms", it->sla.next_left_ms);
    json_kv_bool(w, "first_response_breached", it->sla.first_response.breached);
    json_kv_bool(w, "resolution_breached", it->sla.resolution.breached);
    json_kv_bool(w, "breached", it->sla.breached);
    json_object_end(w);
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
        json_item(&w, &items[i]);
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
        .breached_only = cli_flag(args, "breached"),
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

/* The queues: one row each; `queue NAME` runs the row's function. */
static const struct {
    const char *name;
    int (*run)(const struct cli_args *args);
} queue_subcommands[] = {
    {"requests", queue_requests},
};

int cmd_queue(const struct cli_args *args)
{
    for (size_t i = 0; i < sizeof(queue_subcommands) / sizeof(queue_subcommands[0]); i++) {
        if (strcmp(args->args[0], queue_subcommands[i].name) == 0)
            return queue_subcommands[i].run(args);
    }
    return cli_usage_error(args, "unknown queue '%s'", args->args[0]);
}
