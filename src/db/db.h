/* SPDX-License-Identifier: MIT */
/*
 * db: driver-neutral SQL access. A `struct db` is one connection, opened from a
 * URL: a file path or "sqlite:PATH" selects the embedded SQLite driver,
 * "postgresql://..." or "postgres://..." (libpq's URL) or "postgres:KEY=VALUE
 * ..." (libpq's conninfo) the PostgreSQL driver. SQL text uses `?` and `?NNN`
 * placeholders (drivers translate them where needed) and the portable subset
 * described in docs/ARCHITECTURE.md.
 *
 * Threads: a connection belongs to one thread at a time; open one per thread.
 *
 * Statements: db_prepare caches by the address of the SQL text, so callers pass
 * string constants and prepare on every use at no cost. A prepared statement
 * belongs to the connection and is finalized by db_close; callers only reset
 * it (db_step returns it reset once it reports DB_DONE or an error).
 *
 * Errors: every call that can fail returns 0 or a negative SD_E... status and
 * fills `err`: SD_ECONFLICT for unique/foreign-key/check violations, SD_EBUSY
 * when locked past the busy timeout, SD_EPERM for read-only files, SD_EDB for a
 * file that is not a database or is corrupt, SD_EIO for disk full and I/O
 * and a lost server connection (PostgreSQL: the next db_begin, db_begin_read
 * or statement outside a transaction connects again).
 * After a failed COMMIT the transaction is rolled back; the caller should
 * close the connection and reopen it before going on. A statement that fails
 * inside a transaction fails the whole transaction on PostgreSQL (SQLite undoes
 * the statement alone): roll back, or wrap the statement in a savepoint when
 * the transaction is to go on after it.
 */
#ifndef SD_DB_DB_H
#define SD_DB_DB_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"

struct db;
struct db_stmt;

enum db_open_flags {
    DB_OPEN_EXISTING = 0,    /* the database must exist */
    DB_OPEN_CREATE = 1 << 0, /* create the file when missing */
    DB_OPEN_READONLY = 1 << 1,
};

/* Results of db_step besides errors. */
enum { DB_DONE = 0, DB_ROW = 1 };

/*
 * Opens `url`. On success *out is the caller's (db_close it); on failure *out
 * is NULL and err says why, naming the URL.
 */
int db_open(struct db **out, const char *url, int flags, struct sd_error *err);
/*
 * The file path a SQLite `url` names ("sqlite:" taken off), or NULL when the
 * URL names a server (PostgreSQL): for commands that handle files themselves.
 */
const char *db_url_file(const char *url);
/* Finalizes cached statements, rolls back an open transaction, closes. NULL is fine. */
void db_close(struct db *db);
/* The driver's name: "sqlite" or "postgresql". */
const char *db_driver_name(const struct db *db);

/* Runs one or more statements without results (schema scripts, pragmas). */
int db_exec(struct db *db, const char *sql, struct sd_error *err);

/*
 * The prepared statement for `sql`, cached by the pointer value of `sql` (pass
 * a string constant). The statement is reset, with no bindings.
 */
int db_prepare(struct db *db, const char *sql, struct db_stmt **out, struct sd_error *err);

/*
 * Binds parameter `idx` (1-based). A NULL text binds SQL NULL. PostgreSQL
 * holds UTF-8 text only: there a byte that is not UTF-8 is bound as U+FFFD.
 */
void db_bind_int64(struct db_stmt *st, int idx, int64_t v);
void db_bind_text(struct db_stmt *st, int idx, const char *s);
void db_bind_text_n(struct db_stmt *st, int idx, const char *s, size_t len);
void db_bind_null(struct db_stmt *st, int idx);
/* Binds the INT64_MIN sentinel (MONEY_NONE, INT_NONE) as NULL, other values as they are. */
void db_bind_opt_int64(struct db_stmt *st, int idx, int64_t v);
/* Binds the INT32_MIN sentinel (DATE_NONE) as NULL, other days as integers. */
void db_bind_opt_date(struct db_stmt *st, int idx, int32_t day);

/*
 * Steps the statement: DB_ROW with a row to read, DB_DONE at the end (the
 * statement is then reset), or a negative status (also reset).
 */
int db_step(struct db_stmt *st, struct sd_error *err);
/* Resets a statement that was not stepped to its end, and clears bindings. */
void db_reset(struct db_stmt *st);

int db_column_is_null(struct db_stmt *st, int col);
int64_t db_column_int64(struct db_stmt *st, int col);
/* INT64_MIN when NULL (matches MONEY_NONE/INT_NONE). */
int64_t db_column_opt_int64(struct db_stmt *st, int col);
/* INT32_MIN when NULL (matches DATE_NONE). */
int32_t db_column_opt_date(struct db_stmt *st, int col);
/* Text of a column, valid until the next step/reset; "" for NULL. */
const char *db_column_text(struct db_stmt *st, int col);
/* Heap copy of a column's text (free() it), or NULL for SQL NULL. */
char *db_column_strdup(struct db_stmt *st, int col);

/*
 * Generic readers (salesdesk copy), for SQL the caller builds: db_prepare_own
 * prepares `sql` outside the cache (the text may be freed at once); the
 * statement is the caller's, released with db_finalize before db_close.
 * While a row is current (db_step gave DB_ROW) a statement tells its column
 * count, a column's name and its declared kind (SQLite: by the declared type's
 * affinity; PostgreSQL: by the result's type).
 */
enum db_kind { DB_KIND_INTEGER, DB_KIND_TEXT, DB_KIND_OTHER };
int db_prepare_own(struct db *db, const char *sql, struct db_stmt **out, struct sd_error *err);
void db_finalize(struct db_stmt *st);
int db_column_count(struct db_stmt *st);
const char *db_column_name(struct db_stmt *st, int col);
enum db_kind db_column_kind(struct db_stmt *st, int col);
/*
 * Appends the names of the database's tables to `names`, one per line in name
 * order, leaving out schema_version and the driver's own tables.
 */
int db_table_names(struct db *db, struct strbuf *names, struct sd_error *err);
/*
 * After rows were written with explicit ids: every identity continues after
 * its table's largest value (PostgreSQL; SQLite does so by itself).
 */
int db_reseed_ids(struct db *db, struct sd_error *err);

/*
 * Bulk loads: many new rows into one table, inside the caller's write
 * transaction, as fast as the driver takes them (SQLite: one prepared INSERT
 * stepped per row; PostgreSQL: COPY FROM STDIN in text format, sent in
 * batches of about a megabyte). `columns` is the column list of an INSERT
 * ("a, b, c", at most DB_LOAD_COLUMNS names); each row gives one value per
 * column, in that order, with the db_load_* value calls, and ends with
 * db_load_row. Rows are checked as an INSERT's are (keys, NOT NULL, foreign
 * keys): a violation answers SD_ECONFLICT from the db_load_row or db_load_end
 * that sent the row, and the caller's transaction must then be rolled back.
 *
 * Rows reach the table in batches: only after db_load_end are they certain to
 * be there. Other statements may run on the connection while a load is open
 * (they may or may not see its rows yet), so a load of rows that refer to the
 * rows of another load (order lines to orders) begins after that one ended.
 * db_load_end frees the load, also when it fails; db_load_abort frees it
 * without sending what is still buffered (the caller rolls back). An INSERT's
 * rules for explicit ids hold: a load that gives "id" moves the table's
 * identity past them by COMMIT (PostgreSQL).
 */
#define DB_LOAD_COLUMNS 32
struct db_load;
int db_load_begin(struct db *db, const char *table, const char *columns, struct db_load **out,
                  struct sd_error *err);
void db_load_int64(struct db_load *load, int64_t v);
/* The INT64_MIN sentinel (MONEY_NONE, INT_NONE) as NULL. */
void db_load_opt_int64(struct db_load *load, int64_t v);
/* The INT32_MIN sentinel (DATE_NONE) as NULL. */
void db_load_opt_date(struct db_load *load, int32_t day);
/* NULL loads SQL NULL. */
void db_load_text(struct db_load *load, const char *s);
int db_load_row(struct db_load *load, struct sd_error *err);
int db_load_end(struct db_load *load, struct sd_error *err);
void db_load_abort(struct db_load *load);

/* Rows changed by the last INSERT/UPDATE/DELETE on this connection. */
int64_t db_changes(struct db *db);

/*
 * Transactions. db_begin starts a write transaction (takes the write lock at
 * once, so a conflict is seen at begin, not halfway). Savepoints nest inside.
 * db_begin_read starts a read transaction: every read until db_rollback sees
 * one snapshot of the database, and writers are not blocked.
 */
int db_begin(struct db *db, struct sd_error *err);
int db_begin_read(struct db *db, struct sd_error *err);
int db_commit(struct db *db, struct sd_error *err);
void db_rollback(struct db *db);
int db_in_transaction(const struct db *db);
/*
 * 1 when the transaction that just failed applied nothing and may simply run
 * again from db_begin: its connection was lost before COMMIT was sent (the
 * next db_begin connects again), or the server aborted it for a
 * serialization failure or a deadlock. Never after a failed COMMIT, whose
 * outcome is unknown, and never on SQLite (its waits are in the busy timeout).
 */
int db_retryable(const struct db *db);
/*
 * 1 once a COMMIT failed on this connection. A failed COMMIT is final
 * (NOTES.md): db_commit rolls back, and the owner must close the connection
 * and open a new one instead of going on with it.
 */
int db_failed(const struct db *db);
int db_savepoint(struct db *db, const char *name, struct sd_error *err);
int db_release(struct db *db, const char *name, struct sd_error *err);
int db_rollback_to(struct db *db, const char *name, struct sd_error *err);

/*
 * Bulk mode for loading a brand-new database: trades crash durability for
 * speed until db_bulk_end (sqlite: synchronous OFF, exclusive locking). Only
 * for a database that is thrown away if the load fails (the demo builder).
 */
int db_bulk_begin(struct db *db, struct sd_error *err);
int db_bulk_end(struct db *db, struct sd_error *err);

/*
 * Large loads inside a transaction. db_indexes_suspend drops the secondary
 * indexes of `table` (unique constraints stay, so keys are still checked) and
 * remembers them; db_indexes_restore builds every suspended index again.
 * Building an index once over the loaded rows is several times faster than
 * keeping it current row by row. PostgreSQL suspends the table's foreign keys
 * too (a look-up per row otherwise): they are added again, checking every row
 * in one pass, when the indexes are restored, so a row that breaks one fails
 * db_indexes_restore or db_commit (SD_ECONFLICT) rather than its INSERT; SQLite
 * checks each row at once. Both are part of the caller's transaction:
 * db_commit restores what is still suspended first, and a rollback brings the
 * indexes back as they were. Queries meanwhile may be slower, not wrong.
 */
int db_indexes_suspend(struct db *db, const char *table, struct sd_error *err);
int db_indexes_restore(struct db *db, struct sd_error *err);

/*
 * Copies the whole database, one snapshot of it, into the new file `path`
 * (which must not exist), and checks the copy (SQLite: the online backup
 * API, so writers go on meanwhile, then PRAGMA quick_check). The file is
 * written and synced, not renamed: the caller moves it into place.
 * SD_EINVAL for a driver without file copies (PostgreSQL: pg_dump).
 */
int db_backup(struct db *db, const char *path, struct sd_error *err);

/*
 * Leases: how processes sharing one store tell which of them are alive. A
 * connection holds lease `key` (1 .. 2^31 - 1) from db_lease_take until it is
 * closed or its process ends, killed or not: the operating system or the
 * database server lets go of it (SQLite: an open-file-description lock in the
 * file DATABASE-lease beside the store; PostgreSQL: a session advisory lock,
 * taken again after a reconnect). A connection holds one lease at most.
 * SD_EBUSY when another connection holds the key. db_lease_held sets *held to 1 when a connection other than `db` holds
 * `key`, 0 when none does.
 */
int db_lease_take(struct db *db, int64_t key, struct sd_error *err);
int db_lease_held(struct db *db, int64_t key, int *held, struct sd_error *err);

/* Migrations: see migrate.c. */
struct db_migration {
    int version;
    const char *name;
    const char *sql;
};

/* Migrations compiled into the binary, in version order. */
extern const struct db_migration db_migrations[];
extern const size_t db_migrations_count;

/* The newest schema version this binary knows. */
int db_schema_latest(void);
/*
 * The version the database is at (0 for an empty database). SD_EVERSION when
 * it is newer than db_schema_latest().
 */
int db_schema_version(struct db *db, int *version, struct sd_error *err);
/*
 * Brings the schema up to date in one transaction; *from and *to (may be
 * NULL) report the versions. Refuses (SD_EVERSION) a database newer than
 * this binary, and leaves it untouched.
 */
int db_migrate(struct db *db, int *from, int *to, struct sd_error *err);

#endif
