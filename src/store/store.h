/* SPDX-License-Identifier: MIT */
/*
 * store: entity persistence on db.h. One .c file per entity family; this
 * header is the whole store API. All SQL text of the project outside src/db/
 * lives in these files.
 *
 * Writes: every function that writes appends change_log rows (entity, id, op)
 * for what it changed, on the same connection, so that inside the caller's
 * transaction they commit or roll back together. Write functions do not open
 * transactions themselves: the caller owns the unit of work (one import, one
 * API request, the whole demo). Upserts are keyed by (source, ext_id) and
 * report whether the row was inserted, updated or left unchanged; an
 * unchanged row appends no change_log row.
 *
 * Reads: strings in returned structs live in the arena the caller passes.
 * Look-ups by external id take the id alone (as the CLI and URLs do); when two
 * sources use the same external id the look-up fails with SD_ECONFLICT and
 * asks for "SOURCE:ID".
 */
#ifndef SD_STORE_STORE_H
#define SD_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/error.h"
#include "base/json.h"
#include "db/db.h"
#include "store/model.h"

enum store_write { STORE_UNCHANGED, STORE_INSERTED, STORE_UPDATED };

/* Entities with external ids, for store_resolve. */
enum store_entity {
    ENTITY_TEAM,
    ENTITY_REP,
    ENTITY_ACCOUNT,
    ENTITY_CONTACT,
    ENTITY_PRODUCT,
    ENTITY_ORDER,
    ENTITY_INVOICE,
    ENTITY_OPPORTUNITY,
    ENTITY_REQUEST,
    ENTITY_COUNT
};

/* "account", "order"...: the name used in change_log and messages. */
const char *store_entity_name(enum store_entity e);

/*
 * Opens a database whose schema is current: SD_ENOTFOUND with a hint to run
 * 'salesdesk init' when it has no schema or an older one, SD_EVERSION when it
 * is newer than this binary.
 */
int store_open(struct db **out, const char *url, int flags, struct sd_error *err);

/* change_log */
int store_change_append(struct db *db, const char *entity, int64_t id, const char *op,
                        struct sd_error *err);
/* Number of change_log rows. */
int store_change_count(struct db *db, int64_t *count, struct sd_error *err);

/* settings: *value is NULL when the key is not set. */
int store_setting_get(struct db *db, struct arena *arena, const char *key, const char **value,
                      struct sd_error *err);
int store_setting_set(struct db *db, const char *key, const char *value, struct sd_error *err);
/*
 * Every setting whose key starts with `prefix`, in one statement (key and
 * value valid during the call); a non-zero return from `fn` stops and is
 * returned.
 */
typedef int store_setting_fn(void *ctx, const char *key, const char *value);
int store_settings_prefixed(struct db *db, const char *prefix, store_setting_fn *fn, void *ctx,
                            struct sd_error *err);
/*
 * The demo's day: when the setting demo_today is set (by `salesdesk demo`),
 * *day is that date and *set 1; else *day is unchanged and *set 0.
 * SD_EINVAL naming the setting when it is not a date.
 */
int store_demo_today(struct db *db, int32_t *day, int *set, struct sd_error *err);
/*
 * The desk's clock, the moment requests are opened, answered and resolved
 * and notes written at: on a demo database (demo_today set) 17:00 UTC of that
 * day, STORE_DEMO_NOW_HOUR, the moment the demo's requests were generated as
 * of; else the system clock. The CLI's --now overrides it.
 */
#define STORE_DEMO_NOW_HOUR 17
int store_desk_now(struct db *db, int64_t *now, struct sd_error *err);
/* The setting fiscal_year_start_month (1..12; 1 when unset, unreadable or bad). */
int store_fiscal_start(struct db *db);

/*
 * Resolves an external id to the internal id. `text` is "EXT" or "SOURCE:EXT".
 * SD_ENOTFOUND when absent, SD_ECONFLICT when "EXT" matches rows of several sources.
 */
int store_resolve(struct db *db, enum store_entity e, const char *text, int64_t *id,
                  struct sd_error *err);

/* The id of the row with exactly (source, ext_id): 0 and *id, or SD_ENOTFOUND. */
int store_lookup(struct db *db, enum store_entity e, const char *source, const char *ext_id,
                 int64_t *id, struct sd_error *err);

#define CURRENCY_TEXT_MAX 16
/* The currency of account `id` into buf (CURRENCY_TEXT_MAX bytes); SD_ENOTFOUND if none. */
int store_account_currency(struct db *db, int64_t id, char *buf, struct sd_error *err);

/* Upserts by (source, ext_id); on success `x->id` is the row's id and *result what happened. */
int store_team_upsert(struct db *db, struct team *t, enum store_write *result,
                      struct sd_error *err);
int store_rep_upsert(struct db *db, struct rep *r, enum store_write *result,
                     struct sd_error *err);
int store_account_upsert(struct db *db, struct account *a, enum store_write *result,
                         struct sd_error *err);
int store_contact_upsert(struct db *db, struct contact *c, enum store_write *result,
                         struct sd_error *err);
int store_product_upsert(struct db *db, struct product *p, enum store_write *result,
                         struct sd_error *err);
int store_invoice_upsert(struct db *db, struct invoice *inv, enum store_write *result,
                         struct sd_error *err);
int store_request_upsert(struct db *db, struct request *r, enum store_write *result,
                         struct sd_error *err);
/*
 * An order with its lines (line_no unique within the order; order_id of the
 * lines is ignored). The lines replace the stored ones; the order counts as
 * updated when its header or any line changed. With lines == NULL only the
 * header is written and stored lines stay as they are.
 */
int store_order_upsert(struct db *db, struct order *o, const struct order_line *lines,
                       size_t n_lines, enum store_write *result, struct sd_error *err);
/* An opportunity with its stage history, which replaces the stored one (NULL: kept). */
int store_opportunity_upsert(struct db *db, struct opportunity *o,
                             const struct opportunity_stage *stages, size_t n_stages,
                             enum store_write *result, struct sd_error *err);
/*
 * Replaces the lines of an existing order when they differ from `lines`;
 * *changed says whether they did (and then a change_log 'update' of the order
 * was appended).
 */
int store_order_lines_set(struct db *db, int64_t order_id, const struct order_line *lines,
                          size_t n_lines, int *changed, struct sd_error *err);
/* The same for an opportunity's stage history. */
int store_opportunity_stages_set(struct db *db, int64_t opportunity_id,
                                 const struct opportunity_stage *stages, size_t n_stages,
                                 int *changed, struct sd_error *err);

/* Keyed by (product_id, warehouse). */
int store_stock_set(struct db *db, const struct stock_level *s, enum store_write *result,
                    struct sd_error *err);
/* Keyed by (rep_id or team_id, period). */
int store_quota_set(struct db *db, const struct quota *q, enum store_write *result,
                    struct sd_error *err);
/* Keyed by (currency, day). */
int store_fx_set(struct db *db, const struct fx_rate *fx, enum store_write *result,
                 struct sd_error *err);
int store_demo_planted_add(struct db *db, const char *order_ext_id, const char *code,
                           struct sd_error *err);

/*
 * Before writing `lines_coming` order lines in the current transaction: when
 * they are many (100,000 or more) and outnumber the lines already stored, the
 * secondary indexes of orders, order lines and invoices are suspended and
 * built again at commit (db_indexes_suspend), which is several times faster.
 */
int store_bulk_prepare(struct db *db, int64_t lines_coming, struct sd_error *err);

/*
 * Bulk writes, for a kind the store holds no rows of from the writer's source
 * (a first import): the caller checks that with store_bulk_possible, assigns
 * ids itself from store_bulk_next_id on (so references resolve without
 * look-ups), writes the rows through a bulk load (db_load_begin: a prepared
 * INSERT per row on SQLite, COPY on PostgreSQL), and appends the change_log
 * 'insert' rows of the whole id range with store_bulk_changes (one per row,
 * in id order, as the row-by-row path would). Nothing is compared or looked
 * up: a duplicate key fails the load (SD_ECONFLICT) and the caller's
 * transaction must be rolled back. Inside the caller's transaction, which
 * must hold the write lock from the check to the last insert. Rows are in
 * their table once their load has ended (db_load_end), so the lines' load
 * begins after the orders' ended. A failed load is freed
 * with db_load_abort before the rollback.
 */

/* *possible = 1 when no row of entity `e` has source `source`. */
int store_bulk_possible(struct db *db, enum store_entity e, const char *source, int *possible,
                        struct sd_error *err);
/* The first id above every stored row of `e` (1 for an empty table). */
int store_bulk_next_id(struct db *db, enum store_entity e, int64_t *next, struct sd_error *err);
/* Appends a change_log 'insert' row for each row of `e` with first <= id <= last. */
int store_bulk_changes(struct db *db, enum store_entity e, int64_t first, int64_t last,
                       struct sd_error *err);
/* Orders with their ids set (source and ext_id required); no change_log rows. End: db_load_end. */
int store_bulk_orders_begin(struct db *db, struct db_load **out, struct sd_error *err);
int store_bulk_order(struct db_load *load, const struct order *o, struct sd_error *err);
/* Order lines (order_id set on each) of orders loaded before. End: db_load_end. */
int store_bulk_lines_begin(struct db *db, struct db_load **out, struct sd_error *err);
int store_bulk_line(struct db_load *load, const struct order_line *l, struct sd_error *err);
/* Invoices with their ids set and their accounts' currencies; no change_log rows. End: db_load_end. */
int store_bulk_invoices_begin(struct db *db, struct db_load **out, struct sd_error *err);
int store_bulk_invoice(struct db_load *load, const struct invoice *inv, struct sd_error *err);

/*
 * Import jobs (imports.c): one row per import run, made when the run applies
 * (the command line) or when an upload is queued (the API), then brought up
 * to date as the job runs and ends; counts per kind and the problems of a
 * rejected run beside it.
 */
/* Records an import job with every field of `job` (id ignored); *id is its job id. */
int store_import_job_add(struct db *db, const struct import_job *job, int64_t *id,
                         struct sd_error *err);
/* Job `job->id` takes status, times, counts, changes, error count and error of `job`. */
int store_import_job_update(struct db *db, const struct import_job *job, struct sd_error *err);
/* A queued job starts running at `at`: 0, or SD_ENOTFOUND when it is not queued. */
int store_import_job_start(struct db *db, int64_t id, int64_t at, struct sd_error *err);
/*
 * Ends as failed with `message` the jobs still queued or running of server
 * `instance` (its lease key, db.h; 0: of no server); *n of them.
 */
int store_import_jobs_interrupt(struct db *db, int64_t at, const char *message, int64_t instance,
                                int64_t *n, struct sd_error *err);
/*
 * The same for the jobs of every server no longer alive (its lease free, or
 * no server at all) but `self`: what servers that died left behind.
 */
int store_import_jobs_orphans(struct db *db, int64_t at, const char *message, int64_t self,
                              int64_t *n, struct sd_error *err);
int store_import_job_kind_add(struct db *db, int64_t job_id, const struct import_job_kind *k,
                              struct sd_error *err);
int store_import_job_error_add(struct db *db, int64_t job_id, const struct import_job_error *e,
                               struct sd_error *err);
/* One job, its text in `arena`; SD_ENOTFOUND when there is none. */
int store_import_job_get(struct db *db, struct arena *arena, int64_t id, struct import_job *out,
                         struct sd_error *err);
/* The counts per kind of a job, in the kinds' dependency order. */
int store_import_job_kinds(struct db *db, struct arena *arena, int64_t job_id,
                           struct import_job_kind **items, size_t *n, struct sd_error *err);
/* Up to `limit` jobs, newest first, with ids below `before` (0: from the newest). */
int store_import_job_list(struct db *db, struct arena *arena, int64_t before, int64_t limit,
                          struct import_job **items, size_t *n, struct sd_error *err);
/* Up to `limit` kept problems of a job in the order found, with seq above `after`. */
int store_import_job_errors(struct db *db, struct arena *arena, int64_t job_id, int64_t after,
                            int64_t limit, struct import_job_error **items, size_t *n,
                            struct sd_error *err);

/* Rows per table, for summaries: fills counts[ENTITY_COUNT] plus lines. */
struct store_counts {
    int64_t entities[ENTITY_COUNT];
    int64_t order_lines;
    int64_t stock_levels;
    int64_t opportunity_stages;
    int64_t quotas;
    int64_t fx_rates;
    int64_t planted;
};
int store_counts(struct db *db, struct store_counts *out, struct sd_error *err);

/* One order as the CLI and API show it. */
struct order_line_view {
    struct order_line line;
    const char *sku;
    const char *product_name;
    int64_t gross; /* qty × unit_price */
    int64_t net;   /* after discount, rounded */
};

struct order_view {
    struct order order;
    const char *account_ext_id;
    const char *account_name;
    const char *rep_ext_id; /* NULL: no rep */
    const char *rep_name;
    struct order_line_view *lines;
    size_t n_lines;
    struct invoice *invoices;
    size_t n_invoices;
    int64_t total_qty;
    int64_t total_shipped_qty;
    int64_t total_gross;
    int64_t total_discount; /* gross − net */
    int64_t total_net;
    int64_t invoiced;       /* sum of invoice amounts */
    int64_t paid;           /* sum of paid amounts */
};

/* SD_ENOTFOUND when no order has that external id. */
int store_order_view(struct db *db, struct arena *arena, const char *ext_id,
                     struct order_view *out, struct sd_error *err);
/* The same for the order with internal id `id` (resolved already); SD_ENOTFOUND. */
int store_order_view_id(struct db *db, struct arena *arena, int64_t id, struct order_view *out,
                        struct sd_error *err);
/*
 * The order view as one JSON object: header, lines, totals and invoices, money
 * as exact decimals (the same form for `salesdesk order --json` and the API).
 */
void store_order_view_json(struct json_writer *w, const struct order_view *v);

/* The status of order `id`; SD_ENOTFOUND when there is no such order. */
int store_order_status(struct db *db, int64_t id, enum order_status *status,
                       struct sd_error *err);

/* Net of one order (sum of rounded line nets). */
int store_order_net(struct db *db, int64_t order_id, int64_t *net, struct sd_error *err);
/* The external id of the order with internal id `id` into buf (cut to size); SD_ENOTFOUND. */
int store_order_ext_id(struct db *db, int64_t id, char *buf, size_t size, struct sd_error *err);

struct order_summary {
    int64_t id;
    const char *ext_id;
    int32_t order_date;
    int32_t promised_date;
    enum order_status status;
    const char *currency;
    int64_t net;
};

#define STORE_LIST_MAX 1000

/*
 * The order list: newest order date first, then the higher id. A page is
 * the `limit` orders after the key (after_date, after_id) of the previous
 * page's last order (after_id 0: the first page).
 */
struct order_filter {
    int64_t account_id;   /* 0: any */
    int64_t rep_id;       /* 0: any */
    unsigned status_mask; /* bit (1u << enum order_status) per status wanted; 0: any */
    int32_t from;         /* order_date >= from; DATE_NONE: open */
    int32_t to;           /* order_date <= to; DATE_NONE: open */
    int64_t scope_rep_id; /* 0: every order; else only those this rep may see (-1: none) */
    int32_t after_date;   /* keyset cursor: the last order's date and id */
    int64_t after_id;
    int limit;            /* 1..STORE_LIST_MAX */
};

/* An order of the list: the header (no status_date, ship address), ext ids, its net. */
struct order_list_item {
    struct order order;
    const char *account_ext_id;
    const char *rep_ext_id; /* NULL: no rep */
    int64_t net;
};

/*
 * One page of orders matching `f`, each with its net; *more is 1 when
 * another page follows. SD_EINVAL for a limit out of range.
 */
int store_order_list(struct db *db, struct arena *arena, const struct order_filter *f,
                     struct order_list_item **items, size_t *n, int *more,
                     struct sd_error *err);
/* A list item as JSON: id, account, rep, the four dates, status, currency, net. */
void store_order_list_item_json(struct json_writer *w, const struct order_list_item *it);

/*
 * The account list: by name, then id. name_contains matches anywhere in the
 * name, ignoring ASCII case ('%', '_' and '\' are plain characters). A page
 * is the `limit` accounts after (after_name, after_id) (NULL: the first page).
 */
struct account_filter {
    const char *region;        /* NULL: any */
    const char *segment;       /* NULL: any */
    const char *status;        /* NULL: any */
    int64_t owner_rep_id;      /* 0: any */
    const char *name_contains; /* NULL: any */
    int64_t scope_rep_id;      /* 0: every account; else only this rep's (-1: none) */
    const char *after_name;
    int64_t after_id;
    int limit;
};

/* An account with the external ids of its owner and account manager (NULL: none). */
struct account_row {
    struct account account;
    const char *owner_rep_ext_id;
    const char *account_manager_ext_id;
};

/* One page of accounts matching `f`; *more as for store_order_list. */
int store_account_list(struct db *db, struct arena *arena, const struct account_filter *f,
                       struct account_row **items, size_t *n, int *more, struct sd_error *err);
/* Account `id` (internal); SD_ENOTFOUND. */
int store_account_row(struct db *db, struct arena *arena, int64_t id, struct account_row *out,
                      struct sd_error *err);
/* An account as JSON with the native CSV field names (accounts.csv). */
void store_account_row_json(struct json_writer *w, const struct account_row *a);

struct account_view {
    struct account account;
    const char *owner_rep_ext_id;
    const char *owner_rep_name;
    const char *account_manager_ext_id;
    const char *account_manager_name;
    struct contact *contacts;
    size_t n_contacts;
    struct order_summary *open_orders; /* draft pending confirmed on_hold, oldest first */
    size_t n_open_orders;
    int64_t open_orders_net;
    struct invoice *open_invoices;     /* not fully paid, by due date */
    size_t n_open_invoices;
    int64_t receivables;               /* open invoice balance */
    int64_t overdue;                   /* balance past due on `today` */
    int64_t orders_total;              /* all orders ever */
    int64_t invoices_total;            /* all invoices ever */
};

/* `today` decides what is overdue. SD_ENOTFOUND when no account has that external id. */
int store_account_view(struct db *db, struct arena *arena, const char *ext_id, int32_t today,
                       struct account_view *out, struct sd_error *err);

/*
 * Account status reads (account-status.c), for desk/account.c. Each starts
 * from the account's index (orders_account, requests_account) or a primary
 * key, so one account costs what it holds.
 *
 * store_account_lines: the lines of the account's orders placed from `from`
 * to `to` (order dates, both included) whose status is booked (pending
 * confirmed on_hold shipped invoiced paid) or returned, each with its order's
 * date and status, in no particular order (SD_EOVERFLOW for a line whose
 * net is out of money's range). store_account_orders: those
 * orders themselves (date, status, currency valid during the call), from
 * the index alone. A non-zero return from a callback stops the scan and is
 * returned.
 */
struct store_account_line {
    int32_t order_date;
    enum order_status status;
    int64_t product_id;
    int64_t qty;
    int64_t net; /* money_line_net, in the order's currency */
};
typedef int store_account_line_fn(void *ctx, const struct store_account_line *line);
int store_account_lines(struct db *db, int64_t account_id, int32_t from, int32_t to,
                        store_account_line_fn *fn, void *ctx, struct sd_error *err);
typedef int store_account_order_fn(void *ctx, int32_t order_date, enum order_status status,
                                   const char *currency);
int store_account_orders(struct db *db, int64_t account_id, int32_t from, int32_t to,
                         store_account_order_fn *fn, void *ctx, struct sd_error *err);

/*
 * The distinct order dates of the account's booked orders on or before `to`,
 * latest first, at most `max` of them, into days[] (room for `max`).
 */
int store_account_order_days(struct db *db, int64_t account_id, int32_t to, int32_t *days,
                             size_t max, size_t *n, struct sd_error *err);

/* A customer request that is still open (open, in_progress or waiting). */
struct store_account_request {
    const char *ext_id;
    const char *order_ext_id; /* NULL: not about an order */
    const char *kind;
    const char *subject;
    const char *priority;
    const char *status;
    int64_t opened_at; /* ms */
};

/* The account's open requests, oldest first; the array and strings live in `arena`. */
int store_account_open_requests(struct db *db, struct arena *arena, int64_t account_id,
                                struct store_account_request **items, size_t *n,
                                struct sd_error *err);

/* SKU and name of product `id` (strings in `arena`); SD_ENOTFOUND when there is none. */
int store_product_brief(struct db *db, struct arena *arena, int64_t id, const char **sku,
                        const char **name, struct sd_error *err);

/*
 * Customer requests at the desk (requests.c). Every write appends its
 * change_log row; the caller owns the transaction and the audit row
 * (desk/requests.c does both).
 */
struct request_view {
    struct request request;
    enum request_status status;
    const char *account_ext_id;
    const char *account_name;
    const char *order_ext_id;    /* NULL: not about an order */
    const char *assignee_ext_id; /* NULL: nobody */
    const char *assignee_name;
};

/* The request with internal id `id`; SD_ENOTFOUND when there is none. */
int store_request_view(struct db *db, struct arena *arena, int64_t id, struct request_view *out,
                       struct sd_error *err);
/*
 * Inserts a new request with source r->source and a generated external id:
 * `prefix` followed by the number of requests of that source plus one, or
 * the next number free in every source (R1, R2, ...), so the id alone finds
 * it. r->ext_id (in `arena`) and r->id are set; a change_log 'insert' row is
 * appended. Needs the write lock (inside db_begin) so the number stays free.
 */
int store_request_create(struct db *db, struct arena *arena, struct request *r,
                         const char *prefix, struct sd_error *err);
/* Sets status, first_response_at and resolved_at (INT_NONE: NULL) of request `id`. */
int store_request_set_state(struct db *db, int64_t id, enum request_status status,
                            int64_t first_response_at, int64_t resolved_at,
                            struct sd_error *err);
/* Sets the assignee (a rep id; 0: nobody) of request `id`. */
int store_request_set_assignee(struct db *db, int64_t id, int64_t rep_id, struct sd_error *err);

struct request_filter {
    unsigned status_mask;    /* bit (1u << enum request_status) per status wanted; 0: any */
    int64_t assignee_rep_id; /* 0: any */
    const char *priority;    /* NULL: any */
    int64_t account_id;      /* 0: any */
    int64_t scope_rep_id;    /* 0: every request; else only those this rep sees (STORE_REP_SEES_REQUEST) */
};
/* Every request matching `f` (by status through the requests_status index), by status and id. */
int store_request_list(struct db *db, struct arena *arena, const struct request_filter *f,
                       struct request_view **items, size_t *n, struct sd_error *err);

/* A rep by internal id: its external id and whether it is active. SD_ENOTFOUND. */
int store_rep_brief(struct db *db, struct arena *arena, int64_t id, const char **ext_id,
                    int *active, struct sd_error *err);
/* The account of order `order_id`; SD_ENOTFOUND. */
int store_order_account(struct db *db, int64_t order_id, int64_t *account_id,
                        struct sd_error *err);

/* Notes (notes.c): n->id is set; a change_log 'insert' row of entity "note" is appended. */
int store_note_add(struct db *db, struct note *n, struct sd_error *err);
/* The notes on one row (entity "order", "account" or "request"), oldest first. */
int store_notes_list(struct db *db, struct arena *arena, const char *entity, int64_t entity_id,
                     struct note **items, size_t *n, struct sd_error *err);

/* Appends one audit_log row (audit.c). */
int store_audit_append(struct db *db, const struct audit_entry *a, struct sd_error *err);

/* One audit_log row as read back: entry.user_id 0 when the command line wrote it. */
struct audit_row {
    int64_t id;
    struct audit_entry entry;
    const char *login; /* the user's login; NULL without a user */
};
struct audit_filter {
    int64_t user_id;    /* 0: any */
    const char *entity; /* NULL: any */
    int64_t entity_id;  /* 0: any (internal id, as stored) */
    int64_t from;       /* at >= from (ms); INT_NONE: open */
    int64_t to;         /* at <= to (ms); INT_NONE: open */
    int64_t before_id;  /* keyset cursor: only ids below it; 0: from the newest */
    int limit;          /* 1..STORE_LIST_MAX */
};
/*
 * One page of audit rows matching `f`, newest (highest id) first; *next_cursor
 * is the before_id of the next page, 0 after the last. SD_EINVAL for a limit
 * out of range.
 */
int store_audit_list(struct db *db, struct arena *arena, const struct audit_filter *f,
                     struct audit_row **items, size_t *n, int64_t *next_cursor,
                     struct sd_error *err);

/*
 * An account's timeline (timeline.c): what happened to it, newest first.
 * Dated events (orders, shipments, invoices, payments, stage changes) are at
 * 00:00 UTC of their day; at the same moment the later step of a life cycle
 * comes first (the kinds below in reverse), then the higher row id, then
 * (stages of one opportunity on one day) the stage name, descending.
 */
enum timeline_kind {
    TIMELINE_STAGE,          /* opportunity entered a stage: ref opportunity, text stage,
                                text2 opportunity name, amount, currency */
    TIMELINE_ORDER_PLACED,   /* ref order, text status, amount net, currency, n1 units */
    TIMELINE_ORDER_SHIPPED,  /* ref order, text status, n1 units ordered, n2 shipped */
    TIMELINE_INVOICE,        /* ref invoice, text order (or NULL), amount, currency, day due */
    TIMELINE_PAYMENT,        /* ref invoice, amount paid, n1 invoice amount, currency */
    TIMELINE_REQUEST_OPENED, /* ref request, text subject, text2 priority, text3 status */
    TIMELINE_REQUEST_FIRST_RESPONSE, /* ref request, text subject, n1 ms since opened */
    TIMELINE_REQUEST_RESOLVED,       /* ref request, text subject, n1 ms since opened */
    TIMELINE_NOTE, /* ref the noted row's external id, text body, text2 author, text3 entity */
    TIMELINE_KIND_COUNT
};

struct timeline_event {
    enum timeline_kind kind;
    int64_t at;     /* ms */
    int dated;      /* 1: the event has a day, not a time (at is 00:00 UTC) */
    int64_t row_id; /* the internal id of the order, invoice, request, note or opportunity */
    const char *ref;
    const char *text;
    const char *text2;
    const char *text3;
    const char *currency;
    int64_t amount; /* MONEY_NONE when the kind has none */
    int64_t n1, n2; /* INT_NONE when the kind has none */
    int32_t day;    /* DATE_NONE when the kind has none */
};

/* "stage", "order_placed", ...: the kind's name in JSON and text. */
const char *timeline_kind_name(enum timeline_kind k);
/*
 * The `limit` newest events of account `account_id` that come after event
 * `after` in the timeline's order (NULL: from the newest; only its at, kind,
 * row_id and text are used), by one SQL statement over the per-account
 * indexes, merged and cut by the database; order figures are computed for
 * the events returned only. *total is the number of events the account has
 * in all.
 */
int store_account_timeline(struct db *db, struct arena *arena, int64_t account_id,
                           const struct timeline_event *after, int limit,
                           struct timeline_event **items, size_t *n, int64_t *total,
                           struct sd_error *err);
/* One event as a JSON object: at, date, dated, kind, id and the kind's fields. */
void store_timeline_event_json(struct json_writer *w, const struct timeline_event *e);

/*
 * KPIs (kpis.c). store_kpi_define upserts a definition by name (d->id is set).
 * store_kpi_targets lists every target, or with `quotas` the quotas as
 * revenue targets (kpi_name "revenue", kpi_id 0, scope rep or team by
 * external id, thresholds 100 % / 90 %). store_kpi_alert_raise stores an
 * alert unless one with the same KPI, scope, period and level exists
 * (*raised says which). store_kpi_alert_ack: SD_ENOTFOUND for no such
 * alert, SD_ECONFLICT when it was acknowledged already.
 */
int store_kpi_define(struct db *db, struct kpi_definition *d, enum store_write *result,
                     struct sd_error *err);
int store_kpi_definitions(struct db *db, struct arena *arena, struct kpi_definition **items,
                          size_t *n, struct sd_error *err);
int store_kpi_target_set(struct db *db, struct kpi_target *t, enum store_write *result,
                         struct sd_error *err);
int store_kpi_targets(struct db *db, struct arena *arena, int quotas, struct kpi_target **items,
                      size_t *n, struct sd_error *err);
int store_kpi_alert_raise(struct db *db, struct kpi_alert *a, int *raised, struct sd_error *err);
int store_kpi_alerts(struct db *db, struct arena *arena, int open_only, struct kpi_alert **items,
                     size_t *n, struct sd_error *err);
int store_kpi_alert_ack(struct db *db, int64_t id, int64_t user_id, int64_t at,
                        struct sd_error *err);

/* Which alerts store_kpi_alert_page reads: newest first (raised_at, then id, descending). */
struct kpi_alert_filter {
    int state;       /* 0 all, 1 open, 2 acknowledged */
    const char *kpi; /* NULL: any KPI */
    int64_t rep_id;  /* non-zero: only alerts of scope rep = this rep (a rep's view; -1: none) */
    int64_t id;      /* non-zero: only this alert */
    int64_t after_raised_at, after_id; /* after_id non-zero: the alerts after this one */
    int64_t limit;
};
int store_kpi_alert_page(struct db *db, struct arena *arena, const struct kpi_alert_filter *f,
                         struct kpi_alert **items, size_t *n, struct sd_error *err);
/*
 * The JSON objects of an alert ({id, kpi, scope, scope_key, period, level,
 * message, value, target, expected, raised_at, acked_at}) and of a target
 * ({kpi, scope, scope_key, period, target, green_at_pct, amber_at_pct,
 * source: "target" or "quota"}), for the CLI's --json and the API.
 */
void store_kpi_alert_json(struct json_writer *w, const struct kpi_alert *a);
void store_kpi_target_json(struct json_writer *w, const struct kpi_target *t, int quota);

/*
 * The ids of the accounts rep `rep_id` sees (STORE_REP_SEES_ACCOUNT: owned
 * or managed), ascending; none for a rep id that matches no rep (e.g. -1).
 * With the rep's own orders these are the order lines the rep sees
 * (STORE_REP_SEES_ORDER), the engine's row-level scope for a rep.
 */
int store_rep_visible_accounts(struct db *db, struct arena *arena, int64_t rep_id,
                               int64_t **ids, size_t *n, struct sd_error *err);

/*
 * Reads for the numbers engine (scan.c). Rows go to the callback one at a
 * time; its strings are valid only during the call; a non-zero return from
 * the callback stops the scan and is returned.
 */
struct scan_line {
    int64_t order_id;
    int64_t account_id;
    int64_t rep_id; /* 0: none */
    int32_t order_date;
    int32_t ship_date; /* DATE_NONE: not shipped */
    int32_t due_date;  /* promised, else requested; DATE_NONE: neither */
    enum order_status status;
    const char *currency;
    int64_t product_id;
    int64_t qty;
    int64_t shipped_qty;
    int64_t unit_price;
    int64_t discount;
};
typedef int store_scan_line_fn(void *ctx, const struct scan_line *line);
/* Every order line with its order (order_id 0), or the lines of one order, by order and line. */
int store_scan_lines(struct db *db, int64_t order_id, store_scan_line_fn *fn, void *ctx,
                     struct sd_error *err);

/*
 * A dimension row: accounts (attr: region, segment, country), reps (attr:
 * team ext_id, team name) or products (attr: category; cost). NULL attrs are
 * NULL; cost is MONEY_NONE when unknown.
 */
struct scan_dim {
    int64_t id;
    const char *ext_id;
    const char *name;
    const char *attr[3];
    int64_t cost;
};
typedef int store_scan_dim_fn(void *ctx, const struct scan_dim *row);
/* All rows of ENTITY_ACCOUNT, ENTITY_REP or ENTITY_PRODUCT by id (id 0), or the one row `id`. */
int store_scan_dims(struct db *db, enum store_entity e, int64_t id, store_scan_dim_fn *fn,
                    void *ctx, struct sd_error *err);

/*
 * An opportunity, customer request or invoice, for the engine's pipeline,
 * service and receivables measures. rep_id: the opportunity's rep, the
 * request's assignee, the invoiced order's rep (0: none). By kind:
 *   opportunity: text stage, text2 outcome (NULL while open), amount, currency,
 *                t[0] created day, t[1] closed day (DATE_NONE);
 *   request:     text priority, text2 status, t[0] opened ms, t[1] first
 *                response ms, t[2] resolved ms (INT_NONE when not yet);
 *   invoice:     amount, paid, currency, t[0] issue day, t[1] due day, t[2]
 *                paid day (DATE_NONE).
 */
struct scan_side {
    enum store_entity kind;
    int64_t id;
    int64_t account_id;
    int64_t rep_id;
    const char *text;
    const char *text2;
    const char *currency;
    int64_t amount;
    int64_t paid;
    int64_t t[3];
};
typedef int store_scan_side_fn(void *ctx, const struct scan_side *row);
/* Every row (id 0) or row `id` of ENTITY_OPPORTUNITY, ENTITY_REQUEST or ENTITY_INVOICE. */
int store_scan_side(struct db *db, enum store_entity kind, int64_t id, store_scan_side_fn *fn,
                    void *ctx, struct sd_error *err);
typedef int store_scan_stage_fn(void *ctx, int64_t opportunity_id, const char *stage,
                                int32_t entered);
/* The stage history of every opportunity (0) or of one, by opportunity and day. */
int store_scan_stages(struct db *db, int64_t opportunity_id, store_scan_stage_fn *fn, void *ctx,
                      struct sd_error *err);

typedef int store_scan_fx_fn(void *ctx, const struct fx_rate *fx);
/* Every currency rate, by currency and day. */
int store_scan_fx(struct db *db, store_scan_fx_fn *fn, void *ctx, struct sd_error *err);

typedef int store_scan_change_fn(void *ctx, int64_t seq, const char *entity, int64_t id,
                                 const char *op);
/* The change_log rows after `after_seq`, in order. */
int store_scan_changes(struct db *db, int64_t after_seq, store_scan_change_fn *fn, void *ctx,
                       struct sd_error *err);
/* The last change_log sequence number (0 when empty). */
int store_change_last(struct db *db, int64_t *seq, struct sd_error *err);

/*
 * Order doctor reads (doctor.c). What the doctor's rules need, loaded in a
 * few set-based queries into plain arrays that desk/doctor.c indexes:
 *
 *   store_doctor_load_order  one order (the subject) with its lines,
 *       invoices, account, rep, products and their stock, and open customer
 *       requests; when it is open, also its context: the open orders of its
 *       account and its account's orders in the `window_days` before it
 *       (whole, for credit and duplicates), the account's unpaid invoices,
 *       and the lines of other accounts' open orders for the same products
 *       (stock competition; those orders come with those lines only).
 *   store_doctor_load_open   every open order (draft pending confirmed
 *       on_hold: order_status_is_open) and every shipped order (still to be
 *       invoiced, so SHIPPED_NOT_INVOICED and INVOICE_MISMATCH apply) as
 *       subjects, with the same context for all of them at once: one pass per
 *       table, never a query per order.
 *
 * Arrays are sorted by id (orders, accounts, reps, products) and requests by
 * order_id; each order's lines are lines[first_line .. first_line + n_lines)
 * by line number; invoices come in no particular order, without their
 * strings (source, ext_id, currency are NULL). The arrays are heap memory
 * owned by the struct (store_doctor_release frees them); strings live in
 * `arena`.
 */
struct store_doctor_order {
    struct order order;
    size_t first_line;
    size_t n_lines;
    int subject; /* 1: to be diagnosed; 0: loaded as context */
};

struct store_doctor_account {
    int64_t id;
    const char *ext_id;
    const char *status;   /* active on_hold closed */
    int64_t credit_limit; /* MONEY_NONE: no limit */
    const char *name;
    const char *segment; /* NULL when not set; the pending queue's tier */
    const char *region;  /* NULL when not set */
};

struct store_doctor_rep {
    int64_t id;
    const char *ext_id;
    int64_t discount_limit; /* millionths; INT_NONE: no limit */
    const char *name;
    const char *team_ext_id; /* NULL: no team */
    const char *team_name;
};

struct store_doctor_product {
    int64_t id;
    const char *sku;
    int64_t list_price;
    int discontinued;
    int64_t available; /* sum over warehouses of on_hand - reserved; 0 without stock rows */
};

struct store_doctor_request {
    int64_t order_id;
    const char *ext_id;
    const char *status;   /* open in_progress waiting */
    const char *priority;
};

struct store_doctor_data {
    struct store_doctor_order *orders;
    size_t n_orders;
    struct order_line *lines;
    size_t n_lines;
    struct invoice *invoices; /* unpaid ones of the accounts, and all of the subjects' */
    size_t n_invoices;
    struct store_doctor_account *accounts;
    size_t n_accounts;
    struct store_doctor_rep *reps;
    size_t n_reps;
    struct store_doctor_product *products;
    size_t n_products;
    struct store_doctor_request *requests; /* open ones tied to an order */
    size_t n_requests;
};

/* SD_ENOTFOUND when no order has that external id ("ID" or "SOURCE:ID"). */
int store_doctor_load_order(struct db *db, struct arena *arena, const char *ext_id,
                            int window_days, struct store_doctor_data *out,
                            struct sd_error *err);
int store_doctor_load_open(struct db *db, struct arena *arena, int window_days,
                           struct store_doctor_data *out, struct sd_error *err);
/* Frees the arrays (not the arena's strings); the struct is zeroed. */
void store_doctor_release(struct store_doctor_data *d);
/*
 * The index of the row with `id` in one of those arrays sorted by id (rows of
 * `size` bytes that start with their int64_t id: orders, accounts, reps,
 * products), by binary search; SIZE_MAX when absent.
 */
size_t store_doctor_find(const void *rows, size_t n, size_t size, int64_t id);

/*
 * Users, sessions and API tokens (users.c). Logins are unique
 * (store_user_add: SD_ECONFLICT when taken). Look-ups by login or token hash
 * answer SD_ENOTFOUND when absent. A user's rep is given and returned by its
 * internal id (the caller resolves external ids with store_resolve).
 * store_token_revoke revokes token `id` only when `user_id` owns it and it is
 * active (else SD_ENOTFOUND, the same answer as for no such token).
 */
int store_user_add(struct db *db, struct user *u, struct sd_error *err);
int store_user_by_login(struct db *db, struct arena *arena, const char *login, struct user *out,
                        struct sd_error *err);
int store_user_by_id(struct db *db, struct arena *arena, int64_t id, struct user *out,
                     struct sd_error *err);
int store_user_list(struct db *db, struct arena *arena, struct user **items, size_t *n,
                    struct sd_error *err);
/*
 * Sets the password hash, ends every session of the user and revokes their
 * API tokens (at `at`): a changed password shuts out whoever had the old one.
 */
int store_user_set_password(struct db *db, int64_t id, const char *hash, int64_t at,
                            struct sd_error *err);

int store_session_add(struct db *db, struct session *s, struct sd_error *err);
int store_session_find(struct db *db, struct arena *arena, const char *token_hash,
                       struct session *out, struct sd_error *err);
int store_session_touch(struct db *db, int64_t id, int64_t at, struct sd_error *err);
int store_session_delete(struct db *db, int64_t id, struct sd_error *err);
/*
 * Deletes every session that has expired by `now`: past its absolute expiry,
 * or unused for `idle_ms` or more (the rule the API checks a session by).
 */
int store_sessions_sweep(struct db *db, int64_t now, int64_t idle_ms, struct sd_error *err);
/* Ends the sessions of user `user_id` but the `keep` newest. */
int store_sessions_trim(struct db *db, int64_t user_id, int64_t keep, struct sd_error *err);

int store_token_add(struct db *db, struct api_token *t, struct sd_error *err);
int store_token_find(struct db *db, struct arena *arena, const char *token_hash,
                     struct api_token *out, struct sd_error *err);
/* The user's tokens, revoked ones included, newest first. */
int store_token_list(struct db *db, struct arena *arena, int64_t user_id,
                     struct api_token **items, size_t *n, struct sd_error *err);
int store_token_revoke(struct db *db, int64_t user_id, int64_t id, int64_t at,
                       struct sd_error *err);
int store_token_used(struct db *db, int64_t id, int64_t at, struct sd_error *err);
/*
 * Writes name, role, rep_id and status of user u->id (login, password and
 * created_at stay); SD_ENOTFOUND when there is no such user.
 */
int store_user_update(struct db *db, const struct user *u, struct sd_error *err);
/* Ends every session of user `id` and revokes their active API tokens (at `at`). */
int store_user_end_access(struct db *db, int64_t id, int64_t at, struct sd_error *err);
/* The number of active users with role admin. */
int store_user_active_admins(struct db *db, int64_t *count, struct sd_error *err);

/*
 * Row-level access for a rep: *visible = 1 when rep `rep_id` may see row `id`
 * of ENTITY_ACCOUNT, ENTITY_ORDER or ENTITY_REQUEST (the rules are in
 * store-int.h, STORE_REP_SEES_*; list queries use the same conditions).
 */
int store_visible_to_rep(struct db *db, enum store_entity e, int64_t id, int64_t rep_id,
                         int *visible, struct sd_error *err);
/*
 * The internal ids of the open orders (draft pending confirmed on_hold) rep
 * `rep_id` may see, ascending, by the same rule (the array lives in `arena`).
 */
int store_rep_open_orders(struct db *db, struct arena *arena, int64_t rep_id, int64_t **ids,
                          size_t *n, struct sd_error *err);

/*
 * Copy (salesdesk copy): every row of every table of `from` into `to`, both at
 * this binary's schema version, ids as they are. `from` is read on one
 * snapshot, `to` written in one transaction. A target holding rows is refused
 * (SD_ECONFLICT) unless `force`, which deletes them first in the same
 * transaction. Before it commits, each table is checked on both sides by SQL:
 * the row count and the exact sum of every integer column; when anything
 * differs nothing is committed (SD_EDB) and the report says what. A table
 * either database holds that copy does not know is refused (SD_EINVAL).
 * The report is filled as far as the copy got (store_copy_report_release it).
 */
struct store_copy_sum {
    char column[64];
    char value[2][48]; /* the exact sum as a decimal, in from and in to */
};
struct store_copy_table {
    const char *name;
    int64_t rows[2];              /* in from and in to */
    struct store_copy_sum *sums;  /* the integer columns (none when the table is empty) */
    size_t nsums;
    int differs;
};
struct store_copy_report {
    struct store_copy_table *tables; /* in copy order */
    size_t count;
    int differs;          /* tables whose count or a sum differs */
    int64_t rows_removed; /* rows the target held (with force) */
};
int store_copy(struct db *from, struct db *to, int force, struct store_copy_report *report,
               struct sd_error *err);
void store_copy_report_release(struct store_copy_report *report);
/*
 * Inside the caller's write transaction: a database holding any row of the
 * store's tables is refused (SD_ECONFLICT, naming a table) unless `force`,
 * which deletes every row; *removed counts them. The schema stays.
 */
int store_clear(struct db *db, int force, int64_t *removed, struct sd_error *err);

#endif
