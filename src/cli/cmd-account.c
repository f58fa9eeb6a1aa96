/* SPDX-License-Identifier: MIT */
/*
 * cmd-account: `salesdesk account ID`: the account status (desk/account.h):
 * master data, health with its reasons, credit use, receivables ageing,
 * revenue and its monthly trend, buying rhythm, top products, open requests,
 * then contacts, open orders and open invoices. One function per section,
 * for text and for --json.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/date.h"
#include "base/json.h"
#include "base/money.h"
#include "base/strbuf.h"
#include "cli/cli.h"
#include "desk/account.h"
#include "store/store.h"
#include "base/banned.h"

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

static void account_json(struct strbuf *out, const struct account_status *st)
{
    struct json_writer w;
    json_writer_init(&w, out, 1);
    account_status_json(&w, st);
    strbuf_addch(out, '\n');
}

/* ---- the status: text ---- */

static const char *grouped(int64_t v, char *buf)
{
    money_format_grouped(v, 2, buf);
    return buf;
}

static const char *day_text(int32_t day, char *buf)
{
    if (day == DATE_NONE)
        return "-";
    date_format(day, buf);
    return buf;
}

/* A percent in 1/10000 with one decimal and its sign ("+12.5 %", "-3.0 %"), or "-". */
static const char *change_text(int64_t pct, char *buf, size_t size)
{
    char num[MONEY_TEXT_MAX];
    if (pct == INT_NONE) {
        snprintf(buf, size, "-");
        return buf;
    }
    money_format_fixed(pct, 1, num);
    snprintf(buf, size, "%s%s %%", pct > 0 && strcmp(num, "0.0") != 0 ? "+" : "", num);
    return buf;
}

static void text_health(struct strbuf *out, const struct account_status *st)
{
    char day[DATE_TEXT_MAX];
    strbuf_addf(out, "\n  status as of %s\n", day_text(st->today, day));
    strbuf_addf(out, "  health      %" PRId64 "/100", st->health);
    if (st->churn_risk)
        strbuf_addf(out, "   CHURN RISK (%s%s%s)", st->churn_quiet ? "gone quiet" : "",
                    st->churn_quiet && st->churn_revenue_drop ? ", " : "",
                    st->churn_revenue_drop ? "revenue fell" : "");
    strbuf_addch(out, '\n');
    for (size_t i = 0; i < st->n_reasons; i++)
        strbuf_addf(out, "    -%-3" PRId64 " %-19s %s\n", st->reasons[i].points,
                    account_factor_code(st->reasons[i].factor), st->reasons[i].message);
}

static void text_credit(struct strbuf *out, const struct account_status *st)
{
    char exposure[MONEY_GROUPED_MAX], recv[MONEY_GROUPED_MAX], open[MONEY_GROUPED_MAX];
    char limit[MONEY_GROUPED_MAX], left[MONEY_GROUPED_MAX], pct[MONEY_TEXT_MAX];
    strbuf_addf(out, "  credit      exposure %s = receivables %s + open orders %s\n",
                grouped(st->exposure, exposure), grouped(st->receivables, recv),
                grouped(st->open_value, open));
    if (st->credit_limit == MONEY_NONE) {
        strbuf_addstr(out, "              no credit limit\n");
        return;
    }
    if (st->credit_use_pct == INT_NONE)
        snprintf(pct, sizeof(pct), "-");
    else
        money_format_fixed(st->credit_use_pct, 1, pct);
    strbuf_addf(
        out, "              %s %% of the limit %s: %s %s\n", pct, grouped(st->credit_limit, limit),
        grouped(st->credit_available < 0 ? -st->credit_available : st->credit_available, left),
        st->credit_available < 0 ? "OVER THE LIMIT" : "left");
}

static void text_ageing(struct strbuf *out, const struct account_status *st)
{
    char recv[MONEY_GROUPED_MAX], overdue[MONEY_GROUPED_MAX], amount[MONEY_GROUPED_MAX];
    int64_t invoices = 0;
    for (int a = 0; a < AGE_COUNT; a++)
        invoices += st->ageing_invoices[a];
    strbuf_addf(out, "  receivables %s in %" PRId64 " invoice%s, overdue %s\n",
                grouped(st->receivables, recv), invoices, invoices == 1 ? "" : "s",
                grouped(st->overdue, overdue));
    if (invoices == 0)
        return;
    strbuf_addstr(out, "             ");
    for (int a = 0; a < AGE_COUNT; a++)
        strbuf_addf(out, " %13s", account_age_label((enum account_age)a));
    strbuf_addstr(out, "\n             ");
    for (int a = 0; a < AGE_COUNT; a++)
        strbuf_addf(out, " %13s", grouped(st->ageing[a], amount));
    strbuf_addch(out, '\n');
}

static void text_months(struct strbuf *out, const struct account_status *st)
{
    const int half = ACCOUNT_MONTHS / 2;
    strbuf_addf(out, "    %-7s %14s %6s     %-7s %14s %6s   %s\n", "month", "revenue", "orders",
                "month", "revenue", "orders", "vs a year before");
    for (int i = 0; i < half; i++) {
        const struct account_month *a = &st->months[i], *b = &st->months[i + half];
        char d1[DATE_TEXT_MAX], d2[DATE_TEXT_MAX], r1[MONEY_GROUPED_MAX], r2[MONEY_GROUPED_MAX];
        char change[32];
        int64_t pct = INT_NONE;
        if (a->revenue > 0)
            money_div_round((__int128)(b->revenue - a->revenue) * 100 * MONEY_SCALE, a->revenue,
                            &pct);
        date_format(a->first_day, d1);
        date_format(b->first_day, d2);
        strbuf_addf(out, "    %.7s %14s %6" PRId64 "     %.7s %14s %6" PRId64 "   %s%s\n", d1,
                    grouped(a->revenue, r1), a->orders, d2, grouped(b->revenue, r2), b->orders,
                    change_text(pct, change, sizeof(change)),
                    i == half - 1 ? "  (month so far)" : "");
    }
}

static void text_revenue(struct strbuf *out, const struct account_status *st)
{
    char now[MONEY_GROUPED_MAX], before[MONEY_GROUPED_MAX], returned[MONEY_GROUPED_MAX];
    char d1[DATE_TEXT_MAX], d2[DATE_TEXT_MAX], d3[DATE_TEXT_MAX], d4[DATE_TEXT_MAX];
    char change[32], rate[32];
    strbuf_addf(out, "  revenue     last 12 months %s (%s..%s, %" PRId64 " orders)\n",
                grouped(st->revenue_trailing, now), day_text(st->trailing_from, d1),
                day_text(st->trailing_to, d2), st->orders_trailing);
    strbuf_addf(out, "              12 months before %s (%s..%s), change %s\n",
                grouped(st->revenue_prior, before), day_text(st->prior_from, d3),
                day_text(st->prior_to, d4), change_text(st->revenue_change_pct, change, 32));
    if (st->returned_trailing) {
        if (st->return_rate_pct == INT_NONE)
            snprintf(rate, sizeof(rate), "-");
        else
            money_format_fixed(st->return_rate_pct, 1, rate);
        strbuf_addf(out,
                    "              returned %s in the last 12 months (%s %% of the value "
                    "ordered)\n",
                    grouped(st->returned_trailing, returned), rate);
    }
    if (st->other_currency_orders)
        strbuf_addf(out,
                    "              note: %" PRId64 " orders in another currency than %s are "
                    "summed as they are\n",
                    st->other_currency_orders, st->view.account.currency);
    text_months(out, st);
}

static void text_rhythm(struct strbuf *out, const struct account_status *st)
{
    char d1[DATE_TEXT_MAX], d2[DATE_TEXT_MAX], open[MONEY_GROUPED_MAX];
    if (st->last_order == DATE_NONE)
        strbuf_addstr(out, "  orders      no order yet\n");
    else if (st->days_since_last == 0)
        strbuf_addf(out, "  orders      last %s (today)", day_text(st->last_order, d1));
    else
        strbuf_addf(out, "  orders      last %s (%" PRId64 " day%s ago)",
                    day_text(st->last_order, d1), st->days_since_last,
                    st->days_since_last == 1 ? "" : "s");
    if (st->last_order != DATE_NONE && st->rhythm_days == INT_NONE)
        strbuf_addstr(out, "; too few orders for a rhythm\n");
    else if (st->last_order != DATE_NONE)
        strbuf_addf(out,
                    "; about every %" PRId64 " days (median of the last %" PRId64
                    " gaps), next expected %s\n",
                    st->rhythm_days, st->rhythm_gaps, day_text(st->expected_next, d2));
    strbuf_addf(out, "              open: %" PRId64 " worth %s", st->open_orders,
                grouped(st->open_value, open));
    if (st->oldest_open)
        strbuf_addf(out, ", the oldest %s from %s", st->oldest_open,
                    day_text(st->oldest_open_date, d1));
    strbuf_addch(out, '\n');
}

static void text_top_products(struct strbuf *out, const struct account_status *st)
{
    if (!st->n_top)
        return;
    strbuf_addstr(out, "  top products, last 12 months:\n");
    for (size_t i = 0; i < st->n_top; i++) {
        const struct account_top_product *t = &st->top[i];
        char revenue[MONEY_GROUPED_MAX], share[MONEY_TEXT_MAX];
        money_format_fixed(t->share_pct == INT_NONE ? 0 : t->share_pct, 1, share);
        strbuf_addf(out, "    %-12s %-28.28s %14s %6s %% %8" PRId64 " units\n", t->sku, t->name,
                    grouped(t->revenue, revenue), share, t->units);
    }
}

static void text_requests(struct strbuf *out, const struct account_status *st)
{
    strbuf_addf(out, "  open requests (%zu", st->n_requests);
    if (st->open_complaints)
        strbuf_addf(out, ", %" PRId64 " complaint%s", st->open_complaints,
                    st->open_complaints == 1 ? "" : "s");
    strbuf_addstr(out, st->n_requests ? "):\n" : ")\n");
    for (size_t i = 0; i < st->n_requests; i++) {
        const struct store_account_request *r = &st->requests[i];
        char day[DATE_TEXT_MAX];
        date_format(ts_to_date(r->opened_at), day);
        strbuf_addf(out, "    %-12s %-16s %-7s %-12s since %s  %s%s%s\n", r->ext_id, r->kind,
                    r->priority, r->status, day, r->subject, r->order_ext_id ? "  order " : "",
                    r->order_ext_id ? r->order_ext_id : "");
    }
}

static void account_text(struct strbuf *out, const struct account_status *st)
{
    text_master(out, &st->view);
    text_health(out, st);
    text_credit(out, st);
    text_ageing(out, st);
    text_revenue(out, st);
    text_rhythm(out, st);
    text_top_products(out, st);
    text_requests(out, st);
    text_contacts(out, &st->view);
    text_orders(out, &st->view);
    text_invoices(out, &st->view, st->today);
}

/* Opens the store, finds "today" and the settings, loads the status. */
static int load_status(const struct cli_args *args, struct db **db, struct arena *arena,
                       int32_t today, struct account_status *st, struct sd_error *err)
{
    struct account_settings settings;
    int rc = store_open(db, cli_db_url(args), DB_OPEN_EXISTING, err);
    if (rc == 0)
        rc = cli_today(args, *db, &today, err);
    if (rc == 0)
        rc = account_settings_load(*db, &settings, err);
    if (rc == 0)
        rc = account_status_load(*db, NULL, arena, &settings, args->args[0], today, st, err);
    return rc;
}

int cmd_account(const struct cli_args *args)
{
    struct sd_error err = {0};
    struct db *db = NULL;
    struct arena arena;
    struct strbuf out = STRBUF_INIT;
    struct account_status status;
    int32_t today = 0;
    if (cli_flag(args, "timeline") || cli_opt(args, "limit"))
        return cmd_account_timeline(args); /* cmd-account-timeline.c */
    int rc = cli_opt_date(args, "today", &today);
    if (rc)
        return rc;
    arena_init(&arena, 0);
    rc = load_status(args, &db, &arena, today, &status, &err);
    if (rc == 0 && cli_flag(args, "json"))
        account_json(&out, &status);
    else if (rc == 0)
        account_text(&out, &status);
    int exit_code = rc ? cli_fail(&err) : cli_write_stdout(out.buf, out.len);
    strbuf_release(&out);
    arena_release(&arena);
    db_close(db);
    return exit_code;
}
