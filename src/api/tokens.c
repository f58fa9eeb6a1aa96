/* SPDX-License-Identifier: MIT */
/*
 * tokens: the caller's API tokens. Created and revoked by their owner only:
 * every query is scoped by the caller's user id, so another user's token
 * answers 404 like one that does not exist. The secret is shown once, at
 * creation; the store keeps its hash. Creation and revocation are audited.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api-int.h"
#include "base/date.h"
#include "base/json.h"
#include "base/secret.h"
#include "store/store.h"
#include "base/banned.h"

#define TOKEN_NAME_MAX 100
#define TOKEN_DAYS_MAX 3650

static void token_json(struct json_writer *w, const struct api_token *t)
{
    json_object_begin(w);
    json_kv_int(w, "id", t->id);
    json_kv_string(w, "name", t->name);
    json_kv_ts(w, "created_at", t->created_at);
    json_kv_ts(w, "expires_at", t->expires_at);
    json_kv_ts(w, "last_used_at", t->last_used_at);
    json_kv_ts(w, "revoked_at", t->revoked_at);
    json_object_end(w);
}

int api_tokens_list(struct api_call *c, struct sd_error *err)
{
    struct api_token *items;
    size_t n;
    int rc = store_token_list(c->db, c->req->arena, c->who.user_id, &items, &n, err);
    if (rc)
        return rc;
    struct json_writer w;
    api_json_begin(c, 200, &w);
    json_object_begin(&w);
    json_key(&w, "items");
    json_array_begin(&w);
    for (size_t i = 0; i < n; i++)
        token_json(&w, &items[i]);
    json_array_end(&w);
    json_object_end(&w);
    return 0;
}

/* expires_in_days: absent/null, or a whole number 1..TOKEN_DAYS_MAX. */
static int expiry_days(struct api_call *c, int64_t *days)
{
    const struct jval *v = jval_get(c->body, "expires_in_days");
    *days = 0;
    if (!v || v->type == JVAL_NULL)
        return 0;
    char *end = NULL;
    long long n = v->type == JVAL_NUMBER ? strtoll(v->text, &end, 10) : 0;
    if (v->type != JVAL_NUMBER || end != v->text + v->len || n < 1 || n > TOKEN_DAYS_MAX) {
        api_detail(c, "expires_in_days", "must be a whole number of days from 1 to %d",
                   TOKEN_DAYS_MAX);
        return SD_EINVAL;
    }
    *days = n;
    return 0;
}

static int audit(struct api_call *c, const char *action, int64_t id, const char *name,
                 struct sd_error *err)
{
    struct strbuf after = STRBUF_INIT;
    struct json_writer w;
    json_writer_init(&w, &after, 0);
    json_object_begin(&w);
    json_kv_int(&w, "user_id", c->who.user_id);
    json_kv_string(&w, "name", name);
    json_object_end(&w);
    char actor[160];
    snprintf(actor, sizeof(actor), "api:%s", c->who.login ? c->who.login : "");
    struct audit_entry e = {.at = ts_now_ms(),
                            .user_id = c->who.user_id,
                            .actor = actor,
                            .action = action,
                            .entity = "api_token",
                            .entity_id = id,
                            .after_json = after.buf};
    int rc = store_audit_append(c->db, &e, err);
    strbuf_release(&after);
    return rc;
}

static int create_write(struct api_call *c, void *ctx, struct sd_error *err)
{
    struct api_token *t = ctx;
    int rc = store_token_add(c->db, t, err);
    return rc ? rc : audit(c, "create", t->id, t->name, err);
}

static int revoke_write(struct api_call *c, void *ctx, struct sd_error *err)
{
    const int64_t *id = ctx;
    int rc = store_token_revoke(c->db, c->who.user_id, *id, ts_now_ms(), err);
    return rc ? rc : audit(c, "revoke", *id, NULL, err);
}

int api_tokens_create(struct api_call *c, struct sd_error *err)
{
    static const char *const fields[] = {"name", "expires_in_days", NULL};
    char secret[SECRET_TOKEN_HEX + 1], token[sizeof(secret) + 8], hash[SECRET_HASH_HEX + 1];
    int64_t days = 0, now = ts_now_ms();
    if (c->who.token_id) /* a stolen token must not mint one that outlives it */
        return sd_error_set(err, SD_EPERM,
                            "API tokens are created from a login session, not with a token");
    int rc = api_body_fields(c, fields);
    const char *name = api_body_string(c, "name", TOKEN_NAME_MAX, 1);
    if (expiry_days(c, &days) || rc || !name)
        return sd_error_set(err, SD_EINVAL, "a token needs a name (and maybe expires_in_days)");
    secret_token(secret);
    snprintf(token, sizeof(token), "sdt_%s", secret);
    secret_token_hash(token, strlen(token), hash);
    struct api_token t = {.user_id = c->who.user_id,
                          .name = name,
                          .token_hash = hash,
                          .created_at = now,
                          .expires_at = days ? now + days * 86400000 : INT_NONE};
    rc = api_write(c, create_write, &t, err);
    if (rc)
        return rc;
    struct json_writer w;
    api_json_begin(c, 201, &w);
    json_object_begin(&w);
    json_kv_int(&w, "id", t.id);
    json_kv_string(&w, "name", name);
    json_kv_string(&w, "token", token);
    json_kv_ts(&w, "created_at", t.created_at);
    json_kv_ts(&w, "expires_at", t.expires_at);
    json_object_end(&w);
    return 0;
}

int api_tokens_revoke(struct api_call *c, struct sd_error *err)
{
    int64_t id = 0;
    int rc = api_id_number(c, "token", &id, err);
    if (rc)
        return rc;
    rc = api_write(c, revoke_write, &id, err);
    if (rc == SD_ENOTFOUND)
        return sd_error_set(err, SD_ENOTFOUND, "no token with id '%s'", c->id);
    if (rc)
        return rc;
    c->resp->status = 204;
    strbuf_reset(&c->resp->body);
    return 0;
}
