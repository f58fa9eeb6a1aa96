/* SPDX-License-Identifier: MIT */
/*
 * common: the store's shared machinery: opening a current database, the
 * change_log, settings, external id resolution, the generic upsert and row
 * counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/date.h"
#include "base/xalloc.h"
#include "store/store-int.h"
#include "base/banned.h"

static const char *const entity_names[ENTITY_COUNT] = {
    [ENTITY_TEAM] = "team",       [ENTITY_REP] = "rep",
    [ENTITY_ACCOUNT] = "account", [ENTITY_CONTACT] = "contact",
    [ENTITY_PRODUCT] = "product", [ENTITY_ORDER] = "order",
    [ENTITY_INVOICE] = "invoice", [ENTITY_OPPORTUNITY] = "opportunity",
    [ENTITY_REQUEST] = "request",
};

/* By external id alone, and by source + external id, per entity. */
static const char *const resolve_sql[ENTITY_COUNT][2] = {
    [ENTITY_TEAM] = {"SELECT id FROM teams WHERE ext_id = ? LIMIT 2",
                     "SELECT id FROM teams WHERE ext_id = ? AND source = ?"},
    [ENTITY_REP] = {"SELECT id FROM reps WHERE ext_id = ? LIMIT 2",
                    "SELECT id FROM reps WHERE ext_id = ? AND source = ?"},
    [ENTITY_ACCOUNT] = {"SELECT id FROM accounts WHERE ext_id = ? LIMIT 2",
                        "SELECT id FROM accounts WHERE ext_id = ? AND source = ?"},
    [ENTITY_CONTACT] = {"SELECT id FROM contacts WHERE ext_id = ? LIMIT 2",
                        "SELECT id FROM contacts WHERE ext_id = ? AND source = ?"},
    [ENTITY_PRODUCT] = {"SELECT id FROM products WHERE ext_id = ? LIMIT 2",
                        "SELECT id FROM products WHERE ext_id = ? AND source = ?"},
    [ENTITY_ORDER] = {"SELECT id FROM orders WHERE ext_id = ? LIMIT 2",
                      "SELECT id FROM orders WHERE ext_id = ? AND source = ?"},
    [ENTITY_INVOICE] = {"SELECT id FROM invoices WHERE ext_id = ? LIMIT 2",
                        "SELECT id FROM invoices WHERE ext_id = ? AND source = ?"},
    [ENTITY_OPPORTUNITY] = {"SELECT id FROM opportunities WHERE ext_id = ? LIMIT 2",
                            "SELECT id FROM opportunities WHERE ext_id = ? AND source = ?"},
    [ENTITY_REQUEST] = {"SELECT id FROM requests WHERE ext_id = ? LIMIT 2",
                        "SELECT id FROM requests WHERE ext_id = ? AND source = ?"},
};

/* Per entity: any row from a source?  The next free id.  change_log rows for an id range. */
#define BULK_SQL(table, name)                                                                 \
    {"SELECT 1 FROM " table " WHERE source = ? LIMIT 1",                                      \
     "SELECT coalesce(max(id), 0) + 1 FROM " table,                                           \
     "INSERT INTO change_log(entity, entity_id, op, at) SELECT '" name "', id, 'insert', ? "   \
     "FROM " table " WHERE id BETWEEN ? AND ? ORDER BY id"}
static const char *const bulk_sql[ENTITY_COUNT][3] = {
    [ENTITY_TEAM] = BULK_SQL("teams", "team"),
    [ENTITY_REP] = BULK_SQL("reps", "rep"),
    [ENTITY_ACCOUNT] = BULK_SQL("accounts", "account"),
    [ENTITY_CONTACT] = BULK_SQL("contacts", "contact"),
    [ENTITY_PRODUCT] = BULK_SQL("products", "product"),
    [ENTITY_ORDER] = BULK_SQL("orders", "order"),
    [ENTITY_INVOICE] = BULK_SQL("invoices", "invoice"),
    [ENTITY_OPPORTUNITY] = BULK_SQL("opportunities", "opportunity"),
    [ENTITY_REQUEST] = BULK_SQL("requests", "request"),
};
enum { BULK_ANY_FROM_SOURCE, BULK_NEXT_ID, BULK_CHANGES };

static const char change_sql[] =
    "INSERT INTO change_log(entity, entity_id, op, at) VALUES (?, ?, ?, ?)";
static const char change_count_sql[] = "SELECT count(*) FROM change_log";
static const char setting_get_sql[] = "SELECT value FROM settings WHERE key = ?";
/* A few dozen rows at most: read whole rather than trusting a collation with a key range. */
static const char settings_prefixed_sql[] =
    "SELECT key, value FROM settings WHERE substr(key, 1, length(?1)) = ?1";
static const char setting_set_sql[] =
    "INSERT INTO settings(key, value) VALUES (?, ?) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value";

const char *store_entity_name(enum store_entity e)
{
    return entity_names[e];
}

int store_open(struct db **out, const char *url, int flags, struct sd_error *err)
{
    struct db *db = NULL;
    int version = 0;
    int rc = db_open(&db, url, flags, err);
    if (rc == 0)
        rc = db_schema_version(db, &version, err);
    if (rc == 0 && version < db_schema_latest())
        rc = sd_error_set(err, SD_ENOTFOUND,
                          version == 0 ? "database '%s' is not set up: run 'salesdesk init'"
                                       : "database '%s' needs an upgrade: run 'salesdesk init'",
                          url);
    if (rc) {
        db_close(db);
        return rc;
    }
    *out = db;
    return 0;
}

int store_row_by_id(struct db *db, const char *sql, int64_t id, const char *what,
                    struct db_stmt **st, struct sd_error *err)
{
    int rc = db_prepare(db, sql, st, err);
    if (rc)
        return rc;
    db_bind_int64(*st, 1, id);
    rc = db_step(*st, err);
    if (rc == DB_ROW)
        return 0;
    if (rc == DB_DONE)
        return sd_error_set(err, SD_ENOTFOUND, "no %s with internal id %lld", what, (long long)id);
    return rc;
}

int store_run(struct db_stmt *st, struct sd_error *err)
{
    int rc = db_step(st, err);
    if (rc == DB_ROW) {
        db_reset(st);
        return 0;
    }
    return rc;
}

const char *store_col_str(struct db_stmt *st, int col, struct arena *arena)
{
    if (db_column_is_null(st, col))
        return NULL;
    const char *s = db_column_text(st, col);
    char *copy = arena_strndup(arena, s, strlen(s));
    if (!copy)
        abort(); /* store reads use unbounded arenas */
    return copy;
}

void store_bind_ref(struct db_stmt *st, int idx, int64_t id)
{
    if (id > 0)
        db_bind_int64(st, idx, id);
    else
        db_bind_null(st, idx);
}

int64_t store_col_ref(struct db_stmt *st, int col)
{
    return db_column_is_null(st, col) ? 0 : db_column_int64(st, col);
}

void *store_grow_array(struct arena *arena, void *items, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return items;
    size_t new_cap = *cap ? *cap * 2 : 8;
    void *bigger = arena_alloc(arena, new_cap * size);
    if (!bigger)
        abort(); /* store reads use unbounded arenas */
    if (n)
        memcpy(bigger, items, n * size);
    *cap = new_cap;
    return bigger;
}

int store_check_key(const char *entity, const char *source, const char *ext_id,
                    struct sd_error *err)
{
    if (!source)
        return sd_error_set(err, SD_EINVAL, "%s without a source", entity);
    if (!ext_id || !*ext_id)
        return sd_error_set(err, SD_EINVAL, "%s without an id", entity);
    return 0;
}

int store_change_append(struct db *db, const char *entity, int64_t id, const char *op,
                        struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, change_sql, &st, err);
    if (rc)
        return rc;
    db_bind_text(st, 1, entity);
    db_bind_int64(st, 2, id);
    db_bind_text(st, 3, op);
    db_bind_int64(st, 4, ts_now_ms());
    return store_run(st, err);
}

static int count_rows(struct db *db, const char *sql, int64_t *count, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, sql, &st, err);
    if (rc == 0)
        rc = db_step(st, err);
    if (rc < 0)
        return rc;
    *count = db_column_int64(st, 0);
    db_reset(st);
    return 0;
}

int store_change_count(struct db *db, int64_t *count, struct sd_error *err)
{
    return count_rows(db, change_count_sql, count, err);
}

int store_setting_get(struct db *db, struct arena *arena, const char *key, const char **value,
                      struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, setting_get_sql, &st, err);
    if (rc)
        return rc;
    db_bind_text(st, 1, key);
    rc = db_step(st, err);
    if (rc < 0)
        return rc;
    *value = rc == DB_ROW ? store_col_str(st, 0, arena) : NULL;
    db_reset(st);
    return 0;
}

int store_settings_prefixed(struct db *db, const char *prefix, store_setting_fn *fn, void *ctx,
                            struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, settings_prefixed_sql, &st, err);
    if (rc)
        return rc;
    db_bind_text(st, 1, prefix);
    while ((rc = db_step(st, err)) == DB_ROW) {
        int stop = fn(ctx, db_column_text(st, 0), db_column_text(st, 1));
        if (stop) {
            db_reset(st);
            return stop;
        }
    }
    return rc;
}

int store_demo_today(struct db *db, int32_t *day, int *set, struct sd_error *err)
{
    struct arena a;
    const char *value = NULL;
    struct sd_error why = {0};
    arena_init(&a, 0);
    int rc = store_setting_get(db, &a, "demo_today", &value, err);
    *set = 0;
    if (rc == 0 && value) {
        if (date_parse(value, strlen(value), day, &why))
            rc = sd_error_set(err, SD_EINVAL, "setting demo_today: %s", why.message);
        else
            *set = 1;
    }
    arena_release(&a);
    return rc;
}

int store_desk_now(struct db *db, int64_t *now, struct sd_error *err)
{
    int32_t day = 0;
    int set = 0;
    int rc = store_demo_today(db, &day, &set, err);
    if (rc == 0)
        *now = set ? (int64_t)day * 86400000 + STORE_DEMO_NOW_HOUR * 3600000LL : ts_now_ms();
    return rc;
}

int store_fiscal_start(struct db *db)
{
    struct arena a;
    const char *value = NULL;
    arena_init(&a, 0);
    int rc = store_setting_get(db, &a, "fiscal_year_start_month", &value, NULL);
    long month = rc == 0 && value ? strtol(value, NULL, 10) : 1;
    arena_release(&a);
    return month >= 1 && month <= 12 ? (int)month : 1;
}

int store_setting_set(struct db *db, const char *key, const char *value, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, setting_set_sql, &st, err);
    if (rc)
        return rc;
    db_bind_text(st, 1, key);
    db_bind_text(st, 2, value);
    return store_run(st, err);
}

/* Splits "SOURCE:EXT" at the first ':' when the text has one. */
static int resolve_split(const char *text, char *source, size_t cap, const char **ext)
{
    const char *colon = strchr(text, ':');
    if (!colon)
        return 0;
    size_t len = (size_t)(colon - text);
    if (len >= cap)
        return 0;
    memcpy(source, text, len);
    source[len] = '\0';
    *ext = colon + 1;
    return 1;
}

static int resolve_query(struct db *db, enum store_entity e, const char *ext,
                         const char *source, int64_t *id, int *matches, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, resolve_sql[e][source ? 1 : 0], &st, err);
    if (rc)
        return rc;
    db_bind_text(st, 1, ext);
    if (source)
        db_bind_text(st, 2, source);
    *matches = 0;
    while ((rc = db_step(st, err)) == DB_ROW) {
        *id = db_column_int64(st, 0);
        (*matches)++;
    }
    return rc;
}

int store_lookup(struct db *db, enum store_entity e, const char *source, const char *ext_id,
                 int64_t *id, struct sd_error *err)
{
    int matches = 0;
    int rc = resolve_query(db, e, ext_id, source, id, &matches, err);
    if (rc == 0 && matches == 0)
        rc = sd_error_set(err, SD_ENOTFOUND, "no %s '%s' from source '%s'", entity_names[e], ext_id,
                          source);
    return rc;
}

int store_resolve(struct db *db, enum store_entity e, const char *text, int64_t *id,
                  struct sd_error *err)
{
    int matches = 0;
    int rc = resolve_query(db, e, text, NULL, id, &matches, err);
    if (rc == 0 && matches == 0) {
        char source[64];
        const char *ext;
        if (resolve_split(text, source, sizeof(source), &ext))
            rc = resolve_query(db, e, ext, source, id, &matches, err);
    }
    if (rc)
        return rc;
    if (matches == 0)
        return sd_error_set(err, SD_ENOTFOUND, "no %s with id '%s'", entity_names[e], text);
    if (matches > 1)
        return sd_error_set(err, SD_ECONFLICT,
                            "%s id '%s' exists in several sources: write SOURCE:%s",
                            entity_names[e], text, text);
    return 0;
}

static int find_existing(struct db *db, const struct store_table *t, const char *source,
                         const char *ext_id, int64_t *id, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, t->find_sql, &st, err);
    if (rc)
        return rc;
    db_bind_text(st, 1, source);
    db_bind_text(st, 2, ext_id);
    rc = db_step(st, err);
    if (rc < 0)
        return rc;
    *id = rc == DB_ROW ? db_column_int64(st, 0) : 0;
    db_reset(st);
    return 0;
}

static int insert_row(struct db *db, const struct store_table *t, store_bind_fn *bind,
                      const void *obj, int64_t *id, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, t->insert_sql, &st, err);
    if (rc)
        return rc;
    bind(st, obj);
    rc = db_step(st, err);
    if (rc < 0)
        return rc;
    if (rc != DB_ROW)
        return sd_error_set(err, SD_EDB, "insert into %s returned no id", t->entity);
    *id = db_column_int64(st, 0);
    db_reset(st);
    return store_change_append(db, t->entity, *id, "insert", err);
}

static int update_row(struct db *db, const struct store_table *t, store_bind_fn *bind,
                      const void *obj, int64_t id, enum store_write *result,
                      struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, t->update_sql, &st, err);
    if (rc)
        return rc;
    bind(st, obj);
    db_bind_int64(st, t->n_fields + 1, id);
    rc = store_run(st, err);
    if (rc)
        return rc;
    *result = db_changes(db) > 0 ? STORE_UPDATED : STORE_UNCHANGED;
    if (*result == STORE_UNCHANGED)
        return 0;
    return store_change_append(db, t->entity, id, "update", err);
}

int store_upsert(struct db *db, const struct store_table *t, const char *source,
                 const char *ext_id, store_bind_fn *bind, const void *obj, int64_t *id,
                 enum store_write *result, struct sd_error *err)
{
    int rc = store_check_key(t->entity, source, ext_id, err);
    if (rc == 0)
        rc = find_existing(db, t, source, ext_id, id, err);
    if (rc)
        return rc;
    if (*id == 0) {
        *result = STORE_INSERTED;
        rc = insert_row(db, t, bind, obj, id, err);
    } else {
        rc = update_row(db, t, bind, obj, *id, result, err);
    }
    if (rc)
        sd_error_prefix(err, "%s '%s'", t->entity, ext_id);
    return rc;
}

int store_counts(struct db *db, struct store_counts *out, struct sd_error *err)
{
    static const char *const entity_sql[ENTITY_COUNT] = {
        "SELECT count(*) FROM teams",    "SELECT count(*) FROM reps",
        "SELECT count(*) FROM accounts", "SELECT count(*) FROM contacts",
        "SELECT count(*) FROM products", "SELECT count(*) FROM orders",
        "SELECT count(*) FROM invoices", "SELECT count(*) FROM opportunities",
        "SELECT count(*) FROM requests",
    };
    struct {
        const char *sql;
        int64_t *into;
    } extra[] = {
        {"SELECT count(*) FROM order_lines", &out->order_lines},
        {"SELECT count(*) FROM stock", &out->stock_levels},
        {"SELECT count(*) FROM opportunity_stages", &out->opportunity_stages},
        {"SELECT count(*) FROM quotas", &out->quotas},
        {"SELECT count(*) FROM fx_rates", &out->fx_rates},
        {"SELECT count(*) FROM demo_planted", &out->planted},
    };
    int rc = 0;
    for (int e = 0; rc == 0 && e < ENTITY_COUNT; e++)
        rc = count_rows(db, entity_sql[e], &out->entities[e], err);
    for (size_t i = 0; rc == 0 && i < sizeof(extra) / sizeof(extra[0]); i++)
        rc = count_rows(db, extra[i].sql, extra[i].into, err);
    return rc;
}

int store_bulk_possible(struct db *db, enum store_entity e, const char *source, int *possible,
                        struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, bulk_sql[e][BULK_ANY_FROM_SOURCE], &st, err);
    if (rc)
        return rc;
    db_bind_text(st, 1, source);
    rc = db_step(st, err);
    if (rc < 0)
        return rc;
    *possible = rc == DB_DONE;
    db_reset(st);
    return 0;
}

int store_bulk_next_id(struct db *db, enum store_entity e, int64_t *next, struct sd_error *err)
{
    return count_rows(db, bulk_sql[e][BULK_NEXT_ID], next, err);
}

int store_bulk_changes(struct db *db, enum store_entity e, int64_t first, int64_t last,
                       struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, bulk_sql[e][BULK_CHANGES], &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, ts_now_ms());
    db_bind_int64(st, 2, first);
    db_bind_int64(st, 3, last);
    return store_run(st, err);
}
