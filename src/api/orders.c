/* SPDX-License-Identifier: MIT */
/*
 * orders: the order list, one order and its diagnosis by the order doctor.
 * api_dispatch has already resolved {id} and checked that the caller may see
 * the order, so the single-order handlers only read and write JSON (the same
 * fields as `salesdesk order ID --json` and `--diagnose --json`); the list
 * is scoped to the caller's rows by the store (STORE_REP_SEES_ORDER).
 */
#include <stdio.h>
#include <stdlib.h>
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

int api_hide_other_orders(struct api_call *c, struct doctor_finding *findings, size_t n,
                          struct sd_error *err)
{
    for (size_t i = 0; c->scope_rep_id && i < n; i++) {
        const char *other = doctor_finding_other_order(&findings[i]);
        struct sd_error ignored = {0};
        int64_t id = 0;
        int visible = 0;
        if (!other)
            continue;
        /* An id in several sources cannot be told apart: hidden, as one that does not exist. */
        if (store_resolve(c->db, ENTITY_ORDER, other, &id, &ignored) == 0) {
            int rc = store_visible_to_rep(c->db, ENTITY_ORDER, id, c->scope_rep_id, &visible, err);
            if (rc)
                return rc;
        }
        if (!visible)
            doctor_finding_hide_order(c->req->arena, &findings[i]);
    }
    return 0;
}

int api_order_diagnosis(struct api_call *c, struct sd_error *err)
{
    struct doctor_settings settings;
    struct doctor_diagnosis dg;
    int32_t today = 0;
    int rc = api_today(c, &today, err);
    if (rc == 0)
        rc = doctor_settings_load(c->db, &settings, err);
    if (rc == 0)
        rc = doctor_diagnose_order(c->db, c->req->arena, &settings, c->id, today, &dg, err);
    if (rc == 0)
        rc = api_hide_other_orders(c, dg.findings, dg.n_findings, err);
    if (rc)
        return rc;
    struct json_writer w;
    api_json_begin(c, 200, &w);
    doctor_diagnosis_json(&w, &dg, today);
    return 0;
}

/* ?status=: one order status. */
static int status_param(struct api_call *c, unsigned *mask)
{
    const char *text;
    enum order_status status;
    int rc = api_query_text(c, "status", 16, &text);
    *mask = 0;
    if (rc || !text)
        return rc;
    if (order_status_parse(text, &status)) {
        api_detail(c, "status", "must be one of draft pending confirmed on_hold shipped "
                                "invoiced paid cancelled returned");
        return SD_EINVAL;
    }
    *mask = 1u << status;
    return 0;
}

/* The cursor's key "YYYY-MM-DD|id": the last order's date and internal id. */
static int order_cursor(struct api_call *c, const char *key, struct order_filter *f)
{
    struct sd_error err = {0};
    const char *bar = strchr(key, '|');
    char *end = NULL;
    long long id = bar ? strtoll(bar + 1, &end, 10) : 0;
    if (!bar || date_parse(key, (size_t)(bar - key), &f->after_date, &err) || id < 1 ||
        end == bar + 1 || *end != '\0') {
        api_detail(c, "cursor", "is not a cursor this server gave out");
        return SD_EINVAL;
    }
    f->after_id = id;
    return 0;
}

static int orders_filter(struct api_call *c, struct order_filter *f, struct sd_error *err)
{
    struct api_page page;
    int bad = 0;
    f->from = f->to = DATE_NONE;
    f->scope_rep_id = c->scope_rep_id;
    bad |= api_page_parse(c, &page) != 0;
    bad |= status_param(c, &f->status_mask) != 0;
    bad |= api_query_date(c, "from", &f->from) != 0;
    bad |= api_query_date(c, "to", &f->to) != 0;
    int rc = api_query_ref(c, "account", ENTITY_ACCOUNT, &f->account_id, err);
    if (rc == 0 || rc == SD_EINVAL) {
        bad |= rc != 0;
        rc = api_query_ref(c, "rep", ENTITY_REP, &f->rep_id, err);
    }
    if (rc && rc != SD_EINVAL)
        return rc; /* the store failed, not the request */
    bad |= rc != 0;
    if (page.after)
        bad |= order_cursor(c, page.after, f) != 0;
    f->limit = (int)page.limit;
    if (bad)
        return sd_error_set(err, SD_EINVAL, "invalid query parameters");
    return 0;
}

int api_orders_list(struct api_call *c, struct sd_error *err)
{
    struct order_filter f = {0};
    struct order_list_item *items;
    size_t n;
    int more;
    int rc = orders_filter(c, &f, err);
    if (rc == 0)
        rc = store_order_list(c->db, c->req->arena, &f, &items, &n, &more, err);
    if (rc)
        return rc;
    struct json_writer w;
    api_json_begin(c, 200, &w);
    json_object_begin(&w);
    json_key(&w, "items");
    json_array_begin(&w);
    for (size_t i = 0; i < n; i++)
        store_order_list_item_json(&w, &items[i]);
    json_array_end(&w);
    char key[DATE_TEXT_MAX + 24] = "";
    if (more) {
        char day[DATE_TEXT_MAX];
        date_format(items[n - 1].order.order_date, day);
        snprintf(key, sizeof(key), "%s|%lld", day, (long long)items[n - 1].order.id);
    }
    api_page_next(c, &w, more ? key : NULL);
    json_object_end(&w);
    return 0;
}
