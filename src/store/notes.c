/* SPDX-License-Identifier: MIT */
/* notes: free-text notes on orders, accounts and requests, oldest first. */
#include "base/json.h"
#include "store/store-int.h"
#include "base/banned.h"

static const char note_insert_sql[] =
    "INSERT INTO notes(entity, entity_id, author_user_id, author, body, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?) RETURNING id";
static const char notes_list_sql[] =
    "SELECT id, author_user_id, author, body, created_at FROM notes "
    "WHERE entity = ? AND entity_id = ? ORDER BY created_at, id";

int store_note_add(struct db *db, struct note *n, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, note_insert_sql, &st, err);
    if (rc)
        return rc;
    db_bind_text(st, 1, n->entity);
    db_bind_int64(st, 2, n->entity_id);
    store_bind_ref(st, 3, n->author_user_id);
    db_bind_text(st, 4, n->author);
    db_bind_text(st, 5, n->body);
    db_bind_int64(st, 6, n->created_at);
    rc = db_step(st, err);
    if (rc < 0)
        return rc;
    if (rc != DB_ROW)
        return sd_error_set(err, SD_EDB, "insert into notes returned no id");
    n->id = db_column_int64(st, 0);
    db_reset(st);
    return store_change_append(db, "note", n->id, "insert", err);
}

int store_notes_list(struct db *db, struct arena *arena, const char *entity, int64_t entity_id,
                     struct note **items, size_t *n, struct sd_error *err)
{
    struct db_stmt *st;
    size_t cap = 0;
    *items = NULL;
    *n = 0;
    int rc = db_prepare(db, notes_list_sql, &st, err);
    if (rc)
        return rc;
    db_bind_text(st, 1, entity);
    db_bind_int64(st, 2, entity_id);
    while ((rc = db_step(st, err)) == DB_ROW) {
        *items = store_grow_array(arena, *items, *n, &cap, sizeof(**items));
        struct note *x = &(*items)[(*n)++];
        x->id = db_column_int64(st, 0);
        x->entity = entity;
        x->entity_id = entity_id;
        x->author_user_id = store_col_ref(st, 1);
        x->author = store_col_str(st, 2, arena);
        x->body = store_col_str(st, 3, arena);
        x->created_at = db_column_int64(st, 4);
    }
    return rc;
}
