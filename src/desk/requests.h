/* SPDX-License-Identifier: MIT */
/*
 * requests: customer requests at the desk: create, assign, change status,
 * and their SLA clocks; the queue of unresolved requests by urgency.
 *
 * States and transitions (request_transition_allowed):
 *   open        -> in_progress, waiting, resolved
 *   in_progress -> waiting, resolved
 *   waiting     -> in_progress, resolved
 *   resolved    -> closed, or reopened: open, in_progress
 *   closed      -> nothing: closed is final (no status change, no assignment)
 * A change to the status a request already has is refused as well.
 *
 * Timestamps: a new request is opened at `now`. The first move out of
 * `open` (to in_progress, waiting or resolved) or the first note on the
 * request, whichever comes first, sets first_response_at (once; a request
 * already resolved or closed is not answered by a note). Resolving sets
 * resolved_at; reopening clears it (first_response_at stays); closing keeps
 * it. Assignment is routing, not a response.
 *
 * SLA (engine/sla.h, the same targets and rule as the KPIs): per priority a
 * first-response and a resolution target in elapsed wall-clock hours from
 * opened_at; the clock does not stop while waiting. A clock is done when its
 * timestamp is set, else it runs and has time left = opened_at + target -
 * now (negative: overdue). Breached: done after the deadline, or still
 * running past it; exactly at the deadline is in time.
 *
 * Every write is one transaction: the row, its change_log row and an
 * audit_log row (actor, action, entity, before/after JSON of the changed
 * fields). A write joins the caller's transaction when one is open (the API
 * makes several changes of one request as one unit), and then leaves the
 * commit or rollback to the caller; else it opens and ends its own.
 * Refusals write nothing: bad values are SD_EINVAL, unknown ids
 * SD_ENOTFOUND, and a change the request's state refuses (a transition the
 * table does not allow, the status or assignee it already has, anything on
 * a closed request) SD_ECONFLICT, each with a message naming the subject.
 * Strings returned live in the arena passed in.
 */
#ifndef SD_DESK_REQUESTS_H
#define SD_DESK_REQUESTS_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/error.h"
#include "base/json.h"
#include "db/db.h"
#include "desk/actor.h"
#include "engine/sla.h"
#include "store/store.h"

#define REQUEST_SOURCE "salesdesk" /* the source of requests created at the desk */
#define REQUEST_ID_PREFIX "R"      /* their ids: R1, R2, ... */
#define REQUEST_KIND_MAX 64        /* bytes */
#define REQUEST_SUBJECT_MAX 200    /* bytes */

/* 1 when a request may go from `from` to `to` (the table above). */
int request_transition_allowed(enum request_status from, enum request_status to);
/* The statuses reachable from `from` into buf: "waiting, resolved" ("none" for closed). */
void request_transitions_text(enum request_status from, char *buf, size_t size);

/* One SLA clock of a request. */
struct request_clock {
    int64_t target_ms;
    int64_t due_at;  /* opened_at + target */
    int64_t done_at; /* the first response or resolution; INT_NONE while running */
    int64_t left_ms; /* while running: due_at - now (negative: overdue); INT_NONE when done */
    int breached;    /* done after due_at, or running with now after due_at */
};

struct request_sla {
    enum sla_priority priority; /* what is not a priority counts as normal, as in the KPIs */
    struct request_clock first_response;
    struct request_clock resolution;
    int64_t next_due_at;  /* the earliest deadline of a running clock; INT_NONE: none runs */
    int64_t next_left_ms; /* next_due_at - now; INT_NONE: none runs */
    int breached;         /* either clock breached */
};

/* The SLA clocks of `r` at `now` (ms) under `t`. Pure arithmetic. */
void request_sla_compute(const struct request *r, const struct sla_targets *t, int64_t now,
                         struct request_sla *out);

/* A request by external id ("ID" or "SOURCE:ID"); SD_ENOTFOUND names it. */
int request_get(struct db *db, struct arena *arena, const char *ext_id,
                struct request_view *out, struct sd_error *err);

struct request_new {
    const char *account;  /* external id, required */
    const char *order;    /* external id of an order of that account, or NULL */
    const char *kind;     /* required, up to REQUEST_KIND_MAX bytes */
    const char *subject;  /* required, up to REQUEST_SUBJECT_MAX bytes */
    const char *priority; /* low normal high urgent; NULL: normal */
    const char *assignee; /* a rep's external id, or NULL */
};

/* Creates a request opened at `now`, status open; *out is the new request. */
int request_create(struct db *db, struct arena *arena, const struct desk_actor *actor,
                   const struct request_new *in, int64_t now, struct request_view *out,
                   struct sd_error *err);
/* Assigns request `ext_id` to the active rep `rep` (external id). */
int request_assign(struct db *db, struct arena *arena, const struct desk_actor *actor,
                   const char *ext_id, const char *rep, struct request_view *out,
                   struct sd_error *err);
/* Moves request `ext_id` to `status` at `now`, with the timestamps above. */
int request_set_status(struct db *db, struct arena *arena, const struct desk_actor *actor,
                       const char *ext_id, const char *status, int64_t now,
                       struct request_view *out, struct sd_error *err);

/*
 * Inside the caller's transaction: when request `v` has no first response
 * and is not resolved or closed, sets first_response_at to `now` with its
 * change_log and audit rows ("request.first_response") and updates `v`;
 * otherwise does nothing. note_add calls it for notes on requests.
 */
int request_note_response(struct db *db, const struct desk_actor *actor,
                          struct request_view *v, int64_t now, struct sd_error *err);

/* The queue: requests not yet resolved, most urgent first. */
enum request_breached { REQUEST_BREACHED_ANY, REQUEST_BREACHED_ONLY, REQUEST_BREACHED_NOT };

struct request_queue_filter {
    unsigned status_mask; /* bits of open, in_progress, waiting; 0: all three */
    const char *assignee; /* a rep's external id; NULL: any */
    const char *priority; /* NULL: any */
    enum request_breached breached; /* with a breached clock, without one, or either */
    int64_t account_id;   /* 0: any account */
    int64_t scope_rep_id; /* 0: every request; else only the requests this rep sees */
};

struct request_queue_item {
    struct request_view view;
    struct request_sla sla;
};

/*
 * The open, in_progress and waiting requests matching `f`, ordered by time
 * left to their next deadline (most overdue first), then priority (urgent
 * first), then opened_at, then id. SD_EINVAL for a status outside the three
 * or an unknown priority, SD_ENOTFOUND for an unknown assignee.
 */
int request_queue(struct db *db, struct arena *arena, const struct request_queue_filter *f,
                  const struct sla_targets *t, int64_t now, struct request_queue_item **items,
                  size_t *n, struct sd_error *err);

/*
 * An item's place in the queue's order (next deadline, priority, opened_at,
 * id), for pages that go on after an item: request_queue_key_cmp < 0 when
 * `a` comes first. The order of the deadlines is the order of time left.
 */
struct request_queue_key {
    int64_t due_at; /* the next deadline; INT_NONE (nothing runs) comes last */
    int priority;   /* enum sla_priority: urgent first */
    int64_t opened_at;
    int64_t id;
};
void request_queue_key_of(const struct request_queue_item *it, struct request_queue_key *k);
int request_queue_key_cmp(const struct request_queue_key *a, const struct request_queue_key *b);

/*
 * JSON, the same for the CLI's --json and the API: one request with its SLA
 * clocks at `now` and its notes (`salesdesk request ID --json`), and one item
 * of the queue (`salesdesk queue requests --json`).
 */
void request_json(struct json_writer *w, const struct request_view *v,
                  const struct request_sla *sla, int64_t now, const struct note *notes,
                  size_t n_notes);
void request_queue_item_json(struct json_writer *w, const struct request_queue_item *it);

#endif
