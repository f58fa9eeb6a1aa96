/* SPDX-License-Identifier: MIT */
/*
 * sqlite: the embedded SQLite driver. Every connection runs in WAL mode with
 * foreign keys on, synchronous FULL (NORMAL loses acknowledged commits on
 * power loss, see NOTES.md) and a busy timeout, so that readers never block
 * the writer and a crash at any moment leaves a consistent database.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db-int.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "base/banned.h"

#define SQLITE_BUSY_TIMEOUT_MS 5000

struct sqlite_db {
    struct db common;
    sqlite3 *handle;
    char *path;
    char *bulk_indexes; /* CREATE INDEX statements dropped for a bulk load, ";"-joined */
    int lease_fd;       /* DATABASE-lease, open while this connection holds a lease; else -1 */
};

struct sqlite_stmt {
    struct db_stmt common;
    sqlite3_stmt *handle;
};

static sqlite3 *handle_of(struct db *db)
{
    return ((struct sqlite_db *)db)->handle;
}

static sqlite3_stmt *stmt_of(struct db_stmt *st)
{
    return ((struct sqlite_stmt *)st)->handle;
}

static int map_status(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK: return 0;
    case SQLITE_CONSTRAINT: return SD_ECONFLICT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return SD_EBUSY;
    case SQLITE_NOMEM: return SD_ENOMEM;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
    case SQLITE_CANTOPEN: return SD_EPERM;
    case SQLITE_FULL:
    case SQLITE_IOERR: return SD_EIO;
    case SQLITE_TOOBIG: return SD_ELIMIT;
    default: return SD_EDB;
    }
}

/* Fills err from the connection's last error; returns the mapped status. */
static int fail(struct db *db, int rc, const char *what, struct sd_error *err)
{
    const char *msg = db ? sqlite3_errmsg(handle_of(db)) : sqlite3_errstr(rc);
    const char *path = db ? ((struct sqlite_db *)db)->path : "";
    return sd_error_set(err, map_status(rc), "%s '%s': %s", what, path, msg);
}

static int sqlite_accepts(const char *url, const char **target)
{
    if (strncmp(url, "sqlite:", 7) == 0) {
        *target = url + 7;
        return 1;
    }
    if (strstr(url, "://"))
        return 0;
    *target = url;
    return 1;
}

static int missing_file_error(const char *path, int flags, struct sd_error *err)
{
    struct stat sb;
    if (flags & DB_OPEN_CREATE)
        return 0;
    if (stat(path, &sb) == 0) {
        if (S_ISDIR(sb.st_mode))
            return sd_error_set(err, SD_EINVAL, "database '%s' is a directory", path);
        return 0;
    }
    if (errno == ENOENT)
        return sd_error_set(err, SD_ENOTFOUND,
                            "database '%s' does not exist (create it with 'salesdesk init')",
                            path);
    return sd_error_set(err, SD_EPERM, "database '%s': %s", path, strerror(errno));
}

static int apply_pragmas(struct db *db, int readonly, struct sd_error *err)
{
    sqlite3_busy_timeout(handle_of(db), SQLITE_BUSY_TIMEOUT_MS);
    /*
     * 64 MiB of page cache (used as needed): large imports thrash the 2 MiB
     * default. Reads through a memory map of up to 2 GiB (SQLite caps it at
     * its compile-time limit; writes still go through the WAL with write()):
     * the doctor's batch over the large demo takes 0.40 s of CPU instead of
     * 0.59 s, the copies and page-cache allocations of pread being gone.
     */
    int rc = db->ops->exec(db,
                           "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; "
                           "PRAGMA cache_size=-65536; PRAGMA mmap_size=2147483648",
                           err);
    if (rc == 0 && !readonly)
        rc = db->ops->exec(db, "PRAGMA journal_mode=WAL", err);
    if (rc == 0)
        rc = db->ops->exec(db, "PRAGMA synchronous=FULL", err);
    /* Read something from the file so that "not a database" shows up here. */
    if (rc == 0)
        rc = db->ops->exec(db, "SELECT count(*) FROM sqlite_schema", err);
    return rc;
}

/*
 * Process-wide settings, made once before SQLite initializes. Memory
 * statistics off: with them on, every sqlite3_malloc and sqlite3_free takes
 * one global mutex, and the server's worker connections queued on it (half
 * of the futex calls of an order look-up under load were that lock).
 * Nothing reads sqlite3_memory_used.
 */
static void sqlite_configure(void)
{
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static int sqlite_open(struct db **out, const char *path, int flags, struct sd_error *err)
{
    static pthread_once_t configured = PTHREAD_ONCE_INIT;
    pthread_once(&configured, sqlite_configure);
    if (!*path)
        return sd_error_set(err, SD_EINVAL, "empty database path");
    int rc = missing_file_error(path, flags, err);
    if (rc)
        return rc;
    struct sqlite_db *sdb = xcalloc(1, sizeof(*sdb));
    db_common_init(&sdb->common, &db_sqlite_ops, path);
    sdb->path = xstrdup(path);
    sdb->lease_fd = -1;
    int readonly = (flags & DB_OPEN_READONLY) != 0;
    int oflags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (flags & DB_OPEN_CREATE)
        oflags |= SQLITE_OPEN_CREATE;
    oflags |= SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    int src = sqlite3_open_v2(path, &sdb->handle, oflags, NULL);
    if (src != SQLITE_OK)
        rc = fail(&sdb->common, src, "cannot open database", err);
    else
        rc = apply_pragmas(&sdb->common, readonly, err);
    if (rc) {
        db_close(&sdb->common);
        return rc;
    }
    *out = &sdb->common;
    return 0;
}

static void sqlite_close(struct db *db)
{
    struct sqlite_db *sdb = (struct sqlite_db *)db;
    db_common_release(db);
    sqlite3_close_v2(sdb->handle);
    if (sdb->lease_fd >= 0)
        close(sdb->lease_fd);
    free(sdb->path);
    free(sdb->bulk_indexes);
    free(sdb);
}

static int sqlite_exec(struct db *db, const char *sql, struct sd_error *err)
{
    int rc = sqlite3_exec(handle_of(db), sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return fail(db, rc, "database", err);
    return 0;
}

static int sqlite_prepare(struct db *db, const char *sql, struct db_stmt **out,
                          struct sd_error *err)
{
    sqlite3_stmt *handle = NULL;
    int rc = sqlite3_prepare_v3(handle_of(db), sql, -1, SQLITE_PREPARE_PERSISTENT, &handle, NULL);
    if (rc != SQLITE_OK)
        return fail(db, rc, "cannot prepare statement on", err);
    struct sqlite_stmt *st = xcalloc(1, sizeof(*st));
    st->handle = handle;
    *out = &st->common;
    return 0;
}

static void sqlite_finalize(struct db_stmt *st)
{
    sqlite3_finalize(stmt_of(st));
    free(st);
}

static void sqlite_bind_int64(struct db_stmt *st, int idx, int64_t v)
{
    sqlite3_bind_int64(stmt_of(st), idx, v);
}

static void sqlite_bind_text(struct db_stmt *st, int idx, const char *s, size_t len)
{
    sqlite3_bind_text64(stmt_of(st), idx, s, len, SQLITE_TRANSIENT, SQLITE_UTF8);
}

static void sqlite_bind_null(struct db_stmt *st, int idx)
{
    sqlite3_bind_null(stmt_of(st), idx);
}

static int sqlite_step(struct db_stmt *st, struct sd_error *err)
{
    int rc = sqlite3_step(stmt_of(st));
    if (rc == SQLITE_ROW)
        return DB_ROW;
    if (rc == SQLITE_DONE)
        return DB_DONE;
    return fail(st->db, rc, "database", err);
}

static void sqlite_reset(struct db_stmt *st)
{
    sqlite3_reset(stmt_of(st));
    sqlite3_clear_bindings(stmt_of(st));
}

static int sqlite_column_is_null(struct db_stmt *st, int col)
{
    return sqlite3_column_type(stmt_of(st), col) == SQLITE_NULL;
}

static int64_t sqlite_column_int64(struct db_stmt *st, int col)
{
    return sqlite3_column_int64(stmt_of(st), col);
}

static const char *sqlite_column_text(struct db_stmt *st, int col)
{
    return (const char *)sqlite3_column_text(stmt_of(st), col);
}

static int sqlite_column_count(struct db_stmt *st)
{
    return sqlite3_column_count(stmt_of(st));
}

static const char *sqlite_column_name(struct db_stmt *st, int col)
{
    return sqlite3_column_name(stmt_of(st), col);
}

/* SQLite's affinity rules (datatype3.html 3.1) on the declared type. */
static enum db_kind sqlite_column_kind(struct db_stmt *st, int col)
{
    const char *type = sqlite3_column_decltype(stmt_of(st), col);
    if (!type)
        return DB_KIND_OTHER;
    if (sqlite3_strlike("%INT%", type, 0) == 0)
        return DB_KIND_INTEGER;
    if (sqlite3_strlike("%CHAR%", type, 0) == 0 || sqlite3_strlike("%CLOB%", type, 0) == 0 ||
        sqlite3_strlike("%TEXT%", type, 0) == 0)
        return DB_KIND_TEXT;
    return DB_KIND_OTHER;
}

static int64_t sqlite_changes(struct db *db)
{
    return sqlite3_changes64(handle_of(db));
}

/* PRAGMA quick_check's rows: "ok" alone, else the problems (the first kept). */
static int quick_check_row(void *ctx, int n, char **values, char **names)
{
    char *first = ctx;
    (void)names;
    if (n > 0 && values[0] && strcmp(values[0], "ok") != 0 && !first[0])
        snprintf(first, 256, "%s", values[0]);
    return 0;
}

/*
 * The online backup API copies the pages of one read snapshot in one step
 * (in WAL mode writers go on meanwhile); the copy is committed and synced
 * by its own connection (synchronous=FULL), then checked.
 */
/*
 * Leases live in DATABASE-lease, never in the database file itself: closing
 * any descriptor of a file drops every POSIX lock the process holds on it,
 * SQLite's own included. Open-file-description locks (F_OFD_*) belong to the
 * descriptor they were taken on and end when it is closed or its process
 * dies, so a lease is byte `key` of that file, write-locked.
 */
static int lease_open(struct sqlite_db *sdb, int create, int *fd, struct sd_error *err)
{
    char lease_path[4096];
    if (strcmp(sdb->path, ":memory:") == 0)
        return sd_error_set(err, SD_EINVAL, "an in-memory database has no leases");
    if ((size_t)snprintf(lease_path, sizeof(lease_path), "%s-lease", sdb->path) >=
        sizeof(lease_path))
        return sd_error_set(err, SD_EINVAL, "database path too long for its lease file");
    *fd = open(lease_path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
    if (*fd < 0 && !create && errno == ENOENT)
        return 0;
    if (*fd < 0)
        return sd_error_set(err, SD_EIO, "cannot open '%s': %s", lease_path, strerror(errno));
    return 0;
}

static struct flock lease_lock(int64_t key)
{
    return (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = key, .l_len = 1};
}

static int sqlite_lease_take(struct db *db, int64_t key, struct sd_error *err)
{
    struct sqlite_db *sdb = (struct sqlite_db *)db;
    if (sdb->lease_fd < 0) {
        int rc = lease_open(sdb, 1, &sdb->lease_fd, err);
        if (rc)
            return rc;
    }
    struct flock fl = lease_lock(key);
    if (fcntl(sdb->lease_fd, F_OFD_SETLK, &fl) == 0)
        return 0;
    if (errno == EAGAIN || errno == EACCES)
        return sd_error_set(err, SD_EBUSY, "lease %lld of '%s' is held already", (long long)key,
                            sdb->path);
    return sd_error_set(err, SD_EIO, "cannot lock '%s-lease': %s", sdb->path, strerror(errno));
}

static int sqlite_lease_held(struct db *db, int64_t key, int *held, struct sd_error *err)
{
    struct sqlite_db *sdb = (struct sqlite_db *)db;
    int fd = sdb->lease_fd; /* its own locks are never reported to it */
    if (fd < 0) {
        int rc = lease_open(sdb, 0, &fd, err);
        if (rc || fd < 0)
            return rc; /* no lease file: nobody holds a lease */
    }
    struct flock fl = lease_lock(key);
    int rc = 0;
    if (fcntl(fd, F_OFD_GETLK, &fl) != 0)
        rc = sd_error_set(err, SD_EIO, "cannot test a lock of '%s-lease': %s", sdb->path,
                          strerror(errno));
    else
        *held = fl.l_type != F_UNLCK;
    if (fd != sdb->lease_fd)
        close(fd);
    return rc;
}

static int sqlite_backup(struct db *db, const char *path, struct sd_error *err)
{
    sqlite3 *dest = NULL;
    char problem[256] = "";
    int rc = sqlite3_open_v2(path, &dest,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                                 SQLITE_OPEN_EXRESCODE,
                             NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(dest, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_backup *b = sqlite3_backup_init(dest, "main", handle_of(db), "main");
        if (!b) {
            rc = sqlite3_errcode(dest);
        } else {
            int step = sqlite3_backup_step(b, -1);
            rc = sqlite3_backup_finish(b);
            if (rc == SQLITE_OK && step != SQLITE_DONE)
                rc = step;
        }
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(dest, "PRAGMA quick_check", quick_check_row, problem, NULL);
    int status = 0;
    if (rc != SQLITE_OK)
        status = sd_error_set(err, map_status(rc), "backup to '%s': %s", path,
                              dest ? sqlite3_errmsg(dest) : sqlite3_errstr(rc));
    else if (problem[0])
        status = sd_error_set(err, SD_EDB, "backup to '%s': the copy does not check: %s", path,
                              problem);
    if (sqlite3_close(dest) != SQLITE_OK && status == 0)
        status = sd_error_set(err, SD_EIO, "backup to '%s': closing the copy failed", path);
    return status;
}

static const char *sqlite_dialect(const char *token)
{
    if (strcmp(token, "ID") == 0)
        return "INTEGER PRIMARY KEY";
    if (strcmp(token, "WITHOUT_ROWID") == 0)
        return "WITHOUT ROWID";
    if (strcmp(token, "RESEED_IDS") == 0)
        return ""; /* an INTEGER PRIMARY KEY continues after the largest id by itself */
    return NULL;
}

static int sqlite_list_indexes(struct db *db, const char *table, struct strbuf *drops,
                               struct strbuf *creates, struct sd_error *err)
{
    static const char sql[] = "SELECT name, sql FROM sqlite_schema WHERE type = 'index' "
                              "AND sql IS NOT NULL AND (?1 IS NULL OR tbl_name = ?1) ORDER BY name";
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(handle_of(db), sql, -1, &st, NULL);
    if (rc == SQLITE_OK && table)
        sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        strbuf_addf(creates, "%s;\n", (const char *)sqlite3_column_text(st, 1));
        strbuf_addf(drops, "DROP INDEX \"%s\";\n", (const char *)sqlite3_column_text(st, 0));
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || rc == SQLITE_OK ? 0 : fail(db, rc, "database", err);
}

/*
 * CREATE INDEX sorts the table's keys. With temp_store=MEMORY (the
 * connection's setting, for statement journals) SQLite sorts all of them as
 * one linked list in memory, and its merge sort then waits on a cache miss at
 * nearly every step: 10M order lines took 31 s of CPU. With temporary files,
 * it sorts runs of at most cache_size bytes and merges them; with runs of
 * 4 MiB, which fit in the CPU caches, the same index took 5 s. So indexes are
 * built with temp_store=FILE (runs go to the temporary directory; the OS keeps
 * them in its page cache) and a 4 MiB page cache, and both settings are put
 * back afterwards, also when the build fails.
 */
#define INDEX_BUILD_CACHE "-4096"

static int cache_size(struct db *db, int64_t *pages, struct sd_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(handle_of(db), "PRAGMA cache_size", -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        *pages = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : fail(db, rc, "database", err);
}

static int sqlite_build_indexes(struct db *db, const char *creates, struct sd_error *err)
{
    int64_t pages = 0;
    char restore[96];
    int rc = cache_size(db, &pages, err);
    if (rc)
        return rc;
    snprintf(restore, sizeof(restore), "PRAGMA temp_store=MEMORY; PRAGMA cache_size=%lld",
             (long long)pages);
    /*
     * SQLite refuses to change temp_store once the transaction has used
     * temporary storage (a sort, a temporary table: salesdesk copy's sums):
     * the indexes are then built with the settings as they are.
     */
    int tuned = sqlite_exec(db, "PRAGMA temp_store=FILE; PRAGMA cache_size=" INDEX_BUILD_CACHE,
                            NULL) == 0;
    rc = sqlite_exec(db, creates, err);
    int back = tuned ? sqlite_exec(db, restore, rc ? NULL : err) : 0;
    return rc ? rc : back;
}

/*
 * Secondary indexes are dropped for a bulk load and built again at its end:
 * building an index over sorted rows once is several times faster than
 * keeping it up to date row by row. Unique constraints stay, so keys are
 * still checked during the load.
 */
static int drop_indexes(struct sqlite_db *sdb, struct sd_error *err)
{
    struct strbuf creates = STRBUF_INIT, drops = STRBUF_INIT;
    int rc = sqlite_list_indexes(&sdb->common, NULL, &drops, &creates, err);
    if (rc == 0 && drops.len)
        rc = sqlite_exec(&sdb->common, drops.buf, err);
    if (rc == 0)
        sdb->bulk_indexes = strbuf_detach(&creates, NULL);
    strbuf_release(&drops);
    strbuf_release(&creates);
    return rc;
}

static int sqlite_bulk(struct db *db, int on, struct sd_error *err)
{
    struct sqlite_db *sdb = (struct sqlite_db *)db;
    if (on) {
        int rc = sqlite_exec(db, "PRAGMA synchronous=OFF; PRAGMA cache_size=-262144", err);
        return rc ? rc : drop_indexes(sdb, err);
    }
    int rc = sdb->bulk_indexes ? sqlite_build_indexes(db, sdb->bulk_indexes, err) : 0;
    free(sdb->bulk_indexes);
    sdb->bulk_indexes = NULL;
    if (rc == 0)
        rc = sqlite_exec(db, "PRAGMA synchronous=FULL; PRAGMA cache_size=-65536", err);
    return rc;
}

const struct db_ops db_sqlite_ops = {
    .name = "sqlite",
    .accepts = sqlite_accepts,
    .open = sqlite_open,
    .close = sqlite_close,
    .exec = sqlite_exec,
    .tx_prepared = 1,
    .prepare = sqlite_prepare,
    .finalize = sqlite_finalize,
    .bind_int64 = sqlite_bind_int64,
    .bind_text = sqlite_bind_text,
    .bind_null = sqlite_bind_null,
    .step = sqlite_step,
    .reset = sqlite_reset,
    .column_is_null = sqlite_column_is_null,
    .column_int64 = sqlite_column_int64,
    .column_text = sqlite_column_text,
    .changes = sqlite_changes,
    .column_count = sqlite_column_count,
    .column_name = sqlite_column_name,
    .column_kind = sqlite_column_kind,
    .dialect = sqlite_dialect,
    .bulk = sqlite_bulk,
    .list_indexes = sqlite_list_indexes,
    .build_indexes = sqlite_build_indexes,
    .backup = sqlite_backup,
    .lease_take = sqlite_lease_take,
    .lease_held = sqlite_lease_held,
    .table_exists_sql =
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?",
    .table_names_sql = "SELECT name FROM sqlite_schema WHERE type = 'table' "
                       "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    .begin_sql = "BEGIN IMMEDIATE",
    .begin_read_sql = "BEGIN DEFERRED",
};
