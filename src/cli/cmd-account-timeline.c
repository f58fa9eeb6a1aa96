/* SPDX-License-Identifier: MIT */
/*
 * cmd-account-timeline: `salesdesk account ID --timeline [--limit N]`: what
 * happened to an account, newest first, one line per event with its key
 * numbers: orders placed and shipped, invoices issued and paid, requests
 * opened, answered and resolved, notes on the account and on its orders and
 * requests, and opportunity stage changes (store_account_timeline merges
 * them). Kept apart from cmd-account.c, which only hands over to it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/date.h"
#include "base/json.h"
#include "base/money.h"
#include "base/strbuf.h"
#include "cli/cli-desk.h"
#include "cli/cli.h"
#include "store/store.h"
#include "base/banned.h"

#define TIMELINE_DEFAULT_LIMIT 50
#define TIMELINE_MAX_LIMIT 1000000
#define NOTE_TEXT_COLUMNS 72

static void json_timeline(struct strbuf *out, const char *account, const struct timeline_event *ev,
                          size_t n, int64_t total)
{
    struct json_writer w;
    json_writer_init(&w, out, 1);
    json_object_begin(&w);
    json_kv_string(&w, "account", account);
    json_kv_int(&w, "events", total);
    json_key(&w, "items");
    json_array_begin(&w);
    for (size_t i = 0; i < n; i++)
        store_timeline_event_json(&w, &ev[i]);
    json_array_end(&w);
    json_object_end(&w);
    strbuf_addch(out, '\n');
}

static const char *money_text(int64_t v, char *buf)
{
    if (v == MONEY_NONE)
        return "-";
    money_format_fixed(v, 2, buf);
    return buf;
}

/* The first line of a note, cut to NOTE_TEXT_COLUMNS bytes with "..." after a cut. */
static void note_excerpt(struct strbuf *out, const char *body)
{
    size_t len = strcspn(body, "\r\n");
    int cut = len > NOTE_TEXT_COLUMNS || body[len] != '\0';
    strbuf_add(out, body, len > NOTE_TEXT_COLUMNS ? NOTE_TEXT_COLUMNS : len);
    if (cut)
        strbuf_addstr(out, "...");
}

static void text_event(struct strbuf *out, const struct timeline_event *e)
{
    char a[MONEY_TEXT_MAX], b[MONEY_TEXT_MAX], d[DATE_TEXT_MAX], t[32];
    switch (e->kind) {
    case TIMELINE_STAGE:
        strbuf_addf(out, "opportunity %s '%s' entered %s (%s %s)", e->ref, e->text2, e->text,
                    money_text(e->amount, a), e->currency);
        break;
    case TIMELINE_ORDER_PLACED:
        strbuf_addf(out, "order %s placed: net %s %s, %" PRId64 " units (now %s)", e->ref,
                    money_text(e->amount, a), e->currency, e->n1, e->text);
        break;
    case TIMELINE_ORDER_SHIPPED:
        strbuf_addf(out, "order %s shipped: %" PRId64 " of %" PRId64 " units", e->ref, e->n2,
                    e->n1);
        break;
    case TIMELINE_INVOICE:
        date_format(e->day, d);
        strbuf_addf(out, "invoice %s issued: %s %s, due %s%s%s", e->ref,
                    money_text(e->amount, a), e->currency, d, e->text ? ", order " : "",
                    e->text ? e->text : "");
        break;
    case TIMELINE_PAYMENT:
        strbuf_addf(out, "invoice %s paid: %s of %s %s", e->ref, money_text(e->amount, a),
                    money_text(e->n1, b), e->currency);
        break;
    case TIMELINE_REQUEST_OPENED:
        strbuf_addf(out, "request %s opened (%s, now %s): %s", e->ref, e->text2, e->text3,
                    e->text);
        break;
    case TIMELINE_REQUEST_FIRST_RESPONSE:
    case TIMELINE_REQUEST_RESOLVED:
        cli_desk_duration(e->n1, t, sizeof(t));
        strbuf_addf(out, "request %s %s after %s: %s", e->ref,
                    e->kind == TIMELINE_REQUEST_RESOLVED ? "resolved" : "answered", t, e->text);
        break;
    case TIMELINE_NOTE:
        strbuf_addf(out, "note on %s %s by %s: ", e->text3, e->ref, e->text2 ? e->text2 : "-");
        note_excerpt(out, e->text);
        break;
    case TIMELINE_KIND_COUNT:
        break;
    }
}

static void text_timeline(struct strbuf *out, const char *account, const struct timeline_event *ev,
                          size_t n, int64_t total)
{
    strbuf_addf(out, "Account %s timeline: %zu of %" PRId64 " events, newest first\n", account,
                n, total);
    for (size_t i = 0; i < n; i++) {
        char when[32], day[DATE_TEXT_MAX];
        if (ev[i].dated) {
            date_format(ts_to_date(ev[i].at), day);
            snprintf(when, sizeof(when), "%s", day);
        } else {
            cli_desk_time(ev[i].at, when, sizeof(when));
        }
        strbuf_addf(out, "  %-16s  ", when);
        text_event(out, &ev[i]);
        strbuf_addch(out, '\n');
    }
}

int cmd_account_timeline(const struct cli_args *args)
{
    struct sd_error err = {0};
    struct db *db = NULL;
    struct arena arena;
    struct strbuf out = STRBUF_INIT;
    struct timeline_event *events = NULL;
    size_t n = 0;
    int64_t total = 0, account_id = 0;
    uint64_t limit = TIMELINE_DEFAULT_LIMIT;
    if (!cli_flag(args, "timeline"))
        return cli_usage_error(args, "--limit goes with --timeline");
    if (cli_opt(args, "today"))
        return cli_usage_error(args, "--today does not go with --timeline");
    int rc = cli_opt_uint(args, "limit", TIMELINE_MAX_LIMIT, &limit);
    if (rc == 0 && limit == 0)
        rc = cli_usage_error(args, "--limit: at least 1");
    if (rc)
        return rc;
    arena_init(&arena, 0);
    rc = store_open(&db, cli_db_url(args), DB_OPEN_EXISTING, &err);
    if (rc == 0)
        rc = store_resolve(db, ENTITY_ACCOUNT, args->args[0], &account_id, &err);
    if (rc == 0)
        rc = db_begin_read(db, &err); /* the events and the order figures of one snapshot */
    if (rc == 0) {
        rc = store_account_timeline(db, &arena, account_id, NULL, (int)limit, &events, &n, &total,
                                    &err);
        db_rollback(db);
    }
    if (rc == 0 && cli_flag(args, "json"))
        json_timeline(&out, args->args[0], events, n, total);
    else if (rc == 0)
        text_timeline(&out, args->args[0], events, n, total);
    int exit_code = rc ? cli_fail(&err) : cli_write_stdout(out.buf, out.len);
    strbuf_release(&out);
    arena_release(&arena);
    db_close(db);
    return exit_code;
}
