/* SPDX-License-Identifier: MIT */
/*
 * scan: the streaming reads the numbers engine builds its facts from: every
 * order line with its order's header, the dimension rows (accounts, reps with
 * their team, products), currency rates, and the change_log after a sequence
 * number. Rows go to a callback one at a time; strings are valid only during
 * the call.
 */
#include <string.h>

#include "base/json.h"
#include "store/store-int.h"
#include "base/banned.h"

#define LINE_COLUMNS                                                                   \
    "SELECT o.id, o.account_id, o.rep_id, o.order_date, o.ship_date, "                  \
    "COALESCE(o.promised_date, o.requested_date), o.status, o.currency, l.product_id, " \
    "l.qty, l.shipped_qty, l.unit_price, l.discount "                                   \
    "FROM orders o JOIN order_lines l ON l.order_id = o.id "

static const char lines_all_sql[] = LINE_COLUMNS "ORDER BY o.id, l.line_no";
static const char lines_one_sql[] = LINE_COLUMNS "WHERE o.id = ? ORDER BY l.line_no";

static const char accounts_all_sql[] =
    "SELECT id, ext_id, name, region, segment, country FROM accounts ORDER BY id";
static const char accounts_one_sql[] =
    "SELECT id, ext_id, name, region, segment, country FROM accounts WHERE id = ?";
static const char reps_all_sql[] =
    "SELECT r.id, r.ext_id, r.name, t.ext_id, t.name FROM reps r "
    "LEFT JOIN teams t ON t.id = r.team_id ORDER BY r.id";
static const char reps_one_sql[] =
    "SELECT r.id, r.ext_id, r.name, t.ext_id, t.name FROM reps r "
    "LEFT JOIN teams t ON t.id = r.team_id WHERE r.id = ?";
static const char products_all_sql[] =
    "SELECT id, ext_id, name, category, cost FROM products ORDER BY id";
static const char products_one_sql[] =
    "SELECT id, ext_id, name, category, cost FROM products WHERE id = ?";
static const char fx_sql[] =
    "SELECT currency, day, rate_to_base FROM fx_rates ORDER BY currency, day";
static const char changes_sql[] =
    "SELECT seq, entity, entity_id, op FROM change_log WHERE seq > ? ORDER BY seq";
static const char change_last_sql[] = "SELECT COALESCE(max(seq), 0) FROM change_log";

static const char *text_or_empty(struct db_stmt *st, int col)
{
    const char *s = db_column_text(st, col);
    return s ? s : "";
}

/* Steps `st` to the end, calling `row` for each row; stops at the first non-zero. */
static int each_row(struct db_stmt *st, int (*row)(struct db_stmt *, void *), void *ctx,
                    struct sd_error *err)
{
    int rc;
    while ((rc = db_step(st, err)) == DB_ROW) {
        rc = row(st, ctx);
        if (rc) {
            db_reset(st);
            return rc;
        }
    }
    return rc;
}

struct line_ctx {
    store_scan_line_fn *fn;
    void *ctx;
};

static int line_row(struct db_stmt *st, void *p)
{
    struct line_ctx *c = p;
    struct scan_line l = {
        .order_id = db_column_int64(st, 0),
        .account_id = db_column_int64(st, 1),
        .rep_id = db_column_is_null(st, 2) ? 0 : db_column_int64(st, 2),
        .order_date = (int32_t)db_column_int64(st, 3),
        .ship_date = db_column_opt_date(st, 4),
        .due_date = db_column_opt_date(st, 5),
        .currency = text_or_empty(st, 7),
        .product_id = db_column_int64(st, 8),
        .qty = db_column_int64(st, 9),
        .shipped_qty = db_column_int64(st, 10),
        .unit_price = db_column_int64(st, 11),
        .discount = db_column_int64(st, 12),
    };
    if (order_status_parse(text_or_empty(st, 6), &l.status))
        l.status = ORDER_DRAFT;
    return c->fn(c->ctx, &l);
}

int store_scan_lines(struct db *db, int64_t order_id, store_scan_line_fn *fn, void *ctx,
                     struct sd_error *err)
{
    struct db_stmt *st;
    struct line_ctx c = {fn, ctx};
    int rc = db_prepare(db, order_id ? lines_one_sql : lines_all_sql, &st, err);
    if (rc)
        return rc;
    if (order_id)
        db_bind_int64(st, 1, order_id);
    return each_row(st, line_row, &c, err);
}

struct dim_ctx {
    store_scan_dim_fn *fn;
    void *ctx;
    int kind;
};

static int dim_row(struct db_stmt *st, void *p)
{
    struct dim_ctx *c = p;
    struct scan_dim d = {.id = db_column_int64(st, 0),
                         .ext_id = text_or_empty(st, 1),
                         .name = text_or_empty(st, 2),
                         .cost = MONEY_NONE};
    switch (c->kind) {
    case ENTITY_ACCOUNT:
        d.attr[0] = db_column_text(st, 3);
        d.attr[1] = db_column_text(st, 4);
        d.attr[2] = db_column_text(st, 5);
        break;
    case ENTITY_REP:
        d.attr[0] = db_column_text(st, 3);
        d.attr[1] = db_column_text(st, 4);
        break;
    default:
        d.attr[0] = db_column_text(st, 3);
        d.cost = db_column_opt_int64(st, 4);
        break;
    }
    return c->fn(c->ctx, &d);
}

int store_scan_dims(struct db *db, enum store_entity e, int64_t id, store_scan_dim_fn *fn,
                    void *ctx, struct sd_error *err)
{
    const char *sql;
    switch (e) {
    case ENTITY_ACCOUNT:
        sql = id ? accounts_one_sql : accounts_all_sql;
        break;
    case ENTITY_REP:
        sql = id ? reps_one_sql : reps_all_sql;
        break;
    case ENTITY_PRODUCT:
        sql = id ? products_one_sql : products_all_sql;
        break;
    default:
        return sd_error_set(err, SD_EINVAL, "no dimension scan for '%s'", store_entity_name(e));
    }
    struct db_stmt *st;
    struct dim_ctx c = {fn, ctx, (int)e};
    int rc = db_prepare(db, sql, &st, err);
    if (rc)
        return rc;
    if (id)
        db_bind_int64(st, 1, id);
    return each_row(st, dim_row, &c, err);
}

struct fx_ctx {
    store_scan_fx_fn *fn;
    void *ctx;
};

static int fx_row(struct db_stmt *st, void *p)
{
    struct fx_ctx *c = p;
    struct fx_rate fx = {text_or_empty(st, 0), (int32_t)db_column_int64(st, 1),
                         db_column_int64(st, 2)};
    return c->fn(c->ctx, &fx);
}

int store_scan_fx(struct db *db, store_scan_fx_fn *fn, void *ctx, struct sd_error *err)
{
    struct db_stmt *st;
    struct fx_ctx c = {fn, ctx};
    int rc = db_prepare(db, fx_sql, &st, err);
    return rc ? rc : each_row(st, fx_row, &c, err);
}

struct change_ctx {
    store_scan_change_fn *fn;
    void *ctx;
};

static int change_row(struct db_stmt *st, void *p)
{
    struct change_ctx *c = p;
    return c->fn(c->ctx, db_column_int64(st, 0), text_or_empty(st, 1), db_column_int64(st, 2),
                 text_or_empty(st, 3));
}

int store_scan_changes(struct db *db, int64_t after_seq, store_scan_change_fn *fn, void *ctx,
                       struct sd_error *err)
{
    struct db_stmt *st;
    struct change_ctx c = {fn, ctx};
    int rc = db_prepare(db, changes_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, after_seq);
    return each_row(st, change_row, &c, err);
}

int store_change_last(struct db *db, int64_t *seq, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, change_last_sql, &st, err);
    if (rc == 0)
        rc = db_step(st, err);
    if (rc < 0)
        return rc;
    *seq = db_column_int64(st, 0);
    db_reset(st);
    return 0;
}

static const char opps_all_sql[] =
    "SELECT id, account_id, rep_id, stage, amount, currency, created_date, closed_date, outcome "
    "FROM opportunities ORDER BY id";
static const char opps_one_sql[] =
    "SELECT id, account_id, rep_id, stage, amount, currency, created_date, closed_date, outcome "
    "FROM opportunities WHERE id = ?";
static const char stages_all_sql[] =
    "SELECT opportunity_id, stage, entered_date FROM opportunity_stages "
    "ORDER BY opportunity_id, entered_date, stage";
static const char stages_one_sql[] =
    "SELECT opportunity_id, stage, entered_date FROM opportunity_stages "
    "WHERE opportunity_id = ? ORDER BY entered_date, stage";
static const char requests_all_sql[] =
    "SELECT id, account_id, assignee_rep_id, priority, status, opened_at, first_response_at, "
    "resolved_at FROM requests ORDER BY id";
static const char requests_one_sql[] =
    "SELECT id, account_id, assignee_rep_id, priority, status, opened_at, first_response_at, "
    "resolved_at FROM requests WHERE id = ?";
static const char invoices_all_sql[] =
    "SELECT i.id, i.account_id, o.rep_id, i.issue_date, i.due_date, i.amount, i.paid_amount, "
    "i.paid_date, i.currency FROM invoices i LEFT JOIN orders o ON o.id = i.order_id ORDER BY i.id";
static const char invoices_one_sql[] =
    "SELECT i.id, i.account_id, o.rep_id, i.issue_date, i.due_date, i.amount, i.paid_amount, "
    "i.paid_date, i.currency FROM invoices i LEFT JOIN orders o ON o.id = i.order_id "
    "WHERE i.id = ?";

struct side_ctx {
    store_scan_side_fn *fn;
    void *ctx;
    enum store_entity kind;
};

static int side_row(struct db_stmt *st, void *p)
{
    struct side_ctx *c = p;
    struct scan_side r = {.kind = c->kind,
                          .id = db_column_int64(st, 0),
                          .account_id = db_column_int64(st, 1),
                          .rep_id = db_column_is_null(st, 2) ? 0 : db_column_int64(st, 2)};
    switch (c->kind) {
    case ENTITY_OPPORTUNITY:
        r.text = text_or_empty(st, 3);
        r.amount = db_column_int64(st, 4);
        r.currency = text_or_empty(st, 5);
        r.t[0] = db_column_int64(st, 6);
        r.t[1] = db_column_opt_date(st, 7);
        r.text2 = db_column_text(st, 8);
        break;
    case ENTITY_REQUEST:
        r.text = text_or_empty(st, 3);
        r.text2 = text_or_empty(st, 4);
        r.t[0] = db_column_int64(st, 5);
        r.t[1] = db_column_opt_int64(st, 6);
        r.t[2] = db_column_opt_int64(st, 7);
        break;
    default:
        r.t[0] = db_column_int64(st, 3);
        r.t[1] = db_column_int64(st, 4);
        r.amount = db_column_int64(st, 5);
        r.paid = db_column_int64(st, 6);
        r.t[2] = db_column_opt_date(st, 7);
        r.currency = text_or_empty(st, 8);
        break;
    }
    return c->fn(c->ctx, &r);
}

int store_scan_side(struct db *db, enum store_entity kind, int64_t id, store_scan_side_fn *fn,
                    void *ctx, struct sd_error *err)
{
    const char *sql;
    switch (kind) {
    case ENTITY_OPPORTUNITY:
        sql = id ? opps_one_sql : opps_all_sql;
        break;
    case ENTITY_REQUEST:
        sql = id ? requests_one_sql : requests_all_sql;
        break;
    case ENTITY_INVOICE:
        sql = id ? invoices_one_sql : invoices_all_sql;
        break;
    default:
        return sd_error_set(err, SD_EINVAL, "no scan for '%s'", store_entity_name(kind));
    }
    struct db_stmt *st;
    struct side_ctx c = {fn, ctx, kind};
    int rc = db_prepare(db, sql, &st, err);
    if (rc)
        return rc;
    if (id)
        db_bind_int64(st, 1, id);
    return each_row(st, side_row, &c, err);
}

struct stage_ctx {
    store_scan_stage_fn *fn;
    void *ctx;
};

static int stage_row(struct db_stmt *st, void *p)
{
    struct stage_ctx *c = p;
    return c->fn(c->ctx, db_column_int64(st, 0), text_or_empty(st, 1),
                 (int32_t)db_column_int64(st, 2));
}

int store_scan_stages(struct db *db, int64_t opportunity_id, store_scan_stage_fn *fn, void *ctx,
                      struct sd_error *err)
{
    struct db_stmt *st;
    struct stage_ctx c = {fn, ctx};
    int rc = db_prepare(db, opportunity_id ? stages_one_sql : stages_all_sql, &st, err);
    if (rc)
        return rc;
    if (opportunity_id)
        db_bind_int64(st, 1, opportunity_id);
    return each_row(st, stage_row, &c, err);
}
