/* SPDX-License-Identifier: MIT */
/*
 * demo: builds a synthetic company into an empty, migrated database, for trying
 * Salesdesk and for benchmarks.
 *
 * Deterministic: the same seed, scale and `today` give the same rows in the
 * same order (only change_log and audit timestamps differ). The company has
 * teams and reps in regions with quarterly quotas; accounts in segments with
 * Pareto-shaped revenue, their own buying rhythm, credit limits and payment
 * behaviour; products in categories, some discontinued and some launched
 * during the period with adoption curves; three years of orders with weekly
 * and yearly seasonality and growth, discounts, partial shipments, returns
 * and cancellations; invoices and payments; stock; opportunities with stage
 * histories; customer requests with response and resolution times. It also
 * plants orders that the order doctor must flag, recorded in demo_planted.
 */
#ifndef SD_DEMO_DEMO_H
#define SD_DEMO_DEMO_H

#include <stdint.h>

#include "base/error.h"
#include "db/db.h"
#include "store/store.h"

enum demo_scale { DEMO_SMALL, DEMO_MEDIUM, DEMO_LARGE };

/*
 * The demo's "now": 17:00 UTC of its last day (the setting demo_today), the
 * end of that business day. Its customer requests are open or answered as of
 * then, and the desk's clock (store_desk_now: the CLI's request commands and
 * the API) is that moment on a demo database.
 */
#define DEMO_NOW_HOUR STORE_DEMO_NOW_HOUR

/* The order doctor's rule codes the demo plants, in a fixed order. */
enum demo_plant {
    PLANT_NONE,
    PLANT_CREDIT_LIMIT,
    PLANT_OVERDUE_INVOICES,
    PLANT_STOCK_SHORT,
    PLANT_DISCONTINUED_PRODUCT,
    PLANT_PRICE_BELOW_LIST,
    PLANT_DISCOUNT_OVER_LIMIT,
    PLANT_STUCK_IN_STATUS,
    PLANT_LATE_AGAINST_PROMISE,
    PLANT_SHIPPED_NOT_INVOICED,
    PLANT_INVOICE_MISMATCH,
    PLANT_DUPLICATE_ORDER,
    PLANT_COUNT
};

struct demo_options {
    enum demo_scale scale;
    uint64_t seed;
    int32_t today; /* last day of the history */
};

#define DEMO_SAMPLE_MAX 4

/* What was built, for the summary a person reads. */
struct demo_result {
    int64_t orders;
    int64_t lines;
    char planted_sample[PLANT_COUNT][24];  /* one planted order id per code */
    char top_accounts[DEMO_SAMPLE_MAX][16]; /* the largest accounts by revenue */
    char recent_orders[DEMO_SAMPLE_MAX][24]; /* clean open orders */
};

/* Called now and then with the phase ("orders") and progress in it. */
typedef void demo_progress_fn(void *ctx, const char *phase, uint64_t done, uint64_t total);

/* "small", "medium", "large" → enum; SD_EINVAL otherwise. */
int demo_scale_parse(const char *text, enum demo_scale *out);
/* "CREDIT_LIMIT"... for a plant code. */
const char *demo_plant_code(enum demo_plant plant);

/*
 * Fills `db` (migrated, with no business rows) with the company, in one
 * transaction: on failure nothing is left behind. `progress` may be NULL.
 */
int demo_build(struct db *db, const struct demo_options *opt, demo_progress_fn *progress,
               void *progress_ctx, struct demo_result *out, struct sd_error *err);

/*
 * Demo logins: one user per role with a known password ("demo-" and the
 * role), made only by `salesdesk demo --serve` in the database it has just
 * built, so that the API can be tried at once. The rep user is the owner of
 * the demo's largest account (result->top_accounts), so it sees real rows.
 */
#define DEMO_LOGINS 5
struct demo_login {
    const char *login; /* the role's name */
    const char *password;
    const char *role;
    char rep[24];     /* the rep user's rep (external id), else "" */
    char account[16]; /* an account that rep owns, else "" */
};

/*
 * Adds the demo logins to `db` (a demo just built) in one transaction and
 * describes them in out[]. SD_ECONFLICT when one of the logins exists
 * already; on failure nothing is added.
 */
int demo_logins_add(struct db *db, const struct demo_result *result,
                    struct demo_login out[DEMO_LOGINS], struct sd_error *err);

#endif
