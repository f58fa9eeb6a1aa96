/* SPDX-License-Identifier: MIT */
/* cmd-account: `salesdesk account ID`: master data, contacts, open orders and invoices. */
#include <inttypes.h>
#include <stdio.h>

#include "base/date.h"
#include "base/json.h"
#include "base/money.h"
#include "base/strbuf.h"
#include "cli/cli.h"
#include "store/store.h"
#include "base/banned.h"

static void json_master(struct json_writer *w, const struct account_view *v)
{
    const struct account *a = &v->account;
    json_kv_string(w, "id", a->ext_id);
    json_kv_string(w, "source", a->source);
    json_kv_string(w, "name", a->name);
    json_kv_string(w, "segment", a->segment);
    json_kv_string(w, "region", a->region);
    json_kv_string(w, "country", a->country);
    json_kv_string(w, "city", a->city);
    json_kv_string(w, "owner_rep", v->owner_rep_ext_id);
    json_kv_string(w, "owner_rep_name", v->owner_rep_name);
    json_kv_string(w, "account_manager", v->account_manager_ext_id);
    json_kv_string(w, "account_manager_name", v->account_manager_name);
    json_kv_money(w, "credit_limit", a->credit_limit);
    json_kv_int(w, "payment_terms_days", a->payment_terms_days);
    json_kv_string(w, "status", a->status);
    json_kv_string(w, "currency", a->currency);
}

static void json_contacts(struct json_writer *w, const struct account_view *v)
{
    json_key(w, "contacts");
    json_array_begin(w);
    for (size_t i = 0; i < v->n_contacts; i++) {
        const struct contact *c = &v->contacts[i];
        json_object_begin(w);
        json_kv_string(w, "id", c->ext_id);
        json_kv_string(w, "name", c->name);
        json_kv_string(w, "title", c->title);
        json_kv_string(w, "email", c->email);
        json_kv_string(w, "phone", c->phone);
        json_kv_bool(w, "primary", c->is_primary);
        json_object_end(w);
    }
    json_array_end(w);
}

static void json_orders(struct json_writer *w, const struct account_view *v)
{
    json_key(w, "open_orders");
    json_array_begin(w);
    for (size_t i = 0; i < v->n_open_orders; i++) {
        const struct order_summary *o = &v->open_orders[i];
        json_object_begin(w);
        json_kv_string(w, "id", o->ext_id);
        json_kv_date(w, "order_date", o->order_date);
        json_kv_date(w, "promised_date", o->promised_date);
        json_kv_string(w, "status", order_status_name(o->status));
        json_kv_string(w, "currency", o->currency);
        json_kv_money(w, "net", o->net);
        json_object_end(w);
    }
    json_array_end(w);
}

static void json_invoices(struct json_writer *w, const struct account_view *v)
{
    json_key(w, "open_invoices");
    json_array_begin(w);
    for (size_t i = 0; i < v->n_open_invoices; i++) {
        const struct invoice *inv = &v->open_invoices[i];
        json_object_begin(w);
        json_kv_string(w, "id", inv->ext_id);
        json_kv_date(w, "issue_date", inv->issue_date);
        json_kv_date(w, "due_date", inv->due_date);
        json_kv_money(w, "amount", inv->amount);
        json_kv_money(w, "paid_amount", inv->paid_amount);
        json_kv_money(w, "balance", inv->amount - inv->paid_amount);
        json_object_end(w);
    }
    json_array_end(w);
}

static void account_json(struct strbuf *out, const struct account_view *v, int32_t today)
{
    struct json_writer w;
    json_writer_init(&w, out, 1);
    json_object_begin(&w);
    json_master(&w, v);
    json_contacts(&w, v);
    json_orders(&w, v);
    json_invoices(&w, v);
    json_key(&w, "totals");
    json_object_begin(&w);
    json_kv_date(&w, "as_of", today);
    json_kv_int(&w, "orders", v->orders_total);
    json_kv_int(&w, "invoices", v->invoices_total);
    json_kv_int(&w, "open_orders", (int64_t)v->n_open_orders);
    json_kv_money(&w, "open_orders_net", v->open_orders_net);
    json_kv_money(&w, "receivables", v->receivables);
    json_kv_money(&w, "overdue", v->overdue);
    json_object_end(&w);
    json_object_end(&w);
    strbuf_addch(out, '\n');
}

static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

static void text_master(struct strbuf *out, const struct account_view *v)
{
    const struct account *a = &v->account;
    char limit[MONEY_TEXT_MAX];
    strbuf_addf(out, "Account %s  %s  (%s)\n", a->ext_id, a->name, a->status);
    strbuf_addf(out, "  segment   %-20s region %s   country %s   city %s\n", or_dash(a->segment),
                or_dash(a->region), or_dash(a->country), or_dash(a->city));
    strbuf_addf(out, "  owner     %s %s   account manager %s %s\n", or_dash(v->owner_rep_ext_id),
                v->owner_rep_name ? v->owner_rep_name : "", or_dash(v->account_manager_ext_id),
                v->account_manager_name ? v->account_manager_name : "");
    if (a->credit_limit == MONEY_NONE)
        strbuf_addstr(out, "  credit    no limit");
    else
        strbuf_addf(out, "  credit    limit %s %s", (money_format_fixed(a->credit_limit, 2, limit), limit),
                    a->currency);
    if (a->payment_terms_days != INT_NONE)
        strbuf_addf(out, "   terms %" PRId64 " days", a->payment_terms_days);
    strbuf_addch(out, '\n');
}

static void text_contacts(struct strbuf *out, const struct account_view *v)
{
    strbuf_addf(out, "\n  contacts (%zu):\n", v->n_contacts);
    for (size_t i = 0; i < v->n_contacts; i++) {
        const struct contact *c = &v->contacts[i];
        strbuf_addf(out, "  %s %-24s %-22s %-30s %s\n", c->is_primary ? "*" : " ", c->name,
                    or_dash(c->title), or_dash(c->email), or_dash(c->phone));
    }
}

static void text_orders(struct strbuf *out, const struct account_view *v)
{
    char net[MONEY_TEXT_MAX], d1[DATE_TEXT_MAX], d2[DATE_TEXT_MAX];
    money_format_fixed(v->open_orders_net, 2, net);
    strbuf_addf(out, "\n  open orders (%zu, net %s):\n", v->n_open_orders, net);
    for (size_t i = 0; i < v->n_open_orders; i++) {
        const struct order_summary *o = &v->open_orders[i];
        date_format(o->order_date, d1);
        money_format_fixed(o->net, 2, net);
        strbuf_addf(out, "    %-12s ordered %s  promised %s  %-10s %14s %s\n", o->ext_id, d1,
                    o->promised_date == DATE_NONE ? "-" : (date_format(o->promised_date, d2), d2),
                    order_status_name(o->status), net, o->currency);
    }
}

static void text_invoices(struct strbuf *out, const struct account_view *v, int32_t today)
{
    char recv[MONEY_TEXT_MAX], overdue[MONEY_TEXT_MAX], d[DATE_TEXT_MAX];
    money_format_fixed(v->receivables, 2, recv);
    money_format_fixed(v->overdue, 2, overdue);
    date_format(today, d);
    strbuf_addf(out, "\n  open invoices (%zu, balance %s, overdue %s as of %s):\n",
                v->n_open_invoices, recv, overdue, d);
    for (size_t i = 0; i < v->n_open_invoices; i++) {
        const struct invoice *inv = &v->open_invoices[i];
        char due[DATE_TEXT_MAX], balance[MONEY_TEXT_MAX];
        date_format(inv->due_date, due);
        money_format_fixed(inv->amount - inv->paid_amount, 2, balance);
        strbuf_addf(out, "    %-12s due %s %-8s %14s\n", inv->ext_id, due,
                    inv->due_date < today ? "OVERDUE" : "", balance);
    }
    strbuf_addf(out, "\n  %" PRId64 " orders and %" PRId64 " invoices in all\n", v->orders_total,
                v->invoices_total);
}

int cmd_account(const struct cli_args *args)
{
    struct sd_error err = {0};
    struct db *db = NULL;
    struct arena arena;
    struct strbuf out = STRBUF_INIT;
    struct account_view view;
    int32_t today = 0;
    if (cli_flag(args, "timeline") || cli_opt(args, "limit"))
        return cmd_account_timeline(args); /* cmd-account-timeline.c */
    int rc = cli_opt_date(args, "today", &today);
    if (rc)
        return rc;
    arena_init(&arena, 0);
    rc = store_open(&db, cli_db_url(args), DB_OPEN_EXISTING, &err);
    if (rc == 0)
        rc = store_account_view(db, &arena, args->args[0], today, &view, &err);
    if (rc == 0 && cli_flag(args, "json")) {
        account_json(&out, &view, today);
    } else if (rc == 0) {
        text_master(&out, &view);
        text_contacts(&out, &view);
        text_orders(&out, &view);
        text_invoices(&out, &view, today);
    }
    int exit_code = rc ? cli_fail(&err) : cli_write_stdout(out.buf, out.len);
    strbuf_release(&out);
    arena_release(&arena);
    db_close(db);
    return exit_code;
}
