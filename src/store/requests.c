/* SPDX-License-Identifier: MIT */
/*
 * requests: customer requests (questions, complaints, changes) with their SLA
 * timestamps: the import's upsert, and the desk's reads and writes (one
 * request with its names, a generated id for a new one, status and assignee
 * changes, lists by status).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "store/store-int.h"
#include "base/banned.h"

static const struct store_table request_table = {
    .entity = "request",
    .find_sql = "SELECT id FROM requests WHERE source = ? AND ext_id = ?",
    .insert_sql = "INSERT INTO requests(source, ext_id, account_id, order_id, kind, subject, "
                  "priority, status, opened_at, first_response_at, resolved_at, assignee_rep_id) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) RETURNING id",
    .update_sql = "UPDATE requests SET account_id = ?3, order_id = ?4, kind = ?5, subject = ?6, "
                  "priority = ?7, status = ?8, opened_at = ?9, first_response_at = ?10, "
                  "resolved_at = ?11, assignee_rep_id = ?12 WHERE id = ?13 AND "
                  "(account_id IS DISTINCT FROM ?3 OR order_id IS DISTINCT FROM ?4 OR "
                  "kind IS DISTINCT FROM ?5 OR subject IS DISTINCT FROM ?6 OR "
                  "priority IS DISTINCT FROM ?7 OR status IS DISTINCT FROM ?8 OR "
                  "opened_at IS DISTINCT FROM ?9 OR first_response_at IS DISTINCT FROM ?10 OR "
                  "resolved_at IS DISTINCT FROM ?11 OR assignee_rep_id IS DISTINCT FROM ?12)",
    .n_fields = 12,
};

static void bind_request(struct db_stmt *st, const void *obj)
{
    const struct request *r = obj;
    db_bind_text(st, 1, r->source);
    db_bind_text(st, 2, r->ext_id);
    db_bind_int64(st, 3, r->account_id);
    store_bind_ref(st, 4, r->order_id);
    db_bind_text(st, 5, r->kind);
    db_bind_text(st, 6, r->subject);
    db_bind_text(st, 7, r->priority ? r->priority : "normal");
    db_bind_text(st, 8, r->status ? r->status : "open");
    db_bind_int64(st, 9, r->opened_at);
    db_bind_opt_int64(st, 10, r->first_response_at);
    db_bind_opt_int64(st, 11, r->resolved_at);
    store_bind_ref(st, 12, r->assignee_rep_id);
}

int store_request_upsert(struct db *db, struct request *r, enum store_write *result,
                         struct sd_error *err)
{
    return store_upsert(db, &request_table, r->source, r->ext_id, bind_request, r, &r->id,
                        result, err);
}

/* ---- the desk: statuses, one request, writes, lists ---- */

static const char *const request_status_names[REQUEST_STATUS_COUNT] = {
    [REQUEST_OPEN] = "open",         [REQUEST_IN_PROGRESS] = "in_progress",
    [REQUEST_WAITING] = "waiting",   [REQUEST_RESOLVED] = "resolved",
    [REQUEST_CLOSED] = "closed",
};

const char *request_status_name(enum request_status status)
{
    return (unsigned)status < REQUEST_STATUS_COUNT ? request_status_names[status] : "unknown";
}

int request_status_parse(const char *name)
{
    for (int i = 0; name && i < REQUEST_STATUS_COUNT; i++) {
        if (strcmp(name, request_status_names[i]) == 0)
            return i;
    }
    return -1;
}

#define REQUEST_VIEW_SELECT                                                                   \
    "SELECT r.id, r.source, r.ext_id, r.account_id, r.order_id, r.kind, r.subject, "          \
    "r.priority, r.status, r.opened_at, r.first_response_at, r.resolved_at, "                 \
    "r.assignee_rep_id, a.ext_id, a.name, o.ext_id, p.ext_id, p.name "                        \
    "FROM requests r JOIN accounts a ON a.id = r.account_id "                                 \
    "LEFT JOIN orders o ON o.id = r.order_id LEFT JOIN reps p ON p.id = r.assignee_rep_id "

static const char request_view_sql[] = REQUEST_VIEW_SELECT "WHERE r.id = ?";
static const char request_list_sql[] =
    REQUEST_VIEW_SELECT "WHERE r.status = ?1 AND (?2 = 0 OR r.assignee_rep_id = ?2) "
                        "AND (?3 IS NULL OR r.priority = ?3) AND (?4 = 0 OR r.account_id = ?4) "
                        "AND (?5 = 0 OR " STORE_REP_SEES_REQUEST("r", "?5") ") ORDER BY r.id";
static const char request_count_source_sql[] = "SELECT count(*) FROM requests WHERE source = ?";
static const char request_ext_taken_sql[] = "SELECT 1 FROM requests WHERE ext_id = ? LIMIT 1";
static const char request_set_state_sql[] =
    "UPDATE requests SET status = ?2, first_response_at = ?3, resolved_at = ?4 WHERE id = ?1";
static const char request_set_assignee_sql[] =
    "UPDATE requests SET assignee_rep_id = ?2 WHERE id = ?1";
static const char rep_brief_sql[] = "SELECT ext_id, status FROM reps WHERE id = ?";
static const char order_account_sql[] = "SELECT account_id FROM orders WHERE id = ?";

static void read_request_view(struct db_stmt *st, struct arena *arena, struct request_view *v)
{
    struct request *r = &v->request;
    r->id = db_column_int64(st, 0);
    r->source = store_col_str(st, 1, arena);
    r->ext_id = store_col_str(st, 2, arena);
    r->account_id = db_column_int64(st, 3);
    r->order_id = store_col_ref(st, 4);
    r->kind = store_col_str(st, 5, arena);
    r->subject = store_col_str(st, 6, arena);
    r->priority = store_col_str(st, 7, arena);
    r->status = store_col_str(st, 8, arena);
    r->opened_at = db_column_int64(st, 9);
    r->first_response_at = db_column_opt_int64(st, 10);
    r->resolved_at = db_column_opt_int64(st, 11);
    r->assignee_rep_id = store_col_ref(st, 12);
    v->status = (enum request_status)request_status_parse(r->status); /* CHECK keeps it valid */
    v->account_ext_id = store_col_str(st, 13, arena);
    v->account_name = store_col_str(st, 14, arena);
    v->order_ext_id = store_col_str(st, 15, arena);
    v->assignee_ext_id = store_col_str(st, 16, arena);
    v->assignee_name = store_col_str(st, 17, arena);
}

int store_request_view(struct db *db, struct arena *arena, int64_t id, struct request_view *out,
                       struct sd_error *err)
{
    struct db_stmt *st;
    int rc = store_row_by_id(db, request_view_sql, id, "request", &st, err);
    if (rc)
        return rc;
    read_request_view(st, arena, out);
    db_reset(st);
    return 0;
}

/* 1 in *taken when some request of any source has external id `ext_id`. */
static int ext_id_taken(struct db *db, const char *ext_id, int *taken, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, request_ext_taken_sql, &st, err);
    if (rc)
        return rc;
    db_bind_text(st, 1, ext_id);
    rc = db_step(st, err);
    if (rc < 0)
        return rc;
    *taken = rc == DB_ROW;
    db_reset(st);
    return 0;
}

/* The first free "PREFIX<n>" from the source's request count + 1 on, into r->ext_id. */
static int next_ext_id(struct db *db, struct arena *arena, struct request *r, const char *prefix,
                       struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, request_count_source_sql, &st, err);
    if (rc)
        return rc;
    db_bind_text(st, 1, r->source);
    rc = db_step(st, err);
    if (rc < 0)
        return rc;
    long long number = db_column_int64(st, 0) + 1;
    db_reset(st);
    char buf[64];
    for (int taken = 1; taken; number++) {
        snprintf(buf, sizeof(buf), "%s%lld", prefix, number);
        rc = ext_id_taken(db, buf, &taken, err);
        if (rc)
            return rc;
    }
    r->ext_id = arena_strndup(arena, buf, strlen(buf));
    if (!r->ext_id)
        abort(); /* store reads use unbounded arenas */
    return 0;
}

int store_request_create(struct db *db, struct arena *arena, struct request *r,
                         const char *prefix, struct sd_error *err)
{
    int rc = next_ext_id(db, arena, r, prefix, err);
    if (rc)
        return rc;
    enum store_write w;
    r->id = 0;
    rc = store_request_upsert(db, r, &w, err);
    if (rc == 0 && w != STORE_INSERTED)
        return sd_error_set(err, SD_ECONFLICT, "request '%s' exists already", r->ext_id);
    return rc;
}

/* Runs an UPDATE of one request by id and appends its change_log row. */
static int update_request(struct db *db, struct db_stmt *st, int64_t id, struct sd_error *err)
{
    int rc = store_run(st, err);
    if (rc)
        return rc;
    if (db_changes(db) == 0)
        return sd_error_set(err, SD_ENOTFOUND, "no request with internal id %lld", (long long)id);
    return store_change_append(db, "request", id, "update", err);
}

int store_request_set_state(struct db *db, int64_t id, enum request_status status,
                            int64_t first_response_at, int64_t resolved_at,
                            struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, request_set_state_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, id);
    db_bind_text(st, 2, request_status_name(status));
    db_bind_opt_int64(st, 3, first_response_at);
    db_bind_opt_int64(st, 4, resolved_at);
    return update_request(db, st, id, err);
}

int store_request_set_assignee(struct db *db, int64_t id, int64_t rep_id, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, request_set_assignee_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, id);
    store_bind_ref(st, 2, rep_id);
    return update_request(db, st, id, err);
}

/* Appends the requests of one status matching `f` to *items. */
static int list_status(struct db *db, struct arena *arena, const struct request_filter *f,
                       enum request_status status, struct request_view **items, size_t *n,
                       size_t *cap, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, request_list_sql, &st, err);
    if (rc)
        return rc;
    db_bind_text(st, 1, request_status_name(status));
    db_bind_int64(st, 2, f->assignee_rep_id);
    if (f->priority)
        db_bind_text(st, 3, f->priority);
    else
        db_bind_null(st, 3);
    db_bind_int64(st, 4, f->account_id);
    db_bind_int64(st, 5, f->scope_rep_id);
    while ((rc = db_step(st, err)) == DB_ROW) {
        *items = store_grow_array(arena, *items, *n, cap, sizeof(**items));
        read_request_view(st, arena, &(*items)[(*n)++]);
    }
    return rc;
}

int store_request_list(struct db *db, struct arena *arena, const struct request_filter *f,
                       struct request_view **items, size_t *n, struct sd_error *err)
{
    size_t cap = 0;
    int rc = 0;
    *items = NULL;
    *n = 0;
    for (int s = 0; rc == 0 && s < REQUEST_STATUS_COUNT; s++) {
        if (!f->status_mask || (f->status_mask & (1u << s)))
            rc = list_status(db, arena, f, (enum request_status)s, items, n, &cap, err);
    }
    return rc;
}

int store_rep_brief(struct db *db, struct arena *arena, int64_t id, const char **ext_id,
                    int *active, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = store_row_by_id(db, rep_brief_sql, id, "rep", &st, err);
    if (rc)
        return rc;
    *ext_id = store_col_str(st, 0, arena);
    *active = strcmp(db_column_text(st, 1), "active") == 0;
    db_reset(st);
    return 0;
}

int store_order_account(struct db *db, int64_t order_id, int64_t *account_id,
                        struct sd_error *err)
{
    struct db_stmt *st;
    int rc = store_row_by_id(db, order_account_sql, order_id, "order", &st, err);
    if (rc)
        return rc;
    *account_id = db_column_int64(st, 0);
    db_reset(st);
    return 0;
}
