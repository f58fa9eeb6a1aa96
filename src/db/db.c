/* SPDX-License-Identifier: MIT */
/*
 * db: the driver-neutral half of the database layer: driver selection by URL,
 * the per-connection statement cache, transactions and savepoints.
 */
#include "db/db-int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "base/banned.h"

/* PostgreSQL first: SQLite takes any path, and "postgres:key=value" has no "://". */
static const struct db_ops *const drivers[] = {&db_postgres_ops, &db_sqlite_ops};

int db_open(struct db **out, const char *url, int flags, struct sd_error *err)
{
    *out = NULL;
    if (!url || !*url)
        return sd_error_set(err, SD_EINVAL, "no database given (use --db or SALESDESK_DB)");
    for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
        const char *target = NULL;
        if (drivers[i]->accepts(url, &target))
            return drivers[i]->open(out, target, flags, err);
    }
    return sd_error_set(err, SD_EINVAL, "'%s' is not a database URL", url);
}

const char *db_url_file(const char *url)
{
    const char *target = NULL;
    if (db_postgres_ops.accepts(url, &target) || !db_sqlite_ops.accepts(url, &target))
        return NULL;
    return target;
}

void db_common_init(struct db *db, const struct db_ops *ops, const char *url)
{
    db->ops = ops;
    db->url = xstrdup(url);
    db->tx_depth = 0;
    db->cache = NULL;
    db->cache_cap = 0;
    db->cache_count = 0;
    strbuf_init(&db->suspended, 0);
}

void db_common_release(struct db *db)
{
    for (size_t i = 0; i < db->cache_cap; i++) {
        if (db->cache[i].stmt)
            db->ops->finalize(db->cache[i].stmt);
    }
    free(db->cache);
    free(db->url);
    strbuf_release(&db->suspended);
    db->cache = NULL;
    db->url = NULL;
}

void db_close(struct db *db)
{
    if (!db)
        return;
    if (db->tx_depth)
        db_rollback(db);
    db->ops->close(db);
}

const char *db_driver_name(const struct db *db)
{
    return db->ops->name;
}

int db_exec(struct db *db, const char *sql, struct sd_error *err)
{
    return db->ops->exec(db, sql, err);
}

static size_t cache_index(const struct db *db, const char *key)
{
    uintptr_t h = (uintptr_t)key;
    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15u;
    size_t mask = db->cache_cap - 1;
    size_t i = (size_t)(h >> 32) & mask;
    while (db->cache[i].key && db->cache[i].key != key)
        i = (i + 1) & mask;
    return i;
}

static void cache_grow(struct db *db)
{
    struct db_stmt_cache_slot *old = db->cache;
    size_t old_cap = db->cache_cap;
    db->cache_cap = old_cap ? old_cap * 2 : 64;
    db->cache = xcalloc(db->cache_cap, sizeof(*db->cache));
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].key)
            db->cache[cache_index(db, old[i].key)] = old[i];
    }
    free(old);
}

int db_prepare(struct db *db, const char *sql, struct db_stmt **out, struct sd_error *err)
{
    if ((db->cache_count + 1) * 2 > db->cache_cap)
        cache_grow(db);
    size_t i = cache_index(db, sql);
    if (db->cache[i].key) {
        *out = db->cache[i].stmt;
        db->ops->reset(*out); /* as documented: reset, no bindings, whatever the last user left */
        return 0;
    }
    struct db_stmt *st = NULL;
    int rc = db->ops->prepare(db, sql, &st, err);
    if (rc)
        return rc;
    st->db = db;
    st->sql_key = sql;
    db->cache[i].key = sql;
    db->cache[i].stmt = st;
    db->cache_count++;
    *out = st;
    return 0;
}

void db_bind_int64(struct db_stmt *st, int idx, int64_t v)
{
    st->db->ops->bind_int64(st, idx, v);
}

void db_bind_text_n(struct db_stmt *st, int idx, const char *s, size_t len)
{
    if (!s)
        st->db->ops->bind_null(st, idx);
    else
        st->db->ops->bind_text(st, idx, s, len);
}

void db_bind_text(struct db_stmt *st, int idx, const char *s)
{
    db_bind_text_n(st, idx, s, s ? strlen(s) : 0);
}

void db_bind_null(struct db_stmt *st, int idx)
{
    st->db->ops->bind_null(st, idx);
}

void db_bind_opt_int64(struct db_stmt *st, int idx, int64_t v)
{
    if (v == INT64_MIN)
        db_bind_null(st, idx);
    else
        db_bind_int64(st, idx, v);
}

void db_bind_opt_date(struct db_stmt *st, int idx, int32_t day)
{
    if (day == INT32_MIN)
        db_bind_null(st, idx);
    else
        db_bind_int64(st, idx, day);
}

int db_step(struct db_stmt *st, struct sd_error *err)
{
    int rc = st->db->ops->step(st, err);
    if (rc != DB_ROW)
        st->db->ops->reset(st);
    return rc;
}

void db_reset(struct db_stmt *st)
{
    st->db->ops->reset(st);
}

int db_column_is_null(struct db_stmt *st, int col)
{
    return st->db->ops->column_is_null(st, col);
}

int64_t db_column_int64(struct db_stmt *st, int col)
{
    return st->db->ops->column_int64(st, col);
}

int64_t db_column_opt_int64(struct db_stmt *st, int col)
{
    return db_column_is_null(st, col) ? INT64_MIN : db_column_int64(st, col);
}

int32_t db_column_opt_date(struct db_stmt *st, int col)
{
    return db_column_is_null(st, col) ? INT32_MIN : (int32_t)db_column_int64(st, col);
}

const char *db_column_text(struct db_stmt *st, int col)
{
    const char *s = st->db->ops->column_text(st, col);
    return s ? s : "";
}

char *db_column_strdup(struct db_stmt *st, int col)
{
    if (db_column_is_null(st, col))
        return NULL;
    return xstrdup(db_column_text(st, col));
}

int db_prepare_own(struct db *db, const char *sql, struct db_stmt **out, struct sd_error *err)
{
    int rc = db->ops->prepare(db, sql, out, err);
    if (rc == 0) {
        (*out)->db = db;
        (*out)->sql_key = NULL;
    }
    return rc;
}

void db_finalize(struct db_stmt *st)
{
    if (st)
        st->db->ops->finalize(st);
}

int db_column_count(struct db_stmt *st)
{
    return st->db->ops->column_count(st);
}

const char *db_column_name(struct db_stmt *st, int col)
{
    return st->db->ops->column_name(st, col);
}

enum db_kind db_column_kind(struct db_stmt *st, int col)
{
    return st->db->ops->column_kind(st, col);
}

int db_table_names(struct db *db, struct strbuf *names, struct sd_error *err)
{
    struct db_stmt *st = NULL;
    int rc = db_prepare(db, db->ops->table_names_sql, &st, err);
    while (rc == 0 && (rc = db_step(st, err)) == DB_ROW) {
        const char *name = db_column_text(st, 0);
        if (strcmp(name, "schema_version") != 0)
            strbuf_addf(names, "%s\n", name);
        rc = 0;
    }
    return rc == DB_DONE ? 0 : rc;
}

int db_reseed_ids(struct db *db, struct sd_error *err)
{
    const char *sql = db->ops->dialect("RESEED_IDS");
    return sql && *sql ? db_exec(db, sql, err) : 0;
}

int64_t db_changes(struct db *db)
{
    return db->ops->changes(db);
}

/*
 * Runs a transaction statement (BEGIN, COMMIT, ROLLBACK), prepared once per
 * connection where the driver allows it: a server runs one read transaction
 * per request, and parsing "BEGIN" and "ROLLBACK" again each time was a
 * visible share of a look-up on SQLite.
 */
static int tx_statement(struct db *db, const char *sql, struct sd_error *err)
{
    if (!db->ops->tx_prepared)
        return db_exec(db, sql, err);
    struct db_stmt *st;
    int rc = db_prepare(db, sql, &st, err);
    if (rc == 0)
        rc = db_step(st, err);
    return rc < 0 ? rc : 0;
}

int db_begin(struct db *db, struct sd_error *err)
{
    if (db->tx_depth)
        return sd_error_set(err, SD_ERR, "a transaction is already open");
    db->retryable = 0;
    int rc = tx_statement(db, db->ops->begin_sql, err);
    if (rc == 0)
        db->tx_depth = 1;
    return rc;
}

int db_begin_read(struct db *db, struct sd_error *err)
{
    if (db->tx_depth)
        return sd_error_set(err, SD_ERR, "a transaction is already open");
    db->retryable = 0;
    int rc = tx_statement(db, db->ops->begin_read_sql, err);
    if (rc == 0)
        db->tx_depth = 1;
    return rc;
}

int db_commit(struct db *db, struct sd_error *err)
{
    int rc = db_indexes_restore(db, err);
    if (rc) {
        db_rollback(db);
        return rc;
    }
    rc = tx_statement(db, "COMMIT", err);
    if (rc) {
        /* A failed COMMIT is final: roll back; the caller reopens (db_failed). */
        tx_statement(db, "ROLLBACK", NULL);
        db->failed = 1;
        db->retryable = 0; /* whether it committed is not known */
    }
    db->tx_depth = 0;
    return rc;
}

void db_rollback(struct db *db)
{
    if (!db->tx_depth)
        return;
    tx_statement(db, "ROLLBACK", NULL);
    db->tx_depth = 0;
    strbuf_reset(&db->suspended); /* the rollback brought them back */
}

int db_backup(struct db *db, const char *path, struct sd_error *err)
{
    if (!db->ops->backup)
        return sd_error_set(err, SD_EINVAL,
                            "the %s driver makes no file backups (PostgreSQL: use pg_dump; "
                            "docs/operations.md)",
                            db->ops->name);
    return db->ops->backup(db, path, err);
}

static int lease_key_check(int64_t key, struct sd_error *err)
{
    if (key < 1 || key > INT32_MAX)
        return sd_error_set(err, SD_EINVAL, "lease key %lld is out of range", (long long)key);
    return 0;
}

int db_lease_take(struct db *db, int64_t key, struct sd_error *err)
{
    int rc = lease_key_check(key, err);
    if (rc == 0 && db->lease)
        rc = sd_error_set(err, SD_EINVAL, "this connection holds lease %lld already",
                          (long long)db->lease);
    if (rc == 0)
        rc = db->ops->lease_take(db, key, err);
    if (rc == 0)
        db->lease = key;
    return rc;
}

int db_lease_held(struct db *db, int64_t key, int *held, struct sd_error *err)
{
    *held = 0;
    int rc = lease_key_check(key, err);
    return rc ? rc : db->ops->lease_held(db, key, held, err);
}

int db_retryable(const struct db *db)
{
    return db->retryable;
}

int db_failed(const struct db *db)
{
    return db->failed;
}

int db_in_transaction(const struct db *db)
{
    return db->tx_depth > 0;
}

static int savepoint_sql(struct db *db, const char *verb, const char *name,
                         struct sd_error *err)
{
    char sql[128];
    for (const char *p = name; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
            return sd_error_set(err, SD_EINVAL, "bad savepoint name '%s'", name);
    }
    snprintf(sql, sizeof(sql), "%s %s", verb, name);
    return db_exec(db, sql, err);
}

int db_savepoint(struct db *db, const char *name, struct sd_error *err)
{
    return savepoint_sql(db, "SAVEPOINT", name, err);
}

int db_release(struct db *db, const char *name, struct sd_error *err)
{
    return savepoint_sql(db, "RELEASE SAVEPOINT", name, err);
}

int db_rollback_to(struct db *db, const char *name, struct sd_error *err)
{
    return savepoint_sql(db, "ROLLBACK TO SAVEPOINT", name, err);
}

int db_indexes_suspend(struct db *db, const char *table, struct sd_error *err)
{
    struct strbuf drops = STRBUF_INIT, creates = STRBUF_INIT;
    int rc = db->tx_depth ? 0 : sd_error_set(err, SD_ERR, "indexes are suspended in a transaction");
    if (rc == 0)
        rc = db->ops->list_indexes(db, table, &drops, &creates, err);
    if (rc == 0 && drops.len)
        rc = db_exec(db, drops.buf, err);
    if (rc == 0)
        strbuf_add(&db->suspended, creates.buf, creates.len);
    strbuf_release(&drops);
    strbuf_release(&creates);
    return rc;
}

int db_indexes_restore(struct db *db, struct sd_error *err)
{
    if (db->suspended.len == 0)
        return 0;
    int rc = db->ops->build_indexes(db, db->suspended.buf, err);
    strbuf_reset(&db->suspended);
    return rc;
}

int db_bulk_begin(struct db *db, struct sd_error *err)
{
    return db->ops->bulk(db, 1, err);
}

int db_bulk_end(struct db *db, struct sd_error *err)
{
    return db->ops->bulk(db, 0, err);
}

/* ---- bulk loads ---- */

static int count_columns(const char *columns)
{
    int n = 1;
    for (const char *c = columns; *c; c++)
        n += *c == ',';
    return n;
}

/* The common path: "INSERT INTO table(columns) VALUES (?, ...)", prepared for this load. */
static int load_begin_insert(struct db *db, const char *table, const char *columns, int n,
                             struct db_load **out, struct sd_error *err)
{
    struct strbuf sql = STRBUF_INIT;
    strbuf_addf(&sql, "INSERT INTO %s(%s) VALUES (", table, columns);
    for (int i = 0; i < n; i++)
        strbuf_addstr(&sql, i ? ", ?" : "?");
    strbuf_addch(&sql, ')');
    struct db_load *load = xcalloc(1, sizeof(*load));
    int rc = db_prepare_own(db, sql.buf, &load->insert, err);
    strbuf_release(&sql);
    if (rc) {
        free(load);
        return rc;
    }
    *out = load;
    return 0;
}

int db_load_begin(struct db *db, const char *table, const char *columns, struct db_load **out,
                  struct sd_error *err)
{
    *out = NULL;
    int n = count_columns(columns);
    int rc = db->tx_depth ? 0 : sd_error_set(err, SD_ERR, "a bulk load runs in a transaction");
    if (rc == 0 && n > DB_LOAD_COLUMNS)
        rc = sd_error_set(err, SD_EINVAL, "a bulk load of %d columns (at most %d)", n,
                          DB_LOAD_COLUMNS);
    if (rc == 0)
        rc = db->ops->load_begin ? db->ops->load_begin(db, table, columns, n, out, err)
                                 : load_begin_insert(db, table, columns, n, out, err);
    if (rc) {
        sd_error_prefix(err, "bulk load of '%s'", table);
        return rc;
    }
    (*out)->db = db;
    (*out)->columns = n;
    (*out)->column = 0;
    return 0;
}

void db_load_int64(struct db_load *load, int64_t v)
{
    load->column++;
    if (load->insert) {
        db_bind_int64(load->insert, load->column, v);
        return;
    }
    char digits[24];
    int len = snprintf(digits, sizeof(digits), "%lld", (long long)v);
    load->db->ops->load_value(load, digits, (size_t)len);
}

void db_load_text(struct db_load *load, const char *s)
{
    load->column++;
    if (load->insert)
        db_bind_text(load->insert, load->column, s);
    else
        load->db->ops->load_value(load, s, s ? strlen(s) : 0);
}

void db_load_opt_int64(struct db_load *load, int64_t v)
{
    if (v == INT64_MIN)
        db_load_text(load, NULL);
    else
        db_load_int64(load, v);
}

void db_load_opt_date(struct db_load *load, int32_t day)
{
    if (day == INT32_MIN)
        db_load_text(load, NULL);
    else
        db_load_int64(load, day);
}

int db_load_row(struct db_load *load, struct sd_error *err)
{
    if (load->column != load->columns)
        return sd_error_set(err, SD_ERR, "bulk load: a row of %d values for %d columns",
                            load->column, load->columns);
    load->column = 0;
    if (!load->insert)
        return load->db->ops->load_row(load, err);
    int rc = db_step(load->insert, err);
    return rc < 0 ? rc : 0;
}

static int load_end(struct db_load *load, int abort, struct sd_error *err)
{
    if (!load)
        return 0;
    if (!load->insert)
        return load->db->ops->load_end(load, abort, err);
    db_finalize(load->insert);
    free(load);
    return 0;
}

int db_load_end(struct db_load *load, struct sd_error *err)
{
    return load_end(load, 0, err);
}

void db_load_abort(struct db_load *load)
{
    load_end(load, 1, NULL);
}
