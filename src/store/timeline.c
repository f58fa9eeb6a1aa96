/* SPDX-License-Identifier: MIT */
/*
 * timeline: an account's history in one list, newest first: orders placed
 * and shipped, invoices issued and paid, customer requests opened, answered
 * and resolved, notes on the account and on its orders and requests, and the
 * stages its opportunities entered. One statement merges them (UNION ALL of
 * per-kind selects, each driven by a per-account index), sorts and cuts them
 * in the database; order nets and units are then computed for the events
 * returned only, with the same exact line arithmetic as everywhere.
 */
#include "base/date.h"
#include "base/json.h"
#include "base/money.h"
#include "store/store-int.h"
#include "base/banned.h"

static const char *const kind_names[TIMELINE_KIND_COUNT] = {
    [TIMELINE_STAGE] = "stage",
    [TIMELINE_ORDER_PLACED] = "order_placed",
    [TIMELINE_ORDER_SHIPPED] = "order_shipped",
    [TIMELINE_INVOICE] = "invoice_issued",
    [TIMELINE_PAYMENT] = "payment",
    [TIMELINE_REQUEST_OPENED] = "request_opened",
    [TIMELINE_REQUEST_FIRST_RESPONSE] = "request_first_response",
    [TIMELINE_REQUEST_RESOLVED] = "request_resolved",
    [TIMELINE_NOTE] = "note",
};

const char *timeline_kind_name(enum timeline_kind k)
{
    return (unsigned)k < TIMELINE_KIND_COUNT ? kind_names[k] : "unknown";
}

/*
 * Columns: kind, at, dated, row_id, ref, text, text2, text3, currency, amount,
 * n1, n2, day, and the number of events in all. (at, kind, row_id) names an
 * event, except the stages one opportunity entered on one day, told apart by
 * the stage (text): the order ends with it, and the keyset cursor ?3..?6 is
 * the last event's (at, kind, row_id, text). The first SELECT types its NULL
 * columns: PostgreSQL takes a UNION's column types from its first SELECTs.
 */
static const char timeline_sql[] =
    "SELECT kind, at, dated, row_id, ref, text, text2, text3, currency, amount, n1, n2, day, "
    "total FROM (SELECT *, count(*) OVER () AS total FROM ("
    "SELECT 0 AS kind, s.entered_date * 86400000 AS at, 1 AS dated, p.id AS row_id, "
    "p.ext_id AS ref, s.stage AS text, p.name AS text2, CAST(NULL AS TEXT) AS text3, "
    "p.currency AS currency, p.amount AS amount, CAST(NULL AS BIGINT) AS n1, "
    "CAST(NULL AS BIGINT) AS n2, CAST(NULL AS BIGINT) AS day "
    "FROM opportunities p JOIN opportunity_stages s ON s.opportunity_id = p.id "
    "WHERE p.account_id = ?1 "
    "UNION ALL SELECT 1, o.order_date * 86400000, 1, o.id, o.ext_id, o.status, NULL, NULL, "
    "o.currency, NULL, NULL, NULL, NULL FROM orders o WHERE o.account_id = ?1 "
    "UNION ALL SELECT 2, o.ship_date * 86400000, 1, o.id, o.ext_id, o.status, NULL, NULL, "
    "o.currency, NULL, NULL, NULL, NULL FROM orders o "
    "WHERE o.account_id = ?1 AND o.ship_date IS NOT NULL "
    "UNION ALL SELECT 3, i.issue_date * 86400000, 1, i.id, i.ext_id, o.ext_id, NULL, NULL, "
    "i.currency, i.amount, NULL, NULL, i.due_date FROM invoices i "
    "LEFT JOIN orders o ON o.id = i.order_id WHERE i.account_id = ?1 "
    "UNION ALL SELECT 4, i.paid_date * 86400000, 1, i.id, i.ext_id, NULL, NULL, NULL, "
    "i.currency, i.paid_amount, i.amount, NULL, NULL FROM invoices i "
    "WHERE i.account_id = ?1 AND i.paid_date IS NOT NULL "
    "UNION ALL SELECT 5, r.opened_at, 0, r.id, r.ext_id, r.subject, r.priority, r.status, "
    "NULL, NULL, NULL, NULL, NULL FROM requests r WHERE r.account_id = ?1 "
    "UNION ALL SELECT 6, r.first_response_at, 0, r.id, r.ext_id, r.subject, r.priority, NULL, "
    "NULL, NULL, r.first_response_at - r.opened_at, NULL, NULL FROM requests r "
    "WHERE r.account_id = ?1 AND r.first_response_at IS NOT NULL "
    "UNION ALL SELECT 7, r.resolved_at, 0, r.id, r.ext_id, r.subject, r.priority, NULL, "
    "NULL, NULL, r.resolved_at - r.opened_at, NULL, NULL FROM requests r "
    "WHERE r.account_id = ?1 AND r.resolved_at IS NOT NULL "
    "UNION ALL SELECT 8, n.created_at, 0, n.id, a.ext_id, n.body, n.author, 'account', "
    "NULL, NULL, NULL, NULL, NULL FROM notes n JOIN accounts a ON a.id = n.entity_id "
    "WHERE n.entity = 'account' AND n.entity_id = ?1 "
    "UNION ALL SELECT 8, n.created_at, 0, n.id, o.ext_id, n.body, n.author, 'order', "
    "NULL, NULL, NULL, NULL, NULL FROM orders o "
    "JOIN notes n ON n.entity = 'order' AND n.entity_id = o.id WHERE o.account_id = ?1 "
    "UNION ALL SELECT 8, n.created_at, 0, n.id, r.ext_id, n.body, n.author, 'request', "
    "NULL, NULL, NULL, NULL, NULL FROM requests r "
    "JOIN notes n ON n.entity = 'request' AND n.entity_id = r.id WHERE r.account_id = ?1"
    ") AS events) AS counted WHERE ?3 IS NULL OR at < ?3 OR (at = ?3 AND (kind < ?4 OR "
    "(kind = ?4 AND (row_id < ?5 OR (row_id = ?5 AND text < ?6))))) "
    "ORDER BY at DESC, kind DESC, row_id DESC, text DESC LIMIT ?2";

static const char order_lines_sql[] =
    "SELECT qty, unit_price, discount, shipped_qty FROM order_lines WHERE order_id = ?";

static void read_event(struct db_stmt *st, struct arena *arena, struct timeline_event *e)
{
    e->kind = (enum timeline_kind)db_column_int64(st, 0);
    e->at = db_column_int64(st, 1);
    e->dated = (int)db_column_int64(st, 2);
    e->row_id = db_column_int64(st, 3);
    e->ref = store_col_str(st, 4, arena);
    e->text = store_col_str(st, 5, arena);
    e->text2 = store_col_str(st, 6, arena);
    e->text3 = store_col_str(st, 7, arena);
    e->currency = store_col_str(st, 8, arena);
    e->amount = db_column_is_null(st, 9) ? MONEY_NONE : db_column_int64(st, 9);
    e->n1 = db_column_opt_int64(st, 10);
    e->n2 = db_column_opt_int64(st, 11);
    e->day = db_column_opt_date(st, 12);
}

/* An order event's figures: placed gets the net and units, shipped units ordered and shipped. */
static int order_figures(struct db *db, struct timeline_event *e, struct sd_error *err)
{
    struct db_stmt *st;
    int64_t net = 0, qty = 0, shipped = 0;
    int rc = db_prepare(db, order_lines_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, e->row_id);
    while ((rc = db_step(st, err)) == DB_ROW) {
        int64_t line_net;
        if (money_line_net(db_column_int64(st, 1), db_column_int64(st, 0),
                           db_column_int64(st, 2), &line_net) ||
            money_add(net, line_net, &net)) {
            db_reset(st);
            return sd_error_set(err, SD_EOVERFLOW, "order '%s': amount out of range", e->ref);
        }
        qty += db_column_int64(st, 0);
        shipped += db_column_int64(st, 3);
    }
    if (rc)
        return rc;
    if (e->kind == TIMELINE_ORDER_PLACED) {
        e->amount = net;
        e->n1 = qty;
    } else {
        e->n1 = qty;
        e->n2 = shipped;
    }
    return 0;
}

int store_account_timeline(struct db *db, struct arena *arena, int64_t account_id,
                           const struct timeline_event *after, int limit,
                           struct timeline_event **items, size_t *n, int64_t *total,
                           struct sd_error *err)
{
    struct db_stmt *st;
    size_t cap = 0;
    *items = NULL;
    *n = 0;
    *total = 0;
    if (limit < 1)
        return sd_error_set(err, SD_EINVAL, "timeline limit %d is below 1", limit);
    int rc = db_prepare(db, timeline_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, account_id);
    db_bind_int64(st, 2, limit);
    if (after) {
        db_bind_int64(st, 3, after->at);
        db_bind_int64(st, 4, after->kind);
        db_bind_int64(st, 5, after->row_id);
        db_bind_text(st, 6, after->text ? after->text : "");
    }
    while ((rc = db_step(st, err)) == DB_ROW) {
        *items = store_grow_array(arena, *items, *n, &cap, sizeof(**items));
        read_event(st, arena, &(*items)[(*n)++]);
        *total = db_column_int64(st, 13);
    }
    for (size_t i = 0; rc == 0 && i < *n; i++) {
        enum timeline_kind k = (*items)[i].kind;
        if (k == TIMELINE_ORDER_PLACED || k == TIMELINE_ORDER_SHIPPED)
            rc = order_figures(db, &(*items)[i], err);
    }
    return rc;
}

/* ---- an event as JSON (salesdesk account --timeline --json, the API) ---- */

static void json_event_fields(struct json_writer *w, const struct timeline_event *e)
{
    switch (e->kind) {
    case TIMELINE_STAGE:
        json_kv_string(w, "stage", e->text);
        json_kv_string(w, "name", e->text2);
        json_kv_money(w, "amount", e->amount);
        json_kv_string(w, "currency", e->currency);
        break;
    case TIMELINE_ORDER_PLACED:
        json_kv_string(w, "status", e->text);
        json_kv_money(w, "net", e->amount);
        json_kv_string(w, "currency", e->currency);
        json_kv_int(w, "units", e->n1);
        break;
    case TIMELINE_ORDER_SHIPPED:
        json_kv_string(w, "status", e->text);
        json_kv_int(w, "units", e->n1);
        json_kv_int(w, "shipped_units", e->n2);
        break;
    case TIMELINE_INVOICE:
        json_kv_string(w, "order", e->text);
        json_kv_money(w, "amount", e->amount);
        json_kv_string(w, "currency", e->currency);
        json_kv_date(w, "due_date", e->day);
        break;
    case TIMELINE_PAYMENT:
        json_kv_money(w, "paid_amount", e->amount);
        json_kv_money(w, "amount", e->n1);
        json_kv_string(w, "currency", e->currency);
        break;
    case TIMELINE_REQUEST_OPENED:
        json_kv_string(w, "subject", e->text);
        json_kv_string(w, "priority", e->text2);
        json_kv_string(w, "status", e->text3);
        break;
    case TIMELINE_REQUEST_FIRST_RESPONSE:
    case TIMELINE_REQUEST_RESOLVED:
        json_kv_string(w, "subject", e->text);
        json_kv_string(w, "priority", e->text2);
        json_kv_int(w, "after_ms", e->n1);
        break;
    case TIMELINE_NOTE:
        json_kv_string(w, "on", e->text3);
        json_kv_string(w, "author", e->text2);
        json_kv_string(w, "body", e->text);
        break;
    case TIMELINE_KIND_COUNT:
        break;
    }
}

void store_timeline_event_json(struct json_writer *w, const struct timeline_event *e)
{
    json_object_begin(w);
    json_kv_ts(w, "at", e->at);
    json_kv_date(w, "date", ts_to_date(e->at));
    json_kv_bool(w, "dated", e->dated);
    json_kv_string(w, "kind", timeline_kind_name(e->kind));
    json_kv_string(w, "id", e->ref);
    json_event_fields(w, e);
    json_object_end(w);
}
