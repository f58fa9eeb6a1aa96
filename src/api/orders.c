/* SPDX-License-Identifier: MIT */
/*
 * orders: one order and its diagnosis by the order doctor. api_dispatch has
 * already resolved {id} and checked that the caller may see the order, so
 * these only read and write JSON (the same fields as `salesdesk order ID
 * --json` and `--diagnose --json`).
 */
#include <string.h>

#include "api/api-int.h"
#include "base/date.h"
#include "base/json.h"
#include "desk/doctor.h"
#include "store/store.h"
#include "base/banned.h"

static void invoice_json(struct json_writer *w, const struct invoice *inv)
{
    json_object_begin(w);
    json_kv_string(w, "id", inv->ext_id);
    json_kv_date(w, "issue_date", inv->issue_date);
    json_kv_date(w, "due_date", inv->due_date);
    json_kv_money(w, "amount", inv->amount);
    json_kv_money(w, "paid_amount", inv->paid_amount);
    json_kv_date(w, "paid_date", inv->paid_date);
    json_kv_string(w, "currency", inv->currency);
    json_object_end(w);
}

static void line_json(struct json_writer *w, const struct order_line_view *lv)
{
    json_object_begin(w);
    json_kv_int(w, "line", lv->line.line_no);
    json_kv_string(w, "sku", lv->sku);
    json_kv_string(w, "product", lv->product_name);
    json_kv_int(w, "qty", lv->line.qty);
    json_kv_money(w, "unit_price", lv->line.unit_price);
    json_kv_discount(w, "discount", lv->line.discount);
    json_kv_int(w, "shipped_qty", lv->line.shipped_qty);
    json_kv_money(w, "gross", lv->gross);
    json_kv_money(w, "net", lv->net);
    json_object_end(w);
}

static void totals_json(struct json_writer *w, const struct order_view *v)
{
    json_key(w, "totals");
    json_object_begin(w);
    json_kv_int(w, "lines", (int64_t)v->n_lines);
    json_kv_int(w, "qty", v->total_qty);
    json_kv_int(w, "shipped_qty", v->total_shipped_qty);
    json_kv_money(w, "gross", v->total_gross);
    json_kv_money(w, "discount", v->total_discount);
    json_kv_money(w, "net", v->total_net);
    json_kv_money(w, "invoiced", v->invoiced);
    json_kv_money(w, "paid", v->paid);
    json_object_end(w);
}

static void header_json(struct json_writer *w, const struct order_view *v)
{
    const struct order *o = &v->order;
    json_kv_string(w, "id", o->ext_id);
    json_kv_string(w, "source", o->source);
    json_kv_string(w, "account", v->account_ext_id);
    json_kv_string(w, "account_name", v->account_name);
    json_kv_string(w, "rep", v->rep_ext_id);
    json_kv_string(w, "rep_name", v->rep_name);
    json_kv_string(w, "status", order_status_name(o->status));
    json_kv_date(w, "status_date", o->status_date);
    json_kv_date(w, "order_date", o->order_date);
    json_kv_date(w, "requested_date", o->requested_date);
    json_kv_date(w, "promised_date", o->promised_date);
    json_kv_date(w, "ship_date", o->ship_date);
    json_kv_string(w, "currency", o->currency);
    json_kv_string(w, "ship_country", o->ship_country);
    json_kv_string(w, "ship_address", o->ship_address);
}

int api_order_get(struct api_call *c, struct sd_error *err)
{
    struct order_view v;
    int rc = store_order_view(c->db, c->req->arena, c->id, &v, err);
    if (rc)
        return rc;
    struct json_writer w;
    api_json_begin(c, 200, &w);
    json_object_begin(&w);
    header_json(&w, &v);
    json_key(&w, "lines");
    json_array_begin(&w);
    for (size_t i = 0; i < v.n_lines; i++)
        line_json(&w, &v.lines[i]);
    json_array_end(&w);
    totals_json(&w, &v);
    json_key(&w, "invoices");
    json_array_begin(&w);
    for (size_t i = 0; i < v.n_invoices; i++)
        invoice_json(&w, &v.invoices[i]);
    json_array_end(&w);
    json_object_end(&w);
    return 0;
}

static void evidence_json(struct json_writer *w, const struct doctor_evidence *e)
{
    json_key(w, e->name);
    switch (e->unit) {
    case DOCTOR_MONEY:
    case DOCTOR_PERCENT: json_money(w, e->value); break;
    case DOCTOR_DISCOUNT: json_discount(w, e->value); break;
    case DOCTOR_DATE: json_date(w, (int32_t)e->value); break;
    case DOCTOR_TEXT: json_string(w, e->text); break;
    case DOCTOR_COUNT:
    case DOCTOR_DAYS: json_int(w, e->value); break;
    }
}

static void finding_json(struct json_writer *w, const struct doctor_finding *f)
{
    json_object_begin(w);
    json_kv_string(w, "code", f->rule->code);
    json_kv_string(w, "severity", doctor_severity_name(f->rule->severity));
    json_kv_string(w, "owner", doctor_owner_name(f->rule->owner));
    if (f->line_no)
        json_kv_int(w, "line", f->line_no);
    json_kv_string(w, "message", f->message);
    json_kv_string(w, "action", f->rule->action);
    json_key(w, "evidence");
    json_object_begin(w);
    for (int k = 0; k < f->n_evidence; k++)
        evidence_json(w, &f->evidence[k]);
    json_object_end(w);
    json_object_end(w);
}

/* ?today=, else the setting demo_today, else the current UTC date. */
static int doctor_today(struct api_call *c, int32_t *today, struct sd_error *err)
{
    const char *text = http_query(c->req, "today");
    *today = (int32_t)(ts_now_ms() / 86400000);
    if (text) {
        int rc = date_parse(text, strlen(text), today, err);
        if (rc)
            api_detail(c, "today", "%s", err->message);
        return rc;
    }
    int rc = store_setting_get(c->db, c->req->arena, "demo_today", &text, err);
    if (rc == 0 && text)
        rc = date_parse(text, strlen(text), today, err);
    return rc;
}

int api_order_diagnosis(struct api_call *c, struct sd_error *err)
{
    struct doctor_settings settings;
    struct doctor_diagnosis dg;
    int32_t today = 0;
    int rc = doctor_today(c, &today, err);
    if (rc == 0)
        rc = doctor_settings_load(c->db, &settings, err);
    if (rc == 0)
        rc = doctor_diagnose_order(c->db, c->req->arena, &settings, c->id, today, &dg, err);
    if (rc)
        return rc;
    struct json_writer w;
    api_json_begin(c, 200, &w);
    json_object_begin(&w);
    json_kv_string(&w, "id", dg.order_ext_id);
    json_kv_string(&w, "status", order_status_name(dg.status));
    json_kv_string(&w, "verdict", doctor_verdict_name(dg.verdict));
    json_kv_date(&w, "today", today);
    json_key(&w, "findings");
    json_array_begin(&w);
    for (size_t i = 0; i < dg.n_findings; i++)
        finding_json(&w, &dg.findings[i]);
    json_array_end(&w);
    json_object_end(&w);
    return 0;
}
