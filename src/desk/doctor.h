/* SPDX-License-Identifier: MIT */
/*
 * doctor: the order doctor. Explains why an order is stuck or at risk from
 * the data alone: a const table of rules (doctor_rules[]), each with a code,
 * a severity, an owner, the condition it checks, a message template filled
 * with the numbers behind the finding (the evidence) and the suggested
 * action. Thresholds are settings (keys "doctor.*"; defaults in the table).
 * docs/desk.md documents every rule; a test keeps it in step with the table.
 *
 * A diagnosis has a verdict (blocked when any finding is a blocker, at risk
 * when any is a risk, else ok) and its findings ordered by severity, then by
 * the rule's place in the table, then by line.
 *
 * "Open" orders are those of order_status_is_open (draft pending confirmed
 * on_hold). doctor_diagnose_open diagnoses every open order and every shipped
 * one (shipped is not yet invoiced, so the billing rules apply), in one pass
 * over the store (store_doctor_load_open).
 *
 * Memory: messages, findings and diagnoses live in the arena passed in.
 */
#ifndef SD_DESK_DOCTOR_H
#define SD_DESK_DOCTOR_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/error.h"
#include "base/json.h"
#include "db/db.h"
#include "store/model.h"
#include "store/store.h"

enum doctor_severity { DOCTOR_BLOCKER, DOCTOR_RISK, DOCTOR_INFO };
enum doctor_owner { DOCTOR_CREDIT, DOCTOR_WAREHOUSE, DOCTOR_REP, DOCTOR_BILLING };
enum doctor_verdict { DOCTOR_BLOCKED, DOCTOR_AT_RISK, DOCTOR_OK };

/* How an evidence value reads: its unit decides the text and the JSON form. */
enum doctor_unit {
    DOCTOR_MONEY,    /* 1/10000; JSON exact decimal */
    DOCTOR_COUNT,    /* whole number */
    DOCTOR_DAYS,     /* whole days */
    DOCTOR_DATE,     /* day number; JSON "YYYY-MM-DD" */
    DOCTOR_DISCOUNT, /* millionths; text as a percentage, JSON as a fraction (0.15) */
    DOCTOR_PERCENT,  /* percent in 1/10000 (12.5 % is 125000); JSON exact decimal */
    DOCTOR_TEXT,
};

struct doctor_evidence {
    const char *name;
    enum doctor_unit unit;
    int64_t value;
    const char *text; /* DOCTOR_TEXT */
};

#define DOCTOR_EVIDENCE_MAX 10
#define DOCTOR_PARAMS_MAX 3

struct doctor_rule;

struct doctor_finding {
    const struct doctor_rule *rule;
    int line_no; /* the order line it is about; 0: the whole order */
    const char *message;
    int n_evidence;
    struct doctor_evidence evidence[DOCTOR_EVIDENCE_MAX];
};

struct doctor_diagnosis {
    const char *order_ext_id;
    enum order_status status;
    enum doctor_verdict verdict;
    int64_t net; /* the order's net (sum of its lines' nets), in the order's currency */
    struct doctor_finding *findings;
    size_t n_findings;
};

/* A threshold: its settings key, the default as setting text, its unit and meaning. */
struct doctor_param {
    const char *key;
    const char *fallback;
    enum doctor_unit unit; /* DOCTOR_DAYS, DOCTOR_COUNT, DOCTOR_MONEY or DOCTOR_PERCENT */
    const char *help;
};

struct doctor_case;
struct doctor_out;
typedef void doctor_check_fn(const struct doctor_case *c, const int64_t *params,
                             struct doctor_out *out);

struct doctor_rule {
    const char *code;
    enum doctor_severity severity;
    enum doctor_owner owner;
    const char *when;    /* the condition, for people (docs, --help) */
    const char *message; /* template: {name} is replaced by that evidence value */
    const char *action;
    struct doctor_param params[DOCTOR_PARAMS_MAX]; /* unused ones have key NULL */
    doctor_check_fn *check;
};

extern const struct doctor_rule doctor_rules[];
extern const size_t doctor_rules_count;

/* The thresholds in force: params[rule index][param index]. */
struct doctor_settings {
    int64_t params[32][DOCTOR_PARAMS_MAX];
};

const char *doctor_severity_name(enum doctor_severity s); /* blocker risk info */
const char *doctor_owner_name(enum doctor_owner o);       /* credit control ... */
const char *doctor_verdict_name(enum doctor_verdict v);   /* blocked "at risk" ok */

/*
 * Reads the thresholds: each param's setting, else its default. SD_EINVAL
 * naming the key when a setting does not parse in the param's unit.
 */
int doctor_settings_load(struct db *db, struct doctor_settings *out, struct sd_error *err);

/*
 * Another order a finding names (DUPLICATE_ORDER's evidence other_order): its
 * external id, or NULL. doctor_finding_hide_order leaves it out, for a reader
 * who may not see that order: the evidence becomes null and the message says
 * "another order" (the new message lives in `arena`).
 */
const char *doctor_finding_other_order(struct doctor_finding *f);
void doctor_finding_hide_order(struct arena *arena, struct doctor_finding *f);

/* One order by external id ("ID" or "SOURCE:ID"), as of `today`. SD_ENOTFOUND: no such order. */
int doctor_diagnose_order(struct db *db, struct arena *arena, const struct doctor_settings *s,
                          const char *ext_id, int32_t today, struct doctor_diagnosis *out,
                          struct sd_error *err);

/* Every open and shipped order, by order id, as of `today`. */
int doctor_diagnose_open(struct db *db, struct arena *arena, const struct doctor_settings *s,
                         int32_t today, struct doctor_diagnosis **items, size_t *n,
                         struct sd_error *err);

/*
 * A diagnosis as one JSON object: id, status, verdict, `today` (unless
 * DATE_NONE) and the findings with code, severity, owner, line, message,
 * action and evidence (exact numbers: money as decimals, dates ISO). The one
 * form of `order --diagnose --json` and GET /api/v1/orders/{id}/diagnosis.
 */
void doctor_diagnosis_json(struct json_writer *w, const struct doctor_diagnosis *dg,
                           int32_t today);

/*
 * The subjects of data already loaded by store_doctor_load_order/_open, as
 * of `today`: (*items)[k] is the k-th order with `subject` set, in d->orders
 * order, so a caller can pair each diagnosis with its order, account and rep.
 * Load with doctor_window_days(s) as the window.
 */
int doctor_diagnose_loaded(struct arena *arena, const struct doctor_settings *s,
                           const struct store_doctor_data *d, int32_t today,
                           struct doctor_diagnosis **items, size_t *n, struct sd_error *err);
/* How far back DUPLICATE_ORDER looks, in days: the loaders' window. */
int64_t doctor_window_days(const struct doctor_settings *s);

/*
 * The value as a person reads it in a message: money with thousands
 * separators and 2 decimals ("23,750.00"), discounts and percentages as
 * percent ("12.5"), dates ISO. `buf` holds at least 64 bytes.
 */
const char *doctor_evidence_text(const struct doctor_evidence *e, char *buf);

#endif
