/* SPDX-License-Identifier: MIT */
/*
 * query: measures over the facts, grouped by a time bucket and up to two
 * dimensions, filtered by dates, order statuses and dimension values, with
 * top-N. Scans split across the available cores.
 *
 * Which lines count: a line counts when its order status is in the query's
 * status set (all statuses when empty) and is a booked status (pending,
 * confirmed, on_hold, shipped, invoiced, paid) or returned. Draft and
 * cancelled orders never count. Returned lines count only in return_rate;
 * every other measure is over booked lines. A group appears in the result
 * when at least one counted line falls in it. Dates filter and bucket on the
 * order date.
 *
 * The pipeline, service and receivables measures count opportunities,
 * customer requests and invoices instead, attributed to their account and
 * rep (the opportunity's rep, the request's assignee, the invoiced order's
 * rep); grouped or filtered by product or category they have no value.
 * Events bucket on their own day (closed, opened); snapshots (pipeline,
 * receivables, overdue, DSO) are taken at the end of each bucket, or of the
 * range, and the range never reaches past the last order day.
 *
 * Values are int64 fixed point × 10^4 in every unit: money in 1/10000 of the
 * base currency, counts × 10^4 (5 orders: 50000), percentages × 10^4
 * (12.5 %: 125000), days × 10^4. Ratios are rounded once, half away from
 * zero; QUERY_NONE when undefined (no denominator). The definitions are in
 * the measure table (query.c) and docs/engine.md; tests/unit/test-query.c
 * holds their SQL twins.
 */
#ifndef SD_ENGINE_QUERY_H
#define SD_ENGINE_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "base/date.h"
#include "base/error.h"
#include "engine/facts.h"

#define QUERY_NONE INT64_MIN
#define QUERY_MAX_FILTERS 16
#define QUERY_MAX_GROUPS (1u << 21)

enum measure {
    MEASURE_REVENUE,       /* Σ net */
    MEASURE_COST,          /* Σ qty × product cost */
    MEASURE_MARGIN,        /* revenue − cost */
    MEASURE_MARGIN_PCT,    /* margin / revenue × 100 */
    MEASURE_UNITS,         /* Σ qty */
    MEASURE_LINES,         /* count of lines */
    MEASURE_ORDERS,        /* distinct orders */
    MEASURE_ACCOUNTS,      /* distinct accounts (active accounts) */
    MEASURE_NEW_ACCOUNTS,  /* distinct accounts whose first booked order ever is in the group */
    MEASURE_AOV,           /* revenue / orders */
    MEASURE_ON_TIME_RATE,  /* shipped orders with a due day: shipped on or before it, % */
    MEASURE_DAYS_TO_SHIP,  /* shipped orders: mean of ship day − order day */
    MEASURE_DAYS_TO_SHIP_MEDIAN,
    MEASURE_FILL_RATE,     /* Σ shipped qty / Σ qty × 100 */
    MEASURE_RETURN_RATE,   /* returned net / (booked + returned net) × 100 */
    MEASURE_DISCOUNT,      /* Σ (gross − net): discount given */
    /* Pipeline, service and receivables (side.c): account and rep dimensions only. */
    MEASURE_PIPELINE,          /* open opportunities' amount at the window's end */
    MEASURE_WEIGHTED_PIPELINE, /* the same × each one's stage win share */
    MEASURE_WIN_RATE,          /* closed in the window: won / (won + lost), % */
    MEASURE_DEALS_WON,         /* won in the window */
    MEASURE_AVG_DEAL,          /* amount won / deals won */
    MEASURE_SALES_CYCLE,       /* won in the window: closed − created day, mean */
    MEASURE_REQUESTS,          /* customer requests opened in the window */
    MEASURE_FIRST_RESPONSE,    /* opened in the window and answered: hours to first response */
    MEASURE_RESOLUTION,        /* opened in the window and resolved: hours to resolution */
    MEASURE_SLA_BREACH_RATE,   /* opened in the window: over a first-response or resolution SLA, % */
    MEASURE_RECEIVABLES,       /* invoices unpaid at the window's end */
    MEASURE_OVERDUE,           /* of those, past their due day */
    MEASURE_DSO,               /* receivables / invoiced in the 90 days to the end × 90 */
    MEASURE_COUNT
};

enum measure_unit { UNIT_MONEY, UNIT_COUNT, UNIT_PERCENT, UNIT_DAYS, UNIT_HOURS };

struct measure_info {
    const char *name;  /* as typed: "revenue", "on_time_rate"... */
    const char *label; /* for people: "Revenue", "On-time ship rate"... */
    enum measure_unit unit;
    int higher_is_better;
    const char *definition;
};

extern const struct measure_info measure_table[MEASURE_COUNT];
/* 0 and *out, or SD_EINVAL naming the known measures. */
int measure_parse(const char *name, enum measure *out, struct sd_error *err);
/* "money", "count", "percent", "days", "hours". */
const char *measure_unit_name(enum measure_unit unit);

/* Orders statuses that count as booked (bit per enum order_status). */
#define QUERY_BOOKED 0x7Eu
#define QUERY_RETURNED 0x100u

/* One filter: the dimension's value must be one of `values` (texts as facts_dim_key gives). */
struct query_filter {
    enum dim dim;
    const char *const *values;
    size_t n;
};

/*
 * Row-level access (what a rep may see): only the lines whose order's rep is
 * `rep` or whose account is marked in `accounts` count; opportunities,
 * requests and invoices likewise by their rep and account. Series and KPI
 * rows by account name only the marked accounts (query_rows_names), so a
 * rep's order at an account they do not own counts in their totals without
 * that account appearing as a row. A query without rows (NULL) counts every
 * line.
 */
#define QUERY_ROWS_NO_REP UINT32_MAX
struct query_rows {
    uint32_t rep;      /* the DIM_REP key; QUERY_ROWS_NO_REP: none */
    uint8_t *accounts; /* per DIM_ACCOUNT key: 1 visible (facts_dim_count entries) */
    uint32_t naccounts;
};

/*
 * The rows of rep `rep_id` (a store id; any value with no rep, e.g. -1,
 * matches no rep) whose visible accounts are the store ids `account_ids`
 * (ids the facts do not hold are skipped). Release with query_rows_release.
 */
void query_rows_init(struct query_rows *r, const struct facts *f, int64_t rep_id,
                     const int64_t *account_ids, size_t n);
void query_rows_release(struct query_rows *r);
/* 1 when `rows` is NULL or lets the line of `account` and `rep` (keys) count. */
static inline int query_rows_pass(const struct query_rows *rows, uint32_t account, uint32_t rep)
{
    return !rows || rep == rows->rep || (account < rows->naccounts && rows->accounts[account]);
}

/* 1 when a row of dimension `d` value `key` may be shown under `rows` (only accounts are held back). */
static inline int query_rows_names(const struct query_rows *rows, enum dim d, uint32_t key)
{
    return !rows || d != DIM_ACCOUNT || (key < rows->naccounts && rows->accounts[key]);
}

/*
 * A filter text "DIM=V[,V...][;DIM=V...]" parsed into filters whose values
 * point into `storage` (a copy of the text).
 */
#define QUERY_MAX_FILTER_VALUES 64
struct query_filters {
    struct query_filter items[QUERY_MAX_FILTERS];
    size_t n;
    const char *values[QUERY_MAX_FILTER_VALUES];
    char storage[1024];
};
/* 0, or SD_EINVAL / SD_ELIMIT with a message naming the clause. */
int query_filters_parse(const char *text, struct query_filters *out, struct sd_error *err);

struct query {
    uint32_t measures;       /* bit (1u << enum measure) per measure wanted */
    int bucketed;            /* 0: no time bucket */
    enum period_kind bucket; /* PERIOD_DAY..PERIOD_FYEAR when bucketed */
    int fy_start_month;      /* 1..12, for fiscal buckets */
    enum dim by[2];          /* DIM_NONE when unused */
    int32_t from, to;        /* order days, both included; DATE_NONE: open */
    unsigned status_mask;    /* bit per enum order_status; 0: all */
    const struct query_filter *where;
    size_t nwhere;           /* ≤ QUERY_MAX_FILTERS */
    size_t top;              /* 0: every group; else the `top` groups by `top_by`, descending */
    enum measure top_by;
    int threads;             /* 0: one per core */
    const struct query_rows *rows; /* NULL: every line */
};

struct query_row {
    int32_t bucket_first, bucket_last; /* the bucket's days; DATE_NONE when not bucketed */
    uint32_t key[2];                   /* dimension values (facts_dim_key) */
    int64_t value[MEASURE_COUNT];      /* the measures asked for; others QUERY_NONE */
};

struct query_result {
    struct query_row *rows;
    size_t n;
    int64_t lines_scanned; /* counted lines (booked and returned) */
};

/*
 * Runs `q` over `f`. Rows are ordered by bucket, then by the dimension
 * values' texts; with `top`, by `top_by` descending (ties by text), cut to
 * `top`. SD_EINVAL for a bad query (no measure, unknown filter value:
 * "no region 'Mars'"), SD_ELIMIT when the groups would pass
 * QUERY_MAX_GROUPS. The result is the caller's: query_result_release.
 */
int query_run(const struct facts *f, const struct query *q, struct query_result *out,
              struct sd_error *err);
void query_result_release(struct query_result *r);

/* Orders, one row each, for queues and look-ups (query_orders). */
struct order_query {
    unsigned status_mask; /* bit per enum order_status; 0: open (pending, confirmed, on_hold) */
    int32_t from, to;     /* order days, both included; DATE_NONE: open */
    const struct query_filter *where; /* product and category: the order has such a line */
    size_t nwhere;
    size_t top;           /* 0: every matching order */
};

struct order_row {
    int64_t order_id; /* the store's id */
    int32_t order_day, ship_day, due_day;
    int status;       /* enum order_status */
    uint32_t account, rep; /* keys of DIM_ACCOUNT and DIM_REP */
    int64_t value;    /* Σ net of its lines, base currency */
    uint32_t lines;
};

/*
 * The orders matching `q`, by value descending (ties: store id ascending),
 * cut to `top`. *rows is the caller's (free()). SD_EINVAL / SD_ENOTFOUND for
 * a bad filter, as query_run.
 */
int query_orders(const struct facts *f, const struct order_query *q, struct order_row **rows,
                 size_t *n, struct sd_error *err);

#endif
