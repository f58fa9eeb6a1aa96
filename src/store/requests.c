/* SPDX-License-Identifier: MIT */
/* requests: customer requests (questions, complaints, changes) with their SLA timestamps. */
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
