/* SPDX-License-Identifier: MIT */
/*
 * account: the account status (account.h). The store hands over the account
 * view (master data, contacts, open orders with their nets, open invoices)
 * and, through the account's own indexes, the lines of its orders of the
 * last 24 months, the days it ordered on and its open requests. This file
 * derives every figure from those rows, exactly (money in 1/10000, 128-bit
 * products for ratios), and scores the account's health against the
 * thresholds of account_params[].
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/date.h"
#include "base/json.h"
#include "base/money.h"
#include "base/strbuf.h"
#include "base/vec.h"
#include "base/xalloc.h"
#include "desk/account.h"
#include "base/banned.h"

const struct account_param account_params[ACCOUNT_P_COUNT] = {
    [ACCOUNT_P_AGEING_1_30] = {"account.ageing_points_1_30", "5", ACCOUNT_POINTS,
                               "points off when the oldest overdue balance is 1-30 days past due"},
    [ACCOUNT_P_AGEING_31_60] = {"account.ageing_points_31_60", "10", ACCOUNT_POINTS,
                                "... 31-60 days past due"},
    [ACCOUNT_P_AGEING_61_90] = {"account.ageing_points_61_90", "20", ACCOUNT_POINTS,
                                "... 61-90 days past due"},
    [ACCOUNT_P_AGEING_OVER_90] = {"account.ageing_points_90_plus", "30", ACCOUNT_POINTS,
                                  "... more than 90 days past due"},
    [ACCOUNT_P_RHYTHM_GAPS] = {"account.rhythm_gaps", "12", ACCOUNT_COUNT,
                               "the rhythm is the median of this many latest gaps between order "
                               "days (1..64)"},
    [ACCOUNT_P_RHYTHM_MIN_GAPS] = {"account.rhythm_min_gaps", "2", ACCOUNT_COUNT,
                                   "with fewer gaps the account has no rhythm"},
    [ACCOUNT_P_QUIET_FACTOR] = {"account.quiet_factor", "2", ACCOUNT_DECIMAL,
                                "ORDER_FREQUENCY: days since the last order above this many "
                                "times the rhythm"},
    [ACCOUNT_P_QUIET_POINTS] = {"account.quiet_points", "25", ACCOUNT_POINTS,
                                "points off for ORDER_FREQUENCY"},
    [ACCOUNT_P_REVENUE_DROP_PCT] = {"account.revenue_drop_pct", "20", ACCOUNT_DECIMAL,
                                    "REVENUE_TREND: last 12 months at least this many percent "
                                    "below the 12 before"},
    [ACCOUNT_P_REVENUE_DROP_POINTS] = {"account.revenue_drop_points", "20", ACCOUNT_POINTS,
                                       "points off for REVENUE_TREND"},
    [ACCOUNT_P_RETURNS_PCT] = {"account.returns_pct", "5", ACCOUNT_DECIMAL,
                               "RETURNS: returned value at least this percent of the value "
                               "ordered in the last 12 months"},
    [ACCOUNT_P_RETURNS_POINTS] = {"account.returns_points", "10", ACCOUNT_POINTS,
                                  "points off for RETURNS"},
    [ACCOUNT_P_COMPLAINT_POINTS] = {"account.complaint_points", "10", ACCOUNT_POINTS,
                                    "points off per open complaint"},
    [ACCOUNT_P_COMPLAINTS_MAX_POINTS] = {"account.complaints_max_points", "20", ACCOUNT_POINTS,
                                         "at most this many points off for complaints"},
    [ACCOUNT_P_CHURN_REVENUE_DROP_PCT] = {"account.churn_revenue_drop_pct", "50", ACCOUNT_DECIMAL,
                                          "churn risk: last 12 months at least this many "
                                          "percent below the 12 before"},
};

static const char *const factor_codes[ACCOUNT_F_COUNT] = {
    [ACCOUNT_F_RECEIVABLES_AGEING] = "RECEIVABLES_AGEING",
    [ACCOUNT_F_ORDER_FREQUENCY] = "ORDER_FREQUENCY",
    [ACCOUNT_F_REVENUE_TREND] = "REVENUE_TREND",
    [ACCOUNT_F_RETURNS] = "RETURNS",
    [ACCOUNT_F_OPEN_COMPLAINTS] = "OPEN_COMPLAINTS",
};

const char *account_factor_code(enum account_factor f)
{
    return f < ACCOUNT_F_COUNT ? factor_codes[f] : "?";
}

const char *account_age_label(enum account_age a)
{
    static const char *const labels[AGE_COUNT] = {"current", "1-30", "31-60", "61-90", "90+"};
    return a < AGE_COUNT ? labels[a] : "?";
}

/* ---- settings ---- */

static int param_parse(const struct account_param *p, const char *text, int64_t *out,
                       struct sd_error *err)
{
    size_t len = strlen(text);
    if (p->unit == ACCOUNT_DECIMAL) {
        if (money_parse(text, len, out, NULL) == 0 && *out >= 0)
            return 0;
        return sd_error_set(err, SD_EINVAL, "setting '%s': '%s' is not a decimal number >= 0",
                            p->key, text);
    }
    long long max = p->unit == ACCOUNT_POINTS ? 100 : ACCOUNT_RHYTHM_MAX;
    char *end = NULL;
    long long v = len ? strtoll(text, &end, 10) : -1;
    if (!end || *end != '\0' || v < 0 || v > max)
        return sd_error_set(err, SD_EINVAL, "setting '%s': '%s' is not a whole number 0..%lld",
                            p->key, text, max);
    *out = v;
    return 0;
}

struct settings_read {
    struct account_settings *out;
    int set[ACCOUNT_P_COUNT];
    struct sd_error *err;
};

static int setting_row(void *ctx, const char *key, const char *value)
{
    struct settings_read *r = ctx;
    for (int i = 0; i < ACCOUNT_P_COUNT; i++) {
        if (strcmp(key, account_params[i].key) == 0) {
            r->set[i] = 1;
            return param_parse(&account_params[i], value, &r->out->v[i], r->err);
        }
    }
    return 0; /* a key of a later version, or a typo: the documented keys are what counts */
}

int account_settings_load(struct db *db, struct account_settings *out, struct sd_error *err)
{
    struct settings_read r = {.out = out, .err = err};
    memset(out, 0, sizeof(*out));
    int rc = store_settings_prefixed(db, "account.", setting_row, &r, err);
    for (int i = 0; rc == 0 && i < ACCOUNT_P_COUNT; i++) {
        if (!r.set[i])
            rc = param_parse(&account_params[i], account_params[i].fallback, &out->v[i], err);
    }
    return rc;
}

/* ---- figures ---- */

/* num / den × 100 as a percent in 1/10000, rounded half away from zero; INT_NONE when den <= 0. */
static int64_t percent_of(int64_t num, int64_t den)
{
    int64_t pct = INT_NONE;
    if (den <= 0 || money_div_round((__int128)num * 100 * MONEY_SCALE, den, &pct))
        return INT_NONE;
    return pct;
}

/* 1 when part / whole × 100 >= pct (pct a percent in 1/10000), exactly; whole > 0. */
static int at_least_pct(int64_t part, int64_t whole, int64_t pct)
{
    return whole > 0 && (__int128)part * 100 * MONEY_SCALE >= (__int128)pct * whole;
}

static int overflow(struct account_status *st, struct sd_error *err)
{
    return sd_error_set(err, SD_EOVERFLOW, "account '%s': a sum is out of range",
                        st->view.account.ext_id);
}

static void open_orders(struct account_status *st)
{
    const struct account_view *v = &st->view;
    st->open_orders = (int64_t)v->n_open_orders;
    st->open_value = v->open_orders_net;
    st->oldest_open = v->n_open_orders ? v->open_orders[0].ext_id : NULL;
    st->oldest_open_date = v->n_open_orders ? v->open_orders[0].order_date : DATE_NONE;
}

static enum account_age age_of(int64_t days_past_due)
{
    if (days_past_due <= 0)
        return AGE_CURRENT;
    if (days_past_due <= 30)
        return AGE_1_30;
    if (days_past_due <= 60)
        return AGE_31_60;
    return days_past_due <= 90 ? AGE_61_90 : AGE_OVER_90;
}

static int receivables(struct account_status *st, struct sd_error *err)
{
    const struct account_view *v = &st->view;
    for (size_t i = 0; i < v->n_open_invoices; i++) {
        const struct invoice *inv = &v->open_invoices[i];
        int64_t balance = inv->amount - inv->paid_amount;
        int64_t days = (int64_t)st->today - inv->due_date;
        enum account_age age = age_of(days);
        if (money_add(st->receivables, balance, &st->receivables) ||
            money_add(st->ageing[age], balance, &st->ageing[age]))
            return overflow(st, err);
        st->ageing_invoices[age]++;
        if (age != AGE_CURRENT && money_add(st->overdue, balance, &st->overdue))
            return overflow(st, err);
        if (age != AGE_CURRENT && days > st->oldest_days_overdue)
            st->oldest_days_overdue = days;
    }
    return 0;
}

static int credit(struct account_status *st, struct sd_error *err)
{
    st->credit_limit = st->view.account.credit_limit;
    st->credit_use_pct = INT_NONE;
    st->credit_available = MONEY_NONE;
    if (money_add(st->receivables, st->open_value, &st->exposure))
        return overflow(st, err);
    if (st->credit_limit == MONEY_NONE)
        return 0;
    st->credit_use_pct = percent_of(st->exposure, st->credit_limit);
    if (money_add(st->credit_limit, -st->exposure, &st->credit_available))
        return overflow(st, err);
    return 0;
}

/* ---- revenue, months, top products: a pass over the orders, one over the lines ---- */

struct product_sum {
    int64_t product_id;
    int64_t revenue;
    int64_t units;
};

/*
 * The lines of the largest accounts number ~10^5: per line, the month comes
 * from the last line's when the day is the same (lines arrive order by
 * order), and the product's sum from an open-addressing table of indexes
 * into `products` (ids are >= 1; 0 marks a free place; at most half full).
 */
struct line_pass {
    struct account_status *st;
    struct sd_error *err;
    int32_t month0;     /* months[0].first_day */
    int month0_index;   /* year × 12 + month − 1 of months[0] */
    int32_t last_day;   /* the day of the last line, and its month index */
    int last_month;
    uint32_t *slots;    /* index + 1 into products; 0: free */
    size_t nslots;      /* a power of two */
    struct vec products; /* struct product_sum: booked lines of the last 12 months by product */
};

static int month_index(int32_t day)
{
    int y, m, d;
    date_to_civil(day, &y, &m, &d);
    return y * 12 + m - 1;
}

static int line_month(struct line_pass *p, int32_t day)
{
    if (day != p->last_day) {
        p->last_day = day;
        p->last_month = month_index(day);
    }
    return p->last_month;
}

/* The place of `product_id` in the table: its own, or the free one where it goes. */
static size_t product_place(const struct line_pass *p, int64_t product_id)
{
    size_t mask = p->nslots - 1;
    size_t i = (size_t)((uint64_t)product_id * 0x9E3779B97F4A7C15u >> 32) & mask;
    const struct product_sum *sums = p->products.items;
    while (p->slots[i] && sums[p->slots[i] - 1].product_id != product_id)
        i = (i + 1) & mask;
    return i;
}

static void products_grow(struct line_pass *p)
{
    free(p->slots);
    p->nslots = p->nslots ? p->nslots * 2 : 64;
    p->slots = xcalloc(p->nslots, sizeof(*p->slots));
    const struct product_sum *sums = p->products.items;
    for (size_t k = 0; k < p->products.len; k++)
        p->slots[product_place(p, sums[k].product_id)] = (uint32_t)k + 1;
}

/* Per order: orders per month and in the last 12 months, orders in other currencies. */
static int add_order(void *ctx, int32_t order_date, enum order_status status, const char *currency)
{
    struct line_pass *p = ctx;
    struct account_status *st = p->st;
    const char *own = st->view.account.currency;
    if (own && currency && strcmp(currency, own) != 0)
        st->other_currency_orders++;
    if (status == ORDER_RETURNED)
        return 0;
    if (order_date >= st->trailing_from)
        st->orders_trailing++;
    int m = month_index(order_date) - p->month0_index;
    if (m >= 0 && m < ACCOUNT_MONTHS)
        st->months[m].orders++;
    return 0;
}

static int add_product(struct line_pass *p, const struct store_account_line *l, int64_t net)
{
    if ((p->products.len + 1) * 2 > p->nslots)
        products_grow(p);
    size_t i = product_place(p, l->product_id);
    if (!p->slots[i]) {
        vec_push(&p->products, &(struct product_sum){l->product_id, 0, 0});
        p->slots[i] = (uint32_t)p->products.len;
    }
    struct product_sum *sum = VEC_AT(&p->products, struct product_sum, p->slots[i] - 1);
    sum->units += l->qty;
    return money_add(sum->revenue, net, &sum->revenue);
}

static int add_line(void *ctx, const struct store_account_line *l)
{
    struct line_pass *p = ctx;
    struct account_status *st = p->st;
    int64_t net = l->net;
    int trailing = l->order_date >= st->trailing_from && l->order_date <= st->trailing_to;
    int prior = l->order_date >= st->prior_from && l->order_date <= st->prior_to;
    if (l->status == ORDER_RETURNED) {
        if (trailing && money_add(st->returned_trailing, net, &st->returned_trailing))
            return overflow(st, p->err);
        return 0;
    }
    int m = line_month(p, l->order_date) - p->month0_index;
    if ((trailing && money_add(st->revenue_trailing, net, &st->revenue_trailing)) ||
        (prior && money_add(st->revenue_prior, net, &st->revenue_prior)) ||
        (m >= 0 && m < ACCOUNT_MONTHS &&
         money_add(st->months[m].revenue, net, &st->months[m].revenue)) ||
        (trailing && add_product(p, l, net)))
        return overflow(st, p->err);
    return 0;
}

/* By revenue, highest first; ties by product id (the one entered first). */
static int cmp_revenue(const void *a, const void *b)
{
    const struct product_sum *x = a, *y = b;
    if (x->revenue != y->revenue)
        return x->revenue < y->revenue ? 1 : -1;
    return (x->product_id > y->product_id) - (x->product_id < y->product_id);
}

/* The best ACCOUNT_TOP_PRODUCTS of the per-product sums, with SKU and name. */
static int top_products(struct db *db, struct arena *arena, struct line_pass *p,
                        struct sd_error *err)
{
    struct account_status *st = p->st;
    struct product_sum *items = p->products.items;
    size_t n = p->products.len;
    if (n)
        qsort(items, n, sizeof(*items), cmp_revenue);
    for (size_t i = 0; i < n && st->n_top < ACCOUNT_TOP_PRODUCTS; i++) {
        struct account_top_product *t = &st->top[st->n_top++];
        t->product_id = items[i].product_id;
        t->revenue = items[i].revenue;
        t->units = items[i].units;
        t->share_pct = percent_of(items[i].revenue, st->revenue_trailing);
        int rc = store_product_brief(db, arena, t->product_id, &t->sku, &t->name, err);
        if (rc)
            return rc;
    }
    return 0;
}

/* The windows: the last 12 months to today, the 12 before, and 24 calendar months. */
static void windows(struct account_status *st, struct line_pass *p)
{
    int32_t t = st->today;
    st->trailing_to = t;
    st->trailing_from = date_add_months(t, -12) + 1;
    st->prior_to = st->trailing_from - 1;
    st->prior_from = date_add_months(t, -24) + 1;
    int y, m, d;
    date_to_civil(t, &y, &m, &d);
    p->month0 = date_add_months(date_from_civil(y, m, 1), -(ACCOUNT_MONTHS - 1));
    p->month0_index = month_index(p->month0);
    for (int i = 0; i < ACCOUNT_MONTHS; i++)
        st->months[i].first_day = date_add_months(p->month0, i);
}

static int revenue(struct db *db, const struct facts *f, struct arena *arena,
                   struct account_status *st, struct sd_error *err)
{
    struct line_pass p = {.st = st, .err = err, .last_day = DATE_NONE};
    vec_init(&p.products, sizeof(struct product_sum));
    windows(st, &p);
    int32_t from = st->prior_from < p.month0 ? st->prior_from : p.month0;
    int64_t id = st->view.account.id;
    int rc = store_account_orders(db, id, from, st->today, add_order, &p, err);
    if (rc == 0)
        rc = f ? facts_account_lines(f, id, from, st->today, add_line, &p)
               : store_account_lines(db, id, from, st->today, add_line, &p, err);
    if (rc == 0)
        rc = top_products(db, arena, &p, err);
    vec_release(&p.products);
    free(p.slots);
    if (rc)
        return rc;
    st->revenue_change_pct =
        st->revenue_prior > 0
            ? percent_of(st->revenue_trailing - st->revenue_prior, st->revenue_prior)
            : INT_NONE;
    st->return_rate_pct =
        percent_of(st->returned_trailing, st->revenue_trailing + st->returned_trailing);
    return 0;
}

/* ---- rhythm ---- */

static int cmp_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/*
 * The median of the gaps between `n` (2..ACCOUNT_RHYTHM_MAX + 1) distinct
 * days given latest first; of an even count of gaps the mean of the middle
 * two, rounded half up.
 */
static int64_t median_gap(const int32_t *days, size_t n)
{
    int64_t gaps[ACCOUNT_RHYTHM_MAX];
    size_t k = n - 1;
    for (size_t i = 0; i < k; i++)
        gaps[i] = (int64_t)days[i] - days[i + 1];
    qsort(gaps, k, sizeof(gaps[0]), cmp_int64);
    return k % 2 ? gaps[k / 2] : (gaps[k / 2 - 1] + gaps[k / 2] + 1) / 2;
}

static int rhythm(struct db *db, const struct account_settings *s, struct account_status *st,
                  struct sd_error *err)
{
    int32_t days[ACCOUNT_RHYTHM_MAX + 1];
    size_t n = 0, want = (size_t)s->v[ACCOUNT_P_RHYTHM_GAPS] + 1;
    st->last_order = DATE_NONE;
    st->days_since_last = INT_NONE;
    st->rhythm_days = INT_NONE;
    st->expected_next = DATE_NONE;
    int rc = store_account_order_days(db, st->view.account.id, st->today, days, want, &n, err);
    if (rc || n == 0)
        return rc;
    st->last_order = days[0];
    st->days_since_last = (int64_t)st->today - days[0];
    st->rhythm_gaps = (int64_t)(n - 1);
    if (n < 2 || st->rhythm_gaps < s->v[ACCOUNT_P_RHYTHM_MIN_GAPS])
        return 0;
    st->rhythm_days = median_gap(days, n);
    st->expected_next = (int32_t)(st->last_order + st->rhythm_days);
    return 0;
}

/* ---- health ---- */

struct health {
    struct account_status *st;
    const struct account_settings *s;
    struct arena *arena;
};

static void reason(struct health *h, enum account_factor f, int64_t points, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void reason(struct health *h, enum account_factor f, int64_t points, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    struct account_reason *r = &h->st->reasons[h->st->n_reasons++];
    r->factor = f;
    r->points = points;
    r->message = arena_strndup(h->arena, sb.buf, sb.len);
    strbuf_release(&sb);
}

static const char *money_text(int64_t v, char *buf)
{
    money_format_grouped(v, 2, buf);
    return buf;
}

static const char *pct_text(int64_t pct, char *buf)
{
    money_format_fixed(pct < 0 ? -pct : pct, 1, buf);
    return buf;
}

static void health_ageing(struct health *h)
{
    static const enum account_param_id points_of[AGE_COUNT] = {
        0, ACCOUNT_P_AGEING_1_30, ACCOUNT_P_AGEING_31_60, ACCOUNT_P_AGEING_61_90,
        ACCOUNT_P_AGEING_OVER_90};
    const struct account_status *st = h->st;
    char amount[MONEY_GROUPED_MAX], worst_amount[MONEY_GROUPED_MAX];
    enum account_age worst = AGE_CURRENT;
    for (int a = AGE_1_30; a < AGE_COUNT; a++)
        if (st->ageing_invoices[a])
            worst = (enum account_age)a;
    if (worst == AGE_CURRENT)
        return;
    reason(h, ACCOUNT_F_RECEIVABLES_AGEING, h->s->v[points_of[worst]],
           "overdue %s, of which %s is %s days past due (the oldest invoice by %lld days)",
           money_text(st->overdue, amount), money_text(st->ageing[worst], worst_amount),
           account_age_label(worst), (long long)st->oldest_days_overdue);
}

/* 1 when the days since the last order are above quiet_factor × the rhythm. */
static int gone_quiet(const struct account_status *st, const struct account_settings *s)
{
    if (st->rhythm_days == INT_NONE)
        return 0;
    return (__int128)st->days_since_last * MONEY_SCALE >
           (__int128)s->v[ACCOUNT_P_QUIET_FACTOR] * st->rhythm_days;
}

static void health_frequency(struct health *h)
{
    const struct account_status *st = h->st;
    char last[DATE_TEXT_MAX], next[DATE_TEXT_MAX];
    if (!gone_quiet(st, h->s))
        return;
    date_format(st->last_order, last);
    date_format(st->expected_next, next);
    reason(h, ACCOUNT_F_ORDER_FREQUENCY, h->s->v[ACCOUNT_P_QUIET_POINTS],
           "no order for %lld days (last %s); it orders about every %lld days, so the next "
           "order was expected by %s",
           (long long)st->days_since_last, last, (long long)st->rhythm_days, next);
}

/* 1 when the last 12 months' revenue is at least `pct` percent below the 12 before. */
static int revenue_dropped(const struct account_status *st, int64_t pct)
{
    return st->revenue_prior > 0 &&
           at_least_pct(st->revenue_prior - st->revenue_trailing, st->revenue_prior, pct);
}

static void health_revenue(struct health *h)
{
    const struct account_status *st = h->st;
    char now[MONEY_GROUPED_MAX], before[MONEY_GROUPED_MAX], pct[MONEY_TEXT_MAX];
    if (!revenue_dropped(st, h->s->v[ACCOUNT_P_REVENUE_DROP_PCT]))
        return;
    reason(h, ACCOUNT_F_REVENUE_TREND, h->s->v[ACCOUNT_P_REVENUE_DROP_POINTS],
           "revenue of the last 12 months %s is %s %% below the 12 months before (%s)",
           money_text(st->revenue_trailing, now), pct_text(st->revenue_change_pct, pct),
           money_text(st->revenue_prior, before));
}

static void health_returns(struct health *h)
{
    const struct account_status *st = h->st;
    char returned[MONEY_GROUPED_MAX], pct[MONEY_TEXT_MAX];
    if (st->returned_trailing <= 0 ||
        !at_least_pct(st->returned_trailing, st->revenue_trailing + st->returned_trailing,
                      h->s->v[ACCOUNT_P_RETURNS_PCT]))
        return;
    reason(h, ACCOUNT_F_RETURNS, h->s->v[ACCOUNT_P_RETURNS_POINTS],
           "returned orders worth %s in the last 12 months: %s %% of the value ordered",
           money_text(st->returned_trailing, returned), pct_text(st->return_rate_pct, pct));
}

static void health_complaints(struct health *h)
{
    const struct account_status *st = h->st;
    struct strbuf ids = STRBUF_INIT;
    if (st->open_complaints == 0)
        return;
    for (size_t i = 0; i < st->n_requests; i++)
        if (st->requests[i].kind && strcmp(st->requests[i].kind, "complaint") == 0)
            strbuf_addf(&ids, "%s%s", ids.len ? ", " : "", st->requests[i].ext_id);
    int64_t points = st->open_complaints * h->s->v[ACCOUNT_P_COMPLAINT_POINTS];
    if (points > h->s->v[ACCOUNT_P_COMPLAINTS_MAX_POINTS])
        points = h->s->v[ACCOUNT_P_COMPLAINTS_MAX_POINTS];
    reason(h, ACCOUNT_F_OPEN_COMPLAINTS, points, "%lld open complaint%s (%s)",
           (long long)st->open_complaints, st->open_complaints == 1 ? "" : "s", ids.buf);
    strbuf_release(&ids);
}

static void health(struct arena *arena, const struct account_settings *s, struct account_status *st)
{
    struct health h = {st, s, arena};
    health_ageing(&h);
    health_frequency(&h);
    health_revenue(&h);
    health_returns(&h);
    health_complaints(&h);
    int64_t score = 100;
    for (size_t i = 0; i < st->n_reasons; i++)
        score -= st->reasons[i].points;
    st->health = score > 0 ? score : 0;
    st->churn_quiet = gone_quiet(st, s);
    st->churn_revenue_drop = revenue_dropped(st, s->v[ACCOUNT_P_CHURN_REVENUE_DROP_PCT]);
    st->churn_risk = st->churn_quiet || st->churn_revenue_drop;
}

/* ---- the whole status ---- */

static int requests(struct db *db, struct arena *arena, struct account_status *st,
                    struct sd_error *err)
{
    int rc = store_account_open_requests(db, arena, st->view.account.id, &st->requests,
                                         &st->n_requests, err);
    for (size_t i = 0; rc == 0 && i < st->n_requests; i++)
        if (st->requests[i].kind && strcmp(st->requests[i].kind, "complaint") == 0)
            st->open_complaints++;
    return rc;
}

static int load(struct db *db, const struct facts *f, struct arena *arena,
                const struct account_settings *s, const char *ext_id, struct account_status *st,
                struct sd_error *err)
{
    int rc = store_account_view(db, arena, ext_id, st->today, &st->view, err);
    if (rc)
        return rc;
    open_orders(st);
    rc = receivables(st, err);
    if (rc == 0)
        rc = credit(st, err);
    if (rc == 0)
        rc = revenue(db, f, arena, st, err);
    if (rc == 0)
        rc = rhythm(db, s, st, err);
    if (rc == 0)
        rc = requests(db, arena, st, err);
    if (rc == 0)
        health(arena, s, st);
    return rc;
}

int account_status_load(struct db *db, const struct facts *f, struct arena *arena,
                        const struct account_settings *s, const char *ext_id, int32_t today,
                        struct account_status *out, struct sd_error *err)
{
    memset(out, 0, sizeof(*out));
    out->today = today;
    /* Every statement reads one snapshot, unless the caller has a transaction. */
    int began = !db_in_transaction(db);
    int rc = began ? db_begin_read(db, err) : 0;
    if (rc == 0)
        rc = load(db, f, arena, s, ext_id, out, err);
    if (began)
        db_rollback(db);
    return rc;
}

/* ---- the status as JSON (salesdesk account --json, GET /api/v1/accounts/{id}/status) ---- */

static void json_master(struct json_writer *w, const struct account_view *v)
{
    const struct account *a = &v->account;
    json_kv_string(w, "id", a->ext_id);
    json_kv_string(w, "source", a->source);
    json_kv_string(w, "name", a->name);
    json_kv_string(w, "segment", a->segment);
    json_kv_string(w, "region", a->region);
    json_kv_string(w, "country", a->country);
    json_kv_string(w, "city", a->city);
    json_kv_string(w, "owner_rep", v->owner_rep_ext_id);
    json_kv_string(w, "owner_rep_name", v->owner_rep_name);
    json_kv_string(w, "account_manager", v->account_manager_ext_id);
    json_kv_string(w, "account_manager_name", v->account_manager_name);
    json_kv_money(w, "credit_limit", a->credit_limit);
    json_kv_int(w, "payment_terms_days", a->payment_terms_days);
    json_kv_string(w, "status", a->status);
    json_kv_string(w, "currency", a->currency);
}

static void json_contacts(struct json_writer *w, const struct account_view *v)
{
    json_key(w, "contacts");
    json_array_begin(w);
    for (size_t i = 0; i < v->n_contacts; i++) {
        const struct contact *c = &v->contacts[i];
        json_object_begin(w);
        json_kv_string(w, "id", c->ext_id);
        json_kv_string(w, "name", c->name);
        json_kv_string(w, "title", c->title);
        json_kv_string(w, "email", c->email);
        json_kv_string(w, "phone", c->phone);
        json_kv_bool(w, "primary", c->is_primary);
        json_object_end(w);
    }
    json_array_end(w);
}

static void json_orders(struct json_writer *w, const struct account_view *v)
{
    json_key(w, "open_orders");
    json_array_begin(w);
    for (size_t i = 0; i < v->n_open_orders; i++) {
        const struct order_summary *o = &v->open_orders[i];
        json_object_begin(w);
        json_kv_string(w, "id", o->ext_id);
        json_kv_date(w, "order_date", o->order_date);
        json_kv_date(w, "promised_date", o->promised_date);
        json_kv_string(w, "status", order_status_name(o->status));
        json_kv_string(w, "currency", o->currency);
        json_kv_money(w, "net", o->net);
        json_object_end(w);
    }
    json_array_end(w);
}

static void json_invoices(struct json_writer *w, const struct account_view *v)
{
    json_key(w, "open_invoices");
    json_array_begin(w);
    for (size_t i = 0; i < v->n_open_invoices; i++) {
        const struct invoice *inv = &v->open_invoices[i];
        json_object_begin(w);
        json_kv_string(w, "id", inv->ext_id);
        json_kv_date(w, "issue_date", inv->issue_date);
        json_kv_date(w, "due_date", inv->due_date);
        json_kv_money(w, "amount", inv->amount);
        json_kv_money(w, "paid_amount", inv->paid_amount);
        json_kv_money(w, "balance", inv->amount - inv->paid_amount);
        json_object_end(w);
    }
    json_array_end(w);
}

static void json_totals(struct json_writer *w, const struct account_view *v, int32_t today)
{
    json_key(w, "totals");
    json_object_begin(w);
    json_kv_date(w, "as_of", today);
    json_kv_int(w, "orders", v->orders_total);
    json_kv_int(w, "invoices", v->invoices_total);
    json_kv_int(w, "open_orders", (int64_t)v->n_open_orders);
    json_kv_money(w, "open_orders_net", v->open_orders_net);
    json_kv_money(w, "receivables", v->receivables);
    json_kv_money(w, "overdue", v->overdue);
    json_object_end(w);
}

static void json_health(struct json_writer *w, const struct account_status *st)
{
    json_key(w, "health");
    json_object_begin(w);
    json_kv_int(w, "score", st->health);
    json_kv_bool(w, "churn_risk", st->churn_risk);
    json_key(w, "churn_reasons");
    json_array_begin(w);
    if (st->churn_quiet)
        json_string(w, account_factor_code(ACCOUNT_F_ORDER_FREQUENCY));
    if (st->churn_revenue_drop)
        json_string(w, account_factor_code(ACCOUNT_F_REVENUE_TREND));
    json_array_end(w);
    json_key(w, "reasons");
    json_array_begin(w);
    for (size_t i = 0; i < st->n_reasons; i++) {
        json_object_begin(w);
        json_kv_string(w, "code", account_factor_code(st->reasons[i].factor));
        json_kv_int(w, "points", st->reasons[i].points);
        json_kv_string(w, "message", st->reasons[i].message);
        json_object_end(w);
    }
    json_array_end(w);
    json_object_end(w);
}

static void json_order_figures(struct json_writer *w, const struct account_status *st)
{
    json_key(w, "orders");
    json_object_begin(w);
    json_kv_int(w, "open", st->open_orders);
    json_kv_money(w, "open_value", st->open_value);
    json_kv_string(w, "oldest_open", st->oldest_open);
    json_kv_date(w, "oldest_open_date", st->oldest_open_date);
    json_kv_date(w, "last_order", st->last_order);
    json_kv_int(w, "days_since_last_order", st->days_since_last);
    json_kv_int(w, "rhythm_days", st->rhythm_days);
    json_kv_int(w, "rhythm_gaps", st->rhythm_gaps);
    json_kv_date(w, "expected_next_order", st->expected_next);
    json_kv_int(w, "other_currency_orders", st->other_currency_orders);
    json_object_end(w);
}

static void json_receivables(struct json_writer *w, const struct account_status *st)
{
    static const char *const keys[AGE_COUNT] = {"current", "1_30", "31_60", "61_90", "90_plus"};
    json_key(w, "receivables");
    json_object_begin(w);
    json_kv_money(w, "total", st->receivables);
    json_kv_money(w, "overdue", st->overdue);
    json_kv_int(w, "oldest_days_overdue", st->oldest_days_overdue);
    json_key(w, "ageing");
    json_object_begin(w);
    for (int a = 0; a < AGE_COUNT; a++) {
        json_key(w, keys[a]);
        json_object_begin(w);
        json_kv_money(w, "amount", st->ageing[a]);
        json_kv_int(w, "invoices", st->ageing_invoices[a]);
        json_object_end(w);
    }
    json_object_end(w);
    json_object_end(w);
}

static void json_credit(struct json_writer *w, const struct account_status *st)
{
    json_key(w, "credit");
    json_object_begin(w);
    json_kv_money(w, "limit", st->credit_limit);
    json_kv_money(w, "exposure", st->exposure);
    json_kv_money(w, "use_pct", st->credit_use_pct);
    json_kv_money(w, "available", st->credit_available);
    json_object_end(w);
}

static void json_window(struct json_writer *w, const char *key, int32_t from, int32_t to,
                        int64_t amount)
{
    json_key(w, key);
    json_object_begin(w);
    json_kv_date(w, "from", from);
    json_kv_date(w, "to", to);
    json_kv_money(w, "revenue", amount);
    json_object_end(w);
}

static void json_revenue(struct json_writer *w, const struct account_status *st)
{
    char month[8];
    json_key(w, "revenue");
    json_object_begin(w);
    json_window(w, "trailing_12", st->trailing_from, st->trailing_to, st->revenue_trailing);
    json_window(w, "prior_12", st->prior_from, st->prior_to, st->revenue_prior);
    json_kv_money(w, "change_pct", st->revenue_change_pct);
    json_kv_int(w, "trailing_12_orders", st->orders_trailing);
    json_kv_money(w, "returned_trailing_12", st->returned_trailing);
    json_kv_money(w, "return_rate_pct", st->return_rate_pct);
    json_key(w, "months");
    json_array_begin(w);
    for (int i = 0; i < ACCOUNT_MONTHS; i++) {
        char day[DATE_TEXT_MAX];
        date_format(st->months[i].first_day, day);
        snprintf(month, sizeof(month), "%.7s", day);
        json_object_begin(w);
        json_kv_string(w, "month", month);
        json_kv_money(w, "revenue", st->months[i].revenue);
        json_kv_int(w, "orders", st->months[i].orders);
        json_object_end(w);
    }
    json_array_end(w);
    json_object_end(w);
}

static void json_top_products(struct json_writer *w, const struct account_status *st)
{
    json_key(w, "top_products");
    json_array_begin(w);
    for (size_t i = 0; i < st->n_top; i++) {
        const struct account_top_product *t = &st->top[i];
        json_object_begin(w);
        json_kv_string(w, "sku", t->sku);
        json_kv_string(w, "name", t->name);
        json_kv_money(w, "revenue", t->revenue);
        json_kv_int(w, "units", t->units);
        json_kv_money(w, "share_pct", t->share_pct);
        json_object_end(w);
    }
    json_array_end(w);
}

static void json_requests(struct json_writer *w, const struct account_status *st)
{
    json_key(w, "open_requests");
    json_array_begin(w);
    for (size_t i = 0; i < st->n_requests; i++) {
        const struct store_account_request *r = &st->requests[i];
        json_object_begin(w);
        json_kv_string(w, "id", r->ext_id);
        json_kv_string(w, "order", r->order_ext_id);
        json_kv_string(w, "kind", r->kind);
        json_kv_string(w, "subject", r->subject);
        json_kv_string(w, "priority", r->priority);
        json_kv_string(w, "status", r->status);
        json_kv_ts(w, "opened_at", r->opened_at);
        json_object_end(w);
    }
    json_array_end(w);
}

void account_status_json(struct json_writer *w, const struct account_status *st)
{
    json_object_begin(w);
    json_master(w, &st->view);
    json_kv_date(w, "today", st->today);
    json_health(w, st);
    json_order_figures(w, st);
    json_receivables(w, st);
    json_credit(w, st);
    json_revenue(w, st);
    json_top_products(w, st);
    json_requests(w, st);
    json_contacts(w, &st->view);
    json_orders(w, &st->view);
    json_invoices(w, &st->view);
    json_totals(w, &st->view, st->today);
    json_object_end(w);
}
