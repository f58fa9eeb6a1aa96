/* SPDX-License-Identifier: MIT */
/*
 * model: the entity structs every layer above the store shares.
 *
 * Conventions: `id` is the internal id (0 before the row exists); `source` and
 * `ext_id` are the external key from the ERP/CRM ("" source for rows typed in
 * Salesdesk; customer requests created at the desk use "salesdesk"). References to other entities are internal ids (0: none). Money
 * is int64 in 1/10000 units, discounts in millionths, dates int32 days since
 * 1970-01-01, timestamps int64 ms UTC (base/money.h, base/date.h). Absent
 * optional values are MONEY_NONE / DATE_NONE / INT_NONE (base/json.h) or a
 * NULL string. Strings are borrowed: in structs filled by the store they
 * live in the arena passed to the call that filled them.
 */
#ifndef SD_STORE_MODEL_H
#define SD_STORE_MODEL_H

#include <stdint.h>

struct team {
    int64_t id;
    const char *source;
    const char *ext_id;
    const char *name;
    const char *region;
};

struct rep {
    int64_t id;
    const char *source;
    const char *ext_id;
    const char *name;
    const char *email;
    int64_t team_id;
    const char *region;
    int64_t manager_id;
    int64_t discount_limit; /* millionths; INT_NONE: no limit */
    const char *status;     /* active inactive */
};

struct account {
    int64_t id;
    const char *source;
    const char *ext_id;
    const char *name;
    const char *segment;
    const char *region;
    const char *country;
    const char *city;
    int64_t owner_rep_id;
    int64_t account_manager_id;
    int64_t credit_limit;       /* MONEY_NONE: no limit */
    int64_t payment_terms_days; /* INT_NONE: not set */
    const char *status;         /* active on_hold closed */
    const char *currency;
};

struct contact {
    int64_t id;
    const char *source;
    const char *ext_id;
    int64_t account_id;
    const char *name;
    const char *title;
    const char *email;
    const char *phone;
    int is_primary;
};

struct product {
    int64_t id;
    const char *source;
    const char *ext_id; /* the SKU */
    const char *name;
    const char *category;
    int64_t list_price;
    int64_t cost;        /* MONEY_NONE: unknown */
    const char *status;  /* active discontinued */
    int32_t launch_date; /* DATE_NONE: not a launch */
};

struct stock_level {
    int64_t product_id;
    const char *warehouse;
    int64_t on_hand;
    int64_t reserved;
};

enum order_status {
    ORDER_DRAFT,
    ORDER_PENDING,
    ORDER_CONFIRMED,
    ORDER_ON_HOLD,
    ORDER_SHIPPED,
    ORDER_INVOICED,
    ORDER_PAID,
    ORDER_CANCELLED,
    ORDER_RETURNED,
    ORDER_STATUS_COUNT
};

struct order {
    int64_t id;
    const char *source;
    const char *ext_id;
    int64_t account_id;
    int64_t rep_id; /* 0: none */
    int32_t order_date;
    int32_t requested_date;
    int32_t promised_date;
    int32_t ship_date;
    enum order_status status;
    int32_t status_date; /* the day the order entered its current status */
    const char *currency;
    const char *ship_country;
    const char *ship_address;
};

struct order_line {
    int64_t order_id;
    int line_no;
    int64_t product_id;
    int64_t qty;
    int64_t unit_price;
    int64_t discount; /* millionths */
    int64_t shipped_qty;
};

struct invoice {
    int64_t id;
    const char *source;
    const char *ext_id;
    int64_t order_id; /* 0: not tied to an order */
    int64_t account_id;
    int32_t issue_date;
    int32_t due_date;
    int64_t amount;
    int64_t paid_amount;
    int32_t paid_date;
    const char *currency;
};

struct opportunity {
    int64_t id;
    const char *source;
    const char *ext_id;
    int64_t account_id;
    int64_t rep_id;
    const char *name;
    const char *stage;
    int64_t amount;
    const char *currency;
    int32_t created_date;
    int32_t expected_close;
    int32_t closed_date;
    const char *outcome; /* won lost, NULL while open */
    const char *lost_reason;
    const char *lead_source;
};

struct opportunity_stage {
    int64_t opportunity_id;
    const char *stage;
    int32_t entered_date;
};

struct request {
    int64_t id;
    const char *source;
    const char *ext_id;
    int64_t account_id;
    int64_t order_id;
    const char *kind;
    const char *subject;
    const char *priority; /* low normal high urgent */
    const char *status;   /* open in_progress waiting resolved closed */
    int64_t opened_at;
    int64_t first_response_at;
    int64_t resolved_at;
    int64_t assignee_rep_id;
};

/* Request statuses as in the schema ("in_progress"), and back (requests.c). */
enum request_status {
    REQUEST_OPEN,
    REQUEST_IN_PROGRESS,
    REQUEST_WAITING,
    REQUEST_RESOLVED,
    REQUEST_CLOSED,
    REQUEST_STATUS_COUNT
};

/* A note on an order, an account or a request. */
struct note {
    int64_t id;
    const char *entity;     /* "order" "account" "request" */
    int64_t entity_id;
    int64_t author_user_id; /* 0 until logins exist (issue 6) */
    const char *author;     /* who wrote it: "cli:<OS user>", later the user's login */
    const char *body;
    int64_t created_at;     /* ms */
};

/* One row of audit_log: who did what to which row, with the fields before and after. */
struct audit_entry {
    int64_t at;               /* ms, the real time of the write */
    int64_t user_id;          /* the logged-in user (API); 0: the command line */
    const char *actor;        /* "cli:<OS user>" or "api:<login>" */
    const char *action;       /* "request.create", "request.status", ... */
    const char *entity;       /* as in change_log */
    int64_t entity_id;
    const char *before_json;  /* the changed fields before; NULL for a new row */
    const char *after_json;   /* the changed fields after */
};

struct quota {
    int64_t rep_id;  /* exactly one of rep_id and team_id is set */
    int64_t team_id;
    const char *period; /* canonical period text */
    int32_t first_day;
    int32_t last_day;
    int64_t amount;
};

struct fx_rate {
    const char *currency;
    int32_t day;
    int64_t rate_to_base; /* × 10^8 */
};

/* One run of an import, as recorded in import_jobs. */
struct import_job {
    int64_t id;
    const char *kind;   /* "orders"; "import" for a CLI run */
    const char *source;
    const char *files;  /* the file names, comma-separated */
    const char *status; /* queued running done failed rejected */
    int64_t user_id;    /* 0: none (the command line) */
    const char *actor;  /* "api:<login>", "cli:<OS user>", or NULL */
    const char *mapping;
    const char *format; /* csv xlsx json, or NULL */
    int dry_run;
    int64_t upload_bytes; /* INT_NONE: not an upload */
    int64_t created_at;
    int64_t started_at;  /* INT_NONE while queued */
    int64_t finished_at; /* INT_NONE until it ends */
    int64_t rows_read;
    int64_t inserted;
    int64_t updated;
    int64_t unchanged;
    int64_t rejected;
    int64_t changes;     /* change_log rows appended (a dry run: would append) */
    int64_t error_count; /* problems found, kept or not */
    const char *error;   /* NULL when done */
    int64_t instance;    /* the server that queued it (its lease key), 0: none (the CLI) */
};

/* The counts of one kind in an import job (import_job_kinds). */
struct import_job_kind {
    const char *kind;
    int64_t rows_read;
    int64_t inserted;
    int64_t updated;
    int64_t unchanged;
    int64_t rejected;
};

/* One problem kept for a rejected import job (import_job_errors). */
struct import_job_error {
    int64_t seq;
    const char *file;
    int64_t row;    /* INT_NONE: not tied to a row */
    int64_t column; /* INT_NONE: unknown */
    const char *field;
    const char *message;
};

/* A KPI definition (kpi_definitions): a formula over the engine's measures. */
struct kpi_definition {
    int64_t id;
    const char *name;
    const char *label;
    const char *formula;
    const char *unit; /* money count percent days */
    int higher_is_better;
    int builtin;
};

/* A target of a KPI for a scope and period (kpi_targets), or a quota seen as one. */
struct kpi_target {
    int64_t id;
    int64_t kpi_id;
    const char *kpi_name;
    const char *scope_kind; /* company region team rep category */
    const char *scope_key;  /* "" for the company */
    const char *period;     /* canonical period text */
    int32_t first_day;
    int32_t last_day;
    int64_t target;   /* the KPI's unit × 10^4 */
    int64_t green_at; /* millionths of the expected value */
    int64_t amber_at;
};

/* An alert raised when a KPI went amber or red (kpi_alerts). */
struct kpi_alert {
    int64_t id;
    int64_t kpi_id;
    const char *kpi_name;
    const char *scope_kind;
    const char *scope_key;
    const char *period;
    const char *level; /* amber red */
    const char *message;
    int64_t value;    /* MONEY_NONE when none */
    int64_t target;
    int64_t expected;
    int64_t raised_at; /* ms */
    int64_t acked_by;  /* users.id; 0 when acknowledged from the command line or not yet */
    int64_t acked_at;  /* ms; INT_NONE while open */
};

/* Order status names as in DESIGN.md ("on_hold"), and back. */
const char *order_status_name(enum order_status status);
/* 0 and *out, or SD_EINVAL for an unknown name. */
int order_status_parse(const char *name, enum order_status *out);
/* 1 for statuses in which the order still waits to ship (pending confirmed on_hold draft). */
int order_status_is_open(enum order_status status);

const char *request_status_name(enum request_status status);
/* The status called `name`, or -1. */
int request_status_parse(const char *name);

/* A person who logs in (users.c). role: admin manager support rep viewer. */
struct user {
    int64_t id;
    const char *login;
    const char *name;          /* NULL: none */
    const char *role;
    int64_t rep_id;            /* 0: not a rep */
    const char *rep_ext_id;    /* filled by reads; NULL without a rep */
    const char *password_hash; /* argon2id string; NULL: cannot log in with a password */
    const char *status;        /* active disabled */
    int64_t created_at;
};

/* A browser session: only hashes of its token and CSRF token are stored. */
struct session {
    int64_t id;
    int64_t user_id;
    const char *token_hash;
    const char *csrf_hash;
    int64_t created_at;
    int64_t last_seen_at;
    int64_t expires_at; /* absolute expiry */
};

/* An API token for scripts (Authorization: Bearer); only its hash is stored. */
struct api_token {
    int64_t id;
    int64_t user_id;
    const char *name;
    const char *token_hash;
    int64_t created_at;
    int64_t expires_at;   /* INT_NONE: never */
    int64_t last_used_at; /* INT_NONE: never */
    int64_t revoked_at;   /* INT_NONE: active */
};

#endif
