/* SPDX-License-Identifier: MIT */
/*
 * requests: customer requests at the desk: the transition table, the SLA
 * clocks, the writes (each one transaction with change_log and audit rows)
 * and the queue by urgency. See requests.h for the rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/date.h"
#include "base/json.h"
#include "base/strbuf.h"
#include "desk/requests.h"
#include "base/banned.h"

#define BIT(s) (1u << (s))
#define UNRESOLVED (BIT(REQUEST_OPEN) | BIT(REQUEST_IN_PROGRESS) | BIT(REQUEST_WAITING))

/* Per status: the statuses it may move to. */
static const unsigned transitions[REQUEST_STATUS_COUNT] = {
    [REQUEST_OPEN] = BIT(REQUEST_IN_PROGRESS) | BIT(REQUEST_WAITING) | BIT(REQUEST_RESOLVED),
    [REQUEST_IN_PROGRESS] = BIT(REQUEST_WAITING) | BIT(REQUEST_RESOLVED),
    [REQUEST_WAITING] = BIT(REQUEST_IN_PROGRESS) | BIT(REQUEST_RESOLVED),
    [REQUEST_RESOLVED] = BIT(REQUEST_CLOSED) | BIT(REQUEST_OPEN) | BIT(REQUEST_IN_PROGRESS),
    [REQUEST_CLOSED] = 0,
};

int request_transition_allowed(enum request_status from, enum request_status to)
{
    return (transitions[from] & BIT(to)) != 0;
}

void request_transitions_text(enum request_status from, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int to = 0; to < REQUEST_STATUS_COUNT; to++) {
        if (request_transition_allowed(from, (enum request_status)to) && len < size)
            len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "",
                                    request_status_name((enum request_status)to));
    }
    if (len == 0)
        snprintf(buf, size, "none");
}

/* ---- SLA ---- */

static void clock_compute(int64_t opened, int64_t target, int64_t done, int64_t now,
                          struct request_clock *c)
{
    c->target_ms = target;
    c->due_at = opened + target;
    c->done_at = done;
    if (done != INT_NONE) {
        c->left_ms = INT_NONE;
        c->breached = sla_late(done - opened, target);
    } else {
        c->left_ms = c->due_at - now;
        c->breached = sla_late(now - opened, target);
    }
}

void request_sla_compute(const struct request *r, const struct sla_targets *t, int64_t now,
                         struct request_sla *out)
{
    int p = sla_priority_parse(r->priority);
    out->priority = p < 0 ? SLA_NORMAL : (enum sla_priority)p;
    clock_compute(r->opened_at, t->first_ms[out->priority], r->first_response_at, now,
                  &out->first_response);
    clock_compute(r->opened_at, t->resolve_ms[out->priority], r->resolved_at, now,
                  &out->resolution);
    out->next_due_at = INT_NONE;
    const struct request_clock *clocks[2] = {&out->first_response, &out->resolution};
    for (int i = 0; i < 2; i++) {
        if (clocks[i]->done_at == INT_NONE &&
            (out->next_due_at == INT_NONE || clocks[i]->due_at < out->next_due_at))
            out->next_due_at = clocks[i]->due_at;
    }
    out->next_left_ms = out->next_due_at == INT_NONE ? INT_NONE : out->next_due_at - now;
    out->breached = out->first_response.breached || out->resolution.breached;
}

/* ---- reads ---- */

int request_get(struct db *db, struct arena *arena, const char *ext_id,
                struct request_view *out, struct sd_error *err)
{
    int64_t id;
    int rc = store_resolve(db, ENTITY_REQUEST, ext_id, &id, err);
    if (rc == 0)
        rc = store_request_view(db, arena, id, out, err);
    return rc;
}

/* ---- audit ---- */

/* A JSON object of changed fields, built one field at a time. */
struct fields {
    struct strbuf buf;
    struct json_writer w;
};

static void fields_begin(struct fields *f)
{
    strbuf_init(&f->buf, 0);
    json_writer_init(&f->w, &f->buf, 0);
    json_object_begin(&f->w);
}

static const char *fields_end(struct fields *f)
{
    json_object_end(&f->w);
    return f->buf.buf;
}

static int audit(struct db *db, const struct desk_actor *actor, const char *action,
                 const char *entity, int64_t id, struct fields *before, struct fields *after,
                 struct sd_error *err)
{
    struct audit_entry a = {
        .at = ts_now_ms(),
        .user_id = actor->user_id,
        .actor = actor->name,
        .action = action,
        .entity = entity,
        .entity_id = id,
        .before_json = before ? fields_end(before) : NULL,
        .after_json = fields_end(after),
    };
    int rc = store_audit_append(db, &a, err);
    if (before)
        strbuf_release(&before->buf);
    strbuf_release(&after->buf);
    return rc;
}

/*
 * A write joins the caller's transaction when one is open (*own = 0), else
 * opens its own (*own = 1), which finish commits or rolls back.
 */
static int start(struct db *db, int *own, struct sd_error *err)
{
    *own = !db_in_transaction(db);
    return *own ? db_begin(db, err) : 0;
}

/* Ends a write: in its own transaction, commit on success, else roll back; returns rc. */
static int finish(struct db *db, int own, int rc, struct sd_error *err)
{
    if (!own)
        return rc; /* the caller commits or rolls back */
    if (rc == 0)
        return db_commit(db, err);
    if (db_in_transaction(db))
        db_rollback(db);
    return rc;
}

/* ---- create ---- */

static int check_text(const char *what, const char *s, size_t max, struct sd_error *err)
{
    if (!s || !*s || strspn(s, " \t\r\n") == strlen(s))
        return sd_error_set(err, SD_EINVAL, "a request needs a %s", what);
    if (strlen(s) > max)
        return sd_error_set(err, SD_EINVAL, "%s is longer than %zu bytes", what, max);
    return 0;
}

static int check_new(const struct request_new *in, struct sd_error *err)
{
    int rc = check_text("kind", in->kind, REQUEST_KIND_MAX, err);
    if (rc == 0)
        rc = check_text("subject", in->subject, REQUEST_SUBJECT_MAX, err);
    if (rc == 0 && in->priority && sla_priority_parse(in->priority) < 0)
        rc = sd_error_set(err, SD_EINVAL,
                          "priority '%s' is not one of low, normal, high, urgent", in->priority);
    return rc;
}

/* The active rep `ext_id` into *rep_id; SD_ENOTFOUND or SD_EINVAL (inactive) naming it. */
static int active_rep(struct db *db, struct arena *arena, const char *ext_id, int64_t *rep_id,
                      struct sd_error *err)
{
    const char *name;
    int active = 0;
    int rc = store_resolve(db, ENTITY_REP, ext_id, rep_id, err);
    if (rc == 0)
        rc = store_rep_brief(db, arena, *rep_id, &name, &active, err);
    if (rc == 0 && !active)
        rc = sd_error_set(err, SD_EINVAL, "rep '%s' is inactive", ext_id);
    return rc;
}

/* Account, order (of that account) and assignee of a new request, resolved. */
static int resolve_new(struct db *db, struct arena *arena, const struct request_new *in,
                       struct request *r, struct sd_error *err)
{
    int64_t order_account = 0;
    int rc = store_resolve(db, ENTITY_ACCOUNT, in->account, &r->account_id, err);
    if (rc == 0 && in->order)
        rc = store_resolve(db, ENTITY_ORDER, in->order, &r->order_id, err);
    if (rc == 0 && in->order)
        rc = store_order_account(db, r->order_id, &order_account, err);
    if (rc == 0 && in->order && order_account != r->account_id)
        rc = sd_error_set(err, SD_EINVAL, "order '%s' is not an order of account '%s'",
                          in->order, in->account);
    if (rc == 0 && in->assignee)
        rc = active_rep(db, arena, in->assignee, &r->assignee_rep_id, err);
    return rc;
}

static void created_fields(struct fields *f, const struct request_view *v)
{
    const struct request *r = &v->request;
    fields_begin(f);
    json_kv_string(&f->w, "id", r->ext_id);
    json_kv_string(&f->w, "source", r->source);
    json_kv_string(&f->w, "account", v->account_ext_id);
    json_kv_string(&f->w, "order", v->order_ext_id);
    json_kv_string(&f->w, "kind", r->kind);
    json_kv_string(&f->w, "subject", r->subject);
    json_kv_string(&f->w, "priority", r->priority);
    json_kv_string(&f->w, "status", r->status);
    json_kv_ts(&f->w, "opened_at", r->opened_at);
    json_kv_string(&f->w, "assignee", v->assignee_ext_id);
}

int request_create(struct db *db, struct arena *arena, const struct desk_actor *actor,
                   const struct request_new *in, int64_t now, struct request_view *out,
                   struct sd_error *err)
{
    struct request r = {
        .source = REQUEST_SOURCE,
        .kind = in->kind,
        .subject = in->subject,
        .priority = in->priority ? in->priority : "normal",
        .status = "open",
        .opened_at = now,
        .first_response_at = INT_NONE,
        .resolved_at = INT_NONE,
    };
    struct fields after;
    int own = 0;
    int rc = check_new(in, err);
    if (rc == 0)
        rc = start(db, &own, err);
    if (rc == 0)
        rc = resolve_new(db, arena, in, &r, err);
    if (rc == 0)
        rc = store_request_create(db, arena, &r, REQUEST_ID_PREFIX, err);
    if (rc == 0)
        rc = store_request_view(db, arena, r.id, out, err);
    if (rc == 0) {
        created_fields(&after, out);
        rc = audit(db, actor, "request.create", "request", r.id, NULL, &after, err);
    }
    return finish(db, own, rc, err);
}

/* ---- assign ---- */

static void assignee_fields(struct fields *f, const char *rep)
{
    fields_begin(f);
    json_kv_string(&f->w, "assignee", rep);
}

int request_assign(struct db *db, struct arena *arena, const struct desk_actor *actor,
                   const char *ext_id, const char *rep, struct request_view *out,
                   struct sd_error *err)
{
    struct request_view before;
    struct fields was, now_is;
    int64_t rep_id = 0;
    int own = 0;
    int rc = start(db, &own, err);
    if (rc == 0)
        rc = request_get(db, arena, ext_id, &before, err);
    if (rc == 0 && before.status == REQUEST_CLOSED)
        rc = sd_error_set(err, SD_ECONFLICT, "request '%s' is closed: closed is final", ext_id);
    if (rc == 0) {
        rc = active_rep(db, arena, rep, &rep_id, err);
        if (rc)
            sd_error_prefix(err, "cannot assign request '%s'", ext_id);
    }
    if (rc == 0 && rep_id == before.request.assignee_rep_id)
        rc = sd_error_set(err, SD_ECONFLICT, "request '%s' is already assigned to '%s'", ext_id,
                          before.assignee_ext_id);
    if (rc == 0)
        rc = store_request_set_assignee(db, before.request.id, rep_id, err);
    if (rc == 0)
        rc = store_request_view(db, arena, before.request.id, out, err);
    if (rc == 0) {
        assignee_fields(&was, before.assignee_ext_id);
        assignee_fields(&now_is, out->assignee_ext_id);
        rc = audit(db, actor, "request.assign", "request", out->request.id, &was, &now_is, err);
    }
    return finish(db, own, rc, err);
}

/* ---- status ---- */

/* The fields of a status change that differ between a and b, into f. */
static void state_fields(struct fields *f, const struct request_view *a,
                         const struct request_view *b)
{
    fields_begin(f);
    json_kv_string(&f->w, "status", a->request.status);
    if (a->request.first_response_at != b->request.first_response_at)
        json_kv_ts(&f->w, "first_response_at", a->request.first_response_at);
    if (a->request.resolved_at != b->request.resolved_at)
        json_kv_ts(&f->w, "resolved_at", a->request.resolved_at);
}

static int check_transition(const struct request_view *v, const char *ext_id, int to,
                            const char *status, struct sd_error *err)
{
    if (to < 0)
        return sd_error_set(err, SD_EINVAL,
                            "'%s' is not a request status (open, in_progress, waiting, "
                            "resolved, closed)",
                            status);
    if (v->status == REQUEST_CLOSED)
        return sd_error_set(err, SD_ECONFLICT,
                            "request '%s' is closed and cannot become %s: closed is final",
                            ext_id, status);
    if (v->status == (enum request_status)to)
        return sd_error_set(err, SD_ECONFLICT, "request '%s' is already %s", ext_id, status);
    if (!request_transition_allowed(v->status, (enum request_status)to)) {
        char allowed[128];
        request_transitions_text(v->status, allowed, sizeof(allowed));
        return sd_error_set(err, SD_ECONFLICT, "request '%s' cannot go from %s to %s (from %s: %s)",
                            ext_id, request_status_name(v->status), status,
                            request_status_name(v->status), allowed);
    }
    return 0;
}

int request_set_status(struct db *db, struct arena *arena, const struct desk_actor *actor,
                       const char *ext_id, const char *status, int64_t now,
                       struct request_view *out, struct sd_error *err)
{
    struct request_view v;
    struct fields was, now_is;
    int to = request_status_parse(status);
    int own = 0;
    int rc = start(db, &own, err);
    if (rc == 0)
        rc = request_get(db, arena, ext_id, &v, err);
    if (rc == 0)
        rc = check_transition(&v, ext_id, to, status, err);
    if (rc == 0) {
        int64_t first = v.request.first_response_at, resolved = v.request.resolved_at;
        if (first == INT_NONE && v.status == REQUEST_OPEN)
            first = now; /* the first move out of open answers the customer */
        if (to == REQUEST_RESOLVED)
            resolved = now;
        else if (to == REQUEST_OPEN || to == REQUEST_IN_PROGRESS)
            resolved = INT_NONE; /* reopened */
        rc = store_request_set_state(db, v.request.id, (enum request_status)to, first,
                                     resolved, err);
    }
    if (rc == 0)
        rc = store_request_view(db, arena, v.request.id, out, err);
    if (rc == 0) {
        state_fields(&was, &v, out);
        state_fields(&now_is, out, &v);
        rc = audit(db, actor, "request.status", "request", v.request.id, &was, &now_is, err);
    }
    return finish(db, own, rc, err);
}

int request_note_response(struct db *db, const struct desk_actor *actor,
                          struct request_view *v, int64_t now, struct sd_error *err)
{
    struct fields was, now_is;
    if (v->request.first_response_at != INT_NONE || v->status == REQUEST_RESOLVED ||
        v->status == REQUEST_CLOSED)
        return 0;
    int rc = store_request_set_state(db, v->request.id, v->status, now, v->request.resolved_at,
                                     err);
    if (rc)
        return rc;
    v->request.first_response_at = now;
    fields_begin(&was);
    json_kv_ts(&was.w, "first_response_at", INT_NONE);
    fields_begin(&now_is);
    json_kv_ts(&now_is.w, "first_response_at", now);
    return audit(db, actor, "request.first_response", "request", v->request.id, &was, &now_is,
                 err);
}

/* ---- the queue ---- */

void request_queue_key_of(const struct request_queue_item *it, struct request_queue_key *k)
{
    k->due_at = it->sla.next_due_at;
    k->priority = (int)it->sla.priority;
    k->opened_at = it->view.request.opened_at;
    k->id = it->view.request.id;
}

/* Time left to the next deadline orders as the deadline does (the same `now` for all). */
int request_queue_key_cmp(const struct request_queue_key *a, const struct request_queue_key *b)
{
    if (a->due_at != b->due_at) /* INT_NONE (nothing running) is the smallest value: put it last */
        return a->due_at == INT_NONE   ? 1
               : b->due_at == INT_NONE ? -1
               : a->due_at < b->due_at ? -1
                                       : 1;
    if (a->priority != b->priority)
        return a->priority > b->priority ? -1 : 1;
    if (a->opened_at != b->opened_at)
        return a->opened_at < b->opened_at ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

static int queue_cmp(const void *pa, const void *pb)
{
    struct request_queue_key a, b;
    request_queue_key_of(pa, &a);
    request_queue_key_of(pb, &b);
    return request_queue_key_cmp(&a, &b);
}

static int queue_filter(struct db *db, const struct request_queue_filter *f,
                        struct request_filter *out, struct sd_error *err)
{
    if (f->status_mask & ~UNRESOLVED)
        return sd_error_set(err, SD_EINVAL,
                            "the request queue holds open, in_progress and waiting requests");
    if (f->priority && sla_priority_parse(f->priority) < 0)
        return sd_error_set(err, SD_EINVAL,
                            "priority '%s' is not one of low, normal, high, urgent", f->priority);
    out->status_mask = f->status_mask ? f->status_mask : UNRESOLVED;
    out->priority = f->priority;
    out->assignee_rep_id = 0;
    out->account_id = f->account_id;
    out->scope_rep_id = f->scope_rep_id;
    return f->assignee ? store_resolve(db, ENTITY_REP, f->assignee, &out->assignee_rep_id, err)
                       : 0;
}

int request_queue(struct db *db, struct arena *arena, const struct request_queue_filter *f,
                  const struct sla_targets *t, int64_t now, struct request_queue_item **items,
                  size_t *n, struct sd_error *err)
{
    struct request_filter rf;
    struct request_view *views = NULL;
    size_t nviews = 0;
    *items = NULL;
    *n = 0;
    int rc = queue_filter(db, f, &rf, err);
    if (rc == 0)
        rc = store_request_list(db, arena, &rf, &views, &nviews, err);
    if (rc || nviews == 0)
        return rc;
    *items = arena_alloc(arena, nviews * sizeof(**items));
    if (!*items)
        abort(); /* desk reads use unbounded arenas */
    for (size_t i = 0; i < nviews; i++) {
        struct request_queue_item *it = &(*items)[*n];
        it->view = views[i];
        request_sla_compute(&views[i].request, t, now, &it->sla);
        if (f->breached == REQUEST_BREACHED_ANY ||
            (f->breached == REQUEST_BREACHED_ONLY) == (it->sla.breached != 0))
            (*n)++;
    }
    qsort(*items, *n, sizeof(**items), queue_cmp);
    return 0;
}

/* ---- JSON ---- */

static void clock_json(struct json_writer *w, const char *key, const struct request_clock *c)
{
    json_key(w, key);
    json_object_begin(w);
    json_kv_int(w, "target_hours", (int64_t)(c->target_ms / SLA_HOUR_MS));
    json_kv_ts(w, "due_at", c->due_at);
    json_kv_ts(w, "done_at", c->done_at);
    json_kv_int(w, "left_ms", c->left_ms);
    json_kv_bool(w, "breached", c->breached);
    json_object_end(w);
}

void request_json(struct json_writer *w, const struct request_view *v,
                  const struct request_sla *sla, int64_t now, const struct note *notes,
                  size_t n_notes)
{
    const struct request *r = &v->request;
    json_object_begin(w);
    json_kv_string(w, "id", r->ext_id);
    json_kv_string(w, "source", r->source);
    json_kv_string(w, "account", v->account_ext_id);
    json_kv_string(w, "account_name", v->account_name);
    json_kv_string(w, "order", v->order_ext_id);
    json_kv_string(w, "kind", r->kind);
    json_kv_string(w, "subject", r->subject);
    json_kv_string(w, "priority", r->priority);
    json_kv_string(w, "status", r->status);
    json_kv_string(w, "assignee", v->assignee_ext_id);
    json_kv_string(w, "assignee_name", v->assignee_name);
    json_kv_ts(w, "opened_at", r->opened_at);
    json_kv_ts(w, "first_response_at", r->first_response_at);
    json_kv_ts(w, "resolved_at", r->resolved_at);
    json_kv_ts(w, "now", now);
    json_key(w, "sla");
    json_object_begin(w);
    clock_json(w, "first_response", &sla->first_response);
    clock_json(w, "resolution", &sla->resolution);
    json_kv_ts(w, "next_due_at", sla->next_due_at);
    json_kv_int(w, "left_ms", sla->next_left_ms);
    json_kv_bool(w, "breached", sla->breached);
    json_object_end(w);
    json_key(w, "notes");
    json_array_begin(w);
    for (size_t i = 0; i < n_notes; i++) {
        json_object_begin(w);
        json_kv_ts(w, "created_at", notes[i].created_at);
        json_kv_string(w, "author", notes[i].author);
        json_kv_string(w, "body", notes[i].body);
        json_object_end(w);
    }
    json_array_end(w);
    json_object_end(w);
}

void request_queue_item_json(struct json_writer *w, const struct request_queue_item *it)
{
    const struct request *r = &it->view.request;
    json_object_begin(w);
    json_kv_string(w, "id", r->ext_id);
    json_kv_string(w, "account", it->view.account_ext_id);
    json_kv_string(w, "order", it->view.order_ext_id);
    json_kv_string(w, "priority", r->priority);
    json_kv_string(w, "status", r->status);
    json_kv_string(w, "assignee", it->view.assignee_ext_id);
    json_kv_string(w, "subject", r->subject);
    json_kv_ts(w, "opened_at", r->opened_at);
    json_kv_ts(w, "first_response_at", r->first_response_at);
    json_kv_ts(w, "first_response_due_at", it->sla.first_response.due_at);
    json_kv_ts(w, "resolution_due_at", it->sla.resolution.due_at);
    json_kv_ts(w, "next_due_at", it->sla.next_due_at);
    json_kv_int(w, "left_ms", it->sla.next_left_ms);
    json_kv_bool(w, "first_response_breached", it->sla.first_response.breached);
    json_kv_bool(w, "resolution_breached", it->sla.resolution.breached);
    json_kv_bool(w, "breached", it->sla.breached);
    json_object_end(w);
}
