/* SPDX-License-Identifier: MIT */
/*
 * queue: the pending-order queue (desk/queue.h), ranked by priority, with
 * the filters of `salesdesk queue pending` as query parameters and a cursor
 * over the ranked list (the rank key of the last item, so a page goes on
 * after it even when orders came or went). For a rep the queue holds only
 * the orders the rep may see (queue_filter.scope_rep_id, the store's rule);
 * the counts are of those orders too, and a finding that names another
 * order the rep may not see leaves its id out (api_hide_other_orders).
 */
#include <string.h>

#include "api/api-int.h"
#include "base/json.h"
#include "desk/doctor.h"
#include "desk/queue.h"
#include "store/store.h"
#include "base/banned.h"

#define QUEUE_TEXT_MAX 200

/* ?verdict=: blocked, at_risk (as the CLI: also "at-risk" and "at risk") or ok. */
static int verdict_param(struct api_call *c, int *verdict)
{
    const char *text;
    int rc = api_query_text(c, "verdict", 16, &text);
    *verdict = -1;
    if (rc || !text)
        return rc;
    if (strcmp(text, "blocked") == 0)
        *verdict = DOCTOR_BLOCKED;
    else if (strcmp(text, "at_risk") == 0 || strcmp(text, "at-risk") == 0 ||
             strcmp(text, "at risk") == 0)
        *verdict = DOCTOR_AT_RISK;
    else if (strcmp(text, "ok") == 0)
        *verdict = DOCTOR_OK;
    if (*verdict >= 0)
        return 0;
    api_detail(c, "verdict", "must be one of blocked at_risk ok");
    return SD_EINVAL;
}

static int rule_param(struct api_call *c, const char **code)
{
    int rc = api_query_text(c, "rule", 64, code);
    if (rc || !*code)
        return rc;
    for (size_t r = 0; r < doctor_rules_count; r++)
        if (strcmp(doctor_rules[r].code, *code) == 0)
            return 0;
    api_detail(c, "rule", "is not a rule of the order doctor (docs/desk.md)");
    return SD_EINVAL;
}

static int queue_params(struct api_call *c, struct queue_filter *f, struct api_page *page,
                        int32_t *today, struct sd_error *err)
{
    int bad = 0;
    f->scope_rep_id = c->scope_rep_id;
    bad |= api_page_parse(c, page) != 0;
    bad |= api_query_text(c, "team", QUEUE_TEXT_MAX, &f->team) != 0;
    bad |= api_query_text(c, "rep", QUEUE_TEXT_MAX, &f->rep) != 0;
    bad |= api_query_text(c, "region", QUEUE_TEXT_MAX, &f->region) != 0;
    bad |= rule_param(c, &f->code) != 0;
    bad |= verdict_param(c, &f->verdict) != 0;
    if (!bad)
        return api_today(c, today, err);
    return sd_error_set(err, SD_EINVAL, "invalid query parameters");
}

/* The page of the ranked items: [*first, *first + *count); *more when items follow. */
static int page_of(struct api_call *c, const struct api_page *page, const struct queue_item *items,
                   size_t n, size_t *first, size_t *count, struct sd_error *err)
{
    *first = 0;
    if (page->after && queue_after_key(items, n, page->after, first)) {
        api_detail(c, "cursor", "is not a cursor this server gave out");
        return sd_error_set(err, SD_EINVAL, "invalid query parameters");
    }
    size_t left = n - *first;
    *count = left < (size_t)page->limit ? left : (size_t)page->limit;
    return 0;
}

int api_queue_pending(struct api_call *c, struct sd_error *err)
{
    struct queue_filter f = {.verdict = -1};
    struct api_page page;
    struct doctor_settings ds;
    struct queue_settings qs;
    struct queue_item *items = NULL;
    size_t n = 0, total = 0, first = 0, count = 0;
    int32_t today = 0;
    int rc = queue_params(c, &f, &page, &today, err);
    if (rc == 0)
        rc = doctor_settings_load(c->db, &ds, err);
    if (rc == 0)
        rc = queue_settings_load(c->db, c->req->arena, &qs, err);
    /* The whole queue from one snapshot: a GET runs in api_dispatch's. */
    if (rc == 0)
        rc = queue_pending(c->db, c->req->arena, &ds, &qs, today, &f, &items, &n, &total, err);
    if (rc == 0)
        rc = page_of(c, &page, items, n, &first, &count, err);
    for (size_t i = first; rc == 0 && i < first + count; i++)
        rc = api_hide_other_orders(c, items[i].diagnosis.findings, items[i].diagnosis.n_findings,
                                   err);
    if (rc)
        return rc;
    struct json_writer w;
    api_json_begin(c, 200, &w);
    json_object_begin(&w);
    queue_summary_json(&w, items, n, total, today);
    json_key(&w, "items");
    json_array_begin(&w);
    for (size_t i = first; i < first + count; i++)
        queue_item_json(&w, &items[i]);
    json_array_end(&w);
    api_page_next(c, &w,
                  first + count < n ? queue_item_key(c->req->arena, &items[first + count - 1])
                                    : NULL);
    json_object_end(&w);
    return 0;
}
