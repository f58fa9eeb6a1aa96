/* SPDX-License-Identifier: MIT */
/*
 * alerts: the KPI alerts raised when a target went amber or red (GET
 * /api/v1/alerts, newest first, cursor pages) and acknowledging one (POST
 * /api/v1/alerts/{id}/ack, audited). A rep sees only the alerts of their own
 * rep scope: an alert carries the KPI's value over every order line of its
 * scope, so a team's or the company's would show other reps' figures.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api-int.h"
#include "base/date.h"
#include "desk/kpis.h"
#include "store/store.h"
#include "base/banned.h"

static int read_state(struct api_call *c, int *state)
{
    static const char *const names[] = {"all", "open", "acknowledged"};
    const char *text;
    int rc = api_query_text(c, "state", 16, &text);
    *state = 1;
    if (rc || !text)
        return rc;
    for (int i = 0; i < 3; i++) {
        if (strcmp(text, names[i]) == 0) {
            *state = i;
            return 0;
        }
    }
    api_detail(c, "state", "must be open, acknowledged or all");
    return SD_EINVAL;
}

/* The cursor key "raised_at|id" of the last alert of a page. */
static int read_cursor(struct api_call *c, const struct api_page *page, struct kpi_alert_filter *f)
{
    long long at = 0, id = 0;
    char tail;
    if (!page->after)
        return 0;
    if (sscanf(page->after, "%lld|%lld%c", &at, &id, &tail) != 2 || id <= 0) {
        api_detail(c, "cursor", "is not a cursor this server gave out");
        return SD_EINVAL;
    }
    f->after_raised_at = at;
    f->after_id = id;
    return 0;
}

int api_alerts_list(struct api_call *c, struct sd_error *err)
{
    struct api_page page;
    struct kpi_alert_filter f = {.rep_id = c->scope_rep_id};
    struct kpi_alert *items;
    size_t n;
    int rc = api_page_parse(c, &page);
    rc |= read_state(c, &f.state);
    rc |= api_query_text(c, "kpi", 64, &f.kpi);
    if (rc == 0)
        rc = read_cursor(c, &page, &f);
    if (rc)
        return sd_error_set(err, SD_EINVAL, "bad alert list parameters");
    f.limit = page.limit + 1; /* one more tells whether there is a next page */
    rc = store_kpi_alert_page(c->db, c->req->arena, &f, &items, &n, err);
    if (rc)
        return rc;
    size_t shown = n > (size_t)page.limit ? (size_t)page.limit : n;
    struct json_writer w;
    api_json_begin(c, 200, &w);
    json_object_begin(&w);
    json_key(&w, "items");
    json_array_begin(&w);
    for (size_t i = 0; i < shown; i++)
        store_kpi_alert_json(&w, &items[i]);
    json_array_end(&w);
    char key[64];
    if (n > shown)
        snprintf(key, sizeof(key), "%" PRId64 "|%" PRId64, items[shown - 1].raised_at,
                 items[shown - 1].id);
    api_page_next(c, &w, n > shown ? key : NULL);
    json_object_end(&w);
    return 0;
}

struct ack {
    int64_t id;
    int64_t at;
};

static int ack_one(struct api_call *c, void *ctx, struct sd_error *err)
{
    struct ack *a = ctx;
    struct desk_actor actor = {.user_id = c->who.user_id, .name = api_actor_name(c)};
    return alert_ack(c->db, &actor, a->id, a->at, err);
}

int api_alert_ack(struct api_call *c, struct sd_error *err)
{
    int64_t id = 0;
    int rc = api_id_number(c, "alert", &id, err);
    if (rc)
        return rc;
    struct ack a = {.id = id, .at = ts_now_ms()};
    rc = api_write(c, ack_one, &a, err);
    if (rc == SD_ENOTFOUND)
        return sd_error_set(err, SD_ENOTFOUND, "no alert with id '%s'", c->id);
    if (rc)
        return rc;
    struct kpi_alert_filter f = {.id = id, .limit = 1};
    struct kpi_alert *items;
    size_t n;
    rc = store_kpi_alert_page(c->db, c->req->arena, &f, &items, &n, err);
    if (rc == 0 && n != 1)
        rc = sd_error_set(err, SD_ENOTFOUND, "no alert with id '%s'", c->id);
    if (rc)
        return rc;
    struct json_writer w;
    api_json_begin(c, 200, &w);
    store_kpi_alert_json(&w, &items[0]);
    return 0;
}
