/* SPDX-License-Identifier: MIT */
/*
 * account: the account status. Everything about one account at once: its
 * open orders, receivables with their ageing, credit use, revenue over the
 * last 12 months against the 12 before and month by month, its buying
 * rhythm (last order, expected next one), top products, open requests, and a
 * health score 0-100 with the reasons that lowered it and a churn-risk flag.
 * docs/desk.md ("Account status") defines every figure; the thresholds are
 * settings (keys "account.*", defaults in account_params[]), and a test keeps
 * the documentation in step with that table.
 *
 * The figures come from the store through the account's own indexes, so one
 * account answers in milliseconds on any store; given the engine's facts,
 * the revenue figures (months, windows, top products, returns: the lines of
 * 24 months, tens of thousands for the largest accounts) are summed from
 * them instead, with the same results (facts_account_lines gives the same
 * lines with the same nets). Amounts are in the account's currency as
 * stored (no conversion; orders in another currency are counted in
 * other_currency_orders).
 *
 * Memory: strings and arrays live in the arena passed in.
 */
#ifndef SD_DESK_ACCOUNT_H
#define SD_DESK_ACCOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/error.h"
#include "base/json.h"
#include "db/db.h"
#include "engine/facts.h"
#include "store/store.h"

/* Receivables ageing by days past due at "today": 0 or less, 1-30, 31-60, 61-90, 91 and more. */
enum account_age { AGE_CURRENT, AGE_1_30, AGE_31_60, AGE_61_90, AGE_OVER_90, AGE_COUNT };

#define ACCOUNT_MONTHS       24 /* the monthly trend: the month of today and the 23 before */
#define ACCOUNT_TOP_PRODUCTS 5  /* top products by revenue, last 12 months */
#define ACCOUNT_RHYTHM_MAX   64 /* the most gaps between orders the rhythm can take */

/* A threshold or weight: its settings key, the default as setting text, its meaning. */
enum account_param_unit {
    ACCOUNT_POINTS,  /* whole health points 0..100 */
    ACCOUNT_COUNT,   /* whole number */
    ACCOUNT_DECIMAL, /* decimal >= 0, kept in 1/10000 (a factor, or a percent) */
};

struct account_param {
    const char *key;
    const char *fallback;
    enum account_param_unit unit;
    const char *help;
};

enum account_param_id {
    ACCOUNT_P_AGEING_1_30,
    ACCOUNT_P_AGEING_31_60,
    ACCOUNT_P_AGEING_61_90,
    ACCOUNT_P_AGEING_OVER_90,
    ACCOUNT_P_RHYTHM_GAPS,
    ACCOUNT_P_RHYTHM_MIN_GAPS,
    ACCOUNT_P_QUIET_FACTOR,
    ACCOUNT_P_QUIET_POINTS,
    ACCOUNT_P_REVENUE_DROP_PCT,
    ACCOUNT_P_REVENUE_DROP_POINTS,
    ACCOUNT_P_RETURNS_PCT,
    ACCOUNT_P_RETURNS_POINTS,
    ACCOUNT_P_COMPLAINT_POINTS,
    ACCOUNT_P_COMPLAINTS_MAX_POINTS,
    ACCOUNT_P_CHURN_REVENUE_DROP_PCT,
    ACCOUNT_P_COUNT
};

extern const struct account_param account_params[ACCOUNT_P_COUNT];

/* The values in force, by enum account_param_id (decimals in 1/10000). */
struct account_settings {
    int64_t v[ACCOUNT_P_COUNT];
};

/*
 * Reads every param's setting, else its default. SD_EINVAL naming the key
 * when a value does not parse in its unit.
 */
int account_settings_load(struct db *db, struct account_settings *out, struct sd_error *err);

/* The health factors, in the order their reasons are listed. */
enum account_factor {
    ACCOUNT_F_RECEIVABLES_AGEING,
    ACCOUNT_F_ORDER_FREQUENCY,
    ACCOUNT_F_REVENUE_TREND,
    ACCOUNT_F_RETURNS,
    ACCOUNT_F_OPEN_COMPLAINTS,
    ACCOUNT_F_COUNT
};

/* "RECEIVABLES_AGEING" ... */
const char *account_factor_code(enum account_factor f);

/* A reason that lowered the health score: its factor, the points it took, a sentence. */
struct account_reason {
    enum account_factor factor;
    int64_t points;
    const char *message;
};

struct account_month {
    int32_t first_day; /* the month's first day */
    int64_t revenue;
    int64_t orders; /* booked orders placed in the month */
};

struct account_top_product {
    int64_t product_id;
    const char *sku;
    const char *name;
    int64_t revenue;
    int64_t units;
    int64_t share_pct; /* of the last 12 months' revenue, percent in 1/10000 */
};

struct account_status {
    struct account_view view; /* master data, contacts, open orders, open invoices */
    int32_t today;

    /* open orders (draft pending confirmed on_hold) */
    int64_t open_orders;
    int64_t open_value;       /* Σ order net */
    const char *oldest_open;  /* ext id; NULL: none */
    int32_t oldest_open_date; /* DATE_NONE: none */

    /* receivables: unpaid balances of the invoices not fully paid */
    int64_t receivables;
    int64_t ageing[AGE_COUNT];
    int64_t ageing_invoices[AGE_COUNT];
    int64_t overdue;             /* Σ of the buckets past due (1-30 and later) */
    int64_t oldest_days_overdue; /* 0: nothing overdue */

    /* credit */
    int64_t credit_limit;     /* MONEY_NONE: no limit */
    int64_t exposure;         /* receivables + open_value */
    int64_t credit_use_pct;   /* exposure / limit × 100 in 1/10000; INT_NONE: no limit or 0 */
    int64_t credit_available; /* limit − exposure (negative: over); MONEY_NONE: no limit */

    /* revenue: net of booked lines by order date */
    int32_t trailing_from, trailing_to; /* the last 12 months, to today */
    int32_t prior_from, prior_to;       /* the 12 months before */
    int64_t revenue_trailing;
    int64_t revenue_prior;
    int64_t revenue_change_pct; /* (trailing − prior) / prior × 100 in 1/10000; INT_NONE: prior 0 */
    int64_t orders_trailing;    /* booked orders in the last 12 months */
    int64_t returned_trailing; /* net of returned orders of the last 12 months */
    int64_t return_rate_pct;   /* returned / (revenue + returned) × 100; INT_NONE: both 0 */
    struct account_month months[ACCOUNT_MONTHS]; /* oldest first */
    int64_t other_currency_orders; /* orders in the window not in the account's currency */

    /* rhythm */
    int32_t last_order;      /* latest booked order date on or before today; DATE_NONE */
    int64_t days_since_last; /* INT_NONE: no order */
    int64_t rhythm_days;     /* median gap between order days; INT_NONE: too few orders */
    int64_t rhythm_gaps;     /* how many gaps the median was taken over */
    int32_t expected_next;   /* last_order + rhythm_days; DATE_NONE */

    struct account_top_product top[ACCOUNT_TOP_PRODUCTS];
    size_t n_top;

    struct store_account_request *requests; /* open requests, oldest first */
    size_t n_requests;
    int64_t open_complaints; /* of those, kind 'complaint' */

    /* health */
    int64_t health; /* 0..100 */
    struct account_reason reasons[ACCOUNT_F_COUNT];
    size_t n_reasons;
    int churn_risk;
    int churn_quiet;        /* churn because ORDER_FREQUENCY fired */
    int churn_revenue_drop; /* churn because revenue fell by the churn threshold or more */
};

/*
 * The status of the account with external id `ext_id` ("ID" or
 * "SOURCE:ID") as of `today`, all figures from one read snapshot of the
 * store, except that the order lines come from `f` when it is not NULL
 * (the caller holds it caught up with the store and unchanged for the call).
 * SD_ENOTFOUND when there is no such account, SD_EOVERFLOW when a sum does
 * not fit in money's range.
 */
int account_status_load(struct db *db, const struct facts *f, struct arena *arena,
                        const struct account_settings *s, const char *ext_id, int32_t today,
                        struct account_status *out, struct sd_error *err);

/*
 * The status as one JSON object: master data, today, health, orders,
 * receivables, credit, revenue, top products, open requests, contacts, open
 * orders and invoices, totals (the same form for `salesdesk account ID
 * --json` and GET /api/v1/accounts/{id}/status).
 */
void account_status_json(struct json_writer *w, const struct account_status *st);

/* The label of an ageing bucket: "current", "1-30", "31-60", "61-90", "90+". */
const char *account_age_label(enum account_age a);

#endif
