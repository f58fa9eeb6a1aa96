/* SPDX-License-Identifier: MIT */
/*
 * gen-pipeline: the CRM side of the demo: opportunities with stage histories
 * (some stall, some skip stages, lost ones carry a reason), customer requests
 * with response and resolution times, and quarterly quotas for reps and teams
 * set around what they actually sold.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/date.h"
#include "base/json.h"
#include "base/money.h"
#include "demo/gen-int.h"
#include "base/banned.h"

#define DAY_MS 86400000LL
#define HOUR_MS 3600000LL

static const char *const stages[] = {"Prospecting", "Qualification", "Proposal", "Negotiation"};
static const char *const lost_reasons[] = {"Price", "Competitor", "No budget", "Timing",
                                           "No decision", "Product fit"};
static const char *const lead_sources[] = {"Referral", "Web", "Trade show", "Outbound",
                                           "Partner", "Existing customer"};
static const char *const opportunity_kinds[] = {"Annual supply", "Expansion", "New line",
                                                "Replacement", "Pilot"};

/* Chance of moving on from each stage; the rest are lost there. */
static const double advance_chance[] = {0.75, 0.7, 0.65, 0.6};

struct opp_plan {
    struct opportunity opp;
    struct opportunity_stage history[ARRAY_LEN(stages) + 1];
    size_t n_history;
};

/* Walks the stages from `created` until won, lost, or today (still open). */
static void walk_stages(struct gen *g, struct opp_plan *p, int stall)
{
    struct rng *r = &g->rng;
    int32_t day = p->opp.created_date;
    for (size_t s = 0; s < ARRAY_LEN(stages); s++) {
        if (s == 1 && p->n_history > 0 && rng_chance(r, 0.12))
            continue; /* qualification skipped */
        p->history[p->n_history++] = (struct opportunity_stage){.stage = stages[s],
                                                                .entered_date = day};
        p->opp.stage = stages[s];
        int32_t dwell = (int32_t)rng_range(r, 4, 30) * (stall && s >= 1 ? 6 : 1);
        if (day + dwell > g->today)
            return; /* still open in this stage */
        day += dwell;
        if (!rng_chance(r, advance_chance[s])) {
            p->opp.outcome = "lost";
            p->opp.stage = "Closed Lost";
            p->opp.lost_reason = rng_pick(r, lost_reasons, ARRAY_LEN(lost_reasons));
            p->opp.closed_date = day;
            p->history[p->n_history++] =
                (struct opportunity_stage){.stage = "Closed Lost", .entered_date = day};
            return;
        }
    }
    p->opp.outcome = "won";
    p->opp.stage = "Closed Won";
    p->opp.closed_date = day;
    p->history[p->n_history++] = (struct opportunity_stage){.stage = "Closed Won",
                                                            .entered_date = day};
}

static int write_opportunity(struct gen *g, int index)
{
    struct rng *r = &g->rng;
    const struct gen_account *a = &g->accounts[rng_next(r) % (uint64_t)g->n_accounts];
    struct opp_plan p = {0};
    double size = exp(8.5 + 1.0 * rng_normal(r)) * (a->segment == SEG_ENTERPRISE ? 4 : 1);
    p.opp = (struct opportunity){
        .source = DEMO_SOURCE,
        .ext_id = gen_strf(g, "OPP-%06d", index + 1),
        .account_id = a->id,
        .rep_id = g->reps[a->owner_rep].id,
        .name = gen_strf(g, "%s %d", rng_pick(r, opportunity_kinds, ARRAY_LEN(opportunity_kinds)),
                         index + 1),
        .amount = (int64_t)(size / 100) * 100 * MONEY_SCALE,
        .currency = a->currency,
        .created_date = (int32_t)rng_range(r, g->first_day, g->today - 1),
        .closed_date = DATE_NONE,
        .lead_source = rng_pick(r, lead_sources, ARRAY_LEN(lead_sources)),
    };
    if (p.opp.amount == 0)
        p.opp.amount = 100 * MONEY_SCALE;
    p.opp.expected_close = p.opp.created_date + (int32_t)rng_range(r, 30, 120);
    walk_stages(g, &p, rng_chance(r, 0.15));
    enum store_write w;
    return store_opportunity_upsert(g->db, &p.opp, p.history, p.n_history, &w, g->err);
}

int gen_write_pipeline(struct gen *g)
{
    int n = g->n_accounts * 3;
    for (int i = 0; i < n; i++) {
        int rc = write_opportunity(g, i);
        if (rc)
            return rc;
        if (i % 4096 == 0)
            gen_progress(g, "opportunities", (uint64_t)i, (uint64_t)n);
    }
    return 0;
}

static const char *const request_kinds[] = {"delivery_status", "invoice_question", "return",
                                            "price_query", "change_order", "complaint"};
static const char *const request_subjects[] = {
    "Where is my delivery?",     "Invoice amount looks wrong", "Return of damaged goods",
    "Price for a larger volume", "Change quantity on order",   "Late delivery complaint",
};
static const char *const priorities[] = {"low", "normal", "normal", "normal", "high", "urgent"};

/* Response and resolution times; requests of the last days may still be open. */
static void request_times(struct gen *g, struct request *req, int64_t now)
{
    struct rng *r = &g->rng;
    int64_t response = (int64_t)(exp(1.2 + 1.1 * rng_normal(r)) * HOUR_MS);
    int64_t resolution = response + (int64_t)(exp(3.5 + 0.9 * rng_normal(r)) * HOUR_MS);
    req->first_response_at = req->opened_at + response;
    req->resolved_at = req->opened_at + resolution;
    req->status = "closed";
    if (req->resolved_at > now) {
        req->resolved_at = INT_NONE;
        req->status = rng_chance(r, 0.3) ? "waiting" : "in_progress";
    }
    if (req->first_response_at > now) {
        req->first_response_at = INT_NONE;
        req->status = "open";
    }
}

static int write_request(struct gen *g, int index, int64_t now)
{
    struct rng *r = &g->rng;
    size_t pick = rng_next(r) % g->orders.len;
    const struct gen_order *go = VEC_AT(&g->orders, struct gen_order, pick);
    const struct gen_account *a = &g->accounts[go->account];
    size_t kind = rng_next(r) % ARRAY_LEN(request_kinds);
    int64_t opened_day = go->day + rng_range(r, 0, 20);
    if (opened_day > g->today)
        opened_day = g->today;
    struct request req = {
        .source = DEMO_SOURCE,
        .ext_id = gen_strf(g, "REQ-%06d", index + 1),
        .account_id = a->id,
        .order_id = 0,
        .kind = request_kinds[kind],
        .subject = request_subjects[kind],
        .priority = rng_pick(r, priorities, ARRAY_LEN(priorities)),
        .opened_at = opened_day * DAY_MS + rng_range(r, 7, 18) * HOUR_MS,
        .assignee_rep_id = g->reps[a->owner_rep].id,
    };
    if (req.opened_at > now)
        req.opened_at = now - HOUR_MS;
    req.order_id = g->first_order_id + (int64_t)pick;
    request_times(g, &req, now);
    enum store_write w;
    return store_request_upsert(g->db, &req, &w, g->err);
}

int gen_write_requests(struct gen *g)
{
    int n = (int)(g->orders.len * 3 / 100);
    if (n < 60)
        n = 60;
    /* "Now" is the end of the demo's last day, so the data does not depend on the clock. */
    int64_t now = (int64_t)g->today * DAY_MS + DEMO_NOW_HOUR * HOUR_MS;
    for (int i = 0; i < n; i++) {
        int rc = write_request(g, i, now);
        if (rc)
            return rc;
    }
    return 0;
}

/* Quota: what the rep sold in the quarter, rounded, with a stretch of -10 % .. +20 %. */
static int64_t quota_for(struct gen *g, int64_t revenue)
{
    double stretch = 0.9 + 0.3 * rng_unit(&g->rng);
    int64_t amount = (int64_t)((double)revenue / MONEY_SCALE * stretch / 1000.0) * 1000;
    return (amount < 1000 ? 1000 : amount) * MONEY_SCALE;
}

static void quarter_period(struct gen *g, int q, struct period *out, char *text)
{
    int y, m, d;
    date_to_civil(g->first_day, &y, &m, &d);
    int quarter0 = (m - 1) / 3 + q;
    int32_t day = date_from_civil(y + quarter0 / 4, (quarter0 % 4) * 3 + 1, 1);
    *out = period_containing(day, PERIOD_QUARTER, 1);
    period_format(out, text);
}

int gen_write_quotas(struct gen *g)
{
    int64_t *team_totals = calloc((size_t)g->n_teams, sizeof(*team_totals));
    int rc = team_totals ? 0 : SD_ENOMEM;
    for (int q = 0; rc == 0 && q < g->n_quarters; q++) {
        struct period period;
        char text[PERIOD_TEXT_MAX];
        quarter_period(g, q, &period, text);
        memset(team_totals, 0, (size_t)g->n_teams * sizeof(*team_totals));
        for (int i = 0; rc == 0 && i < g->n_reps; i++) {
            /* The next quarter has no sales yet: plan it on this one. */
            int basis = q == g->n_quarters - 1 ? q - 1 : q;
            int64_t revenue = g->rep_quarter_revenue[(size_t)i * (size_t)g->n_quarters + basis];
            struct quota quota = {g->reps[i].id, 0, text, period.first, period.last,
                                  quota_for(g, revenue)};
            team_totals[g->reps[i].team] += quota.amount;
            enum store_write w;
            rc = store_quota_set(g->db, &quota, &w, g->err);
        }
        for (int t = 0; rc == 0 && t < g->n_teams; t++) {
            struct quota quota = {0, g->teams[t].id, text, period.first, period.last,
                                  team_totals[t]};
            enum store_write w;
            rc = store_quota_set(g->db, &quota, &w, g->err);
        }
    }
    free(team_totals);
    return rc;
}
