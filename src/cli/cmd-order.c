/* SPDX-License-Identifier: MIT */
/*
 * cmd-order: `salesdesk order ID`: one order with its lines, totals, invoices
 * and dates; with --diagnose the order doctor's verdict on it, and with
 * --diagnose-open the doctor's verdicts on every open and shipped order.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/date.h"
#include "base/json.h"
#include "base/money.h"
#include "base/strbuf.h"
#include "cli/cli.h"
#include "desk/doctor.h"
#include "store/store.h"
#include "base/banned.h"

/* "2024-03-05" or "-" for an absent date. */
static const char *date_text(int32_t day, char *buf)
{
    if (day == DATE_NONE)
        return "-";
    date_format(day, buf);
    return buf;
}

static const char *money_text(int64_t v, char *buf)
{
    money_format_fixed(v, 2, buf);
    return buf;
}

static void text_header(struct strbuf *out, const struct order_view *v)
{
    const struct order *o = &v->order;
    char d1[DATE_TEXT_MAX], d2[DATE_TEXT_MAX], d3[DATE_TEXT_MAX], d4[DATE_TEXT_MAX];
    strbuf_addf(out, "Order %s  %s since %s\n", o->ext_id, order_status_name(o->status),
                date_text(o->status_date, d1));
    strbuf_addf(out, "  account   %s  %s\n", v->account_ext_id, v->account_name);
    strbuf_addf(out, "  rep       %s%s%s\n", v->rep_ext_id ? v->rep_ext_id : "(none)",
                v->rep_name ? "  " : "", v->rep_name ? v->rep_name : "");
    strbuf_addf(out, "  ordered   %s   requested %s   promised %s   shipped %s\n",
                date_text(o->order_date, d1), date_text(o->requested_date, d2),
                date_text(o->promised_date, d3), date_text(o->ship_date, d4));
    strbuf_addf(out, "  ship to   %s%s%s\n", o->ship_address ? o->ship_address : "-",
                o->ship_country ? ", " : "", o->ship_country ? o->ship_country : "");
    strbuf_addf(out, "  currency  %s\n\n", o->currency);
}

static void text_lines(struct strbuf *out, const struct order_view *v)
{
    char price[MONEY_TEXT_MAX], net[MONEY_TEXT_MAX], disc[MONEY_TEXT_MAX];
    strbuf_addf(out, "  %4s  %-12s %-28s %8s %12s %9s %8s %14s\n", "line", "sku", "product",
                "qty", "unit price", "discount", "shipped", "net");
    for (size_t i = 0; i < v->n_lines; i++) {
        const struct order_line_view *lv = &v->lines[i];
        discount_format(lv->line.discount, disc);
        strbuf_addf(out, "  %4d  %-12.12s %-28.28s %8" PRId64 " %12s %9s %8" PRId64 " %14s\n",
                    lv->line.line_no, lv->sku, lv->product_name, lv->line.qty,
                    money_text(lv->line.unit_price, price), disc, lv->line.shipped_qty,
                    money_text(lv->net, net));
    }
}

static void text_totals(struct strbuf *out, const struct order_view *v)
{
    char gross[MONEY_TEXT_MAX], disc[MONEY_TEXT_MAX], net[MONEY_TEXT_MAX];
    char inv[MONEY_TEXT_MAX], paid[MONEY_TEXT_MAX];
    strbuf_addf(out, "\n  %zu lines, %" PRId64 " units ordered, %" PRId64 " shipped\n", v->n_lines,
                v->total_qty, v->total_shipped_qty);
    strbuf_addf(out, "  gross %s   discount %s   net %s %s\n", money_text(v->total_gross, gross),
                money_text(v->total_discount, disc), money_text(v->total_net, net),
                v->order.currency);
    strbuf_addf(out, "  invoiced %s   paid %s\n", money_text(v->invoiced, inv),
                money_text(v->paid, paid));
}

static void text_invoices(struct strbuf *out, const struct order_view *v)
{
    if (!v->n_invoices) {
        strbuf_addstr(out, "\n  no invoices\n");
        return;
    }
    strbuf_addstr(out, "\n  invoices:\n");
    for (size_t i = 0; i < v->n_invoices; i++) {
        const struct invoice *inv = &v->invoices[i];
        char d1[DATE_TEXT_MAX], d2[DATE_TEXT_MAX], d3[DATE_TEXT_MAX];
        char amount[MONEY_TEXT_MAX], paid[MONEY_TEXT_MAX];
        strbuf_addf(out, "  %-12s issued %s  due %s  amount %s  paid %s on %s\n", inv->ext_id,
                    date_text(inv->issue_date, d1), date_text(inv->due_date, d2),
                    money_text(inv->amount, amount), money_text(inv->paid_amount, paid),
                    date_text(inv->paid_date, d3));
    }
}

/* ---- the order doctor ---- */

static void text_diagnosis(struct strbuf *out, const struct doctor_diagnosis *dg, int32_t today)
{
    char day[DATE_TEXT_MAX];
    date_format(today, day);
    strbuf_addf(out, "Order %s  %s  verdict: %s (as of %s)\n", dg->order_ext_id,
                order_status_name(dg->status), doctor_verdict_name(dg->verdict), day);
    if (!dg->n_findings)
        strbuf_addstr(out, "  no findings\n");
    for (size_t i = 0; i < dg->n_findings; i++) {
        const struct doctor_finding *f = &dg->findings[i];
        strbuf_addf(out, "\n  %-7s %-20s owner: %s\n          %s\n          -> %s\n",
                    doctor_severity_name(f->rule->severity), f->rule->code,
                    doctor_owner_name(f->rule->owner), f->message, f->rule->action);
    }
}

static void text_open(struct strbuf *out, const struct doctor_diagnosis *items, size_t n,
                      int32_t today)
{
    size_t counts[3] = {0};
    char day[DATE_TEXT_MAX];
    for (size_t i = 0; i < n; i++)
        counts[items[i].verdict]++;
    date_format(today, day);
    strbuf_addf(out, "%zu open and shipped orders as of %s: %zu blocked, %zu at risk, %zu ok\n",
                n, day, counts[DOCTOR_BLOCKED], counts[DOCTOR_AT_RISK], counts[DOCTOR_OK]);
    for (size_t i = 0; i < n; i++) {
        if (!items[i].n_findings)
            continue;
        strbuf_addf(out, "  %-12s %-10s %-8s", items[i].order_ext_id,
                    order_status_name(items[i].status), doctor_verdict_name(items[i].verdict));
        for (size_t k = 0; k < items[i].n_findings; k++)
            if (k == 0 || items[i].findings[k].rule != items[i].findings[k - 1].rule)
                strbuf_addf(out, " %s", items[i].findings[k].rule->code);
        strbuf_addch(out, '\n');
    }
}

static void json_open(struct strbuf *out, const struct doctor_diagnosis *items, size_t n,
                      int32_t today)
{
    struct json_writer w;
    size_t counts[3] = {0};
    for (size_t i = 0; i < n; i++)
        counts[items[i].verdict]++;
    json_writer_init(&w, out, 1);
    json_object_begin(&w);
    json_kv_date(&w, "today", today);
    json_kv_int(&w, "orders", (int64_t)n);
    json_kv_int(&w, "blocked", (int64_t)counts[DOCTOR_BLOCKED]);
    json_kv_int(&w, "at_risk", (int64_t)counts[DOCTOR_AT_RISK]);
    json_kv_int(&w, "ok", (int64_t)counts[DOCTOR_OK]);
    json_key(&w, "items"); /* the orders with at least one finding */
    json_array_begin(&w);
    for (size_t i = 0; i < n; i++)
        if (items[i].n_findings)
            doctor_diagnosis_json(&w, &items[i], DATE_NONE);
    json_array_end(&w);
    json_object_end(&w);
    strbuf_addch(out, '\n');
}

static int diagnose(const struct cli_args *args, struct db *db, struct arena *arena,
                    int32_t today, struct strbuf *out, struct sd_error *err)
{
    struct doctor_settings settings;
    int rc = cli_today(args, db, &today, err);
    if (rc == 0)
        rc = doctor_settings_load(db, &settings, err);
    if (rc == 0 && cli_flag(args, "diagnose-open")) {
        struct doctor_diagnosis *items = NULL;
        size_t n = 0;
        rc = doctor_diagnose_open(db, arena, &settings, today, &items, &n, err);
        if (rc == 0 && cli_flag(args, "json"))
            json_open(out, items, n, today);
        else if (rc == 0)
            text_open(out, items, n, today);
        return rc;
    }
    struct doctor_diagnosis dg;
    if (rc == 0)
        rc = doctor_diagnose_order(db, arena, &settings, args->args[0], today, &dg, err);
    if (rc == 0 && cli_flag(args, "json")) {
        struct json_writer w;
        json_writer_init(&w, out, 1);
        doctor_diagnosis_json(&w, &dg, DATE_NONE);
        strbuf_addch(out, '\n');
    } else if (rc == 0) {
        text_diagnosis(out, &dg, today);
    }
    return rc;
}

int cmd_order(const struct cli_args *args)
{
    struct sd_error err = {0};
    struct db *db = NULL;
    struct arena arena;
    struct strbuf out = STRBUF_INIT;
    struct order_view view;
    int32_t today = 0;
    int open_all = cli_flag(args, "diagnose-open"), doctor = open_all || cli_flag(args, "diagnose");
    if (open_all != (args->n_args == 0))
        return cli_usage_error(args, open_all ? "--diagnose-open takes no order ID"
                                              : "missing argument ID");
    if (!doctor && cli_opt(args, "today"))
        return cli_usage_error(args, "--today goes with --diagnose or --diagnose-open");
    int rc = cli_opt_date(args, "today", &today);
    if (rc)
        return rc;
    arena_init(&arena, 0);
    rc = store_open(&db, cli_db_url(args), DB_OPEN_EXISTING, &err);
    if (rc == 0 && doctor)
        rc = diagnose(args, db, &arena, today, &out, &err);
    else if (rc == 0)
        rc = store_order_view(db, &arena, args->args[0], &view, &err);
    if (rc || doctor) {
        /* printed below */
    } else if (cli_flag(args, "json")) {
        struct json_writer w;
        json_writer_init(&w, &out, 1);
        store_order_view_json(&w, &view);
        strbuf_addch(&out, '\n');
    } else if (rc == 0) {
        text_header(&out, &view);
        text_lines(&out, &view);
        text_totals(&out, &view);
        text_invoices(&out, &view);
    }
    int exit_code = rc ? cli_fail(&err) : cli_write_stdout(out.buf, out.len);
    strbuf_release(&out);
    arena_release(&arena);
    db_close(db);
    return exit_code;
}
