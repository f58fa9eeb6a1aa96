/* SPDX-License-Identifier: MIT */
/*
 * doctor: the reads of the order doctor (desk/doctor.c). One order with its
 * context, or every open and shipped order at once, loaded into plain arrays
 * (store.h, "Order doctor reads"). The batch reads each table in one pass
 * (a few set-based statements), never a statement per order, so that every
 * open order of a ten-million-line store is diagnosed in well under a second.
 */
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/vec.h"
#include "base/xalloc.h"
#include "store/store-int.h"
#include "base/banned.h"

#define OPEN_STATUSES "('draft', 'pending', 'confirmed', 'on_hold')"
#define SUBJECT_STATUSES "('draft', 'pending', 'confirmed', 'on_hold', 'shipped')"
#define ORDER_COLS                                                                            \
    "o.id, o.source, o.ext_id, o.account_id, o.rep_id, o.order_date, o.requested_date, "     \
    "o.promised_date, o.ship_date, o.status, o.status_date, o.currency, o.ship_country, "    \
    "o.ship_address"
#define LINE_COLS "l.order_id, l.line_no, l.product_id, l.qty, l.unit_price, l.discount, l.shipped_qty"
/* Invoices without their strings: the doctor needs the figures, and 100,000s of them. */
#define INVOICE_COLS                                                                          \
    "i.id, i.order_id, i.account_id, i.issue_date, i.due_date, i.amount, i.paid_amount, "    \
    "i.paid_date"
#define PRODUCT_COLS                                                                          \
    "p.id, p.ext_id, p.list_price, p.status, "                                               \
    "COALESCE((SELECT SUM(s.on_hand - s.reserved) FROM stock s WHERE s.product_id = p.id), 0)"
#define ACCOUNT_COLS "a.id, a.ext_id, a.status, a.credit_limit, a.name, a.segment, a.region"
#define REP_COLS "r.id, r.ext_id, r.discount_limit, r.name, t.ext_id, t.name"
#define REP_TEAM_JOIN "LEFT JOIN teams t ON t.id = r.team_id"
#define REQUEST_COLS "r.order_id, r.ext_id, r.status, r.priority"
#define OPEN_REQUEST "r.status IN ('open', 'in_progress', 'waiting')"

/* ---- the batch: every open and shipped order ---- */

static const char batch_orders_sql[] =
    "SELECT " ORDER_COLS " FROM orders o WHERE o.status IN " SUBJECT_STATUSES;
static const char batch_lines_sql[] =
    "SELECT " LINE_COLS " FROM orders o JOIN order_lines l ON l.order_id = o.id "
    "WHERE o.status IN " SUBJECT_STATUSES;
/* Earlier orders in a date window, for duplicates (subjects are loaded already). */
static const char window_orders_sql[] =
    "SELECT " ORDER_COLS " FROM orders o WHERE o.order_date BETWEEN ?1 AND ?2 "
    "AND o.status NOT IN ('cancelled', 'draft', 'pending', 'confirmed', 'on_hold', 'shipped')";
static const char batch_unpaid_sql[] =
    "SELECT " INVOICE_COLS " FROM invoices i WHERE i.paid_amount < i.amount";
/* The subjects' paid invoices (their unpaid ones come with batch_unpaid_sql). */
static const char batch_invoices_sql[] =
    "SELECT " INVOICE_COLS " FROM orders o JOIN invoices i ON i.order_id = o.id "
    "WHERE o.status IN " SUBJECT_STATUSES " AND i.paid_amount >= i.amount";
/* The accounts of the subjects only: a fraction of all accounts. */
static const char batch_accounts_sql[] =
    "SELECT " ACCOUNT_COLS " FROM accounts a WHERE a.id IN "
    "(SELECT o.account_id FROM orders o WHERE o.status IN " SUBJECT_STATUSES ")";
static const char batch_reps_sql[] = "SELECT " REP_COLS " FROM reps r " REP_TEAM_JOIN;
static const char batch_products_sql[] = "SELECT " PRODUCT_COLS " FROM products p";
static const char batch_requests_sql[] =
    "SELECT " REQUEST_COLS " FROM requests r WHERE r.order_id IS NOT NULL AND " OPEN_REQUEST;

/* ---- one order and its context ---- */

static const char one_order_sql[] = "SELECT " ORDER_COLS " FROM orders o WHERE o.id = ?1";
static const char one_lines_sql[] =
    "SELECT " LINE_COLS " FROM order_lines l WHERE l.order_id = ?1 ORDER BY l.line_no";
static const char account_orders_sql[] =
    "SELECT o.id FROM orders o WHERE o.account_id = ?1 AND (o.status IN " OPEN_STATUSES
    " OR (o.order_date BETWEEN ?2 AND ?3 AND o.status <> 'cancelled'))";
/*
 * The lines of other accounts' open orders for the subject's products, each
 * with its order's header: what competes for the same stock. Driven from the
 * open orders (SQLite: CROSS JOIN fixes the order, and + keeps the product
 * index out): the product index would visit every line ever written for a
 * popular product. The join condition is in WHERE: CROSS JOIN takes no ON in
 * PostgreSQL (whose planner picks the order itself).
 */
static const char competing_lines_sql[] =
    "SELECT " ORDER_COLS ", " LINE_COLS " FROM orders o CROSS JOIN order_lines l "
    "WHERE l.order_id = o.id AND o.status IN " OPEN_STATUSES " AND o.account_id <> ?2 "
    "AND +l.product_id IN (SELECT product_id FROM order_lines WHERE order_id = ?1)";
static const char one_unpaid_sql[] =
    "SELECT " INVOICE_COLS " FROM invoices i WHERE i.account_id = ?1 AND i.paid_amount < i.amount";
static const char one_unpaid_of_order_sql[] =
    "SELECT " INVOICE_COLS " FROM invoices i WHERE i.order_id = ?1 AND i.paid_amount < i.amount";
static const char one_invoices_sql[] =
    "SELECT " INVOICE_COLS " FROM invoices i WHERE i.order_id = ?1 AND i.paid_amount >= i.amount";
static const char one_account_sql[] = "SELECT " ACCOUNT_COLS " FROM accounts a WHERE a.id = ?1";
static const char one_rep_sql[] =
    "SELECT " REP_COLS " FROM reps r " REP_TEAM_JOIN " WHERE r.id = ?1";
static const char one_products_sql[] =
    "SELECT " PRODUCT_COLS " FROM products p "
    "WHERE p.id IN (SELECT product_id FROM order_lines WHERE order_id = ?1)";
static const char one_requests_sql[] =
    "SELECT " REQUEST_COLS " FROM requests r WHERE r.order_id = ?1 AND " OPEN_REQUEST;

/* The arrays while they are read; finish() sorts them into the result. */
struct loader {
    struct db *db;
    struct arena *arena;
    struct sd_error *err;
    struct vec orders;   /* struct store_doctor_order */
    struct vec lines;    /* struct order_line */
    struct vec invoices; /* struct invoice */
    struct vec accounts; /* struct store_doctor_account */
    struct vec reps;     /* struct store_doctor_rep */
    struct vec products; /* struct store_doctor_product */
    struct vec requests; /* struct store_doctor_request */
};

static void loader_init(struct loader *ld, struct db *db, struct arena *arena,
                        struct sd_error *err)
{
    ld->db = db;
    ld->arena = arena;
    ld->err = err;
    vec_init(&ld->orders, sizeof(struct store_doctor_order));
    vec_init(&ld->lines, sizeof(struct order_line));
    vec_init(&ld->invoices, sizeof(struct invoice));
    vec_init(&ld->accounts, sizeof(struct store_doctor_account));
    vec_init(&ld->reps, sizeof(struct store_doctor_rep));
    vec_init(&ld->products, sizeof(struct store_doctor_product));
    vec_init(&ld->requests, sizeof(struct store_doctor_request));
}

static void loader_release(struct loader *ld)
{
    vec_release(&ld->orders);
    vec_release(&ld->lines);
    vec_release(&ld->invoices);
    vec_release(&ld->accounts);
    vec_release(&ld->reps);
    vec_release(&ld->products);
    vec_release(&ld->requests);
}

/* Row readers: one per kind, the columns of the *_COLS lists in order. */
static void read_order(struct loader *ld, struct db_stmt *st, int subject)
{
    struct store_doctor_order *row = vec_push_zero(&ld->orders);
    struct order *o = &row->order;
    row->subject = subject;
    o->id = db_column_int64(st, 0);
    o->source = store_col_str(st, 1, ld->arena);
    o->ext_id = store_col_str(st, 2, ld->arena);
    o->account_id = db_column_int64(st, 3);
    o->rep_id = store_col_ref(st, 4);
    o->order_date = db_column_opt_date(st, 5);
    o->requested_date = db_column_opt_date(st, 6);
    o->promised_date = db_column_opt_date(st, 7);
    o->ship_date = db_column_opt_date(st, 8);
    order_status_parse(db_column_text(st, 9), &o->status);
    o->status_date = db_column_opt_date(st, 10);
    o->currency = store_col_str(st, 11, ld->arena);
    o->ship_country = store_col_str(st, 12, ld->arena);
    o->ship_address = store_col_str(st, 13, ld->arena);
}

/* A line from the LINE_COLS that start at column `base`. */
static void read_line_at(struct loader *ld, struct db_stmt *st, int base)
{
    struct order_line *l = vec_push_zero(&ld->lines);
    l->order_id = db_column_int64(st, base);
    l->line_no = (int)db_column_int64(st, base + 1);
    l->product_id = db_column_int64(st, base + 2);
    l->qty = db_column_int64(st, base + 3);
    l->unit_price = db_column_int64(st, base + 4);
    l->discount = db_column_int64(st, base + 5);
    l->shipped_qty = db_column_int64(st, base + 6);
}

static void read_line(struct loader *ld, struct db_stmt *st)
{
    read_line_at(ld, st, 0);
}

static void read_invoice(struct loader *ld, struct db_stmt *st)
{
    struct invoice *inv = vec_push_zero(&ld->invoices);
    inv->id = db_column_int64(st, 0);
    inv->order_id = store_col_ref(st, 1);
    inv->account_id = db_column_int64(st, 2);
    inv->issue_date = db_column_opt_date(st, 3);
    inv->due_date = db_column_opt_date(st, 4);
    inv->amount = db_column_int64(st, 5);
    inv->paid_amount = db_column_int64(st, 6);
    inv->paid_date = db_column_opt_date(st, 7);
}

static void read_account(struct loader *ld, struct db_stmt *st)
{
    struct store_doctor_account *a = vec_push_zero(&ld->accounts);
    a->id = db_column_int64(st, 0);
    a->ext_id = store_col_str(st, 1, ld->arena);
    a->status = store_col_str(st, 2, ld->arena);
    a->credit_limit = db_column_is_null(st, 3) ? MONEY_NONE : db_column_int64(st, 3);
    a->name = store_col_str(st, 4, ld->arena);
    a->segment = store_col_str(st, 5, ld->arena);
    a->region = store_col_str(st, 6, ld->arena);
}

static void read_rep(struct loader *ld, struct db_stmt *st)
{
    struct store_doctor_rep *r = vec_push_zero(&ld->reps);
    r->id = db_column_int64(st, 0);
    r->ext_id = store_col_str(st, 1, ld->arena);
    r->discount_limit = db_column_is_null(st, 2) ? INT_NONE : db_column_int64(st, 2);
    r->name = store_col_str(st, 3, ld->arena);
    r->team_ext_id = store_col_str(st, 4, ld->arena);
    r->team_name = store_col_str(st, 5, ld->arena);
}

static void read_product(struct loader *ld, struct db_stmt *st)
{
    struct store_doctor_product *p = vec_push_zero(&ld->products);
    p->id = db_column_int64(st, 0);
    p->sku = store_col_str(st, 1, ld->arena);
    p->list_price = db_column_int64(st, 2);
    const char *status = db_column_text(st, 3);
    p->discontinued = status && strcmp(status, "discontinued") == 0;
    p->available = db_column_int64(st, 4);
}

static void read_request(struct loader *ld, struct db_stmt *st)
{
    struct store_doctor_request *r = vec_push_zero(&ld->requests);
    r->order_id = db_column_int64(st, 0);
    r->ext_id = store_col_str(st, 1, ld->arena);
    r->status = store_col_str(st, 2, ld->arena);
    r->priority = store_col_str(st, 3, ld->arena);
}

enum row_kind { ROW_ORDER, ROW_SUBJECT, ROW_LINE, ROW_ORDER_LINE, ROW_INVOICE, ROW_ACCOUNT,
                ROW_REP, ROW_PRODUCT, ROW_REQUEST };

#define ORDER_COLS_COUNT 14

static void read_row(struct loader *ld, struct db_stmt *st, enum row_kind kind)
{
    switch (kind) {
    case ROW_ORDER: read_order(ld, st, 0); break;
    case ROW_SUBJECT: read_order(ld, st, 1); break;
    case ROW_LINE: read_line(ld, st); break;
    case ROW_ORDER_LINE: /* an order header (repeated per line, merged in finish) and a line */
        read_order(ld, st, 0);
        read_line_at(ld, st, ORDER_COLS_COUNT);
        break;
    case ROW_INVOICE: read_invoice(ld, st); break;
    case ROW_ACCOUNT: read_account(ld, st); break;
    case ROW_REP: read_rep(ld, st); break;
    case ROW_PRODUCT: read_product(ld, st); break;
    case ROW_REQUEST: read_request(ld, st); break;
    }
}

/*
 * Runs `sql` with up to three integer parameters (n_params of them) and reads
 * every row as `kind`.
 */
static int load_rows(struct loader *ld, const char *sql, enum row_kind kind, int n_params,
                     int64_t p1, int64_t p2, int64_t p3)
{
    struct db_stmt *st;
    int rc = db_prepare(ld->db, sql, &st, ld->err);
    if (rc)
        return rc;
    int64_t params[3] = {p1, p2, p3};
    for (int i = 0; i < n_params; i++)
        db_bind_int64(st, i + 1, params[i]);
    while ((rc = db_step(st, ld->err)) == DB_ROW)
        read_row(ld, st, kind);
    return rc;
}

/* ---- sorting into the result ---- */

static int cmp_i64(int64_t a, int64_t b)
{
    return (a > b) - (a < b);
}

static int cmp_order(const void *a, const void *b)
{
    const struct store_doctor_order *x = a, *y = b;
    return cmp_i64(x->order.id, y->order.id);
}

static int cmp_line(const void *a, const void *b)
{
    const struct order_line *x = a, *y = b;
    int c = cmp_i64(x->order_id, y->order_id);
    return c ? c : cmp_i64(x->line_no, y->line_no);
}

static int cmp_account(const void *a, const void *b)
{
    return cmp_i64(((const struct store_doctor_account *)a)->id,
                   ((const struct store_doctor_account *)b)->id);
}

static int cmp_rep(const void *a, const void *b)
{
    return cmp_i64(((const struct store_doctor_rep *)a)->id,
                   ((const struct store_doctor_rep *)b)->id);
}

static int cmp_product(const void *a, const void *b)
{
    return cmp_i64(((const struct store_doctor_product *)a)->id,
                   ((const struct store_doctor_product *)b)->id);
}

static int cmp_request(const void *a, const void *b)
{
    return cmp_i64(((const struct store_doctor_request *)a)->order_id,
                   ((const struct store_doctor_request *)b)->order_id);
}

/*
 * Sorts a vector with `cmp` and drops rows equal to their predecessor under
 * it; `merge`, when given, lets the kept row absorb the dropped one.
 */
static size_t sort_unique(struct vec *v, int (*cmp)(const void *, const void *),
                          void (*merge)(void *kept, const void *dropped))
{
    if (v->len == 0)
        return 0;
    qsort(v->items, v->len, v->elem_size, cmp);
    char *base = v->items;
    size_t kept = 1;
    for (size_t i = 1; i < v->len; i++) {
        char *last = base + (kept - 1) * v->elem_size, *row = base + i * v->elem_size;
        if (cmp(last, row) == 0) {
            if (merge)
                merge(last, row);
            continue;
        }
        if (kept != i)
            memcpy(base + kept * v->elem_size, row, v->elem_size);
        kept++;
    }
    v->len = kept;
    return kept;
}

static void merge_order(void *kept, const void *dropped)
{
    struct store_doctor_order *k = kept;
    k->subject |= ((const struct store_doctor_order *)dropped)->subject;
}

static struct store_doctor_order *find_order(struct store_doctor_data *d, int64_t id)
{
    struct store_doctor_order key = {.order.id = id};
    return bsearch(&key, d->orders, d->n_orders, sizeof(key), cmp_order);
}

/*
 * Sets each order's line range from the runs of lines with the same order
 * id. The statements read an order's lines together, so the lines need no
 * sort; 0 when some order's lines are not in one run (then the caller sorts).
 */
static int line_runs(struct store_doctor_data *d)
{
    for (size_t i = 0; i < d->n_orders; i++)
        d->orders[i].n_lines = 0;
    for (size_t l = 0; l < d->n_lines;) {
        size_t run = l;
        while (run < d->n_lines && d->lines[run].order_id == d->lines[l].order_id)
            run++;
        struct store_doctor_order *o = find_order(d, d->lines[l].order_id);
        if (o && o->n_lines)
            return 0;
        if (o) {
            o->first_line = l;
            o->n_lines = run - l;
        }
        l = run;
    }
    return 1;
}

/* Hands the vectors over to `out`, orders sorted, with each order's line range. */
static void finish(struct loader *ld, struct store_doctor_data *out)
{
    out->n_orders = sort_unique(&ld->orders, cmp_order, merge_order);
    out->n_lines = ld->lines.len;
    out->n_invoices = ld->invoices.len;
    out->n_accounts = sort_unique(&ld->accounts, cmp_account, NULL);
    out->n_reps = sort_unique(&ld->reps, cmp_rep, NULL);
    out->n_products = sort_unique(&ld->products, cmp_product, NULL);
    out->n_requests = ld->requests.len;
    if (ld->requests.len)
        qsort(ld->requests.items, ld->requests.len, sizeof(struct store_doctor_request),
              cmp_request);
    out->orders = ld->orders.items;
    out->lines = ld->lines.items;
    out->invoices = ld->invoices.items;
    out->accounts = ld->accounts.items;
    out->reps = ld->reps.items;
    out->products = ld->products.items;
    out->requests = ld->requests.items;
    if (!line_runs(out)) {
        out->n_lines = sort_unique(&ld->lines, cmp_line, NULL);
        line_runs(out);
    }
    vec_init(&ld->orders, sizeof(struct store_doctor_order)); /* ownership moved */
    vec_init(&ld->lines, sizeof(struct order_line));
    vec_init(&ld->invoices, sizeof(struct invoice));
    vec_init(&ld->accounts, sizeof(struct store_doctor_account));
    vec_init(&ld->reps, sizeof(struct store_doctor_rep));
    vec_init(&ld->products, sizeof(struct store_doctor_product));
    vec_init(&ld->requests, sizeof(struct store_doctor_request));
}

size_t store_doctor_find(const void *rows, size_t n, size_t size, int64_t id)
{
    const char *base = rows;
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int64_t at;
        memcpy(&at, base + mid * size, sizeof(at));
        if (at < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    int64_t found = 0;
    if (lo < n)
        memcpy(&found, base + lo * size, sizeof(found));
    return lo < n && found == id ? lo : SIZE_MAX;
}

void store_doctor_release(struct store_doctor_data *d)
{
    free(d->orders);
    free(d->lines);
    free(d->invoices);
    free(d->accounts);
    free(d->reps);
    free(d->products);
    free(d->requests);
    memset(d, 0, sizeof(*d));
}

/* ---- one order ---- */

static int load_order_with_lines(struct loader *ld, int64_t id, int subject)
{
    int rc = load_rows(ld, one_order_sql, subject ? ROW_SUBJECT : ROW_ORDER, 1, id, 0, 0);
    return rc ? rc : load_rows(ld, one_lines_sql, ROW_LINE, 1, id, 0, 0);
}

/* Ids answered by `sql` (one or three parameters) into `ids`. */
static int collect_ids(struct loader *ld, const char *sql, int n_params, int64_t p1,
                       int64_t p2, int64_t p3, struct vec *ids)
{
    struct db_stmt *st;
    int rc = db_prepare(ld->db, sql, &st, ld->err);
    if (rc)
        return rc;
    int64_t params[3] = {p1, p2, p3};
    for (int i = 0; i < n_params; i++)
        db_bind_int64(st, i + 1, params[i]);
    while ((rc = db_step(st, ld->err)) == DB_ROW) {
        int64_t id = db_column_int64(st, 0);
        vec_push(ids, &id);
    }
    return rc;
}

static int cmp_id(const void *a, const void *b)
{
    return cmp_i64(*(const int64_t *)a, *(const int64_t *)b);
}

/*
 * The context orders of an open subject: its account's open and recent ones
 * (whole), and the lines of other accounts' open orders that compete for its
 * products (only those lines: such an order matters for the stock alone).
 */
static int load_context_orders(struct loader *ld, const struct order *subject, int window_days)
{
    struct vec ids;
    vec_init(&ids, sizeof(int64_t));
    int rc = collect_ids(ld, account_orders_sql, 3, subject->account_id,
                         (int64_t)subject->order_date - window_days, subject->order_date, &ids);
    if (rc == 0)
        rc = load_rows(ld, competing_lines_sql, ROW_ORDER_LINE, 2, subject->id,
                       subject->account_id, 0);
    size_t n = sort_unique(&ids, cmp_id, NULL);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int64_t id = *VEC_AT(&ids, int64_t, i);
        if (id != subject->id)
            rc = load_order_with_lines(ld, id, 0);
    }
    vec_release(&ids);
    return rc;
}

/* Every statement of one load reads the same snapshot (unless the caller has a transaction). */
static int snapshot_begin(struct db *db, int *began, struct sd_error *err)
{
    *began = !db_in_transaction(db);
    return *began ? db_begin_read(db, err) : 0;
}

static void snapshot_end(struct db *db, int began)
{
    if (began)
        db_rollback(db);
}

static int load_one(struct loader *ld, const char *ext_id, int window_days)
{
    int64_t id = 0;
    int rc = store_resolve(ld->db, ENTITY_ORDER, ext_id, &id, ld->err);
    if (rc == 0)
        rc = load_order_with_lines(ld, id, 1);
    if (rc == 0 && ld->orders.len != 1)
        rc = sd_error_set(ld->err, SD_ENOTFOUND, "order '%s' vanished", ext_id);
    struct order subject = {0};
    int open = 0;
    if (rc == 0) {
        subject = VEC_AT(&ld->orders, struct store_doctor_order, 0)->order;
        open = order_status_is_open(subject.status);
    }
    /* Credit, overdue, stock and duplicates concern open orders only. */
    if (rc == 0 && open)
        rc = load_context_orders(ld, &subject, window_days);
    if (rc == 0 && open)
        rc = load_rows(ld, one_unpaid_sql, ROW_INVOICE, 1, subject.account_id, 0, 0);
    if (rc == 0 && !open) /* its own unpaid invoices, for INVOICE_MISMATCH */
        rc = load_rows(ld, one_unpaid_of_order_sql, ROW_INVOICE, 1, id, 0, 0);
    if (rc == 0)
        rc = load_rows(ld, one_invoices_sql, ROW_INVOICE, 1, id, 0, 0);
    if (rc == 0)
        rc = load_rows(ld, one_account_sql, ROW_ACCOUNT, 1, subject.account_id, 0, 0);
    if (rc == 0 && subject.rep_id)
        rc = load_rows(ld, one_rep_sql, ROW_REP, 1, subject.rep_id, 0, 0);
    if (rc == 0)
        rc = load_rows(ld, one_products_sql, ROW_PRODUCT, 1, id, 0, 0);
    if (rc == 0)
        rc = load_rows(ld, one_requests_sql, ROW_REQUEST, 1, id, 0, 0);
    return rc;
}

int store_doctor_load_order(struct db *db, struct arena *arena, const char *ext_id,
                            int window_days, struct store_doctor_data *out,
                            struct sd_error *err)
{
    struct loader ld;
    int began = 0;
    memset(out, 0, sizeof(*out));
    loader_init(&ld, db, arena, err);
    int rc = snapshot_begin(db, &began, err);
    if (rc == 0)
        rc = load_one(&ld, ext_id, window_days);
    snapshot_end(db, began);
    if (rc == 0)
        finish(&ld, out);
    loader_release(&ld);
    return rc;
}

/* ---- every open order ---- */

/* A subject's account and order day, for finding the orders in its duplicate window. */
struct subject_day {
    int64_t account_id;
    int64_t day;
};

static int cmp_subject_day(const void *a, const void *b)
{
    const struct subject_day *x = a, *y = b;
    int c = cmp_i64(x->account_id, y->account_id);
    return c ? c : cmp_i64(x->day, y->day);
}

/* 1 when some subject of `account_id` is dated in [day, day + window_days]. */
static int in_window(const struct vec *subjects, int64_t account_id, int64_t day,
                     int window_days)
{
    const struct subject_day *s = subjects->items;
    size_t lo = 0, hi = subjects->len;
    struct subject_day key = {account_id, day};
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_subject_day(&s[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < subjects->len && s[lo].account_id == account_id &&
           s[lo].day <= day + window_days;
}

/*
 * The subjects' (account, day) pairs, sorted, and the union of their
 * windows [day - window_days, day] as sorted, disjoint day ranges (pairs of
 * values in `ranges`).
 */
static void subject_windows(const struct vec *orders, int window_days, struct vec *subjects,
                            struct vec *ranges)
{
    for (size_t i = 0; i < orders->len; i++) {
        const struct order *o = &VEC_AT(orders, struct store_doctor_order, i)->order;
        struct subject_day sd = {o->account_id, o->order_date};
        vec_push(subjects, &sd);
    }
    sort_unique(subjects, cmp_subject_day, NULL);
    struct vec days;
    vec_init(&days, sizeof(int64_t));
    for (size_t i = 0; i < subjects->len; i++)
        vec_push(&days, &VEC_AT(subjects, struct subject_day, i)->day);
    size_t n = sort_unique(&days, cmp_id, NULL);
    for (size_t i = 0; i < n; i++) {
        int64_t day = *VEC_AT(&days, int64_t, i), from = day - window_days;
        int64_t *last = ranges->len ? VEC_AT(ranges, int64_t, ranges->len - 1) : NULL;
        if (last && from <= *last + 1) {
            *last = day;
        } else {
            vec_push(ranges, &from);
            vec_push(ranges, &day);
        }
    }
    vec_release(&days);
}

/*
 * The non-subject orders of one day range that fall in a subject's duplicate
 * window (same account, at most window_days before it), then their lines.
 * The range scan reads order headers only; lines are read for the few orders
 * that qualify.
 */
static int load_window(struct loader *ld, const struct vec *subjects, int window_days,
                       int64_t from, int64_t to)
{
    struct db_stmt *st;
    size_t first = ld->orders.len;
    int rc = db_prepare(ld->db, window_orders_sql, &st, ld->err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, from);
    db_bind_int64(st, 2, to);
    while ((rc = db_step(st, ld->err)) == DB_ROW) {
        if (in_window(subjects, db_column_int64(st, 3), db_column_int64(st, 5), window_days))
            read_order(ld, st, 0);
    }
    for (size_t i = first; rc == 0 && i < ld->orders.len; i++)
        rc = load_rows(ld, one_lines_sql, ROW_LINE, 1,
                       VEC_AT(&ld->orders, struct store_doctor_order, i)->order.id, 0, 0);
    return rc;
}

static int load_windows(struct loader *ld, int window_days)
{
    struct vec subjects, ranges;
    vec_init(&subjects, sizeof(struct subject_day));
    vec_init(&ranges, sizeof(int64_t));
    subject_windows(&ld->orders, window_days, &subjects, &ranges);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i + 1 < ranges.len; i += 2)
        rc = load_window(ld, &subjects, window_days, *VEC_AT(&ranges, int64_t, i),
                         *VEC_AT(&ranges, int64_t, i + 1));
    vec_release(&subjects);
    vec_release(&ranges);
    return rc;
}

int store_doctor_load_open(struct db *db, struct arena *arena, int window_days,
                           struct store_doctor_data *out, struct sd_error *err)
{
    struct loader ld;
    memset(out, 0, sizeof(*out));
    loader_init(&ld, db, arena, err);
    int began = 0;
    int rc = snapshot_begin(db, &began, err);
    if (rc == 0)
        rc = load_rows(&ld, batch_orders_sql, ROW_SUBJECT, 0, 0, 0, 0);
    if (rc == 0)
        rc = load_rows(&ld, batch_lines_sql, ROW_LINE, 0, 0, 0, 0);
    if (rc == 0)
        rc = load_windows(&ld, window_days);
    if (rc == 0)
        rc = load_rows(&ld, batch_unpaid_sql, ROW_INVOICE, 0, 0, 0, 0);
    if (rc == 0)
        rc = load_rows(&ld, batch_invoices_sql, ROW_INVOICE, 0, 0, 0, 0);
    if (rc == 0)
        rc = load_rows(&ld, batch_accounts_sql, ROW_ACCOUNT, 0, 0, 0, 0);
    if (rc == 0)
        rc = load_rows(&ld, batch_reps_sql, ROW_REP, 0, 0, 0, 0);
    if (rc == 0)
        rc = load_rows(&ld, batch_products_sql, ROW_PRODUCT, 0, 0, 0, 0);
    if (rc == 0)
        rc = load_rows(&ld, batch_requests_sql, ROW_REQUEST, 0, 0, 0, 0);
    snapshot_end(db, began);
    if (rc == 0)
        finish(&ld, out);
    loader_release(&ld);
    return rc;
}
