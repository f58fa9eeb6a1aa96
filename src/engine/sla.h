/* SPDX-License-Identifier: MIT */
/*
 * sla: the service-level targets of customer requests, one definition for
 * the engine's service measures (side.c: first_response, resolution,
 * sla_breach_rate) and the desk's request queue (desk/requests.c), so the
 * KPIs and the desk always agree.
 *
 * Each priority (low normal high urgent) has a first-response and a
 * resolution target in whole hours, from the settings
 * sla_first_response_hours.PRIORITY and sla_resolution_hours.PRIORITY
 * (defaults: urgent 1 and 8, high 4 and 24, normal 8 and 72, low 24 and 168).
 * Hours are elapsed wall-clock hours from opened_at: nights, weekends and
 * time spent waiting on the customer count.
 *
 * A target is breached when the time taken (or, while pending, the time
 * elapsed so far) is MORE than the target: done exactly at the deadline is
 * in time, one millisecond later is a breach.
 */
#ifndef SD_ENGINE_SLA_H
#define SD_ENGINE_SLA_H

#include <stdint.h>

#include "base/error.h"
#include "db/db.h"

enum sla_priority { SLA_LOW, SLA_NORMAL, SLA_HIGH, SLA_URGENT, SLA_PRIORITIES };

#define SLA_HOUR_MS INT64_C(3600000)

struct sla_targets {
    int64_t first_ms[SLA_PRIORITIES];   /* first-response target per priority, ms */
    int64_t resolve_ms[SLA_PRIORITIES]; /* resolution target per priority, ms */
};

/* "low" "normal" "high" "urgent". */
const char *sla_priority_name(enum sla_priority p);
/* The priority called `name`; -1 for anything else. */
int sla_priority_parse(const char *name);
/* The default targets (the table above). */
void sla_targets_default(struct sla_targets *t);
/*
 * The targets from the settings; a missing key keeps its default. A value
 * that is not a whole number of hours from 1 to 100000 is SD_EINVAL naming
 * the key (`*t` then holds the defaults and the keys read before it).
 */
int sla_targets_load(struct db *db, struct sla_targets *t, struct sd_error *err);
/* 1 when `elapsed_ms` is past `target_ms` (strictly more: the deadline itself is in time). */
static inline int sla_late(int64_t elapsed_ms, int64_t target_ms)
{
    return elapsed_ms > target_ms;
}

#endif
