/* SPDX-License-Identifier: MIT */
/*
 * test-query: the engine's differential test (DESIGN.md, "Engine": every
 * engine query has a SQL twin in tests). Random queries — measure subsets,
 * every bucket kind (fiscal ones with a start month other than January),
 * 0-2 dimensions, date ranges, status sets, 0-3 filters on values that
 * exist, top N — run through query_run with 1 and 4 threads and through the
 * SQL twin below, on random data written through store_*_upsert and on the
 * small demo company, and must agree exactly: every group, every value,
 * QUERY_NONE where a value is undefined. Incremental updates (inserts,
 * header and line changes, emptied and deleted orders, account, product,
 * rep and team changes, a currency rate change) are checked the same way
 * after facts_refresh and against a fresh facts_build; one data set is big
 * enough for facts.c to compact its dead lines. series_build is checked
 * against the twin's bucketed values with the empty buckets filled. One
 * account's lines (facts_account_lines, for the account status) are checked
 * against store_account_lines for every account, grouped by account
 * (facts_group_accounts) and not.
 *
 * The twin is written from the definitions in query.h, facts.h and the
 * measure table, not from query.c: a temporary table `tl` holds one row per
 * order line of the store with its dimension texts, the base-currency net
 * and discount (exact integer SQL, rounded half away from zero), cost and
 * the account's first booked day; a temporary `cal` maps each day to its
 * bucket (base/date.h's period_containing); one fixed statement groups and
 * sums, C computes the ratios (128-bit, half away from zero) and medians.
 * The statement cache keys on the SQL text's address, so the per-query
 * parts (bucket, dimension columns, the filter) go into a temporary view
 * `tv` over `tl`, made again through db_exec for each query, which the
 * fixed statement reads.
 *
 * With SALESDESK_TEST_PG set (see test-util.h) every case runs on PostgreSQL:
 * the engine built from a PostgreSQL store against the twin run there.
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

#include "base/date.h"
#include "base/error.h"
#include "base/json.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "db/db.h"
#include "demo/demo.h"
#include "engine/facts.h"
#include "engine/query.h"
#include "engine/series.h"
#include "store/model.h"
#include "store/store.h"

#include "test-util.h"

#include "base/banned.h"

#define COUNT(a)     (sizeof(a) / sizeof((a)[0]))
#define NONE         QUERY_NONE
/*
 * The order-line measures, which this twin covers. The pipeline, service and
 * receivables measures that follow MEASURE_DISCOUNT count opportunities,
 * requests and invoices; tests/integration/kpi.test.mjs recomputes those.
 */
#define LINE_MEASURES (MEASURE_DISCOUNT + 1)
#define ALL_MEASURES ((1u << LINE_MEASURES) - 1)

/* ---- random numbers (splitmix64) ------------------------------------------------ */

struct rng {
    uint64_t state;
};

static uint64_t rng_next(struct rng *r)
{
    uint64_t z = (r->state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static uint64_t rng_below(struct rng *r, uint64_t n)
{
    return rng_next(r) % n;
}

/* lo..hi, both included. */
static int64_t rng_range(struct rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)rng_below(r, (uint64_t)(hi - lo + 1));
}

static int rng_percent(struct rng *r, int percent)
{
    return (int)rng_below(r, 100) < percent;
}

#define PICK(r, arr) ((arr)[rng_below((r), COUNT(arr))])

/* ---- the random company ---------------------------------------------------------- */

#define MAX_TEAMS    4
#define MAX_REPS     24
#define MAX_ACCOUNTS 96
#define MAX_PRODUCTS 64
#define MAX_LINES    16

static const char *const regions[] = {"EMEA", "AMER", "APAC", "Nordics", NULL};
static const char *const segments[] = {"Enterprise", "Mid-market", "SMB", NULL};
static const char *const countries[] = {"DE", "FR", "GB", "US", "JP", "SE", NULL};
static const char *const categories[] = {"Hardware", "Software", "Services", "Spare parts", NULL};
/* CHF has no rate at all; JPY only rates after the last order day. */
static const char *const currencies[] = {"USD", "USD", "USD", "EUR", "EUR",
                                         "GBP", "GBP", "CHF", "JPY"};
/* Discounts in millionths: 0 often, halves and thirds so that rounding matters. */
static const int64_t discounts[] = {0,      0,      0,      0,      1,      50000,  125000,
                                    250000, 333333, 500000, 750000, 999999, 1000000};

struct gen_team {
    char ext[8], name[24];
    struct team t;
};
struct gen_rep {
    char ext[8], name[24];
    struct rep r;
};
struct gen_account {
    char ext[8], name[24];
    struct account a;
};
struct gen_product {
    char ext[12], name[24];
    struct product p;
};
struct gen_order {
    char ext[12];
    struct order o;
    struct order_line lines[MAX_LINES];
    size_t n;
    int deleted;
};

struct gen {
    struct rng rng;
    struct db *db;
    int32_t first_day, days; /* orders fall in first_day .. first_day + days - 1 */
    int lines_lo, lines_hi;  /* lines of an order that has any */
    struct gen_team teams[MAX_TEAMS];
    struct gen_rep reps[MAX_REPS];
    struct gen_account accounts[MAX_ACCOUNTS];
    struct gen_product products[MAX_PRODUCTS];
    size_t nteams, nreps, naccounts, nproducts;
    struct gen_order *orders;
    size_t norders, orders_cap;
};

static void put_team(struct gen *g, struct gen_team *t)
{
    struct sd_error err = {0};
    enum store_write w;
    t->t.source = "erp";
    t->t.ext_id = t->ext;
    t->t.name = t->name;
    assert_sd_ok(store_team_upsert(g->db, &t->t, &w, &err), &err);
}

static void put_rep(struct gen *g, struct gen_rep *r)
{
    struct sd_error err = {0};
    enum store_write w;
    r->r.source = "erp";
    r->r.ext_id = r->ext;
    r->r.name = r->name;
    r->r.status = "active";
    r->r.discount_limit = INT_NONE;
    assert_sd_ok(store_rep_upsert(g->db, &r->r, &w, &err), &err);
}

static void put_account(struct gen *g, struct gen_account *a)
{
    struct sd_error err = {0};
    enum store_write w;
    a->a.source = "erp";
    a->a.ext_id = a->ext;
    a->a.name = a->name;
    a->a.status = "active";
    a->a.currency = "USD";
    a->a.credit_limit = MONEY_NONE;
    a->a.payment_terms_days = INT_NONE;
    assert_sd_ok(store_account_upsert(g->db, &a->a, &w, &err), &err);
}

static void put_product(struct gen *g, struct gen_product *p)
{
    struct sd_error err = {0};
    enum store_write w;
    p->p.source = "erp";
    p->p.ext_id = p->ext;
    p->p.name = p->name;
    p->p.status = "active";
    p->p.list_price = 10000;
    p->p.launch_date = DATE_NONE;
    assert_sd_ok(store_product_upsert(g->db, &p->p, &w, &err), &err);
}

static void put_order(struct gen *g, struct gen_order *o, int with_lines)
{
    struct sd_error err = {0};
    enum store_write w;
    o->o.source = "erp";
    o->o.ext_id = o->ext;
    o->o.status_date = DATE_NONE;
    assert_sd_ok(store_order_upsert(g->db, &o->o, with_lines ? o->lines : NULL,
                                    with_lines ? o->n : 0, &w, &err),
                 &err);
}

static void random_account_attrs(struct gen *g, struct gen_account *a)
{
    a->a.region = PICK(&g->rng, regions);
    a->a.segment = PICK(&g->rng, segments);
    a->a.country = PICK(&g->rng, countries);
}

static void random_product_attrs(struct gen *g, struct gen_product *p)
{
    p->p.category = PICK(&g->rng, categories);
    /* Costs with odd digits; some unknown (a line's cost is then 0). */
    p->p.cost = rng_percent(&g->rng, 20) ? MONEY_NONE : rng_range(&g->rng, 1, 4000000);
}

static int64_t random_team_id(struct gen *g)
{
    return rng_percent(&g->rng, 20) ? 0 : g->teams[rng_below(&g->rng, g->nteams)].t.id;
}

static void add_team(struct gen *g)
{
    struct gen_team *t = &g->teams[g->nteams++];
    snprintf(t->ext, sizeof(t->ext), "T%zu", g->nteams);
    snprintf(t->name, sizeof(t->name), "Team %zu", g->nteams);
    put_team(g, t);
}

static void add_rep(struct gen *g)
{
    assert_true(g->nreps < MAX_REPS);
    struct gen_rep *r = &g->reps[g->nreps++];
    snprintf(r->ext, sizeof(r->ext), "R%02zu", g->nreps);
    snprintf(r->name, sizeof(r->name), "Rep %zu", g->nreps);
    r->r.team_id = random_team_id(g);
    put_rep(g, r);
}

static void add_account(struct gen *g)
{
    assert_true(g->naccounts < MAX_ACCOUNTS);
    struct gen_account *a = &g->accounts[g->naccounts++];
    snprintf(a->ext, sizeof(a->ext), "A%03zu", g->naccounts);
    snprintf(a->name, sizeof(a->name), "Account %zu", g->naccounts);
    random_account_attrs(g, a);
    put_account(g, a);
}

static void add_product(struct gen *g)
{
    assert_true(g->nproducts < MAX_PRODUCTS);
    struct gen_product *p = &g->products[g->nproducts++];
    snprintf(p->ext, sizeof(p->ext), "SKU-%03zu", g->nproducts);
    snprintf(p->name, sizeof(p->name), "Product %zu", g->nproducts);
    random_product_attrs(g, p);
    put_product(g, p);
}

static int32_t random_after(struct gen *g, int32_t day, int percent_present, int lo, int hi)
{
    return rng_percent(&g->rng, percent_present) ? day + (int32_t)rng_range(&g->rng, lo, hi)
                                                 : DATE_NONE;
}

/* Order dates, due dates and a ship date that is sometimes before the order (bad data). */
static void random_dates(struct gen *g, struct order *o)
{
    o->order_date = g->first_day + (int32_t)rng_below(&g->rng, (uint64_t)g->days);
    o->requested_date = random_after(g, o->order_date, 60, 0, 30);
    o->promised_date = random_after(g, o->order_date, 55, 1, 40);
    o->ship_date = random_after(g, o->order_date, 65, 0, 45);
    if (o->ship_date != DATE_NONE && rng_percent(&g->rng, 4))
        o->ship_date = o->order_date - (int32_t)rng_range(&g->rng, 1, 5);
}

static void random_line(struct gen *g, struct order_line *l, int line_no)
{
    struct rng *r = &g->rng;
    l->line_no = line_no;
    l->product_id = g->products[rng_below(r, g->nproducts)].p.id;
    int kind = (int)rng_below(r, 10);
    l->qty = kind == 0 ? 0 : kind == 1 ? rng_range(r, 100, 5000) : rng_range(r, 1, 20);
    int price = (int)rng_below(r, 10);
    l->unit_price = price < 5   ? rng_range(r, 1, 99999)
                    : price < 9 ? rng_range(r, 1, 9999999)
                                : rng_range(r, 1, 999999999);
    l->discount = rng_percent(r, 15) ? rng_range(r, 0, 1000000) : PICK(r, discounts);
    l->shipped_qty = rng_range(r, 0, l->qty);
}

static void random_lines(struct gen *g, struct gen_order *o)
{
    o->n = rng_percent(&g->rng, 4) ? 0 : (size_t)rng_range(&g->rng, g->lines_lo, g->lines_hi);
    for (size_t i = 0; i < o->n; i++)
        random_line(g, &o->lines[i], (int)i + 1);
}

static void random_header(struct gen *g, struct order *o)
{
    struct rng *r = &g->rng;
    o->account_id = g->accounts[rng_below(r, g->naccounts)].a.id;
    o->rep_id = rng_percent(r, 12) ? 0 : g->reps[rng_below(r, g->nreps)].r.id;
    random_dates(g, o);
    o->status = (enum order_status)rng_below(r, ORDER_STATUS_COUNT);
    o->currency = PICK(r, currencies);
}

static struct gen_order *add_order(struct gen *g)
{
    assert_true(g->norders < g->orders_cap);
    struct gen_order *o = &g->orders[g->norders++];
    memset(o, 0, sizeof(*o));
    snprintf(o->ext, sizeof(o->ext), "O%06zu", g->norders);
    random_header(g, &o->o);
    random_lines(g, o);
    put_order(g, o, 1);
    return o;
}

static void put_fx(struct gen *g, const char *currency, int32_t day, int64_t rate)
{
    struct sd_error err = {0};
    enum store_write w;
    struct fx_rate fx = {.currency = currency, .day = day, .rate_to_base = rate};
    assert_sd_ok(store_fx_set(g->db, &fx, &w, &err), &err);
}

/*
 * EUR on most days from a little after the first order day (earlier orders
 * take the earliest rate after them), GBP every few weeks from the middle,
 * JPY only after the last order day, USD rows that the base currency must
 * ignore when it is USD, and none at all for CHF.
 */
static void add_rates(struct gen *g)
{
    struct rng *r = &g->rng;
    int32_t last = g->first_day + g->days - 1;
    /* Some rates with few digits, so that conversions land on halves. */
    static const int64_t round_rates[] = {112500000, 125000000, 150000000, 105000000};
    for (int32_t d = g->first_day + 20; d < last - 10; d += (int32_t)rng_range(r, 1, 7))
        put_fx(g, "EUR", d,
               rng_percent(r, 30) ? PICK(r, round_rates) : rng_range(r, 98000000, 118000000));
    for (int32_t d = g->first_day + g->days / 3; d < last; d += (int32_t)rng_range(r, 15, 40))
        put_fx(g, "GBP", d, rng_range(r, 118000000, 131000000));
    put_fx(g, "JPY", last + 5, 672345);
    put_fx(g, "JPY", last + 9, 681111);
    for (int i = 0; i < 4; i++)
        put_fx(g, "USD", g->first_day + (int32_t)rng_below(r, (uint64_t)g->days),
               rng_range(r, 80000000, 99999999));
}

static struct gen *gen_new(struct db *db, uint64_t seed, size_t orders_cap)
{
    struct gen *g = calloc(1, sizeof(*g));
    assert_non_null(g);
    g->rng.state = seed;
    g->db = db;
    g->first_day = date_from_civil(2022, 1, 1);
    g->days = 3 * 365;
    g->lines_lo = 1;
    g->lines_hi = 6;
    g->orders_cap = orders_cap;
    g->orders = calloc(orders_cap, sizeof(*g->orders));
    assert_non_null(g->orders);
    return g;
}

static void gen_free(struct gen *g)
{
    if (g)
        free(g->orders);
    free(g);
}

/* The master data and `norders` orders, in one transaction. */
static void gen_fill(struct gen *g, const char *base_currency, size_t naccounts, size_t nproducts,
                     size_t norders)
{
    struct sd_error err = {0};
    assert_sd_ok(db_begin(g->db, &err), &err);
    assert_sd_ok(store_setting_set(g->db, "base_currency", base_currency, &err), &err);
    for (int i = 0; i < 3; i++)
        add_team(g);
    for (int i = 0; i < 10; i++)
        add_rep(g);
    for (size_t i = 0; i < naccounts; i++)
        add_account(g);
    for (size_t i = 0; i < nproducts; i++)
        add_product(g);
    add_rates(g);
    for (size_t i = 0; i < norders; i++)
        add_order(g);
    assert_sd_ok(db_commit(g->db, &err), &err);
}

/* ---- the SQL twin ----------------------------------------------------------------- */

/*
 * One row per order line. net: qty × unit_price × (1 − discount) rounded
 * half away from zero to 1/10000; rate: the base currency's 10^8, else the
 * latest rate on or before the order day, else the earliest after, else
 * 10^8; net_base and disc_base: net and gross − net × rate / 10^8, rounded
 * half away from zero, computed as (v / 10^8) × rate + (v % 10^8 × rate) /
 * 10^8 so that no product passes 64 bits. is_first: the order day is the
 * first day on which the account has a booked line. st: enum order_status.
 */
static const char twin_lines_sql[] =
    "DROP VIEW IF EXISTS tv;"
    "DROP TABLE IF EXISTS tl;"
    "CREATE TEMP TABLE tl AS SELECT order_id, account_id, day, ship, due, st, qty, shipped, cost,"
    " is_first, region, segment, country, account, rep, team, product, category,"
    " (CASE WHEN net < 0 THEN -1 ELSE 1 END) * (abs(net) / 100000000 * rate"
    "  + (abs(net) % 100000000 * rate + 50000000) / 100000000) AS net_base,"
    " (CASE WHEN gross - net < 0 THEN -1 ELSE 1 END) * (abs(gross - net) / 100000000 * rate"
    "  + (abs(gross - net) % 100000000 * rate + 50000000) / 100000000) AS disc_base,"
    " 0 AS unused FROM ("
    " SELECT x.*, CASE WHEN xm >= 0 THEN (xm + 500000) / 1000000"
    "  ELSE (xm - 500000) / 1000000 END AS net FROM ("
    "  SELECT o.id AS order_id, o.account_id, o.order_date AS day, o.ship_date AS ship,"
    "   COALESCE(o.promised_date, o.requested_date) AS due,"
    "   CASE o.status WHEN 'draft' THEN 0 WHEN 'pending' THEN 1 WHEN 'confirmed' THEN 2"
    "    WHEN 'on_hold' THEN 3 WHEN 'shipped' THEN 4 WHEN 'invoiced' THEN 5 WHEN 'paid' THEN 6"
    "    WHEN 'cancelled' THEN 7 WHEN 'returned' THEN 8 END AS st,"
    "   ol.qty, ol.shipped_qty AS shipped, ol.qty * COALESCE(p.cost, 0) AS cost,"
    "   ol.qty * ol.unit_price AS gross, ol.qty * ol.unit_price * (1000000 - ol.discount) AS xm,"
    "   CASE WHEN o.currency = COALESCE((SELECT value FROM settings"
    "      WHERE key = 'base_currency'), 'USD') THEN 100000000"
    "    ELSE COALESCE((SELECT f.rate_to_base FROM fx_rates f WHERE f.currency = o.currency"
    "      AND f.day <= o.order_date ORDER BY f.day DESC LIMIT 1),"
    "     (SELECT f.rate_to_base FROM fx_rates f WHERE f.currency = o.currency"
    "      AND f.day > o.order_date ORDER BY f.day LIMIT 1), 100000000) END AS rate,"
    "   (o.order_date = fb.first_day) AS is_first,"
    "   COALESCE(a.region, '') AS region, COALESCE(a.segment, '') AS segment,"
    "   COALESCE(a.country, '') AS country, a.ext_id AS account, COALESCE(r.ext_id, '') AS rep,"
    "   COALESCE(t.ext_id, '') AS team, p.ext_id AS product,"
    "   COALESCE(p.category, '') AS category"
    "  FROM order_lines ol JOIN orders o ON o.id = ol.order_id"
    "   JOIN accounts a ON a.id = o.account_id JOIN products p ON p.id = ol.product_id"
    "   LEFT JOIN reps r ON r.id = o.rep_id LEFT JOIN teams t ON t.id = r.team_id"
    "   LEFT JOIN (SELECT o2.account_id, MIN(o2.order_date) AS first_day FROM orders o2"
    "     WHERE o2.status IN ('pending', 'confirmed', 'on_hold', 'shipped', 'invoiced', 'paid')"
    "      AND EXISTS (SELECT 1 FROM order_lines l2 WHERE l2.order_id = o2.id)"
    "     GROUP BY o2.account_id) fb ON fb.account_id = o.account_id) x) y;"
    "DROP TABLE IF EXISTS cal;"
    "CREATE TEMP TABLE cal (kind INTEGER, fy INTEGER, day INTEGER, b_first INTEGER,"
    " b_last INTEGER, PRIMARY KEY (kind, fy, day));"
    "CREATE TEMP VIEW tv AS SELECT 0 AS b, 0 AS bl, '' AS k1, '' AS k2, * FROM tl;";

/* The PostgreSQL database of this run (SALESDESK_TEST_PG), "" on SQLite. */
static char pg_url[TEST_PATH_MAX];

/*
 * Per group: line sums over the counted lines (st 8 is returned, the rest
 * booked); per order in the group: its order, ship and due days, from which
 * the shipped-order counts and the list of days to ship. The list is the one
 * dialect difference (SQLite 3.40 has no string_agg, PostgreSQL no
 * group_concat): the statement is written twice, TWIN_GROUP_SQL(aggregate).
 * Unqualified, tl, cal and tv name the temporary tables on both (SQLite's
 * temp schema and PostgreSQL's pg_temp are searched first).
 */
#define TWIN_GROUP_SQL(days_list)                                                                  \
    "WITH g AS MATERIALIZED (SELECT * FROM tv),"                                                   \
    " lg AS (SELECT b, MIN(bl) AS bl, k1, k2,"                                                     \
    "  COALESCE(SUM(CASE WHEN st <> 8 THEN net_base END), 0) AS net,"                              \
    "  COALESCE(SUM(CASE WHEN st <> 8 THEN cost END), 0) AS cost,"                                 \
    "  COALESCE(SUM(CASE WHEN st <> 8 THEN qty END), 0) AS qty,"                                   \
    "  COALESCE(SUM(CASE WHEN st <> 8 THEN shipped END), 0) AS shipped,"                           \
    "  COUNT(CASE WHEN st <> 8 THEN 1 END) AS nlines,"                                             \
    "  COALESCE(SUM(CASE WHEN st = 8 THEN net_base END), 0) AS ret,"                               \
    "  COALESCE(SUM(CASE WHEN st <> 8 THEN disc_base END), 0) AS disc,"                            \
    "  COUNT(DISTINCT CASE WHEN st <> 8 THEN order_id END) AS norders,"                            \
    "  COUNT(DISTINCT CASE WHEN st <> 8 THEN account_id END) AS naccounts,"                        \
    "  COUNT(DISTINCT CASE WHEN st <> 8 AND is_first THEN account_id END) AS nnew"                 \
    "  FROM g GROUP BY b, k1, k2),"                                                                \
    " og AS (SELECT b, k1, k2, order_id, MIN(day) AS day, MIN(ship) AS ship, MIN(due) AS due"      \
    "  FROM g WHERE st <> 8 GROUP BY b, k1, k2, order_id),"                                        \
    " sg AS (SELECT b, k1, k2, COUNT(ship) AS nship, COALESCE(SUM(ship - day), 0) AS ship_days,"   \
    "  SUM(CASE WHEN ship IS NOT NULL AND due IS NOT NULL THEN 1 ELSE 0 END) AS ndue,"             \
    "  SUM(CASE WHEN ship IS NOT NULL AND due IS NOT NULL AND ship <= due THEN 1 ELSE 0 END)"      \
    "   AS nontime, " days_list " AS days FROM og GROUP BY b, k1, k2)"                             \
    " SELECT lg.b, lg.bl, lg.k1, lg.k2, net, cost, qty, shipped, nlines, ret, disc, norders,"      \
    "  naccounts, nnew, COALESCE(nship, 0), COALESCE(ship_days, 0), COALESCE(ndue, 0),"            \
    "  COALESCE(nontime, 0), days"                                                                 \
    " FROM lg LEFT JOIN sg ON sg.b = lg.b AND sg.k1 = lg.k1 AND sg.k2 = lg.k2"
static const char twin_group_sqlite_sql[] = TWIN_GROUP_SQL("group_concat(ship - day)");
static const char twin_group_pg_sql[] =
    TWIN_GROUP_SQL("string_agg(CAST(ship - day AS TEXT), ',')");

static const char twin_counted_sql[] = "SELECT COUNT(*) FROM tv";
static const char twin_range_sql[] = "SELECT MIN(day), MAX(day) FROM tl";
static const char twin_cal_insert_sql[] =
    "INSERT INTO cal(kind, fy, day, b_first, b_last) VALUES (?, ?, ?, ?, ?)";

/* The tl column of each dimension, and its distinct non-empty values. */
static const char *const dim_column[DIM_COUNT] = {
    [DIM_REGION] = "region",   [DIM_SEGMENT] = "segment",   [DIM_COUNTRY] = "country",
    [DIM_ACCOUNT] = "account", [DIM_REP] = "rep",           [DIM_TEAM] = "team",
    [DIM_PRODUCT] = "product", [DIM_CATEGORY] = "category",
};
static const char *const dim_values_sql[DIM_COUNT] = {
    [DIM_REGION] = "SELECT DISTINCT region FROM tl WHERE region <> '' ORDER BY 1",
    [DIM_SEGMENT] = "SELECT DISTINCT segment FROM tl WHERE segment <> '' ORDER BY 1",
    [DIM_COUNTRY] = "SELECT DISTINCT country FROM tl WHERE country <> '' ORDER BY 1",
    [DIM_ACCOUNT] = "SELECT DISTINCT account FROM tl WHERE account <> '' ORDER BY 1",
    [DIM_REP] = "SELECT DISTINCT rep FROM tl WHERE rep <> '' ORDER BY 1",
    [DIM_TEAM] = "SELECT DISTINCT team FROM tl WHERE team <> '' ORDER BY 1",
    [DIM_PRODUCT] = "SELECT DISTINCT product FROM tl WHERE product <> '' ORDER BY 1",
    [DIM_CATEGORY] = "SELECT DISTINCT category FROM tl WHERE category <> '' ORDER BY 1",
};

struct value_list {
    char **v;
    size_t n;
};

struct twin {
    struct db *db;
    int32_t lo, hi; /* order days of the store's lines; DATE_NONE when none */
    struct value_list values[DIM_COUNT];
    /* The (bucket kind + 1, fy start month) pairs `cal` holds; kind 0: not bucketed. */
    unsigned char cal_filled[PERIOD_FYEAR + 2][13];
};

struct twin_row {
    int32_t first, last;
    char *text[2];
    int64_t value[MEASURE_COUNT];
};

struct twin_result {
    struct twin_row *rows;
    size_t n;
    int64_t counted;
};

static void twin_values_release(struct twin *tw)
{
    for (int d = 0; d < DIM_COUNT; d++) {
        for (size_t i = 0; i < tw->values[d].n; i++)
            free(tw->values[d].v[i]);
        free(tw->values[d].v);
        tw->values[d].v = NULL;
        tw->values[d].n = 0;
    }
}

static void twin_load_values(struct twin *tw, enum dim d)
{
    struct sd_error err = {0};
    struct db_stmt *st;
    struct value_list *l = &tw->values[d];
    size_t cap = 0;
    int rc;
    assert_sd_ok(db_prepare(tw->db, dim_values_sql[d], &st, &err), &err);
    while ((rc = db_step(st, &err)) == DB_ROW) {
        if (l->n == cap) {
            cap = cap ? cap * 2 : 16;
            l->v = realloc(l->v, cap * sizeof(*l->v));
            assert_non_null(l->v);
        }
        l->v[l->n++] = db_column_strdup(st, 0);
    }
    assert_sd_ok(rc, &err);
}

/*
 * PostgreSQL: statistics for a temporary table just filled. Autovacuum never
 * analyzes temporary tables, and without statistics the plans for tv scan
 * all of cal for every line (minutes instead of milliseconds).
 */
static void twin_analyze(struct twin *tw, const char *sql)
{
    if (pg_url[0])
        test_exec(tw->db, sql);
}

/* Rebuilds tl from the store as it is now. */
static void twin_refresh(struct twin *tw)
{
    struct sd_error err = {0};
    struct db_stmt *st;
    test_exec(tw->db, twin_lines_sql);
    twin_analyze(tw, "ANALYZE tl");
    memset(tw->cal_filled, 0, sizeof(tw->cal_filled));
    twin_values_release(tw);
    for (int d = DIM_REGION; d < DIM_COUNT; d++)
        twin_load_values(tw, (enum dim)d);
    assert_sd_ok(db_prepare(tw->db, twin_range_sql, &st, &err), &err);
    assert_int_equal(db_step(st, &err), DB_ROW);
    tw->lo = db_column_opt_date(st, 0);
    tw->hi = db_column_opt_date(st, 1);
    db_reset(st);
}

static void twin_init(struct twin *tw, struct db *db)
{
    memset(tw, 0, sizeof(*tw));
    tw->db = db;
    twin_refresh(tw);
}

static int cal_kind(const struct query *q)
{
    return q->bucketed ? (int)q->bucket + 1 : 0;
}

static int cal_fy(const struct query *q)
{
    return q->bucketed ? q->fy_start_month : 0;
}

/* Every day of the store's range → its bucket for the query's kind (DATE_NONE: not bucketed). */
static void twin_calendar(struct twin *tw, const struct query *q)
{
    struct sd_error err = {0};
    struct db_stmt *st;
    int kind = cal_kind(q), fy = cal_fy(q);
    assert_true(fy >= 0 && fy <= 12);
    if (tw->cal_filled[kind][fy])
        return;
    assert_sd_ok(db_begin(tw->db, &err), &err);
    for (int32_t day = tw->lo; tw->lo != DATE_NONE && day <= tw->hi; day++) {
        struct period p = {.first = DATE_NONE, .last = DATE_NONE};
        if (q->bucketed)
            p = period_containing(day, q->bucket, q->fy_start_month);
        assert_sd_ok(db_prepare(tw->db, twin_cal_insert_sql, &st, &err), &err);
        db_bind_int64(st, 1, kind);
        db_bind_int64(st, 2, fy);
        db_bind_int64(st, 3, day);
        db_bind_int64(st, 4, p.first);
        db_bind_int64(st, 5, p.last);
        assert_int_equal(db_step(st, &err), DB_DONE);
    }
    assert_sd_ok(db_commit(tw->db, &err), &err);
    twin_analyze(tw, "ANALYZE cal");
    tw->cal_filled[kind][fy] = 1;
}

static void add_quoted(struct strbuf *sb, const char *text)
{
    strbuf_addch(sb, '\'');
    for (const char *c = text; *c; c++) {
        if (*c == '\'')
            strbuf_addch(sb, '\'');
        strbuf_addch(sb, *c);
    }
    strbuf_addch(sb, '\'');
}

/*
 * A rep's rows for the twin (tests are one thread): non-zero, only the lines
 * of orders this rep took or of accounts they own or manage count, written
 * here from the tables, apart from the store's STORE_REP_SEES_* conditions.
 */
static int64_t twin_rows_rep;

/*
 * The view tv: the lines the query counts, with their bucket and dimension
 * texts. twin_group_*_sql read it (SQLite prepares it again after the view changes).
 */
static void twin_mark(struct twin *tw, const struct query *q)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, "DROP VIEW IF EXISTS tv; CREATE TEMP VIEW tv AS SELECT c.b_first AS b,"
                       " c.b_last AS bl");
    for (int k = 0; k < 2; k++)
        strbuf_addf(&sb, ", %s%s AS k%d", q->by[k] ? "t." : "",
                    q->by[k] ? dim_column[q->by[k]] : "''", k + 1);
    /* The join condition stands in WHERE: PostgreSQL takes no ON after CROSS JOIN. */
    strbuf_addf(&sb,
                ", t.* FROM tl t CROSS JOIN cal c WHERE c.kind = %d AND c.fy = %d AND c.day = t.day",
                cal_kind(q), cal_fy(q));
    strbuf_addstr(&sb, " AND t.st IN (-1");
    unsigned counted = QUERY_BOOKED | QUERY_RETURNED;
    for (int s = 0; s < ORDER_STATUS_COUNT; s++) {
        if ((counted & (1u << s)) && (q->status_mask == 0 || (q->status_mask & (1u << s))))
            strbuf_addf(&sb, ", %d", s);
    }
    strbuf_addch(&sb, ')');
    if (q->from != DATE_NONE)
        strbuf_addf(&sb, " AND t.day >= %d", (int)q->from);
    if (q->to != DATE_NONE)
        strbuf_addf(&sb, " AND t.day <= %d", (int)q->to);
    for (size_t i = 0; i < q->nwhere; i++) {
        strbuf_addf(&sb, " AND t.%s IN (", dim_column[q->where[i].dim]);
        for (size_t j = 0; j < q->where[i].n; j++) {
            if (j)
                strbuf_addstr(&sb, ", ");
            add_quoted(&sb, q->where[i].values[j]);
        }
        strbuf_addch(&sb, ')');
    }
    if (twin_rows_rep)
        strbuf_addf(&sb,
                    " AND (t.order_id IN (SELECT id FROM orders WHERE rep_id = %lld) OR "
                    "t.account_id IN (SELECT id FROM accounts WHERE owner_rep_id = %lld OR "
                    "account_manager_id = %lld))",
                    (long long)twin_rows_rep, (long long)twin_rows_rep, (long long)twin_rows_rep);
    test_exec(tw->db, sb.buf);
    strbuf_release(&sb);
}

/* num / den rounded half away from zero; NONE when den is 0. */
static int64_t ratio(__int128 num, __int128 den)
{
    if (den == 0)
        return NONE;
    int negative = (num < 0) != (den < 0);
    __int128 n = num < 0 ? -num : num, d = den < 0 ? -den : den;
    __int128 q = (2 * n + d) / (2 * d);
    return (int64_t)(negative ? -q : q);
}

static int cmp_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The median of a comma-separated list of day counts, × 10^4; NONE for an empty list. */
static int64_t median_of(const char *list)
{
    int64_t *v = NULL;
    size_t n = 0, cap = 0;
    for (const char *p = list; p && *p;) {
        char *end;
        long long x = strtoll(p, &end, 10);
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            v = realloc(v, cap * sizeof(*v));
            assert_non_null(v);
        }
        v[n++] = x;
        p = *end == ',' ? end + 1 : end;
    }
    int64_t m = NONE;
    if (n) {
        qsort(v, n, sizeof(*v), cmp_int64);
        m = n % 2 ? v[n / 2] * 10000 : (v[n / 2 - 1] + v[n / 2]) * 5000;
    }
    free(v);
    return m;
}

/* The measures of one group from its sums (column order of TWIN_GROUP_SQL). */
static void twin_values(struct db_stmt *st, int64_t *value)
{
    int64_t net = db_column_int64(st, 4), cost = db_column_int64(st, 5);
    int64_t qty = db_column_int64(st, 6), shipped = db_column_int64(st, 7);
    int64_t ret = db_column_int64(st, 9), norders = db_column_int64(st, 11);
    int64_t nship = db_column_int64(st, 14), ndue = db_column_int64(st, 16);

    value[MEASURE_REVENUE] = net;
    value[MEASURE_COST] = cost;
    value[MEASURE_MARGIN] = net - cost;
    value[MEASURE_MARGIN_PCT] = ratio((__int128)(net - cost) * 1000000, net);
    value[MEASURE_UNITS] = qty * 10000;
    value[MEASURE_LINES] = db_column_int64(st, 8) * 10000;
    value[MEASURE_ORDERS] = norders * 10000;
    value[MEASURE_ACCOUNTS] = db_column_int64(st, 12) * 10000;
    value[MEASURE_NEW_ACCOUNTS] = db_column_int64(st, 13) * 10000;
    value[MEASURE_AOV] = ratio(net, norders);
    value[MEASURE_ON_TIME_RATE] = ratio((__int128)db_column_int64(st, 17) * 1000000, ndue);
    value[MEASURE_DAYS_TO_SHIP] = ratio((__int128)db_column_int64(st, 15) * 10000, nship);
    value[MEASURE_DAYS_TO_SHIP_MEDIAN] =
        median_of(db_column_is_null(st, 18) ? NULL : db_column_text(st, 18));
    value[MEASURE_FILL_RATE] = ratio((__int128)shipped * 1000000, qty);
    value[MEASURE_RETURN_RATE] = ratio((__int128)ret * 1000000, (__int128)net + ret);
    value[MEASURE_DISCOUNT] = db_column_int64(st, 10);
}

static int twin_sort_by = -1; /* the measure to rank by, -1: none (tests are one thread) */

/* query.h's order: bucket, then texts; with top, by the ranked value first (none last). */
static int cmp_twin_rows(const void *a, const void *b)
{
    const struct twin_row *x = a, *y = b;
    if (twin_sort_by >= 0) {
        int64_t vx = x->value[twin_sort_by], vy = y->value[twin_sort_by];
        if (vx != vy) {
            if (vx == NONE || vy == NONE)
                return vx == NONE ? 1 : -1;
            return vx > vy ? -1 : 1;
        }
    }
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    int c = strcmp(x->text[0], y->text[0]);
    return c ? c : strcmp(x->text[1], y->text[1]);
}

static void twin_result_release(struct twin_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->rows[i].text[0]);
        free(r->rows[i].text[1]);
    }
    free(r->rows);
    memset(r, 0, sizeof(*r));
}

static void twin_run(struct twin *tw, const struct query *q, struct twin_result *out)
{
    struct sd_error err = {0};
    struct db_stmt *st;
    size_t cap = 0;
    int rc;
    memset(out, 0, sizeof(*out));
    twin_calendar(tw, q);
    twin_mark(tw, q);
    assert_sd_ok(db_prepare(tw->db, pg_url[0] ? twin_group_pg_sql : twin_group_sqlite_sql, &st, &err),
                 &err);
    while ((rc = db_step(st, &err)) == DB_ROW) {
        if (out->n == cap) {
            cap = cap ? cap * 2 : 64;
            out->rows = realloc(out->rows, cap * sizeof(*out->rows));
            assert_non_null(out->rows);
        }
        struct twin_row *row = &out->rows[out->n++];
        row->first = (int32_t)db_column_int64(st, 0);
        row->last = (int32_t)db_column_int64(st, 1);
        row->text[0] = db_column_strdup(st, 2);
        row->text[1] = db_column_strdup(st, 3);
        twin_values(st, row->value);
        for (int m = 0; m < MEASURE_COUNT; m++) {
            if (!(q->measures & (1u << m)))
                row->value[m] = NONE;
        }
    }
    assert_sd_ok(rc, &err);
    twin_sort_by = q->top ? (int)q->top_by : -1;
    if (out->n)
        qsort(out->rows, out->n, sizeof(*out->rows), cmp_twin_rows);
    twin_sort_by = -1;
    while (q->top && out->n > q->top) {
        out->n--;
        free(out->rows[out->n].text[0]);
        free(out->rows[out->n].text[1]);
    }
    assert_sd_ok(db_prepare(tw->db, twin_counted_sql, &st, &err), &err);
    assert_int_equal(db_step(st, &err), DB_ROW);
    out->counted = db_column_int64(st, 0);
    db_reset(st);
}

/* ---- comparing ---------------------------------------------------------------------- */

static void describe_query(const struct query *q, struct strbuf *sb)
{
    char a[DATE_TEXT_MAX], b[DATE_TEXT_MAX];
    strbuf_addstr(sb, "measures");
    for (int m = 0; m < MEASURE_COUNT; m++) {
        if (q->measures & (1u << m))
            strbuf_addf(sb, " %s", measure_table[m].name);
    }
    if (q->bucketed)
        strbuf_addf(sb, "; bucket %d fy_start_month %d", (int)q->bucket, q->fy_start_month);
    for (int k = 0; k < 2; k++) {
        if (q->by[k])
            strbuf_addf(sb, "; by %s", dim_name(q->by[k]));
    }
    if (q->from != DATE_NONE)
        date_format(q->from, a);
    if (q->to != DATE_NONE)
        date_format(q->to, b);
    strbuf_addf(sb, "; from %s to %s; status_mask 0x%x", q->from != DATE_NONE ? a : "-",
                q->to != DATE_NONE ? b : "-", q->status_mask);
    for (size_t i = 0; i < q->nwhere; i++) {
        strbuf_addf(sb, "; where %s in", dim_name(q->where[i].dim));
        for (size_t j = 0; j < q->where[i].n; j++)
            strbuf_addf(sb, " '%s'", q->where[i].values[j]);
    }
    if (q->top)
        strbuf_addf(sb, "; top %zu by %s", q->top, measure_table[q->top_by].name);
    strbuf_addf(sb, "; threads %d", q->threads);
}

static void describe_twin_row(struct strbuf *sb, const struct twin_row *r)
{
    strbuf_addf(sb, "[%d..%d '%s' '%s']", (int)r->first, (int)r->last, r->text[0], r->text[1]);
}

static void describe_engine_row(struct strbuf *sb, const struct facts *f, const struct query *q,
                                const struct query_row *r)
{
    strbuf_addf(sb, "[%d..%d '%s' '%s']", (int)r->bucket_first, (int)r->bucket_last,
                q->by[0] ? facts_dim_key(f, q->by[0], r->key[0]) : "",
                q->by[1] ? facts_dim_key(f, q->by[1], r->key[1]) : "");
}

/* The first difference between the engine's rows and the twin's, as text; "" when none. */
static void find_difference(const struct facts *f, const struct query *q,
                            const struct query_result *e, const struct twin_result *t,
                            struct strbuf *why)
{
    if (e->lines_scanned != t->counted)
        strbuf_addf(why, "lines_scanned %lld, SQL counts %lld; ", (long long)e->lines_scanned,
                    (long long)t->counted);
    for (size_t i = 0; i < e->n && i < t->n && why->len == 0; i++) {
        const struct query_row *er = &e->rows[i];
        const struct twin_row *tr = &t->rows[i];
        int same = er->bucket_first == tr->first && er->bucket_last == tr->last;
        for (int k = 0; k < 2; k++) {
            const char *text = q->by[k] ? facts_dim_key(f, q->by[k], er->key[k]) : "";
            same = same && strcmp(text, tr->text[k]) == 0;
        }
        if (!same) {
            strbuf_addf(why, "row %zu: engine group ", i);
            describe_engine_row(why, f, q, er);
            strbuf_addstr(why, ", SQL group ");
            describe_twin_row(why, tr);
            break;
        }
        for (int m = 0; m < MEASURE_COUNT; m++) {
            if (er->value[m] != tr->value[m]) {
                strbuf_addf(why, "row %zu ", i);
                describe_twin_row(why, tr);
                strbuf_addf(why, ": %s: engine %lld, SQL %lld", measure_table[m].name,
                            (long long)er->value[m], (long long)tr->value[m]);
                break;
            }
        }
    }
    if (why->len == 0 && e->n != t->n) {
        strbuf_addf(why, "engine has %zu groups, SQL %zu; first extra: ", e->n, t->n);
        if (e->n > t->n)
            describe_engine_row(why, f, q, &e->rows[t->n]);
        else
            describe_twin_row(why, &t->rows[e->n]);
    }
}

struct tally {
    int queries;  /* twin runs */
    int runs;     /* engine runs compared */
    int groups;   /* groups compared */
    int nonempty; /* queries with at least one group */
};

/* Runs `q` through the engine with each thread count and fails at the first difference. */
static void check_query(const struct facts *f, struct twin *tw, struct query *q, const int *threads,
                        size_t nthreads, const char *where, struct tally *tally)
{
    struct twin_result t;
    twin_run(tw, q, &t);
    tally->queries++;
    tally->nonempty += t.n > 0;
    for (size_t i = 0; i < nthreads; i++) {
        struct sd_error err = {0};
        struct query_result e;
        struct strbuf why = STRBUF_INIT;
        q->threads = threads[i];
        int rc = query_run(f, q, &e, &err);
        if (rc == 0) {
            find_difference(f, q, &e, &t, &why);
            query_result_release(&e);
        } else {
            strbuf_addf(&why, "query_run returned %d: %s", rc, err.message);
        }
        if (why.len) {
            struct strbuf desc = STRBUF_INIT;
            describe_query(q, &desc);
            fail_msg("%s: query {%s}: %s", where, desc.buf, why.buf);
        }
        strbuf_release(&why);
        tally->runs++;
        tally->groups += (int)t.n;
    }
    twin_result_release(&t);
}

/* ---- random queries --------------------------------------------------------------------- */

struct query_store {
    struct query_filter filters[3];
    const char *values[3][3];
};

static size_t count_periods(enum period_kind kind, int fy, int32_t lo, int32_t hi)
{
    size_t n = 0;
    for (struct period p = period_containing(lo, kind, fy); p.first <= hi;
         p = period_containing(p.last + 1, kind, fy))
        n++;
    return n;
}

/* An upper bound of the groups `q` could make: buckets × values of each dimension. */
static uint64_t group_space(const struct facts *f, const struct twin *tw, const struct query *q)
{
    uint64_t n = 1;
    if (q->bucketed && tw->lo != DATE_NONE) {
        int32_t lo = q->from != DATE_NONE && q->from > tw->lo ? q->from : tw->lo;
        int32_t hi = q->to != DATE_NONE && q->to < tw->hi ? q->to : tw->hi;
        if (q->from != DATE_NONE && q->from < lo)
            lo = q->from;
        if (q->to != DATE_NONE && q->to > hi)
            hi = q->to;
        n = count_periods(q->bucket, q->fy_start_month, lo, hi);
    }
    for (int k = 0; k < 2; k++) {
        if (q->by[k])
            n *= facts_dim_count(f, q->by[k]) + 1;
    }
    return n;
}

static enum dim random_dim(struct rng *r)
{
    return (enum dim)rng_range(r, DIM_REGION, DIM_COUNT - 1);
}

static uint32_t random_measures(struct rng *r)
{
    if (rng_percent(r, 10))
        return ALL_MEASURES;
    uint32_t m = 0;
    for (int i = (int)rng_range(r, 1, 5); i > 0; i--)
        m |= 1u << rng_below(r, LINE_MEASURES);
    return m;
}

static void random_dates_of(struct rng *r, const struct twin *tw, struct query *q)
{
    q->from = q->to = DATE_NONE;
    if (tw->lo == DATE_NONE || rng_percent(r, 35))
        return;
    int32_t span = tw->hi - tw->lo + 1;
    int32_t a = tw->lo - 20 + (int32_t)rng_below(r, (uint64_t)span + 40);
    int32_t b = a + (int32_t)rng_below(r, (uint64_t)span / 2 + 1);
    int which = (int)rng_below(r, 4);
    q->from = which == 3 ? DATE_NONE : a;
    q->to = which == 2 ? DATE_NONE : b;
}

static void random_filters(struct rng *r, const struct twin *tw, struct query *q,
                           struct query_store *qs)
{
    size_t n = rng_percent(r, 45) ? 0 : (size_t)rng_range(r, 1, 3);
    q->nwhere = 0;
    for (size_t i = 0; i < n; i++) {
        enum dim d = random_dim(r);
        const struct value_list *l = &tw->values[d];
        if (l->n == 0)
            continue;
        struct query_filter *flt = &qs->filters[q->nwhere++];
        size_t nv = (size_t)rng_range(r, 1, 3);
        for (size_t j = 0; j < nv; j++)
            qs->values[i][j] = l->v[rng_below(r, l->n)];
        *flt = (struct query_filter){d, qs->values[i], nv};
    }
    q->where = qs->filters;
}

static unsigned random_status_mask(struct rng *r)
{
    if (rng_percent(r, 50))
        return 0;
    if (rng_percent(r, 30))
        return QUERY_BOOKED | (rng_percent(r, 50) ? QUERY_RETURNED : 0);
    return (unsigned)rng_below(r, 1u << ORDER_STATUS_COUNT);
}

/* A random query whose group space stays well below QUERY_MAX_GROUPS. */
static void random_query(struct rng *r, const struct facts *f, const struct twin *tw,
                         struct query *q, struct query_store *qs)
{
    do {
        memset(q, 0, sizeof(*q));
        q->measures = random_measures(r);
        q->bucketed = rng_percent(r, 65);
        q->bucket = (enum period_kind)rng_range(r, PERIOD_DAY, PERIOD_FYEAR);
        q->fy_start_month = rng_percent(r, 25) ? 1 : (int)rng_range(r, 1, 12);
        int nby = (int)rng_below(r, 3);
        for (int k = 0; k < nby; k++)
            q->by[k] = random_dim(r);
        if (q->by[1] == q->by[0])
            q->by[1] = DIM_NONE;
        random_dates_of(r, tw, q);
        q->status_mask = random_status_mask(r);
        random_filters(r, tw, q, qs);
        if (rng_percent(r, 25)) {
            q->top = (size_t)rng_range(r, 1, 8);
            do
                q->top_by = (enum measure)rng_below(r, LINE_MEASURES);
            while (!(q->measures & (1u << q->top_by)));
        }
    } while (group_space(f, tw, q) > QUERY_MAX_GROUPS / 4);
}

static const int thread_counts[] = {1, 4};

static void check_random_queries(const struct facts *f, struct twin *tw, uint64_t seed, int n,
                                 const char *where, struct tally *tally)
{
    struct rng r = {seed};
    for (int i = 0; i < n; i++) {
        struct query q;
        struct query_store qs;
        random_query(&r, f, tw, &q, &qs);
        check_query(f, tw, &q, thread_counts, COUNT(thread_counts), where, tally);
    }
}

/*
 * Random queries with a rep's rows (store_rep_visible_accounts + the rep's
 * own orders) against the twin that keeps the same lines by its own SQL.
 * Rep -1 is a rep user without a rep: nothing counts.
 */
static void check_rep_rows(const struct facts *f, struct twin *tw, struct db *db,
                           struct tally *tally)
{
    static const int64_t reps[] = {1, 2, 5, -1};
    for (size_t i = 0; i < COUNT(reps); i++) {
        struct sd_error err = {0};
        struct arena arena;
        struct query_rows rows;
        int64_t *ids;
        size_t n;
        arena_init(&arena, 0);
        assert_sd_ok(store_rep_visible_accounts(db, &arena, reps[i], &ids, &n, &err), &err);
        assert_true(reps[i] < 0 ? n == 0 : n > 0);
        query_rows_init(&rows, f, reps[i], ids, n);
        struct rng r = {0x5EE5 + (uint64_t)i};
        twin_rows_rep = reps[i];
        for (int k = 0; k < 12; k++) {
            struct query q;
            struct query_store qs;
            random_query(&r, f, tw, &q, &qs);
            q.rows = &rows;
            check_query(f, tw, &q, thread_counts, COUNT(thread_counts), "rep rows", tally);
        }
        twin_rows_rep = 0;
        query_rows_release(&rows);
        arena_release(&arena);
    }
}

/* ---- fixtures -------------------------------------------------------------------------- */

struct fixture {
    char dir[TEST_PATH_MAX];
    char path[TEST_PATH_MAX];
    struct db *db;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct sd_error err = {0};
    if (!fx)
        return -1;
    test_tmpdir_make(fx->dir, sizeof(fx->dir));
    *state = fx;
    int rc = test_store_make(fx->path, fx->dir, "query.db", pg_url, &fx->db, &err);
    /* A scratch database: commits need not reach the disk. */
    if (rc == 0)
        rc = db_exec(fx->db, pg_url[0] ? "SET synchronous_commit = off" : "PRAGMA synchronous = OFF",
                     &err);
    if (rc != 0)
        print_error("setup: %s\n", err.message);
    return rc;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    db_close(fx->db);
    test_tmpdir_remove(fx->dir);
    free(fx);
    return 0;
}

static struct facts *build_facts(struct db *db)
{
    struct sd_error err = {0};
    struct facts *f = NULL;
    assert_sd_ok(facts_build(db, NULL, NULL, &f, &err), &err);
    return f;
}

static const char count_lines_sql[] = "SELECT COUNT(*), COUNT(DISTINCT order_id) FROM order_lines";
static const char count_unrated_sql[] =
    "SELECT COUNT(*) FROM order_lines ol JOIN orders o ON o.id = ol.order_id"
    " WHERE o.currency <> COALESCE((SELECT value FROM settings WHERE key = 'base_currency'), 'USD')"
    " AND NOT EXISTS (SELECT 1 FROM fx_rates f WHERE f.currency = o.currency)";

/* facts_stats' live lines and orders against counts of the store's rows. */
static void check_stats(const struct facts *f, struct db *db, const char *where)
{
    struct sd_error err = {0};
    struct db_stmt *st;
    struct facts_stats s;
    facts_stats(f, &s);
    assert_sd_ok(db_prepare(db, count_lines_sql, &st, &err), &err);
    assert_int_equal(db_step(st, &err), DB_ROW);
    int64_t lines = db_column_int64(st, 0), orders = db_column_int64(st, 1);
    db_reset(st);
    if (s.lines != lines || s.orders != orders)
        fail_msg("%s: facts_stats lines %lld orders %lld; the store has %lld and %lld", where,
                 (long long)s.lines, (long long)s.orders, (long long)lines, (long long)orders);
}

/* ---- one account's lines: facts_account_lines against store_account_lines ---- */

struct account_lines {
    struct store_account_line *items;
    size_t n, cap;
};

static int collect_line(void *ctx, const struct store_account_line *l)
{
    struct account_lines *a = ctx;
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 64;
        a->items = xreallocarray(a->items, a->cap, sizeof(*a->items));
    }
    a->items[a->n++] = *l;
    return 0;
}

static int cmp_account_line(const void *x, const void *y)
{
    const struct store_account_line *a = x, *b = y;
    int64_t ka[5] = {a->order_date, a->status, a->product_id, a->qty, a->net};
    int64_t kb[5] = {b->order_date, b->status, b->product_id, b->qty, b->net};
    for (int i = 0; i < 5; i++) {
        if (ka[i] != kb[i])
            return ka[i] < kb[i] ? -1 : 1;
    }
    return 0;
}

static const char account_ids_sql[] = "SELECT id FROM accounts ORDER BY id";

/*
 * For every account, over all days and over a window inside the data, the
 * engine's lines of the account's placed orders (the account status's
 * revenue) are the store's, with the same nets in the order currency:
 * the same multiset. Returns how many lines were compared.
 */
static int64_t check_account_lines(const struct facts *f, struct db *db, const char *where)
{
    struct sd_error err = {0};
    struct db_stmt *st;
    struct facts_stats s;
    int64_t compared = 0;
    facts_stats(f, &s);
    int32_t windows[2][2] = {{INT32_MIN, INT32_MAX},
                             {s.first_day + (s.last_day - s.first_day) / 3,
                              s.last_day - (s.last_day - s.first_day) / 3}};
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    assert_sd_ok(db_prepare(db, account_ids_sql, &st, &err), &err);
    while (db_step(st, &err) == DB_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            ids = xreallocarray(ids, cap, sizeof(*ids));
        }
        ids[n++] = db_column_int64(st, 0);
    }
    assert_int_equal(err.code, 0);
    for (size_t i = 0; i < n; i++) {
        for (int w = 0; w < 2 && s.first_day != DATE_NONE; w++) {
            struct account_lines engine = {0}, store = {0};
            assert_int_equal(facts_account_lines(f, ids[i], windows[w][0], windows[w][1],
                                                 collect_line, &engine),
                             0);
            assert_sd_ok(store_account_lines(db, ids[i], windows[w][0], windows[w][1],
                                             collect_line, &store, &err),
                         &err);
            if (engine.n)
                qsort(engine.items, engine.n, sizeof(*engine.items), cmp_account_line);
            if (store.n)
                qsort(store.items, store.n, sizeof(*store.items), cmp_account_line);
            if (engine.n != store.n)
                fail_msg("%s: account id %lld window %d: %zu lines from the engine, %zu in the "
                         "store",
                         where, (long long)ids[i], w, engine.n, store.n);
            for (size_t k = 0; k < store.n; k++) {
                if (cmp_account_line(&engine.items[k], &store.items[k]) != 0)
                    fail_msg("%s: account id %lld: line %zu differs (net %lld vs %lld)", where,
                             (long long)ids[i], k, (long long)engine.items[k].net,
                             (long long)store.items[k].net);
            }
            compared += (int64_t)store.n;
            free(engine.items);
            free(store.items);
        }
    }
    free(ids);
    return compared;
}

/* Lines whose currency is not the base and has no rate at all, counted in SQL. */
static int64_t unrated_lines(struct db *db)
{
    struct sd_error err = {0};
    struct db_stmt *st;
    assert_sd_ok(db_prepare(db, count_unrated_sql, &st, &err), &err);
    assert_int_equal(db_step(st, &err), DB_ROW);
    int64_t n = db_column_int64(st, 0);
    db_reset(st);
    return n;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void report(const char *what, const struct tally *t, const struct timespec *t0)
{
    print_message("%s: %d queries (%d with groups), %d engine runs, %d groups compared, %.1f s\n",
                  what, t->queries, t->nonempty, t->runs, t->groups, seconds_since(t0));
}

/* ---- tests ------------------------------------------------------------------------------- */

/* A query worked out by hand: one order, two lines, checks the twin itself. */
static void test_twin_by_hand(void **state)
{
    struct fixture *fx = *state;
    struct gen *g = gen_new(fx->db, 1, 4);
    struct sd_error err = {0};
    gen_fill(g, "USD", 1, 1, 0);
    assert_sd_ok(db_begin(fx->db, &err), &err);
    put_fx(g, "EUR", g->first_day, 110000000); /* 1.1 */
    struct gen_order *o = &g->orders[g->norders++];
    snprintf(o->ext, sizeof(o->ext), "H1");
    o->o = (struct order){.account_id = g->accounts[0].a.id,
                          .order_date = g->first_day + 3,
                          .requested_date = DATE_NONE,
                          .promised_date = g->first_day + 5,
                          .ship_date = g->first_day + 6,
                          .status = ORDER_PAID,
                          .currency = "EUR"};
    /* 3 × 1.0001 × (1 − 0.5) = 1.50015 → 1.5002 EUR (15002) → × 1.1 = 16502.2 → 16502. */
    o->lines[0] = (struct order_line){.line_no = 1,
                                      .product_id = g->products[0].p.id,
                                      .qty = 3,
                                      .unit_price = 10001,
                                      .discount = 500000,
                                      .shipped_qty = 1};
    /* 1 × 2.0000, no discount: 20000 EUR → 22000. */
    o->lines[1] = (struct order_line){.line_no = 2,
                                      .product_id = g->products[0].p.id,
                                      .qty = 1,
                                      .unit_price = 20000,
                                      .discount = 0,
                                      .shipped_qty = 1};
    o->n = 2;
    put_order(g, o, 1);
    assert_sd_ok(db_commit(fx->db, &err), &err);

    struct twin tw;
    twin_init(&tw, fx->db);
    struct query q = {.measures = ALL_MEASURES, .from = DATE_NONE, .to = DATE_NONE};
    struct twin_result t;
    twin_run(&tw, &q, &t);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.rows[0].value[MEASURE_REVENUE], 16502 + 22000);
    /* Discount: gross 30003 − net 15002 = 15001 EUR × 1.1 = 16501.1 → 16501. */
    assert_int_equal(t.rows[0].value[MEASURE_DISCOUNT], 16501);
    assert_int_equal(t.rows[0].value[MEASURE_UNITS], 40000);
    /* Fill rate 2 / 4 = 50 %; shipped a day after the promise: 0 % on time, 3 days. */
    assert_int_equal(t.rows[0].value[MEASURE_FILL_RATE], 500000);
    assert_int_equal(t.rows[0].value[MEASURE_ON_TIME_RATE], 0);
    assert_int_equal(t.rows[0].value[MEASURE_DAYS_TO_SHIP], 30000);
    assert_int_equal(t.rows[0].value[MEASURE_NEW_ACCOUNTS], 10000);
    /* The product's cost is known or not: margin % follows from it. */
    int64_t cost = g->products[0].p.cost == MONEY_NONE ? 0 : 4 * g->products[0].p.cost;
    assert_int_equal(t.rows[0].value[MEASURE_COST], cost);
    twin_result_release(&t);

    struct facts *f = build_facts(fx->db);
    struct tally tally = {0};
    check_query(f, &tw, &q, thread_counts, COUNT(thread_counts), "by hand", &tally);
    facts_free(f);
    twin_values_release(&tw);
    gen_free(g);
}

/*
 * facts.h: `unrated` counts the live lines whose currency had no rate (taken
 * at 1). The random data has CHF orders and no CHF rate.
 */
static void test_stats_unrated(void **state)
{
    struct fixture *fx = *state;
    struct gen *g = gen_new(fx->db, 0x5eed0006, 300);
    struct facts_stats s;
    gen_fill(g, "USD", 20, 10, 200);
    int64_t want = unrated_lines(fx->db);
    assert_true(want > 0);
    struct facts *f = build_facts(fx->db);
    facts_stats(f, &s);
    facts_free(f);
    gen_free(g);
    if (s.unrated != want)
        fail_msg("facts_stats unrated %lld; the store has %lld lines in CHF (no rate at all)",
                 (long long)s.unrated, (long long)want);
}

/*
 * A median over a range without a shipped order: nothing to sort. Under
 * UBSan, query.c passed qsort a NULL array (regression).
 */
static void test_median_without_shipped_orders(void **state)
{
    struct fixture *fx = *state;
    struct gen *g = gen_new(fx->db, 0x5eed0007, 60);
    gen_fill(g, "USD", 5, 5, 50);
    struct facts *f = build_facts(fx->db);
    struct twin tw;
    twin_init(&tw, fx->db);
    struct tally tally = {0};
    struct query q = {.measures = 1u << MEASURE_DAYS_TO_SHIP_MEDIAN,
                      .from = g->first_day - 100,
                      .to = g->first_day - 1};
    check_query(f, &tw, &q, thread_counts, COUNT(thread_counts), "median, no lines", &tally);
    q.from = DATE_NONE;
    q.to = DATE_NONE;
    q.status_mask = 1u << ORDER_PENDING | 1u << ORDER_RETURNED;
    q.by[0] = DIM_PRODUCT;
    check_query(f, &tw, &q, thread_counts, COUNT(thread_counts), "median, pending", &tally);
    facts_free(f);
    twin_values_release(&tw);
    gen_free(g);
}


/*
 * query_orders against SQL over the same per-line view: open orders (pending,
 * confirmed, on hold) up to a day, optionally in one region, by value then id.
 */
static const char orders_twin_sql[] =
    "SELECT order_id, SUM(net_base), COUNT(*), MIN(day) FROM tl"
    " WHERE st IN (1, 2, 3) AND day <= ?1 AND (?2 = '' OR region = ?2)"
    " GROUP BY order_id ORDER BY 2 DESC, 1 LIMIT ?3";

static size_t check_orders(struct facts *f, struct db *db, int32_t to, const char *region,
                           size_t top)
{
    struct sd_error err = {0};
    struct db_stmt *st;
    struct order_row *rows;
    size_t n, i = 0;
    const char *values[1] = {region};
    struct query_filter where = {DIM_REGION, values, 1};
    struct order_query q = {.from = DATE_NONE, .to = to, .top = top, .where = &where,
                            .nwhere = *region ? 1 : 0};
    assert_sd_ok(query_orders(f, &q, &rows, &n, &err), &err);
    assert_sd_ok(db_prepare(db, orders_twin_sql, &st, &err), &err);
    db_bind_int64(st, 1, to);
    db_bind_text(st, 2, region);
    db_bind_int64(st, 3, (int64_t)top);
    int rc;
    while ((rc = db_step(st, &err)) == DB_ROW) {
        if (i >= n)
            fail_msg("orders to %d in '%s': the engine has %zu rows, SQL more", to, region, n);
        assert_int_equal(rows[i].order_id, db_column_int64(st, 0));
        assert_int_equal(rows[i].value, db_column_int64(st, 1));
        assert_int_equal(rows[i].lines, db_column_int64(st, 2));
        assert_int_equal(rows[i].order_day, db_column_int64(st, 3));
        i++;
    }
    assert_int_equal(rc, DB_DONE);
    assert_int_equal(i, n);
    free(rows);
    return n;
}

static void test_orders(void **state)
{
    struct fixture *fx = *state;
    struct gen *g = gen_new(fx->db, 0x5eed0007, 900);
    gen_fill(g, "USD", 40, 30, 800);
    struct facts *f = build_facts(fx->db);
    struct twin tw;
    twin_init(&tw, fx->db);
    assert_true(tw.lo != DATE_NONE);
    size_t seen = 0, top = 0;
    for (int k = 0; k < 4; k++) {
        int32_t to = tw.lo + (tw.hi - tw.lo) * (k + 1) / 4;
        top += check_orders(f, fx->db, to, "", 50);
        seen += check_orders(f, fx->db, to, "EMEA", 1000000);
    }
    assert_true(seen > 0 && top > 0);
    facts_free(f);
    twin_values_release(&tw);
    gen_free(g);
}
static void test_random_data(void **state)
{
    struct fixture *fx = *state;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct gen *g = gen_new(fx->db, 0x5eed0001, 2000);
    gen_fill(g, "USD", 60, 40, 1500);
    struct facts *f = build_facts(fx->db);
    check_stats(f, fx->db, "random data");
    assert_true(check_account_lines(f, fx->db, "random data") > 0);
    struct twin tw;
    twin_init(&tw, fx->db);
    struct tally tally = {0};
    check_random_queries(f, &tw, 0xA11CE, 400, "random data", &tally);
    report("random data", &tally, &t0);
    assert_true(tally.nonempty > tally.queries / 2);
    facts_free(f);
    twin_values_release(&tw);
    gen_free(g);
}

/* Base currency EUR: USD orders convert, EUR ones do not even though EUR has rates. */
static void test_random_data_eur_base(void **state)
{
    struct fixture *fx = *state;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct gen *g = gen_new(fx->db, 0x5eed0002, 800);
    gen_fill(g, "EUR", 30, 20, 600);
    struct facts *f = build_facts(fx->db);
    check_stats(f, fx->db, "EUR base");
    assert_true(check_account_lines(f, fx->db, "EUR base") > 0);
    struct twin tw;
    twin_init(&tw, fx->db);
    struct tally tally = {0};
    check_random_queries(f, &tw, 0xBEEF, 100, "EUR base", &tally);
    report("EUR base", &tally, &t0);
    facts_free(f);
    twin_values_release(&tw);
    gen_free(g);
}

/* ---- incremental updates --------------------------------------------------------------- */

enum mutation {
    MUT_STATUS,
    MUT_DATES,
    MUT_CURRENCY,
    MUT_ACCOUNT_REP,
    MUT_LINES,
    MUT_EMPTY,
    MUT_DELETE,
    MUT_NEW_ORDER,
    MUT_ACCOUNT_ATTRS,
    MUT_PRODUCT_ATTRS,
    MUT_REP_TEAM,
    MUT_TEAM,
    MUT_NEW_MASTER,
    MUT_COUNT
};

struct mutation_tally {
    int n[MUT_COUNT];
};

static const char delete_lines_sql[] = "DELETE FROM order_lines WHERE order_id = ?";
static const char delete_order_sql[] = "DELETE FROM orders WHERE id = ?";

static struct gen_order *random_live_order(struct gen *g)
{
    for (;;) {
        struct gen_order *o = &g->orders[rng_below(&g->rng, g->norders)];
        if (!o->deleted)
            return o;
    }
}

static void set_lines(struct gen *g, struct gen_order *o)
{
    struct sd_error err = {0};
    int changed;
    assert_sd_ok(store_order_lines_set(g->db, o->o.id, o->lines, o->n, &changed, &err), &err);
}

/*
 * The store has no order delete: this is what one would do (the rows go,
 * a change_log 'delete' is appended in the same transaction), written here
 * in SQL so that the engine's handling of 'delete' is covered.
 */
static void emulate_delete(struct gen *g, struct gen_order *o)
{
    static const char *const sql[] = {delete_lines_sql, delete_order_sql};
    struct sd_error err = {0};
    struct db_stmt *st;
    for (size_t i = 0; i < COUNT(sql); i++) {
        assert_sd_ok(db_prepare(g->db, sql[i], &st, &err), &err);
        db_bind_int64(st, 1, o->o.id);
        assert_int_equal(db_step(st, &err), DB_DONE);
    }
    assert_sd_ok(store_change_append(g->db, "order", o->o.id, "delete", &err), &err);
    o->deleted = 1;
}

/* One line changed, added or removed. */
static void change_lines(struct gen *g, struct gen_order *o)
{
    struct rng *r = &g->rng;
    int what = (int)rng_below(r, 3);
    if (what == 0 && o->n < MAX_LINES) {
        random_line(g, &o->lines[o->n], (int)o->n + 1);
        o->n++;
    } else if (what == 1 && o->n > 0) {
        o->n--;
    } else if (o->n > 0) {
        struct order_line *l = &o->lines[rng_below(r, o->n)];
        int line_no = l->line_no;
        random_line(g, l, line_no);
    } else {
        random_lines(g, o);
    }
    set_lines(g, o);
}

static void mutate_order(struct gen *g, enum mutation m)
{
    struct rng *r = &g->rng;
    struct gen_order *o = random_live_order(g);
    switch (m) {
    case MUT_STATUS:
        o->o.status = (enum order_status)rng_below(r, ORDER_STATUS_COUNT);
        put_order(g, o, 0);
        break;
    case MUT_DATES:
        random_dates(g, &o->o);
        put_order(g, o, 0);
        break;
    case MUT_CURRENCY:
        o->o.currency = PICK(r, currencies);
        put_order(g, o, 0);
        break;
    case MUT_ACCOUNT_REP:
        o->o.account_id = g->accounts[rng_below(r, g->naccounts)].a.id;
        o->o.rep_id = rng_percent(r, 12) ? 0 : g->reps[rng_below(r, g->nreps)].r.id;
        put_order(g, o, 0);
        break;
    case MUT_LINES: change_lines(g, o); break;
    case MUT_EMPTY:
        o->n = 0;
        set_lines(g, o);
        break;
    default: emulate_delete(g, o); break;
    }
}

static void mutate_master(struct gen *g, enum mutation m)
{
    struct rng *r = &g->rng;
    switch (m) {
    case MUT_ACCOUNT_ATTRS: {
        struct gen_account *a = &g->accounts[rng_below(r, g->naccounts)];
        random_account_attrs(g, a);
        if (rng_percent(r, 20))
            a->a.region = "LATAM";
        put_account(g, a);
        break;
    }
    case MUT_PRODUCT_ATTRS: {
        struct gen_product *p = &g->products[rng_below(r, g->nproducts)];
        random_product_attrs(g, p);
        if (rng_percent(r, 20))
            p->p.category = "Launch 2025";
        put_product(g, p);
        break;
    }
    case MUT_REP_TEAM: {
        struct gen_rep *rep = &g->reps[rng_below(r, g->nreps)];
        rep->r.team_id = random_team_id(g);
        put_rep(g, rep);
        break;
    }
    case MUT_TEAM:
        if (g->nteams < MAX_TEAMS && rng_percent(r, 30)) {
            add_team(g);
        } else {
            struct gen_team *t = &g->teams[rng_below(r, g->nteams)];
            char name[sizeof(t->name)];
            snprintf(name, sizeof(name), "Team %s/%d", t->ext, (int)rng_below(r, 1000));
            memcpy(t->name, name, sizeof(name));
            put_team(g, t);
        }
        break;
    default:
        if (g->naccounts < MAX_ACCOUNTS)
            add_account(g);
        if (g->nproducts < MAX_PRODUCTS)
            add_product(g);
        if (g->nreps < MAX_REPS && rng_percent(r, 50))
            add_rep(g);
        add_order(g);
        break;
    }
}

static void mutate(struct gen *g, enum mutation m)
{
    if (m == MUT_NEW_ORDER)
        add_order(g);
    else if (m >= MUT_ACCOUNT_ATTRS)
        mutate_master(g, m);
    else
        mutate_order(g, m);
}

/* `n` random changes in `ntx` transactions. */
static void mutate_round(struct gen *g, int n, int ntx, struct mutation_tally *mt)
{
    struct sd_error err = {0};
    for (int tx = 0; tx < ntx; tx++) {
        assert_sd_ok(db_begin(g->db, &err), &err);
        for (int i = 0; i < n / ntx; i++) {
            enum mutation m = (enum mutation)rng_below(&g->rng, MUT_COUNT);
            mutate(g, m);
            mt->n[m]++;
        }
        assert_sd_ok(db_commit(g->db, &err), &err);
    }
}

/* A changed EUR rate on a day that has one, and a new GBP rate before the first one. */
static void change_rates(struct gen *g)
{
    struct sd_error err = {0};
    assert_sd_ok(db_begin(g->db, &err), &err);
    put_fx(g, "EUR", g->first_day + 20, 123456789);
    put_fx(g, "GBP", g->first_day + 100, 111111111);
    assert_sd_ok(db_commit(g->db, &err), &err);
}

static void refresh(struct facts *f, struct db *db, int64_t *applied)
{
    struct sd_error err = {0};
    assert_sd_ok(facts_refresh(f, db, applied, &err), &err);
}

/* Engine (refreshed) == SQL, and a fresh build == SQL, on the store as it is now. */
static void check_after_round(struct facts *f, struct twin *tw, struct db *db, uint64_t seed, int n,
                              const char *where, struct tally *tally)
{
    twin_refresh(tw);
    check_stats(f, db, where);
    check_account_lines(f, db, where);
    check_random_queries(f, tw, seed, n, where, tally);
    struct facts *fresh = build_facts(db);
    facts_group_accounts(fresh); /* as the server's: queries must not care about the line order */
    check_stats(fresh, db, where);
    check_account_lines(fresh, db, where);
    check_random_queries(fresh, tw, seed + 1, n / 3, where, tally);
    facts_free(fresh);
}

/* An empty store builds empty facts (the server starts on one), and they catch up from it. */
static void test_empty_store(void **state)
{
    struct fixture *fx = *state;
    struct facts_stats s;
    struct facts *f = build_facts(fx->db);
    facts_stats(f, &s);
    assert_int_equal(s.lines, 0);
    assert_int_equal(s.orders, 0);
    assert_int_equal(check_account_lines(f, fx->db, "empty store"), 0);
    struct gen *g = gen_new(fx->db, 0x5eed0005, 50);
    gen_fill(g, "USD", 5, 5, 40);
    refresh(f, fx->db, NULL);
    check_stats(f, fx->db, "an empty store filled");
    assert_true(check_account_lines(f, fx->db, "an empty store filled") > 0);
    facts_free(f);
    gen_free(g);
}

static void test_incremental(void **state)
{
    struct fixture *fx = *state;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct gen *g = gen_new(fx->db, 0x5eed0003, 3000);
    struct mutation_tally mt = {{0}};
    struct tally tally = {0};
    char where[64];
    gen_fill(g, "USD", 40, 30, 900);
    struct facts *f = build_facts(fx->db);
    struct twin tw;
    twin_init(&tw, fx->db);
    check_random_queries(f, &tw, 0x100, 30, "before updates", &tally);

    for (int round = 1; round <= 6; round++) {
        int64_t applied = 0;
        mutate_round(g, 80, round % 2 + 1, &mt);
        if (round == 4)
            change_rates(g);
        refresh(f, fx->db, &applied);
        assert_true(applied > 0);
        snprintf(where, sizeof(where), "after update round %d", round);
        check_after_round(f, &tw, fx->db, 0x100 + (uint64_t)round * 7, 40, where, &tally);
    }
    int64_t applied = -1;
    refresh(f, fx->db, &applied);
    assert_int_equal(applied, 0);
    check_random_queries(f, &tw, 0x200, 10, "after an empty refresh", &tally);
    for (int m = 0; m < MUT_COUNT; m++)
        assert_true(mt.n[m] > 0);
    report("incremental (6 rounds of 80 changes)", &tally, &t0);
    facts_free(f);
    twin_values_release(&tw);
    gen_free(g);
}

/* Enough replaced lines in one refresh for facts.c to compact (>= 65536 and >= 1/4 of all). */
static void test_compaction(void **state)
{
    struct fixture *fx = *state;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct gen *g = gen_new(fx->db, 0x5eed0004, 6500);
    struct mutation_tally mt = {{0}};
    struct tally tally = {0};
    struct sd_error err = {0};
    struct facts_stats s;
    g->lines_lo = 10; /* fewer orders, as many lines: the writes cost per order */
    g->lines_hi = 14;
    gen_fill(g, "USD", 50, 40, 6200);
    struct facts *f = build_facts(fx->db);
    facts_stats(f, &s);
    int64_t lines = s.lines;
    assert_true(lines > 65536);
    print_message("compaction: %lld lines written in %.1f s\n", (long long)lines,
                  seconds_since(&t0));

    /* A few thousand orders change: their lines die, too few to compact. */
    assert_sd_ok(db_begin(fx->db, &err), &err);
    for (size_t i = 0; i < g->norders; i += 8) {
        g->orders[i].o.status = (enum order_status)((g->orders[i].o.status + 1) % 9);
        put_order(g, &g->orders[i], 0);
    }
    assert_sd_ok(db_commit(fx->db, &err), &err);
    refresh(f, fx->db, NULL);
    facts_stats(f, &s);
    assert_true(s.dead_lines > 0);
    struct twin tw;
    twin_init(&tw, fx->db);
    check_stats(f, fx->db, "before compaction");
    check_account_lines(f, fx->db, "before compaction");
    check_random_queries(f, &tw, 0x300, 3, "before compaction", &tally);

    /* Every order changes status: all lines of the build are now dead. */
    assert_sd_ok(db_begin(fx->db, &err), &err);
    for (size_t i = 0; i < g->norders; i++) {
        g->orders[i].o.status = (enum order_status)((g->orders[i].o.status + 2) % 9);
        put_order(g, &g->orders[i], 0);
    }
    assert_sd_ok(db_commit(fx->db, &err), &err);
    refresh(f, fx->db, NULL);
    facts_stats(f, &s);
    assert_int_equal(s.dead_lines, 0);
    assert_int_equal(s.lines, lines);
    check_after_round(f, &tw, fx->db, 0x310, 6, "after compaction", &tally);

    /* Slots moved: changes after the compaction must find them; a rate change rebuilds. */
    mutate_round(g, 200, 2, &mt);
    change_rates(g);
    refresh(f, fx->db, NULL);
    check_after_round(f, &tw, fx->db, 0x320, 6, "after compaction and updates", &tally);
    report("compaction", &tally, &t0);
    facts_free(f);
    twin_values_release(&tw);
    gen_free(g);
}

/* ---- series ------------------------------------------------------------------------------ */

/* Sums and counts read 0 in an empty bucket; ratios, means and medians have no value. */
static int additive(enum measure m)
{
    switch (m) {
    case MEASURE_REVENUE:
    case MEASURE_COST:
    case MEASURE_MARGIN:
    case MEASURE_UNITS:
    case MEASURE_LINES:
    case MEASURE_ORDERS:
    case MEASURE_ACCOUNTS:
    case MEASURE_NEW_ACCOUNTS:
    case MEASURE_DISCOUNT: return 1;
    default: return 0;
    }
}

static struct query series_query(const struct series_spec *spec, int32_t from, int32_t to)
{
    struct query q = {.measures = 1u << spec->measure,
                      .bucketed = 1,
                      .bucket = spec->bucket,
                      .fy_start_month = spec->fy_start_month,
                      .by = {spec->by, DIM_NONE},
                      .from = from,
                      .to = to,
                      .status_mask = spec->status_mask,
                      .where = spec->where,
                      .nwhere = spec->nwhere};
    return q;
}

static void check_series_periods(const struct series_set *s, const struct series_spec *spec,
                                 int32_t from, int32_t to, const char *where)
{
    size_t n = 0;
    for (struct period p = period_containing(from, spec->bucket, spec->fy_start_month);
         p.first <= to; p = period_containing(p.last + 1, spec->bucket, spec->fy_start_month)) {
        if (n >= s->nperiods || s->periods[n].first != p.first || s->periods[n].last != p.last)
            fail_msg("%s: period %zu is not %d..%d", where, n, (int)p.first, (int)p.last);
        n++;
    }
    if (n != s->nperiods)
        fail_msg("%s: %zu periods, expected %zu", where, s->nperiods, n);
}

/* The value the twin has for (bucket, text), or the blank of the measure. */
static int64_t twin_lookup(const struct twin_result *t, int32_t first, const char *text,
                           int64_t blank, enum measure m)
{
    for (size_t i = 0; i < t->n; i++) {
        if (t->rows[i].first == first && strcmp(t->rows[i].text[0], text) == 0)
            return t->rows[i].value[m];
    }
    return blank;
}

static void check_series(const struct facts *f, struct twin *tw, const struct series_spec *spec,
                         const char *where)
{
    struct sd_error err = {0};
    struct series_set s;
    int32_t from = spec->from != DATE_NONE ? spec->from : tw->lo;
    int32_t to = spec->to != DATE_NONE ? spec->to : tw->hi;
    assert_sd_ok(series_build(f, spec, &s, &err), &err);
    check_series_periods(&s, spec, from, to, where);

    /* The series: the dimension's values with data, or the top ones by their total. */
    struct query totals = series_query(spec, from, to);
    totals.bucketed = 0;
    totals.top = spec->by ? spec->top : 0;
    totals.top_by = spec->measure;
    struct twin_result keys, values;
    twin_run(tw, &totals, &keys);
    struct query bucketed = series_query(spec, from, to);
    twin_run(tw, &bucketed, &values);
    size_t nseries = spec->by ? keys.n : 1;
    if (s.nseries != nseries)
        fail_msg("%s: %zu series, SQL %zu", where, s.nseries, nseries);
    int64_t blank = additive(spec->measure) ? 0 : NONE;
    assert_int_equal(measure_is_additive(spec->measure), additive(spec->measure));
    for (size_t i = 0; i < nseries; i++) {
        const char *text = spec->by ? keys.rows[i].text[0] : "";
        if (spec->by && strcmp(facts_dim_key(f, spec->by, s.key[i]), text) != 0)
            fail_msg("%s: series %zu is '%s', SQL '%s'", where, i,
                     facts_dim_key(f, spec->by, s.key[i]), text);
        for (size_t p = 0; p < s.nperiods; p++) {
            int64_t want = twin_lookup(&values, s.periods[p].first, text, blank, spec->measure);
            int64_t got = s.values[i * s.nperiods + p];
            if (got != want)
                fail_msg("%s: series '%s' period %d: %lld, SQL %lld", where, text,
                         (int)s.periods[p].first, (long long)got, (long long)want);
        }
    }
    twin_result_release(&keys);
    twin_result_release(&values);
    series_release(&s);
}

static void test_series(void **state)
{
    struct fixture *fx = *state;
    struct gen *g = gen_new(fx->db, 0x5eed0005, 1200);
    gen_fill(g, "USD", 40, 25, 1000);
    struct facts *f = build_facts(fx->db);
    struct twin tw;
    twin_init(&tw, fx->db);
    int32_t d0 = g->first_day;
    const char *const regions_wanted[] = {"EMEA", "APAC"};
    const struct query_filter by_region = {DIM_REGION, regions_wanted, 2};
    const struct series_spec specs[] = {
        {MEASURE_REVENUE, PERIOD_MONTH, 1, DIM_NONE, d0, d0 + 700, 0, NULL, 0, 0, NULL},
        {MEASURE_MARGIN_PCT, PERIOD_QUARTER, 1, DIM_REGION, DATE_NONE, DATE_NONE, 0, NULL, 0, 0, NULL},
        {MEASURE_ORDERS, PERIOD_WEEK, 1, DIM_PRODUCT, d0 + 100, d0 + 300, 0, NULL, 0, 5, NULL},
        {MEASURE_ON_TIME_RATE, PERIOD_FQUARTER, 7, DIM_TEAM, DATE_NONE, DATE_NONE, 0, NULL, 0, 0, NULL},
        {MEASURE_UNITS, PERIOD_DAY, 1, DIM_NONE, d0 + 40, d0 + 100, QUERY_BOOKED, NULL, 0, 0, NULL},
        {MEASURE_DAYS_TO_SHIP_MEDIAN, PERIOD_FYEAR, 4, DIM_CATEGORY, DATE_NONE, DATE_NONE, 0, NULL,
         0, 0, NULL},
        {MEASURE_NEW_ACCOUNTS, PERIOD_MONTH, 1, DIM_SEGMENT, DATE_NONE, DATE_NONE, 0, &by_region, 1,
         0, NULL},
        {MEASURE_AOV, PERIOD_YEAR, 1, DIM_REP, d0 - 400, d0 + 2000, 0, NULL, 0, 3, NULL},
        {MEASURE_RETURN_RATE, PERIOD_MONTH, 1, DIM_NONE, DATE_NONE, DATE_NONE,
         QUERY_BOOKED | QUERY_RETURNED, NULL, 0, 0, NULL},
        {MEASURE_DISCOUNT, PERIOD_FQUARTER, 11, DIM_ACCOUNT, d0 + 500, d0 + 800, 0, NULL, 0, 4, NULL},
    };
    for (size_t i = 0; i < COUNT(specs); i++) {
        char where[48];
        snprintf(where, sizeof(where), "series spec %zu (%s)", i,
                 measure_table[specs[i].measure].name);
        check_series(f, &tw, &specs[i], where);
    }
    facts_free(f);
    twin_values_release(&tw);
    gen_free(g);
}

/* ---- the demo company ------------------------------------------------------------------- */

static void test_demo(void **state)
{
    struct fixture *fx = *state;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct sd_error err = {0};
    struct demo_options opt = {
        .scale = DEMO_SMALL, .seed = 1, .today = date_from_civil(2024, 6, 30)};
    struct demo_result result;
    assert_sd_ok(db_bulk_begin(fx->db, &err), &err);
    assert_sd_ok(demo_build(fx->db, &opt, NULL, NULL, &result, &err), &err);
    assert_sd_ok(db_bulk_end(fx->db, &err), &err);
    print_message("demo: %lld orders, %lld lines in %.1f s\n", (long long)result.orders,
                  (long long)result.lines, seconds_since(&t0));
    struct facts *f = build_facts(fx->db);
    check_stats(f, fx->db, "demo");
    /* The demo's accounts buy in USD, EUR and GBP with USD the base: raw nets are kept. */
    int64_t lines = check_account_lines(f, fx->db, "demo");
    assert_true(lines > 1000);
    facts_group_accounts(f);
    check_stats(f, fx->db, "demo, grouped by account");
    assert_int_equal(check_account_lines(f, fx->db, "demo, grouped by account"), lines);
    struct twin tw;
    twin_init(&tw, fx->db);
    struct tally tally = {0};
    check_random_queries(f, &tw, 0xDE30, 150, "demo", &tally);
    check_rep_rows(f, &tw, fx->db, &tally);
    const struct series_spec specs[] = {
        {MEASURE_REVENUE, PERIOD_MONTH, 1, DIM_REGION, DATE_NONE, DATE_NONE, 0, NULL, 0, 0, NULL},
        {MEASURE_ON_TIME_RATE, PERIOD_FQUARTER, 7, DIM_NONE, DATE_NONE, DATE_NONE, 0, NULL, 0, 0, NULL},
        {MEASURE_MARGIN_PCT, PERIOD_WEEK, 1, DIM_CATEGORY, DATE_NONE, DATE_NONE, 0, NULL, 0, 3, NULL},
    };
    for (size_t i = 0; i < COUNT(specs); i++)
        check_series(f, &tw, &specs[i], "demo series");
    report("demo", &tally, &t0);
    facts_free(f);
    twin_values_release(&tw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_twin_by_hand, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats_unrated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_median_without_shipped_orders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_orders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_data_eur_base, setup, teardown),
        cmocka_unit_test_setup_teardown(test_incremental, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_series, setup, teardown),
        cmocka_unit_test_setup_teardown(test_demo, setup, teardown),
    };
    const char *server = getenv("SALESDESK_TEST_PG");
    if (server && *server)
        return test_pg_run_group(server, "query", pg_url, tests, COUNT(tests));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
