/* SPDX-License-Identifier: MIT */
/*
 * apply: writes the staged rows of an import run to the store, kind by kind
 * in dependency order, resolving references to internal ids as it goes (rows
 * of this run first, then the store). Runs inside the transaction load.c
 * opened; any failure makes the whole run roll back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/date.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "ingest/load-int.h"
#include "base/banned.h"

static void count(struct run *r, enum import_kind k, enum store_write w, int64_t n)
{
    struct import_kind_counts *c = &r->report->kinds[k];
    if (w == STORE_INSERTED)
        c->inserted += n;
    else if (w == STORE_UPDATED)
        c->updated += n;
    else
        c->unchanged += n;
}

static const char *text_or(const struct staged_row *row, int f, const char *fallback)
{
    return cell_is_null(row, f) ? fallback : row->cells[f].s;
}

static int64_t int_or(const struct staged_row *row, int f, int64_t fallback)
{
    return cell_is_null(row, f) ? fallback : row->cells[f].i;
}

/* The id a (verified) reference field points at; 0 when the field is empty. */
static int ref_id(struct run *r, const struct staged_row *row, enum import_kind k, int f,
                  int64_t *id)
{
    *id = 0;
    if (cell_is_null(row, f))
        return 0;
    enum import_kind target = (enum import_kind)(import_kinds[k].fields[f].refers - 1);
    int rc = run_resolve(r, target, row->cells[f].s, id);
    if (rc)
        return sd_error_set(r->err, SD_EINVAL, "%s:%ld: %s.%s: '%s' could not be resolved",
                            r->file_names[row->file], row->row, import_kinds[k].name,
                            import_kinds[k].fields[f].name, row->cells[f].s);
    return 0;
}

static void remember(struct run *r, enum import_kind k, const char *key, int64_t id)
{
    hashmap_put(&r->ids[k], key, strlen(key), id);
}

/* ---- the bulk path ---- */

/*
 * A kind is written in bulk when the store holds none of its rows from this
 * source (a first import): every staged row is then an insert, its id is
 * assigned here (bulk_first + row index) and references to it resolve from
 * the staged keys (run_resolve). Sets r->bulk_first[k] when it applies.
 */
static int bulk_start(struct run *r, enum import_kind k)
{
    int possible = 0;
    r->bulk_first[k] = 0;
    if (r->opt->row_by_row || r->staged[k].len == 0)
        return 0;
    int rc = store_bulk_possible(r->db, (enum store_entity)run_entity(k), r->source, &possible,
                                 r->err);
    if (rc == 0 && possible)
        rc = store_bulk_next_id(r->db, (enum store_entity)run_entity(k), &r->bulk_first[k],
                                r->err);
    return rc;
}

/* Ends a kind's bulk write: its change_log rows, its counts. */
static int bulk_finish(struct run *r, enum import_kind k)
{
    int64_t n = (int64_t)r->staged[k].len;
    count(r, k, STORE_INSERTED, n);
    return store_bulk_changes(r->db, (enum store_entity)run_entity(k), r->bulk_first[k],
                              r->bulk_first[k] + n - 1, r->err);
}

/* How often a bulk write checks for a stop and reports progress, in rows. */
#define BULK_PROGRESS_ROWS 65536

static void bulk_progress(struct run *r, enum import_kind k, size_t done)
{
    if (r->opt->progress && done % BULK_PROGRESS_ROWS == 0)
        r->opt->progress(r->opt->progress_ctx, import_kinds[k].name, (int64_t)done,
                         (int64_t)r->staged[k].len);
}

/* ---- reps (and their teams) ---- */

enum { REP_ID, REP_NAME, REP_EMAIL, REP_TEAM, REP_REGION, REP_MANAGER, REP_LIMIT, REP_STATUS };

static int team_id(struct run *r, const char *name, int64_t *id)
{
    if (hashmap_get(&r->teams, name, strlen(name), id))
        return 0;
    struct team t = {.source = r->source, .ext_id = name, .name = name};
    enum store_write w;
    int rc = store_team_upsert(r->db, &t, &w, r->err);
    if (rc == 0) {
        *id = t.id;
        hashmap_put(&r->teams, name, strlen(name), t.id);
    }
    return rc;
}

/* 1 when the rep's manager is known by now (no manager, applied, or in the store only). */
static int manager_ready(struct run *r, const struct staged_row *row)
{
    int64_t id;
    if (cell_is_null(row, REP_MANAGER))
        return 1;
    const char *m = row->cells[REP_MANAGER].s;
    if (hashmap_get(&r->ids[KIND_REPS], m, strlen(m), &id))
        return 1;
    return !hashmap_get(&r->keys[KIND_REPS], m, strlen(m), &id);
}

static int apply_rep(struct run *r, const struct staged_row *row)
{
    struct rep rep = {
        .source = r->source,
        .ext_id = row->cells[REP_ID].s,
        .name = row->cells[REP_NAME].s,
        .email = text_or(row, REP_EMAIL, NULL),
        .region = text_or(row, REP_REGION, NULL),
        .discount_limit = int_or(row, REP_LIMIT, INT_NONE),
        .status = text_or(row, REP_STATUS, "active"),
    };
    int rc = cell_is_null(row, REP_TEAM) ? 0 : team_id(r, row->cells[REP_TEAM].s, &rep.team_id);
    if (rc == 0)
        rc = ref_id(r, row, KIND_REPS, REP_MANAGER, &rep.manager_id);
    enum store_write w;
    if (rc == 0)
        rc = store_rep_upsert(r->db, &rep, &w, r->err);
    if (rc == 0) {
        count(r, KIND_REPS, w, 1);
        remember(r, KIND_REPS, rep.ext_id, rep.id);
    }
    return rc;
}

/* Reps go in manager-first order: rounds until every rep's manager is written. */
static int apply_reps(struct run *r)
{
    size_t n = r->staged[KIND_REPS].len, done = 0;
    char *written = xcalloc(n ? n : 1, 1);
    int rc = 0, progress = 1;
    while (rc == 0 && done < n && progress) {
        progress = 0;
        for (size_t i = 0; rc == 0 && i < n; i++) {
            const struct staged_row *row = run_row(r, KIND_REPS, i);
            if (written[i] || !manager_ready(r, row))
                continue;
            if ((rc = run_stopped(r)) != 0)
                break;
            rc = apply_rep(r, row);
            written[i] = 1;
            done++;
            progress = 1;
        }
    }
    if (rc == 0 && done < n)
        rc = sd_error_set(r->err, SD_EINVAL, "reps: managers form a cycle (%zu reps involved)",
                          n - done);
    free(written);
    return rc;
}

/* ---- accounts, products, stock ---- */

enum { ACC_ID, ACC_NAME, ACC_SEGMENT, ACC_REGION, ACC_COUNTRY, ACC_CITY, ACC_OWNER, ACC_MANAGER,
       ACC_CREDIT, ACC_TERMS, ACC_STATUS, ACC_CURRENCY };

static int apply_account(struct run *r, const struct staged_row *row)
{
    struct account a = {
        .source = r->source,
        .ext_id = row->cells[ACC_ID].s,
        .name = row->cells[ACC_NAME].s,
        .segment = text_or(row, ACC_SEGMENT, NULL),
        .region = text_or(row, ACC_REGION, NULL),
        .country = text_or(row, ACC_COUNTRY, NULL),
        .city = text_or(row, ACC_CITY, NULL),
        .credit_limit = int_or(row, ACC_CREDIT, MONEY_NONE),
        .payment_terms_days = int_or(row, ACC_TERMS, INT_NONE),
        .status = text_or(row, ACC_STATUS, "active"),
        .currency = text_or(row, ACC_CURRENCY, "USD"),
    };
    enum store_write w;
    int rc = ref_id(r, row, KIND_ACCOUNTS, ACC_OWNER, &a.owner_rep_id);
    if (rc == 0)
        rc = ref_id(r, row, KIND_ACCOUNTS, ACC_MANAGER, &a.account_manager_id);
    if (rc == 0)
        rc = store_account_upsert(r->db, &a, &w, r->err);
    if (rc == 0) {
        count(r, KIND_ACCOUNTS, w, 1);
        remember(r, KIND_ACCOUNTS, a.ext_id, a.id);
    }
    return rc;
}

enum { PROD_SKU, PROD_NAME, PROD_CATEGORY, PROD_PRICE, PROD_COST, PROD_STATUS, PROD_LAUNCH };

static int apply_product(struct run *r, const struct staged_row *row)
{
    struct product p = {
        .source = r->source,
        .ext_id = row->cells[PROD_SKU].s,
        .name = row->cells[PROD_NAME].s,
        .category = text_or(row, PROD_CATEGORY, NULL),
        .list_price = row->cells[PROD_PRICE].i,
        .cost = int_or(row, PROD_COST, MONEY_NONE),
        .status = text_or(row, PROD_STATUS, "active"),
        .launch_date = (int32_t)int_or(row, PROD_LAUNCH, DATE_NONE),
    };
    enum store_write w;
    int rc = store_product_upsert(r->db, &p, &w, r->err);
    if (rc == 0) {
        count(r, KIND_PRODUCTS, w, 1);
        remember(r, KIND_PRODUCTS, p.ext_id, p.id);
    }
    return rc;
}

enum { STOCK_SKU, STOCK_WAREHOUSE, STOCK_ON_HAND, STOCK_RESERVED };

static int apply_stock(struct run *r, const struct staged_row *row)
{
    struct stock_level s = {
        .warehouse = row->cells[STOCK_WAREHOUSE].s,
        .on_hand = row->cells[STOCK_ON_HAND].i,
        .reserved = int_or(row, STOCK_RESERVED, 0),
    };
    enum store_write w;
    int rc = ref_id(r, row, KIND_STOCK, STOCK_SKU, &s.product_id);
    if (rc == 0)
        rc = store_stock_set(r->db, &s, &w, r->err);
    if (rc == 0)
        count(r, KIND_STOCK, w, 1);
    return rc;
}

/* ---- child rows grouped by parent (order lines, opportunity stages) ---- */

struct groups {
    enum import_kind kind;
    size_t *sorted;        /* row indexes, by parent key then by the order field */
    size_t n;
    struct hashmap start;  /* parent key → first position in sorted + 1 */
    char *done;            /* per position of a group start: written with its parent */
};

struct sort_ctx {
    const struct run *r;
    enum import_kind kind;
    int order_field;
};

static int compare_children(const void *a, const void *b, void *ctx)
{
    const struct sort_ctx *c = ctx;
    const struct staged_row *x = run_row(c->r, c->kind, *(const size_t *)a);
    const struct staged_row *y = run_row(c->r, c->kind, *(const size_t *)b);
    int by_parent = strcmp(x->cells[0].s, y->cells[0].s);
    if (by_parent)
        return by_parent;
    int64_t u = x->cells[c->order_field].i, v = y->cells[c->order_field].i;
    return (u > v) - (u < v);
}

static void groups_build(struct run *r, enum import_kind kind, int order_field, struct groups *g)
{
    g->kind = kind;
    g->n = r->staged[kind].len;
    g->sorted = xmalloc((g->n ? g->n : 1) * sizeof(*g->sorted));
    g->done = xcalloc(g->n ? g->n : 1, 1);
    hashmap_init(&g->start);
    for (size_t i = 0; i < g->n; i++)
        g->sorted[i] = i;
    struct sort_ctx ctx = {r, kind, order_field};
    qsort_r(g->sorted, g->n, sizeof(*g->sorted), compare_children, &ctx);
    for (size_t i = 0; i < g->n; i++) {
        const char *parent = run_row(r, kind, g->sorted[i])->cells[0].s;
        if (i == 0 || strcmp(parent, run_row(r, kind, g->sorted[i - 1])->cells[0].s) != 0)
            hashmap_put(&g->start, parent, strlen(parent), (int64_t)i + 1);
    }
}

static void groups_release(struct groups *g)
{
    free(g->sorted);
    free(g->done);
    hashmap_release(&g->start);
}

/* The rows of parent `key`: first position and count; 0 when it has none. */
static size_t group_of(const struct run *r, const struct groups *g, const char *key,
                       size_t *first)
{
    int64_t start = 0;
    if (!hashmap_get(&g->start, key, strlen(key), &start))
        return 0;
    *first = (size_t)start - 1;
    size_t n = 0;
    while (*first + n < g->n &&
           strcmp(run_row(r, g->kind, g->sorted[*first + n])->cells[0].s, key) == 0)
        n++;
    return n;
}

/* ---- orders and their lines ---- */

enum { ORD_ID, ORD_ACCOUNT, ORD_REP, ORD_DATE, ORD_REQUESTED, ORD_PROMISED, ORD_SHIP, ORD_STATUS,
       ORD_CURRENCY, ORD_COUNTRY, ORD_ADDRESS };
enum { LINE_ORDER, LINE_NO, LINE_SKU, LINE_QTY, LINE_PRICE, LINE_DISCOUNT, LINE_SHIPPED };

/* A line without a shipped quantity counts as fully shipped once its order has shipped. */
static int has_shipped(enum order_status s)
{
    return s == ORDER_SHIPPED || s == ORDER_INVOICED || s == ORDER_PAID || s == ORDER_RETURNED;
}

/* The lines r->lines.rows[first .. first + n - 1] as order lines of an order in `status`. */
static int build_lines(struct run *r, size_t first, size_t n, enum order_status status,
                       struct order_line *out)
{
    for (size_t i = 0; i < n; i++) {
        const struct staged_row *row = run_row(r, KIND_LINES, r->lines.rows[first + i]);
        struct order_line *l = &out[i];
        l->line_no = (int)row->cells[LINE_NO].i;
        l->qty = row->cells[LINE_QTY].i;
        l->unit_price = row->cells[LINE_PRICE].i;
        l->discount = int_or(row, LINE_DISCOUNT, 0);
        l->shipped_qty = int_or(row, LINE_SHIPPED, has_shipped(status) ? l->qty : 0);
        int rc = ref_id(r, row, KIND_LINES, LINE_SKU, &l->product_id);
        if (rc)
            return rc;
    }
    return 0;
}

/* The lines of staged order `index`: first position in r->lines.rows and count. */
static size_t lines_of(const struct run *r, size_t index, size_t *first)
{
    *first = r->lines.start[index];
    return r->lines.start[index + 1] - *first;
}

static int order_from_row(struct run *r, const struct staged_row *row, struct order *o)
{
    *o = (struct order){
        .source = r->source,
        .ext_id = row->cells[ORD_ID].s,
        .order_date = (int32_t)row->cells[ORD_DATE].i,
        .requested_date = (int32_t)int_or(row, ORD_REQUESTED, DATE_NONE),
        .promised_date = (int32_t)int_or(row, ORD_PROMISED, DATE_NONE),
        .ship_date = (int32_t)int_or(row, ORD_SHIP, DATE_NONE),
        .currency = text_or(row, ORD_CURRENCY, "USD"),
        .ship_country = text_or(row, ORD_COUNTRY, NULL),
        .ship_address = text_or(row, ORD_ADDRESS, NULL),
    };
    order_status_parse(row->cells[ORD_STATUS].s, &o->status);
    /* Exports rarely say since when; the ship date for shipped orders, else the order date. */
    o->status_date = has_shipped(o->status) && o->ship_date != DATE_NONE ? o->ship_date
                                                                         : o->order_date;
    int rc = ref_id(r, row, KIND_ORDERS, ORD_ACCOUNT, &o->account_id);
    return rc ? rc : ref_id(r, row, KIND_ORDERS, ORD_REP, &o->rep_id);
}

static int apply_order(struct run *r, size_t index, struct order_line *buf)
{
    const struct staged_row *row = run_row(r, KIND_ORDERS, index);
    struct order o;
    int64_t existing = 0;
    size_t first = 0, n = lines_of(r, index, &first);
    int exists = run_resolve(r, KIND_ORDERS, row->cells[ORD_ID].s, &existing) == 0;
    int rc = order_from_row(r, row, &o);
    if (rc == 0 && n)
        rc = build_lines(r, first, n, o.status, buf);
    enum store_write w;
    if (rc == 0)
        rc = store_order_upsert(r->db, &o, exists ? NULL : buf, exists ? 0 : n, &w, r->err);
    if (rc)
        return rc;
    count(r, KIND_ORDERS, w, 1);
    remember(r, KIND_ORDERS, o.ext_id, o.id);
    if (!exists) {
        count(r, KIND_LINES, STORE_INSERTED, (int64_t)n);
        return 0;
    }
    int changed = 0;
    if (n)
        rc = store_order_lines_set(r->db, o.id, buf, n, &changed, r->err);
    count(r, KIND_LINES, changed ? STORE_UPDATED : STORE_UNCHANGED, (int64_t)n);
    return rc;
}

/* Lines whose order is not in this import: the order is in the store (checked before). */
static int apply_lines_only(struct run *r, size_t first, size_t n, struct order_line *buf)
{
    const char *key = run_row(r, KIND_LINES, r->lines.rows[first])->cells[LINE_ORDER].s;
    int64_t id = 0;
    enum order_status status = ORDER_PENDING;
    int changed = 0;
    int rc = run_resolve(r, KIND_ORDERS, key, &id);
    if (rc == 0)
        rc = store_order_status(r->db, id, &status, r->err);
    if (rc == 0)
        rc = build_lines(r, first, n, status, buf);
    if (rc == 0)
        rc = store_order_lines_set(r->db, id, buf, n, &changed, r->err);
    if (rc == 0)
        count(r, KIND_LINES, changed ? STORE_UPDATED : STORE_UNCHANGED, (int64_t)n);
    return rc;
}

/* The store-only lines (after the staged orders' groups), one order at a time. */
static int apply_store_orders_lines(struct run *r, struct order_line *buf)
{
    const struct line_groups *g = &r->lines;
    size_t i = g->start[r->staged[KIND_ORDERS].len];
    int rc = 0;
    while (rc == 0 && i < g->n) {
        const char *key = run_row(r, KIND_LINES, g->rows[i])->cells[LINE_ORDER].s;
        size_t n = 1;
        while (i + n < g->n &&
               strcmp(run_row(r, KIND_LINES, g->rows[i + n])->cells[LINE_ORDER].s, key) == 0)
            n++;
        rc = apply_lines_only(r, i, n, buf);
        i += n;
    }
    return rc;
}

/* Ends a bulk load after its rows: sends the rest, or drops them after a failure `rc`. */
static int load_finish(struct db_load *load, int rc, struct sd_error *err)
{
    if (rc) {
        db_load_abort(load);
        return rc;
    }
    return db_load_end(load, err);
}

/* The order of staged row `index` written in bulk: its id is bulk_first + index. */
static int bulk_order(struct run *r, size_t index, struct order *o)
{
    int rc = order_from_row(r, run_row(r, KIND_ORDERS, index), o);
    o->id = r->bulk_first[KIND_ORDERS] + (int64_t)index;
    return rc;
}

/* Every staged order in one load, then their lines in another (the lines refer to them). */
static int apply_orders_bulk(struct run *r)
{
    size_t n = r->staged[KIND_ORDERS].len;
    struct db_load *load = NULL;
    struct order o;
    int rc = store_bulk_orders_begin(r->db, &load, r->err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = i % BULK_PROGRESS_ROWS ? 0 : run_stopped(r);
        if (rc == 0)
            rc = bulk_order(r, i, &o);
        if (rc == 0)
            rc = store_bulk_order(load, &o, r->err);
        bulk_progress(r, KIND_ORDERS, i);
    }
    rc = load_finish(load, rc, r->err);
    if (rc == 0)
        rc = store_bulk_lines_begin(r->db, &load, r->err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        size_t first = 0, lines = lines_of(r, i, &first);
        rc = bulk_order(r, i, &o);
        for (size_t j = 0; rc == 0 && j < lines; j++) {
            struct order_line line;
            rc = build_lines(r, first + j, 1, o.status, &line);
            line.order_id = o.id;
            if (rc == 0)
                rc = store_bulk_line(load, &line, r->err);
        }
        count(r, KIND_LINES, STORE_INSERTED, (int64_t)lines);
    }
    rc = load_finish(load, rc, r->err);
    return rc ? rc : bulk_finish(r, KIND_ORDERS);
}

static int apply_orders(struct run *r)
{
    struct order_line *buf = xcalloc(r->lines.n ? r->lines.n : 1, sizeof(*buf));
    int rc = bulk_start(r, KIND_ORDERS);
    if (rc == 0 && r->bulk_first[KIND_ORDERS])
        rc = apply_orders_bulk(r);
    for (size_t i = 0; rc == 0 && !r->bulk_first[KIND_ORDERS] && i < r->staged[KIND_ORDERS].len;
         i++) {
        rc = run_stopped(r);
        if (rc == 0)
            rc = apply_order(r, i, buf);
    }
    if (rc == 0)
        rc = apply_store_orders_lines(r, buf);
    free(buf);
    return rc;
}

/* ---- invoices ---- */

enum { INV_ID, INV_ORDER, INV_ACCOUNT, INV_ISSUE, INV_DUE, INV_AMOUNT, INV_PAID, INV_PAID_DATE };

static int apply_invoice(struct run *r, const struct staged_row *row)
{
    struct invoice inv = {
        .source = r->source,
        .ext_id = row->cells[INV_ID].s,
        .issue_date = (int32_t)row->cells[INV_ISSUE].i,
        .due_date = (int32_t)row->cells[INV_DUE].i,
        .amount = row->cells[INV_AMOUNT].i,
        .paid_amount = int_or(row, INV_PAID, 0),
        .paid_date = (int32_t)int_or(row, INV_PAID_DATE, DATE_NONE),
    };
    char currency[CURRENCY_TEXT_MAX];
    enum store_write w;
    int rc = ref_id(r, row, KIND_INVOICES, INV_ORDER, &inv.order_id);
    if (rc == 0)
        rc = ref_id(r, row, KIND_INVOICES, INV_ACCOUNT, &inv.account_id);
    /* Invoices are in the account's currency. */
    if (rc == 0)
        rc = store_account_currency(r->db, inv.account_id, currency, r->err);
    inv.currency = currency;
    if (rc == 0)
        rc = store_invoice_upsert(r->db, &inv, &w, r->err);
    if (rc == 0) {
        count(r, KIND_INVOICES, w, 1);
        remember(r, KIND_INVOICES, inv.ext_id, inv.id);
    }
    return rc;
}

/*
 * Invoices are in their account's currency (as apply_invoice's are). The bulk
 * path asks the store once per account: `currencies` maps an account id (its
 * 8 bytes) to its currency, interned in r->strings.
 */
static int account_currency(struct run *r, struct hashmap *currencies, int64_t account_id,
                            const char **currency)
{
    int64_t found = 0;
    if (hashmap_get(currencies, (const char *)&account_id, sizeof(account_id), &found)) {
        *currency = (const char *)(intptr_t)found;
        return 0;
    }
    char buf[CURRENCY_TEXT_MAX];
    int rc = store_account_currency(r->db, account_id, buf, r->err);
    if (rc)
        return rc;
    *currency = hashmap_intern(&r->strings, buf, strlen(buf));
    hashmap_put(currencies, (const char *)&account_id, sizeof(account_id),
                (int64_t)(intptr_t)*currency);
    return 0;
}

static int bulk_invoice(struct run *r, size_t index, struct hashmap *currencies,
                        struct invoice *inv)
{
    const struct staged_row *row = run_row(r, KIND_INVOICES, index);
    *inv = (struct invoice){
        .id = r->bulk_first[KIND_INVOICES] + (int64_t)index,
        .source = r->source,
        .ext_id = row->cells[INV_ID].s,
        .issue_date = (int32_t)row->cells[INV_ISSUE].i,
        .due_date = (int32_t)row->cells[INV_DUE].i,
        .amount = row->cells[INV_AMOUNT].i,
        .paid_amount = int_or(row, INV_PAID, 0),
        .paid_date = (int32_t)int_or(row, INV_PAID_DATE, DATE_NONE),
    };
    int rc = ref_id(r, row, KIND_INVOICES, INV_ORDER, &inv->order_id);
    if (rc == 0)
        rc = ref_id(r, row, KIND_INVOICES, INV_ACCOUNT, &inv->account_id);
    return rc ? rc : account_currency(r, currencies, inv->account_id, &inv->currency);
}

static int apply_invoices_bulk(struct run *r)
{
    size_t n = r->staged[KIND_INVOICES].len;
    struct db_load *load = NULL;
    struct hashmap currencies;
    struct invoice inv;
    hashmap_init(&currencies);
    int rc = store_bulk_invoices_begin(r->db, &load, r->err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = i % BULK_PROGRESS_ROWS ? 0 : run_stopped(r);
        if (rc == 0)
            rc = bulk_invoice(r, i, &currencies, &inv);
        if (rc == 0)
            rc = store_bulk_invoice(load, &inv, r->err);
        bulk_progress(r, KIND_INVOICES, i);
    }
    hashmap_release(&currencies);
    rc = load_finish(load, rc, r->err);
    return rc ? rc : bulk_finish(r, KIND_INVOICES);
}

typedef int row_fn(struct run *r, const struct staged_row *row);
static int apply_rows(struct run *r, enum import_kind k, row_fn *fn);

/* Invoices in bulk on a first import from this source, else row by row. */
static int apply_invoices(struct run *r)
{
    int rc = bulk_start(r, KIND_INVOICES);
    if (rc == 0 && r->bulk_first[KIND_INVOICES])
        return apply_invoices_bulk(r);
    return rc ? rc : apply_rows(r, KIND_INVOICES, apply_invoice);
}

/* ---- opportunities and their stage history ---- */

enum { OPP_ID, OPP_ACCOUNT, OPP_REP, OPP_NAME, OPP_STAGE, OPP_AMOUNT, OPP_CREATED, OPP_EXPECTED,
       OPP_CLOSED, OPP_OUTCOME, OPP_LOST_REASON, OPP_SOURCE };
enum { STG_OPPORTUNITY, STG_STAGE, STG_ENTERED };

static void build_stages(struct run *r, const struct groups *g, size_t first, size_t n,
                         struct opportunity_stage *out)
{
    for (size_t i = 0; i < n; i++) {
        const struct staged_row *row = run_row(r, KIND_STAGES, g->sorted[first + i]);
        out[i].stage = row->cells[STG_STAGE].s;
        out[i].entered_date = (int32_t)row->cells[STG_ENTERED].i;
    }
}

static int apply_opportunity(struct run *r, const struct staged_row *row, struct groups *g,
                             struct opportunity_stage *buf)
{
    struct opportunity o = {
        .source = r->source,
        .ext_id = row->cells[OPP_ID].s,
        .name = row->cells[OPP_NAME].s,
        .stage = row->cells[OPP_STAGE].s,
        .amount = row->cells[OPP_AMOUNT].i,
        .created_date = (int32_t)row->cells[OPP_CREATED].i,
        .expected_close = (int32_t)int_or(row, OPP_EXPECTED, DATE_NONE),
        .closed_date = (int32_t)int_or(row, OPP_CLOSED, DATE_NONE),
        .outcome = text_or(row, OPP_OUTCOME, NULL),
        .lost_reason = text_or(row, OPP_LOST_REASON, NULL),
        .lead_source = text_or(row, OPP_SOURCE, NULL),
    };
    int64_t existing = 0;
    size_t first = 0, n = group_of(r, g, o.ext_id, &first);
    int exists = run_resolve(r, KIND_OPPORTUNITIES, o.ext_id, &existing) == 0;
    enum store_write w;
    build_stages(r, g, first, n, buf);
    char currency[CURRENCY_TEXT_MAX];
    int rc = ref_id(r, row, KIND_OPPORTUNITIES, OPP_ACCOUNT, &o.account_id);
    if (rc == 0)
        rc = ref_id(r, row, KIND_OPPORTUNITIES, OPP_REP, &o.rep_id);
    if (rc == 0)
        rc = store_account_currency(r->db, o.account_id, currency, r->err);
    o.currency = currency;
    if (rc == 0)
        rc = store_opportunity_upsert(r->db, &o, exists ? NULL : buf, exists ? 0 : n, &w, r->err);
    if (rc)
        return rc;
    count(r, KIND_OPPORTUNITIES, w, 1);
    remember(r, KIND_OPPORTUNITIES, o.ext_id, o.id);
    if (n)
        g->done[first] = 1;
    int changed = 0;
    if (exists && n)
        rc = store_opportunity_stages_set(r->db, o.id, buf, n, &changed, r->err);
    count(r, KIND_STAGES, !exists ? STORE_INSERTED : changed ? STORE_UPDATED : STORE_UNCHANGED,
          (int64_t)n);
    return rc;
}

static int apply_stages_only(struct run *r, struct groups *g, size_t first, size_t n,
                             struct opportunity_stage *buf)
{
    const char *key = run_row(r, KIND_STAGES, g->sorted[first])->cells[STG_OPPORTUNITY].s;
    int64_t id = 0;
    int changed = 0;
    int rc = run_resolve(r, KIND_OPPORTUNITIES, key, &id);
    build_stages(r, g, first, n, buf);
    if (rc == 0)
        rc = store_opportunity_stages_set(r->db, id, buf, n, &changed, r->err);
    if (rc == 0)
        count(r, KIND_STAGES, changed ? STORE_UPDATED : STORE_UNCHANGED, (int64_t)n);
    return rc;
}

static int apply_opportunities(struct run *r)
{
    struct groups g;
    groups_build(r, KIND_STAGES, STG_ENTERED, &g);
    struct opportunity_stage *buf = xcalloc(g.n ? g.n : 1, sizeof(*buf));
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < r->staged[KIND_OPPORTUNITIES].len; i++)
        rc = apply_opportunity(r, run_row(r, KIND_OPPORTUNITIES, i), &g, buf);
    for (size_t i = 0; rc == 0 && i < g.n; i++) {
        size_t first = 0;
        const char *key = run_row(r, KIND_STAGES, g.sorted[i])->cells[STG_OPPORTUNITY].s;
        size_t n = group_of(r, &g, key, &first);
        if (first == i && !g.done[i])
            rc = apply_stages_only(r, &g, first, n, buf);
        i = first + n - 1;
    }
    free(buf);
    groups_release(&g);
    return rc;
}

/* ---- requests, quotas, fx ---- */

enum { REQ_ID, REQ_ACCOUNT, REQ_ORDER, REQ_KIND, REQ_SUBJECT, REQ_PRIORITY, REQ_STATUS, REQ_OPENED,
       REQ_RESPONSE, REQ_RESOLVED, REQ_ASSIGNEE };

static int apply_request(struct run *r, const struct staged_row *row)
{
    struct request q = {
        .source = r->source,
        .ext_id = row->cells[REQ_ID].s,
        .kind = row->cells[REQ_KIND].s,
        .subject = row->cells[REQ_SUBJECT].s,
        .priority = text_or(row, REQ_PRIORITY, "normal"),
        .status = text_or(row, REQ_STATUS, "open"),
        .opened_at = row->cells[REQ_OPENED].i,
        .first_response_at = int_or(row, REQ_RESPONSE, INT_NONE),
        .resolved_at = int_or(row, REQ_RESOLVED, INT_NONE),
    };
    enum store_write w;
    int rc = ref_id(r, row, KIND_REQUESTS, REQ_ACCOUNT, &q.account_id);
    if (rc == 0)
        rc = ref_id(r, row, KIND_REQUESTS, REQ_ORDER, &q.order_id);
    if (rc == 0)
        rc = ref_id(r, row, KIND_REQUESTS, REQ_ASSIGNEE, &q.assignee_rep_id);
    if (rc == 0)
        rc = store_request_upsert(r->db, &q, &w, r->err);
    if (rc == 0)
        count(r, KIND_REQUESTS, w, 1);
    return rc;
}

enum { QUOTA_WHO, QUOTA_PERIOD, QUOTA_AMOUNT };

/* A quota's rep_or_team: a rep id first, else a team (by its id, which is its name). */
static int quota_scope(struct run *r, const char *who, struct quota *q)
{
    if (run_resolve(r, KIND_REPS, who, &q->rep_id) == 0)
        return 0;
    q->rep_id = 0;
    if (hashmap_get(&r->teams, who, strlen(who), &q->team_id))
        return 0;
    if (store_lookup(r->db, ENTITY_TEAM, r->source, who, &q->team_id, NULL) == 0)
        return 0;
    return sd_error_set(r->err, SD_EINVAL, "quotas: '%s' is neither a rep nor a team", who);
}

static int apply_quota(struct run *r, const struct staged_row *row)
{
    const char *text = row->cells[QUOTA_PERIOD].s;
    char canonical[PERIOD_TEXT_MAX];
    struct period p;
    struct quota q = {.amount = row->cells[QUOTA_AMOUNT].i};
    int rc = period_parse(text, strlen(text), r->fy_start_month, &p, r->err);
    if (rc == 0)
        rc = quota_scope(r, row->cells[QUOTA_WHO].s, &q);
    if (rc)
        return rc;
    period_format(&p, canonical);
    q.period = canonical;
    q.first_day = p.first;
    q.last_day = p.last;
    enum store_write w;
    rc = store_quota_set(r->db, &q, &w, r->err);
    if (rc == 0)
        count(r, KIND_QUOTAS, w, 1);
    return rc;
}

enum { FX_CURRENCY, FX_DATE, FX_RATE };

static int apply_fx(struct run *r, const struct staged_row *row)
{
    struct fx_rate fx = {row->cells[FX_CURRENCY].s, (int32_t)row->cells[FX_DATE].i,
                         row->cells[FX_RATE].i};
    enum store_write w;
    int rc = store_fx_set(r->db, &fx, &w, r->err);
    if (rc == 0)
        count(r, KIND_FX, w, 1);
    return rc;
}

/* ---- all of it ---- */

static int apply_rows(struct run *r, enum import_kind k, row_fn *fn)
{
    for (size_t i = 0; i < r->staged[k].len; i++) {
        int rc = run_stopped(r);
        if (rc == 0)
            rc = fn(r, run_row(r, k, i));
        if (rc)
            return rc;
        if (r->opt->progress && i % 65536 == 0)
            r->opt->progress(r->opt->progress_ctx, import_kinds[k].name, (int64_t)i,
                             (int64_t)r->staged[k].len);
    }
    return 0;
}

/* The counts of the run as a job row's totals, and the row's outcome fields. */
static void job_totals(const struct import_report *rep, struct import_job *job)
{
    for (int k = 0; k < KIND_COUNT; k++) {
        const struct import_kind_counts *c = &rep->kinds[k];
        job->rows_read += c->read;
        job->inserted += c->inserted;
        job->updated += c->updated;
        job->unchanged += c->unchanged;
        job->rejected += c->rejected;
    }
    job->changes = rep->changes;
    job->error_count = (int64_t)rep->n_issues + rep->more_issues;
}

/* A row in import_job_kinds for every kind the run read or wrote. */
static int record_kinds(struct db *db, int64_t job_id, const struct import_report *rep,
                        struct sd_error *err)
{
    int rc = 0;
    for (int k = 0; rc == 0 && k < KIND_COUNT; k++) {
        const struct import_kind_counts *c = &rep->kinds[k];
        if (!c->read && !c->inserted && !c->updated && !c->unchanged && !c->rejected)
            continue;
        struct import_job_kind row = {import_kinds[k].name, c->read, c->inserted, c->updated,
                                      c->unchanged, c->rejected};
        rc = store_import_job_kind_add(db, job_id, &row, err);
    }
    return rc;
}

int apply_record_job(struct run *r)
{
    const struct import_options *opt = r->opt;
    struct import_job job = {.id = opt->job_id, .kind = opt->job_kind ? opt->job_kind : "import",
                             .source = r->source, .status = "done", .user_id = opt->user_id,
                             .actor = opt->actor, .mapping = opt->mapping->name,
                             .upload_bytes = INT_NONE, .started_at = r->started_ms,
                             .finished_at = ts_now_ms()};
    struct strbuf files = STRBUF_INIT;
    for (size_t i = 0; i < r->n_file_names; i++)
        strbuf_addf(&files, "%s%s", i ? "," : "", r->file_names[i]);
    job.files = files.buf;
    job.created_at = job.started_at;
    job_totals(r->report, &job);
    int rc = opt->job_id ? store_import_job_update(r->db, &job, r->err)
                         : store_import_job_add(r->db, &job, &r->report->job_id, r->err);
    if (opt->job_id)
        r->report->job_id = opt->job_id;
    if (rc == 0)
        rc = record_kinds(r->db, r->report->job_id, r->report, r->err);
    strbuf_release(&files);
    return rc;
}

/*
 * The kept problems of a rejected run; a rejection without any (the reader
 * refused the file) keeps its message with the row and column it names, and
 * the file when the job has one.
 */
static int record_issues(struct db *db, const struct import_job *job,
                         const struct import_report *rep, const struct sd_error *run_err,
                         struct sd_error *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < rep->n_issues; i++) {
        const struct import_issue *is = &rep->issues[i];
        struct import_job_error e = {(int64_t)i + 1, is->file, is->row ? is->row : INT_NONE,
                                     is->column ? is->column : INT_NONE, is->field, is->message};
        rc = store_import_job_error_add(db, job->id, &e, err);
    }
    if (rc == 0 && rep->n_issues == 0) {
        int one_file = job->files && *job->files && !strchr(job->files, ',');
        struct import_job_error e = {1, one_file ? job->files : NULL,
                                     run_err && run_err->row ? run_err->row : INT_NONE,
                                     run_err && run_err->column ? run_err->column : INT_NONE,
                                     NULL, job->error};
        rc = store_import_job_error_add(db, job->id, &e, err);
    }
    return rc;
}

int import_job_record(struct db *db, const struct import_job *job, const struct import_report *rep,
                      int rc, const struct sd_error *run_err, struct sd_error *err)
{
    struct import_job row = *job;
    int rejected = rc == SD_EINVAL || rc == SD_ELIMIT;
    row.status = rc == 0 ? "done" : rejected ? "rejected" : "failed";
    row.finished_at = ts_now_ms();
    row.rows_read = row.inserted = row.updated = row.unchanged = row.rejected = 0;
    job_totals(rep, &row);
    if (rc == 0)
        row.error = NULL;
    else
        row.error = run_err && run_err->message[0] ? run_err->message : sd_status_name(rc);
    if (rejected && rep->n_issues == 0)
        row.error_count = 1;
    int wrc = db_begin(db, err);
    if (wrc == 0)
        wrc = store_import_job_update(db, &row, err);
    if (wrc == 0)
        wrc = record_kinds(db, row.id, rep, err);
    if (wrc == 0 && rejected)
        wrc = record_issues(db, &row, rep, run_err, err);
    if (wrc == 0)
        wrc = db_commit(db, err);
    if (wrc)
        db_rollback(db);
    return wrc;
}

int apply_all(struct run *r)
{
    int rc = store_bulk_prepare(r->db, (int64_t)r->staged[KIND_LINES].len, r->err);
    if (rc == 0)
        rc = apply_reps(r);
    if (rc == 0)
        rc = apply_rows(r, KIND_ACCOUNTS, apply_account);
    if (rc == 0)
        rc = apply_rows(r, KIND_PRODUCTS, apply_product);
    if (rc == 0)
        rc = apply_rows(r, KIND_STOCK, apply_stock);
    if (rc == 0)
        rc = apply_orders(r);
    if (rc == 0)
        rc = apply_invoices(r);
    if (rc == 0)
        rc = apply_opportunities(r);
    if (rc == 0)
        rc = apply_rows(r, KIND_REQUESTS, apply_request);
    if (rc == 0)
        rc = apply_rows(r, KIND_QUOTAS, apply_quota);
    if (rc == 0)
        rc = apply_rows(r, KIND_FX, apply_fx);
    return rc;
}
