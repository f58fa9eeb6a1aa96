/* SPDX-License-Identifier: MIT */
/*
 * audit: the audit log for admins, newest first, page by page. Filters: the
 * user (login) who wrote through the API, the entity ("request", "note",
 * "user", "api_token") and the row's internal id as stored (entity_id; the
 * items show it), and a time window (from/to: ISO dates, a date `to`
 * including its whole day, or ISO timestamps). before/after are the changed
 * fields as JSON objects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api-int.h"
#include "base/date.h"
#include "base/json.h"
#include "store/store.h"
#include "base/banned.h"

#define DAY_MS 86400000LL

/* A time bound: a date (from: its start; to: its end) or a timestamp; INT_NONE when absent. */
static int time_bound(struct api_call *c, const char *name, int end_of_day, int64_t *ms)
{
    struct sd_error why = {0};
    const char *text;
    int32_t day;
    *ms = INT_NONE;
    int rc = api_query_text(c, name, 40, &text);
    if (rc || !text)
        return rc;
    size_t len = strlen(text);
    if (len == 10 && date_parse(text, len, &day, &why) == 0) {
        *ms = (int64_t)day * DAY_MS + (end_of_day ? DAY_MS - 1 : 0);
        return 0;
    }
    if (ts_parse(text, len, ms, &why) == 0)
        return 0;
    api_detail(c, name, "%s", why.message);
    return SD_EINVAL;
}

static int user_filter(struct api_call *c, int64_t *user_id)
{
    struct sd_error why = {0};
    struct user u;
    const char *login;
    *user_id = 0;
    int rc = api_query_text(c, "user", 128, &login);
    if (rc || !login)
        return rc;
    rc = store_user_by_login(c->db, c->req->arena, login, &u, &why);
    if (rc == SD_ENOTFOUND) {
        api_detail(c, "user", "%s", why.message);
        return SD_EINVAL;
    }
    *user_id = u.id;
    return rc;
}

static int audit_filter(struct api_call *c, struct audit_filter *f, struct sd_error *err)
{
    struct api_page page;
    int64_t entity_id = 0;
    int bad = 0;
    *f = (struct audit_filter){0};
    int rc = user_filter(c, &f->user_id);
    if (rc && rc != SD_EINVAL)
        return sd_error_set(err, rc, "cannot read the users");
    bad |= rc != 0;
    bad |= api_query_text(c, "entity", 32, &f->entity) != 0;
    bad |= api_query_int(c, "entity_id", 1, INT64_MAX, 0, &entity_id) != 0;
    bad |= time_bound(c, "from", 0, &f->from) != 0;
    bad |= time_bound(c, "to", 1, &f->to) != 0;
    bad |= api_page_parse(c, &page) != 0;
    if (!bad && page.after) {
        char *end = NULL;
        long long id = strtoll(page.after, &end, 10);
        if (*end || id <= 0) {
            api_detail(c, "cursor", "is not a cursor this server gave out");
            bad = 1;
        }
        f->before_id = id;
    }
    f->entity_id = entity_id;
    f->limit = (int)page.limit;
    return bad ? sd_error_set(err, SD_EINVAL, "bad audit filter") : 0;
}

/* A stored JSON object as it is (our writer wrote it), else as a string; NULL as null. */
static void fields_json(struct api_call *c, struct json_writer *w, const char *key,
                        const char *text)
{
    struct jval *v = NULL;
    struct sd_error why = {0};
    json_key(w, key);
    if (!text)
        json_null(w);
    else if (jval_parse(text, strlen(text), key, API_JSON_MAX_DEPTH, c->req->arena, &v, &why) ==
                 0 &&
             v->type == JVAL_OBJECT)
        json_raw(w, text, strlen(text));
    else
        json_string(w, text);
}

static void row_json(struct api_call *c, struct json_writer *w, const struct audit_row *r)
{
    json_object_begin(w);
    json_kv_int(w, "id", r->id);
    json_kv_ts(w, "at", r->entry.at);
    json_kv_string(w, "user", r->login);
    json_kv_string(w, "actor", r->entry.actor);
    json_kv_string(w, "action", r->entry.action);
    json_kv_string(w, "entity", r->entry.entity);
    json_kv_int(w, "entity_id", r->entry.entity_id ? r->entry.entity_id : INT_NONE);
    fields_json(c, w, "before", r->entry.before_json);
    fields_json(c, w, "after", r->entry.after_json);
    json_object_end(w);
}

int api_audit_list(struct api_call *c, struct sd_error *err)
{
    struct audit_filter f;
    struct audit_row *items;
    size_t n;
    int64_t next = 0;
    int rc = audit_filter(c, &f, err);
    if (rc == 0)
        rc = store_audit_list(c->db, c->req->arena, &f, &items, &n, &next, err);
    if (rc)
        return rc;
    char key[24];
    snprintf(key, sizeof(key), "%lld", (long long)next);
    struct json_writer w;
    api_json_begin(c, 200, &w);
    json_object_begin(&w);
    json_key(&w, "items");
    json_array_begin(&w);
    for (size_t i = 0; i < n; i++)
        row_json(c, &w, &items[i]);
    json_array_end(&w);
    api_page_next(c, &w, next ? key : NULL);
    json_object_end(&w);
    return 0;
}
