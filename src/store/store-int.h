/* SPDX-License-Identifier: MIT */
/*
 * store-int: helpers the store's entity files share: the generic upsert by
 * (source, ext_id), reading one row by internal id, column readers that copy
 * into an arena, and the rule of what a rep may see.
 */
#ifndef SD_STORE_STORE_INT_H
#define SD_STORE_STORE_INT_H

#include "store/store.h"

/*
 * SQL of one entity table for the generic upsert. Parameters 1..n_fields are
 * bound by `bind` in the same order in insert_sql and update_sql; update_sql
 * takes the row id as parameter n_fields + 1 and must only change the row when
 * a field differs (WHERE id = ? AND (a IS DISTINCT FROM ?1 OR ...)), so that
 * db_changes tells updated from unchanged. insert_sql ends in RETURNING id.
 * find_sql takes (source, ext_id) and answers the id.
 */
struct store_table {
    const char *entity;
    const char *find_sql;
    const char *insert_sql;
    const char *update_sql;
    int n_fields;
};

typedef void store_bind_fn(struct db_stmt *st, const void *obj);

int store_upsert(struct db *db, const struct store_table *t, const char *source,
                 const char *ext_id, store_bind_fn *bind, const void *obj, int64_t *id,
                 enum store_write *result, struct sd_error *err);

/*
 * Prepares `sql`, binds `id` to ?1 and steps to its row: 0 with *st on it
 * (read the columns, then db_reset), or SD_ENOTFOUND "no WHAT with internal
 * id N" when there is none.
 */
int store_row_by_id(struct db *db, const char *sql, int64_t id, const char *what,
                    struct db_stmt **st, struct sd_error *err);

/* Runs a statement that returns no rows (bindings done); 0 or the error. */
int store_run(struct db_stmt *st, struct sd_error *err);

/* Column readers: NULL for SQL NULL, else a copy in `arena` (aborts when it is full). */
const char *store_col_str(struct db_stmt *st, int col, struct arena *arena);

/* Checks that an external key is present; SD_EINVAL naming the entity otherwise. */
int store_check_key(const char *entity, const char *source, const char *ext_id,
                    struct sd_error *err);

/* A zero id (no reference) binds NULL. */
void store_bind_ref(struct db_stmt *st, int idx, int64_t id);
/* NULL column → 0 (no reference). */
int64_t store_col_ref(struct db_stmt *st, int col);

/*
 * Arrays read from the store live in the arena: returns `items`, or a copy
 * twice as large when n == *cap (updating *cap), so callers append at [n].
 */
void *store_grow_array(struct arena *arena, void *items, size_t n, size_t *cap, size_t size);

/*
 * Row-level access for a rep, defined once: SQL conditions that hold when
 * rep parameter P (e.g. "?9") may see the row. Every visibility check and
 * every list a rep can call is built from these. A rep sees the accounts they
 * own or manage; the orders of those accounts and the orders they took; the
 * requests of those accounts, the requests on orders they see, and the
 * requests assigned to them. A = the table alias of the row.
 */
#define STORE_REP_SEES_ACCOUNT(A, P) "(" A ".owner_rep_id = " P " OR " A ".account_manager_id = " P ")"
#define STORE_REP_SEES_ORDER(A, P)                                                                 \
    "(" A ".rep_id = " P " OR EXISTS (SELECT 1 FROM accounts rsa WHERE rsa.id = " A                \
    ".account_id AND " STORE_REP_SEES_ACCOUNT("rsa", P) "))"
#define STORE_REP_SEES_REQUEST(A, P)                                                               \
    "(" A ".assignee_rep_id = " P " OR EXISTS (SELECT 1 FROM accounts rra WHERE rra.id = " A       \
    ".account_id AND " STORE_REP_SEES_ACCOUNT("rra", P) ") OR EXISTS (SELECT 1 FROM orders rro "  \
    "WHERE rro.id = " A ".order_id AND rro.rep_id = " P "))"

#endif
