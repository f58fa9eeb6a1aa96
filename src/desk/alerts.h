/* SPDX-License-Identifier: MIT */
/*
 * alerts: acknowledging a KPI alert at the desk, one place for `salesdesk
 * alerts ack` and POST /api/v1/alerts/{id}/ack: the alert marked with who
 * and when, and its audit row ("kpi_alert.ack", before and after), in the
 * caller's transaction.
 */
#ifndef SD_DESK_ALERTS_H
#define SD_DESK_ALERTS_H

#include <stdint.h>

#include "base/error.h"
#include "db/db.h"
#include "desk/actor.h"

/*
 * Acknowledges alert `id` at `at` (ms) inside the caller's write
 * transaction. SD_ENOTFOUND when there is no such alert, SD_ECONFLICT when
 * it was acknowledged already.
 */
int alert_ack(struct db *db, const struct desk_actor *actor, int64_t id, int64_t at,
              struct sd_error *err);

#endif
