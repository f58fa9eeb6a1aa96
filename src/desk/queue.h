/* SPDX-License-Identifier: MIT */
/*
 * queue: the pending-order queue. Every order not yet shipped (status draft,
 * pending, confirmed or on_hold: order_status_is_open) with its age, the days
 * left to its promised date, its value, its account's tier, the order
 * doctor's verdict and top finding, the rep it is assigned to, and a priority
 * score (docs/desk.md, "The pending-order queue", documents the formula):
 *
 *   score = verdict points   blocked 40, at risk 20, ok 0
 *         + date points      with a due date (promised, else requested):
 *                              clamp(20 - 2 * days_left, 0, 30)
 *                            without one: clamp(age_days - 14, 0, 20)
 *         + value points     k (0..20): the largest k with net >= 10^(2 + k/5)
 *         + tier points      the account segment's points (setting queue.tiers)
 *
 * Items come ordered by score (highest first), then days left (soonest due
 * first; no due date last), then order date, then order id (external, then
 * internal: two sources may share an external id). The whole queue
 * is one pass of the doctor's batch (store_doctor_load_open) on one read
 * snapshot: every open order of a ten-million-line store in well under a
 * second.
 */
#ifndef SD_DESK_QUEUE_H
#define SD_DESK_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/error.h"
#include "base/json.h"
#include "db/db.h"
#include "desk/doctor.h"

/* Filters; NULL fields match everything. */
struct queue_filter {
    const char *team;   /* team external id of the order's rep */
    const char *rep;    /* rep external id of the order */
    const char *region; /* the account's region */
    const char *code;   /* a doctor rule code the order must have a finding of */
    int verdict;        /* -1: any; else an enum doctor_verdict */
    int64_t scope_rep_id; /* 0: every order; else only those this rep may see (-1: none) */
};

struct queue_item {
    struct doctor_diagnosis diagnosis; /* order id, status, verdict, net, findings */
    int64_t order_id;                  /* internal id */
    const struct doctor_finding *top;  /* the first finding; NULL: none */
    const char *currency;
    const char *account_ext_id;
    const char *account_name;
    const char *tier;   /* the account's segment; NULL: none */
    const char *region; /* the account's region; NULL: none */
    const char *rep_ext_id; /* NULL: the order has no rep */
    const char *rep_name;
    const char *team_ext_id; /* NULL: no team */
    const char *team_name;
    int32_t order_date;
    int32_t due;       /* promised date, else requested date; DATE_NONE: neither */
    int32_t days_left; /* due - today (negative: late); meaningless without a due date */
    int32_t age_days;  /* today - order date */
    int score;         /* the sum of the four parts below, 0..100 */
    int verdict_points, date_points, value_points, tier_points;
};

/* One segment's tier points, parsed from the setting queue.tiers. */
struct queue_tier {
    const char *segment;
    int points;
};

#define QUEUE_TIERS_MAX 16

struct queue_settings {
    struct queue_tier tiers[QUEUE_TIERS_MAX];
    size_t n_tiers;
};

/* The default of queue.tiers. */
#define QUEUE_TIERS_DEFAULT "Enterprise=10,Mid-Market=5,SMB=0"

/*
 * Parses "SEGMENT=POINTS,..." (points 0..10, at most QUEUE_TIERS_MAX
 * segments; a segment not listed scores 0; "" lists none). SD_EINVAL naming
 * the problem. Segment names are copied into `arena`.
 */
int queue_tiers_parse(struct arena *arena, const char *text, struct queue_settings *out,
                      struct sd_error *err);

/* Reads queue.tiers (else the default) into out; strings live in `arena`. */
int queue_settings_load(struct db *db, struct arena *arena, struct queue_settings *out,
                        struct sd_error *err);

/* The value points of an order net (1/10000): 0..20. */
int queue_value_points(int64_t net);

/*
 * The pending orders as of `today` that pass the filter, ordered by priority,
 * in *items (arena memory); *n of them. *total counts every pending order
 * before filtering.
 */
int queue_pending(struct db *db, struct arena *arena, const struct doctor_settings *ds,
                  const struct queue_settings *qs, int32_t today, const struct queue_filter *f,
                  struct queue_item **items, size_t *n, size_t *total, struct sd_error *err);

/*
 * Cursors over the ranked queue. queue_item_key: the item's place in the
 * queue's order as text ("score|has due|days left|order date|order id|ext
 * id", in `arena`). queue_after_key: *first is the index of the first of the
 * sorted `items` that comes after that place (n when none does), so a page
 * goes on where the last one ended even when orders came or went in between.
 * SD_EINVAL when `key` is not such a text.
 */
const char *queue_item_key(struct arena *arena, const struct queue_item *it);
int queue_after_key(const struct queue_item *items, size_t n, const char *key, size_t *first);

/* An item as a JSON object (order, status, score and its parts, verdict, ...). */
void queue_item_json(struct json_writer *w, const struct queue_item *it);
/* today, pending (total), matching (n), and the verdict counts of `items`, into the open object. */
void queue_summary_json(struct json_writer *w, const struct queue_item *items, size_t n,
                        size_t total, int32_t today);

#endif
