/* SPDX-License-Identifier: MIT */
/* imports: the import_jobs record of each import run. */
#include "store/store-int.h"
#include "base/banned.h"

#define BULK_MIN_LINES 100000

static const char lines_count_sql[] = "SELECT count(*) FROM order_lines";

int store_bulk_prepare(struct db *db, int64_t lines_coming, struct sd_error *err)
{
    static const char *const tables[] = {"orders", "order_lines", "invoices"};
    struct db_stmt *st;
    if (lines_coming < BULK_MIN_LINES)
        return 0;
    int rc = db_prepare(db, lines_count_sql, &st, err);
    if (rc == 0)
        rc = db_step(st, err);
    if (rc < 0)
        return rc;
    int64_t stored = db_column_int64(st, 0);
    db_reset(st);
    if (stored >= lines_coming)
        return 0;
    rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof(tables) / sizeof(tables[0]); i++)
        rc = db_indexes_suspend(db, tables[i], err);
    return rc;
}

static const char job_insert_sql[] =
    "INSERT INTO import_jobs(kind, source, files, status, started_at, finished_at, rows_read, "
    "inserted, updated, unchanged, rejected, error) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";

int store_import_job_add(struct db *db, const struct import_job *job, int64_t *id,
                         struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, job_insert_sql, &st, err);
    if (rc)
        return rc;
    db_bind_text(st, 1, job->kind);
    db_bind_text(st, 2, job->source);
    db_bind_text(st, 3, job->files);
    db_bind_text(st, 4, job->status);
    db_bind_int64(st, 5, job->started_at);
    db_bind_int64(st, 6, job->finished_at);
    db_bind_int64(st, 7, job->rows_read);
    db_bind_int64(st, 8, job->inserted);
    db_bind_int64(st, 9, job->updated);
    db_bind_int64(st, 10, job->unchanged);
    db_bind_int64(st, 11, job->rejected);
    db_bind_text(st, 12, job->error);
    rc = db_step(st, err);
    if (rc != DB_ROW)
        return rc < 0 ? rc : sd_error_set(err, SD_EDB, "import job insert returned no id");
    *id = db_column_int64(st, 0);
    db_reset(st);
    return 0;
}
