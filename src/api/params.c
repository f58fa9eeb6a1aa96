/* SPDX-License-Identifier: MIT */
/*
 * params: what list and write handlers share. Query parameters are checked
 * against the route's list before any handler runs (an unknown one is a 400
 * naming it, so a typo in a filter never silently widens a list); values are
 * read with field-level details; cursors are opaque base64url keys; a write is
 * one transaction.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api-int.h"
#include "base/date.h"
#include "base/log.h"
#include "store/store.h"
#include "base/banned.h"

int api_route_takes(const struct api_route *r, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = r->query; p && *p;) {
        const char *end = strchr(p, ' ');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == len && memcmp(p, name, n) == 0)
            return 1;
        p = end ? end + 1 : p + n;
    }
    return 0;
}

static int unknown_param(void *ctx, const char *name, const char *value)
{
    struct api_call *c = ctx;
    (void)value;
    if (!api_route_takes(c->route, name))
        api_detail(c, name, "unknown query parameter");
    return 0;
}

int api_check_query(struct api_call *c)
{
    http_query_each(c->req, unknown_param, c);
    if (c->n_details == 0)
        return 0;
    if (c->route->query)
        return !api_fail(c, 400, "invalid_input", "unknown query parameter (this route takes: %s)",
                         c->route->query);
    return !api_fail(c, 400, "invalid_input", "this route takes no query parameters");
}

int api_query_text(struct api_call *c, const char *name, size_t max, const char **out)
{
    const char *v = http_query(c->req, name);
    *out = NULL;
    if (!v)
        return 0;
    size_t len = strlen(v);
    if (len == 0 || len > max) {
        api_detail(c, name, "must be 1 to %zu characters", max);
        return SD_EINVAL;
    }
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
            api_detail(c, name, "must not contain control characters");
            return SD_EINVAL;
        }
    }
    *out = v;
    return 0;
}

int api_query_int(struct api_call *c, const char *name, int64_t min, int64_t max, int64_t def,
                  int64_t *out)
{
    const char *v;
    int rc = api_query_text(c, name, 20, &v);
    *out = def;
    if (rc || !v)
        return rc;
    int64_t n = 0;
    const char *p = v;
    if (*p == '-' || *p == '+')
        p++;
    if (*p == '\0')
        goto bad;
    for (; *p; p++) {
        if (*p < '0' || *p > '9' || n > (INT64_MAX - 9) / 10)
            goto bad;
        n = n * 10 + (*p - '0');
    }
    if (v[0] == '-')
        n = -n;
    if (n < min || n > max)
        goto bad;
    *out = n;
    return 0;
bad:
    api_detail(c, name, "must be a whole number from %lld to %lld", (long long)min,
                (long long)max);
    return SD_EINVAL;
}

int api_query_date(struct api_call *c, const char *name, int32_t *day)
{
    const char *v;
    int rc = api_query_text(c, name, 10, &v);
    if (rc || !v)
        return rc;
    struct sd_error err = {0};
    rc = date_parse(v, strlen(v), day, &err);
    if (rc)
        api_detail(c, name, "%s", err.message);
    return rc;
}

int api_page_parse(struct api_call *c, struct api_page *page)
{
    const char *cursor;
    page->after = NULL;
    int rc = api_query_int(c, "limit", 1, API_PAGE_MAX, API_PAGE_DEFAULT, &page->limit);
    int rc2 = api_query_text(c, "cursor", API_CURSOR_MAX * 2, &cursor);
    if (rc || rc2 || !cursor)
        return rc ? rc : rc2;
    size_t cap = API_CURSOR_MAX + 1, len = 0;
    char *key = arena_alloc(c->req->arena, cap);
    if (sodium_base642bin((unsigned char *)key, cap - 1, cursor, strlen(cursor), NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        len == 0 || memchr(key, '\0', len)) {
        api_detail(c, "cursor", "is not a cursor this server gave out");
        return SD_EINVAL;
    }
    key[len] = '\0';
    page->after = key;
    return 0;
}

void api_page_next(struct api_call *c, struct json_writer *w, const char *last_key)
{
    json_key(w, "next_cursor");
    if (!last_key) {
        json_null(w);
        return;
    }
    size_t len = strlen(last_key);
    size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *text = arena_alloc(c->req->arena, cap);
    sodium_bin2base64(text, cap, (const unsigned char *)last_key, len,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    json_string(w, text);
}

int api_id_number(struct api_call *c, const char *what, int64_t *id, struct sd_error *err)
{
    int64_t n = 0;
    size_t len = c->id ? strlen(c->id) : 0;
    for (size_t i = 0; i < len && len <= 18; i++) {
        if (c->id[i] < '0' || c->id[i] > '9')
            break;
        n = n * 10 + (c->id[i] - '0');
        if (i + 1 == len && n > 0) {
            *id = n;
            return 0;
        }
    }
    return sd_error_set(err, SD_ENOTFOUND, "no %s with id '%.64s'", what, c->id ? c->id : "");
}

const char *api_actor_name(struct api_call *c)
{
    const char *login = c->who.login ? c->who.login : "";
    size_t len = strlen(login) + 5;
    char *name = arena_alloc(c->req->arena, len);
    snprintf(name, len, "api:%s", login);
    return name;
}

int api_write(struct api_call *c, int (*fn)(struct api_call *c, void *ctx, struct sd_error *err),
              void *ctx, struct sd_error *err)
{
    if (c->read_snapshot && db_in_transaction(c->db))
        db_rollback(c->db); /* a GET's snapshot (api-int.h): the write reads the newest */
    c->read_snapshot = 0;
    int rc = 0;
    for (int attempt = 1; attempt <= API_WRITE_TRIES; attempt++) {
        if (attempt > 1) {
            log_warn("request %s: %s; running its transaction again (try %d of %d)", c->req->id,
                     err->message, attempt, API_WRITE_TRIES);
            struct timespec pause = {0, 50000000L * (attempt - 1)};
            nanosleep(&pause, NULL);
        }
        rc = db_begin(c->db, err);
        if (rc == 0)
            rc = fn(c, ctx, err);
        if (rc == 0)
            rc = db_commit(c->db, err);
        if (rc)
            db_rollback(c->db);
        if (rc == 0 || !db_retryable(c->db))
            break;
    }
    return rc;
}

int api_today(struct api_call *c, int32_t *today, struct sd_error *err)
{
    int set = 0;
    *today = (int32_t)(ts_now_ms() / 86400000);
    if (http_query(c->req, "today")) {
        int rc = api_query_date(c, "today", today);
        return rc ? sd_error_set(err, rc, "invalid query parameters") : 0;
    }
    return store_demo_today(c->db, today, &set, err);
}

int api_query_ref(struct api_call *c, const char *name, enum store_entity e, int64_t *id,
                  struct sd_error *err)
{
    const char *text;
    *id = 0;
    int rc = api_query_text(c, name, API_ID_MAX, &text);
    if (rc || !text)
        return rc;
    /* Reps are not rows a rep is kept from; accounts and orders are. */
    rc = e == ENTITY_REP ? store_resolve(c->db, e, text, id, err)
                         : api_resolve_visible(c, e, text, id, err);
    if (rc == SD_ENOTFOUND || rc == SD_ECONFLICT) {
        api_detail(c, name, "%s", err->message);
        return SD_EINVAL;
    }
    return rc;
}
