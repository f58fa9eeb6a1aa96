/* SPDX-License-Identifier: MIT */
/*
 * query: one pass over the facts' columns per query. A plan turns the query
 * into flat tables (day → bucket, dimension value → group key, per-account,
 * per-rep and per-product filter masks); each thread scans a run of whole
 * orders into its own dense accumulators; the threads' accumulators are then
 * summed and the groups turned into rows.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "base/xalloc.h"
#include "engine/facts-int.h"
#include "engine/query-int.h"
#include "store/model.h"
#include "base/banned.h"

#define MAX_THREADS 16
#define LINES_PER_THREAD_MIN 262144

const struct measure_info measure_table[MEASURE_COUNT] = {
    [MEASURE_REVENUE] = {"revenue", "Revenue", UNIT_MONEY, 1,
                         "net of booked lines, in the base currency"},
    [MEASURE_COST] = {"cost", "Cost", UNIT_MONEY, 0, "qty x the product's cost, booked lines"},
    [MEASURE_MARGIN] = {"margin", "Gross margin", UNIT_MONEY, 1, "revenue - cost"},
    [MEASURE_MARGIN_PCT] = {"margin_pct", "Gross margin %", UNIT_PERCENT, 1,
                            "margin / revenue x 100"},
    [MEASURE_UNITS] = {"units", "Units", UNIT_COUNT, 1, "sum of qty, booked lines"},
    [MEASURE_LINES] = {"lines", "Order lines", UNIT_COUNT, 1, "booked lines"},
    [MEASURE_ORDERS] = {"orders", "Orders", UNIT_COUNT, 1, "distinct orders with a booked line"},
    [MEASURE_ACCOUNTS] = {"accounts", "Active accounts", UNIT_COUNT, 1,
                          "distinct accounts with a booked line"},
    [MEASURE_NEW_ACCOUNTS] = {"new_accounts", "New accounts", UNIT_COUNT, 1,
                              "accounts whose first booked order ever falls in the group"},
    [MEASURE_AOV] = {"aov", "Average order value", UNIT_MONEY, 1, "revenue / orders"},
    [MEASURE_ON_TIME_RATE] = {"on_time_rate", "On-time ship rate", UNIT_PERCENT, 1,
                              "shipped orders with a promised (else requested) date: "
                              "shipped on or before it, %"},
    [MEASURE_DAYS_TO_SHIP] = {"days_to_ship", "Days to ship (mean)", UNIT_DAYS, 0,
                              "shipped orders: ship date - order date, mean"},
    [MEASURE_DAYS_TO_SHIP_MEDIAN] = {"days_to_ship_median", "Days to ship (median)", UNIT_DAYS,
                                     0, "shipped orders: ship date - order date, median"},
    [MEASURE_FILL_RATE] = {"fill_rate", "Fill rate", UNIT_PERCENT, 1,
                           "shipped qty / ordered qty x 100, booked lines"},
    [MEASURE_RETURN_RATE] = {"return_rate", "Return rate", UNIT_PERCENT, 0,
                             "net of returned orders / (booked + returned net) x 100"},
    [MEASURE_DISCOUNT] = {"discount", "Discount given", UNIT_MONEY, 0,
                          "qty x unit price - net, booked lines"},
    [MEASURE_PIPELINE] = {"pipeline", "Open pipeline", UNIT_MONEY, 1,
                          "amount of the opportunities open at the end"},
    [MEASURE_WEIGHTED_PIPELINE] = {"weighted_pipeline", "Weighted pipeline", UNIT_MONEY, 1,
                                   "open amount x the win share of each one's stage"},
    [MEASURE_WIN_RATE] = {"win_rate", "Win rate", UNIT_PERCENT, 1,
                          "opportunities closed: won / (won + lost), %"},
    [MEASURE_DEALS_WON] = {"deals_won", "Deals won", UNIT_COUNT, 1, "opportunities won"},
    [MEASURE_AVG_DEAL] = {"avg_deal", "Average deal size", UNIT_MONEY, 1,
                          "amount won / deals won"},
    [MEASURE_SALES_CYCLE] = {"sales_cycle", "Sales cycle", UNIT_DAYS, 0,
                             "deals won: closed - created day, mean"},
    [MEASURE_REQUESTS] = {"requests", "Customer requests", UNIT_COUNT, 0, "requests opened"},
    [MEASURE_FIRST_RESPONSE] = {"first_response", "First response time", UNIT_HOURS, 0,
                                "requests opened and answered: hours to the first response"},
    [MEASURE_RESOLUTION] = {"resolution", "Resolution time", UNIT_HOURS, 0,
                            "requests opened and resolved: hours to resolution"},
    [MEASURE_SLA_BREACH_RATE] = {"sla_breach_rate", "SLA breach rate", UNIT_PERCENT, 0,
                                 "requests opened: past the first-response or resolution SLA "
                                 "of their priority, %"},
    [MEASURE_RECEIVABLES] = {"receivables", "Receivables", UNIT_MONEY, 0,
                             "invoiced and not paid at the end"},
    [MEASURE_OVERDUE] = {"overdue", "Overdue receivables", UNIT_MONEY, 0,
                         "receivables past their due day at the end"},
    [MEASURE_DSO] = {"dso", "Days sales outstanding", UNIT_DAYS, 0,
                     "receivables / invoiced in the last 90 days x 90"},
};

int measure_parse(const char *name, enum measure *out, struct sd_error *err)
{
    for (int m = 0; m < MEASURE_COUNT; m++) {
        if (strcmp(name, measure_table[m].name) == 0) {
            *out = (enum measure)m;
            return 0;
        }
    }
    char known[512];
    size_t len = 0;
    for (int m = 0; m < MEASURE_COUNT && len < sizeof(known) - 40; m++) {
        size_t l = strlen(measure_table[m].name);
        memcpy(known + len, measure_table[m].name, l);
        len += l;
        if (m + 1 < MEASURE_COUNT) {
            memcpy(known + len, ", ", 2);
            len += 2;
        }
    }
    known[len] = '\0';
    return sd_error_set(err, SD_EINVAL, "unknown measure '%s' (%s)", name, known);
}

const char *measure_unit_name(enum measure_unit unit)
{
    static const char *const names[] = {"money", "count", "percent", "days", "hours"};
    return names[unit];
}

/* Accumulators, as bits: which the measures asked for need. */
enum {
    A_NET = 1 << 0,
    A_COST = 1 << 1,
    A_QTY = 1 << 2,
    A_SHIPPED = 1 << 3,
    A_LINES = 1 << 4,
    A_RET = 1 << 5,
    A_DISC = 1 << 6,
    A_ORDERS = 1 << 7,
    A_SHIP = 1 << 8,
    A_MEDIAN = 1 << 9,
    A_ACCOUNTS = 1 << 10,
    A_NEW = 1 << 11,
};

static const unsigned measure_needs[MEASURE_COUNT] = {
    [MEASURE_REVENUE] = A_NET,
    [MEASURE_COST] = A_COST,
    [MEASURE_MARGIN] = A_NET | A_COST,
    [MEASURE_MARGIN_PCT] = A_NET | A_COST,
    [MEASURE_UNITS] = A_QTY,
    [MEASURE_LINES] = A_LINES,
    [MEASURE_ORDERS] = A_ORDERS,
    [MEASURE_ACCOUNTS] = A_ACCOUNTS,
    [MEASURE_NEW_ACCOUNTS] = A_NEW,
    [MEASURE_AOV] = A_NET | A_ORDERS,
    [MEASURE_ON_TIME_RATE] = A_ORDERS | A_SHIP,
    [MEASURE_DAYS_TO_SHIP] = A_ORDERS | A_SHIP,
    [MEASURE_DAYS_TO_SHIP_MEDIAN] = A_ORDERS | A_MEDIAN,
    [MEASURE_FILL_RATE] = A_QTY | A_SHIPPED,
    [MEASURE_RETURN_RATE] = A_NET | A_RET,
    [MEASURE_DISCOUNT] = A_DISC,
};

/* (group, value) pairs, for distinct counts: open addressing, key 0 unused (+1 offset). */
struct pairset {
    uint64_t *keys;
    size_t cap, count;
};

struct median_pair {
    uint32_t group;
    int32_t days;
};

struct acc {
    int64_t *hits, *net, *cost, *qty, *shipped, *lines, *ret, *disc;
    int64_t *orders, *ship_n, *ship_days, *due_n, *on_time;
    uint32_t *last_order;
    struct pairset accounts, news;
    struct median_pair *medians;
    size_t nmedians, median_cap;
};

/* ---- pair sets ---- */

static void pairset_add(struct pairset *s, uint64_t key);

static void pairset_grow(struct pairset *s)
{
    struct pairset old = *s;
    s->cap = old.cap ? old.cap * 2 : 1024;
    s->count = 0;
    s->keys = xcalloc(s->cap, sizeof(*s->keys));
    for (size_t i = 0; i < old.cap; i++) {
        if (old.keys[i])
            pairset_add(s, old.keys[i] - 1);
    }
    free(old.keys);
}

static void pairset_add(struct pairset *s, uint64_t key)
{
    if ((s->count + 1) * 10 > s->cap * 7)
        pairset_grow(s);
    uint64_t stored = key + 1;
    size_t i = (size_t)((stored * 0x9E3779B97F4A7C15ull) >> 24) & (s->cap - 1);
    while (s->keys[i] && s->keys[i] != stored)
        i = (i + 1) & (s->cap - 1);
    if (!s->keys[i]) {
        s->keys[i] = stored;
        s->count++;
    }
}

static uint64_t pair(size_t group, uint32_t value)
{
    return ((uint64_t)group << 32) | value;
}

/* ---- the scan ---- */

static inline uint32_t line_key(const struct plan *p, int k, uint32_t account, uint32_t rep,
                                uint32_t product)
{
    uint32_t ix = p->level[k] == LEVEL_ACCOUNT ? account
                  : p->level[k] == LEVEL_REP   ? rep
                                               : product;
    return p->map[k] ? p->map[k][ix] : ix;
}

/* The order-level accumulators, once per (group, order). */
static void order_once(const struct plan *p, struct acc *a, size_t g, uint32_t slot, int32_t day)
{
    const struct facts *f = p->f;
    a->orders[g]++;
    int32_t ship = f->slot_ship[slot];
    if (ship == DATE_NONE)
        return;
    if (a->ship_n) {
        a->ship_n[g]++;
        a->ship_days[g] += ship - day;
        int32_t due = f->slot_due[slot];
        if (due != DATE_NONE) {
            a->due_n[g]++;
            a->on_time[g] += ship <= due;
        }
    }
    if (p->need & A_MEDIAN) {
        if (a->nmedians == a->median_cap) {
            a->median_cap = a->median_cap ? a->median_cap * 2 : 4096;
            a->medians = xreallocarray(a->medians, a->median_cap, sizeof(*a->medians));
        }
        a->medians[a->nmedians++] = (struct median_pair){(uint32_t)g, ship - day};
    }
}

static void scan(const struct plan *p, struct acc *a, size_t lo, size_t hi)
{
    const struct facts *f = p->f;
    for (size_t i = lo; i < hi; i++) {
        unsigned st = f->status[i];
        if (!((p->status_ok >> st) & 1))
            continue;
        uint64_t off = (uint64_t)((int64_t)f->day[i] - p->day_lo);
        if (off > p->span)
            continue;
        uint32_t account = f->account[i], rep = f->rep[i], product = f->product[i];
        if ((p->ok[0] && !p->ok[0][account]) || (p->ok[1] && !p->ok[1][rep]) ||
            (p->ok[2] && !p->ok[2][product]) || !query_rows_pass(p->rows, account, rep))
            continue;
        size_t g = p->bucket_of ? p->bucket_of[off] : 0;
        if (p->nkey[0] > 1)
            g = g * p->nkey[0] + line_key(p, 0, account, rep, product);
        if (p->nkey[1] > 1)
            g = g * p->nkey[1] + line_key(p, 1, account, rep, product);
        a->hits[g]++;
        if (st == ORDER_RETURNED) {
            if (a->ret)
                a->ret[g] += f->net[i];
            continue;
        }
        if (a->net)
            a->net[g] += f->net[i];
        if (a->cost)
            a->cost[g] += (int64_t)f->qty[i] * f->products.cost[product];
        if (a->qty)
            a->qty[g] += f->qty[i];
        if (a->shipped)
            a->shipped[g] += f->shipped[i];
        if (a->lines)
            a->lines[g]++;
        if (a->disc)
            a->disc[g] += f->disc[i];
        if (a->last_order && a->last_order[g] != f->order[i]) {
            a->last_order[g] = f->order[i];
            order_once(p, a, g, f->order[i], f->day[i]);
        }
        if (p->need & A_ACCOUNTS)
            pairset_add(&a->accounts, pair(g, account));
        if ((p->need & A_NEW) && f->day[i] == p->first_day[account])
            pairset_add(&a->news, pair(g, account));
    }
}

/*
 * The common case — no dimension, no filter but dates and statuses, only
 * sums — in a tighter loop: it reads status, day and net (plus what the sums
 * need), and keeps the running bucket's sums in registers, since consecutive
 * lines mostly share an order day.
 */
/* Adds the running bucket's sums (SIZE_MAX: none yet) to the accumulators. */
static inline void flat_flush(struct acc *a, size_t g, int64_t hits, int64_t sum, int64_t ret)
{
    if (g == SIZE_MAX)
        return;
    a->hits[g] += hits;
    if (a->net)
        a->net[g] += sum;
    if (a->ret)
        a->ret[g] += ret;
}

static void scan_flat(const struct plan *p, struct acc *a, size_t lo, size_t hi)
{
    const struct facts *f = p->f;
    const uint8_t *status = f->status;
    const int32_t *day = f->day;
    const int64_t *net = f->net;
    const uint32_t *bucket = p->bucket_of;
    const unsigned ok = p->status_ok;
    const int64_t day_lo = p->day_lo;
    const uint64_t span = p->span;
    const int more = a->cost || a->qty || a->shipped || a->lines || a->disc;
    size_t g = SIZE_MAX;
    int64_t hits = 0, sum = 0, ret = 0;
    for (size_t i = lo; i < hi; i++) {
        unsigned st = status[i];
        if (!((ok >> st) & 1))
            continue;
        uint64_t off = (uint64_t)((int64_t)day[i] - day_lo);
        if (off > span)
            continue;
        size_t gi = bucket ? bucket[off] : 0;
        if (gi != g) {
            flat_flush(a, g, hits, sum, ret);
            g = gi;
            hits = sum = ret = 0;
        }
        hits++;
        if (st == ORDER_RETURNED) {
            ret += net[i];
            continue;
        }
        sum += net[i];
        if (!more)
            continue;
        if (a->cost)
            a->cost[g] += (int64_t)f->qty[i] * f->products.cost[f->product[i]];
        if (a->qty)
            a->qty[g] += f->qty[i];
        if (a->shipped)
            a->shipped[g] += f->shipped[i];
        if (a->lines)
            a->lines[g]++;
        if (a->disc)
            a->disc[g] += f->disc[i];
    }
    flat_flush(a, g, hits, sum, ret);
}

/* 1 when scan_flat gives the same result as scan for this plan. */
static int plan_is_flat(const struct plan *p)
{
    return p->nkey[0] <= 1 && p->nkey[1] <= 1 && !p->ok[0] && !p->ok[1] && !p->ok[2] &&
           !p->rows && !(p->need & (A_ORDERS | A_SHIP | A_MEDIAN | A_ACCOUNTS | A_NEW));
}

static void scan_any(const struct plan *p, struct acc *a, size_t lo, size_t hi)
{
    if (plan_is_flat(p))
        scan_flat(p, a, lo, hi);
    else
        scan(p, a, lo, hi);
}

/* ---- accumulators ---- */

static int64_t *acc_array(const struct plan *p, unsigned bits)
{
    return (p->need & bits) ? xcalloc(p->ngroups, sizeof(int64_t)) : NULL;
}

static void acc_init(struct acc *a, const struct plan *p)
{
    memset(a, 0, sizeof(*a));
    a->hits = xcalloc(p->ngroups, sizeof(int64_t));
    a->net = acc_array(p, A_NET);
    a->cost = acc_array(p, A_COST);
    a->qty = acc_array(p, A_QTY);
    a->shipped = acc_array(p, A_SHIPPED);
    a->lines = acc_array(p, A_LINES);
    a->ret = acc_array(p, A_RET);
    a->disc = acc_array(p, A_DISC);
    a->orders = acc_array(p, A_ORDERS);
    a->ship_n = acc_array(p, A_SHIP);
    a->ship_days = acc_array(p, A_SHIP);
    a->due_n = acc_array(p, A_SHIP);
    a->on_time = acc_array(p, A_SHIP);
    if (p->need & A_ORDERS) {
        a->last_order = xmalloc(p->ngroups * sizeof(uint32_t));
        memset(a->last_order, 0xFF, p->ngroups * sizeof(uint32_t));
    }
}

#define ACC_SUMS(X)                                                                      \
    X(hits) X(net) X(cost) X(qty) X(shipped) X(lines) X(ret) X(disc) X(orders) X(ship_n) \
        X(ship_days) X(due_n) X(on_time)

static void acc_release(struct acc *a)
{
#define FREE(x) free(a->x);
    ACC_SUMS(FREE)
#undef FREE
    free(a->last_order);
    free(a->accounts.keys);
    free(a->news.keys);
    free(a->medians);
}

static void merge_set(struct pairset *into, const struct pairset *from)
{
    for (size_t i = 0; i < from->cap; i++) {
        if (from->keys[i])
            pairset_add(into, from->keys[i] - 1);
    }
}

/* Adds `b`'s accumulators into `a`. */
static void acc_merge(struct acc *a, const struct acc *b, size_t ngroups)
{
#define SUM(x)                                  \
    if (a->x) {                                 \
        for (size_t g = 0; g < ngroups; g++)    \
            a->x[g] += b->x[g];                 \
    }
    ACC_SUMS(SUM)
#undef SUM
    merge_set(&a->accounts, &b->accounts);
    merge_set(&a->news, &b->news);
    if (b->nmedians) {
        a->medians = xreallocarray(a->medians, a->nmedians + b->nmedians, sizeof(*a->medians));
        memcpy(a->medians + a->nmedians, b->medians, b->nmedians * sizeof(*b->medians));
        a->nmedians += b->nmedians;
        a->median_cap = a->nmedians;
    }
}

/* ---- threads ---- */

struct worker {
    const struct plan *plan;
    struct acc acc;
    size_t lo, hi;
    pthread_t thread;
};

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    scan_any(w->plan, &w->acc, w->lo, w->hi);
    return NULL;
}

static int thread_count(const struct query *q, size_t lines)
{
    long cores = q->threads > 0 ? q->threads : sysconf(_SC_NPROCESSORS_ONLN);
    long by_size = (long)(lines / LINES_PER_THREAD_MIN);
    long t = cores < by_size ? cores : by_size;
    return t < 1 ? 1 : t > MAX_THREADS ? MAX_THREADS : (int)t;
}

/* Moves `i` forward to the first line of an order (scans split between orders). */
static size_t order_boundary(const struct facts *f, size_t i)
{
    while (i > 0 && i < f->n && f->order[i] == f->order[i - 1])
        i++;
    return i;
}

/* Scans every line into w[0].acc, on `nthreads` threads. */
static void scan_all(const struct plan *p, struct worker *w, int nthreads)
{
    size_t n = p->f->n, start = 0;
    for (int t = 0; t < nthreads; t++) {
        w[t].plan = p;
        acc_init(&w[t].acc, p);
        w[t].lo = start;
        w[t].hi = t + 1 == nthreads ? n : order_boundary(p->f, n / (size_t)nthreads * (t + 1));
        if (w[t].hi < start)
            w[t].hi = start;
        start = w[t].hi;
    }
    int started = 1;
    for (int t = 1; t < nthreads; t++) {
        if (pthread_create(&w[t].thread, NULL, worker_run, &w[t]) != 0)
            break;
        started++;
    }
    for (int t = started; t < nthreads; t++)
        scan_any(p, &w[t].acc, w[t].lo, w[t].hi); /* no thread to be had: do it here */
    scan_any(p, &w[0].acc, w[0].lo, w[0].hi);
    for (int t = 1; t < started; t++)
        pthread_join(w[t].thread, NULL);
    for (int t = 1; t < nthreads; t++) {
        acc_merge(&w[0].acc, &w[t].acc, p->ngroups);
        acc_release(&w[t].acc);
    }
}

/* ---- planning ---- */

static void plan_release(struct plan *p)
{
    free(p->bucket_of);
    free(p->bucket_first);
    free(p->bucket_last);
    for (int l = 0; l < 3; l++)
        free(p->ok[l]);
    free(p->first_day);
}

/* The day range to scan and, when bucketed, the day → bucket table. */
static void plan_dates(struct plan *p, const struct query *q)
{
    const struct facts *f = p->f;
    int32_t lo = f->first_day, hi = f->last_day;
    if (q->from != DATE_NONE && q->from > lo)
        lo = q->from;
    if (q->to != DATE_NONE && q->to < hi)
        hi = q->to;
    p->nbuckets = 1;
    if (f->first_day == DATE_NONE || lo > hi) {
        p->status_ok = 0; /* nothing can match */
        p->day_lo = 0;
        p->span = 0;
        return;
    }
    p->day_lo = lo;
    p->span = (uint32_t)(hi - lo);
    if (!q->bucketed)
        return;
    p->bucket_of = xcalloc((size_t)p->span + 1, sizeof(*p->bucket_of));
    p->bucket_first = xmalloc(((size_t)p->span + 1) * sizeof(*p->bucket_first));
    p->bucket_last = xmalloc(((size_t)p->span + 1) * sizeof(*p->bucket_last));
    p->nbuckets = 0;
    for (int32_t day = lo; day <= hi;) {
        struct period per = period_containing(day, q->bucket, q->fy_start_month);
        p->bucket_first[p->nbuckets] = per.first;
        p->bucket_last[p->nbuckets] = per.last;
        for (; day <= hi && day <= per.last; day++)
            p->bucket_of[day - lo] = p->nbuckets;
        p->nbuckets++;
    }
}

static void plan_dim(struct plan *p, int k, enum dim d)
{
    const struct facts *f = p->f;
    static const struct {
        enum level level;
        int attr; /* -1: the entity itself */
    } dims[DIM_COUNT] = {
        [DIM_REGION] = {LEVEL_ACCOUNT, 0}, [DIM_SEGMENT] = {LEVEL_ACCOUNT, 1},
        [DIM_COUNTRY] = {LEVEL_ACCOUNT, 2}, [DIM_ACCOUNT] = {LEVEL_ACCOUNT, -1},
        [DIM_REP] = {LEVEL_REP, -1},        [DIM_TEAM] = {LEVEL_REP, 0},
        [DIM_PRODUCT] = {LEVEL_PRODUCT, -1}, [DIM_CATEGORY] = {LEVEL_PRODUCT, 0},
    };
    const struct facts_entities *e[3] = {&f->accounts, &f->reps, &f->products};
    p->nkey[k] = facts_dim_count(f, d);
    if (d == DIM_NONE)
        return;
    p->level[k] = dims[d].level;
    p->map[k] = dims[d].attr < 0 ? NULL : e[dims[d].level]->attr[dims[d].attr];
}

/* Narrows the per-entity pass masks by one filter. */
static int plan_filter(struct plan *p, const struct query_filter *w, struct sd_error *err)
{
    const struct facts *f = p->f;
    const struct facts_entities *e[3] = {&f->accounts, &f->reps, &f->products};
    struct plan one = {.f = f};
    plan_dim(&one, 0, w->dim);
    if (w->dim == DIM_NONE)
        return sd_error_set(err, SD_EINVAL, "a filter needs a dimension");
    uint8_t *allowed = xcalloc(one.nkey[0], 1);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < w->n; i++) {
        uint32_t key;
        rc = facts_dim_find(f, w->dim, w->values[i], &key, err);
        if (rc == 0)
            allowed[key] = 1;
    }
    enum level l = one.level[0];
    uint32_t n = e[l]->n ? e[l]->n : 1;
    if (rc == 0 && !p->ok[l]) {
        p->ok[l] = xmalloc(n);
        memset(p->ok[l], 1, n);
    }
    for (uint32_t ix = 0; rc == 0 && ix < e[l]->n; ix++)
        p->ok[l][ix] &= allowed[one.map[0] ? one.map[0][ix] : ix];
    free(allowed);
    return rc;
}

/* Each account's first booked order day (INT32_MAX: none), for new accounts. */
static int32_t *first_days(const struct facts *f)
{
    int32_t *first = xmalloc((f->accounts.n + 1) * sizeof(*first));
    for (uint32_t a = 0; a <= f->accounts.n; a++)
        first[a] = INT32_MAX;
    for (size_t i = 0; i < f->n; i++) {
        if (((QUERY_BOOKED >> f->status[i]) & 1) && f->day[i] < first[f->account[i]])
            first[f->account[i]] = f->day[i];
    }
    return first;
}

static int plan_build(struct plan *p, const struct facts *f, const struct query *q,
                      struct sd_error *err)
{
    memset(p, 0, sizeof(*p));
    p->f = f;
    p->measures = q->measures;
    p->rows = q->rows;
    for (int m = 0; m < MEASURE_COUNT; m++) {
        if (q->measures & (1u << m))
            p->need |= measure_needs[m];
    }
    if (!p->need && !side_wanted(q->measures))
        return sd_error_set(err, SD_EINVAL, "a query needs at least one measure");
    if (q->nwhere > QUERY_MAX_FILTERS)
        return sd_error_set(err, SD_ELIMIT, "at most %d filters", QUERY_MAX_FILTERS);
    if (q->by[0] != DIM_NONE && q->by[0] == q->by[1])
        return sd_error_set(err, SD_EINVAL, "the two dimensions are the same ('%s')",
                            dim_name(q->by[0]));
    p->status_ok = (q->status_mask ? q->status_mask : 0xFFFFu) & (QUERY_BOOKED | QUERY_RETURNED);
    plan_dates(p, q);
    plan_dim(p, 0, q->by[0]);
    plan_dim(p, 1, q->by[1]);
    for (size_t i = 0; i < q->nwhere; i++) {
        int rc = plan_filter(p, &q->where[i], err);
        if (rc)
            return rc;
    }
    uint64_t groups = (uint64_t)p->nbuckets * p->nkey[0] * p->nkey[1];
    if (groups > QUERY_MAX_GROUPS)
        return sd_error_set(err, SD_ELIMIT,
                            "the query would make %llu groups (at most %u): use a coarser "
                            "bucket, one dimension or a filter",
                            (unsigned long long)groups, QUERY_MAX_GROUPS);
    p->ngroups = (size_t)groups;
    if (p->need & A_NEW)
        p->first_day = first_days(f);
    return 0;
}

/* ---- row-level access ---- */

void query_rows_init(struct query_rows *r, const struct facts *f, int64_t rep_id,
                     const int64_t *account_ids, size_t n)
{
    uint32_t ix;
    r->rep = rep_id > 0 && facts_idmap_get(&f->reps.ids, rep_id, &ix) ? ix : QUERY_ROWS_NO_REP;
    r->naccounts = f->accounts.n;
    r->accounts = xcalloc(r->naccounts ? r->naccounts : 1, 1);
    for (size_t i = 0; i < n; i++) {
        if (facts_idmap_get(&f->accounts.ids, account_ids[i], &ix) && ix < r->naccounts)
            r->accounts[ix] = 1;
    }
}

void query_rows_release(struct query_rows *r)
{
    free(r->accounts);
    memset(r, 0, sizeof(*r));
}

/* ---- filter texts ---- */

/* Splits `text` at `sep` in place; returns the number of parts (≤ max). */
static size_t split(char *text, char sep, char **parts, size_t max)
{
    size_t n = 0;
    for (char *p = text; n < max;) {
        parts[n++] = p;
        char *next = strchr(p, sep);
        if (!next)
            break;
        *next = '\0';
        p = next + 1;
    }
    return n;
}

static int one_filter(struct query_filters *out, char *clause, size_t *nvalues,
                      struct sd_error *err)
{
    char *eq = strchr(clause, '=');
    if (!eq || eq == clause || !eq[1])
        return sd_error_set(err, SD_EINVAL, "'%s' is not DIM=VALUE[,VALUE...]", clause);
    *eq = '\0';
    struct query_filter *f = &out->items[out->n];
    int rc = dim_parse(clause, &f->dim, err);
    if (rc)
        return rc;
    char *values[QUERY_MAX_FILTER_VALUES];
    size_t n = split(eq + 1, ',', values, QUERY_MAX_FILTER_VALUES - *nvalues);
    f->values = &out->values[*nvalues];
    f->n = n;
    for (size_t i = 0; i < n; i++)
        out->values[(*nvalues)++] = values[i];
    out->n++;
    return 0;
}

int query_filters_parse(const char *text, struct query_filters *out, struct sd_error *err)
{
    memset(out, 0, sizeof(*out));
    if (strlen(text) >= sizeof(out->storage))
        return sd_error_set(err, SD_ELIMIT, "longer than %zu bytes", sizeof(out->storage) - 1);
    memcpy(out->storage, text, strlen(text) + 1);
    char *clauses[QUERY_MAX_FILTERS];
    size_t n = split(out->storage, ';', clauses, QUERY_MAX_FILTERS), nvalues = 0;
    for (size_t i = 0; i < n; i++) {
        if (nvalues >= QUERY_MAX_FILTER_VALUES)
            return sd_error_set(err, SD_ELIMIT, "at most %d values", QUERY_MAX_FILTER_VALUES);
        int rc = one_filter(out, clauses[i], &nvalues, err);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- rows ---- */

/* num / den rounded half away from zero; QUERY_NONE when den is 0. */
int64_t query_ratio(__int128 num, __int128 den)
{
    if (den == 0)
        return QUERY_NONE;
    if (den < 0) {
        num = -num;
        den = -den;
    }
    __int128 mag = num < 0 ? -num : num;
    __int128 q = (mag * 2 + den) / (den * 2);
    q = num < 0 ? -q : q;
    return q > INT64_MAX || q <= INT64_MIN ? QUERY_NONE : (int64_t)q;
}

static int cmp_median(const void *a, const void *b)
{
    const struct median_pair *x = a, *y = b;
    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    return (x->days > y->days) - (x->days < y->days);
}

/* Median days × 10^4 per group (QUERY_NONE where no shipped order). */
static int64_t *medians(const struct plan *p, struct acc *a)
{
    int64_t *out = xmalloc(p->ngroups * sizeof(*out));
    for (size_t g = 0; g < p->ngroups; g++)
        out[g] = QUERY_NONE;
    if (a->nmedians) /* medians is NULL when there is none; qsort must not see NULL */
        qsort(a->medians, a->nmedians, sizeof(*a->medians), cmp_median);
    for (size_t i = 0; i < a->nmedians;) {
        size_t j = i;
        while (j < a->nmedians && a->medians[j].group == a->medians[i].group)
            j++;
        size_t n = j - i, mid = i + n / 2;
        out[a->medians[i].group] =
            n % 2 ? (int64_t)a->medians[mid].days * 10000
                  : ((int64_t)a->medians[mid - 1].days + a->medians[mid].days) * 5000;
        i = j;
    }
    return out;
}

/* Distinct values per group from a pair set. */
static int64_t *set_counts(const struct plan *p, const struct pairset *s)
{
    int64_t *out = xcalloc(p->ngroups, sizeof(*out));
    for (size_t i = 0; i < s->cap; i++) {
        if (s->keys[i])
            out[(s->keys[i] - 1) >> 32]++;
    }
    return out;
}

struct extras {
    int64_t *accounts, *news, *median;
};

static int64_t at(const int64_t *a, size_t g)
{
    return a ? a[g] : 0;
}

static int64_t measure_value(const struct acc *a, const struct extras *x, size_t g, int m)
{
    int64_t net = at(a->net, g), cost = at(a->cost, g);
    switch (m) {
    case MEASURE_REVENUE:
        return net;
    case MEASURE_COST:
        return cost;
    case MEASURE_MARGIN:
        return net - cost;
    case MEASURE_MARGIN_PCT:
        return query_ratio((__int128)(net - cost) * 1000000, net);
    case MEASURE_UNITS:
        return at(a->qty, g) * 10000;
    case MEASURE_LINES:
        return at(a->lines, g) * 10000;
    case MEASURE_ORDERS:
        return at(a->orders, g) * 10000;
    case MEASURE_ACCOUNTS:
        return at(x->accounts, g) * 10000;
    case MEASURE_NEW_ACCOUNTS:
        return at(x->news, g) * 10000;
    case MEASURE_AOV:
        return query_ratio(net, at(a->orders, g));
    case MEASURE_ON_TIME_RATE:
        return query_ratio((__int128)at(a->on_time, g) * 1000000, at(a->due_n, g));
    case MEASURE_DAYS_TO_SHIP:
        return query_ratio((__int128)at(a->ship_days, g) * 10000, at(a->ship_n, g));
    case MEASURE_DAYS_TO_SHIP_MEDIAN:
        return x->median ? x->median[g] : QUERY_NONE;
    case MEASURE_FILL_RATE:
        return query_ratio((__int128)at(a->shipped, g) * 1000000, at(a->qty, g));
    case MEASURE_RETURN_RATE:
        return query_ratio((__int128)at(a->ret, g) * 1000000, (__int128)net + at(a->ret, g));
    case MEASURE_DISCOUNT:
        return at(a->disc, g);
    default:
        return 0; /* side measures: side_values fills them */
    }
}

static void row_values(const struct acc *a, const struct extras *x, size_t g, uint32_t wanted,
                       int64_t *v)
{
    for (int m = 0; m < MEASURE_COUNT; m++)
        v[m] = (wanted & (1u << m)) ? measure_value(a, x, g, m) : QUERY_NONE;
}

static void make_rows(const struct plan *p, const struct query *q, struct acc *a,
                      const struct side_acc *side, struct query_result *out)
{
    struct extras x = {
        (p->need & A_ACCOUNTS) ? set_counts(p, &a->accounts) : NULL,
        (p->need & A_NEW) ? set_counts(p, &a->news) : NULL,
        (p->need & A_MEDIAN) ? medians(p, a) : NULL,
    };
    size_t cap = 0;
    uint32_t *order[2] = {facts_dim_sorted(p->f, q->by[0]),
                          facts_dim_sorted(p->f, q->by[1])};
    /* Groups in presentation order: bucket, then the dimensions' texts. */
    for (size_t b = 0; b < p->nbuckets; b++) {
        for (uint32_t i0 = 0; i0 < p->nkey[0]; i0++) {
            for (uint32_t i1 = 0; i1 < p->nkey[1]; i1++) {
                size_t g = (b * p->nkey[0] + order[0][i0]) * p->nkey[1] + order[1][i1];
                if (a->hits[g] == 0 && !(side->hits && side->hits[g]))
                    continue;
                if (out->n == cap) {
                    cap = cap ? cap * 2 : 64;
                    out->rows = xreallocarray(out->rows, cap, sizeof(*out->rows));
                }
                struct query_row *r = &out->rows[out->n++];
                r->bucket_first = p->bucket_first ? p->bucket_first[b] : DATE_NONE;
                r->bucket_last = p->bucket_last ? p->bucket_last[b] : DATE_NONE;
                r->key[0] = order[0][i0];
                r->key[1] = order[1][i1];
                row_values(a, &x, g, q->measures, r->value);
                if (side->hits)
                    side_values(p, side, g, r->value);
                out->lines_scanned += a->hits[g];
            }
        }
    }
    free(order[0]);
    free(order[1]);
    free(x.accounts);
    free(x.news);
    free(x.median);
}

struct ranked {
    int64_t value;
    size_t pos; /* in presentation order */
};

static int cmp_ranked(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->value != y->value)
        return x->value == QUERY_NONE ? 1
               : y->value == QUERY_NONE ? -1
               : x->value > y->value    ? -1
                                        : 1;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

/* With top: the rows by top_by descending (no value last; ties keep their order), cut. */
static void keep_top(const struct query *q, struct query_result *r)
{
    if (q->top == 0)
        return;
    struct ranked *rank = xmalloc((r->n ? r->n : 1) * sizeof(*rank));
    for (size_t i = 0; i < r->n; i++)
        rank[i] = (struct ranked){r->rows[i].value[q->top_by], i};
    qsort(rank, r->n, sizeof(*rank), cmp_ranked);
    size_t n = r->n < q->top ? r->n : q->top;
    struct query_row *rows = xmalloc((n ? n : 1) * sizeof(*rows));
    for (size_t i = 0; i < n; i++)
        rows[i] = r->rows[rank[i].pos];
    free(r->rows);
    free(rank);
    r->rows = rows;
    r->n = n;
}

int query_run(const struct facts *f, const struct query *q, struct query_result *out,
              struct sd_error *err)
{
    struct plan p;
    memset(out, 0, sizeof(*out));
    if (q->top > 0 && ((unsigned)q->top_by >= MEASURE_COUNT || !(q->measures & (1u << q->top_by))))
        return sd_error_set(err, SD_EINVAL, "top needs one of the query's measures to rank by");
    int rc = plan_build(&p, f, q, err);
    if (rc) {
        plan_release(&p);
        return rc;
    }
    int nthreads = thread_count(q, f->n);
    struct worker w[MAX_THREADS];
    struct side_acc side = {0};
    scan_all(&p, w, nthreads);
    if (side_wanted(q->measures))
        side_scan(&p, &side);
    make_rows(&p, q, &w[0].acc, &side, out);
    side_acc_release(&side);
    acc_release(&w[0].acc);
    plan_release(&p);
    keep_top(q, out);
    return 0;
}

void query_result_release(struct query_result *r)
{
    free(r->rows);
    memset(r, 0, sizeof(*r));
}

/* ---- orders ---- */

static int cmp_order_rows(const void *a, const void *b)
{
    const struct order_row *x = a, *y = b;
    if (x->value != y->value)
        return x->value > y->value ? -1 : 1;
    return (x->order_id > y->order_id) - (x->order_id < y->order_id);
}

/* 1 when one of the order's lines passes the product filter (or there is none). */
static int order_has_product(const struct plan *p, uint32_t first, uint32_t n)
{
    if (!p->ok[2])
        return 1;
    for (uint32_t i = first; i < first + n; i++) {
        if (p->ok[2][p->f->product[i]])
            return 1;
    }
    return 0;
}

static int order_matches(const struct plan *p, const struct order_query *q, unsigned mask,
                         size_t s)
{
    const struct facts *f = p->f;
    uint32_t first = f->slot_first[s], n = f->slot_nlines[s];
    if (n == 0 || !((mask >> f->status[first]) & 1))
        return 0;
    int32_t day = f->day[first];
    if ((q->from != DATE_NONE && day < q->from) || (q->to != DATE_NONE && day > q->to))
        return 0;
    if ((p->ok[0] && !p->ok[0][f->account[first]]) || (p->ok[1] && !p->ok[1][f->rep[first]]))
        return 0;
    return order_has_product(p, first, n);
}

int query_orders(const struct facts *f, const struct order_query *q, struct order_row **rows,
                 size_t *n, struct sd_error *err)
{
    struct plan p;
    size_t cap = 0;
    unsigned mask = q->status_mask ? q->status_mask
                                   : (1u << ORDER_PENDING) | (1u << ORDER_CONFIRMED) |
                                         (1u << ORDER_ON_HOLD);
    int rc = 0;
    memset(&p, 0, sizeof(p));
    p.f = f;
    *rows = NULL;
    *n = 0;
    if (q->nwhere > QUERY_MAX_FILTERS)
        return sd_error_set(err, SD_ELIMIT, "at most %d filters", QUERY_MAX_FILTERS);
    for (size_t i = 0; rc == 0 && i < q->nwhere; i++)
        rc = plan_filter(&p, &q->where[i], err);
    for (size_t s = 0; rc == 0 && s < f->nslots; s++) {
        if (!order_matches(&p, q, mask, s))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            *rows = xreallocarray(*rows, cap, sizeof(**rows));
        }
        uint32_t first = f->slot_first[s];
        struct order_row *r = &(*rows)[(*n)++];
        *r = (struct order_row){f->slot_id[s], f->day[first], f->slot_ship[s], f->slot_due[s],
                                f->status[first], f->account[first], f->rep[first], 0,
                                f->slot_nlines[s]};
        for (uint32_t i = first; i < first + f->slot_nlines[s]; i++)
            r->value += f->net[i];
    }
    plan_release(&p);
    if (rc) {
        free(*rows);
        *rows = NULL;
        *n = 0;
        return rc;
    }
    if (*n > 1)
        qsort(*rows, *n, sizeof(**rows), cmp_order_rows);
    if (q->top && *n > q->top)
        *n = q->top;
    return 0;
}
