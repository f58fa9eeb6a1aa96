/* SPDX-License-Identifier: MIT */
/*
 * requests: customer requests through the API: the queue (the requests not
 * yet resolved, most urgent first, as `salesdesk queue requests`), one
 * request with its SLA clocks and notes, creating one and changing its
 * status or assignee. The rules, SLA clocks, writes and audit rows are the
 * desk's (desk/requests.h); this file reads JSON and query parameters and
 * applies the API's row-level rules: a rep lists only the requests they see
 * (STORE_REP_SEES_REQUEST), creates only on accounts and orders they see (any
 * other answers the 404 of one that does not exist), and assigns requests
 * only to themself (routing to others is support's, a manager's or an
 * admin's). A PATCH is one transaction: the assignee, then the status.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api/api-int.h"
#include "base/json.h"
#include "desk/requests.h"
#include "engine/sla.h"
#include "store/store.h"
#include "base/banned.h"

#define ID_TEXT_MAX 200 /* bytes of an external id in a body or a filter */

static struct desk_actor actor_of(struct api_call *c)
{
    return (struct desk_actor){.user_id = c->who.user_id, .name = api_actor_name(c)};
}

/* Answers request `v` with its SLA clocks at `now` and its notes. */
static int answer_request(struct api_call *c, int status, const struct request_view *v,
                          int64_t now, struct sd_error *err)
{
    struct sla_targets targets;
    struct request_sla sla;
    struct note *notes = NULL;
    size_t n_notes = 0;
    int rc = sla_targets_load(c->db, &targets, err);
    if (rc == 0)
        rc = store_notes_list(c->db, c->req->arena, "request", v->request.id, &notes, &n_notes,
                              err);
    if (rc)
        return rc;
    request_sla_compute(&v->request, &targets, now, &sla);
    struct json_writer w;
    api_json_begin(c, status, &w);
    request_json(&w, v, &sla, now, notes, n_notes);
    return 0;
}

int api_request_get(struct api_call *c, struct sd_error *err)
{
    struct request_view v;
    int64_t now = 0;
    int rc = store_desk_now(c->db, &now, err);
    if (rc == 0)
        rc = store_request_view(c->db, c->req->arena, c->object_id, &v, err);
    return rc ? rc : answer_request(c, 200, &v, now, err);
}

/* ---- the list ---- */

/* status=open,waiting: a mask of the queue's statuses. */
static int queue_statuses(struct api_call *c, unsigned *mask)
{
    const char *text;
    int rc = api_query_text(c, "status", 64, &text);
    *mask = 0;
    while (rc == 0 && text && *text) {
        size_t len = strcspn(text, ",");
        char name[32];
        snprintf(name, sizeof(name), "%.*s", (int)(len < sizeof(name) ? len : sizeof(name) - 1),
                 text);
        int s = request_status_parse(name);
        if (s < 0 || s > REQUEST_WAITING || len >= sizeof(name)) {
            api_detail(c, "status", "'%.*s' is not open, in_progress or waiting (the queue holds "
                       "requests not yet resolved)", (int)(len < 40 ? len : 40), text);
            return SD_EINVAL;
        }
        *mask |= 1u << s;
        text += len + (text[len] == ',');
    }
    return rc;
}

static int queue_breached(struct api_call *c, enum request_breached *b)
{
    const char *text;
    int rc = api_query_text(c, "breached", 5, &text);
    *b = REQUEST_BREACHED_ANY;
    if (rc || !text)
        return rc;
    if (strcmp(text, "true") == 0 || strcmp(text, "false") == 0) {
        *b = text[0] == 't' ? REQUEST_BREACHED_ONLY : REQUEST_BREACHED_NOT;
        return 0;
    }
    api_detail(c, "breached", "must be true or false");
    return SD_EINVAL;
}

/* The account filter: an account the caller may not see is "no such account", as for a missing one. */
static int queue_account(struct api_call *c, int64_t *account_id)
{
    struct sd_error why = {0};
    const char *text;
    int rc = api_query_text(c, "account", ID_TEXT_MAX, &text);
    *account_id = 0;
    if (rc || !text)
        return rc;
    rc = api_resolve_visible(c, ENTITY_ACCOUNT, text, account_id, &why);
    if (rc == SD_ENOTFOUND || rc == SD_ECONFLICT) {
        api_detail(c, "account", "%s", why.message);
        return SD_EINVAL;
    }
    return rc;
}

static int queue_filter(struct api_call *c, struct request_queue_filter *f, struct api_page *page,
                        struct sd_error *err)
{
    int bad = 0, rc;
    *f = (struct request_queue_filter){.scope_rep_id = c->scope_rep_id};
    bad |= queue_statuses(c, &f->status_mask) != 0;
    bad |= api_query_text(c, "priority", 16, &f->priority) != 0;
    if (f->priority && sla_priority_parse(f->priority) < 0) {
        api_detail(c, "priority", "must be low, normal, high or urgent");
        bad = 1;
    }
    bad |= api_query_text(c, "assignee", ID_TEXT_MAX, &f->assignee) != 0;
    bad |= queue_breached(c, &f->breached) != 0;
    bad |= api_page_parse(c, page) != 0;
    rc = queue_account(c, &f->account_id);
    if (rc && rc != SD_EINVAL)
        return rc;
    if (bad || rc)
        return sd_error_set(err, SD_EINVAL, "bad request queue filter");
    return 0;
}

/* The cursor: the queue key of the last item of the page, "due|priority|opened|id". */
static int cursor_key(struct api_call *c, const char *text, struct request_queue_key *k)
{
    long long due, opened, id;
    int priority, used = 0;
    if (sscanf(text, "%lld|%d|%lld|%lld%n", &due, &priority, &opened, &id, &used) == 4 &&
        text[used] == '\0') {
        *k = (struct request_queue_key){due, priority, opened, id};
        return 0;
    }
    api_detail(c, "cursor", "is not a cursor this server gave out");
    return SD_EINVAL;
}

static const char *key_text(struct api_call *c, const struct request_queue_item *it)
{
    struct request_queue_key k;
    char buf[128];
    request_queue_key_of(it, &k);
    snprintf(buf, sizeof(buf), "%" PRId64 "|%d|%" PRId64 "|%" PRId64, k.due_at, k.priority,
             k.opened_at, k.id);
    return arena_strndup(c->req->arena, buf, strlen(buf));
}

/* The index of the first item after the cursor key. */
static size_t page_start(const struct request_queue_item *items, size_t n,
                         const struct request_queue_key *after)
{
    size_t i = 0;
    struct request_queue_key k;
    for (; i < n; i++) {
        request_queue_key_of(&items[i], &k);
        if (request_queue_key_cmp(&k, after) > 0)
            break;
    }
    return i;
}

int api_requests_list(struct api_call *c, struct sd_error *err)
{
    struct request_queue_filter f;
    struct api_page page;
    struct request_queue_key after = {0};
    struct sla_targets targets;
    struct request_queue_item *items = NULL;
    size_t n = 0;
    int64_t now = 0;
    int rc = queue_filter(c, &f, &page, err);
    if (rc == 0 && page.after && cursor_key(c, page.after, &after))
        rc = sd_error_set(err, SD_EINVAL, "bad request queue cursor");
    if (rc == 0)
        rc = store_desk_now(c->db, &now, err);
    if (rc == 0)
        rc = sla_targets_load(c->db, &targets, err);
    if (rc == 0)
        rc = request_queue(c->db, c->req->arena, &f, &targets, now, &items, &n, err);
    if (rc == SD_ENOTFOUND) { /* the only name request_queue resolves: the assignee */
        api_detail(c, "assignee", "%s", err->message);
        return SD_EINVAL;
    }
    if (rc)
        return rc;
    size_t first = page.after ? page_start(items, n, &after) : 0;
    size_t end = n - first > (size_t)page.limit ? first + (size_t)page.limit : n;
    struct json_writer w;
    api_json_begin(c, 200, &w);
    json_object_begin(&w);
    json_kv_ts(&w, "now", now);
    json_kv_int(&w, "total", (int64_t)n);
    json_key(&w, "items");
    json_array_begin(&w);
    for (size_t i = first; i < end; i++)
        request_queue_item_json(&w, &items[i]);
    json_array_end(&w);
    api_page_next(c, &w, end < n ? key_text(c, &items[end - 1]) : NULL);
    json_object_end(&w);
    return 0;
}

/* ---- writes ---- */

/*
 * The assignee of a write: SD_EINVAL with a detail when no such rep, SD_EPERM
 * when a rep names another rep (a rep takes requests, support routes them).
 */
static int check_assignee(struct api_call *c, const char *assignee, struct sd_error *err)
{
    struct sd_error why = {0};
    int64_t rep_id = 0;
    int rc = store_resolve(c->db, ENTITY_REP, assignee, &rep_id, &why);
    if (rc == SD_ENOTFOUND || rc == SD_ECONFLICT) {
        api_detail(c, "assignee", "%s", why.message);
        return sd_error_set(err, SD_EINVAL, "%s", why.message);
    }
    if (rc)
        return sd_error_set(err, rc, "%s", why.message);
    if (c->scope_rep_id && rep_id != c->who.rep_id)
        return sd_error_set(err, SD_EPERM, "a rep assigns requests only to themself ('%s')",
                            c->who.rep_ext_id ? c->who.rep_ext_id : "no rep");
    return 0;
}

struct create_job {
    struct request_new in;
    struct request_view out;
    int64_t now;
};

/* A record a new request names; SD_ENOTFOUND (with a detail) also when a rep may not see it. */
static int check_named(struct api_call *c, enum store_entity e, const char *field,
                       const char *text, struct sd_error *err)
{
    int64_t id;
    int rc = api_resolve_visible(c, e, text, &id, err);
    if (rc == SD_ENOTFOUND || rc == SD_ECONFLICT)
        api_detail(c, field, "%s", err->message);
    return rc;
}

static int create_write(struct api_call *c, void *ctx, struct sd_error *err)
{
    struct create_job *job = ctx;
    struct desk_actor actor = actor_of(c);
    int rc = check_named(c, ENTITY_ACCOUNT, "account", job->in.account, err);
    if (rc == 0 && job->in.order)
        rc = check_named(c, ENTITY_ORDER, "order", job->in.order, err);
    if (rc == 0 && job->in.assignee)
        rc = check_assignee(c, job->in.assignee, err);
    if (rc == 0)
        rc = request_create(c->db, c->req->arena, &actor, &job->in, job->now, &job->out, err);
    return rc;
}

int api_requests_create(struct api_call *c, struct sd_error *err)
{
    static const char *const fields[] = {"account", "order",    "kind", "subject",
                                         "priority", "assignee", NULL};
    struct create_job job = {0};
    int rc = api_body_fields(c, fields);
    job.in = (struct request_new){
        .account = api_body_string(c, "account", ID_TEXT_MAX, 1),
        .order = api_body_string(c, "order", ID_TEXT_MAX, 0),
        .kind = api_body_string(c, "kind", REQUEST_KIND_MAX, 1),
        .subject = api_body_string(c, "subject", REQUEST_SUBJECT_MAX, 1),
        .priority = api_body_string(c, "priority", 16, 0),
        .assignee = api_body_string(c, "assignee", ID_TEXT_MAX, 0),
    };
    if (rc || c->n_details)
        return sd_error_set(err, SD_EINVAL, "a request needs account, kind and subject (and "
                                            "maybe order, priority, assignee)");
    rc = store_desk_now(c->db, &job.now, err);
    if (rc == 0)
        rc = api_write(c, create_write, &job, err);
    return rc ? rc : answer_request(c, 201, &job.out, job.now, err);
}

struct update_job {
    const char *status;
    const char *assignee;
    struct request_view out;
    int64_t now;
};

static int update_write(struct api_call *c, void *ctx, struct sd_error *err)
{
    struct update_job *job = ctx;
    struct desk_actor actor = actor_of(c);
    int rc = 0;
    if (job->assignee)
        rc = check_assignee(c, job->assignee, err);
    if (rc == 0 && job->assignee)
        rc = request_assign(c->db, c->req->arena, &actor, c->id, job->assignee, &job->out, err);
    if (rc == 0 && job->status) {
        rc = request_set_status(c->db, c->req->arena, &actor, c->id, job->status, job->now,
                                &job->out, err);
        if (rc == SD_EINVAL)
            api_detail(c, "status", "%s", err->message);
    }
    return rc;
}

int api_request_update(struct api_call *c, struct sd_error *err)
{
    static const char *const fields[] = {"status", "assignee", "priority", NULL};
    struct update_job job = {0};
    int rc = api_body_fields(c, fields);
    job.status = api_body_string(c, "status", 32, 0);
    job.assignee = api_body_string(c, "assignee", ID_TEXT_MAX, 0);
    if (jval_get(c->body, "priority"))
        api_detail(c, "priority", "is set when the request is created and cannot be changed");
    if (rc || c->n_details)
        return sd_error_set(err, SD_EINVAL, "a request change takes status and/or assignee");
    if (!job.status && !job.assignee) {
        api_detail(c, "status", "give status, assignee or both");
        return sd_error_set(err, SD_EINVAL, "nothing to change");
    }
    rc = store_desk_now(c->db, &job.now, err);
    if (rc == 0)
        rc = api_write(c, update_write, &job, err);
    return rc ? rc : answer_request(c, 200, &job.out, job.now, err);
}
