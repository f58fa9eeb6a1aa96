/* SPDX-License-Identifier: MIT */
/*
 * side: the small fact tables beside the order lines — opportunities with
 * their stage history, customer requests and invoices — loaded from the
 * store, and the pipeline, service and receivables measures computed over
 * them for a query plan's groups (see query.h for the definitions).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/xalloc.h"
#include "engine/query-int.h"
#include "store/store.h"
#include "base/banned.h"

#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL

/* ---- loading ---- */

#define SIDE_ARRAYS(X)                                                                        \
    X(opp_account) X(opp_rep) X(opp_stage) X(opp_outcome) X(opp_created) X(opp_closed)      \
        X(opp_amount) X(opp_hist_first) X(opp_hist_n) X(hist_stage) X(hist_day) X(stage_win) \
            X(req_account) X(req_rep) X(req_priority) X(req_opened) X(req_first)            \
                X(req_resolved) X(inv_account) X(inv_rep) X(inv_issue) X(inv_due)           \
                    X(inv_paid_day) X(inv_amount) X(inv_paid)

void side_release(struct facts_side *s)
{
#define FREE(a) free(s->a);
    SIDE_ARRAYS(FREE)
#undef FREE
    if (s->stages.text)
        facts_dict_release(&s->stages);
    memset(s, 0, sizeof(*s));
}

/* Grows the arrays of one table to hold `n` rows. */
#define GROW(a, n) s->a = xreallocarray(s->a, (n) ? (n) : 1, sizeof(*s->a))

struct side_load {
    struct facts *f;
    struct facts_idmap opp_ix; /* opportunity id → index */
    size_t cap, hist_cap;
};

static uint32_t rep_key(const struct facts *f, int64_t rep_id)
{
    uint32_t ix = 0;
    if (rep_id)
        facts_idmap_get(&f->reps.ids, rep_id, &ix);
    return ix;
}

/* 1 and the account's key, or 0 for an account the facts do not hold. */
static int account_key(const struct facts *f, int64_t account_id, uint32_t *key)
{
    return facts_idmap_get(&f->accounts.ids, account_id, key);
}

static int opp_row(struct side_load *l, const struct scan_side *r)
{
    struct facts_side *s = &l->f->side;
    uint32_t account;
    int64_t amount;
    if (!account_key(l->f, r->account_id, &account) ||
        facts_to_base(l->f, r->amount, r->currency, (int32_t)r->t[0], &amount))
        return 0;
    if (s->nopps == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        GROW(opp_account, l->cap), GROW(opp_rep, l->cap), GROW(opp_stage, l->cap);
        GROW(opp_outcome, l->cap), GROW(opp_created, l->cap), GROW(opp_closed, l->cap);
        GROW(opp_amount, l->cap), GROW(opp_hist_first, l->cap), GROW(opp_hist_n, l->cap);
    }
    size_t i = s->nopps++;
    s->opp_account[i] = account;
    s->opp_rep[i] = rep_key(l->f, r->rep_id);
    s->opp_stage[i] = facts_dict_key(l->f, &s->stages, r->text, NULL);
    s->opp_outcome[i] = !r->text2 ? 0 : strcmp(r->text2, "won") == 0 ? 1 : 2;
    s->opp_created[i] = (int32_t)r->t[0];
    s->opp_closed[i] = (int32_t)r->t[1];
    s->opp_amount[i] = amount;
    s->opp_hist_first[i] = 0;
    s->opp_hist_n[i] = 0;
    facts_idmap_put(&l->opp_ix, r->id, (uint32_t)i);
    return 0;
}

static int stage_row(void *ctx, int64_t opportunity_id, const char *stage, int32_t entered)
{
    struct side_load *l = ctx;
    struct facts_side *s = &l->f->side;
    uint32_t opp;
    if (!facts_idmap_get(&l->opp_ix, opportunity_id, &opp))
        return 0;
    if (s->nhist == l->hist_cap) {
        l->hist_cap = l->hist_cap ? l->hist_cap * 2 : 256;
        GROW(hist_stage, l->hist_cap), GROW(hist_day, l->hist_cap);
    }
    if (s->opp_hist_n[opp] == 0)
        s->opp_hist_first[opp] = (uint32_t)s->nhist;
    s->opp_hist_n[opp]++;
    s->hist_stage[s->nhist] = facts_dict_key(l->f, &s->stages, stage, NULL);
    s->hist_day[s->nhist++] = entered;
    return 0;
}

/* The priority's index in the SLA tables; what is not a priority counts as normal. */
static uint8_t priority_of(const char *p)
{
    int pr = sla_priority_parse(p);
    return (uint8_t)(pr < 0 ? SLA_NORMAL : pr);
}

static int request_row(struct side_load *l, const struct scan_side *r)
{
    struct facts_side *s = &l->f->side;
    uint32_t account;
    if (!account_key(l->f, r->account_id, &account))
        return 0;
    if (s->nrequests == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        GROW(req_account, l->cap), GROW(req_rep, l->cap), GROW(req_priority, l->cap);
        GROW(req_opened, l->cap), GROW(req_first, l->cap), GROW(req_resolved, l->cap);
    }
    size_t i = s->nrequests++;
    s->req_account[i] = account;
    s->req_rep[i] = rep_key(l->f, r->rep_id);
    s->req_priority[i] = priority_of(r->text);
    s->req_opened[i] = r->t[0];
    s->req_first[i] = r->t[1];
    s->req_resolved[i] = r->t[2];
    return 0;
}

static int invoice_row(struct side_load *l, const struct scan_side *r)
{
    struct facts_side *s = &l->f->side;
    uint32_t account;
    int64_t amount, paid;
    if (!account_key(l->f, r->account_id, &account) ||
        facts_to_base(l->f, r->amount, r->currency, (int32_t)r->t[0], &amount) ||
        facts_to_base(l->f, r->paid, r->currency, (int32_t)r->t[0], &paid))
        return 0;
    if (s->ninvoices == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        GROW(inv_account, l->cap), GROW(inv_rep, l->cap), GROW(inv_issue, l->cap);
        GROW(inv_due, l->cap), GROW(inv_paid_day, l->cap), GROW(inv_amount, l->cap);
        GROW(inv_paid, l->cap);
    }
    size_t i = s->ninvoices++;
    s->inv_account[i] = account;
    s->inv_rep[i] = rep_key(l->f, r->rep_id);
    s->inv_issue[i] = (int32_t)r->t[0];
    s->inv_due[i] = (int32_t)r->t[1];
    s->inv_paid_day[i] = (int32_t)r->t[2];
    s->inv_amount[i] = amount;
    s->inv_paid[i] = paid;
    return 0;
}

static int side_row(void *ctx, const struct scan_side *r)
{
    switch (r->kind) {
    case ENTITY_OPPORTUNITY:
        return opp_row(ctx, r);
    case ENTITY_REQUEST:
        return request_row(ctx, r);
    default:
        return invoice_row(ctx, r);
    }
}

/* Each stage's win share: of the closed opportunities that entered it, the share won. */
static void stage_odds(struct facts_side *s)
{
    int64_t *won = xcalloc(s->stages.n, sizeof(*won)), *closed = xcalloc(s->stages.n, sizeof(*closed));
    GROW(stage_win, s->stages.n);
    for (size_t i = 0; i < s->nopps; i++) {
        if (!s->opp_outcome[i])
            continue;
        for (uint32_t h = 0; h < s->opp_hist_n[i]; h++) {
            uint32_t st = s->hist_stage[s->opp_hist_first[i] + h];
            closed[st]++;
            won[st] += s->opp_outcome[i] == 1;
        }
    }
    for (uint32_t st = 0; st < s->stages.n; st++)
        s->stage_win[st] = closed[st] ? won[st] * 1000000 / closed[st] : 0;
    free(won);
    free(closed);
}

/* Each array and its row count, for trimming and for statistics. */
#define SIDE_SIZES(X)                                                                           \
    X(opp_account, s->nopps) X(opp_rep, s->nopps) X(opp_stage, s->nopps)                     \
        X(opp_outcome, s->nopps) X(opp_created, s->nopps) X(opp_closed, s->nopps)            \
            X(opp_amount, s->nopps) X(opp_hist_first, s->nopps) X(opp_hist_n, s->nopps)      \
                X(hist_stage, s->nhist) X(hist_day, s->nhist) X(stage_win, s->stages.n)      \
                    X(req_account, s->nrequests) X(req_rep, s->nrequests)                    \
                        X(req_priority, s->nrequests) X(req_opened, s->nrequests)            \
                            X(req_first, s->nrequests) X(req_resolved, s->nrequests)         \
                                X(inv_account, s->ninvoices) X(inv_rep, s->ninvoices)        \
                                    X(inv_issue, s->ninvoices) X(inv_due, s->ninvoices)      \
                                        X(inv_paid_day, s->ninvoices)                        \
                                            X(inv_amount, s->ninvoices)                      \
                                                X(inv_paid, s->ninvoices)

/* Gives back the room the arrays grew into. */
static void shrink(struct facts_side *s)
{
#define TRIM(a, n) GROW(a, n);
    SIDE_SIZES(TRIM)
#undef TRIM
}

int side_load(struct facts *f, struct db *db, struct sd_error *err)
{
    struct side_load l = {.f = f};
    side_release(&f->side);
    facts_dict_init(&f->side.stages);
    int rc = sla_targets_load(db, &f->side.sla, err);
    if (rc == 0)
        rc = store_scan_side(db, ENTITY_OPPORTUNITY, 0, side_row, &l, err);
    if (rc == 0)
        rc = store_scan_stages(db, 0, stage_row, &l, err);
    l.cap = 0;
    if (rc == 0)
        rc = store_scan_side(db, ENTITY_REQUEST, 0, side_row, &l, err);
    l.cap = 0;
    if (rc == 0)
        rc = store_scan_side(db, ENTITY_INVOICE, 0, side_row, &l, err);
    if (rc == 0)
        stage_odds(&f->side);
    if (rc == 0)
        shrink(&f->side);
    facts_idmap_release(&l.opp_ix);
    return rc;
}

int64_t side_bytes(const struct facts_side *s)
{
    int64_t bytes = 0;
#define SIZE(a, n) bytes += (int64_t)((n) * sizeof(*s->a));
    SIDE_SIZES(SIZE)
#undef SIZE
    return bytes + (int64_t)(s->stages.cap * 2 * sizeof(char *) + s->stages.map.keys.used);
}

/* ---- measures ---- */

#define SIDE_MASK                                                                              \
    ((1u << MEASURE_PIPELINE) | (1u << MEASURE_WEIGHTED_PIPELINE) | (1u << MEASURE_WIN_RATE) | \
     (1u << MEASURE_DEALS_WON) | (1u << MEASURE_AVG_DEAL) | (1u << MEASURE_SALES_CYCLE) |       \
     (1u << MEASURE_REQUESTS) | (1u << MEASURE_FIRST_RESPONSE) | (1u << MEASURE_RESOLUTION) |   \
     (1u << MEASURE_SLA_BREACH_RATE) | (1u << MEASURE_RECEIVABLES) | (1u << MEASURE_OVERDUE) |  \
     (1u << MEASURE_DSO))

int side_wanted(uint32_t measures)
{
    return (measures & SIDE_MASK) != 0;
}

#define SIDE_SUMS(X)                                                                          \
    X(hits) X(pipe) X(weighted) X(won) X(lost) X(won_amount) X(cycle_days) X(requests)      \
        X(first_n) X(first_ms) X(resolved_n) X(resolved_ms) X(sla_breached) X(ar) X(overdue) \
            X(invoiced90)

void side_acc_release(struct side_acc *a)
{
#define FREE(x) free(a->x);
    SIDE_SUMS(FREE)
#undef FREE
    memset(a, 0, sizeof(*a));
}

/* The group of an item of `account` and `rep` in bucket b; 0 when filtered out. */
static int side_group(const struct plan *p, uint32_t account, uint32_t rep, uint32_t b,
                      size_t *g)
{
    if ((p->ok[0] && !p->ok[0][account]) || (p->ok[1] && !p->ok[1][rep]) ||
        !query_rows_pass(p->rows, account, rep))
        return 0;
    size_t key = b;
    for (int k = 0; k < 2; k++) {
        if (p->nkey[k] <= 1)
            continue;
        uint32_t ix = p->level[k] == LEVEL_ACCOUNT ? account : rep;
        key = key * p->nkey[k] + (p->map[k] ? p->map[k][ix] : ix);
    }
    *g = key;
    return 1;
}

/* The bucket of an event on `day`; 0 when outside the range. */
static int side_bucket(const struct plan *p, int32_t day, uint32_t *b)
{
    if (day == DATE_NONE)
        return 0;
    uint64_t off = (uint64_t)((int64_t)day - p->day_lo);
    if (off > p->span || p->status_ok == 0)
        return 0;
    *b = p->bucket_of ? p->bucket_of[off] : 0;
    return 1;
}

/* The last day of bucket b inside the range (snapshots are taken then). */
static int32_t bucket_end(const struct plan *p, uint32_t b)
{
    int32_t hi = p->day_lo + (int32_t)p->span;
    if (!p->bucket_last)
        return hi;
    return p->bucket_last[b] < hi ? p->bucket_last[b] : hi;
}

/* The stage opportunity i was in on `day`: the last one entered by then, else its current. */
static uint32_t stage_on(const struct facts_side *s, size_t i, int32_t day)
{
    uint32_t stage = s->opp_stage[i];
    for (uint32_t h = 0; h < s->opp_hist_n[i]; h++) {
        uint32_t at = s->opp_hist_first[i] + h;
        if (s->hist_day[at] <= day)
            stage = s->hist_stage[at];
    }
    return stage;
}

static void scan_opportunities(const struct plan *p, struct side_acc *a)
{
    const struct facts_side *s = &p->f->side;
    uint32_t b;
    size_t g;
    for (size_t i = 0; i < s->nopps; i++) {
        if (s->opp_outcome[i] && side_bucket(p, s->opp_closed[i], &b) &&
            side_group(p, s->opp_account[i], s->opp_rep[i], b, &g)) {
            a->hits[g]++;
            a->won[g] += s->opp_outcome[i] == 1;
            a->lost[g] += s->opp_outcome[i] == 2;
            if (s->opp_outcome[i] == 1) {
                a->won_amount[g] += s->opp_amount[i];
                a->cycle_days[g] += s->opp_closed[i] - s->opp_created[i];
            }
        }
        for (uint32_t k = 0; p->status_ok && k < p->nbuckets; k++) {
            int32_t end = bucket_end(p, k);
            int open = s->opp_created[i] <= end &&
                       (s->opp_closed[i] == DATE_NONE || s->opp_closed[i] > end);
            if (!open || !side_group(p, s->opp_account[i], s->opp_rep[i], k, &g))
                continue;
            a->hits[g]++;
            a->pipe[g] += s->opp_amount[i];
            a->weighted[g] += (int64_t)((__int128)s->opp_amount[i] *
                                        s->stage_win[stage_on(s, i, end)] / 1000000);
        }
    }
}

/* 1 when request i is past an SLA of its priority, as of `asof` (ms). */
static int breached(const struct facts_side *s, size_t i, int64_t asof)
{
    int pr = s->req_priority[i];
    int64_t first = s->req_first[i] != INT64_MIN ? s->req_first[i] : asof;
    int64_t done = s->req_resolved[i] != INT64_MIN ? s->req_resolved[i] : asof;
    return sla_late(first - s->req_opened[i], s->sla.first_ms[pr]) ||
           sla_late(done - s->req_opened[i], s->sla.resolve_ms[pr]);
}

static void scan_requests(const struct plan *p, struct side_acc *a)
{
    const struct facts_side *s = &p->f->side;
    uint32_t b;
    size_t g;
    for (size_t i = 0; i < s->nrequests; i++) {
        int32_t day = (int32_t)(s->req_opened[i] / DAY_MS - (s->req_opened[i] % DAY_MS < 0));
        if (!side_bucket(p, day, &b) || !side_group(p, s->req_account[i], s->req_rep[i], b, &g))
            continue;
        int64_t asof = ((int64_t)bucket_end(p, b) + 1) * DAY_MS;
        a->hits[g]++;
        a->requests[g]++;
        if (s->req_first[i] != INT64_MIN) {
            a->first_n[g]++;
            a->first_ms[g] += s->req_first[i] - s->req_opened[i];
        }
        if (s->req_resolved[i] != INT64_MIN) {
            a->resolved_n[g]++;
            a->resolved_ms[g] += s->req_resolved[i] - s->req_opened[i];
        }
        a->sla_breached[g] += breached(s, i, asof);
    }
}

static void scan_invoices(const struct plan *p, struct side_acc *a)
{
    const struct facts_side *s = &p->f->side;
    size_t g;
    for (size_t i = 0; i < s->ninvoices; i++) {
        for (uint32_t k = 0; p->status_ok && k < p->nbuckets; k++) {
            int32_t end = bucket_end(p, k);
            if (s->inv_issue[i] > end || !side_group(p, s->inv_account[i], s->inv_rep[i], k, &g))
                continue;
            /* Paid after the end: all of it was still open then; else what is left. */
            int paid_later = s->inv_paid_day[i] != DATE_NONE && s->inv_paid_day[i] > end;
            int64_t open = paid_later ? s->inv_amount[i] : s->inv_amount[i] - s->inv_paid[i];
            if (s->inv_issue[i] > end - 90) {
                a->invoiced90[g] += s->inv_amount[i];
                a->hits[g]++;
            }
            if (open == 0)
                continue;
            a->hits[g]++;
            a->ar[g] += open;
            if (s->inv_due[i] < end)
                a->overdue[g] += open;
        }
    }
}

/* 1 when the plan groups or filters by product or category. */
static int product_level(const struct plan *p)
{
    return p->ok[2] || (p->nkey[0] > 1 && p->level[0] == LEVEL_PRODUCT) ||
           (p->nkey[1] > 1 && p->level[1] == LEVEL_PRODUCT);
}

void side_scan(const struct plan *p, struct side_acc *a)
{
    memset(a, 0, sizeof(*a));
#define ALLOC(x) a->x = xcalloc(p->ngroups, sizeof(int64_t));
    SIDE_SUMS(ALLOC)
#undef ALLOC
    if (product_level(p))
        return; /* opportunities, requests and invoices have no product */
    scan_opportunities(p, a);
    scan_requests(p, a);
    scan_invoices(p, a);
}

void side_values(const struct plan *p, const struct side_acc *a, size_t g, int64_t *v)
{
    int64_t all[MEASURE_COUNT] = {
        [MEASURE_PIPELINE] = a->pipe[g],
        [MEASURE_WEIGHTED_PIPELINE] = a->weighted[g],
        [MEASURE_WIN_RATE] = query_ratio((__int128)a->won[g] * 1000000, a->won[g] + a->lost[g]),
        [MEASURE_DEALS_WON] = a->won[g] * 10000,
        [MEASURE_AVG_DEAL] = query_ratio(a->won_amount[g], a->won[g]),
        [MEASURE_SALES_CYCLE] = query_ratio((__int128)a->cycle_days[g] * 10000, a->won[g]),
        [MEASURE_REQUESTS] = a->requests[g] * 10000,
        [MEASURE_FIRST_RESPONSE] = query_ratio((__int128)a->first_ms[g] * 10000, a->first_n[g] * HOUR_MS),
        [MEASURE_RESOLUTION] = query_ratio((__int128)a->resolved_ms[g] * 10000, a->resolved_n[g] * HOUR_MS),
        [MEASURE_SLA_BREACH_RATE] = query_ratio((__int128)a->sla_breached[g] * 1000000, a->requests[g]),
        [MEASURE_RECEIVABLES] = a->ar[g],
        [MEASURE_OVERDUE] = a->overdue[g],
        [MEASURE_DSO] = query_ratio((__int128)a->ar[g] * 90 * 10000, a->invoiced90[g]),
    };
    for (int m = MEASURE_PIPELINE; m < MEASURE_COUNT; m++) {
        if (p->measures & (1u << m))
            v[m] = product_level(p) ? QUERY_NONE : all[m];
    }
}
