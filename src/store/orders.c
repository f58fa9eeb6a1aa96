/* SPDX-License-Identifier: MIT */
/*
 * orders: orders with their lines, invoices, and the order view (header, lines,
 * totals, invoices) the CLI and API show. An order and its lines are one
 * entity in the change_log ("order"): a change to any line is an update of
 * the order.
 */
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/money.h"
#include "base/xalloc.h"
#include <stdio.h>

#include "store/store-int.h"
#include "base/banned.h"

static const char *const status_names[ORDER_STATUS_COUNT] = {
    [ORDER_DRAFT] = "draft",         [ORDER_PENDING] = "pending",
    [ORDER_CONFIRMED] = "confirmed", [ORDER_ON_HOLD] = "on_hold",
    [ORDER_SHIPPED] = "shipped",     [ORDER_INVOICED] = "invoiced",
    [ORDER_PAID] = "paid",           [ORDER_CANCELLED] = "cancelled",
    [ORDER_RETURNED] = "returned",
};

const char *order_status_name(enum order_status status)
{
    return (unsigned)status < ORDER_STATUS_COUNT ? status_names[status] : "unknown";
}

int order_status_parse(const char *name, enum order_status *out)
{
    for (int i = 0; i < ORDER_STATUS_COUNT; i++) {
        if (strcmp(name, status_names[i]) == 0) {
            *out = (enum order_status)i;
            return 0;
        }
    }
    return SD_EINVAL;
}

int order_status_is_open(enum order_status status)
{
    return status == ORDER_DRAFT || status == ORDER_PENDING || status == ORDER_CONFIRMED ||
           status == ORDER_ON_HOLD;
}

static const struct store_table order_table = {
    .entity = "order",
    .find_sql = "SELECT id FROM orders WHERE source = ? AND ext_id = ?",
    .insert_sql = "INSERT INTO orders(source, ext_id, account_id, rep_id, order_date, "
                  "requested_date, promised_date, ship_date, status, status_date, currency, "
                  "ship_country, ship_address) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) RETURNING id",
    .update_sql = "UPDATE orders SET account_id = ?3, rep_id = ?4, order_date = ?5, "
                  "requested_date = ?6, promised_date = ?7, ship_date = ?8, status = ?9, "
                  "status_date = ?10, currency = ?11, ship_country = ?12, ship_address = ?13 "
                  "WHERE id = ?14 AND (account_id IS DISTINCT FROM ?3 OR "
                  "rep_id IS DISTINCT FROM ?4 OR order_date IS DISTINCT FROM ?5 OR "
                  "requested_date IS DISTINCT FROM ?6 OR promised_date IS DISTINCT FROM ?7 OR "
                  "ship_date IS DISTINCT FROM ?8 OR status IS DISTINCT FROM ?9 OR "
                  "status_date IS DISTINCT FROM ?10 OR currency IS DISTINCT FROM ?11 OR "
                  "ship_country IS DISTINCT FROM ?12 OR ship_address IS DISTINCT FROM ?13)",
    .n_fields = 13,
};

/* Binds the 13 fields of `o` as parameters base + 1 ... base + 13. */
static void bind_order_at(struct db_stmt *st, int base, const struct order *o)
{
    db_bind_text(st, base + 1, o->source);
    db_bind_text(st, base + 2, o->ext_id);
    db_bind_int64(st, base + 3, o->account_id);
    store_bind_ref(st, base + 4, o->rep_id);
    db_bind_int64(st, base + 5, o->order_date);
    db_bind_opt_date(st, base + 6, o->requested_date);
    db_bind_opt_date(st, base + 7, o->promised_date);
    db_bind_opt_date(st, base + 8, o->ship_date);
    db_bind_text(st, base + 9, order_status_name(o->status));
    db_bind_int64(st, base + 10, o->status_date == DATE_NONE ? o->order_date : o->status_date);
    db_bind_text(st, base + 11, o->currency ? o->currency : "USD");
    db_bind_text(st, base + 12, o->ship_country);
    db_bind_text(st, base + 13, o->ship_address);
}

static void bind_order(struct db_stmt *st, const void *obj)
{
    bind_order_at(st, 0, obj);
}

static const char line_insert_sql[] =
    "INSERT INTO order_lines(order_id, line_no, product_id, qty, unit_price, discount, "
    "shipped_qty) VALUES (?, ?, ?, ?, ?, ?, ?)";
static const char lines_delete_sql[] = "DELETE FROM order_lines WHERE order_id = ?";
static const char lines_select_sql[] =
    "SELECT line_no, product_id, qty, unit_price, discount, shipped_qty FROM order_lines "
    "WHERE order_id = ? ORDER BY line_no";

static void bind_line_at(struct db_stmt *st, int base, int64_t order_id,
                         const struct order_line *l)
{
    db_bind_int64(st, base + 1, order_id);
    db_bind_int64(st, base + 2, l->line_no);
    db_bind_int64(st, base + 3, l->product_id);
    db_bind_int64(st, base + 4, l->qty);
    db_bind_int64(st, base + 5, l->unit_price);
    db_bind_int64(st, base + 6, l->discount);
    db_bind_int64(st, base + 7, l->shipped_qty);
}

static int insert_lines(struct db *db, int64_t order_id, const struct order_line *lines,
                        size_t n, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, line_insert_sql, &st, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        bind_line_at(st, 0, order_id, &lines[i]);
        rc = store_run(st, err);
        if (rc)
            sd_error_prefix(err, "line %d", lines[i].line_no);
    }
    return rc;
}

static int compare_line_no(const void *a, const void *b)
{
    const struct order_line *x = a, *y = b;
    return (x->line_no > y->line_no) - (x->line_no < y->line_no);
}

/* 1 when the stored lines of `order_id` equal `lines` (in any order). */
static int lines_equal(struct db *db, int64_t order_id, const struct order_line *lines,
                       size_t n, int *equal, struct sd_error *err)
{
    struct order_line *sorted = xmalloc((n ? n : 1) * sizeof(*sorted));
    if (n)
        memcpy(sorted, lines, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), compare_line_no);
    struct db_stmt *st;
    size_t i = 0;
    *equal = 1;
    int rc = db_prepare(db, lines_select_sql, &st, err);
    if (rc) {
        free(sorted);
        return rc;
    }
    db_bind_int64(st, 1, order_id);
    while ((rc = db_step(st, err)) == DB_ROW) {
        const struct order_line *l = i < n ? &sorted[i] : NULL;
        i++;
        if (!l || db_column_int64(st, 0) != l->line_no ||
            db_column_int64(st, 1) != l->product_id || db_column_int64(st, 2) != l->qty ||
            db_column_int64(st, 3) != l->unit_price || db_column_int64(st, 4) != l->discount ||
            db_column_int64(st, 5) != l->shipped_qty)
            *equal = 0;
    }
    if (i != n)
        *equal = 0;
    free(sorted);
    return rc;
}

static int replace_lines(struct db *db, int64_t order_id, const struct order_line *lines,
                         size_t n, int *changed, struct sd_error *err)
{
    int equal = 0;
    int rc = lines_equal(db, order_id, lines, n, &equal, err);
    *changed = !equal;
    if (rc || equal)
        return rc;
    struct db_stmt *st;
    rc = db_prepare(db, lines_delete_sql, &st, err);
    if (rc == 0) {
        db_bind_int64(st, 1, order_id);
        rc = store_run(st, err);
    }
    return rc ? rc : insert_lines(db, order_id, lines, n, err);
}

int store_order_upsert(struct db *db, struct order *o, const struct order_line *lines,
                       size_t n_lines, enum store_write *result, struct sd_error *err)
{
    int rc = store_upsert(db, &order_table, o->source, o->ext_id, bind_order, o, &o->id,
                          result, err);
    if (rc)
        return rc;
    if (!lines) {
        /* header only: the stored lines stay */
    } else if (*result == STORE_INSERTED) {
        rc = insert_lines(db, o->id, lines, n_lines, err);
    } else {
        int changed = 0;
        rc = replace_lines(db, o->id, lines, n_lines, &changed, err);
        if (rc == 0 && changed && *result == STORE_UNCHANGED) {
            *result = STORE_UPDATED;
            rc = store_change_append(db, "order", o->id, "update", err);
        }
    }
    if (rc)
        sd_error_prefix(err, "order '%s'", o->ext_id);
    return rc;
}

int store_order_lines_set(struct db *db, int64_t order_id, const struct order_line *lines,
                          size_t n_lines, int *changed, struct sd_error *err)
{
    int rc = replace_lines(db, order_id, lines, n_lines, changed, err);
    if (rc == 0 && *changed)
        rc = store_change_append(db, "order", order_id, "update", err);
    return rc;
}

static const struct store_table invoice_table = {
    .entity = "invoice",
    .find_sql = "SELECT id FROM invoices WHERE source = ? AND ext_id = ?",
    .insert_sql = "INSERT INTO invoices(source, ext_id, order_id, account_id, issue_date, "
                  "due_date, amount, paid_amount, paid_date, currency) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
    .update_sql = "UPDATE invoices SET order_id = ?3, account_id = ?4, issue_date = ?5, "
                  "due_date = ?6, amount = ?7, paid_amount = ?8, paid_date = ?9, currency = ?10 "
                  "WHERE id = ?11 AND (order_id IS DISTINCT FROM ?3 OR "
                  "account_id IS DISTINCT FROM ?4 OR issue_date IS DISTINCT FROM ?5 OR "
                  "due_date IS DISTINCT FROM ?6 OR amount IS DISTINCT FROM ?7 OR "
                  "paid_amount IS DISTINCT FROM ?8 OR paid_date IS DISTINCT FROM ?9 OR "
                  "currency IS DISTINCT FROM ?10)",
    .n_fields = 10,
};

/* Binds the 10 fields of `inv` as parameters base + 1 ... base + 10. */
static void bind_invoice_at(struct db_stmt *st, int base, const struct invoice *inv)
{
    db_bind_text(st, base + 1, inv->source);
    db_bind_text(st, base + 2, inv->ext_id);
    store_bind_ref(st, base + 3, inv->order_id);
    db_bind_int64(st, base + 4, inv->account_id);
    db_bind_int64(st, base + 5, inv->issue_date);
    db_bind_int64(st, base + 6, inv->due_date);
    db_bind_int64(st, base + 7, inv->amount);
    db_bind_int64(st, base + 8, inv->paid_amount);
    db_bind_opt_date(st, base + 9, inv->paid_date);
    db_bind_text(st, base + 10, inv->currency ? inv->currency : "USD");
}

static void bind_invoice(struct db_stmt *st, const void *obj)
{
    bind_invoice_at(st, 0, obj);
}

int store_invoice_upsert(struct db *db, struct invoice *inv, enum store_write *result,
                         struct sd_error *err)
{
    return store_upsert(db, &invoice_table, inv->source, inv->ext_id, bind_invoice, inv,
                        &inv->id, result, err);
}

/* ---- reading ---- */

static const char order_status_sql[] = "SELECT status FROM orders WHERE id = ?";
static const char order_ext_sql[] = "SELECT ext_id FROM orders WHERE id = ?";

int store_order_ext_id(struct db *db, int64_t id, char *buf, size_t size, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = store_row_by_id(db, order_ext_sql, id, "order", &st, err);
    if (rc)
        return rc;
    snprintf(buf, size, "%s", db_column_text(st, 0));
    db_reset(st);
    return 0;
}

int store_order_status(struct db *db, int64_t id, enum order_status *status,
                       struct sd_error *err)
{
    struct db_stmt *st;
    int rc = store_row_by_id(db, order_status_sql, id, "order", &st, err);
    if (rc)
        return rc;
    rc = order_status_parse(db_column_text(st, 0), status);
    db_reset(st);
    return rc ? sd_error_set(err, SD_EDB, "order %lld has an unknown status", (long long)id) : 0;
}

int store_order_net(struct db *db, int64_t order_id, int64_t *net, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, lines_select_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, order_id);
    int64_t total = 0;
    while ((rc = db_step(st, err)) == DB_ROW) {
        int64_t line_net;
        if (money_line_net(db_column_int64(st, 3), db_column_int64(st, 2),
                           db_column_int64(st, 4), &line_net) ||
            money_add(total, line_net, &total)) {
            db_reset(st);
            return sd_error_set(err, SD_EOVERFLOW, "order %lld: amount out of range",
                                (long long)order_id);
        }
    }
    if (rc == 0)
        *net = total;
    return rc;
}

static const char order_view_sql[] =
    "SELECT o.id, o.source, o.ext_id, o.account_id, o.rep_id, o.order_date, o.requested_date, "
    "o.promised_date, o.ship_date, o.status, o.status_date, o.currency, o.ship_country, "
    "o.ship_address, a.ext_id, a.name, r.ext_id, r.name "
    "FROM orders o JOIN accounts a ON a.id = o.account_id LEFT JOIN reps r ON r.id = o.rep_id "
    "WHERE o.id = ?";
static const char order_lines_view_sql[] =
    "SELECT l.line_no, l.product_id, l.qty, l.unit_price, l.discount, l.shipped_qty, "
    "p.ext_id, p.name FROM order_lines l JOIN products p ON p.id = l.product_id "
    "WHERE l.order_id = ? ORDER BY l.line_no";
static const char order_invoices_sql[] =
    "SELECT id, source, ext_id, account_id, issue_date, due_date, amount, paid_amount, "
    "paid_date, currency FROM invoices WHERE order_id = ? ORDER BY issue_date, id";

static void read_order_header(struct db_stmt *st, struct arena *arena, struct order_view *v)
{
    struct order *o = &v->order;
    o->id = db_column_int64(st, 0);
    o->source = store_col_str(st, 1, arena);
    o->ext_id = store_col_str(st, 2, arena);
    o->account_id = db_column_int64(st, 3);
    o->rep_id = store_col_ref(st, 4);
    o->order_date = db_column_opt_date(st, 5);
    o->requested_date = db_column_opt_date(st, 6);
    o->promised_date = db_column_opt_date(st, 7);
    o->ship_date = db_column_opt_date(st, 8);
    order_status_parse(db_column_text(st, 9), &o->status);
    o->status_date = db_column_opt_date(st, 10);
    o->currency = store_col_str(st, 11, arena);
    o->ship_country = store_col_str(st, 12, arena);
    o->ship_address = store_col_str(st, 13, arena);
    v->account_ext_id = store_col_str(st, 14, arena);
    v->account_name = store_col_str(st, 15, arena);
    v->rep_ext_id = store_col_str(st, 16, arena);
    v->rep_name = store_col_str(st, 17, arena);
}

static int load_order_header(struct db *db, struct arena *arena, int64_t id,
                             struct order_view *v, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = store_row_by_id(db, order_view_sql, id, "order", &st, err);
    if (rc)
        return rc;
    read_order_header(st, arena, v);
    db_reset(st);
    return 0;
}

/* Adds one line's amounts to the view's totals; SD_EOVERFLOW when out of range. */
static int add_line_totals(struct order_view *v, struct order_line_view *lv)
{
    const struct order_line *l = &lv->line;
    if (money_mul_qty(l->unit_price, l->qty, &lv->gross) ||
        money_line_net(l->unit_price, l->qty, l->discount, &lv->net) ||
        money_add(v->total_gross, lv->gross, &v->total_gross) ||
        money_add(v->total_net, lv->net, &v->total_net))
        return SD_EOVERFLOW;
    v->total_qty += l->qty;
    v->total_shipped_qty += l->shipped_qty;
    return 0;
}

static int load_order_lines(struct db *db, struct arena *arena, struct order_view *v,
                            struct sd_error *err)
{
    struct db_stmt *st;
    size_t cap = 0;
    int rc = db_prepare(db, order_lines_view_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, v->order.id);
    while ((rc = db_step(st, err)) == DB_ROW) {
        v->lines = store_grow_array(arena, v->lines, v->n_lines, &cap, sizeof(*v->lines));
        struct order_line_view *lv = &v->lines[v->n_lines++];
        lv->line.order_id = v->order.id;
        lv->line.line_no = (int)db_column_int64(st, 0);
        lv->line.product_id = db_column_int64(st, 1);
        lv->line.qty = db_column_int64(st, 2);
        lv->line.unit_price = db_column_int64(st, 3);
        lv->line.discount = db_column_int64(st, 4);
        lv->line.shipped_qty = db_column_int64(st, 5);
        lv->sku = store_col_str(st, 6, arena);
        lv->product_name = store_col_str(st, 7, arena);
        if (add_line_totals(v, lv)) {
            db_reset(st);
            return sd_error_set(err, SD_EOVERFLOW, "order '%s': amounts out of range",
                                v->order.ext_id);
        }
    }
    v->total_discount = v->total_gross - v->total_net;
    return rc;
}

static int load_order_invoices(struct db *db, struct arena *arena, struct order_view *v,
                               struct sd_error *err)
{
    struct db_stmt *st;
    size_t cap = 0;
    int rc = db_prepare(db, order_invoices_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, v->order.id);
    while ((rc = db_step(st, err)) == DB_ROW) {
        v->invoices = store_grow_array(arena, v->invoices, v->n_invoices, &cap,
                                       sizeof(*v->invoices));
        struct invoice *inv = &v->invoices[v->n_invoices++];
        inv->id = db_column_int64(st, 0);
        inv->source = store_col_str(st, 1, arena);
        inv->ext_id = store_col_str(st, 2, arena);
        inv->order_id = v->order.id;
        inv->account_id = db_column_int64(st, 3);
        inv->issue_date = db_column_opt_date(st, 4);
        inv->due_date = db_column_opt_date(st, 5);
        inv->amount = db_column_int64(st, 6);
        inv->paid_amount = db_column_int64(st, 7);
        inv->paid_date = db_column_opt_date(st, 8);
        inv->currency = store_col_str(st, 9, arena);
        if (money_add(v->invoiced, inv->amount, &v->invoiced) ||
            money_add(v->paid, inv->paid_amount, &v->paid)) {
            db_reset(st);
            return sd_error_set(err, SD_EOVERFLOW, "order '%s': invoice sums out of range",
                                v->order.ext_id);
        }
    }
    return rc;
}

int store_order_view(struct db *db, struct arena *arena, const char *ext_id,
                     struct order_view *out, struct sd_error *err)
{
    int64_t id = 0;
    memset(out, 0, sizeof(*out));
    int rc = store_resolve(db, ENTITY_ORDER, ext_id, &id, err);
    return rc ? rc : store_order_view_id(db, arena, id, out, err);
}

int store_order_view_id(struct db *db, struct arena *arena, int64_t id, struct order_view *out,
                        struct sd_error *err)
{
    memset(out, 0, sizeof(*out));
    int rc = load_order_header(db, arena, id, out, err);
    if (rc == 0)
        rc = load_order_lines(db, arena, out, err);
    if (rc == 0)
        rc = load_order_invoices(db, arena, out, err);
    return rc;
}

/*
 * The order list, newest order date first, then the higher id, as a keyset
 * page: rows after (?7 day, ?8 id) in that order. Which index answers it
 * depends on the filter, so there is one statement per shape (the planner
 * cannot choose by parameter values), each on an index whose columns after
 * the equality are (order_date, rowid id), so it reads the rows in the
 * list's order and stops after a page: by account orders_account (account_id,
 * order_date, ...), by rep orders_rep (rep_id, order_date), by one status
 * orders_status (status, order_date), else orders_date (order_date) read
 * backwards. The date range and the cursor bound order_date from both sides
 * (?3 <= order_date <= ?4; the caller folds the cursor's day into ?4), so the
 * range starts at the cursor. A rep's scope (?6) is STORE_REP_SEES_ORDER,
 * checked per row read: a rep's page reads about `limit` rows divided by the
 * share of the rows read that the rep may see.
 */
#define ORDER_LIST_SELECT                                                                          \
    "SELECT o.id, o.source, o.ext_id, o.account_id, o.rep_id, o.order_date, o.requested_date, "    \
    "o.promised_date, o.ship_date, o.status, o.currency, a.ext_id, r.ext_id "                      \
    "FROM orders o JOIN accounts a ON a.id = o.account_id LEFT JOIN reps r ON r.id = o.rep_id "
#define ORDER_LIST_WHERE                                                                           \
    "(?1 = 0 OR o.account_id = ?1) AND (?2 = 0 OR o.rep_id = ?2) "                                 \
    "AND o.order_date BETWEEN ?3 AND ?4 "                                                          \
    "AND (?5 = 0 OR (?5 >> (CASE o.status WHEN 'draft' THEN 0 WHEN 'pending' THEN 1 "              \
    "WHEN 'confirmed' THEN 2 WHEN 'on_hold' THEN 3 WHEN 'shipped' THEN 4 WHEN 'invoiced' THEN 5 "  \
    "WHEN 'paid' THEN 6 WHEN 'cancelled' THEN 7 ELSE 8 END)) & 1 = 1) "                            \
    "AND (?6 = 0 OR " STORE_REP_SEES_ORDER("o", "?6") ") "                                         \
    "AND (o.order_date < ?7 OR o.id < ?8) ORDER BY o.order_date DESC, o.id DESC LIMIT ?9"
static const char order_list_sql[] = ORDER_LIST_SELECT "WHERE " ORDER_LIST_WHERE;
static const char order_list_account_sql[] =
    ORDER_LIST_SELECT "WHERE o.account_id = ?1 AND " ORDER_LIST_WHERE;
static const char order_list_rep_sql[] = ORDER_LIST_SELECT "WHERE o.rep_id = ?2 AND " ORDER_LIST_WHERE;
static const char order_list_status_sql[] =
    ORDER_LIST_SELECT "WHERE o.status = ?10 AND " ORDER_LIST_WHERE;

static void read_list_item(struct db_stmt *st, struct arena *arena, struct order_list_item *it)
{
    struct order *o = &it->order;
    memset(it, 0, sizeof(*it));
    o->id = db_column_int64(st, 0);
    o->source = store_col_str(st, 1, arena);
    o->ext_id = store_col_str(st, 2, arena);
    o->account_id = db_column_int64(st, 3);
    o->rep_id = store_col_ref(st, 4);
    o->order_date = db_column_opt_date(st, 5);
    o->requested_date = db_column_opt_date(st, 6);
    o->promised_date = db_column_opt_date(st, 7);
    o->ship_date = db_column_opt_date(st, 8);
    order_status_parse(db_column_text(st, 9), &o->status);
    o->status_date = DATE_NONE;
    o->currency = store_col_str(st, 10, arena);
    it->account_ext_id = store_col_str(st, 11, arena);
    it->rep_ext_id = store_col_str(st, 12, arena);
}

/* The status when the mask has exactly one, else -1. */
static int single_status(unsigned mask)
{
    for (int s = 0; s < ORDER_STATUS_COUNT; s++)
        if (mask == 1u << s)
            return s;
    return -1;
}

static const char *order_list_statement(const struct order_filter *f)
{
    if (f->account_id)
        return order_list_account_sql;
    if (f->rep_id)
        return order_list_rep_sql;
    return single_status(f->status_mask) >= 0 ? order_list_status_sql : order_list_sql;
}

int store_order_list(struct db *db, struct arena *arena, const struct order_filter *f,
                     struct order_list_item **items, size_t *n, int *more, struct sd_error *err)
{
    struct db_stmt *st;
    size_t cap = 0;
    *items = NULL;
    *n = 0;
    *more = 0;
    if (f->limit < 1 || f->limit > STORE_LIST_MAX)
        return sd_error_set(err, SD_EINVAL, "limit must be 1..%d", STORE_LIST_MAX);
    int after = f->after_id != 0;
    int32_t to = f->to == DATE_NONE ? INT32_MAX : f->to;
    if (after && f->after_date < to)
        to = f->after_date;
    const char *sql = order_list_statement(f);
    int rc = db_prepare(db, sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, f->account_id);
    db_bind_int64(st, 2, f->rep_id);
    db_bind_int64(st, 3, f->from == DATE_NONE ? INT32_MIN : f->from);
    db_bind_int64(st, 4, to);
    db_bind_int64(st, 5, f->status_mask);
    db_bind_int64(st, 6, f->scope_rep_id);
    db_bind_int64(st, 7, after ? f->after_date : INT64_MAX);
    db_bind_int64(st, 8, after ? f->after_id : INT64_MAX);
    db_bind_int64(st, 9, f->limit + 1); /* one more tells whether a next page exists */
    if (sql == order_list_status_sql)
        db_bind_text(st, 10, order_status_name((enum order_status)single_status(f->status_mask)));
    while ((rc = db_step(st, err)) == DB_ROW) {
        if (*n == (size_t)f->limit) {
            *more = 1;
            db_reset(st);
            rc = 0;
            break;
        }
        *items = store_grow_array(arena, *items, *n, &cap, sizeof(**items));
        read_list_item(st, arena, &(*items)[(*n)++]);
    }
    for (size_t i = 0; rc == 0 && i < *n; i++)
        rc = store_order_net(db, (*items)[i].order.id, &(*items)[i].net, err);
    return rc;
}

void store_order_list_item_json(struct json_writer *w, const struct order_list_item *it)
{
    const struct order *o = &it->order;
    json_object_begin(w);
    json_kv_string(w, "id", o->ext_id);
    json_kv_string(w, "account", it->account_ext_id);
    json_kv_string(w, "rep", it->rep_ext_id);
    json_kv_date(w, "order_date", o->order_date);
    json_kv_date(w, "requested_date", o->requested_date);
    json_kv_date(w, "promised_date", o->promised_date);
    json_kv_date(w, "ship_date", o->ship_date);
    json_kv_string(w, "status", order_status_name(o->status));
    json_kv_string(w, "currency", o->currency);
    json_kv_money(w, "net", it->net);
    json_object_end(w);
}

/* ---- bulk loads (store_bulk_*) ---- */

static const char order_bulk_columns[] =
    "id, source, ext_id, account_id, rep_id, order_date, requested_date, promised_date, "
    "ship_date, status, status_date, currency, ship_country, ship_address";
static const char line_bulk_columns[] =
    "order_id, line_no, product_id, qty, unit_price, discount, shipped_qty";

static const char invoice_bulk_columns[] =
    "id, source, ext_id, order_id, account_id, issue_date, due_date, amount, paid_amount, "
    "paid_date, currency";

static void load_ref(struct db_load *load, int64_t id)
{
    if (id > 0)
        db_load_int64(load, id);
    else
        db_load_text(load, NULL);
}

int store_bulk_orders_begin(struct db *db, struct db_load **out, struct sd_error *err)
{
    return db_load_begin(db, "orders", order_bulk_columns, out, err);
}

int store_bulk_order(struct db_load *load, const struct order *o, struct sd_error *err)
{
    db_load_int64(load, o->id);
    db_load_text(load, o->source);
    db_load_text(load, o->ext_id);
    db_load_int64(load, o->account_id);
    load_ref(load, o->rep_id);
    db_load_int64(load, o->order_date);
    db_load_opt_date(load, o->requested_date);
    db_load_opt_date(load, o->promised_date);
    db_load_opt_date(load, o->ship_date);
    db_load_text(load, order_status_name(o->status));
    db_load_int64(load, o->status_date == DATE_NONE ? o->order_date : o->status_date);
    db_load_text(load, o->currency ? o->currency : "USD");
    db_load_text(load, o->ship_country);
    db_load_text(load, o->ship_address);
    int rc = db_load_row(load, err);
    if (rc)
        sd_error_prefix(err, "orders (bulk)");
    return rc;
}

int store_bulk_lines_begin(struct db *db, struct db_load **out, struct sd_error *err)
{
    return db_load_begin(db, "order_lines", line_bulk_columns, out, err);
}

int store_bulk_line(struct db_load *load, const struct order_line *l, struct sd_error *err)
{
    db_load_int64(load, l->order_id);
    db_load_int64(load, l->line_no);
    db_load_int64(load, l->product_id);
    db_load_int64(load, l->qty);
    db_load_int64(load, l->unit_price);
    db_load_int64(load, l->discount);
    db_load_int64(load, l->shipped_qty);
    int rc = db_load_row(load, err);
    if (rc)
        sd_error_prefix(err, "order lines (bulk)");
    return rc;
}

int store_bulk_invoices_begin(struct db *db, struct db_load **out, struct sd_error *err)
{
    return db_load_begin(db, "invoices", invoice_bulk_columns, out, err);
}

int store_bulk_invoice(struct db_load *load, const struct invoice *inv, struct sd_error *err)
{
    db_load_int64(load, inv->id);
    db_load_text(load, inv->source);
    db_load_text(load, inv->ext_id);
    load_ref(load, inv->order_id);
    db_load_int64(load, inv->account_id);
    db_load_int64(load, inv->issue_date);
    db_load_int64(load, inv->due_date);
    db_load_int64(load, inv->amount);
    db_load_int64(load, inv->paid_amount);
    db_load_opt_date(load, inv->paid_date);
    db_load_text(load, inv->currency ? inv->currency : "USD");
    int rc = db_load_row(load, err);
    if (rc)
        sd_error_prefix(err, "invoices (bulk)");
    return rc;
}

/* ---- the order view as JSON (salesdesk order --json, GET /api/v1/orders/{id}) ---- */

static void invoice_json(struct json_writer *w, const struct invoice *inv)
{
    json_object_begin(w);
    json_kv_string(w, "id", inv->ext_id);
    json_kv_date(w, "issue_date", inv->issue_date);
    json_kv_date(w, "due_date", inv->due_date);
    json_kv_money(w, "amount", inv->amount);
    json_kv_money(w, "paid_amount", inv->paid_amount);
    json_kv_date(w, "paid_date", inv->paid_date);
    json_kv_string(w, "currency", inv->currency);
    json_object_end(w);
}

static void line_json(struct json_writer *w, const struct order_line_view *lv)
{
    json_object_begin(w);
    json_kv_int(w, "line", lv->line.line_no);
    json_kv_string(w, "sku", lv->sku);
    json_kv_string(w, "product", lv->product_name);
    json_kv_int(w, "qty", lv->line.qty);
    json_kv_money(w, "unit_price", lv->line.unit_price);
    json_kv_discount(w, "discount", lv->line.discount);
    json_kv_int(w, "shipped_qty", lv->line.shipped_qty);
    json_kv_money(w, "gross", lv->gross);
    json_kv_money(w, "net", lv->net);
    json_object_end(w);
}

static void totals_json(struct json_writer *w, const struct order_view *v)
{
    json_key(w, "totals");
    json_object_begin(w);
    json_kv_int(w, "lines", (int64_t)v->n_lines);
    json_kv_int(w, "qty", v->total_qty);
    json_kv_int(w, "shipped_qty", v->total_shipped_qty);
    json_kv_money(w, "gross", v->total_gross);
    json_kv_money(w, "discount", v->total_discount);
    json_kv_money(w, "net", v->total_net);
    json_kv_money(w, "invoiced", v->invoiced);
    json_kv_money(w, "paid", v->paid);
    json_object_end(w);
}

void store_order_view_json(struct json_writer *w, const struct order_view *v)
{
    const struct order *o = &v->order;
    json_object_begin(w);
    json_kv_string(w, "id", o->ext_id);
    json_kv_string(w, "source", o->source);
    json_kv_string(w, "account", v->account_ext_id);
    json_kv_string(w, "account_name", v->account_name);
    json_kv_string(w, "rep", v->rep_ext_id);
    json_kv_string(w, "rep_name", v->rep_name);
    json_kv_string(w, "status", order_status_name(o->status));
    json_kv_date(w, "status_date", o->status_date);
    json_kv_date(w, "order_date", o->order_date);
    json_kv_date(w, "requested_date", o->requested_date);
    json_kv_date(w, "promised_date", o->promised_date);
    json_kv_date(w, "ship_date", o->ship_date);
    json_kv_string(w, "currency", o->currency);
    json_kv_string(w, "ship_country", o->ship_country);
    json_kv_string(w, "ship_address", o->ship_address);
    json_key(w, "lines");
    json_array_begin(w);
    for (size_t i = 0; i < v->n_lines; i++)
        line_json(w, &v->lines[i]);
    json_array_end(w);
    totals_json(w, v);
    json_key(w, "invoices");
    json_array_begin(w);
    for (size_t i = 0; i < v->n_invoices; i++)
        invoice_json(w, &v->invoices[i]);
    json_array_end(w);
    json_object_end(w);
}
