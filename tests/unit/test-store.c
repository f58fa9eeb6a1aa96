/* SPDX-License-Identifier: MIT */
/*
 * test-store: store/ on a freshly migrated SQLite file per test: store_open
 * (missing, not set up, newer schema), upserts of teams, reps, accounts,
 * products and orders with their lines (inserted / unchanged / updated, and
 * the change_log rows each appends), store_resolve with "EXT" and
 * "SOURCE:EXT", the order view's totals and the account view's open orders,
 * open invoices and overdue balance, quotas, currency rates and stock levels.
 * Every write runs inside db_begin/db_commit, as store.h requires.
 *
 * Expected amounts are worked out by hand in the comments (and were checked
 * with Python's decimal module, ROUND_HALF_UP); what was stored is read back
 * with plain SQL, not with the store's own readers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/error.h"
#include "base/json.h"
#include "db/db.h"
#include "store/model.h"
#include "store/store.h"

#include "test-util.h"

#include "base/banned.h"

/* The PostgreSQL database of this run (SALESDESK_TEST_PG), "" on SQLite. */
static char pg_url[TEST_PATH_MAX];

struct fixture {
    char dir[TEST_PATH_MAX];
    char path[TEST_PATH_MAX]; /* a migrated database */
    struct db *db;            /* opened with store_open */
    struct arena arena;       /* for the views */
};

/* Creates and migrates the database with plain db calls, then opens it with store_open. */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct sd_error err = {0};
    struct db *db = NULL;

    if (!f)
        return -1;
    test_tmpdir_make(f->dir, sizeof(f->dir));
    arena_init(&f->arena, 0);
    *state = f;
    int rc = test_store_make(f->path, f->dir, "store.db", pg_url, &db, &err);
    db_close(db);
    if (rc == 0)
        rc = store_open(&f->db, f->path, DB_OPEN_EXISTING, &err);
    if (rc != 0)
        print_error("setup: %s\n", err.message);
    return rc;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    db_close(f->db);
    arena_release(&f->arena);
    test_tmpdir_remove(f->dir);
    free(f);
    return 0;
}

static void begin(struct db *db)
{
    struct sd_error err = {0};
    assert_sd_ok(db_begin(db, &err), &err);
}

static void commit(struct db *db)
{
    struct sd_error err = {0};
    assert_sd_ok(db_commit(db, &err), &err);
}

static int64_t change_count(struct db *db)
{
    struct sd_error err = {0};
    int64_t count = -1;
    assert_sd_ok(store_change_count(db, &count, &err), &err);
    return count;
}

/* Fails the test with the names of the results unless `got` is `want`. */
static void check_write(enum store_write got, enum store_write want, const char *what)
{
    static const char *const names[] = {"unchanged", "inserted", "updated"};
    if (got != want)
        fail_msg("%s: %s, expected %s", what, names[got], names[want]);
}

/* ---- fixtures: rows that must be new ---- */

static int64_t put_team(struct db *db, const char *ext_id, const char *name)
{
    struct sd_error err = {0};
    enum store_write w;
    struct team t = {.source = "erp", .ext_id = ext_id, .name = name, .region = "EMEA"};
    assert_sd_ok(store_team_upsert(db, &t, &w, &err), &err);
    check_write(w, STORE_INSERTED, ext_id);
    return t.id;
}

static int64_t put_rep(struct db *db, const char *ext_id, const char *name, int64_t team_id)
{
    struct sd_error err = {0};
    enum store_write w;
    struct rep r = {.source = "erp",
                    .ext_id = ext_id,
                    .name = name,
                    .team_id = team_id,
                    .discount_limit = INT_NONE};
    assert_sd_ok(store_rep_upsert(db, &r, &w, &err), &err);
    check_write(w, STORE_INSERTED, ext_id);
    return r.id;
}

static struct account account_template(const char *source, const char *ext_id, const char *name)
{
    struct account a = {.source = source,
                        .ext_id = ext_id,
                        .name = name,
                        .credit_limit = MONEY_NONE,
                        .payment_terms_days = INT_NONE};
    return a;
}

static int64_t put_account(struct db *db, const char *source, const char *ext_id, const char *name,
                           int64_t owner_rep_id, int64_t manager_id)
{
    struct sd_error err = {0};
    enum store_write w;
    struct account a = account_template(source, ext_id, name);
    a.owner_rep_id = owner_rep_id;
    a.account_manager_id = manager_id;
    assert_sd_ok(store_account_upsert(db, &a, &w, &err), &err);
    check_write(w, STORE_INSERTED, ext_id);
    return a.id;
}

static int64_t put_product(struct db *db, const char *sku, const char *name, int64_t list_price)
{
    struct sd_error err = {0};
    enum store_write w;
    struct product p = {.source = "erp",
                        .ext_id = sku,
                        .name = name,
                        .list_price = list_price,
                        .cost = MONEY_NONE,
                        .launch_date = DATE_NONE};
    assert_sd_ok(store_product_upsert(db, &p, &w, &err), &err);
    check_write(w, STORE_INSERTED, sku);
    return p.id;
}

static struct order order_template(const char *ext_id, int64_t account_id, int64_t rep_id,
                                   int32_t order_date, enum order_status status)
{
    struct order o = {.source = "erp",
                      .ext_id = ext_id,
                      .account_id = account_id,
                      .rep_id = rep_id,
                      .order_date = order_date,
                      .requested_date = DATE_NONE,
                      .promised_date = DATE_NONE,
                      .ship_date = DATE_NONE,
                      .status = status,
                      .status_date = DATE_NONE,
                      .currency = "USD"};
    return o;
}

static int64_t put_order(struct db *db, struct order *o, const struct order_line *lines,
                         size_t n_lines)
{
    struct sd_error err = {0};
    enum store_write w;
    assert_sd_ok(store_order_upsert(db, o, lines, n_lines, &w, &err), &err);
    check_write(w, STORE_INSERTED, o->ext_id);
    return o->id;
}

static int64_t put_invoice(struct db *db, const char *ext_id, int64_t account_id, int64_t order_id,
                           int32_t issue, int32_t due, int64_t amount, int64_t paid)
{
    struct sd_error err = {0};
    enum store_write w;
    struct invoice inv = {.source = "erp",
                          .ext_id = ext_id,
                          .order_id = order_id,
                          .account_id = account_id,
                          .issue_date = issue,
                          .due_date = due,
                          .amount = amount,
                          .paid_amount = paid,
                          .paid_date = paid ? due : DATE_NONE,
                          .currency = "USD"};
    assert_sd_ok(store_invoice_upsert(db, &inv, &w, &err), &err);
    check_write(w, STORE_INSERTED, ext_id);
    return inv.id;
}

/* The decimal number at the start of `s`; fails the test when there is none. */
static int atoi_checked(const char *s)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (end == s)
        fail_msg("'%s' does not start with a number", s);
    return (int)v;
}

/* ---- opening ---- */

static void test_store_open(void **state)
{
    struct fixture *f = *state;
    struct sd_error err = {0};
    struct db *db = NULL;
    char path[TEST_PATH_MAX];

    /* A missing file. */
    test_path(path, f->dir, "missing.db");
    assert_sd_status(store_open(&db, path, DB_OPEN_EXISTING, &err), SD_ENOTFOUND, &err);
    assert_null(db);

    /* A database without the schema: not found, with the way out in the message. */
    test_path(path, f->dir, "empty.db");
    assert_sd_ok(db_open(&db, path, DB_OPEN_CREATE, &err), &err);
    db_close(db);
    db = NULL;
    sd_error_clear(&err);
    assert_sd_status(store_open(&db, path, DB_OPEN_EXISTING, &err), SD_ENOTFOUND, &err);
    assert_null(db);
    assert_contains(err.message, path);
    assert_contains(err.message, "salesdesk init");
    /* ... and store_open did not set it up behind the caller's back. */
    assert_sd_ok(db_open(&db, path, DB_OPEN_EXISTING, &err), &err);
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM sqlite_schema"), 0);
    db_close(db);
    db = NULL;

    /* The migrated database opens (the fixture's connection is one), a second one too. */
    assert_non_null(f->db);
    assert_sd_ok(store_open(&db, f->path, DB_OPEN_EXISTING, &err), &err);
    assert_non_null(db);
    db_close(db);
    db = NULL;

    /* A schema newer than this binary. */
    test_exec(f->db, "INSERT INTO schema_version(version, name, applied_at) "
                     "VALUES (1000000, 'future', 0)");
    assert_sd_status(store_open(&db, f->path, DB_OPEN_EXISTING, &err), SD_EVERSION, &err);
    assert_null(db);
}

static void test_entity_names(void **state)
{
    (void)state;
    assert_string_equal(store_entity_name(ENTITY_ACCOUNT), "account");
    assert_string_equal(store_entity_name(ENTITY_ORDER), "order");
    assert_string_equal(store_entity_name(ENTITY_OPPORTUNITY), "opportunity");
    assert_string_equal(order_status_name(ORDER_ON_HOLD), "on_hold");
    enum order_status status = ORDER_DRAFT;
    assert_int_equal(order_status_parse("returned", &status), 0);
    assert_int_equal(status, ORDER_RETURNED);
    assert_int_equal(order_status_parse("lost", &status), SD_EINVAL);
}

/* ---- upserts ---- */

static void test_team_upsert(void **state)
{
    struct fixture *f = *state;
    struct sd_error err = {0};
    enum store_write w;
    struct team t = {.source = "erp", .ext_id = "T-1", .name = "Key Accounts", .region = NULL};

    begin(f->db);
    assert_sd_ok(store_team_upsert(f->db, &t, &w, &err), &err);
    check_write(w, STORE_INSERTED, "first upsert");
    int64_t id = t.id;
    assert_true(id > 0);
    assert_int_equal(change_count(f->db), 1);

    /* The same values (including the NULL region) again: nothing changes. */
    struct team same = {.source = "erp", .ext_id = "T-1", .name = "Key Accounts"};
    assert_sd_ok(store_team_upsert(f->db, &same, &w, &err), &err);
    check_write(w, STORE_UNCHANGED, "same values");
    assert_int_equal(same.id, id);
    assert_int_equal(change_count(f->db), 1);

    /* One field changes: updated, one more change_log row. */
    same.region = "EMEA";
    assert_sd_ok(store_team_upsert(f->db, &same, &w, &err), &err);
    check_write(w, STORE_UPDATED, "region set");
    assert_int_equal(same.id, id);
    assert_int_equal(change_count(f->db), 2);
    commit(f->db);

    assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM teams"), 1);
    assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM teams WHERE region = 'EMEA' "
                                         "AND name = 'Key Accounts'"),
                     1);
    assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM change_log"), 2);
    assert_int_equal(test_sql_int_i(f->db,
                                    "SELECT count(*) FROM change_log WHERE entity = "
                                    "'team' AND entity_id = ? AND op = 'insert'",
                                    id),
                     1);
    assert_int_equal(test_sql_int_i(f->db,
                                    "SELECT count(*) FROM change_log WHERE entity = "
                                    "'team' AND entity_id = ? AND op = 'update'",
                                    id),
                     1);
}

static void test_rep_upsert(void **state)
{
    struct fixture *f = *state;
    struct sd_error err = {0};
    enum store_write w;

    begin(f->db);
    int64_t team = put_team(f->db, "T-1", "Field");
    int64_t base = change_count(f->db);
    struct rep r = {.source = "erp",
                    .ext_id = "R-1",
                    .name = "Rita Rep",
                    .email = NULL,
                    .team_id = team,
                    .discount_limit = INT_NONE,
                    .status = "active"};
    assert_sd_ok(store_rep_upsert(f->db, &r, &w, &err), &err);
    check_write(w, STORE_INSERTED, "new rep");
    assert_int_equal(change_count(f->db), base + 1);

    assert_sd_ok(store_rep_upsert(f->db, &r, &w, &err), &err);
    check_write(w, STORE_UNCHANGED, "same rep");
    assert_int_equal(change_count(f->db), base + 1);

    r.discount_limit = 100000; /* 0.10 */
    assert_sd_ok(store_rep_upsert(f->db, &r, &w, &err), &err);
    check_write(w, STORE_UPDATED, "discount limit set");
    assert_int_equal(change_count(f->db), base + 2);

    /* A NULL status means the default 'active': the same as stored, so unchanged. */
    r.status = NULL;
    assert_sd_ok(store_rep_upsert(f->db, &r, &w, &err), &err);
    check_write(w, STORE_UNCHANGED, "default status");
    assert_int_equal(change_count(f->db), base + 2);
    commit(f->db);

    assert_int_equal(test_sql_int_i(f->db, "SELECT discount_limit FROM reps WHERE id = ?", r.id),
                     100000);
    assert_int_equal(test_sql_int_i(f->db, "SELECT team_id FROM reps WHERE id = ?", r.id), team);
}

static void test_account_upsert(void **state)
{
    struct fixture *f = *state;
    struct sd_error err = {0};
    enum store_write w;

    begin(f->db);
    int64_t rep = put_rep(f->db, "R-1", "Rita Rep", 0);
    int64_t base = change_count(f->db);
    struct account a = account_template("erp", "A-1", "Acme Corp");
    a.owner_rep_id = rep;
    a.country = "DE";
    assert_sd_ok(store_account_upsert(f->db, &a, &w, &err), &err);
    check_write(w, STORE_INSERTED, "new account");
    assert_int_equal(change_count(f->db), base + 1);

    struct account same = a;
    same.id = 0;
    assert_sd_ok(store_account_upsert(f->db, &same, &w, &err), &err);
    check_write(w, STORE_UNCHANGED, "same account");
    assert_int_equal(same.id, a.id);
    assert_int_equal(change_count(f->db), base + 1);

    same.credit_limit = 500000000; /* 50 000.00 */
    assert_sd_ok(store_account_upsert(f->db, &same, &w, &err), &err);
    check_write(w, STORE_UPDATED, "credit limit set");
    assert_int_equal(change_count(f->db), base + 2);

    same.credit_limit = MONEY_NONE; /* back to "no limit" is a change too */
    assert_sd_ok(store_account_upsert(f->db, &same, &w, &err), &err);
    check_write(w, STORE_UPDATED, "credit limit removed");
    assert_int_equal(change_count(f->db), base + 3);
    commit(f->db);

    assert_int_equal(test_sql_int_i(f->db,
                                    "SELECT credit_limit IS NULL FROM accounts "
                                    "WHERE id = ?",
                                    a.id),
                     1);
    assert_int_equal(test_sql_int_i(f->db, "SELECT owner_rep_id FROM accounts WHERE id = ?", a.id),
                     rep);
}

static void test_product_upsert(void **state)
{
    struct fixture *f = *state;
    struct sd_error err = {0};
    enum store_write w;
    struct product p = {.source = "erp",
                        .ext_id = "SKU-1",
                        .name = "Widget",
                        .category = "parts",
                        .list_price = 199990,
                        .cost = MONEY_NONE,
                        .launch_date = DATE_NONE};

    begin(f->db);
    assert_sd_ok(store_product_upsert(f->db, &p, &w, &err), &err);
    check_write(w, STORE_INSERTED, "new product");
    assert_int_equal(change_count(f->db), 1);
    assert_sd_ok(store_product_upsert(f->db, &p, &w, &err), &err);
    check_write(w, STORE_UNCHANGED, "same product");
    assert_int_equal(change_count(f->db), 1);
    p.list_price = 209990;
    assert_sd_ok(store_product_upsert(f->db, &p, &w, &err), &err);
    check_write(w, STORE_UPDATED, "new price");
    assert_int_equal(change_count(f->db), 2);
    p.launch_date = 19782; /* 2024-02-29 */
    assert_sd_ok(store_product_upsert(f->db, &p, &w, &err), &err);
    check_write(w, STORE_UPDATED, "launch date");
    assert_int_equal(change_count(f->db), 3);
    commit(f->db);

    assert_int_equal(test_sql_int_i(f->db, "SELECT list_price FROM products WHERE id = ?", p.id),
                     209990);
    assert_int_equal(test_sql_int_i(f->db, "SELECT launch_date FROM products WHERE id = ?", p.id),
                     19782);
    assert_int_equal(test_sql_int_i(f->db, "SELECT cost IS NULL FROM products WHERE id = ?", p.id),
                     1);
}

/* The external key is required; nothing is written without it. */
static void test_upsert_needs_key(void **state)
{
    struct fixture *f = *state;
    struct sd_error err = {0};
    enum store_write w;

    begin(f->db);
    struct team no_id = {.source = "erp", .ext_id = "", .name = "X"};
    assert_sd_status(store_team_upsert(f->db, &no_id, &w, &err), SD_EINVAL, &err);
    struct team null_id = {.source = "erp", .ext_id = NULL, .name = "X"};
    assert_sd_status(store_team_upsert(f->db, &null_id, &w, &err), SD_EINVAL, &err);
    struct team no_source = {.source = NULL, .ext_id = "T-9", .name = "X"};
    assert_sd_status(store_team_upsert(f->db, &no_source, &w, &err), SD_EINVAL, &err);
    commit(f->db);
    assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM teams"), 0);
    assert_int_equal(change_count(f->db), 0);
}

/* Writes and their change_log rows commit or roll back together. */
static void test_rollback_discards_changes(void **state)
{
    struct fixture *f = *state;

    begin(f->db);
    put_team(f->db, "T-1", "Field");
    put_product(f->db, "SKU-1", "Widget", 10000);
    assert_int_equal(change_count(f->db), 2);
    db_rollback(f->db);
    assert_int_equal(change_count(f->db), 0);
    assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM teams"), 0);
    assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM products"), 0);
}

/* ---- orders ---- */

static const char order_line_count_sql[] = "SELECT count(*) FROM order_lines WHERE order_id = ?";
static const char order_line_qty_sum_sql[] =
    "SELECT sum(qty * 1000 + line_no) FROM order_lines WHERE order_id = ?";

static void test_order_upsert_lines(void **state)
{
    struct fixture *f = *state;
    struct sd_error err = {0};
    enum store_write w;

    begin(f->db);
    int64_t account = put_account(f->db, "erp", "A-1", "Acme Corp", 0, 0);
    int64_t p1 = put_product(f->db, "SKU-1", "Widget", 10000);
    int64_t p2 = put_product(f->db, "SKU-2", "Gadget", 25000);
    commit(f->db);

    struct order o = order_template("SO-1", account, 0, 19800, ORDER_CONFIRMED);
    struct order_line lines[3] = {
        {.line_no = 1, .product_id = p1, .qty = 2, .unit_price = 10000},
        {.line_no = 2, .product_id = p2, .qty = 5, .unit_price = 25000, .discount = 50000},
        {.line_no = 3, .product_id = p1, .qty = 1, .unit_price = 9000, .shipped_qty = 1},
    };
    int64_t base = change_count(f->db);
    begin(f->db);
    assert_sd_ok(store_order_upsert(f->db, &o, lines, 3, &w, &err), &err);
    check_write(w, STORE_INSERTED, "new order");
    commit(f->db);
    int64_t id = o.id;
    assert_true(id > 0);
    assert_int_equal(change_count(f->db), base + 1);
    assert_int_equal(test_sql_int_i(f->db, order_line_count_sql, id), 3);
    /* qty*1000 + line_no summed: 2001 + 5002 + 1003 */
    assert_int_equal(test_sql_int_i(f->db, order_line_qty_sum_sql, id), 8006);

    /* The same lines in another order of the array: unchanged, no change_log row. */
    struct order_line reversed[3] = {lines[2], lines[0], lines[1]};
    struct order again = order_template("SO-1", account, 0, 19800, ORDER_CONFIRMED);
    begin(f->db);
    assert_sd_ok(store_order_upsert(f->db, &again, reversed, 3, &w, &err), &err);
    check_write(w, STORE_UNCHANGED, "same lines, other order");
    commit(f->db);
    assert_int_equal(again.id, id);
    assert_int_equal(change_count(f->db), base + 1);

    /* Line 2's qty changes: updated, one change_log row, the stored lines are the new ones.
     * BUG (src/store/orders.c, lines_equal): its loop `while (rc == 0 && (rc = db_step(..))
     * == DB_ROW)` stops after the first row (rc is then DB_ROW, not 0) and returns DB_ROW
     * (1); replace_lines passes that on without replacing the lines, and store_order_upsert
     * returns sd_error_prefix(err, ...) = err->code (0 here) with *result still UNCHANGED.
     * The lines_select_sql statement is also left mid-row (see test-db,
     * test_prepare_returns_reset_statement). */
    lines[1].qty = 6;
    begin(f->db);
    assert_sd_ok(store_order_upsert(f->db, &again, lines, 3, &w, &err), &err);
    check_write(w, STORE_UPDATED, "line 2 qty 5 -> 6");
    commit(f->db);
    assert_int_equal(change_count(f->db), base + 2);
    assert_int_equal(test_sql_int_i(f->db, order_line_count_sql, id), 3);
    /* 2001 + 6002 + 1003 */
    assert_int_equal(test_sql_int_i(f->db, order_line_qty_sum_sql, id), 9006);
    /* net: 2 × 1.0000 + 6 × 2.5000 × 0.95 + 1 × 0.9000 = 2 + 14.25 + 0.9 = 17.15 */
    int64_t net = -1;
    assert_sd_ok(store_order_net(f->db, id, &net, &err), &err);
    assert_int_equal(net, 171500);

    /* A line dropped: updated, two lines left. */
    begin(f->db);
    assert_sd_ok(store_order_upsert(f->db, &again, lines, 2, &w, &err), &err);
    check_write(w, STORE_UPDATED, "line 3 dropped");
    commit(f->db);
    assert_int_equal(change_count(f->db), base + 3);
    assert_int_equal(test_sql_int_i(f->db, order_line_count_sql, id), 2);

    /* Only the header changes: updated, exactly one change_log row. */
    again.status = ORDER_SHIPPED;
    begin(f->db);
    assert_sd_ok(store_order_upsert(f->db, &again, lines, 2, &w, &err), &err);
    check_write(w, STORE_UPDATED, "status confirmed -> shipped");
    commit(f->db);
    assert_int_equal(change_count(f->db), base + 4);
    assert_int_equal(
        test_sql_int_i(f->db, "SELECT status = 'shipped' FROM orders WHERE id = ?", id), 1);
    assert_int_equal(test_sql_int_i(f->db, order_line_count_sql, id), 2);
    /* insert, qty change, line dropped, status change: 4 rows for this order */
    assert_int_equal(test_sql_int_i(f->db,
                                    "SELECT count(*) FROM change_log WHERE "
                                    "entity = 'order' AND entity_id = ?",
                                    id),
                     4);
}

/* A single-line order exercises the same comparison with one row. */
static void test_order_upsert_single_line(void **state)
{
    struct fixture *f = *state;
    struct sd_error err = {0};
    enum store_write w;

    begin(f->db);
    int64_t account = put_account(f->db, "erp", "A-1", "Acme Corp", 0, 0);
    int64_t p1 = put_product(f->db, "SKU-1", "Widget", 10000);
    struct order o = order_template("SO-7", account, 0, 19800, ORDER_PENDING);
    struct order_line line = {.line_no = 1, .product_id = p1, .qty = 4, .unit_price = 10000};
    put_order(f->db, &o, &line, 1);
    int64_t base = change_count(f->db);

    assert_sd_ok(store_order_upsert(f->db, &o, &line, 1, &w, &err), &err);
    check_write(w, STORE_UNCHANGED, "same single line");
    assert_int_equal(change_count(f->db), base);

    line.unit_price = 9500;
    assert_sd_ok(store_order_upsert(f->db, &o, &line, 1, &w, &err), &err);
    check_write(w, STORE_UPDATED, "unit price 1.00 -> 0.95");
    assert_int_equal(change_count(f->db), base + 1);
    commit(f->db);
    assert_int_equal(test_sql_int_i(f->db,
                                    "SELECT unit_price FROM order_lines WHERE "
                                    "order_id = ? AND line_no = 1",
                                    o.id),
                     9500);
}

/*
 * Re-importing an unchanged order must not disturb later reads of it:
 * 2 × 1.0000 + 3 × 2.5000 × 0.9 = 2 + 6.75 = 8.75 (87500), before and after.
 * BUG (src/store/orders.c, lines_equal; see test_order_upsert_lines): the unchanged upsert
 * leaves the cached lines_select_sql statement after its first row, store_order_net then gets
 * that statement back from db_prepare un-reset, its bind is ignored and it carries on with
 * the old iteration: it reads 1 line of 2 and reports 6.75 (67500) instead of 8.75.
 */
static void test_order_net_after_unchanged_upsert(void **state)
{
    struct fixture *f = *state;
    struct sd_error err = {0};
    enum store_write w;
    int64_t net = -1;

    begin(f->db);
    int64_t account = put_account(f->db, "erp", "A-1", "Acme Corp", 0, 0);
    int64_t p1 = put_product(f->db, "SKU-1", "Widget", 10000);
    struct order o = order_template("SO-8", account, 0, 19800, ORDER_PENDING);
    const struct order_line lines[2] = {
        {.line_no = 1, .product_id = p1, .qty = 2, .unit_price = 10000},
        {.line_no = 2, .product_id = p1, .qty = 3, .unit_price = 25000, .discount = 100000},
    };
    put_order(f->db, &o, lines, 2);
    commit(f->db);
    assert_sd_ok(store_order_net(f->db, o.id, &net, &err), &err);
    assert_int_equal(net, 87500);

    begin(f->db);
    assert_sd_ok(store_order_upsert(f->db, &o, lines, 2, &w, &err), &err);
    check_write(w, STORE_UNCHANGED, "same order again");
    commit(f->db);
    net = -1;
    assert_sd_ok(store_order_net(f->db, o.id, &net, &err), &err);
    assert_int_equal(net, 87500);
}

static void test_order_duplicate_line_no(void **state)
{
    struct fixture *f = *state;
    struct sd_error err = {0};
    enum store_write w;

    begin(f->db);
    int64_t account = put_account(f->db, "erp", "A-1", "Acme Corp", 0, 0);
    int64_t p1 = put_product(f->db, "SKU-1", "Widget", 10000);
    struct order o = order_template("SO-2", account, 0, 19800, ORDER_DRAFT);
    struct order_line lines[2] = {
        {.line_no = 1, .product_id = p1, .qty = 1, .unit_price = 10000},
        {.line_no = 1, .product_id = p1, .qty = 2, .unit_price = 10000},
    };
    assert_sd_status(store_order_upsert(f->db, &o, lines, 2, &w, &err), SD_ECONFLICT, &err);
    assert_contains(err.message, "SO-2");
    db_rollback(f->db);
    assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM orders"), 0);
    assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM order_lines"), 0);
}

/* ---- resolving external ids ---- */

static void test_resolve(void **state)
{
    struct fixture *f = *state;
    struct sd_error err = {0};
    int64_t id = 0;

    begin(f->db);
    int64_t a100 = put_account(f->db, "erp", "A-100", "One", 0, 0);
    int64_t a200_erp = put_account(f->db, "erp", "A-200", "Two (ERP)", 0, 0);
    int64_t a200_crm = put_account(f->db, "crm", "A-200", "Two (CRM)", 0, 0);
    int64_t local = put_account(f->db, "", "LOCAL-1", "Typed in", 0, 0);
    int64_t colon = put_account(f->db, "erp", "X:1", "Colon", 0, 0);
    commit(f->db);

    assert_sd_ok(store_resolve(f->db, ENTITY_ACCOUNT, "A-100", &id, &err), &err);
    assert_int_equal(id, a100);
    assert_sd_ok(store_resolve(f->db, ENTITY_ACCOUNT, "erp:A-100", &id, &err), &err);
    assert_int_equal(id, a100);
    assert_sd_ok(store_resolve(f->db, ENTITY_ACCOUNT, "LOCAL-1", &id, &err), &err);
    assert_int_equal(id, local);

    /* Two sources share A-200: ambiguous alone, fine with the source. */
    assert_sd_status(store_resolve(f->db, ENTITY_ACCOUNT, "A-200", &id, &err), SD_ECONFLICT, &err);
    assert_contains(err.message, "A-200");
    assert_contains(err.message, "SOURCE:");
    assert_sd_ok(store_resolve(f->db, ENTITY_ACCOUNT, "erp:A-200", &id, &err), &err);
    assert_int_equal(id, a200_erp);
    assert_sd_ok(store_resolve(f->db, ENTITY_ACCOUNT, "crm:A-200", &id, &err), &err);
    assert_int_equal(id, a200_crm);

    /* An id that itself holds a colon matches as a whole, and after its source. */
    assert_sd_ok(store_resolve(f->db, ENTITY_ACCOUNT, "X:1", &id, &err), &err);
    assert_int_equal(id, colon);
    assert_sd_ok(store_resolve(f->db, ENTITY_ACCOUNT, "erp:X:1", &id, &err), &err);
    assert_int_equal(id, colon);

    assert_sd_status(store_resolve(f->db, ENTITY_ACCOUNT, "nope", &id, &err), SD_ENOTFOUND, &err);
    assert_contains(err.message, "nope");
    assert_sd_status(store_resolve(f->db, ENTITY_ACCOUNT, "erp:nope", &id, &err), SD_ENOTFOUND,
                     &err);
    assert_sd_status(store_resolve(f->db, ENTITY_ACCOUNT, "hr:A-100", &id, &err), SD_ENOTFOUND,
                     &err);
    /* External ids are per entity. */
    assert_sd_status(store_resolve(f->db, ENTITY_ORDER, "A-100", &id, &err), SD_ENOTFOUND, &err);

    /* The views resolve the same way. */
    struct account_view av;
    assert_sd_status(store_account_view(f->db, &f->arena, "A-200", 20000, &av, &err), SD_ECONFLICT,
                     &err);
    assert_sd_ok(store_account_view(f->db, &f->arena, "crm:A-200", 20000, &av, &err), &err);
    assert_string_equal(av.account.name, "Two (CRM)");
}

/* ---- the order view ---- */

/*
 * SO-1's lines, worked out by hand (money in 1/10000, discount in millionths;
 * line net = qty × unit_price × (1 − discount), rounded half away from zero):
 *
 *   line  unit_price        qty  discount     gross      net
 *   1     5      (0.0005)     1  0.9              5      0.5 -> 1
 *   2     199990 (19.999)     3  0.05        599970      569971.5 -> 569972
 *   3     1234567 (123.4567) 10  0         12345670      12345670
 *   4     15     (0.0015)    -1  0.5            -15      -7.5 -> -8
 *   5     33333  (3.3333)     7  0.125       233331      204164.625 -> 204165
 *
 *   total gross 13178961 (1317.8961), net 13119800 (1311.98),
 *   discount 59161 (5.9161), qty 20, shipped 1 + 2 + 0 + 0 + 7 = 10.
 */
static void test_order_view_totals(void **state)
{
    struct fixture *f = *state;
    struct sd_error err = {0};

    begin(f->db);
    int64_t rep = put_rep(f->db, "R-1", "Rita Rep", 0);
    int64_t account = put_account(f->db, "erp", "ACC-1", "Acme Corp", rep, 0);
    int64_t half = put_product(f->db, "SKU-HALF", "Half-unit part", 5);
    int64_t widget = put_product(f->db, "SKU-WIDGET", "Widget", 199990);
    int64_t gadget = put_product(f->db, "SKU-GADGET", "Gadget", 1234567);
    int64_t ret = put_product(f->db, "SKU-RETURN", "Returned part", 15);
    /* Given out of line_no order: the view lists them by line_no. */
    const struct order_line lines[] = {
        {.line_no = 3, .product_id = gadget, .qty = 10, .unit_price = 1234567},
        {.line_no = 1,
         .product_id = half,
         .qty = 1,
         .unit_price = 5,
         .discount = 900000,
         .shipped_qty = 1},
        {.line_no = 5,
         .product_id = widget,
         .qty = 7,
         .unit_price = 33333,
         .discount = 125000,
         .shipped_qty = 7},
        {.line_no = 2,
         .product_id = widget,
         .qty = 3,
         .unit_price = 199990,
         .discount = 50000,
         .shipped_qty = 2},
        {.line_no = 4, .product_id = ret, .qty = -1, .unit_price = 15, .discount = 500000},
    };
    struct order o = order_template("SO-1", account, rep, 19800, ORDER_SHIPPED);
    o.promised_date = 19810;
    int64_t order_id = put_order(f->db, &o, lines, sizeof(lines) / sizeof(lines[0]));
    put_invoice(f->db, "INV-1", account, order_id, 19800, 19830, 10000000, 4000000);
    put_invoice(f->db, "INV-2", account, order_id, 19790, 19820, 3119800, 3119800);
    struct order bare = order_template("SO-2", account, 0, 19801, ORDER_DRAFT);
    put_order(f->db, &bare, NULL, 0);
    commit(f->db);

    struct order_view v;
    assert_sd_ok(store_order_view(f->db, &f->arena, "SO-1", &v, &err), &err);
    assert_int_equal(v.order.id, order_id);
    assert_string_equal(v.order.ext_id, "SO-1");
    assert_string_equal(v.order.source, "erp");
    assert_int_equal(v.order.status, ORDER_SHIPPED);
    assert_int_equal(v.order.order_date, 19800);
    assert_int_equal(v.order.promised_date, 19810);
    assert_int_equal(v.order.ship_date, DATE_NONE);
    assert_int_equal(v.order.status_date, 19800); /* defaults to the order date */
    assert_string_equal(v.order.currency, "USD");
    assert_string_equal(v.account_ext_id, "ACC-1");
    assert_string_equal(v.account_name, "Acme Corp");
    assert_string_equal(v.rep_ext_id, "R-1");
    assert_string_equal(v.rep_name, "Rita Rep");

    assert_int_equal(v.n_lines, 5);
    const int64_t want_gross[] = {5, 599970, 12345670, -15, 233331};
    const int64_t want_net[] = {1, 569972, 12345670, -8, 204165};
    const char *const want_sku[] = {"SKU-HALF", "SKU-WIDGET", "SKU-GADGET", "SKU-RETURN",
                                    "SKU-WIDGET"};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(v.lines[i].line.line_no, (int)i + 1);
        assert_string_equal(v.lines[i].sku, want_sku[i]);
        if (v.lines[i].gross != want_gross[i] || v.lines[i].net != want_net[i])
            fail_msg("line %zu: gross %lld net %lld, expected gross %lld net %lld", i + 1,
                     (long long)v.lines[i].gross, (long long)v.lines[i].net,
                     (long long)want_gross[i], (long long)want_net[i]);
    }
    assert_string_equal(v.lines[0].product_name, "Half-unit part");
    assert_int_equal(v.total_qty, 20);
    assert_int_equal(v.total_shipped_qty, 10);
    assert_int_equal(v.total_gross, 13178961);
    assert_int_equal(v.total_net, 13119800);
    assert_int_equal(v.total_discount, 59161);

    /* Invoices by issue date: INV-2 (19790) before INV-1 (19800). */
    assert_int_equal(v.n_invoices, 2);
    assert_string_equal(v.invoices[0].ext_id, "INV-2");
    assert_string_equal(v.invoices[1].ext_id, "INV-1");
    assert_int_equal(v.invoices[1].due_date, 19830);
    assert_int_equal(v.invoices[1].paid_amount, 4000000);
    assert_int_equal(v.invoiced, 13119800); /* 1000 + 311.98 */
    assert_int_equal(v.paid, 7119800);      /* 400 + 311.98 */

    int64_t net = -1;
    assert_sd_ok(store_order_net(f->db, order_id, &net, &err), &err);
    assert_int_equal(net, 13119800);

    /* An order without a rep and without lines. */
    assert_sd_ok(store_order_view(f->db, &f->arena, "SO-2", &v, &err), &err);
    assert_null(v.rep_ext_id);
    assert_null(v.rep_name);
    assert_int_equal(v.order.rep_id, 0);
    assert_int_equal(v.n_lines, 0);
    assert_int_equal(v.n_invoices, 0);
    assert_int_equal(v.total_gross, 0);
    assert_int_equal(v.total_net, 0);
    assert_int_equal(v.total_discount, 0);

    assert_sd_status(store_order_view(f->db, &f->arena, "SO-404", &v, &err), SD_ENOTFOUND, &err);
    assert_contains(err.message, "SO-404");
}

/* ---- the account view ---- */

static void put_contact(struct db *db, const char *ext_id, int64_t account_id, const char *name,
                        int is_primary)
{
    struct sd_error err = {0};
    enum store_write w;
    struct contact c = {.source = "erp",
                        .ext_id = ext_id,
                        .account_id = account_id,
                        .name = name,
                        .email = NULL,
                        .is_primary = is_primary};
    assert_sd_ok(store_contact_upsert(db, &c, &w, &err), &err);
    check_write(w, STORE_INSERTED, ext_id);
}

/*
 * Account ACC-9 has one order in each of the nine statuses, each with one
 * line of product SKU-W at 10.0000 (100000):
 *
 *   status     order_date  qty  discount  net
 *   draft      19900         1  0         100000
 *   pending    19850         2  0         200000
 *   confirmed  19880         3  0.05      285000 (300000 × 0.95)
 *   on_hold    19870         4  0         400000
 *   shipped, invoiced, paid, cancelled, returned: not open
 *
 * Open orders, oldest first: pending, on_hold, confirmed, draft; their net
 * 100000 + 200000 + 285000 + 400000 = 985000 (98.50).
 *
 * Invoices, with today = 20000:
 *   I-PAID   due 19950  500000 paid 500000  closed
 *   I-PART   due 19990  300000 paid 100000  open, 200000 overdue
 *   I-TODAY  due 20000  150000 paid 0       open, due today: not overdue
 *   I-FUT    due 20030   70000 paid 0       open
 *   I-OLD    due 19000   10000 paid 9999    open, 1 overdue
 * Open by due date: I-OLD, I-PART, I-TODAY, I-FUT. Receivables 1 + 200000 +
 * 150000 + 70000 = 420001; overdue 1 + 200000 = 200001.
 */
static void test_account_view(void **state)
{
    struct fixture *f = *state;
    struct sd_error err = {0};
    static const struct {
        enum order_status status;
        const char *ext_id;
        int32_t order_date;
        int64_t qty;
        int64_t discount;
    } orders[] = {
        {ORDER_DRAFT, "O-DRAFT", 19900, 1, 0},
        {ORDER_PENDING, "O-PENDING", 19850, 2, 0},
        {ORDER_CONFIRMED, "O-CONFIRMED", 19880, 3, 50000},
        {ORDER_ON_HOLD, "O-HOLD", 19870, 4, 0},
        {ORDER_SHIPPED, "O-SHIPPED", 19800, 5, 0},
        {ORDER_INVOICED, "O-INVOICED", 19801, 6, 0},
        {ORDER_PAID, "O-PAID", 19802, 7, 0},
        {ORDER_CANCELLED, "O-CANCELLED", 19803, 8, 0},
        {ORDER_RETURNED, "O-RETURNED", 19804, 9, 0},
    };

    begin(f->db);
    int64_t owner = put_rep(f->db, "R-1", "Rita Rep", 0);
    int64_t manager = put_rep(f->db, "R-2", "Max Manager", 0);
    int64_t account = put_account(f->db, "erp", "ACC-9", "Globex", owner, manager);
    int64_t other = put_account(f->db, "erp", "ACC-OTHER", "Initech", owner, 0);
    int64_t product = put_product(f->db, "SKU-W", "Widget", 100000);
    put_contact(f->db, "C-1", account, "Zoe Zimmer", 1);
    put_contact(f->db, "C-2", account, "Mia Moss", 0);
    put_contact(f->db, "C-3", account, "Adam Abel", 0);
    put_contact(f->db, "C-4", other, "Not Here", 1);
    for (size_t i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
        struct order o = order_template(orders[i].ext_id, account, owner, orders[i].order_date,
                                        orders[i].status);
        struct order_line line = {.line_no = 1,
                                  .product_id = product,
                                  .qty = orders[i].qty,
                                  .unit_price = 100000,
                                  .discount = orders[i].discount};
        put_order(f->db, &o, &line, 1);
    }
    struct order foreign = order_template("O-OTHER", other, owner, 19700, ORDER_PENDING);
    struct order_line foreign_line = {
        .line_no = 1, .product_id = product, .qty = 50, .unit_price = 100000};
    put_order(f->db, &foreign, &foreign_line, 1);
    put_invoice(f->db, "I-PAID", account, 0, 19920, 19950, 500000, 500000);
    put_invoice(f->db, "I-PART", account, 0, 19960, 19990, 300000, 100000);
    put_invoice(f->db, "I-TODAY", account, 0, 19970, 20000, 150000, 0);
    put_invoice(f->db, "I-FUT", account, 0, 20000, 20030, 70000, 0);
    put_invoice(f->db, "I-OLD", account, 0, 18970, 19000, 10000, 9999);
    put_invoice(f->db, "I-OTHER", other, 0, 18000, 18030, 990000, 0);
    commit(f->db);

    struct account_view v;
    assert_sd_ok(store_account_view(f->db, &f->arena, "ACC-9", 20000, &v, &err), &err);
    assert_int_equal(v.account.id, account);
    assert_string_equal(v.account.name, "Globex");
    assert_int_equal(v.account.credit_limit, MONEY_NONE);
    assert_int_equal(v.account.payment_terms_days, INT_NONE);
    assert_string_equal(v.owner_rep_ext_id, "R-1");
    assert_string_equal(v.owner_rep_name, "Rita Rep");
    assert_string_equal(v.account_manager_ext_id, "R-2");
    assert_string_equal(v.account_manager_name, "Max Manager");

    /* The primary contact first, then by name. */
    assert_int_equal(v.n_contacts, 3);
    assert_string_equal(v.contacts[0].name, "Zoe Zimmer");
    assert_true(v.contacts[0].is_primary);
    assert_string_equal(v.contacts[1].name, "Adam Abel");
    assert_string_equal(v.contacts[2].name, "Mia Moss");

    assert_int_equal(v.n_open_orders, 4);
    const char *const open_ids[] = {"O-PENDING", "O-HOLD", "O-CONFIRMED", "O-DRAFT"};
    const enum order_status open_status[] = {ORDER_PENDING, ORDER_ON_HOLD, ORDER_CONFIRMED,
                                             ORDER_DRAFT};
    const int64_t open_net[] = {200000, 400000, 285000, 100000};
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(v.open_orders[i].ext_id, open_ids[i]);
        assert_int_equal(v.open_orders[i].status, open_status[i]);
        assert_int_equal(v.open_orders[i].net, open_net[i]);
    }
    assert_int_equal(v.open_orders[0].order_date, 19850);
    assert_int_equal(v.open_orders_net, 985000);

    assert_int_equal(v.n_open_invoices, 4);
    const char *const open_invoices[] = {"I-OLD", "I-PART", "I-TODAY", "I-FUT"};
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(v.open_invoices[i].ext_id, open_invoices[i]);
    assert_int_equal(v.receivables, 420001);
    assert_int_equal(v.overdue, 200001);
    assert_int_equal(v.orders_total, 9);
    assert_int_equal(v.invoices_total, 5);

    /* A day later, I-TODAY is overdue too: 200001 + 150000. */
    assert_sd_ok(store_account_view(f->db, &f->arena, "ACC-9", 20001, &v, &err), &err);
    assert_int_equal(v.overdue, 350001);
    assert_int_equal(v.receivables, 420001);

    assert_sd_status(store_account_view(f->db, &f->arena, "ACC-404", 20000, &v, &err), SD_ENOTFOUND,
                     &err);
}

/* ---- quotas, currency rates, stock ---- */

static const char quota_amount_sql[] =
    "SELECT amount FROM quotas WHERE scope_kind = 'rep' AND period = '2024-Q3'";

static void test_quota_set(void **state)
{
    struct fixture *f = *state;
    struct sd_error err = {0};
    enum store_write w;

    begin(f->db);
    int64_t team = put_team(f->db, "T-1", "Field");
    int64_t rep = put_rep(f->db, "R-1", "Rita Rep", team);
    int64_t base = change_count(f->db);
    /* 2024-Q3: 2024-07-01 (19905) .. 2024-09-30 (19996). */
    struct quota q = {.rep_id = rep,
                      .period = "2024-Q3",
                      .first_day = 19905,
                      .last_day = 19996,
                      .amount = 1000000000};
    assert_sd_ok(store_quota_set(f->db, &q, &w, &err), &err);
    check_write(w, STORE_INSERTED, "new rep quota");
    assert_int_equal(change_count(f->db), base + 1);
    assert_sd_ok(store_quota_set(f->db, &q, &w, &err), &err);
    check_write(w, STORE_UNCHANGED, "same rep quota");
    assert_int_equal(change_count(f->db), base + 1);
    q.amount = 1200000000;
    assert_sd_ok(store_quota_set(f->db, &q, &w, &err), &err);
    check_write(w, STORE_UPDATED, "rep quota raised");
    assert_int_equal(change_count(f->db), base + 2);

    /* A team quota is its own row, even for a team whose id equals the rep's. */
    struct quota tq = {.team_id = rep,
                       .period = "2024-Q3",
                       .first_day = 19905,
                       .last_day = 19996,
                       .amount = 5000000000};
    assert_sd_ok(store_quota_set(f->db, &tq, &w, &err), &err);
    check_write(w, STORE_INSERTED, "team quota");
    assert_int_equal(change_count(f->db), base + 3);

    /* Exactly one of rep and team. */
    struct quota both = {.rep_id = rep,
                         .team_id = team,
                         .period = "2024-Q4",
                         .first_day = 19997,
                         .last_day = 20088,
                         .amount = 1};
    assert_sd_status(store_quota_set(f->db, &both, &w, &err), SD_EINVAL, &err);
    struct quota neither = {
        .period = "2024-Q4", .first_day = 19997, .last_day = 20088, .amount = 1};
    assert_sd_status(store_quota_set(f->db, &neither, &w, &err), SD_EINVAL, &err);
    commit(f->db);

    assert_int_equal(change_count(f->db), base + 3);
    assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM quotas"), 2);
    assert_int_equal(test_sql_int(f->db, quota_amount_sql), 1200000000);
    assert_int_equal(test_sql_int(f->db, "SELECT amount FROM quotas WHERE scope_kind = 'team'"),
                     5000000000);
}

static void test_fx_set(void **state)
{
    struct fixture *f = *state;
    struct sd_error err = {0};
    enum store_write w;
    struct fx_rate eur = {.currency = "EUR", .day = 19723, .rate_to_base = 108500000};

    begin(f->db);
    assert_sd_ok(store_fx_set(f->db, &eur, &w, &err), &err);
    check_write(w, STORE_INSERTED, "EUR 2024-01-01");
    assert_int_equal(change_count(f->db), 1);
    assert_sd_ok(store_fx_set(f->db, &eur, &w, &err), &err);
    check_write(w, STORE_UNCHANGED, "same rate");
    assert_int_equal(change_count(f->db), 1);
    eur.rate_to_base = 108612345;
    assert_sd_ok(store_fx_set(f->db, &eur, &w, &err), &err);
    check_write(w, STORE_UPDATED, "new rate");
    assert_int_equal(change_count(f->db), 2);
    struct fx_rate next_day = {.currency = "EUR", .day = 19724, .rate_to_base = 108500000};
    assert_sd_ok(store_fx_set(f->db, &next_day, &w, &err), &err);
    check_write(w, STORE_INSERTED, "EUR 2024-01-02");
    struct fx_rate gbp = {.currency = "GBP", .day = 19723, .rate_to_base = 127000000};
    assert_sd_ok(store_fx_set(f->db, &gbp, &w, &err), &err);
    check_write(w, STORE_INSERTED, "GBP 2024-01-01");
    commit(f->db);

    assert_int_equal(change_count(f->db), 4);
    assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM fx_rates"), 3);
    assert_int_equal(test_sql_int(f->db, "SELECT rate_to_base FROM fx_rates "
                                         "WHERE currency = 'EUR' AND day = 19723"),
                     108612345);
    assert_int_equal(test_sql_int(f->db, "SELECT rate_to_base FROM fx_rates "
                                         "WHERE currency = 'EUR' AND day = 19724"),
                     108500000);
}

static const char stock_sql[] = "SELECT on_hand * 1000 + reserved FROM stock WHERE warehouse = ?";

static void test_stock_set(void **state)
{
    struct fixture *f = *state;
    struct sd_error err = {0};
    enum store_write w;

    begin(f->db);
    int64_t product = put_product(f->db, "SKU-1", "Widget", 10000);
    int64_t base = change_count(f->db);
    struct stock_level main_wh = {
        .product_id = product, .warehouse = "MAIN", .on_hand = 100, .reserved = 10};
    assert_sd_ok(store_stock_set(f->db, &main_wh, &w, &err), &err);
    check_write(w, STORE_INSERTED, "new stock level");
    assert_int_equal(change_count(f->db), base + 1);
    assert_sd_ok(store_stock_set(f->db, &main_wh, &w, &err), &err);
    check_write(w, STORE_UNCHANGED, "same stock level");
    assert_int_equal(change_count(f->db), base + 1);
    main_wh.reserved = 12;
    assert_sd_ok(store_stock_set(f->db, &main_wh, &w, &err), &err);
    check_write(w, STORE_UPDATED, "reserved 10 -> 12");
    assert_int_equal(change_count(f->db), base + 2);
    struct stock_level east = {.product_id = product, .warehouse = "EAST", .on_hand = 7};
    assert_sd_ok(store_stock_set(f->db, &east, &w, &err), &err);
    check_write(w, STORE_INSERTED, "second warehouse");
    assert_int_equal(change_count(f->db), base + 3);
    commit(f->db);
    /*
     * A product that does not exist: the foreign key holds. (Its own transaction:
     * PostgreSQL aborts a whole transaction on a failed statement.)
     */
    struct stock_level ghost = {.product_id = product + 1000, .warehouse = "MAIN", .on_hand = 1};
    begin(f->db);
    assert_sd_status(store_stock_set(f->db, &ghost, &w, &err), SD_ECONFLICT, &err);
    db_rollback(f->db);

    assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM stock"), 2);
    assert_int_equal(test_sql_int_s(f->db, stock_sql, "MAIN"), 100012);
    assert_int_equal(test_sql_int_s(f->db, stock_sql, "EAST"), 7000);
}

static const char change_ops_sql[] =
    "SELECT count(*) FROM change_log WHERE entity = ? AND op = 'insert'";

/*
 * A new row is logged as an insert, as for quotas and rates.
 * BUG (src/store/products.c, store_stock_set): a new stock level is logged with op 'update'
 * (the call passes "update" whether the row was inserted or updated), while store_quota_set
 * and store_fx_set log 'insert' for new rows.
 */
static void test_change_log_ops_for_new_rows(void **state)
{
    struct fixture *f = *state;
    struct sd_error err = {0};
    enum store_write w;

    begin(f->db);
    int64_t rep = put_rep(f->db, "R-1", "Rita Rep", 0);
    int64_t product = put_product(f->db, "SKU-1", "Widget", 10000);
    struct quota q = {
        .rep_id = rep, .period = "2024", .first_day = 19723, .last_day = 20088, .amount = 1};
    assert_sd_ok(store_quota_set(f->db, &q, &w, &err), &err);
    struct fx_rate fx = {.currency = "EUR", .day = 19723, .rate_to_base = 108500000};
    assert_sd_ok(store_fx_set(f->db, &fx, &w, &err), &err);
    struct stock_level s = {.product_id = product, .warehouse = "MAIN", .on_hand = 1};
    assert_sd_ok(store_stock_set(f->db, &s, &w, &err), &err);
    check_write(w, STORE_INSERTED, "new stock level");
    commit(f->db);

    assert_int_equal(test_sql_int_s(f->db, change_ops_sql, "quota"), 1);
    assert_int_equal(test_sql_int_s(f->db, change_ops_sql, "fx_rate"), 1);
    assert_int_equal(test_sql_int_s(f->db, change_ops_sql, "stock"), 1);
}

static const char *const prefixed_keys[] = {"account.a",  "account.b_c", "accounts", "xaccount.d",
                                            "account",    "account%e",   "Account.f"};

/* Sets bit i of the unsigned in ctx for prefixed_keys[i] (each key once). */
static int collect_key(void *ctx, const char *key, const char *value)
{
    unsigned *seen = ctx;
    assert_string_equal(value, "1");
    for (unsigned i = 0; i < sizeof(prefixed_keys) / sizeof(prefixed_keys[0]); i++) {
        if (strcmp(key, prefixed_keys[i]) == 0) {
            assert_false(*seen & (1u << i));
            *seen |= 1u << i;
            return 0;
        }
    }
    fail_msg("unexpected key '%s'", key);
    return 1;
}

static void test_settings(void **state)
{
    struct fixture *f = *state;
    struct sd_error err = {0};
    const char *value = "untouched";

    assert_sd_ok(store_setting_get(f->db, &f->arena, "fy_start_month", &value, &err), &err);
    assert_null(value);
    begin(f->db);
    assert_sd_ok(store_setting_set(f->db, "fy_start_month", "7", &err), &err);
    assert_sd_ok(store_setting_set(f->db, "fy_start_month", "4", &err), &err);
    commit(f->db);
    assert_sd_ok(store_setting_get(f->db, &f->arena, "fy_start_month", &value, &err), &err);
    assert_string_equal(value, "4");
    assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM settings "
                                         "WHERE key = 'fy_start_month'"),
                     1);

    /* The keys starting with a prefix, and no other: LIKE's metacharacters are plain text. */
    begin(f->db);
    for (size_t i = 0; i < sizeof(prefixed_keys) / sizeof(prefixed_keys[0]); i++)
        assert_sd_ok(store_setting_set(f->db, prefixed_keys[i], "1", &err), &err);
    commit(f->db);
    unsigned seen = 0;
    assert_sd_ok(store_settings_prefixed(f->db, "account.", collect_key, &seen, &err), &err);
    assert_int_equal(seen, 1u << 0 | 1u << 1);
    seen = 0;
    assert_sd_ok(store_settings_prefixed(f->db, "account%", collect_key, &seen, &err), &err);
    assert_int_equal(seen, 1u << 5);
}

/* ---- lists ---- */

/* Order i of the list fixture: account, rep, day and status follow simple rules. */
#define LIST_ORDERS 25
static int list_account(int i) { return i % 3 == 0 ? 1 : 0; }
static int list_rep(int i) { return i % 2; }
static int32_t list_day(int i) { return 19000 + i * 10; }
static enum order_status list_status(int i) { return (enum order_status)(i % ORDER_STATUS_COUNT); }

/* Walks all pages of store_order_list with `f` and returns the ext ids joined by ',' (newest first). */
static void list_all_orders(struct fixture *f, struct order_filter filter, char *out, size_t cap,
                            int *pages)
{
    struct sd_error err = {0};
    size_t used = 0;
    out[0] = '\0';
    *pages = 0;
    int more;
    do {
        struct order_list_item *items = NULL;
        size_t n = 0;
        more = -1;
        assert_sd_ok(store_order_list(f->db, &f->arena, &filter, &items, &n, &more, &err), &err);
        (*pages)++;
        for (size_t i = 0; i < n; i++) {
            const char *ext = items[i].order.ext_id;
            int w = snprintf(out + used, cap - used, "%s%s", used ? "," : "", ext);
            assert_true(w > 0 && (size_t)w < cap - used);
            used += (size_t)w;
            /* Each order has one line of qty (i + 1) at 2.50 with no discount. */
            int index = atoi_checked(ext + 2);
            assert_int_equal(items[i].net, (index + 1) * 25000);
            assert_int_equal(items[i].order.order_date, list_day(index));
        }
        if (n) {
            filter.after_date = items[n - 1].order.order_date;
            filter.after_id = items[n - 1].order.id;
        }
    } while (more);
}

static void test_order_list(void **state)
{
    struct fixture *f = *state;
    struct sd_error err = {0};
    begin(f->db);
    int64_t reps[2] = {put_rep(f->db, "R-A", "Ann", 0), put_rep(f->db, "R-B", "Bob", 0)};
    int64_t accounts[2] = {put_account(f->db, "erp", "A-0", "Acme", reps[0], 0),
                           put_account(f->db, "erp", "A-1", "Bolt", reps[1], 0)};
    int64_t product = put_product(f->db, "SKU-L", "Lever", 25000);
    for (int i = 0; i < LIST_ORDERS; i++) {
        char ext[16];
        snprintf(ext, sizeof(ext), "L-%02d", i);
        struct order o = order_template(ext, accounts[list_account(i)], reps[list_rep(i)],
                                        list_day(i), list_status(i));
        struct order_line line = {.line_no = 1, .product_id = product, .qty = i + 1,
                                  .unit_price = 25000};
        put_order(f->db, &o, &line, 1);
    }
    commit(f->db);

    /* The expected lists, worked out from the rules above. */
    char want_all[512] = "", want_filtered[512] = "", got[512];
    char want_scoped[512] = "";
    for (int i = LIST_ORDERS - 1; i >= 0; i--) { /* newest first: days grow with i */
        char ext[16];
        snprintf(ext, sizeof(ext), "%sL-%02d", want_all[0] ? "," : "", i);
        strncat(want_all, ext, sizeof(want_all) - strlen(want_all) - 1);
        int open = list_status(i) <= ORDER_ON_HOLD;
        if (list_account(i) == 1 && open && list_day(i) >= 19050 && list_day(i) <= 19200) {
            snprintf(ext, sizeof(ext), "%sL-%02d", want_filtered[0] ? "," : "", i);
            strncat(want_filtered, ext, sizeof(want_filtered) - strlen(want_filtered) - 1);
        }
        /* Rep A sees the orders it took and those of account A-0, which it owns. */
        if (list_rep(i) == 0 || list_account(i) == 0) {
            snprintf(ext, sizeof(ext), "%sL-%02d", want_scoped[0] ? "," : "", i);
            strncat(want_scoped, ext, sizeof(want_scoped) - strlen(want_scoped) - 1);
        }
    }
    int pages = 0;
    struct order_filter all = {.from = DATE_NONE, .to = DATE_NONE, .limit = 7};
    list_all_orders(f, all, got, sizeof(got), &pages);
    assert_string_equal(got, want_all);
    assert_int_equal(pages, 4); /* 7 + 7 + 7 + 4 */

    struct order_filter some = {
        .account_id = accounts[1],
        .status_mask = (1u << ORDER_DRAFT) | (1u << ORDER_PENDING) | (1u << ORDER_CONFIRMED) |
                       (1u << ORDER_ON_HOLD),
        .from = 19050,
        .to = 19200,
        .limit = 2,
    };
    list_all_orders(f, some, got, sizeof(got), &pages);
    assert_string_equal(got, want_filtered);
    assert_string_equal(got, "L-18,L-12,L-09"); /* account 1: i % 3 == 0; open: i % 9 <= 3 */

    struct order_filter by_rep = {.rep_id = reps[1], .from = DATE_NONE, .to = 19060,
                                  .limit = 100};
    list_all_orders(f, by_rep, got, sizeof(got), &pages);
    assert_string_equal(got, "L-05,L-03,L-01");
    assert_int_equal(pages, 1);

    struct order_filter scoped = {.scope_rep_id = reps[0], .from = DATE_NONE, .to = DATE_NONE,
                                  .limit = 4};
    list_all_orders(f, scoped, got, sizeof(got), &pages);
    assert_string_equal(got, want_scoped);
    assert_false(strstr(got, "L-21") || strstr(got, "L-15") || strstr(got, "L-09") ||
                 strstr(got, "L-03")); /* rep B's orders on account A-1 */

    struct order_list_item *items;
    size_t n;
    int more;
    struct order_filter bad = {.from = DATE_NONE, .to = DATE_NONE, .limit = 0};
    assert_sd_status(store_order_list(f->db, &f->arena, &bad, &items, &n, &more, &err), SD_EINVAL,
                     &err);
    bad.limit = STORE_LIST_MAX + 1;
    assert_sd_status(store_order_list(f->db, &f->arena, &bad, &items, &n, &more, &err), SD_EINVAL,
                     &err);
}

/* Walks every page of store_account_list with `filter`; the names in *got (up to 8). */
static size_t list_all_accounts(struct fixture *f, struct account_filter filter,
                                const char **got, int *pages)
{
    struct sd_error err = {0};
    size_t total = 0;
    int more;
    *pages = 0;
    do {
        struct account_row *items;
        size_t n;
        assert_sd_ok(store_account_list(f->db, &f->arena, &filter, &items, &n, &more, &err),
                     &err);
        for (size_t i = 0; i < n && total < 8; i++)
            got[total++] = items[i].account.name;
        if (n) {
            filter.after_name = items[n - 1].account.name;
            filter.after_id = items[n - 1].account.id;
        }
        (*pages)++;
    } while (more);
    return total;
}

static void test_account_list(void **state)
{
    struct fixture *f = *state;
    static const char *const names[] = {"Acme Tools", "Acme Foods", "Bolt Ltd", "acme lower",
                                        "Acmeville",  "Crane Co",   "50% Off",  "A_B Ltd"};
    begin(f->db);
    int64_t rep = put_rep(f->db, "R-L", "Lena", 0);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char ext[8];
        snprintf(ext, sizeof(ext), "K%zu", i);
        put_account(f->db, "crm", ext, names[i], i % 2 ? rep : 0, 0);
    }
    commit(f->db);
    const char *got[8];
    int pages = 0;
    /* Anywhere in the name, any ASCII case; by name (bytewise), so capitals first. */
    struct account_filter acme = {.name_contains = "ACME", .limit = 2};
    assert_int_equal(list_all_accounts(f, acme, got, &pages), 4);
    assert_string_equal(got[0], "Acme Foods");
    assert_string_equal(got[1], "Acme Tools");
    assert_string_equal(got[2], "Acmeville");
    assert_string_equal(got[3], "acme lower");
    assert_int_equal(pages, 2);
    /* LIKE's metacharacters are plain characters. */
    struct account_filter percent = {.name_contains = "%", .limit = 10};
    assert_int_equal(list_all_accounts(f, percent, got, &pages), 1);
    assert_string_equal(got[0], "50% Off");
    struct account_filter underscore = {.name_contains = "_", .limit = 10};
    assert_int_equal(list_all_accounts(f, underscore, got, &pages), 1);
    assert_string_equal(got[0], "A_B Ltd");
    struct account_filter backslash = {.name_contains = "\\", .limit = 10};
    assert_int_equal(list_all_accounts(f, backslash, got, &pages), 0);

    /* Owned by Lena: K1, K3, K5, K7, by name; her scope gives the same. */
    struct account_filter owned = {.owner_rep_id = rep, .limit = 10};
    assert_int_equal(list_all_accounts(f, owned, got, &pages), 4);
    assert_string_equal(got[0], "A_B Ltd");
    assert_string_equal(got[3], "acme lower");
    struct account_filter scoped = {.scope_rep_id = rep, .limit = 3};
    assert_int_equal(list_all_accounts(f, scoped, got, &pages), 4);
    assert_int_equal(pages, 2);
    struct account_filter nobody = {.scope_rep_id = -1, .limit = 3};
    assert_int_equal(list_all_accounts(f, nobody, got, &pages), 0);
}

/* ---- import jobs ---- */

static void test_import_jobs(void **state)
{
    struct fixture *f = *state;
    struct sd_error err = {0};
    struct import_job job = {.kind = "orders", .files = "orders.csv", .status = "queued",
                             .actor = "api:ada", .mapping = "native", .format = "csv",
                             .upload_bytes = 1234, .created_at = 1000, .started_at = INT_NONE,
                             .finished_at = INT_NONE};
    int64_t id = 0, other = 0, n = 0;
    assert_sd_ok(store_import_job_add(f->db, &job, &id, &err), &err);
    assert_sd_ok(store_import_job_add(f->db, &job, &other, &err), &err);
    assert_true(other > id);
    assert_sd_ok(store_import_job_start(f->db, id, 2000, &err), &err);
    /* only a queued job starts */
    assert_int_equal(store_import_job_start(f->db, id, 2500, &err), SD_ENOTFOUND);

    job.id = id;
    job.status = "rejected";
    job.started_at = 2000;
    job.finished_at = 3000;
    job.rows_read = 7;
    job.rejected = 2;
    job.error_count = 3;
    job.error = "the input was rejected: 3 problems found";
    assert_sd_ok(store_import_job_update(f->db, &job, &err), &err);
    struct import_job_kind k = {"orders", 7, 0, 0, 0, 2};
    assert_sd_ok(store_import_job_kind_add(f->db, id, &k, &err), &err);
    struct import_job_error e1 = {1, "orders.csv", 3, 4, "orders.order_date", "bad date"};
    struct import_job_error e2 = {2, NULL, INT_NONE, INT_NONE, NULL, "no such rep"};
    assert_sd_ok(store_import_job_error_add(f->db, id, &e1, &err), &err);
    assert_sd_ok(store_import_job_error_add(f->db, id, &e2, &err), &err);

    struct import_job got;
    assert_sd_ok(store_import_job_get(f->db, &f->arena, id, &got, &err), &err);
    assert_string_equal(got.status, "rejected");
    assert_string_equal(got.actor, "api:ada");
    assert_int_equal(got.upload_bytes, 1234);
    assert_int_equal(got.created_at, 1000);
    assert_int_equal(got.started_at, 2000);
    assert_int_equal(got.error_count, 3);
    assert_int_equal(got.user_id, 0);
    struct import_job_kind *kinds;
    size_t n_kinds = 0;
    assert_sd_ok(store_import_job_kinds(f->db, &f->arena, id, &kinds, &n_kinds, &err), &err);
    assert_int_equal(n_kinds, 1);
    assert_int_equal(kinds[0].rejected, 2);
    struct import_job_error *errors;
    size_t n_errors = 0;
    assert_sd_ok(store_import_job_errors(f->db, &f->arena, id, 1, 10, &errors, &n_errors, &err),
                 &err);
    assert_int_equal(n_errors, 1);
    assert_int_equal(errors[0].row, INT_NONE);
    assert_string_equal(errors[0].message, "no such rep");

    struct import_job *list;
    size_t n_list = 0;
    assert_sd_ok(store_import_job_list(f->db, &f->arena, 0, 10, &list, &n_list, &err), &err);
    assert_int_equal(n_list, 2);
    assert_int_equal(list[0].id, other); /* newest first */
    assert_sd_ok(store_import_job_list(f->db, &f->arena, other, 10, &list, &n_list, &err), &err);
    assert_int_equal(n_list, 1);
    assert_int_equal(list[0].id, id);

    /* the one still queued is ended as failed; the rejected one stays */
    assert_sd_ok(store_import_jobs_interrupt(f->db, 4000, "interrupted", 0, &n, &err), &err);
    assert_int_equal(n, 1);
    assert_sd_ok(store_import_job_get(f->db, &f->arena, other, &got, &err), &err);
    assert_string_equal(got.status, "failed");
    assert_int_equal(got.finished_at, 4000);
    assert_int_equal(store_import_job_get(f->db, &f->arena, other + 1, &got, &err), SD_ENOTFOUND);
}

/* A job of server `instance` (0: none) with `status`; its id. */
static int64_t server_job(struct fixture *f, int64_t instance, const char *status)
{
    struct sd_error err = {0};
    struct import_job job = {.kind = "orders", .files = "orders.csv", .status = status,
                             .created_at = 1000, .started_at = INT_NONE,
                             .finished_at = INT_NONE, .instance = instance};
    int64_t id = 0;
    assert_sd_ok(store_import_job_add(f->db, &job, &id, &err), &err);
    return id;
}

static const char *job_status(struct fixture *f, int64_t id)
{
    struct sd_error err = {0};
    struct import_job got;
    assert_sd_ok(store_import_job_get(f->db, &f->arena, id, &got, &err), &err);
    return got.status;
}

/*
 * Several servers over one store: each holds a lease; the unfinished jobs of
 * a server whose lease is free (it died), or of no server, are orphans.
 */
static void test_import_jobs_servers(void **state)
{
    struct fixture *f = *state;
    struct sd_error err = {0};
    struct db *live = NULL, *third = NULL;
    int held = -1;
    int64_t n = 0;
    assert_sd_ok(store_open(&live, f->path, DB_OPEN_EXISTING, &err), &err);
    assert_sd_ok(store_open(&third, f->path, DB_OPEN_EXISTING, &err), &err);
    assert_sd_ok(db_lease_take(live, 77, &err), &err);
    assert_sd_ok(db_lease_take(f->db, 99, &err), &err);
    /* a lease is one connection's: another cannot take it, and sees it held */
    assert_int_equal(db_lease_take(third, 77, &err), SD_EBUSY);
    assert_sd_ok(db_lease_held(third, 77, &held, &err), &err);
    assert_int_equal(held, 1);
    assert_sd_ok(db_lease_held(third, 88, &held, &err), &err);
    assert_int_equal(held, 0);
    assert_int_equal(db_lease_take(f->db, 98, &err), SD_EINVAL); /* one per connection */
    assert_int_equal(db_lease_take(third, 0, &err), SD_EINVAL);

    int64_t alive = server_job(f, 77, "queued");
    int64_t dead = server_job(f, 88, "running");
    int64_t none = server_job(f, 0, "queued");
    int64_t own = server_job(f, 99, "queued");
    int64_t ended = server_job(f, 88, "done");
    assert_sd_ok(store_import_jobs_orphans(f->db, 5000, "gone", 99, &n, &err), &err);
    assert_int_equal(n, 2);
    assert_string_equal(job_status(f, dead), "failed");
    assert_string_equal(job_status(f, none), "failed");
    assert_string_equal(job_status(f, alive), "queued");
    assert_string_equal(job_status(f, own), "queued");
    assert_string_equal(job_status(f, ended), "done");

    /*
     * The live server ends: its lease goes with its connection, and its job is
     * an orphan. (PostgreSQL lets go when the closed session's process has
     * ended, a moment after the close.)
     */
    db_close(live);
    for (int waited_ms = 0; waited_ms < 5000; waited_ms += 10) {
        assert_sd_ok(db_lease_held(third, 77, &held, &err), &err);
        if (!held)
            break;
        nanosleep(&(struct timespec){0, 10000000L}, NULL);
    }
    assert_int_equal(held, 0);
    assert_sd_ok(store_import_jobs_orphans(f->db, 6000, "gone", 99, &n, &err), &err);
    assert_int_equal(n, 1);
    assert_string_equal(job_status(f, alive), "failed");
    assert_string_equal(job_status(f, own), "queued");
    /* a server stopping ends its own */
    assert_sd_ok(store_import_jobs_interrupt(f->db, 7000, "stopped", 99, &n, &err), &err);
    assert_int_equal(n, 1);
    assert_string_equal(job_status(f, own), "failed");
    db_close(third);
}

#define STORE_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* The cases that run on both backends: all but opening files. */
#define PORTABLE_TESTS                                                                             \
    STORE_TEST(test_entity_names), STORE_TEST(test_team_upsert), STORE_TEST(test_rep_upsert),      \
        STORE_TEST(test_account_upsert), STORE_TEST(test_product_upsert),                          \
        STORE_TEST(test_upsert_needs_key), STORE_TEST(test_rollback_discards_changes),             \
        STORE_TEST(test_order_upsert_lines), STORE_TEST(test_order_upsert_single_line),            \
        STORE_TEST(test_order_net_after_unchanged_upsert),                                         \
        STORE_TEST(test_order_duplicate_line_no), STORE_TEST(test_resolve),                        \
        STORE_TEST(test_order_view_totals), STORE_TEST(test_account_view),                         \
        STORE_TEST(test_quota_set), STORE_TEST(test_fx_set), STORE_TEST(test_stock_set),           \
        STORE_TEST(test_change_log_ops_for_new_rows), STORE_TEST(test_settings),                   \
        STORE_TEST(test_order_list), STORE_TEST(test_account_list), STORE_TEST(test_import_jobs),                       \
        STORE_TEST(test_import_jobs_servers)

/* With SALESDESK_TEST_PG set (see test-util.h), the portable cases run on PostgreSQL. */
int main(void)
{
    const char *server = getenv("SALESDESK_TEST_PG");
    struct sd_error err = {0};
    if (!server || !*server) {
        const struct CMUnitTest tests[] = {STORE_TEST(test_store_open), PORTABLE_TESTS};
        return cmocka_run_group_tests_name("sqlite", tests, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {PORTABLE_TESTS};
    if (test_pg_database(server, "store", "CREATE", pg_url, &err) != 0) {
        fprintf(stderr, "test-store: %s\n", err.message);
        return 1;
    }
    int failed = cmocka_run_group_tests_name("postgresql", tests, NULL, NULL);
    if (test_pg_database(server, "store", "DROP", pg_url, &err) != 0) {
        fprintf(stderr, "test-store: %s\n", err.message);
        failed++;
    }
    return failed;
}
