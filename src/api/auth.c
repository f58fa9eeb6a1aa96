/* SPDX-License-Identifier: MIT */
/*
 * auth: who is calling, and the login/logout/me routes. Two ways in:
 *   - `Authorization: Bearer sdt_…`: an API token (scripts); no CSRF token,
 *     since a browser never sends it by itself;
 *   - the `sd_session` cookie set at login (browsers): idle and absolute
 *     expiry, and every request other than GET/HEAD must carry the
 *     session's CSRF token in X-CSRF-Token.
 * Only hashes of tokens are stored (base/secret.h). Login attempts are
 * throttled per login and per client address (an IPv6 client by its /64):
 * an attempt is reserved before any password is checked and counted when it
 * fails; an unknown login costs the same hash time as a known one.
 */
#include <stdio.h>
#include <string.h>

#include "api/api-int.h"
#include "base/date.h"
#include "base/json.h"
#include "base/secret.h"
#include "http/cookie.h"
#include "store/store.h"
#include "base/banned.h"

#define SESSION_COOKIE "sd_session"
#define TOKEN_PREFIX   "sdt_"
#define LOGIN_MAX      128

static const char *const role_names[] = {"admin", "manager", "support", "rep", "viewer"};

unsigned api_role_bit(const char *role)
{
    for (unsigned i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
        if (role && strcmp(role, role_names[i]) == 0)
            return 1u << i;
    return 0;
}

void api_user_json(struct json_writer *w, const struct api_principal *who)
{
    json_object_begin(w);
    json_kv_int(w, "id", who->user_id);
    json_kv_string(w, "login", who->login);
    json_kv_string(w, "name", who->name);
    json_kv_string(w, "role", who->role);
    json_kv_string(w, "rep", who->rep_ext_id);
    json_object_end(w);
}

static int unauthorized(struct api_call *c, const char *code, const char *message)
{
    http_response_header(c->req, c->resp, "WWW-Authenticate", "Bearer");
    return !api_fail(c, 401, code, "%s", message);
}

/* Fills c->who from user `id`; 1 when answered (401 for a disabled or vanished user). */
static int load_user(struct api_call *c, int64_t id)
{
    struct sd_error err = {0};
    struct user u;
    int rc = store_user_by_id(c->db, c->req->arena, id, &u, &err);
    if (rc == SD_ENOTFOUND || (rc == 0 && strcmp(u.status, "active") != 0))
        return unauthorized(c, "unauthorized", "the account is disabled");
    if (rc) {
        api_fail_status(c, rc, &err);
        return 1;
    }
    c->who.user_id = u.id;
    c->who.login = u.login;
    c->who.name = u.name;
    c->who.role = u.role;
    c->who.role_bit = api_role_bit(u.role);
    c->who.rep_id = u.rep_id;
    c->who.rep_ext_id = u.rep_ext_id;
    return 0;
}

static int bearer(struct api_call *c, const char *token)
{
    struct sd_error err = {0};
    struct api_token t;
    char hash[SECRET_HASH_HEX + 1];
    int64_t now = ts_now_ms();
    secret_token_hash(token, strlen(token), hash);
    int rc = store_token_find(c->db, c->req->arena, hash, &t, &err);
    if (rc == SD_ENOTFOUND || (rc == 0 && t.revoked_at != INT_NONE))
        return unauthorized(c, "unauthorized", "the API token is not valid");
    if (rc == 0 && t.expires_at != INT_NONE && now >= t.expires_at)
        return unauthorized(c, "token_expired", "the API token has expired");
    if (rc) {
        api_fail_status(c, rc, &err);
        return 1;
    }
    c->who.token_id = t.id;
    if (t.last_used_at == INT_NONE || now - t.last_used_at >= 60000) {
        c->touch_token_id = t.id;
        c->touch_at = now;
    }
    return load_user(c, t.user_id);
}

static int is_safe_method(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

static int session(struct api_call *c, const char *token, size_t len)
{
    struct sd_error err = {0};
    struct session s;
    char hash[SECRET_HASH_HEX + 1];
    int64_t now = ts_now_ms();
    int64_t idle = c->app->opt.session_idle_s * 1000;
    secret_token_hash(token, len, hash);
    int rc = store_session_find(c->db, c->req->arena, hash, &s, &err);
    if (rc == SD_ENOTFOUND)
        return unauthorized(c, "unauthorized", "the session is not valid; log in again");
    if (rc) {
        api_fail_status(c, rc, &err);
        return 1;
    }
    if (now >= s.expires_at || now - s.last_seen_at >= idle) {
        c->drop_session_id = s.id;
        return unauthorized(c, "session_expired", "the session has expired; log in again");
    }
    if (!is_safe_method(c->req->method)) {
        const char *csrf = http_header(c->req, "X-CSRF-Token");
        char csrf_hash[SECRET_HASH_HEX + 1];
        if (!csrf)
            return !api_fail(c, 403, "csrf", "missing X-CSRF-Token header (from the login answer)");
        secret_token_hash(csrf, strlen(csrf), csrf_hash);
        if (!secret_equal(csrf_hash, s.csrf_hash))
            return !api_fail(c, 403, "csrf", "the X-CSRF-Token does not belong to this session");
    }
    int64_t touch_every = idle / 4 < 60000 ? idle / 4 : 60000;
    if (now - s.last_seen_at >= touch_every) {
        c->touch_session_id = s.id;
        c->touch_at = now;
    }
    c->who.session_id = s.id;
    return load_user(c, s.user_id);
}

int api_authenticate(struct api_call *c)
{
    const char *authz = http_header(c->req, "Authorization");
    if (authz) {
        static const char scheme[] = "Bearer ";
        if (strncmp(authz, scheme, sizeof(scheme) - 1) != 0)
            return unauthorized(c, "unauthorized", "Authorization must be 'Bearer TOKEN'");
        return bearer(c, authz + sizeof(scheme) - 1);
    }
    const char *cookies = http_header(c->req, "Cookie");
    const char *token = NULL;
    size_t len = 0;
    if (cookies && http_cookie_get(cookies, strlen(cookies), SESSION_COOKIE, &token, &len))
        return session(c, token, len);
    return unauthorized(c, "unauthorized", "log in first (session cookie or bearer token)");
}

void api_auth_finish(struct api_call *c)
{
    if (!c->db || db_in_transaction(c->db) || db_failed(c->db))
        return;
    if (c->touch_token_id)
        (void)store_token_used(c->db, c->touch_token_id, c->touch_at, NULL);
    if (c->touch_session_id)
        (void)store_session_touch(c->db, c->touch_session_id, c->touch_at, NULL);
    if (c->drop_session_id)
        (void)store_session_delete(c->db, c->drop_session_id, NULL);
}

#define THROTTLE_KEY_SIZE (LOGIN_MAX + 16)

/* The throttle keys of a login attempt: per login (cleared by a success) and per address. */
static void login_keys(struct api_call *c, const char *login, char *user_key, char *addr_key,
                       struct api_throttle_key keys[2])
{
    snprintf(user_key, THROTTLE_KEY_SIZE, "login:%s", login);
    api_throttle_addr_key(c->req->remote, addr_key, THROTTLE_KEY_SIZE);
    keys[0] = (struct api_throttle_key){user_key, c->app->opt.login_limit, 1};
    keys[1] = (struct api_throttle_key){addr_key, c->app->opt.address_limit, 0};
}

static int too_many(struct api_call *c, int64_t retry_ms)
{
    char seconds[32];
    snprintf(seconds, sizeof(seconds), "%lld", (long long)(retry_ms + 999) / 1000);
    http_response_header(c->req, c->resp, "Retry-After", seconds);
    return api_fail(c, 429, "too_many_requests", "too many failed logins; try again in %s seconds",
                    seconds);
}

/* Checks the password; 0 and the user, or SD_EPERM for any mismatch. */
static int check_password(struct api_call *c, const char *login, const char *password,
                          struct user *u, struct sd_error *err)
{
    size_t len = strlen(password);
    int rc = store_user_by_login(c->db, c->req->arena, login, u, err);
    if (rc && rc != SD_ENOTFOUND)
        return rc;
    if (rc == SD_ENOTFOUND || !u->password_hash || strcmp(u->status, "active") != 0) {
        secret_password_dummy(password, len);
        return SD_EPERM;
    }
    return secret_password_check(u->password_hash, password, len) ? 0 : SD_EPERM;
}

/*
 * Each login also clears the sessions that have expired, so the table does not
 * grow, and ends the user's oldest sessions past max_sessions, so no user's do.
 */
static int session_write(struct api_call *c, void *ctx, struct sd_error *err)
{
    struct session *s = ctx;
    int64_t now = s->created_at;
    int rc = store_sessions_sweep(c->db, now, c->app->opt.session_idle_s * 1000, err);
    if (rc == 0)
        rc = store_sessions_trim(c->db, s->user_id, (int64_t)c->app->opt.max_sessions - 1, err);
    if (rc == 0)
        rc = store_session_add(c->db, s, err);
    return rc;
}

static int new_session(struct api_call *c, const struct user *u, char *token, char *csrf,
                       int64_t *expires, struct sd_error *err)
{
    char token_hash[SECRET_HASH_HEX + 1], csrf_hash[SECRET_HASH_HEX + 1];
    int64_t now = ts_now_ms();
    secret_token(token);
    secret_token(csrf);
    secret_token_hash(token, SECRET_TOKEN_HEX, token_hash);
    secret_token_hash(csrf, SECRET_TOKEN_HEX, csrf_hash);
    struct session s = {
        .user_id = u->id,
        .token_hash = token_hash,
        .csrf_hash = csrf_hash,
        .created_at = now,
        .last_seen_at = now,
        .expires_at = now + c->app->opt.session_max_s * 1000,
    };
    *expires = s.expires_at;
    return api_write(c, session_write, &s, err);
}

static void set_cookie(struct api_call *c, const char *token, int64_t max_age_s)
{
    char cookie[256];
    snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Strict%s",
             SESSION_COOKIE, token, (long long)max_age_s,
             c->app->opt.secure_cookies ? "; Secure" : "");
    http_response_header(c->req, c->resp, "Set-Cookie", cookie);
}

int api_login(struct api_call *c, struct sd_error *err)
{
    static const char *const fields[] = {"login", "password", NULL};
    char user_key[THROTTLE_KEY_SIZE], addr_key[THROTTLE_KEY_SIZE];
    struct api_throttle_key keys[2];
    char token[SECRET_TOKEN_HEX + 1], csrf[SECRET_TOKEN_HEX + 1];
    int64_t now = ts_now_ms(), retry = 0, expires = 0;
    int64_t window = c->app->opt.throttle_window_s * 1000;
    int rc = api_body_fields(c, fields);
    const char *login = api_body_string(c, "login", LOGIN_MAX, 1);
    const char *password = api_body_string(c, "password", SECRET_PASSWORD_MAX, 1);
    if (rc || !login || !password)
        return sd_error_set(err, SD_EINVAL, "login needs a login and a password");
    login_keys(c, login, user_key, addr_key, keys);
    if (api_throttle_reserve(c->app->throttle, keys, 2, window, now, &retry))
        return too_many(c, retry);
    struct user u;
    rc = check_password(c, login, password, &u, err);
    api_throttle_settle(c->app->throttle, keys, 2, rc == SD_EPERM);
    if (rc == SD_EPERM) {
        unauthorized(c, "unauthorized", "the login or the password is wrong");
        return 0;
    }
    if (rc == 0)
        rc = new_session(c, &u, token, csrf, &expires, err);
    if (rc)
        return rc;
    set_cookie(c, token, c->app->opt.session_max_s);
    c->who = (struct api_principal){.user_id = u.id,
                                    .login = u.login,
                                    .name = u.name,
                                    .role = u.role,
                                    .rep_ext_id = u.rep_ext_id};
    struct json_writer w;
    api_json_begin(c, 200, &w);
    json_object_begin(&w);
    json_key(&w, "user");
    api_user_json(&w, &c->who);
    json_kv_string(&w, "csrf_token", csrf);
    json_kv_ts(&w, "expires_at", expires);
    json_object_end(&w);
    return 0;
}

int api_logout(struct api_call *c, struct sd_error *err)
{
    if (!c->who.session_id)
        return sd_error_set(err, SD_EINVAL,
                            "logout ends a cookie session; revoke an API token "
                            "with DELETE /api/v1/tokens/{id}");
    int rc = store_session_delete(c->db, c->who.session_id, err);
    if (rc)
        return rc;
    set_cookie(c, "", 0);
    c->resp->status = 204;
    strbuf_reset(&c->resp->body);
    return 0;
}

int api_me(struct api_call *c, struct sd_error *err)
{
    struct json_writer w;
    (void)err;
    api_json_begin(c, 200, &w);
    json_object_begin(&w);
    json_key(&w, "user");
    api_user_json(&w, &c->who);
    json_kv_string(&w, "auth", c->who.session_id ? "session" : "token");
    json_object_end(&w);
    return 0;
}
