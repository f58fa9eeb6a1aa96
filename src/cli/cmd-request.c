/* SPDX-License-Identifier: MIT */
/*
 * cmd-request: `salesdesk request`: one customer request with its SLA clocks
 * and notes (`request ID`, `request show ID`), and the desk's writes on
 * requests: `request new`, `assign`, `status` and `note` (desk/requests.h
 * has the states, transitions and SLA rules). A write prints the request as
 * it is afterwards.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/date.h"
#include "base/json.h"
#include "base/strbuf.h"
#include "cli/cli-desk.h"
#include "cli/cli.h"
#include "desk/notes.h"
#include "desk/requests.h"
#include "store/store.h"
#include "base/banned.h"

struct request_run {
    const struct cli_args *args;
    struct db *db;
    struct arena *arena;
    struct desk_actor actor;
    int64_t now;
    struct sd_error err;
};

/* ---- output ---- */

/* "in time", "LATE by 1h 05m", "2h 00m left", "OVERDUE by 0h 10m". */
static void clock_state(const struct request_clock *c, char *buf, size_t size)
{
    char d[32];
    if (c->done_at != INT_NONE) {
        cli_desk_duration(c->done_at - c->due_at, d, sizeof(d));
        if (c->breached)
            snprintf(buf, size, "LATE by %s", d);
        else
            snprintf(buf, size, "in time");
    } else if (c->breached) {
        cli_desk_duration(-c->left_ms, d, sizeof(d));
        snprintf(buf, size, "OVERDUE by %s", d);
    } else {
        cli_desk_duration(c->left_ms, d, sizeof(d));
        snprintf(buf, size, "%s left", d);
    }
}

static void text_clock(struct strbuf *out, const char *name, const struct request_clock *c)
{
    char due[32], done[32], state[64];
    cli_desk_time(c->due_at, due, sizeof(due));
    cli_desk_time(c->done_at, done, sizeof(done));
    clock_state(c, state, sizeof(state));
    strbuf_addf(out, "  %-15s target %" PRId64 " h  due %s  done %s  %s\n", name,
                (int64_t)(c->target_ms / SLA_HOUR_MS), due, done, state);
}

static void text_request(struct strbuf *out, const struct request_view *v,
                         const struct request_sla *sla, int64_t now, const struct note *notes,
                         size_t n_notes)
{
    const struct request *r = &v->request;
    char t[32];
    strbuf_addf(out, "Request %s  %s  priority %s%s\n", r->ext_id, r->status, r->priority,
                sla->breached ? "  SLA BREACHED" : "");
    strbuf_addf(out, "  account    %s  %s\n", v->account_ext_id, v->account_name);
    strbuf_addf(out, "  order      %s\n", v->order_ext_id ? v->order_ext_id : "-");
    strbuf_addf(out, "  kind       %s\n  subject    %s\n", r->kind, r->subject);
    strbuf_addf(out, "  assignee   %s%s%s\n", v->assignee_ext_id ? v->assignee_ext_id : "-",
                v->assignee_name ? "  " : "", v->assignee_name ? v->assignee_name : "");
    cli_desk_time(r->opened_at, t, sizeof(t));
    strbuf_addf(out, "  opened     %s UTC\n", t);
    text_clock(out, "first response", &sla->first_response);
    text_clock(out, "resolution", &sla->resolution);
    cli_desk_time(now, t, sizeof(t));
    strbuf_addf(out, "  (as of %s UTC)\n", t);
    strbuf_addf(out, "\n  notes (%zu):\n", n_notes);
    for (size_t i = 0; i < n_notes; i++) {
        cli_desk_time(notes[i].created_at, t, sizeof(t));
        strbuf_addf(out, "    %s  %s\n      %s\n", t, notes[i].author ? notes[i].author : "-",
                    notes[i].body);
    }
}

/* Prints request `v` with its SLA at the run's clock and its notes. */
static int show(struct request_run *run, const struct request_view *v)
{
    struct sla_targets targets;
    struct request_sla sla;
    struct note *notes = NULL;
    size_t n_notes = 0;
    struct strbuf out = STRBUF_INIT;
    int rc = sla_targets_load(run->db, &targets, &run->err);
    if (rc == 0)
        rc = store_notes_list(run->db, run->arena, "request", v->request.id, &notes, &n_notes,
                              &run->err);
    if (rc)
        return cli_fail(&run->err);
    request_sla_compute(&v->request, &targets, run->now, &sla);
    if (cli_flag(run->args, "json")) {
        struct json_writer w;
        json_writer_init(&w, &out, 1);
        request_json(&w, v, &sla, run->now, notes, n_notes);
        strbuf_addch(&out, '\n');
    } else
        text_request(&out, v, &sla, run->now, notes, n_notes);
    rc = cli_write_stdout(out.buf, out.len);
    strbuf_release(&out);
    return rc;
}

/* ---- subcommands ---- */

static int sub_show(struct request_run *run, const char *id)
{
    struct request_view v;
    if (request_get(run->db, run->arena, id, &v, &run->err))
        return cli_fail(&run->err);
    return show(run, &v);
}

static int sub_new(struct request_run *run)
{
    const struct cli_args *args = run->args;
    struct request_view v;
    struct request_new in = {
        .account = cli_opt(args, "account"),
        .order = cli_opt(args, "order"),
        .kind = cli_opt(args, "kind"),
        .subject = cli_opt(args, "subject"),
        .priority = cli_opt(args, "priority"),
        .assignee = cli_opt(args, "assignee"),
    };
    if (request_create(run->db, run->arena, &run->actor, &in, run->now, &v, &run->err))
        return cli_desk_fail_write(&run->err);
    return show(run, &v);
}

static int sub_assign(struct request_run *run)
{
    struct request_view v;
    if (request_assign(run->db, run->arena, &run->actor, run->args->args[1],
                       run->args->args[2], &v, &run->err))
        return cli_desk_fail_write(&run->err);
    return show(run, &v);
}

static int sub_status(struct request_run *run)
{
    struct request_view v;
    if (request_set_status(run->db, run->arena, &run->actor, run->args->args[1],
                           run->args->args[2], run->now, &v, &run->err))
        return cli_desk_fail_write(&run->err);
    return show(run, &v);
}

static int sub_note(struct request_run *run)
{
    struct request_view v;
    if (note_add(run->db, run->arena, &run->actor, NOTE_REQUEST, run->args->args[1],
                 run->args->args[2], run->now, NULL, &run->err))
        return cli_desk_fail_write(&run->err);
    if (request_get(run->db, run->arena, run->args->args[1], &v, &run->err))
        return cli_fail(&run->err);
    return show(run, &v);
}

/* The subcommands: name, positional arguments (with the name), and what runs. */
static const struct {
    const char *name;
    int n_args;
    const char *usage;
    int (*run)(struct request_run *run);
} subcommands[] = {
    {"new", 1, "request new --account ID --kind K --subject S [--order ID] [--priority P] "
               "[--assignee REP]", sub_new},
    {"assign", 3, "request assign ID REP", sub_assign},
    {"status", 3, "request status ID STATUS", sub_status},
    {"note", 3, "request note ID TEXT", sub_note},
};

/* The options only `request new` takes. */
static const char *const new_options[] = {"account", "order", "kind", "subject", "priority",
                                          "assignee"};

static int check_usage(const struct cli_args *args, int sub)
{
    for (size_t i = 0; i < sizeof(new_options) / sizeof(new_options[0]); i++) {
        if ((sub < 0 || strcmp(subcommands[sub].name, "new")) && cli_opt(args, new_options[i]))
            return cli_usage_error(args, "--%s goes with 'request new'", new_options[i]);
    }
    if (sub < 0)
        return args->n_args == 1 || (args->n_args == 2 && strcmp(args->args[0], "show") == 0)
                   ? 0
                   : cli_usage_error(args, "request ID | request show ID");
    if (args->n_args != subcommands[sub].n_args)
        return cli_usage_error(args, "%s", subcommands[sub].usage);
    if (sub == 0 && !(cli_opt(args, "account") && cli_opt(args, "kind") &&
                      cli_opt(args, "subject")))
        return cli_usage_error(args, "%s", subcommands[sub].usage);
    return 0;
}

static int find_sub(const struct cli_args *args)
{
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
        if (strcmp(args->args[0], subcommands[i].name) == 0)
            return (int)i;
    }
    return -1;
}

int cmd_request(const struct cli_args *args)
{
    struct arena arena;
    char actor[128];
    struct request_run run = {.args = args, .arena = &arena};
    int sub = find_sub(args), now_given = 0;
    int rc = check_usage(args, sub);
    if (rc == 0)
        rc = cli_desk_now_option(args, &run.now, &now_given);
    if (rc)
        return rc;
    cli_desk_actor(actor, sizeof(actor), &run.actor);
    arena_init(&arena, 0);
    if (store_open(&run.db, cli_db_url(args), DB_OPEN_EXISTING, &run.err))
        rc = cli_fail(&run.err);
    else if (!now_given)
        rc = cli_desk_now(run.db, &run.now);
    if (rc == 0 && sub >= 0)
        rc = subcommands[sub].run(&run);
    else if (rc == 0)
        rc = sub_show(&run, args->args[args->n_args - 1]);
    arena_release(&arena);
    db_close(run.db);
    return rc;
}
