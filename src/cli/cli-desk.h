/* SPDX-License-Identifier: MIT */
/*
 * cli-desk: what the desk's request, queue and note commands share: the
 * clock and the actor.
 *
 * The clock ("now") is --now (an ISO 8601 timestamp; a plain date is 00:00
 * UTC), else on a demo database 17:00 UTC of the setting demo_today (the
 * moment the demo's requests were generated as of, DEMO_NOW_HOUR), else the
 * system clock. Requests are opened, answered and resolved, and notes
 * written, at that time; SLA time left is counted to it. audit_log.at and
 * change_log.at are always the real time of the write.
 *
 * The actor is "cli:<OS user>" with no user id: the command line has no
 * login until issue 6.
 */
#ifndef SD_CLI_CLI_DESK_H
#define SD_CLI_CLI_DESK_H

#include <stdint.h>

#include "cli/cli.h"
#include "db/db.h"
#include "desk/actor.h"

/* Parses --now before the store is opened; CLI_EXIT_USAGE (printed) when malformed. */
int cli_desk_now_option(const struct cli_args *args, int64_t *now, int *given);
/* The clock when --now was not given (see above); 0 or CLI_EXIT_FAIL (printed). */
int cli_desk_now(struct db *db, int64_t *now);
/* "cli:<OS user>" into buf and the actor pointing at it. */
void cli_desk_actor(char *buf, size_t size, struct desk_actor *actor);
/* Exit code for a failed desk write: 3 when refused (bad input), else 1; prints the error. */
int cli_desk_fail_write(const struct sd_error *err);
/* "2h 05m", "3d 4h", "-1h 10m": a duration in ms, whole minutes toward zero. */
void cli_desk_duration(int64_t ms, char *buf, size_t size);
/* "2026-06-30 14:05" in UTC (minutes), or "-" for INT_NONE. */
void cli_desk_time(int64_t ms, char *buf, size_t size);

#endif
