/* SPDX-License-Identifier: MIT */
/* imports: the import_jobs record of each import run, its counts per kind and its problems. */
#include <stdint.h>

#include "base/vec.h"
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

#define JOB_COLUMNS                                                                                \
    "id, kind, source, files, status, user_id, actor, mapping, format, dry_run, upload_bytes, "   \
    "created_at, started_at, finished_at, rows_read, inserted, updated, unchanged, rejected, "   \
    "changes, error_count, error"

static const char job_insert_sql[] =
    "INSERT INTO import_jobs(kind, source, files, status, user_id, actor, mapping, format, "
    "dry_run, upload_bytes, created_at, started_at, finished_at, rows_read, inserted, updated, "
    "unchanged, rejected, changes, error_count, error, instance) "
    "VALUES (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, "
    "?20, ?21, ?22, ?23) RETURNING id";
static const char job_update_sql[] =
    "UPDATE import_jobs SET status = ?5, started_at = ?13, finished_at = ?14, rows_read = ?15, "
    "inserted = ?16, updated = ?17, unchanged = ?18, rejected = ?19, changes = ?20, "
    "error_count = ?21, error = ?22 WHERE id = ?1";
static const char job_start_sql[] =
    "UPDATE import_jobs SET status = 'running', started_at = ?2 WHERE id = ?1 AND status = 'queued'";
/* ?3: a server's lease key, 0 for the jobs of no server. */
static const char jobs_interrupt_sql[] =
    "UPDATE import_jobs SET status = 'failed', finished_at = ?1, error = ?2 "
    "WHERE status IN ('queued', 'running') AND coalesce(instance, 0) = ?3";
static const char jobs_servers_sql[] =
    "SELECT DISTINCT coalesce(instance, 0) FROM import_jobs WHERE status IN ('queued', 'running')";
static const char job_kind_insert_sql[] =
    "INSERT INTO import_job_kinds(job_id, kind, rows_read, inserted, updated, unchanged, rejected) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)";
static const char job_error_insert_sql[] =
    "INSERT INTO import_job_errors(job_id, seq, file, row_number, column_number, field, message) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)";
static const char job_get_sql[] = "SELECT " JOB_COLUMNS " FROM import_jobs WHERE id = ?";
static const char job_list_sql[] = "SELECT " JOB_COLUMNS " FROM import_jobs "
                                   "WHERE ?1 = 0 OR id < ?1 ORDER BY id DESC LIMIT ?2";
/* Kinds in the order an import writes them (ingest/kinds.c). */
static const char job_kinds_sql[] =
    "SELECT kind, rows_read, inserted, updated, unchanged, rejected FROM import_job_kinds "
    "WHERE job_id = ? ORDER BY CASE kind WHEN 'reps' THEN 1 WHEN 'accounts' THEN 2 "
    "WHEN 'products' THEN 3 WHEN 'stock' THEN 4 WHEN 'orders' THEN 5 WHEN 'lines' THEN 6 "
    "WHEN 'invoices' THEN 7 WHEN 'opportunities' THEN 8 WHEN 'stages' THEN 9 "
    "WHEN 'requests' THEN 10 WHEN 'quotas' THEN 11 WHEN 'fx' THEN 12 ELSE 13 END, kind";
static const char job_errors_sql[] =
    "SELECT seq, file, row_number, column_number, field, message FROM import_job_errors "
    "WHERE job_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3";

/* Binds every column of the insert and update statements (?1 id ... ?22 error). */
static void job_bind(struct db_stmt *st, const struct import_job *job, int with_id)
{
    if (with_id)
        db_bind_int64(st, 1, job->id);
    db_bind_text(st, 2, job->kind);
    db_bind_text(st, 3, job->source ? job->source : "");
    db_bind_text(st, 4, job->files ? job->files : "");
    db_bind_text(st, 5, job->status);
    store_bind_ref(st, 6, job->user_id);
    db_bind_text(st, 7, job->actor);
    db_bind_text(st, 8, job->mapping);
    db_bind_text(st, 9, job->format);
    db_bind_int64(st, 10, job->dry_run ? 1 : 0);
    db_bind_opt_int64(st, 11, job->upload_bytes);
    db_bind_int64(st, 12, job->created_at);
    db_bind_opt_int64(st, 13, job->started_at);
    db_bind_opt_int64(st, 14, job->finished_at);
    db_bind_int64(st, 15, job->rows_read);
    db_bind_int64(st, 16, job->inserted);
    db_bind_int64(st, 17, job->updated);
    db_bind_int64(st, 18, job->unchanged);
    db_bind_int64(st, 19, job->rejected);
    db_bind_int64(st, 20, job->changes);
    db_bind_int64(st, 21, job->error_count);
    db_bind_text(st, 22, job->error);
}

int store_import_job_add(struct db *db, const struct import_job *job, int64_t *id,
                         struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, job_insert_sql, &st, err);
    if (rc)
        return rc;
    job_bind(st, job, 0);
    store_bind_ref(st, 23, job->instance);
    rc = db_step(st, err);
    if (rc != DB_ROW)
        return rc < 0 ? rc : sd_error_set(err, SD_EDB, "import job insert returned no id");
    *id = db_column_int64(st, 0);
    db_reset(st);
    return 0;
}

int store_import_job_update(struct db *db, const struct import_job *job, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, job_update_sql, &st, err);
    if (rc)
        return rc;
    job_bind(st, job, 1);
    rc = store_run(st, err);
    if (rc == 0 && db_changes(db) == 0)
        return sd_error_set(err, SD_ENOTFOUND, "no import job %lld", (long long)job->id);
    return rc;
}

int store_import_job_start(struct db *db, int64_t id, int64_t at, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, job_start_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, id);
    db_bind_int64(st, 2, at);
    rc = store_run(st, err);
    if (rc == 0 && db_changes(db) == 0)
        return sd_error_set(err, SD_ENOTFOUND, "import job %lld is not queued", (long long)id);
    return rc;
}

int store_import_jobs_interrupt(struct db *db, int64_t at, const char *message, int64_t instance,
                                int64_t *n, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, jobs_interrupt_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, at);
    db_bind_text(st, 2, message);
    db_bind_int64(st, 3, instance);
    rc = store_run(st, err);
    *n = rc == 0 ? db_changes(db) : 0;
    return rc;
}

int store_import_jobs_orphans(struct db *db, int64_t at, const char *message, int64_t self,
                              int64_t *n, struct sd_error *err)
{
    struct db_stmt *st;
    struct vec servers;
    *n = 0;
    vec_init(&servers, sizeof(int64_t));
    int rc = db_prepare(db, jobs_servers_sql, &st, err);
    if (rc == 0) {
        while ((rc = db_step(st, err)) == DB_ROW) {
            int64_t server = db_column_int64(st, 0);
            if (server != self)
                vec_push(&servers, &server);
        }
    }
    for (size_t i = 0; rc == 0 && i < servers.len; i++) {
        int64_t server = *VEC_AT(&servers, int64_t, i), ended = 0;
        int held = 0;
        if (server > 0 && server <= INT32_MAX)
            rc = db_lease_held(db, server, &held, err);
        if (rc == 0 && !held)
            rc = store_import_jobs_interrupt(db, at, message, server, &ended, err);
        *n += ended;
    }
    vec_release(&servers);
    return rc;
}

int store_import_job_kind_add(struct db *db, int64_t job_id, const struct import_job_kind *k,
                              struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, job_kind_insert_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, job_id);
    db_bind_text(st, 2, k->kind);
    db_bind_int64(st, 3, k->rows_read);
    db_bind_int64(st, 4, k->inserted);
    db_bind_int64(st, 5, k->updated);
    db_bind_int64(st, 6, k->unchanged);
    db_bind_int64(st, 7, k->rejected);
    return store_run(st, err);
}

int store_import_job_error_add(struct db *db, int64_t job_id, const struct import_job_error *e,
                               struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, job_error_insert_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, job_id);
    db_bind_int64(st, 2, e->seq);
    db_bind_text(st, 3, e->file);
    db_bind_opt_int64(st, 4, e->row);
    db_bind_opt_int64(st, 5, e->column);
    db_bind_text(st, 6, e->field);
    db_bind_text(st, 7, e->message);
    return store_run(st, err);
}

static void job_read(struct db_stmt *st, struct arena *arena, struct import_job *job)
{
    *job = (struct import_job){
        .id = db_column_int64(st, 0),
        .kind = store_col_str(st, 1, arena),
        .source = store_col_str(st, 2, arena),
        .files = store_col_str(st, 3, arena),
        .status = store_col_str(st, 4, arena),
        .user_id = store_col_ref(st, 5),
        .actor = store_col_str(st, 6, arena),
        .mapping = store_col_str(st, 7, arena),
        .format = store_col_str(st, 8, arena),
        .dry_run = db_column_int64(st, 9) != 0,
        .upload_bytes = db_column_opt_int64(st, 10),
        .created_at = db_column_int64(st, 11),
        .started_at = db_column_opt_int64(st, 12),
        .finished_at = db_column_opt_int64(st, 13),
        .rows_read = db_column_int64(st, 14),
        .inserted = db_column_int64(st, 15),
        .updated = db_column_int64(st, 16),
        .unchanged = db_column_int64(st, 17),
        .rejected = db_column_int64(st, 18),
        .changes = db_column_int64(st, 19),
        .error_count = db_column_int64(st, 20),
        .error = store_col_str(st, 21, arena),
    };
}

int store_import_job_get(struct db *db, struct arena *arena, int64_t id, struct import_job *out,
                         struct sd_error *err)
{
    struct db_stmt *st;
    int rc = store_row_by_id(db, job_get_sql, id, "import job", &st, err);
    if (rc)
        return rc;
    job_read(st, arena, out);
    db_reset(st);
    return 0;
}

int store_import_job_kinds(struct db *db, struct arena *arena, int64_t job_id,
                           struct import_job_kind **items, size_t *n, struct sd_error *err)
{
    struct db_stmt *st;
    size_t cap = 0;
    *items = NULL;
    *n = 0;
    int rc = db_prepare(db, job_kinds_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, job_id);
    while ((rc = db_step(st, err)) == DB_ROW) {
        *items = store_grow_array(arena, *items, *n, &cap, sizeof(**items));
        (*items)[(*n)++] = (struct import_job_kind){
            .kind = store_col_str(st, 0, arena),
            .rows_read = db_column_int64(st, 1),
            .inserted = db_column_int64(st, 2),
            .updated = db_column_int64(st, 3),
            .unchanged = db_column_int64(st, 4),
            .rejected = db_column_int64(st, 5),
        };
    }
    return rc;
}

int store_import_job_list(struct db *db, struct arena *arena, int64_t before, int64_t limit,
                          struct import_job **items, size_t *n, struct sd_error *err)
{
    struct db_stmt *st;
    size_t cap = 0;
    *items = NULL;
    *n = 0;
    int rc = db_prepare(db, job_list_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, before);
    db_bind_int64(st, 2, limit);
    while ((rc = db_step(st, err)) == DB_ROW) {
        *items = store_grow_array(arena, *items, *n, &cap, sizeof(**items));
        job_read(st, arena, &(*items)[(*n)++]);
    }
    return rc;
}

int store_import_job_errors(struct db *db, struct arena *arena, int64_t job_id, int64_t after,
                            int64_t limit, struct import_job_error **items, size_t *n,
                            struct sd_error *err)
{
    struct db_stmt *st;
    size_t cap = 0;
    *items = NULL;
    *n = 0;
    int rc = db_prepare(db, job_errors_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, job_id);
    db_bind_int64(st, 2, after);
    db_bind_int64(st, 3, limit);
    while ((rc = db_step(st, err)) == DB_ROW) {
        *items = store_grow_array(arena, *items, *n, &cap, sizeof(**items));
        (*items)[(*n)++] = (struct import_job_error){
            .seq = db_column_int64(st, 0),
            .file = store_col_str(st, 1, arena),
            .row = db_column_opt_int64(st, 2),
            .column = db_column_opt_int64(st, 3),
            .field = store_col_str(st, 4, arena),
            .message = store_col_str(st, 5, arena),
        };
    }
    return rc;
}
