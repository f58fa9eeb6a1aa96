/* SPDX-License-Identifier: MIT */
/*
 * migrate: numbered schema migrations compiled into the binary (the SQL files
 * in src/db/migrations/, embedded at build time). Migration SQL is portable;
 * the few dialect differences are written as {{TOKEN}} and expanded by the
 * driver (see db_ops.dialect), and a driver may rewrite what else differs
 * (db_ops.migration_sql: PostgreSQL's INTEGER is 32-bit). The schema_version
 * table records what ran.
 */
#include <stdio.h>
#include <string.h>

#include "base/date.h"
#include "base/strbuf.h"
#include "db/db-int.h"
#include "base/banned.h"

static const char schema_version_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at BIGINT NOT NULL)";
static const char max_version_sql[] = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
static const char record_sql[] =
    "INSERT INTO schema_version(version, name, applied_at) VALUES (?, ?, ?)";

int db_schema_latest(void)
{
    return db_migrations_count ? db_migrations[db_migrations_count - 1].version : 0;
}

/* Expands {{TOKEN}} placeholders with the driver's dialect. */
static int expand(struct db *db, const char *sql, struct strbuf *out, struct sd_error *err)
{
    const char *p = sql;
    const char *open;
    while ((open = strstr(p, "{{")) != NULL) {
        const char *close = strstr(open, "}}");
        if (!close)
            return sd_error_set(err, SD_ERR, "migration: unterminated '{{'");
        char token[32];
        size_t len = (size_t)(close - open - 2);
        if (len >= sizeof(token))
            return sd_error_set(err, SD_ERR, "migration: placeholder too long");
        memcpy(token, open + 2, len);
        token[len] = '\0';
        const char *text = db->ops->dialect(token);
        if (!text)
            return sd_error_set(err, SD_ERR, "migration: unknown placeholder '%s'", token);
        strbuf_add(out, p, (size_t)(open - p));
        strbuf_addstr(out, text);
        p = close + 2;
    }
    strbuf_addstr(out, p);
    return 0;
}

static int read_version(struct db *db, int *version, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, db->ops->table_exists_sql, &st, err);
    if (rc)
        return rc;
    db_bind_text(st, 1, "schema_version");
    rc = db_step(st, err);
    if (rc < 0)
        return rc;
    int exists = db_column_int64(st, 0) > 0;
    db_reset(st);
    *version = 0;
    if (!exists)
        return 0;
    rc = db_prepare(db, max_version_sql, &st, err);
    if (rc == 0)
        rc = db_step(st, err);
    if (rc < 0)
        return rc;
    *version = (int)db_column_int64(st, 0);
    db_reset(st);
    return 0;
}

int db_schema_version(struct db *db, int *version, struct sd_error *err)
{
    int rc = read_version(db, version, err);
    if (rc)
        return rc;
    if (*version > db_schema_latest())
        return sd_error_set(err, SD_EVERSION,
                            "database schema version %d is newer than this salesdesk "
                            "(it knows up to %d): upgrade salesdesk",
                            *version, db_schema_latest());
    return 0;
}

static int apply_one(struct db *db, const struct db_migration *m, struct sd_error *err)
{
    struct strbuf sql = STRBUF_INIT;
    int rc = expand(db, m->sql, &sql, err);
    if (rc == 0 && db->ops->migration_sql)
        db->ops->migration_sql(&sql);
    if (rc == 0)
        rc = db_exec(db, sql.buf, err);
    strbuf_release(&sql);
    if (rc) {
        sd_error_prefix(err, "migration %d (%s)", m->version, m->name);
        return rc;
    }
    struct db_stmt *st;
    rc = db_prepare(db, record_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, m->version);
    db_bind_text(st, 2, m->name);
    db_bind_int64(st, 3, ts_now_ms());
    rc = db_step(st, err);
    return rc < 0 ? rc : 0;
}

int db_migrate(struct db *db, int *from, int *to, struct sd_error *err)
{
    int version = 0;
    int rc = db_begin(db, err);
    if (rc)
        return rc;
    rc = db_schema_version(db, &version, err);
    if (rc == 0)
        rc = db_exec(db, schema_version_sql, err);
    if (from)
        *from = version;
    for (size_t i = 0; rc == 0 && i < db_migrations_count; i++) {
        if (db_migrations[i].version > version)
            rc = apply_one(db, &db_migrations[i], err);
    }
    if (rc) {
        db_rollback(db);
        return rc;
    }
    rc = db_commit(db, err);
    if (rc == 0 && to)
        *to = db_schema_latest();
    return rc;
}
