/* SPDX-License-Identifier: MIT */
/*
 * cli-engine: what the commands that show numbers (kpi, trend, alerts)
 * share: opening the store and building the facts with a progress line on a
 * terminal, the settings they read (fiscal year start, "today"), and the
 * options for periods, filters, statuses and dimensions.
 */
#ifndef SD_CLI_CLI_ENGINE_H
#define SD_CLI_CLI_ENGINE_H

#include "cli/cli.h"
#include "engine/query.h"
#include "store/store.h"

struct cli_engine {
    struct db *db;
    struct facts *facts;
    int fy_start_month; /* setting fiscal_year_start_month, default 1 */
    int32_t today;      /* --today, else setting demo_today, else the date (UTC) */
};

/* Opens --db and builds the facts. Prints the failure; returns a CLI exit code. */
int cli_engine_open(const struct cli_args *args, struct cli_engine *e);
void cli_engine_close(struct cli_engine *e);

/* --where "DIM=V[,V...][;DIM=V...]" parsed into filters (query_filters_parse). */
int cli_opt_filters(const struct cli_args *args, struct query_filters *out);
/* --status "pending,shipped": a status mask (0 when absent). */
int cli_opt_statuses(const struct cli_args *args, unsigned *mask);
/* --NAME DIM, DIM_NONE when absent. */
int cli_opt_dim(const struct cli_args *args, const char *name, enum dim *out);
/* --NAME day|week|month|quarter|year|fquarter|fyear, `fallback` when absent. */
int cli_opt_bucket(const struct cli_args *args, const char *name, enum period_kind fallback,
                   enum period_kind *out);
/* --period P (or --from/--to) as a day range; DATE_NONE ends when absent. */
int cli_opt_range(const struct cli_args *args, int fy_start_month, int32_t *from, int32_t *to);

/* The setting fiscal_year_start_month (1..12; 1 when unset or bad). */
int cli_fiscal_start(struct db *db);
/* Prints the error; CLI_EXIT_REJECTED when `rejected` (bad input), else CLI_EXIT_FAIL. */
int cli_fail_rejected(const struct sd_error *err, int rejected);

/*
 * After a write that changed data: checks the KPI targets and raises alerts
 * (engine/kpi.h) as of the setting demo_today, else today. Cheap when no
 * target's period is recent enough to alert. *raised: new alerts (-1 when
 * nothing was checked).
 */
int cli_alerts_after_write(struct db *db, int *raised, struct sd_error *err);

/* A measure value in its unit: "1234.5", "42", "12.5%", "3.25 d"; "-" for none. */
void cli_format_value(enum measure_unit unit, int64_t v, char *buf, size_t size);
/* The lowercase name of a bucket kind ("month"). */
const char *cli_bucket_name(enum period_kind k);

#endif
