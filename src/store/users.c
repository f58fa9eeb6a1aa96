/* SPDX-License-Identifier: MIT */
/*
 * users: the people who log in, their sessions and API tokens, and the
 * row-level visibility of orders for reps (audit rows: audit.c). Tokens are stored
 * only as hashes (base/secret.h); the callers hash before they look up.
 */
#include <string.h>

#include "base/json.h"
#include "store/store-int.h"
#include "base/banned.h"

#define USER_COLUMNS                                                                               \
    "u.id, u.login, u.name, u.role, u.rep_id, r.ext_id, u.password_hash, u.status, u.created_at"

static const char user_insert_sql[] =
    "INSERT INTO users(login, name, role, rep_id, password_hash, status, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id";
static const char user_by_login_sql[] =
    "SELECT " USER_COLUMNS " FROM users u LEFT JOIN reps r ON r.id = u.rep_id WHERE u.login = ?";
static const char user_by_id_sql[] =
    "SELECT " USER_COLUMNS " FROM users u LEFT JOIN reps r ON r.id = u.rep_id WHERE u.id = ?";
static const char user_list_sql[] =
    "SELECT " USER_COLUMNS " FROM users u LEFT JOIN reps r ON r.id = u.rep_id ORDER BY u.login";
static const char user_password_sql[] = "UPDATE users SET password_hash = ?2 WHERE id = ?1";
static const char user_sessions_end_sql[] = "DELETE FROM sessions WHERE user_id = ?";
static const char sessions_sweep_sql[] =
    "DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen_at <= ?1 - ?2";
static const char sessions_trim_sql[] =
    "DELETE FROM sessions WHERE user_id = ?1 AND id NOT IN "
    "(SELECT id FROM sessions WHERE user_id = ?1 ORDER BY id DESC LIMIT ?2)";
static const char user_tokens_revoke_sql[] =
    "UPDATE api_tokens SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL";
static const char user_update_sql[] =
    "UPDATE users SET name = ?2, role = ?3, rep_id = ?4, status = ?5 WHERE id = ?1";
static const char user_active_admins_sql[] =
    "SELECT count(*) FROM users WHERE role = 'admin' AND status = 'active'";

static const char session_insert_sql[] =
    "INSERT INTO sessions(user_id, token_hash, csrf_hash, created_at, last_seen_at, expires_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id";
static const char session_find_sql[] =
    "SELECT id, user_id, token_hash, csrf_hash, created_at, last_seen_at, expires_at "
    "FROM sessions WHERE token_hash = ?";
static const char session_touch_sql[] = "UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1";
static const char session_delete_sql[] = "DELETE FROM sessions WHERE id = ?";

static const char token_insert_sql[] =
    "INSERT INTO api_tokens(user_id, name, token_hash, created_at, expires_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id";
#define TOKEN_COLUMNS                                                                              \
    "id, user_id, name, token_hash, created_at, expires_at, last_used_at, revoked_at"
static const char token_find_sql[] =
    "SELECT " TOKEN_COLUMNS " FROM api_tokens WHERE token_hash = ?";
static const char token_list_sql[] =
    "SELECT " TOKEN_COLUMNS " FROM api_tokens WHERE user_id = ? ORDER BY id DESC";
static const char token_revoke_sql[] =
    "UPDATE api_tokens SET revoked_at = ?3 WHERE id = ?2 AND user_id = ?1 AND revoked_at IS NULL";
static const char token_used_sql[] = "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1";

static const char account_visible_sql[] =
    "SELECT 1 FROM accounts a WHERE a.id = ?1 AND " STORE_REP_SEES_ACCOUNT("a", "?2");
static const char rep_accounts_sql[] =
    "SELECT a.id FROM accounts a WHERE " STORE_REP_SEES_ACCOUNT("a", "?1") " ORDER BY a.id";
static const char order_visible_sql[] =
    "SELECT 1 FROM orders o WHERE o.id = ?1 AND " STORE_REP_SEES_ORDER("o", "?2");
static const char request_visible_sql[] =
    "SELECT 1 FROM requests q WHERE q.id = ?1 AND " STORE_REP_SEES_REQUEST("q", "?2");

static void user_read(struct db_stmt *st, struct arena *arena, struct user *u)
{
    *u = (struct user){
        .id = db_column_int64(st, 0),
        .login = store_col_str(st, 1, arena),
        .name = store_col_str(st, 2, arena),
        .role = store_col_str(st, 3, arena),
        .rep_id = store_col_ref(st, 4),
        .rep_ext_id = store_col_str(st, 5, arena),
        .password_hash = store_col_str(st, 6, arena),
        .status = store_col_str(st, 7, arena),
        .created_at = db_column_int64(st, 8),
    };
}

/* Runs an INSERT ... RETURNING id. */
static int insert_returning(struct db_stmt *st, int64_t *id, struct sd_error *err)
{
    int rc = db_step(st, err);
    if (rc != DB_ROW)
        return rc < 0 ? rc : sd_error_set(err, SD_EDB, "insert returned no id");
    *id = db_column_int64(st, 0);
    db_reset(st);
    return 0;
}

int store_user_add(struct db *db, struct user *u, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, user_insert_sql, &st, err);
    if (rc)
        return rc;
    db_bind_text(st, 1, u->login);
    db_bind_text(st, 2, u->name);
    db_bind_text(st, 3, u->role);
    store_bind_ref(st, 4, u->rep_id);
    db_bind_text(st, 5, u->password_hash);
    db_bind_text(st, 6, u->status ? u->status : "active");
    db_bind_int64(st, 7, u->created_at);
    rc = insert_returning(st, &u->id, err);
    if (rc == SD_ECONFLICT)
        return sd_error_set(err, SD_ECONFLICT, "a user with login '%s' exists already", u->login);
    return rc;
}

static int user_one(struct db *db, struct arena *arena, const char *sql, const char *login,
                    int64_t id, struct user *out, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, sql, &st, err);
    if (rc)
        return rc;
    if (login)
        db_bind_text(st, 1, login);
    else
        db_bind_int64(st, 1, id);
    rc = db_step(st, err);
    if (rc == DB_DONE)
        return login ? sd_error_set(err, SD_ENOTFOUND, "no user with login '%s'", login)
                     : sd_error_set(err, SD_ENOTFOUND, "no user with id %lld", (long long)id);
    if (rc < 0)
        return rc;
    user_read(st, arena, out);
    db_reset(st);
    return 0;
}

int store_user_by_login(struct db *db, struct arena *arena, const char *login, struct user *out,
                        struct sd_error *err)
{
    return user_one(db, arena, user_by_login_sql, login, 0, out, err);
}

int store_user_by_id(struct db *db, struct arena *arena, int64_t id, struct user *out,
                     struct sd_error *err)
{
    return user_one(db, arena, user_by_id_sql, NULL, id, out, err);
}

int store_user_list(struct db *db, struct arena *arena, struct user **items, size_t *n,
                    struct sd_error *err)
{
    struct db_stmt *st;
    size_t cap = 0;
    *items = NULL;
    *n = 0;
    int rc = db_prepare(db, user_list_sql, &st, err);
    if (rc)
        return rc;
    while ((rc = db_step(st, err)) == DB_ROW) {
        *items = store_grow_array(arena, *items, *n, &cap, sizeof(**items));
        user_read(st, arena, &(*items)[(*n)++]);
    }
    return rc;
}

int store_user_set_password(struct db *db, int64_t id, const char *hash, int64_t at,
                            struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, user_password_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, id);
    db_bind_text(st, 2, hash);
    rc = store_run(st, err);
    if (rc)
        return rc;
    if (db_changes(db) == 0)
        return sd_error_set(err, SD_ENOTFOUND, "no user with id %lld", (long long)id);
    return store_user_end_access(db, id, at, err);
}

int store_user_end_access(struct db *db, int64_t id, int64_t at, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, user_sessions_end_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, id);
    rc = store_run(st, err);
    if (rc)
        return rc;
    rc = db_prepare(db, user_tokens_revoke_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, id);
    db_bind_int64(st, 2, at);
    return store_run(st, err);
}

int store_user_update(struct db *db, const struct user *u, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, user_update_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, u->id);
    if (u->name)
        db_bind_text(st, 2, u->name);
    else
        db_bind_null(st, 2);
    db_bind_text(st, 3, u->role);
    store_bind_ref(st, 4, u->rep_id);
    db_bind_text(st, 5, u->status);
    rc = store_run(st, err);
    if (rc == 0 && db_changes(db) == 0)
        return sd_error_set(err, SD_ENOTFOUND, "no user with id %lld", (long long)u->id);
    return rc;
}

int store_user_active_admins(struct db *db, int64_t *count, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, user_active_admins_sql, &st, err);
    if (rc)
        return rc;
    rc = db_step(st, err);
    if (rc < 0)
        return rc;
    *count = rc == DB_ROW ? db_column_int64(st, 0) : 0;
    db_reset(st);
    return 0;
}

int store_session_add(struct db *db, struct session *s, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, session_insert_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, s->user_id);
    db_bind_text(st, 2, s->token_hash);
    db_bind_text(st, 3, s->csrf_hash);
    db_bind_int64(st, 4, s->created_at);
    db_bind_int64(st, 5, s->last_seen_at);
    db_bind_int64(st, 6, s->expires_at);
    return insert_returning(st, &s->id, err);
}

int store_sessions_sweep(struct db *db, int64_t now, int64_t idle_ms, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, sessions_sweep_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, now);
    db_bind_int64(st, 2, idle_ms);
    return store_run(st, err);
}

int store_sessions_trim(struct db *db, int64_t user_id, int64_t keep, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, sessions_trim_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, user_id);
    db_bind_int64(st, 2, keep);
    return store_run(st, err);
}

int store_session_find(struct db *db, struct arena *arena, const char *token_hash,
                       struct session *out, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, session_find_sql, &st, err);
    if (rc)
        return rc;
    db_bind_text(st, 1, token_hash);
    rc = db_step(st, err);
    if (rc == DB_DONE)
        return sd_error_set(err, SD_ENOTFOUND, "no such session");
    if (rc < 0)
        return rc;
    *out = (struct session){
        .id = db_column_int64(st, 0),
        .user_id = db_column_int64(st, 1),
        .token_hash = store_col_str(st, 2, arena),
        .csrf_hash = store_col_str(st, 3, arena),
        .created_at = db_column_int64(st, 4),
        .last_seen_at = db_column_int64(st, 5),
        .expires_at = db_column_int64(st, 6),
    };
    db_reset(st);
    return 0;
}

static int run_id_at(struct db *db, const char *sql, int64_t id, int64_t at, int with_at,
                     struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, id);
    if (with_at)
        db_bind_int64(st, 2, at);
    return store_run(st, err);
}

int store_session_touch(struct db *db, int64_t id, int64_t at, struct sd_error *err)
{
    return run_id_at(db, session_touch_sql, id, at, 1, err);
}

int store_session_delete(struct db *db, int64_t id, struct sd_error *err)
{
    return run_id_at(db, session_delete_sql, id, 0, 0, err);
}

int store_token_add(struct db *db, struct api_token *t, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, token_insert_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, t->user_id);
    db_bind_text(st, 2, t->name);
    db_bind_text(st, 3, t->token_hash);
    db_bind_int64(st, 4, t->created_at);
    db_bind_opt_int64(st, 5, t->expires_at);
    return insert_returning(st, &t->id, err);
}

static void token_read(struct db_stmt *st, struct arena *arena, struct api_token *t)
{
    *t = (struct api_token){
        .id = db_column_int64(st, 0),
        .user_id = db_column_int64(st, 1),
        .name = store_col_str(st, 2, arena),
        .token_hash = store_col_str(st, 3, arena),
        .created_at = db_column_int64(st, 4),
        .expires_at = db_column_opt_int64(st, 5),
        .last_used_at = db_column_opt_int64(st, 6),
        .revoked_at = db_column_opt_int64(st, 7),
    };
}

int store_token_find(struct db *db, struct arena *arena, const char *token_hash,
                     struct api_token *out, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, token_find_sql, &st, err);
    if (rc)
        return rc;
    db_bind_text(st, 1, token_hash);
    rc = db_step(st, err);
    if (rc == DB_DONE)
        return sd_error_set(err, SD_ENOTFOUND, "no such token");
    if (rc < 0)
        return rc;
    token_read(st, arena, out);
    db_reset(st);
    return 0;
}

int store_token_list(struct db *db, struct arena *arena, int64_t user_id, struct api_token **items,
                     size_t *n, struct sd_error *err)
{
    struct db_stmt *st;
    size_t cap = 0;
    *items = NULL;
    *n = 0;
    int rc = db_prepare(db, token_list_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, user_id);
    while ((rc = db_step(st, err)) == DB_ROW) {
        *items = store_grow_array(arena, *items, *n, &cap, sizeof(**items));
        token_read(st, arena, &(*items)[(*n)++]);
    }
    return rc;
}

int store_token_revoke(struct db *db, int64_t user_id, int64_t id, int64_t at, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, token_revoke_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, user_id);
    db_bind_int64(st, 2, id);
    db_bind_int64(st, 3, at);
    rc = store_run(st, err);
    if (rc == 0 && db_changes(db) == 0)
        return sd_error_set(err, SD_ENOTFOUND, "no token with id %lld", (long long)id);
    return rc;
}

int store_token_used(struct db *db, int64_t id, int64_t at, struct sd_error *err)
{
    return run_id_at(db, token_used_sql, id, at, 1, err);
}

int store_visible_to_rep(struct db *db, enum store_entity e, int64_t id, int64_t rep_id,
                         int *visible, struct sd_error *err)
{
    const char *sql = e == ENTITY_ACCOUNT ? account_visible_sql
                      : e == ENTITY_ORDER ? order_visible_sql
                      : e == ENTITY_REQUEST ? request_visible_sql
                                            : NULL;
    if (!sql)
        return sd_error_set(err, SD_EINVAL, "no row-level access rule for %s",
                            store_entity_name(e));
    struct db_stmt *st;
    int rc = db_prepare(db, sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, id);
    db_bind_int64(st, 2, rep_id);
    rc = db_step(st, err);
    if (rc < 0)
        return rc;
    *visible = rc == DB_ROW;
    if (rc == DB_ROW)
        db_reset(st);
    return 0;
}

static const char rep_open_orders_sql[] =
    "SELECT o.id FROM orders o WHERE o.status IN ('draft', 'pending', 'confirmed', 'on_hold') "
    "AND " STORE_REP_SEES_ORDER("o", "?1") " ORDER BY o.id";

/* The ids one statement answers for rep `rep_id` (parameter 1), in the arena. */
static int rep_ids(struct db *db, const char *sql, struct arena *arena, int64_t rep_id,
                   int64_t **ids, size_t *n, struct sd_error *err)
{
    struct db_stmt *st;
    size_t cap = 0;
    *ids = NULL;
    *n = 0;
    int rc = db_prepare(db, sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, rep_id);
    while ((rc = db_step(st, err)) == DB_ROW) {
        *ids = store_grow_array(arena, *ids, *n, &cap, sizeof(**ids));
        (*ids)[(*n)++] = db_column_int64(st, 0);
    }
    return rc;
}

int store_rep_open_orders(struct db *db, struct arena *arena, int64_t rep_id, int64_t **ids,
                          size_t *n, struct sd_error *err)
{
    return rep_ids(db, rep_open_orders_sql, arena, rep_id, ids, n, err);
}

int store_rep_visible_accounts(struct db *db, struct arena *arena, int64_t rep_id,
                               int64_t **ids, size_t *n, struct sd_error *err)
{
    return rep_ids(db, rep_accounts_sql, arena, rep_id, ids, n, err);
}
