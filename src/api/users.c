/* SPDX-License-Identifier: MIT */
/*
 * users: the users, for admins only (decided by the routes table): the list,
 * creating one and changing one. The rules and audit rows are desk/users.h's,
 * the same as `salesdesk user add`; a password given is stored as an argon2id
 * string and never written anywhere else (not in the audit row). Disabling a
 * user ends their sessions and revokes their API tokens in the same
 * transaction, and api_authenticate refuses a disabled user's session or
 * token on the next request.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api-int.h"
#include "base/date.h"
#include "base/json.h"
#include "base/secret.h"
#include "desk/users.h"
#include "store/store.h"
#include "base/banned.h"

#define REP_TEXT_MAX 200

static void user_json(struct json_writer *w, const struct user *u)
{
    json_object_begin(w);
    json_kv_int(w, "id", u->id);
    json_kv_string(w, "login", u->login);
    json_kv_string(w, "name", u->name);
    json_kv_string(w, "role", u->role);
    json_kv_string(w, "rep", u->rep_ext_id);
    json_kv_string(w, "status", u->status);
    json_kv_ts(w, "created_at", u->created_at);
    json_object_end(w);
}

int api_users_list(struct api_call *c, struct sd_error *err)
{
    struct user *items;
    size_t n;
    int rc = store_user_list(c->db, c->req->arena, &items, &n, err);
    if (rc)
        return rc;
    struct json_writer w;
    api_json_begin(c, 200, &w);
    json_object_begin(&w);
    json_key(&w, "items");
    json_array_begin(&w);
    for (size_t i = 0; i < n; i++)
        user_json(&w, &items[i]);
    json_array_end(&w);
    json_object_end(&w);
    return 0;
}

static struct desk_actor actor_of(struct api_call *c)
{
    return (struct desk_actor){.user_id = c->who.user_id, .name = api_actor_name(c)};
}

/* Field checks the desk makes too, here first so that each failure names its field. */
static void check_field(struct api_call *c, const char *field, const char *value,
                        int (*check)(const char *, struct sd_error *))
{
    struct sd_error why = {0};
    if (value && check(value, &why))
        api_detail(c, field, "%s", why.message);
}

/* What the desk refuses after the field checks is about the rep (unknown, or missing for role rep). */
static int rep_refusal(struct api_call *c, int rc, const struct sd_error *err)
{
    if (rc != SD_EINVAL && !(rc == SD_ENOTFOUND && strstr(err->message, "no rep")))
        return rc;
    api_detail(c, "rep", "%s", err->message);
    return SD_EINVAL;
}

struct create_job {
    struct user_new in;
    struct user out;
};

static int create_write(struct api_call *c, void *ctx, struct sd_error *err)
{
    struct create_job *job = ctx;
    struct desk_actor actor = actor_of(c);
    int rc = user_create(c->db, c->req->arena, &actor, &job->in, &job->out, err);
    return rep_refusal(c, rc, err);
}

int api_users_create(struct api_call *c, struct sd_error *err)
{
    static const char *const fields[] = {"login", "name", "role", "rep", "password", NULL};
    char hash[SECRET_PASSWORD_STR] = "";
    struct create_job job = {0};
    int rc = api_body_fields(c, fields);
    job.in = (struct user_new){
        .login = api_body_string(c, "login", USER_LOGIN_MAX, 1),
        .name = api_body_string(c, "name", USER_NAME_MAX, 0),
        .role = api_body_string(c, "role", 16, 1),
        .rep = api_body_string(c, "rep", REP_TEXT_MAX, 0),
    };
    const char *password = api_body_string(c, "password", SECRET_PASSWORD_MAX, 0);
    check_field(c, "login", job.in.login, user_login_check);
    check_field(c, "role", job.in.role, user_role_check);
    if (rc || c->n_details)
        return sd_error_set(err, SD_EINVAL, "a user needs login and role (and maybe name, rep, "
                                            "password)");
    if (password) {
        rc = secret_init(err);
        if (rc == 0)
            rc = secret_password_hash(password, strlen(password), hash, err);
        if (rc == SD_EINVAL)
            api_detail(c, "password", "%s", err->message);
        if (rc)
            return rc;
        job.in.password_hash = hash;
    }
    rc = api_write(c, create_write, &job, err);
    secret_wipe(hash, sizeof(hash));
    if (rc)
        return rc;
    struct json_writer w;
    api_json_begin(c, 201, &w);
    user_json(&w, &job.out);
    return 0;
}

/* A member that may be a string or null (to clear it); *set when present. */
static const char *string_or_null(struct api_call *c, const char *key, size_t max, int *set)
{
    const struct jval *v = jval_get(c->body, key);
    *set = v != NULL;
    return v && v->type != JVAL_NULL ? api_body_string(c, key, max, 0) : NULL;
}

struct update_job {
    int64_t id;
    struct user_change ch;
    struct user out;
};

static int update_write(struct api_call *c, void *ctx, struct sd_error *err)
{
    struct update_job *job = ctx;
    struct desk_actor actor = actor_of(c);
    int rc = user_change(c->db, c->req->arena, &actor, job->id, &job->ch, ts_now_ms(), &job->out,
                         err);
    return rep_refusal(c, rc, err); /* an unknown user stays 404 */
}

int api_users_update(struct api_call *c, struct sd_error *err)
{
    static const char *const fields[] = {"role", "status", "name", "rep", NULL};
    struct update_job job = {0};
    int64_t id = 0;
    int rc = api_id_number(c, "user", &id, err);
    if (rc)
        return rc;
    job.id = id;
    rc = api_body_fields(c, fields);
    job.ch.role = api_body_string(c, "role", 16, 0);
    job.ch.status = api_body_string(c, "status", 16, 0);
    job.ch.name = string_or_null(c, "name", USER_NAME_MAX, &job.ch.set_name);
    job.ch.rep = string_or_null(c, "rep", REP_TEXT_MAX, &job.ch.set_rep);
    check_field(c, "role", job.ch.role, user_role_check);
    check_field(c, "status", job.ch.status, user_status_check);
    if (rc || c->n_details)
        return sd_error_set(err, SD_EINVAL, "a user change takes role, status, name and rep");
    if (c->body->n == 0) {
        api_detail(c, "status", "give role, status, name or rep");
        return sd_error_set(err, SD_EINVAL, "nothing to change");
    }
    rc = api_write(c, update_write, &job, err);
    if (rc == SD_ENOTFOUND)
        return sd_error_set(err, SD_ENOTFOUND, "no user with id '%s'", c->id);
    if (rc)
        return rc;
    struct json_writer w;
    api_json_begin(c, 200, &w);
    user_json(&w, &job.out);
    return 0;
}
