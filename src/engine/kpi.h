/* SPDX-License-Identifier: MIT */
/*
 * kpi: KPI definitions (built in, and users' formulas over the measures),
 * their values for a period and scope, targets, pacing, traffic-light status
 * and alerts.
 *
 * A KPI's value for period P is its formula evaluated over P's orders up to
 * `today` (the whole period once it is over). prev(x) and yoy(x) evaluate x
 * over the previous period / the same period a year earlier, cut to the
 * same number of days when P is still running, so a half month is compared
 * with a half month.
 *
 * Targets belong to a KPI, a scope (company, region, team, rep or product
 * category) and a period (its canonical text). A revenue quota of a rep or
 * team counts as a revenue target when no explicit target is set.
 *
 * Pacing: for a KPI that is one additive measure (revenue, orders, units...)
 * in a running period, the target expected by today is target × last year's
 * share of the period done by the same day ("seasonal", when last year had
 * data) else target × days elapsed / days in the period ("linear"); the
 * projection to the period's end scales the value the same way. Otherwise
 * the expected value is the target itself ("level"), or for a closed period
 * the target ("closed").
 *
 * Status: attainment = value / expected (expected / value when lower is
 * better), in millionths; at or above green_at green, at or above amber_at
 * amber, else red. No target, no status.
 */
#ifndef SD_ENGINE_KPI_H
#define SD_ENGINE_KPI_H

#include "engine/formula.h"
#include "engine/query.h"
#include "store/store.h"

enum kpi_status { KPI_NO_STATUS, KPI_GREEN, KPI_AMBER, KPI_RED };

/* "none" "green" "amber" "red". */
const char *kpi_status_name(enum kpi_status s);

struct kpi {
    int64_t id; /* kpi_definitions.id; 0 for a built-in not stored yet */
    const char *name;
    const char *label;
    const char *formula_text;
    enum measure_unit unit;
    int higher_is_better;
    int builtin;
    struct formula *formula;
    int single_measure; /* the measure when the formula is one additive measure, else -1 */
};

/* The KPIs: the built-in table, then the users' definitions from the store. */
struct kpi_set {
    struct kpi *items;
    size_t n;
    struct arena arena;
};

int kpi_set_load(struct db *db, struct kpi_set *out, struct sd_error *err);
void kpi_set_release(struct kpi_set *set);
/* The KPI called `name`, or NULL. */
const struct kpi *kpi_find(const struct kpi_set *set, const char *name);

/* A scope: the company (DIM_NONE) or one value of region, team, rep or category. */
struct kpi_scope {
    enum dim dim;
    const char *key;
};
/* "company", "region=EMEA", "team=T1", "rep=R001", "category=Tools"; SD_EINVAL otherwise. */
int kpi_scope_parse(const char *text, struct kpi_scope *out, struct sd_error *err);
/* "company" "region" "team" "rep" "category". */
const char *kpi_scope_kind(const struct kpi_scope *s);

/* Targets (explicit ones and quotas), loaded once for many evaluations. */
struct kpi_targets {
    struct kpi_target *explicit_targets, *quotas;
    size_t n_explicit, n_quotas;
    struct arena arena;
};
int kpi_targets_load(struct db *db, struct kpi_targets *out, struct sd_error *err);
void kpi_targets_release(struct kpi_targets *t);

struct kpi_card {
    const struct kpi *kpi;
    int64_t value;        /* × 10^4; QUERY_NONE when undefined */
    int has_target;
    const char *target_source; /* "target" or "quota" */
    int64_t target;
    int64_t green_at, amber_at;
    const char *pace;     /* "seasonal" "linear" "level" "closed" "not started" */
    int64_t expected;     /* the target expected by today */
    int64_t projected;    /* the value projected to the period's end (QUERY_NONE: none) */
    int64_t attainment;   /* percent × 10^4 of the expected value; QUERY_NONE: none */
    enum kpi_status status;
    int32_t days_elapsed, days_total;
};

/*
 * Evaluates every KPI of `set` for `period` and `scope` as of `today` into
 * cards[set->n], over the lines `rows` lets count (NULL: all; query.h).
 * `targets` may be NULL (no targets). SD_ENOTFOUND when the scope's value
 * does not exist ("no rep 'R9'").
 */
int kpi_evaluate(const struct facts *f, const struct kpi_set *set,
                 const struct kpi_targets *targets, const struct period *period, int32_t today,
                 const struct kpi_scope *scope, const struct query_rows *rows,
                 struct kpi_card *cards, struct sd_error *err);

/* Cards for every value of a dimension: n rows of set->n cards each. */
struct kpi_row_set {
    uint32_t *keys;          /* the dimension value of each row */
    struct kpi_card *cards;  /* row r's cards at cards[r * set->n] */
    size_t n;
};

/*
 * kpi_evaluate once per value of `by` (region, team, rep, category...) that
 * has order lines in the period or a target for it, each value a scope.
 * Rows are in the order of the values' texts; with `rows`, only the lines
 * it lets count and only the values it names (query_rows_names). Release
 * with kpi_row_set_release.
 */
int kpi_evaluate_by(const struct facts *f, const struct kpi_set *set,
                    const struct kpi_targets *targets, const struct period *period,
                    int32_t today, enum dim by, const struct query_rows *rows,
                    struct kpi_row_set *out, struct sd_error *err);
void kpi_row_set_release(struct kpi_row_set *r);

/*
 * Defines or changes a user KPI: `name` is [a-z][a-z0-9_]* and no built-in's;
 * the formula must parse (SD_EINVAL with its column otherwise). Runs in the
 * caller's transaction.
 */
int kpi_define(struct db *db, const char *name, const char *label, const char *formula,
               enum measure_unit unit, int higher_is_better, enum store_write *result,
               struct sd_error *err);

/*
 * Sets the target of KPI `name` for a scope and period; `value` is a decimal
 * in the KPI's unit; thresholds in millionths (green_at ≥ amber_at ≥ 0).
 * Stores a built-in KPI's definition row first when needed. Runs in the
 * caller's transaction. *target_id (may be NULL) receives the target's row id.
 */
int kpi_target_set(struct db *db, const struct kpi_set *set, const char *name,
                   const struct kpi_scope *scope, const struct period *period, int64_t value,
                   int64_t green_at, int64_t amber_at, enum store_write *result,
                   int64_t *target_id, struct sd_error *err);

/*
 * Evaluates every target (and quota) whose period has started by `today` and
 * has not ended more than 31 days before it (older periods are history), and
 * stores an alert for each amber or red status, once per KPI, scope, period
 * and level (a KPI that goes from amber to red raises a second alert).
 * *raised receives how many were new. Runs in the caller's transaction.
 */
int kpi_check_alerts(struct db *db, const struct facts *f, const struct kpi_set *set,
                     int32_t today, int fy_start_month, int64_t now_ms, int *raised,
                     struct sd_error *err);

#endif
