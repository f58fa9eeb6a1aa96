/* SPDX-License-Identifier: MIT */
/*
 * facts: the order lines of the store as column arrays in memory, the one
 * fast read path for business numbers (DESIGN.md, "Engine").
 *
 * A line keeps its order day, order slot, account, product, rep, order
 * status, quantity, shipped quantity, net and discount given (both in the
 * base currency, converted at the order date) — 43 bytes; its order slot
 * keeps the store id, ship day, due day (promised, else requested) and where
 * its lines are. Dimensions (account → region, segment, country; rep → team;
 * product → category, cost) are dictionary encoded. Cost is not stored per
 * line: it is qty × the product's current cost.
 *
 * Invariants: the live lines of an order are contiguous and in slot order,
 * so scans can split at order boundaries and count distinct orders by
 * remembering the last order seen. An order that changes gets a new slot at
 * the end; its old slot and lines are marked dead (status FACTS_DEAD) and
 * dropped by a compaction once they are many. Each account has a chain of
 * its slots; facts_group_accounts and every compaction put one account's
 * slots and lines next to each other.
 *
 * Currency: a line's net in its order currency is money_line_net (exact);
 * in the base currency (setting base_currency, default USD) it is that net ×
 * the rate of the latest fx_rates day on or before the order date (else the
 * earliest rate after it; 1 when the currency has no rate at all) / 10^8,
 * rounded half away from zero. Lines in the base currency are not converted;
 * converted lines also keep their net in the order currency (8 bytes more).
 *
 * Not thread-safe for writers: build and refresh need exclusive access;
 * queries may run concurrently with each other.
 */
#ifndef SD_ENGINE_FACTS_H
#define SD_ENGINE_FACTS_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "db/db.h"
#include "store/store.h"

struct facts;

/* Dimensions a query can group and filter by (DESIGN.md's DIM names). */
enum dim {
    DIM_NONE,
    DIM_REGION,
    DIM_SEGMENT,
    DIM_COUNTRY,
    DIM_ACCOUNT,
    DIM_REP,
    DIM_TEAM,
    DIM_PRODUCT,
    DIM_CATEGORY,
    DIM_COUNT
};

/* "region"... ; NULL for DIM_NONE. */
const char *dim_name(enum dim d);
/* 0 and *out, or SD_EINVAL naming the known dimensions. */
int dim_parse(const char *name, enum dim *out, struct sd_error *err);

/*
 * Called during a build with the lines read so far and the total expected,
 * every 65,536 lines and at the end. Non-zero stops the build.
 */
typedef int facts_progress_fn(void *ctx, int64_t done, int64_t total);

/*
 * Builds the facts from the store. `progress` may be NULL. On failure (or a
 * stop asked by `progress`: SD_ERR, "stopped") *out is NULL and nothing is
 * left allocated.
 */
int facts_build(struct db *db, facts_progress_fn *progress, void *ctx, struct facts **out,
                struct sd_error *err);
/* Frees the facts (NULL is fine). */
void facts_free(struct facts *f);

/*
 * Catches up with the store: applies the change_log rows written since the
 * build or the last refresh (orders re-read whole; accounts, reps and
 * products re-read; opportunities, requests and invoices re-read whole when
 * any of them changed; a change of currency rates rebuilds everything).
 * *applied (may be NULL) receives the number of change_log rows read. On
 * failure the facts are as before the call.
 */
int facts_refresh(struct facts *f, struct db *db, int64_t *applied, struct sd_error *err);

struct facts_stats {
    int64_t lines;      /* live order lines */
    int64_t dead_lines; /* lines of replaced orders awaiting compaction */
    int64_t orders;     /* live orders with lines */
    int64_t accounts, reps, products;
    int64_t seq;        /* the last change_log row applied */
    int64_t bytes;      /* memory held for the order lines: arrays, order slots, dimensions */
    int64_t side_bytes; /* memory held for opportunities, requests and invoices */
    int64_t unrated;    /* live lines whose currency had no rate (taken at 1) */
    int32_t first_day, last_day; /* order days covered; DATE_NONE when empty */
};
void facts_stats(const struct facts *f, struct facts_stats *out);

/*
 * Rewrites the lines with each account's orders next to each other (and the
 * dead ones dropped), so that facts_account_lines reads a few pages instead
 * of a cache miss per order; a compaction and a rebuild after it keep it so.
 * About a quarter of a build's time, and the largest array again at peak:
 * for a server that shows account pages, not for a one-off query.
 */
void facts_group_accounts(struct facts *f);

/*
 * The lines of account `account_id` (store id) whose orders were placed
 * from `from` to `to` (order dates, both included) with a booked or returned
 * status, as store_account_lines gives them (net in the order currency, not
 * converted), newest order first: the account status's revenue from memory.
 * Each account's orders are a chain through their slots, so this costs what
 * the account holds. A non-zero return from `fn` stops and is returned.
 */
int facts_account_lines(const struct facts *f, int64_t account_id, int32_t from, int32_t to,
                        store_account_line_fn *fn, void *ctx);

/*
 * The text of dimension value `key` of `d` as a user types it (an account's
 * or rep's external id, a product's SKU, a region's name...) and its display
 * name (the account's name; the same text for plain values). "" for none.
 */
const char *facts_dim_key(const struct facts *f, enum dim d, uint32_t key);
const char *facts_dim_label(const struct facts *f, enum dim d, uint32_t key);
/*
 * The keys of `d` ordered by their texts (ties by key); {0} for DIM_NONE.
 * facts_dim_count(f, d) of them; the caller free()s the array.
 */
uint32_t *facts_dim_sorted(const struct facts *f, enum dim d);
/* The number of values of `d` (keys are 0..n-1). */
uint32_t facts_dim_count(const struct facts *f, enum dim d);
/* 0 and *key for the value whose text is `text`, or SD_ENOTFOUND. */
int facts_dim_find(const struct facts *f, enum dim d, const char *text, uint32_t *key,
                   struct sd_error *err);

#endif
