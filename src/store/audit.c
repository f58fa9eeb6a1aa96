/* SPDX-License-Identifier: MIT */
/*
 * audit: the audit log. Every write a person makes (a request created, its
 * status or assignee changed, a note, a user or token changed) appends one
 * row per changed row, in the same transaction as the write: who (the user
 * id for API writes, and the actor text), when, the action, the row, and the
 * changed fields before and after as JSON objects. Read back newest first,
 * page by page, for the API's audit route.
 */
#include "base/json.h"
#include "store/store-int.h"
#include "base/banned.h"

static const char audit_insert_sql[] =
    "INSERT INTO audit_log(at, user_id, actor, action, entity, entity_id, before_json, "
    "after_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

static const char audit_list_sql[] =
    "SELECT a.id, a.at, a.user_id, u.login, a.actor, a.action, a.entity, a.entity_id, "
    "a.before_json, a.after_json FROM audit_log a LEFT JOIN users u ON u.id = a.user_id "
    "WHERE (?1 = 0 OR a.user_id = ?1) AND (?2 IS NULL OR a.entity = ?2) "
    "AND (?3 = 0 OR a.entity_id = ?3) AND (?4 IS NULL OR a.at >= ?4) "
    "AND (?5 IS NULL OR a.at <= ?5) AND (?6 = 0 OR a.id < ?6) ORDER BY a.id DESC LIMIT ?7";

static void bind_opt_text(struct db_stmt *st, int idx, const char *s)
{
    if (s)
        db_bind_text(st, idx, s);
    else
        db_bind_null(st, idx);
}

int store_audit_append(struct db *db, const struct audit_entry *a, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, audit_insert_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, a->at);
    store_bind_ref(st, 2, a->user_id);
    bind_opt_text(st, 3, a->actor);
    db_bind_text(st, 4, a->action);
    db_bind_text(st, 5, a->entity);
    store_bind_ref(st, 6, a->entity_id);
    bind_opt_text(st, 7, a->before_json);
    bind_opt_text(st, 8, a->after_json);
    return store_run(st, err);
}

static void audit_read(struct db_stmt *st, struct arena *arena, struct audit_row *r)
{
    r->id = db_column_int64(st, 0);
    r->entry = (struct audit_entry){
        .at = db_column_int64(st, 1),
        .user_id = store_col_ref(st, 2),
        .actor = store_col_str(st, 4, arena),
        .action = store_col_str(st, 5, arena),
        .entity = store_col_str(st, 6, arena),
        .entity_id = store_col_ref(st, 7),
        .before_json = store_col_str(st, 8, arena),
        .after_json = store_col_str(st, 9, arena),
    };
    r->login = store_col_str(st, 3, arena);
}

int store_audit_list(struct db *db, struct arena *arena, const struct audit_filter *f,
                     struct audit_row **items, size_t *n, int64_t *next_cursor,
                     struct sd_error *err)
{
    struct db_stmt *st;
    size_t cap = 0;
    *items = NULL;
    *n = 0;
    *next_cursor = 0;
    if (f->limit < 1 || f->limit > STORE_LIST_MAX)
        return sd_error_set(err, SD_EINVAL, "limit must be 1..%d", STORE_LIST_MAX);
    int rc = db_prepare(db, audit_list_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, f->user_id);
    bind_opt_text(st, 2, f->entity);
    db_bind_int64(st, 3, f->entity_id);
    db_bind_opt_int64(st, 4, f->from);
    db_bind_opt_int64(st, 5, f->to);
    db_bind_int64(st, 6, f->before_id);
    db_bind_int64(st, 7, f->limit + 1); /* one more tells whether a next page exists */
    while ((rc = db_step(st, err)) == DB_ROW) {
        if (*n == (size_t)f->limit) {
            *next_cursor = (*items)[*n - 1].id;
            db_reset(st);
            return 0;
        }
        *items = store_grow_array(arena, *items, *n, &cap, sizeof(**items));
        audit_read(st, arena, &(*items)[(*n)++]);
    }
    return rc;
}
