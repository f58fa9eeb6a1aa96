/* SPDX-License-Identifier: MIT */
/*
 * gen-orders: the order calendar (which account orders on which day, shaped by
 * each account's weight and rhythm, the season, the weekday and growth), the
 * orders themselves with lines, status history and invoices, the planted
 * problems, and the stock that covers the open orders.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/date.h"
#include "base/json.h"
#include "base/money.h"
#include "base/xalloc.h"
#include "demo/gen-int.h"
#include "base/banned.h"

#define MAX_LINES 60
#define ORDER_ID_BASE 100001

/* Yearly season (Jan..Dec) and week (Mon..Sun) shapes of demand; 12 % growth a year. */
static const double month_factor[12] = {0.85, 0.90, 1.05, 1.00, 1.00, 1.05,
                                        0.90, 0.80, 1.05, 1.10, 1.15, 1.00};
static const double weekday_factor[7] = {1.10, 1.15, 1.10, 1.05, 0.90, 0.12, 0.08};
#define GROWTH_PER_YEAR 1.12

double gen_mean_lines(enum segment segment)
{
    static const double mean[SEG_COUNT] = {14.0, 7.0, 3.5};
    return mean[segment];
}

double gen_mean_qty(enum segment segment)
{
    static const double mean[SEG_COUNT] = {40.0, 14.0, 5.0};
    return mean[segment];
}

static double demand_factor(const struct gen *g, int32_t day)
{
    int y, m, d;
    date_to_civil(day, &y, &m, &d);
    double growth = pow(GROWTH_PER_YEAR, (day - g->first_day) / 365.0);
    return month_factor[m - 1] * weekday_factor[date_weekday(day) - 1] * growth;
}

static double max_demand_factor(const struct gen *g)
{
    return 1.15 * 1.15 * pow(GROWTH_PER_YEAR, (g->today - g->first_day) / 365.0);
}

/* Mean acceptance of the thinning over the whole history. */
static double mean_acceptance(const struct gen *g)
{
    double sum = 0, top = max_demand_factor(g);
    for (int32_t day = g->first_day; day <= g->today; day++)
        sum += demand_factor(g, day) / top;
    return sum / (g->today - g->first_day + 1);
}

/*
 * Sets each account's mean gap between candidate orders so that the expected
 * lines over all accounts meet the scale's target.
 */
static void calibrate_gaps(struct gen *g)
{
    double days = g->today - g->first_day + 1;
    double acceptance = mean_acceptance(g);
    double lines_per_weight = 0;
    for (int i = 0; i < g->n_accounts; i++) {
        const struct gen_account *a = &g->accounts[i];
        double active = (a->last_day - a->first_day + 1) / days;
        lines_per_weight += a->weight * gen_mean_lines(a->segment) * active;
    }
    double k = (double)g->spec->target_lines / lines_per_weight;
    for (int i = 0; i < g->n_accounts; i++)
        g->accounts[i].gap_mean = days * acceptance / (k * g->accounts[i].weight);
}

static void add_order(struct gen *g, int32_t day, int account, uint64_t line_seed, int plant,
                      int role)
{
    struct gen_order *o = vec_push_zero(&g->orders);
    o->day = day;
    o->account = (uint32_t)account;
    o->line_seed = line_seed;
    o->plant = (uint8_t)plant;
    o->role = (uint8_t)role;
    o->seq = (uint32_t)(g->orders.len - 1);
}

/* A renewal process per account, thinned by the demand factor of each day. */
static void draw_account_orders(struct gen *g, int index)
{
    const struct gen_account *a = &g->accounts[index];
    struct rng *r = &g->rng;
    double top = max_demand_factor(g);
    double t = a->first_day + rng_unit(r) * a->gap_mean;
    while (t < a->last_day + 1) {
        int32_t day = (int32_t)t;
        if (rng_unit(r) * top < demand_factor(g, day))
            add_order(g, day, index, rng_next(r), PLANT_NONE, ROLE_NORMAL);
        double jitter = (1.0 - a->regularity) * -log(1.0 - rng_unit(r)) + a->regularity;
        t += a->gap_mean * jitter;
    }
}

int gen_account_may_have_open_orders(const struct gen *g, const struct gen_account *a)
{
    return a->last_order_day != DATE_NONE && a->last_order_day > g->today - GEN_MAX_LEAD_DAYS;
}

/*
 * An active, prompt-paying, established account with no plant yet. A planted
 * CREDIT_LIMIT or OVERDUE_INVOICES is a problem of the whole account (the
 * planted order's net, the companion's overdue invoice), so it goes to an
 * account none of whose ordinary orders is still open: those would be blocked
 * too without being planted.
 */
static int pick_plant_account(struct gen *g, int plant)
{
    int whole_account = plant == PLANT_CREDIT_LIMIT || plant == PLANT_OVERDUE_INVOICES;
    for (int tries = 0; tries < 10000; tries++) {
        int i = (int)(rng_next(&g->rng) % (uint64_t)g->n_accounts);
        struct gen_account *a = &g->accounts[i];
        if (!a->plant && a->status == 0 && a->payer == PAYER_PROMPT &&
            a->first_day < g->today - 200 &&
            !(whole_account && gen_account_may_have_open_orders(g, a))) {
            a->plant = plant;
            return i;
        }
    }
    return (int)(rng_next(&g->rng) % (uint64_t)g->n_accounts);
}

/*
 * The day a planted order is placed: fresh ones in the last three days. A
 * planted shortage is placed today, after every other order (see
 * draw_plants), so that no open order comes after it in the doctor's
 * allocation of stock: a later order would find the capped stock gone too.
 */
static int32_t plant_day(struct gen *g, int plant)
{
    switch (plant) {
    case PLANT_STOCK_SHORT: return g->today;
    case PLANT_STUCK_IN_STATUS: return g->today - GEN_OPEN_DAYS;
    case PLANT_LATE_AGAINST_PROMISE: return g->today - 20;
    case PLANT_SHIPPED_NOT_INVOICED:
    case PLANT_INVOICE_MISMATCH: return g->today - 30;
    case PLANT_DUPLICATE_ORDER: return g->today - 1;
    default: return g->today - (int32_t)rng_range(&g->rng, 0, 2);
    }
}

static void draw_plant(struct gen *g, int plant, size_t count)
{
    for (size_t k = 0; k < count; k++) {
        int account = pick_plant_account(g, plant);
        uint64_t seed = rng_next(&g->rng);
        if (plant == PLANT_DUPLICATE_ORDER)
            add_order(g, g->today - 2, account, seed, PLANT_NONE, ROLE_DUPLICATE_ORIGINAL);
        if (plant == PLANT_OVERDUE_INVOICES)
            add_order(g, g->today - 120, account, rng_next(&g->rng), PLANT_NONE,
                      ROLE_OVERDUE_COMPANION);
        add_order(g, plant_day(g, plant), account, seed, plant, ROLE_NORMAL);
    }
}

/* Planted orders, drawn after the ordinary ones; the shortages last of all. */
static void draw_plants(struct gen *g, size_t normal_orders)
{
    size_t per_code = normal_orders / 2500;
    per_code = per_code < 6 ? 6 : per_code > 50 ? 50 : per_code;
    for (int plant = 1; plant < PLANT_COUNT; plant++) {
        if (plant != PLANT_STOCK_SHORT)
            draw_plant(g, plant, per_code);
    }
    draw_plant(g, PLANT_STOCK_SHORT, per_code);
}

/* Each account's last ordinary order day, before plants are added. */
static void note_last_orders(struct gen *g)
{
    for (int i = 0; i < g->n_accounts; i++)
        g->accounts[i].last_order_day = DATE_NONE;
    for (size_t i = 0; i < g->orders.len; i++) {
        const struct gen_order *o = VEC_AT(&g->orders, struct gen_order, i);
        struct gen_account *a = &g->accounts[o->account];
        if (a->last_order_day == DATE_NONE || o->day > a->last_order_day)
            a->last_order_day = o->day;
    }
}

static int compare_orders(const void *x, const void *y)
{
    const struct gen_order *a = x, *b = y;
    if (a->day != b->day)
        return a->day < b->day ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

int gen_order_calendar(struct gen *g)
{
    calibrate_gaps(g);
    for (int i = 0; i < g->n_accounts; i++)
        draw_account_orders(g, i);
    note_last_orders(g);
    draw_plants(g, g->orders.len);
    qsort(g->orders.items, g->orders.len, sizeof(struct gen_order), compare_orders);
    g->n_quarters = gen_quarter_index(g, g->today) + 2;
    g->rep_quarter_revenue =
        xcalloc((size_t)g->n_reps * (size_t)g->n_quarters, sizeof(*g->rep_quarter_revenue));
    return 0;
}

/* ---- one order ---- */

/* Everything written for one order, built before it goes to the store. */
struct order_plan {
    struct order order;
    struct order_line lines[MAX_LINES];
    size_t n_lines;
    int rep;         /* rep index */
    int invoiced;    /* write an invoice */
    struct invoice invoice;
    char ext_id[16];
    char invoice_ext_id[20];
};

static int product_available(const struct gen_product *p, int32_t day, struct rng *r)
{
    if (p->discontinued_day != DATE_NONE && day >= p->discontinued_day)
        return 0;
    if (p->launch_day == DATE_NONE)
        return 1;
    if (day < p->launch_day)
        return 0;
    double adoption = (day - p->launch_day) / 240.0; /* S-shaped ramp over eight months */
    return adoption >= 1.0 || rng_unit(r) < adoption * adoption * (3 - 2 * adoption);
}

static int64_t draw_discount(struct rng *r, enum segment segment, int64_t limit)
{
    static const int64_t choices[SEG_COUNT][4] = {
        {50000, 100000, 120000, 150000}, {0, 50000, 80000, 100000}, {0, 0, 20000, 50000}};
    int64_t d = rng_chance(r, segment == SEG_SMB ? 0.7 : 0.4) ? 0 : choices[segment][rng_next(r) % 4];
    return d > limit ? limit : d;
}

static int64_t draw_count(struct rng *r, double mean, int64_t max)
{
    int64_t n = 1 + (int64_t)(-log(1.0 - rng_unit(r)) * (mean - 1.0));
    return n > max ? max : n;
}

/* Lines drawn from `seed` as of `day`: the same seed and day give the same lines. */
static void draw_lines(struct gen *g, struct order_plan *p, const struct gen_account *a,
                       uint64_t seed, int32_t day)
{
    struct rng r;
    rng_seed(&r, seed);
    int64_t wanted = draw_count(&r, gen_mean_lines(a->segment), MAX_LINES);
    int64_t limit = g->reps[p->rep].discount_limit;
    p->n_lines = 0;
    for (int64_t tries = 0; (int64_t)p->n_lines < wanted && tries < wanted * 8; tries++) {
        size_t idx = rng_pick_cdf(&r, g->product_cdf, (size_t)g->n_products);
        const struct gen_product *prod = &g->products[idx];
        int duplicate = 0;
        for (size_t k = 0; k < p->n_lines; k++)
            duplicate |= p->lines[k].product_id == prod->id;
        if (duplicate || !product_available(prod, day, &r))
            continue;
        struct order_line *l = &p->lines[p->n_lines++];
        l->line_no = (int)p->n_lines;
        l->product_id = prod->id;
        l->qty = draw_count(&r, gen_mean_qty(a->segment), 5000);
        l->unit_price = prod->list_price;
        l->discount = draw_discount(&r, a->segment, limit);
    }
}

static int64_t plan_net(const struct order_plan *p)
{
    int64_t total = 0;
    for (size_t i = 0; i < p->n_lines; i++) {
        int64_t net = 0;
        money_line_net(p->lines[i].unit_price, p->lines[i].qty, p->lines[i].discount, &net);
        total += net;
    }
    return total;
}

static void ship_all(struct order_plan *p, int partial, struct rng *r)
{
    for (size_t i = 0; i < p->n_lines; i++)
        p->lines[i].shipped_qty = p->lines[i].qty;
    if (partial && p->n_lines > 0) {
        struct order_line *l = &p->lines[rng_next(r) % p->n_lines];
        l->shipped_qty = l->qty * (int64_t)rng_range(r, 40, 90) / 100;
    }
}

/*
 * When a late or bad payer pays an invoice that would still be unpaid on
 * today. Credit control chases the accounts that still order: one that may
 * have an open order on today stays within the doctor's overdue policy (at
 * most GEN_OVERDUE_MAX_COUNT - 1 invoices past due, none more than
 * GEN_OVERDUE_GRACE_DAYS), or its orders would be blocked without being
 * planted. Its other invoices were paid late, up to 180 days past due.
 * Accounts that have stopped ordering keep their overdue invoices.
 */
static int32_t chased_payment(struct gen *g, struct gen_account *a, int32_t due, int32_t pay,
                              struct rng *r)
{
    if (pay <= g->today || due >= g->today || !gen_account_may_have_open_orders(g, a))
        return pay;
    if (g->today - due <= GEN_OVERDUE_GRACE_DAYS && a->n_overdue + 1 < GEN_OVERDUE_MAX_COUNT)
        return pay;
    int32_t first = due + 5 < g->today ? due + 5 : g->today;
    int32_t last = due + 180 < g->today ? due + 180 : g->today;
    return (int32_t)rng_range(r, first, last);
}

static void plan_invoice(struct gen *g, struct order_plan *p, struct gen_account *a, int32_t issue,
                         int unpaid, struct rng *r)
{
    struct invoice *inv = &p->invoice;
    snprintf(p->invoice_ext_id, sizeof(p->invoice_ext_id), "INV-%s", p->ext_id);
    p->invoiced = 1;
    *inv = (struct invoice){
        .source = DEMO_SOURCE,
        .ext_id = p->invoice_ext_id,
        .account_id = a->id,
        .issue_date = issue,
        .due_date = issue + a->terms_days,
        .amount = plan_net(p),
        .paid_date = DATE_NONE,
        .currency = a->currency,
    };
    int32_t pay = inv->due_date - (int32_t)rng_range(r, 0, 10);
    if (a->payer == PAYER_LATE)
        pay = inv->due_date + (int32_t)rng_range(r, 5, 60);
    else if (a->payer == PAYER_BAD)
        pay = rng_chance(r, 0.3) ? INT32_MAX : inv->due_date + (int32_t)rng_range(r, 20, 120);
    if (!unpaid)
        pay = chased_payment(g, a, inv->due_date, pay, r);
    if (!unpaid && pay <= g->today) {
        inv->paid_amount = inv->amount;
        inv->paid_date = pay;
        p->order.status = ORDER_PAID;
        p->order.status_date = pay;
    } else {
        p->order.status = ORDER_INVOICED;
        p->order.status_date = issue;
        if (inv->due_date < g->today)
            a->n_overdue++;
    }
}

/* Status, dates, shipment and invoice of an ordinary order. */
static void plan_lifecycle(struct gen *g, struct order_plan *p, struct gen_account *a,
                           int companion, struct rng *r)
{
    struct order *o = &p->order;
    int32_t day = o->order_date, age = g->today - day;
    int32_t lead = 1 + (int32_t)draw_count(r, 4.0, GEN_MAX_LEAD_DAYS - 1);
    o->requested_date = day + (int32_t)rng_range(r, 3, 21);
    o->promised_date = day + lead + (int32_t)rng_range(r, 0, 4);
    if (!companion && age > 3 && rng_chance(r, 0.02)) {
        o->status = ORDER_CANCELLED;
        o->status_date = day + (int32_t)rng_range(r, 0, 3);
        return;
    }
    if (day + lead > g->today) {
        o->status = age <= 1 ? ORDER_PENDING : ORDER_CONFIRMED;
        o->status_date = age <= 1 ? day : day + 1;
        if (a->status == 1 || rng_chance(r, 0.01)) {
            o->status = ORDER_ON_HOLD;
            o->status_date = g->today - (int32_t)rng_range(r, 0, age < 2 ? age : 2);
        } else if (o->status == ORDER_CONFIRMED && p->n_lines > 1 && rng_chance(r, 0.05)) {
            p->lines[0].shipped_qty = p->lines[0].qty; /* a partial shipment */
        }
        return;
    }
    o->ship_date = day + lead;
    ship_all(p, rng_chance(r, 0.03), r);
    if (!companion && age > 30 && rng_chance(r, 0.01)) {
        o->status = ORDER_RETURNED;
        o->status_date = o->ship_date + (int32_t)rng_range(r, 5, 20);
        return;
    }
    int32_t issue = o->ship_date + (int32_t)rng_range(r, 0, 2);
    if (issue > g->today) {
        o->status = ORDER_SHIPPED;
        o->status_date = o->ship_date;
        return;
    }
    plan_invoice(g, p, a, issue, companion, r);
}

/* A discontinued product, deterministic per draw. */
static const struct gen_product *any_discontinued(struct gen *g, struct rng *r)
{
    int start = (int)(rng_next(r) % (uint64_t)g->n_products);
    for (int k = 0; k < g->n_products; k++) {
        const struct gen_product *p = &g->products[(start + k) % g->n_products];
        if (p->discontinued_day != DATE_NONE)
            return p;
    }
    return &g->products[0];
}

static struct gen_product *product_of(struct gen *g, int64_t id)
{
    /* Products are written in index order, so ids are consecutive. */
    return &g->products[id - g->products[0].id];
}

/* Makes the order's net exceed the account's credit limit by 30 %. */
static void plant_credit_limit(struct order_plan *p, const struct gen_account *a)
{
    int64_t target = a->credit_limit + a->credit_limit * 3 / 10;
    int64_t net = plan_net(p);
    struct order_line *l = &p->lines[0];
    int64_t unit_net = 0;
    money_line_net(l->unit_price, 1, l->discount, &unit_net);
    if (net < target && unit_net > 0)
        l->qty += (target - net) / unit_net + 1;
}

/* Caps the stock of the first line's product below what this order needs. */
static void plant_stock_short(struct gen *g, struct order_plan *p)
{
    for (size_t i = 0; i < p->n_lines; i++) {
        struct gen_product *prod = product_of(g, p->lines[i].product_id);
        if (prod->stock_cap >= 0)
            continue;
        prod->stock_cap = prod->open_demand + p->lines[i].qty / 2;
        return;
    }
}

static void plant_fresh_dates(struct gen *g, struct order *o, struct rng *r)
{
    o->status = ORDER_PENDING;
    o->status_date = o->order_date;
    o->requested_date = g->today + (int32_t)rng_range(r, 8, 16);
    o->promised_date = g->today + (int32_t)rng_range(r, 7, 14);
}

static void plant_open_problem(struct gen *g, struct order_plan *p, struct gen_account *a,
                               int plant, struct rng *r)
{
    struct order_line *l = &p->lines[0];
    switch (plant) {
    case PLANT_CREDIT_LIMIT: plant_credit_limit(p, a); break;
    case PLANT_STOCK_SHORT: plant_stock_short(g, p); break;
    case PLANT_DISCONTINUED_PRODUCT: {
        const struct gen_product *d = any_discontinued(g, r);
        l->product_id = d->id;
        l->unit_price = d->list_price;
        for (size_t i = 1; i < p->n_lines; i++) /* keep products unique in the order */
            if (p->lines[i].product_id == d->id)
                p->lines[i].product_id = p->lines[0].product_id;
        break;
    }
    case PLANT_PRICE_BELOW_LIST:
        l->unit_price = product_of(g, l->product_id)->list_price * 70 / 100 / 100 * 100;
        l->discount = 0;
        break;
    case PLANT_DISCOUNT_OVER_LIMIT: l->discount = g->reps[p->rep].discount_limit + 100000; break;
    case PLANT_STUCK_IN_STATUS:
        p->order.requested_date = g->today + 12;
        p->order.promised_date = g->today + 10;
        break;
    case PLANT_LATE_AGAINST_PROMISE:
        p->order.status = ORDER_CONFIRMED;
        p->order.status_date = g->today - 3;
        p->order.requested_date = g->today - 4;
        p->order.promised_date = g->today - 5;
        break;
    default: break;
    }
}

static void plant_shipped(struct gen *g, struct order_plan *p, struct gen_account *a, int plant,
                          struct rng *r)
{
    struct order *o = &p->order;
    o->ship_date = g->today - 25;
    o->requested_date = o->order_date + 7;
    o->promised_date = g->today - 24;
    ship_all(p, 0, r);
    o->status = ORDER_SHIPPED;
    o->status_date = o->ship_date;
    if (plant != PLANT_INVOICE_MISMATCH)
        return;
    plan_invoice(g, p, a, g->today - 24, 1, r);
    int64_t extra = p->invoice.amount * 7 / 100 / 100 * 100;
    p->invoice.amount += extra > 100 ? extra : 100;
}

static void apply_plant(struct gen *g, struct order_plan *p, struct gen_account *a, int plant,
                        struct rng *r)
{
    if (p->n_lines == 0)
        return;
    if (plant == PLANT_SHIPPED_NOT_INVOICED || plant == PLANT_INVOICE_MISMATCH) {
        plant_shipped(g, p, a, plant, r);
        return;
    }
    plant_fresh_dates(g, &p->order, r);
    plant_open_problem(g, p, a, plant, r);
}

/* The order's lines as the doctor compares them: (product, qty) pairs in any order. */
static uint64_t lines_signature(const struct order_plan *p)
{
    uint64_t sum = p->n_lines;
    for (size_t i = 0; i < p->n_lines; i++) {
        uint64_t x = (uint64_t)p->lines[i].product_id * 0x9E3779B97F4A7C15u ^
                     (uint64_t)p->lines[i].qty * 0xC2B2AE3D27D4EB4Fu;
        x ^= x >> 31;
        x *= 0xBF58476D1CE4E5B9u;
        x ^= x >> 29;
        sum += x;
    }
    return sum;
}

static int repeats_recent(const struct gen_account *a, uint64_t signature, int32_t day)
{
    int n = a->n_recent < GEN_RECENT_ORDERS ? a->n_recent : GEN_RECENT_ORDERS;
    for (int k = 0; k < n; k++) {
        if (a->recent_lines[k] == signature && day - a->recent_days[k] <= GEN_DUPLICATE_DAYS)
            return 1;
    }
    return 0;
}

/*
 * An ordinary order whose lines happen to equal those of one of the account's
 * orders of the last GEN_DUPLICATE_DAYS days (small orders of a popular product
 * do, at the large scale) takes one unit more on its first line: the doctor
 * would rightly call it a DUPLICATE_ORDER, which only the planted ones are.
 */
static void avoid_repeat(const struct gen_account *a, struct order_plan *p, int32_t day)
{
    while (p->n_lines > 0 && repeats_recent(a, lines_signature(p), day))
        p->lines[0].qty++;
}

static void remember_lines(struct gen_account *a, const struct order_plan *p)
{
    int k = a->n_recent++ % GEN_RECENT_ORDERS; /* orders come in date order: drop the oldest */
    a->recent_lines[k] = lines_signature(p);
    a->recent_days[k] = p->order.order_date;
}

static void plan_order(struct gen *g, const struct gen_order *go, size_t index,
                       struct order_plan *p)
{
    struct gen_account *a = &g->accounts[go->account];
    struct rng r;
    rng_seed(&r, g->opt->seed ^ (index * 0x9E3779B97F4A7C15u) ^ 0x5bd1e995u);
    memset(p, 0, sizeof(*p));
    snprintf(p->ext_id, sizeof(p->ext_id), "%zu", ORDER_ID_BASE + index);
    int use_manager = a->manager_rep >= 0 && !a->plant && rng_chance(&r, 0.1);
    p->rep = use_manager ? a->manager_rep : a->owner_rep;
    p->order = (struct order){
        .source = DEMO_SOURCE,
        .ext_id = p->ext_id,
        .account_id = a->id,
        .rep_id = g->reps[p->rep].id,
        .order_date = go->day,
        .ship_date = DATE_NONE,
        .currency = a->currency,
        .ship_country = a->country,
        .ship_address = a->address,
    };
    /* A duplicate and its original draw their lines as of the original's day. */
    int dup = go->plant == PLANT_DUPLICATE_ORDER || go->role == ROLE_DUPLICATE_ORIGINAL;
    draw_lines(g, p, a, go->line_seed, dup ? g->today - 2 : go->day);
    if (go->plant != PLANT_DUPLICATE_ORDER)
        avoid_repeat(a, p, go->day);
    if (go->plant)
        apply_plant(g, p, a, go->plant, &r);
    else if (go->role == ROLE_DUPLICATE_ORIGINAL)
        plant_fresh_dates(g, &p->order, &r);
    else
        plan_lifecycle(g, p, a, go->role == ROLE_OVERDUE_COMPANION, &r);
    if (p->order.status_date > g->today)
        p->order.status_date = g->today;
}

static void record_open_demand(struct gen *g, const struct order_plan *p)
{
    if (!order_status_is_open(p->order.status))
        return;
    for (size_t i = 0; i < p->n_lines; i++)
        product_of(g, p->lines[i].product_id)->open_demand +=
            p->lines[i].qty - p->lines[i].shipped_qty;
}

/* What the order adds to its account's exposure on today (see gen_review_credit). */
static void record_exposure(const struct order_plan *p, struct gen_account *a)
{
    if (order_status_is_open(p->order.status))
        a->exposure += plan_net(p);
    if (p->invoiced)
        a->exposure += p->invoice.amount - p->invoice.paid_amount;
}

static void record_revenue(struct gen *g, const struct order_plan *p, struct gen_account *a)
{
    if (p->order.status == ORDER_CANCELLED)
        return;
    int64_t base = gen_to_base(g, plan_net(p), a->currency, p->order.order_date);
    int q = gen_quarter_index(g, p->order.order_date);
    g->rep_quarter_revenue[(size_t)p->rep * (size_t)g->n_quarters + (size_t)q] += base;
    a->revenue += base;
}

static void record_samples(struct gen *g, const struct gen_order *go, const struct order_plan *p)
{
    struct demo_result *res = g->result;
    if (go->plant && !res->planted_sample[go->plant][0]) {
        snprintf(res->planted_sample[go->plant], sizeof(res->planted_sample[0]), "%s",
                 p->ext_id);
    }
    if (!go->plant && go->role == ROLE_NORMAL && p->order.status == ORDER_CONFIRMED &&
        !g->accounts[go->account].plant) {
        for (int i = 0; i < DEMO_SAMPLE_MAX; i++) {
            if (!res->recent_orders[i][0]) {
                snprintf(res->recent_orders[i], sizeof(res->recent_orders[0]), "%s", p->ext_id);
                break;
            }
        }
    }
}

static int write_order(struct gen *g, const struct gen_order *go, size_t index)
{
    struct order_plan p;
    struct gen_account *a = &g->accounts[go->account];
    plan_order(g, go, index, &p);
    record_open_demand(g, &p);
    enum store_write w;
    int rc = store_order_upsert(g->db, &p.order, p.lines, p.n_lines, &w, g->err);
    if (rc == 0 && index == 0)
        g->first_order_id = p.order.id;
    /* Requests refer to orders by calendar index: ids must follow it. */
    if (rc == 0 && p.order.id != g->first_order_id + (int64_t)index)
        rc = sd_error_set(g->err, SD_ERR, "demo: order ids are not consecutive");
    if (rc == 0 && p.invoiced) {
        p.invoice.order_id = p.order.id;
        rc = store_invoice_upsert(g->db, &p.invoice, &w, g->err);
    }
    if (rc == 0 && go->plant)
        rc = store_demo_planted_add(g->db, p.ext_id, demo_plant_code(go->plant), g->err);
    remember_lines(a, &p);
    record_exposure(&p, a);
    record_revenue(g, &p, a);
    record_samples(g, go, &p);
    g->result->orders++;
    g->result->lines += (int64_t)p.n_lines;
    return rc;
}

int gen_write_orders(struct gen *g)
{
    size_t n = g->orders.len;
    for (size_t i = 0; i < n; i++) {
        int rc = write_order(g, VEC_AT(&g->orders, struct gen_order, i), i);
        if (rc)
            return rc;
        if (i % 4096 == 0)
            gen_progress(g, "orders", i, n);
    }
    gen_progress(g, "orders", n, n);
    return 0;
}

/* Stock covers open demand with a buffer, except where a shortage is planted. */
int gen_write_stock(struct gen *g)
{
    for (int i = 0; i < g->n_products; i++) {
        struct gen_product *p = &g->products[i];
        struct stock_level main = {.product_id = p->id, .warehouse = "MAIN"};
        int64_t buffer = rng_range(&g->rng, 40, 400);
        if (p->stock_cap >= 0) {
            main.on_hand = p->stock_cap;
        } else if (p->discontinued_day != DATE_NONE) {
            main.on_hand = rng_range(&g->rng, 0, 20);
        } else {
            main.on_hand = p->open_demand + buffer;
            main.reserved = rng_range(&g->rng, 0, buffer / 4);
        }
        enum store_write w;
        int rc = store_stock_set(g->db, &main, &w, g->err);
        if (rc == 0 && p->stock_cap < 0 && rng_chance(&g->rng, 0.5)) {
            struct stock_level east = {.product_id = p->id, .warehouse = "EAST",
                                       .on_hand = rng_range(&g->rng, 0, 300)};
            rc = store_stock_set(g->db, &east, &w, g->err);
        }
        if (rc)
            return rc;
    }
    return 0;
}
