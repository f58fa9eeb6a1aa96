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

int api_order_get(struct api_call *c, struct sd_error *err)
{
    struct order_view v;
    /* api_dispatch has resolved {id} into c->object_id. */
    int rc = store_order_view_id(c->db, c->req->arena, c->object_id, &v, err);
    if (rc)
        return rc;
    struct json_writer w;
    api_json_begin(c, 200, &w);
    store_order_view_json(&w, &v);
    return 0;
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
    int set;
    return store_demo_today(c->db, today, &set, err);
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
    doctor_diagnosis_json(&w, &dg, today);
    return 0;
}
