/* SPDX-License-Identifier: MIT */
/*
 * audit: the audit log. Every write a person makes (a request created, its
 * status or assignee changed, a note) appends one row per changed row, in the
 * same transaction as the write: who (user id once logins exist, and the
 * actor text), when, the action, the row, and the changed fields before and
 * after as JSON objects.
 */
#include "base/json.h"
#include "store/store-int.h"
#include "base/banned.h"

static const char audit_insert_sql[] =
    "INSERT INTO audit_log(at, user_id, actor, action, entity, entity_id, before_json, "
    "after_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

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
