/* SPDX-License-Identifier: MIT */
/*
 * db-int: what db.c shares with the drivers. A driver is a `const struct
 * db_ops` (one file per driver) picked by URL in db.c; it allocates its own
 * connection and statement objects, which embed the common parts below.
 */
#ifndef SD_DB_DB_INT_H
#define SD_DB_DB_INT_H

#include "base/strbuf.h"
#include "db/db.h"

struct db_ops;

struct db_stmt {
    struct db *db;
    const char *sql_key; /* the cache key: the caller's SQL pointer */
};

struct db_stmt_cache_slot {
    const char *key;
    struct db_stmt *stmt;
};

struct db {
    const struct db_ops *ops;
    char *url;
    int tx_depth; /* 0 outside a transaction */
    int failed;   /* a COMMIT failed: the connection must be closed (db_failed) */
    int64_t lease; /* the lease this connection holds (db_lease_take), 0: none */
    int retryable; /* db_retryable: set by the driver on a failure, cleared at begin */
    struct db_stmt_cache_slot *cache;
    size_t cache_cap; /* power of two */
    size_t cache_count;
    struct strbuf suspended; /* CREATE INDEX statements of suspended indexes */
};

/*
 * A bulk load (db_load_begin). The common path (a driver without load_begin)
 * binds the values to a prepared INSERT and steps it per row; a driver with
 * its own embeds this and takes the values as text (NULL: SQL NULL).
 */
struct db_load {
    struct db *db;
    struct db_stmt *insert; /* the common path's INSERT, else NULL */
    int column;             /* values given in the current row */
    int columns;
};

struct db_ops {
    const char *name;
    /* 1 when this driver takes `url`; *target is where the driver's part starts. */
    int (*accepts)(const char *url, const char **target);
    int (*open)(struct db **out, const char *target, int flags, struct sd_error *err);
    void (*close)(struct db *db);
    int (*exec)(struct db *db, const char *sql, struct sd_error *err);
    /*
     * 1: BEGIN, COMMIT and ROLLBACK (begin_sql and begin_read_sql included:
     * one statement each) run as statements prepared once per connection;
     * 0: through exec, as they are.
     */
    int tx_prepared;
    int (*prepare)(struct db *db, const char *sql, struct db_stmt **out, struct sd_error *err);
    void (*finalize)(struct db_stmt *st);
    void (*bind_int64)(struct db_stmt *st, int idx, int64_t v);
    void (*bind_text)(struct db_stmt *st, int idx, const char *s, size_t len);
    void (*bind_null)(struct db_stmt *st, int idx);
    int (*step)(struct db_stmt *st, struct sd_error *err);
    void (*reset)(struct db_stmt *st);
    int (*column_is_null)(struct db_stmt *st, int col);
    int64_t (*column_int64)(struct db_stmt *st, int col);
    const char *(*column_text)(struct db_stmt *st, int col);
    int64_t (*changes)(struct db *db);
    int (*column_count)(struct db_stmt *st);
    const char *(*column_name)(struct db_stmt *st, int col);
    enum db_kind (*column_kind)(struct db_stmt *st, int col);
    /*
     * Bulk loads (db_load_begin); load_begin NULL: the common path. The
     * driver allocates the load; load_end frees it (abort: nothing is sent).
     */
    int (*load_begin)(struct db *db, const char *table, const char *columns, int ncolumns,
                      struct db_load **out, struct sd_error *err);
    void (*load_value)(struct db_load *load, const char *text, size_t len);
    int (*load_row)(struct db_load *load, struct sd_error *err);
    int (*load_end)(struct db_load *load, int abort, struct sd_error *err);
    /* The dialect's text for a placeholder token in migrations ("ID", "WITHOUT_ROWID"). */
    const char *(*dialect)(const char *token);
    /* Rewrites a migration's SQL, tokens expanded, for the dialect; NULL when none is needed. */
    void (*migration_sql)(struct strbuf *sql);
    int (*bulk)(struct db *db, int on, struct sd_error *err);
    /*
     * Appends "DROP INDEX ...;" for the secondary indexes of `table` (NULL: of
     * every table) to `drops` and their CREATE statements to `creates`.
     */
    int (*list_indexes)(struct db *db, const char *table, struct strbuf *drops,
                        struct strbuf *creates, struct sd_error *err);
    /* Runs CREATE INDEX statements (a script) over many rows, as fast as the driver can. */
    int (*build_indexes)(struct db *db, const char *creates, struct sd_error *err);
    /* Copies the database to a new file (db_backup); NULL: the driver has none. */
    int (*backup)(struct db *db, const char *path, struct sd_error *err);
    /* db_lease_take and db_lease_held (db.h). */
    int (*lease_take)(struct db *db, int64_t key, struct sd_error *err);
    int (*lease_held)(struct db *db, int64_t key, int *held, struct sd_error *err);
    /* SQL with one text parameter, a table name, answering one row: 1 if it exists, else 0. */
    const char *table_exists_sql;
    /* SQL answering the names of the schema's tables, one per row, in name order. */
    const char *table_names_sql;
    /* SQL that starts a write transaction. */
    const char *begin_sql;
    const char *begin_read_sql; /* a read-only transaction on one snapshot */
};

extern const struct db_ops db_sqlite_ops;
extern const struct db_ops db_postgres_ops;

/* Drivers call these from open/close to set up and tear down the common part. */
void db_common_init(struct db *db, const struct db_ops *ops, const char *url);
void db_common_release(struct db *db);

#endif
