/* SPDX-License-Identifier: MIT */
/*
 * accounts: the account list with its name search, one account, its status
 * (the account page's figures) and its timeline. api_dispatch has resolved
 * {id} and checked that the caller may see the account; the list is scoped
 * by the store (STORE_REP_SEES_ACCOUNT). The status and the timeline are
 * written by the same functions as `salesdesk account ID --json` and
 * `--timeline --json`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api-int.h"
#include "base/date.h"
#include "base/json.h"
#include "desk/account.h"
#include "store/store.h"
#include "base/banned.h"

#define ACCOUNT_TEXT_MAX 200

/* An exact-match text filter (segment, region): any text of 1..ACCOUNT_TEXT_MAX bytes. */
static int text_param(struct api_call *c, const char *name, const char **out)
{
    return api_query_text(c, name, ACCOUNT_TEXT_MAX, out);
}

static int status_param(struct api_call *c, const char **out)
{
    int rc = api_query_text(c, "status", 16, out);
    if (rc || !*out || strcmp(*out, "active") == 0 || strcmp(*out, "on_hold") == 0 ||
        strcmp(*out, "closed") == 0)
        return rc;
    api_detail(c, "status", "must be one of active on_hold closed");
    return SD_EINVAL;
}

/*
 * The cursor's key is the last account's internal id; the page goes on after
 * its (name, id), the name read again (a name can be longer than a cursor).
 */
static int account_cursor(struct api_call *c, const char *key, struct account_filter *f,
                          struct sd_error *err)
{
    struct account_row last;
    char *end = NULL;
    long long id = strtoll(key, &end, 10);
    int rc = id < 1 || end == key || *end != '\0'
                 ? SD_EINVAL
                 : store_account_row(c->db, c->req->arena, id, &last, err);
    if (rc == SD_EINVAL || rc == SD_ENOTFOUND) {
        api_detail(c, "cursor", "is not a cursor this server gave out");
        return SD_EINVAL;
    }
    if (rc == 0) {
        f->after_id = id;
        f->after_name = last.account.name;
    }
    return rc;
}

static int accounts_filter(struct api_call *c, struct account_filter *f, struct sd_error *err)
{
    struct api_page page;
    int bad = 0;
    f->scope_rep_id = c->scope_rep_id;
    bad |= api_page_parse(c, &page) != 0;
    bad |= api_query_text(c, "q", ACCOUNT_TEXT_MAX, &f->name_contains) != 0;
    bad |= text_param(c, "segment", &f->segment) != 0;
    bad |= text_param(c, "region", &f->region) != 0;
    bad |= status_param(c, &f->status) != 0;
    int rc = api_query_ref(c, "owner_rep", ENTITY_REP, &f->owner_rep_id, err);
    if ((rc == 0 || rc == SD_EINVAL) && page.after) {
        bad |= rc != 0;
        rc = account_cursor(c, page.after, f, err);
    }
    if (rc && rc != SD_EINVAL)
        return rc; /* the store failed, not the request */
    bad |= rc != 0;
    f->limit = (int)page.limit;
    if (bad)
        return sd_error_set(err, SD_EINVAL, "invalid query parameters");
    return 0;
}

int api_accounts_list(struct api_call *c, struct sd_error *err)
{
    struct account_filter f = {0};
    struct account_row *items;
    size_t n;
    int more;
    int rc = accounts_filter(c, &f, err);
    if (rc == 0)
        rc = store_account_list(c->db, c->req->arena, &f, &items, &n, &more, err);
    if (rc)
        return rc;
    struct json_writer w;
    api_json_begin(c, 200, &w);
    json_object_begin(&w);
    json_key(&w, "items");
    json_array_begin(&w);
    for (size_t i = 0; i < n; i++)
        store_account_row_json(&w, &items[i]);
    json_array_end(&w);
    char key[24];
    if (more)
        snprintf(key, sizeof(key), "%lld", (long long)items[n - 1].account.id);
    api_page_next(c, &w, more ? key : NULL);
    json_object_end(&w);
    return 0;
}

int api_account_get(struct api_call *c, struct sd_error *err)
{
    struct account_row row;
    int rc = store_account_row(c->db, c->req->arena, c->object_id, &row, err);
    if (rc)
        return rc;
    struct json_writer w;
    api_json_begin(c, 200, &w);
    store_account_row_json(&w, &row);
    return 0;
}

int api_account_status(struct api_call *c, struct sd_error *err)
{
    struct account_settings settings;
    struct account_status status;
    int32_t today = 0;
    int rc = api_today(c, &today, err);
    if (rc == 0)
        rc = account_settings_load(c->db, &settings, err);
    if (rc == 0) {
        /* The largest accounts' revenue sums ~10^5 lines: from memory when the engine is up. */
        const struct facts *f = NULL;
        rc = api_engine_try(c, &f, err);
        if (rc == 0)
            rc = account_status_load(c->db, f, c->req->arena, &settings, c->id, today, &status,
                                     err);
        api_engine_release(c, f);
    }
    if (rc)
        return rc;
    struct json_writer w;
    api_json_begin(c, 200, &w);
    account_status_json(&w, &status);
    return 0;
}

/*
 * The cursor's key "at|kind|row id|text": the last event's place in the
 * timeline's order (text tells apart the stages of one day).
 */
static int timeline_cursor(struct api_call *c, const char *key, struct timeline_event *after)
{
    long long v[3];
    const char *p = key;
    static const long long lo[3] = {INT64_MIN, 0, 1};
    static const long long hi[3] = {INT64_MAX, TIMELINE_KIND_COUNT - 1, INT64_MAX};
    for (int i = 0; i < 3; i++) {
        char *end = NULL;
        v[i] = strtoll(p, &end, 10);
        if (end == p || *end != '|' || v[i] < lo[i] || v[i] > hi[i]) {
            api_detail(c, "cursor", "is not a cursor this server gave out");
            return SD_EINVAL;
        }
        p = end + 1;
    }
    memset(after, 0, sizeof(*after));
    after->at = v[0];
    after->kind = (enum timeline_kind)v[1];
    after->row_id = v[2];
    after->text = p;
    return 0;
}

static const char *timeline_key(struct api_call *c, const struct timeline_event *e)
{
    const char *text = e->kind == TIMELINE_STAGE && e->text ? e->text : "";
    size_t size = strlen(text) + 64;
    char *key = arena_alloc(c->req->arena, size);
    if (key)
        snprintf(key, size, "%lld|%d|%lld|%s", (long long)e->at, (int)e->kind,
                 (long long)e->row_id, text);
    return key;
}

int api_account_timeline(struct api_call *c, struct sd_error *err)
{
    struct api_page page;
    struct timeline_event after, *events = NULL;
    size_t n = 0;
    int64_t total = 0;
    int rc = api_page_parse(c, &page);
    if (rc == 0 && page.after)
        rc = timeline_cursor(c, page.after, &after);
    if (rc)
        return sd_error_set(err, SD_EINVAL, "invalid query parameters");
    /* One snapshot for the events and the order figures: a GET runs in api_dispatch's. */
    rc = store_account_timeline(c->db, c->req->arena, c->object_id, page.after ? &after : NULL,
                                (int)page.limit + 1, &events, &n, &total, err);
    if (rc)
        return rc;
    int more = n > (size_t)page.limit;
    if (more)
        n = (size_t)page.limit;
    const char *key = more ? timeline_key(c, &events[n - 1]) : NULL;
    if (more && !key)
        return sd_error_set(err, SD_ELIMIT, "the answer is too large");
    struct json_writer w;
    api_json_begin(c, 200, &w);
    json_object_begin(&w);
    json_kv_string(&w, "account", c->id);
    json_kv_int(&w, "events", total);
    json_key(&w, "items");
    json_array_begin(&w);
    for (size_t i = 0; i < n; i++)
        store_timeline_event_json(&w, &events[i]);
    json_array_end(&w);
    api_page_next(c, &w, key);
    json_object_end(&w);
    return 0;
}
