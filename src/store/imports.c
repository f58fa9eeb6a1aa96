/* SPDX-License-Identifier: MIT */
/* imports: the import_jobs record of each import run. */
#include "store/store-int.h"
#include "base/banned.h"

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
