/* SPDX-License-Identifier: MIT */
/*
 * query-int: a query turned into flat tables (the plan), shared by query.c
 * (order lines) and side.c (opportunities, requests, invoices).
 */
#ifndef SD_ENGINE_QUERY_INT_H
#define SD_ENGINE_QUERY_INT_H

#include "engine/facts-int.h"
#include "engine/query.h"

/* Where a dimension's value comes from for a line. */
enum level { LEVEL_ACCOUNT, LEVEL_REP, LEVEL_PRODUCT };

struct plan {
    const struct facts *f;
    uint32_t measures; /* the query's */
    unsigned need;
    unsigned status_ok;
    int32_t day_lo;
    uint32_t span; /* lines with 0 <= day - day_lo <= span pass */
    uint32_t *bucket_of;
    uint32_t nbuckets;
    int32_t *bucket_first, *bucket_last;
    enum level level[2];
    const uint32_t *map[2]; /* entity index → key; NULL: the index is the key */
    uint32_t nkey[2];
    uint8_t *ok[3];         /* per account, rep, product: 1 passes; NULL: no filter */
    size_t ngroups;
    int32_t *first_day;     /* per account, for new accounts */
    const struct query_rows *rows; /* NULL: every line */
};

/* num / den rounded half away from zero; QUERY_NONE when den is 0 or the result does not fit. */
int64_t query_ratio(__int128 num, __int128 den);

/* Per-group sums of the pipeline, service and receivables measures (side.c). */
struct side_acc {
    int64_t *hits, *pipe, *weighted, *won, *lost, *won_amount, *cycle_days;
    int64_t *requests, *first_n, *first_ms, *resolved_n, *resolved_ms, *sla_breached;
    int64_t *ar, *overdue, *invoiced90;
};

/* 1 when the query asks for any of the side measures. */
int side_wanted(uint32_t measures);
/* Fills `a` (allocating what the plan's measures need) for every group. */
void side_scan(const struct plan *p, struct side_acc *a);
/* The side measures of group g into v[] (only those the plan asked for). */
void side_values(const struct plan *p, const struct side_acc *a, size_t g, int64_t *v);
void side_acc_release(struct side_acc *a);

#endif
