/* SPDX-License-Identifier: MIT */
/*
 * api-int: what the API's files share. A request goes through one function,
 * api_dispatch (routes.c): limits, route match (404/405), authentication,
 * CSRF, the route's roles, the JSON body, and row-level access to the record
 * named by {id} are all decided there, never in a handler. A handler gets a
 * `struct api_call` with everything checked, writes its response and returns
 * 0, or returns a negative SD_E... status with `err` filled, which status.c
 * turns into the HTTP status and the error body.
 */
#ifndef SD_API_API_INT_H
#define SD_API_API_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "api/api.h"
#include "base/json.h"
#include "base/jval.h"
#include "db/db.h"
#include "engine/query.h"
#include "http/http.h"
#include "http/router.h"
#include "store/store.h"

enum api_role_bit {
    ROLE_ADMIN = 1u << 0,
    ROLE_MANAGER = 1u << 1,
    ROLE_SUPPORT = 1u << 2,
    ROLE_REP = 1u << 3,
    ROLE_VIEWER = 1u << 4,
};
#define ROLES_ALL    (ROLE_ADMIN | ROLE_MANAGER | ROLE_SUPPORT | ROLE_REP | ROLE_VIEWER)
#define ROLES_PUBLIC 0u

/*
 * The record a route's {id} names: api_dispatch resolves it (c->object_id)
 * and, for a rep, checks that they may see it, before the handler runs.
 */
enum api_object { API_OBJECT_NONE, API_OBJECT_ORDER, API_OBJECT_ACCOUNT, API_OBJECT_REQUEST };

#define API_JSON_MAX_DEPTH 16
#define API_DETAILS_MAX    8
#define API_PAGE_DEFAULT   50
#define API_PAGE_MAX       500
/*
 * Bytes of a decoded cursor key. Keys hold numbers and, for the pending queue
 * and the timeline, an order's external id or a stage name, which imports do
 * not cap (256 bytes here stopped paging at an order with a long id): 8 KiB,
 * whose base64 still fits the connection's 32 KiB with room for the headers.
 */
#define API_CURSOR_MAX 8192

struct api_call;
typedef int api_handler_fn(struct api_call *c, struct sd_error *err);
/*
 * What a handler returns when a helper it called has already written the
 * answer (api_engine_begin's 503 while the engine loads); api_dispatch then
 * leaves the answer as it is. Failures are negative SD_E... statuses.
 */
#define API_ANSWERED 1

struct api_route {
    const char *method;
    const char *pattern;
    api_handler_fn *handler;
    unsigned roles;         /* who may call it; ROLES_PUBLIC: no login needed */
    enum api_object object; /* what {id} names */
    int json_body;          /* takes a JSON object */
    /*
     * The query parameters it takes, space separated ("limit cursor status");
     * any other answers 400 before the handler. NULL: none.
     */
    const char *query;
    const char *summary;
    const char *example_request;  /* a JSON body, or NULL */
    const char *example_response; /* status line and body */
};

extern const struct api_route api_routes[];
extern const size_t api_routes_count;

/* The authenticated caller. */
struct api_principal {
    int64_t user_id;
    const char *login;
    const char *name;
    const char *role;
    unsigned role_bit;
    int64_t rep_id; /* 0: not a rep */
    const char *rep_ext_id;
    int64_t session_id; /* 0: not a session */
    int64_t token_id;   /* 0: not a token */
};

struct api_detail {
    const char *field;
    const char *message;
};

struct api_throttle;
struct api_metrics;
struct api_engine;
struct api_jobs;

struct api_server {
    struct api_options opt;
    struct http_server *http;
    struct api_throttle *throttle;
    struct api_metrics *metrics;
    struct api_engine *engine; /* the facts every worker shares (engine.c) */
    struct api_jobs *jobs;
    int64_t started_ms;
};

/*
 * A worker thread's context: its own store connection, opened on the
 * thread's first request. When it cannot be opened, or a COMMIT failed on
 * it, a later request opens it again (api_thread_db; serve.c).
 */
#define API_REOPEN_FIRST_MS 250  /* the first wait before opening again */
#define API_REOPEN_MAX_MS   8000 /* the wait doubles up to this */
struct api_thread {
    struct db *db; /* NULL when it could not be opened (open_error says why) */
    struct sd_error open_error;
    int64_t retry_at_ms; /* when to try opening again */
    int64_t backoff_ms;  /* the wait after the next failure */
};

/* serve.c */
/*
 * The thread's store connection at `now_ms`: opened when there is none and
 * its retry time has come (after a failure the wait doubles from
 * API_REOPEN_FIRST_MS to API_REOPEN_MAX_MS); NULL when it cannot be opened
 * now (t->open_error says why).
 */
struct db *api_thread_db(const struct api_options *opt, struct api_thread *t, int64_t now_ms);
/*
 * After a request: rolls back a transaction it left open, and closes a
 * connection on which a COMMIT failed, so that the next request opens a new
 * one (a failed COMMIT is final; NOTES.md).
 */
void api_thread_done(struct api_thread *t, const char *request_id);

struct api_call {
    struct api_server *app;
    struct db *db;
    struct http_request *req;
    struct http_response *resp;
    const struct api_route *route;
    struct http_path_params params;
    struct api_principal who;
    const struct jval *body; /* the JSON object, for json_body routes */
    const char *id;          /* {id} decoded and NUL-terminated, or NULL */
    int64_t object_id;       /* internal id of the record {id} names */
    /*
     * Row-level scope for lists and searches: the caller's rep id when the
     * caller is a rep (a list must then show only rows the rep may see, with
     * the store's STORE_REP_SEES_* conditions), else 0 (every row).
     */
    int64_t scope_rep_id;
    /*
     * A GET's reads (authentication, the {id} check and the handler) run
     * in one read transaction: one snapshot, and one lock of the store
     * instead of one per statement. Readers that open their own snapshot
     * unless one is open (store, desk, engine) read in it; a GET handler
     * that writes must go through api_write, which ends it first.
     */
    int read_snapshot;
    /*
     * Bookkeeping writes of authentication (a token's last use, a session's
     * last activity, an expired session's removal; internal ids, 0 for none),
     * made by api_auth_finish once the request's snapshot has ended.
     */
    int64_t touch_token_id;
    int64_t touch_session_id;
    int64_t drop_session_id;
    int64_t touch_at;
    int n_details;
    struct api_detail details[API_DETAILS_MAX];
};

/* routes.c */
void api_dispatch(struct api_server *app, struct http_request *req, struct http_response *resp);
/*
 * A record named by the caller (in {id}, a body or a filter): resolves `text`
 * to *id and, for a rep, checks they may see it. A record that does not
 * exist and one the caller may not see both give SD_ENOTFOUND with the same
 * message ("no account with id 'X'"); other failures as store_resolve's.
 */
int api_resolve_visible(struct api_call *c, enum store_entity e, const char *text, int64_t *id,
                        struct sd_error *err);

/* status.c: error responses. */
/* The HTTP status and error code for an SD_E... status. */
int api_http_status(int sd_status, const char **code);
/* Writes {"error":{"code","message","details"}} with `status`; returns 0 (answered). */
int api_fail(struct api_call *c, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Answers a handler's failure `rc`: mapped status, err's message (hidden for 5xx). */
void api_fail_status(struct api_call *c, int rc, const struct sd_error *err);
/* Adds a field-level detail for a validation error (copied into the request arena). */
void api_detail(struct api_call *c, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Starts a JSON response with `status` (the writer writes into resp->body). */
void api_json_begin(struct api_call *c, int status, struct json_writer *w);

/* auth.c */
/* Who is calling: 0 and c->who, or an answered 401/403 (returns 1). */
int api_authenticate(struct api_call *c);
/*
 * After the request, outside its snapshot: the bookkeeping writes
 * api_authenticate noted (best effort: a failure does not change the answer).
 */
void api_auth_finish(struct api_call *c);
/* The role bit of a role name (0 when unknown). */
unsigned api_role_bit(const char *role);
void api_user_json(struct json_writer *w, const struct api_principal *who);

/* throttle.c: login attempts per key in a window (a bounded table; see throttle.c). */
#define API_THROTTLE_KEYS_MAX 4
struct api_throttle_key {
    const char *key;      /* "login:ada", "addr:10.0.0.7" */
    unsigned limit;       /* attempts in the window before the key blocks */
    int reset_on_success; /* a success forgets the key's failures */
};
struct api_throttle *api_throttle_new(void);
/* A table of `slots` entries (tests). */
struct api_throttle *api_throttle_new_sized(size_t slots);
void api_throttle_free(struct api_throttle *t);
/*
 * Reserves one attempt on every key at once, or on none: 0 when reserved, 1
 * when a key has `limit` failures and attempts in flight within `window_ms`
 * of `now_ms`, or the table has no room for a new key (*retry_ms says when to
 * try again). A reservation must be settled with api_throttle_settle.
 */
int api_throttle_reserve(struct api_throttle *t, const struct api_throttle_key *keys, size_t n,
                         int64_t window_ms, int64_t now_ms, int64_t *retry_ms);
/* Settles a reservation: `failed` counts it as a failure, else it is given back. */
void api_throttle_settle(struct api_throttle *t, const struct api_throttle_key *keys, size_t n,
                         int failed);
/* The address key of a client: "addr:" and the address, an IPv6 one cut to its /64. */
void api_throttle_addr_key(const char *remote, char *buf, size_t size);

/* metrics.c */
struct api_metrics *api_metrics_new(size_t n_routes);
void api_metrics_free(struct api_metrics *m);
/* Records one completed request of route `route` (-1: no route). */
void api_metrics_record(struct api_metrics *m, int route, int status, int64_t duration_us);
/* The Prometheus text of the counters, plus the gauges given. */
void api_metrics_render(const struct api_metrics *m, struct strbuf *out);

/*
 * engine.c: the numbers engine shared by the workers. api_engine_start
 * builds the facts from `db` (and logs the time and line count);
 * api_engine_begin catches the facts up with the store's change_log when it
 * is ahead, takes the read lock and, for a rep, builds their rows (their own
 * orders and those of the accounts they own or manage: STORE_REP_SEES_ORDER);
 * api_engine_end releases both. Between them the facts do not change.
 */
struct api_engine_use {
    const struct facts *f;
    int32_t today;      /* ?today= when the route takes it, else demo_today, else the date */
    int fy_start_month;
    const struct query_rows *scope; /* the rep's rows; NULL for other roles (every line) */
    struct query_rows rows;
    int locked;
};
/* Starts building the facts on a thread of its own, on a connection to `db_url`. */
int api_engine_start(struct api_server *srv, const char *db_url, struct sd_error *err);
/* Stops a build in progress (it gives up within a fraction of a second) and frees. */
void api_engine_free(struct api_engine *e);
/* "loading", "ready" or "failed" (for /healthz). */
const char *api_engine_state(struct api_engine *e);
/* The time `ms` from now on CLOCK_REALTIME, for pthread_cond_timedwait. */
struct timespec api_deadline_in(int64_t ms);
/*
 * 0 with the facts read-locked (caught up first), a negative status, or
 * API_ANSWERED when the engine is not built: waited up to 5 s for a build in
 * progress, then answered 503 (engine_loading with Retry-After, or
 * engine_unavailable after a failed build).
 */
int api_engine_begin(struct api_call *c, struct api_engine_use *u, struct sd_error *err);
void api_engine_end(struct api_call *c, struct api_engine_use *u);
/*
 * For a route that can also read the store itself (the account status): 0
 * with *f the facts caught up and read-locked when the engine is built and
 * free, else 0 with *f NULL at once (loading or failed: never a 503; another
 * request catching up: never a wait), or the error of reading the store's
 * change_log. api_engine_release(c, *f) unlocks (NULL is fine).
 */
int api_engine_try(struct api_call *c, const struct facts **f, struct sd_error *err);
void api_engine_release(struct api_call *c, const struct facts *f);
/* The engine's gauges for GET /metrics. */
void api_engine_metrics(struct api_call *c, struct strbuf *out);

/* The handlers, one file per resource. */
int api_healthz(struct api_call *c, struct sd_error *err);
int api_metrics_get(struct api_call *c, struct sd_error *err);
int api_login(struct api_call *c, struct sd_error *err);
int api_logout(struct api_call *c, struct sd_error *err);
int api_me(struct api_call *c, struct sd_error *err);
int api_tokens_list(struct api_call *c, struct sd_error *err);
int api_tokens_create(struct api_call *c, struct sd_error *err);
int api_tokens_revoke(struct api_call *c, struct sd_error *err);
int api_users_list(struct api_call *c, struct sd_error *err);
int api_order_get(struct api_call *c, struct sd_error *err);
int api_order_diagnosis(struct api_call *c, struct sd_error *err);
int api_requests_list(struct api_call *c, struct sd_error *err);
int api_requests_create(struct api_call *c, struct sd_error *err);
int api_request_get(struct api_call *c, struct sd_error *err);
int api_request_update(struct api_call *c, struct sd_error *err);
int api_notes_create(struct api_call *c, struct sd_error *err);
int api_audit_list(struct api_call *c, struct sd_error *err);
int api_users_create(struct api_call *c, struct sd_error *err);
int api_users_update(struct api_call *c, struct sd_error *err);
int api_orders_list(struct api_call *c, struct sd_error *err);
int api_accounts_list(struct api_call *c, struct sd_error *err);
int api_account_get(struct api_call *c, struct sd_error *err);
int api_account_status(struct api_call *c, struct sd_error *err);
int api_account_timeline(struct api_call *c, struct sd_error *err);
int api_queue_pending(struct api_call *c, struct sd_error *err);
struct doctor_finding;
/*
 * For a rep: leaves out the id of another order a finding names when the
 * rep may not see that order (doctor_finding_hide_order); others: nothing.
 */
int api_hide_other_orders(struct api_call *c, struct doctor_finding *findings, size_t n,
                          struct sd_error *err);
int api_kpis_get(struct api_call *c, struct sd_error *err);
int api_kpi_targets_get(struct api_call *c, struct sd_error *err);
int api_kpi_targets_put(struct api_call *c, struct sd_error *err);
int api_alerts_list(struct api_call *c, struct sd_error *err);
int api_alert_ack(struct api_call *c, struct sd_error *err);
int api_trends_get(struct api_call *c, struct sd_error *err);
int api_imports_create(struct api_call *c, struct sd_error *err);
int api_imports_get(struct api_call *c, struct sd_error *err);
int api_imports_errors(struct api_call *c, struct sd_error *err);
int api_imports_list(struct api_call *c, struct sd_error *err);
/* 1 when a request's body is an upload spooled under max_upload (POST /api/v1/imports). */
int api_is_upload(const char *method, const char *path);

/* jobs.c: the import jobs (one job thread, a queue, progress in memory). */
struct api_job {
    int64_t id;        /* its import_jobs row, made queued by the caller */
    int fd;            /* the upload, a spooled file (owned: closed with the job) */
    int kind;          /* enum import_kind */
    int format;        /* enum import_format */
    char *mapping;     /* a preset name */
    char *sheet;       /* NULL: the mapping entry's, else the first */
    char delimiter;    /* 0: detect */
    int encoding;      /* enum ingest_encoding */
    int dry_run;
    char *actor;       /* "api:<login>" */
    int64_t user_id;
    struct api_job *next;
};
struct api_job_progress {
    const char *phase; /* the kind being read or written, NULL before the first report */
    int writing;       /* 0: reading (rows_read), 1: writing (rows_done of rows_total) */
    int64_t rows_read;
    int64_t rows_done;
    int64_t rows_total;
    int64_t elapsed_ms; /* since the job started */
    int64_t phase_ms;   /* since this kind's reading or writing began */
};
/*
 * Takes this server's lease, marks failed what servers no longer alive left
 * queued or running, then starts the job thread.
 */
int api_jobs_start(const char *db_url, struct api_jobs **out, struct sd_error *err);
/* Queues `job` (consumed when 0 is returned); SD_EBUSY when stopping or the queue is full. */
int api_jobs_submit(struct api_jobs *jobs, struct api_job *job, struct sd_error *err);
/* Refuses new jobs and tells the running import to stop (it rolls back). */
void api_jobs_stop_begin(struct api_jobs *jobs);
/* Stops (see above), waits for the thread, marks its jobs left failed, frees. NULL is fine. */
void api_jobs_stop(struct api_jobs *jobs);
/* This server's lease key (db.h), the `instance` of the jobs it queues. */
int64_t api_jobs_instance(const struct api_jobs *jobs);
void api_job_free(struct api_job *job);
/* 1 and *out when job `id` is running now, else 0. */
int api_jobs_progress(struct api_jobs *jobs, int64_t id, struct api_job_progress *out);
/* The Prometheus text of the import jobs: ended by status, waiting and running, rows. */
void api_jobs_metrics(struct api_jobs *jobs, struct strbuf *out);

/* params.c: query parameters, pages, writes. */
/* 1 when the route takes query parameter `name` (route->query). */
int api_route_takes(const struct api_route *r, const char *name);
/* Answers 400 (returns 1) when the request has a query parameter its route does not take. */
int api_check_query(struct api_call *c);
/*
 * A query parameter as text of 1..max bytes: 0 and *out (NULL when absent), or
 * SD_EINVAL with a detail for the parameter.
 */
int api_query_text(struct api_call *c, const char *name, size_t max, const char **out);
/* An integer parameter in [min, max]; `def` when absent. SD_EINVAL with a detail otherwise. */
int api_query_int(struct api_call *c, const char *name, int64_t min, int64_t max, int64_t def,
                  int64_t *out);
/* An ISO date parameter; *day unchanged when absent. SD_EINVAL with a detail otherwise. */
int api_query_date(struct api_call *c, const char *name, int32_t *day);

/*
 * Cursor pagination. A list takes `limit` (1..500, default 50) and `cursor`,
 * and answers {"items":[...],"next_cursor":"..."|null}. A cursor is opaque to
 * clients: the base64url of the key of the last row of the page, chosen by
 * the handler (e.g. "2024-07-01|123" for a list ordered by date then id).
 */
struct api_page {
    int64_t limit;
    const char *after; /* the decoded key, or NULL for the first page */
};
/* Reads `limit` and `cursor`; SD_EINVAL with a detail when either is bad. */
int api_page_parse(struct api_call *c, struct api_page *page);
/* Writes "next_cursor" (null when `last_key` is NULL: the last page) into the open object. */
void api_page_next(struct api_call *c, struct json_writer *w, const char *last_key);

/*
 * {id} as a row number (1 to 18 digits, above 0; no sign, space or anything
 * else): 0 and *id, or SD_ENOTFOUND "no WHAT with id '...'" (a 404 like a row
 * that does not exist), for the routes whose records are numbered.
 */
int api_id_number(struct api_call *c, const char *what, int64_t *id, struct sd_error *err);
/* The audit actor of the caller: "api:<login>" (in the request arena). */
const char *api_actor_name(struct api_call *c);
/*
 * A write: db_begin, then `fn`, then commit; rolled back when anything fails.
 * A transaction the store says may run again (db_retryable: a PostgreSQL
 * connection lost before COMMIT, a serialization failure or deadlock) runs
 * again from the start, up to API_WRITE_TRIES times in all, so `fn` must
 * change nothing but the store and what it sets afresh in ctx.
 */
#define API_WRITE_TRIES 3
int api_write(struct api_call *c, int (*fn)(struct api_call *c, void *ctx, struct sd_error *err),
              void *ctx, struct sd_error *err);

/*
 * The desk's "today": the query parameter `today` (ISO date; SD_EINVAL with a
 * detail when it is not one), else the setting demo_today, else the UTC date.
 */
int api_today(struct api_call *c, int32_t *today, struct sd_error *err);
/*
 * A filter that names a record by external id ("ID" or "SOURCE:ID"): *id 0
 * when absent, else its internal id. SD_EINVAL with a detail for the
 * parameter when there is no such record, when it is ambiguous, or when a
 * rep may not see it (api_resolve_visible: the same detail as for one that
 * does not exist, so a filter never tells a rep what exists); other
 * failures as store_resolve's, in err.
 */
#define API_ID_MAX 200
int api_query_ref(struct api_call *c, const char *name, enum store_entity e, int64_t *id,
                  struct sd_error *err);

/* Checks that the body object has only `allowed` keys (NULL-terminated); details otherwise. */
int api_body_fields(struct api_call *c, const char *const *allowed);
/* A string member of the body, 1..max bytes; NULL with a detail when missing or wrong. */
const char *api_body_string(struct api_call *c, const char *key, size_t max, int required);

#endif
