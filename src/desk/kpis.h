/* SPDX-License-Identifier: MIT */
/*
 * kpis: the KPI writes made at the desk, one place for the CLI and the API:
 * a KPI defined (`salesdesk kpi define`), a target set (`salesdesk kpi target`, PUT /api/v1/kpis/{name}/targets)
 * and an alert acknowledged (`salesdesk alerts ack`, POST
 * /api/v1/alerts/{id}/ack), each with its audit row (before and after) in
 * the caller's transaction.
 */
#ifndef SD_DESK_KPIS_H
#define SD_DESK_KPIS_H

#include <stdint.h>

#include "base/error.h"
#include "db/db.h"
#include "desk/actor.h"
#include "engine/kpi.h"

/*
 * kpi_define (engine/kpi.h) with an audit row ("kpi_definition.create" or
 * ".update": label, formula, unit and direction before and after) when it
 * changed something.
 */
int desk_kpi_define(struct db *db, const struct desk_actor *actor, const char *name,
                    const char *label, const char *formula, enum measure_unit unit,
                    int higher_is_better, enum store_write *result, struct sd_error *err);

/*
 * kpi_target_set (engine/kpi.h) with an audit row ("kpi_target.create" or
 * ".update", the target and thresholds before and after) when it changed
 * something.
 */
int desk_kpi_target_set(struct db *db, const struct desk_actor *actor, const struct kpi_set *set,
                        const char *name, const struct kpi_scope *scope,
                        const struct period *period, int64_t value, int64_t green_at,
                        int64_t amber_at, enum store_write *result, int64_t *target_id,
                        struct sd_error *err);

/*
 * Acknowledges alert `id` at `at` (ms) inside the caller's write
 * transaction. SD_ENOTFOUND when there is no such alert, SD_ECONFLICT when
 * it was acknowledged already.
 */
int alert_ack(struct db *db, const struct desk_actor *actor, int64_t id, int64_t at,
              struct sd_error *err);

#endif
