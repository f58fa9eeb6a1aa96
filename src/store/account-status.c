/* SPDX-License-Identifier: MIT */
/*
 * account-status: the reads behind one account's status page
 * (desk/account.c): the lines of its orders in a date range, the days it
 * ordered on, its open customer requests and the names of a few products.
 * Every statement starts from the account's own index (orders_account,
 * requests_account) or a primary key, so one account costs what it holds,
 * never a scan of the whole store.
 */
#include <string.h>

#include "base/json.h"
#include "base/money.h"
#include "store/store-int.h"
#include "base/banned.h"

/* Orders that were placed for real: everything but drafts and cancellations. */
#define PLACED_STATUSES                                                                            \
    "('pending', 'confirmed', 'on_hold', 'shipped', 'invoiced', 'paid', 'returned')"
#define BOOKED_STATUSES "('pending', 'confirmed', 'on_hold', 'shipped', 'invoiced', 'paid')"

static const char account_lines_sql[] =
    "SELECT o.order_date, o.status, l.product_id, l.qty, l.unit_price, l.discount "
    "FROM orders o JOIN order_lines l ON l.order_id = o.id "
    "WHERE o.account_id = ?1 AND o.order_date BETWEEN ?2 AND ?3 AND o.status IN " PLACED_STATUSES;
/* Covered by orders_account (account_id, order_date, status, currency): no row is read. */
static const char account_orders_sql[] =
    "SELECT order_date, status, currency FROM orders WHERE account_id = ?1 "
    "AND order_date BETWEEN ?2 AND ?3 AND status IN " PLACED_STATUSES;
static const char account_order_days_sql[] =
    "SELECT DISTINCT order_date FROM orders WHERE account_id = ?1 AND order_date <= ?2 "
    "AND status IN " BOOKED_STATUSES " ORDER BY order_date DESC LIMIT ?3";
static const char account_requests_sql[] =
    "SELECT r.ext_id, o.ext_id, r.kind, r.subject, r.priority, r.status, r.opened_at "
    "FROM requests r LEFT JOIN orders o ON o.id = r.order_id WHERE r.account_id = ?1 "
    "AND r.status IN ('open', 'in_progress', 'waiting') ORDER BY r.opened_at, r.id";
static const char product_brief_sql[] = "SELECT ext_id, name FROM products WHERE id = ?1";

int store_account_lines(struct db *db, int64_t account_id, int32_t from, int32_t to,
                        store_account_line_fn *fn, void *ctx, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, account_lines_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, account_id);
    db_bind_int64(st, 2, from);
    db_bind_int64(st, 3, to);
    while ((rc = db_step(st, err)) == DB_ROW) {
        struct store_account_line l = {
            .order_date = (int32_t)db_column_int64(st, 0),
            .product_id = db_column_int64(st, 2),
            .qty = db_column_int64(st, 3),
        };
        order_status_parse(db_column_text(st, 1), &l.status);
        int stop = money_line_net(db_column_int64(st, 4), l.qty, db_column_int64(st, 5), &l.net)
                       ? sd_error_set(err, SD_EOVERFLOW,
                                      "account id %lld: an order line's net is out of range",
                                      (long long)account_id)
                       : fn(ctx, &l);
        if (stop) {
            db_reset(st);
            return stop;
        }
    }
    return rc;
}

int store_account_orders(struct db *db, int64_t account_id, int32_t from, int32_t to,
                         store_account_order_fn *fn, void *ctx, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, account_orders_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, account_id);
    db_bind_int64(st, 2, from);
    db_bind_int64(st, 3, to);
    while ((rc = db_step(st, err)) == DB_ROW) {
        enum order_status status = ORDER_DRAFT;
        order_status_parse(db_column_text(st, 1), &status);
        int stop = fn(ctx, (int32_t)db_column_int64(st, 0), status, db_column_text(st, 2));
        if (stop) {
            db_reset(st);
            return stop;
        }
    }
    return rc;
}

int store_account_order_days(struct db *db, int64_t account_id, int32_t to, int32_t *days,
                             size_t max, size_t *n, struct sd_error *err)
{
    struct db_stmt *st;
    *n = 0;
    int rc = db_prepare(db, account_order_days_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, account_id);
    db_bind_int64(st, 2, to);
    db_bind_int64(st, 3, (int64_t)max);
    while ((rc = db_step(st, err)) == DB_ROW) {
        if (*n == max) { /* LIMIT says it cannot happen; days[] has room for max */
            db_reset(st);
            return 0;
        }
        days[(*n)++] = (int32_t)db_column_int64(st, 0);
    }
    return rc;
}

int store_account_open_requests(struct db *db, struct arena *arena, int64_t account_id,
                                struct store_account_request **items, size_t *n,
                                struct sd_error *err)
{
    struct db_stmt *st;
    size_t cap = 0;
    *items = NULL;
    *n = 0;
    int rc = db_prepare(db, account_requests_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, account_id);
    while ((rc = db_step(st, err)) == DB_ROW) {
        *items = store_grow_array(arena, *items, *n, &cap, sizeof(**items));
        struct store_account_request *r = &(*items)[(*n)++];
        r->ext_id = store_col_str(st, 0, arena);
        r->order_ext_id = store_col_str(st, 1, arena);
        r->kind = store_col_str(st, 2, arena);
        r->subject = store_col_str(st, 3, arena);
        r->priority = store_col_str(st, 4, arena);
        r->status = store_col_str(st, 5, arena);
        r->opened_at = db_column_int64(st, 6);
    }
    return rc;
}

int store_product_brief(struct db *db, struct arena *arena, int64_t id, const char **sku,
                        const char **name, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = store_row_by_id(db, product_brief_sql, id, "product", &st, err);
    if (rc)
        return rc;
    *sku = store_col_str(st, 0, arena);
    *name = store_col_str(st, 1, arena);
    db_reset(st);
    return 0;
}
