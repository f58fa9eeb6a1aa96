/* SPDX-License-Identifier: MIT */
/*
 * routes: the routes table and api_dispatch, the one function every request
 * goes through. In order: limits the transport reported (413, 400), the
 * route (404, 405 with Allow), the worker's store connection (503), who is
 * calling (401) with the CSRF token for cookie sessions (403), the route's
 * roles (403), the JSON body (415, 400), and the record {id} names: a record
 * that does not exist and one the caller may not see answer the same 404.
 * Handlers never check roles or ownership themselves.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api-int.h"
#include "base/json.h"
#include "base/log.h"
#include "store/store.h"
#include "base/banned.h"

const struct api_route api_routes[] = {
    {
        .method = "GET",
        .pattern = "/healthz",
        .handler = api_healthz,
        .roles = ROLES_PUBLIC,
        .summary = "Liveness and readiness: 200 when the server answers and its store answers "
                   "a query, 503 otherwise.",
        .example_response = "200 {\"status\":\"ok\",\"store\":\"ok\"}",
    },
    {
        .method = "GET",
        .pattern = "/metrics",
        .handler = api_metrics_get,
        .roles = ROLES_PUBLIC,
        .summary = "Prometheus text: requests by route, method and status, a latency histogram "
                   "per route, requests in flight, uptime, the last change_log sequence number.",
        .example_response = "200 salesdesk_http_requests_total{method=\"GET\",route=\"/healthz\","
                            "status=\"200\"} 3",
    },
    {
        .method = "POST",
        .pattern = "/api/v1/auth/login",
        .handler = api_login,
        .roles = ROLES_PUBLIC,
        .json_body = 1,
        .summary = "Logs in with a login and password. Sets the session cookie `sd_session` "
                   "(HttpOnly, SameSite=Strict; Secure with --secure-cookies) and answers the "
                   "CSRF token that every non-GET request made with the cookie sends back in "
                   "`X-CSRF-Token`. Failed logins are throttled per login and per client "
                   "address (429 with Retry-After).",
        .example_request = "{\"login\":\"ada\",\"password\":\"correct horse\"}",
        .example_response = "200 {\"user\":{\"id\":1,\"login\":\"ada\",\"name\":\"Ada\","
                            "\"role\":\"rep\",\"rep\":\"R001\"},\"csrf_token\":\"9f2c…\","
                            "\"expires_at\":\"2026-11-27T18:00:00.000Z\"}",
    },
    {
        .method = "POST",
        .pattern = "/api/v1/auth/logout",
        .handler = api_logout,
        .roles = ROLES_ALL,
        .summary = "Ends the cookie session (the cookie is cleared and the session deleted).",
        .example_response = "204",
    },
    {
        .method = "GET",
        .pattern = "/api/v1/auth/me",
        .handler = api_me,
        .roles = ROLES_ALL,
        .summary = "The calling user and how they authenticated (session or token).",
        .example_response = "200 {\"user\":{\"id\":1,\"login\":\"ada\",\"name\":\"Ada\","
                            "\"role\":\"rep\",\"rep\":\"R001\"},\"auth\":\"session\"}",
    },
    {
        .method = "GET",
        .pattern = "/api/v1/tokens",
        .handler = api_tokens_list,
        .roles = ROLES_ALL,
        .summary = "The caller's API tokens, newest first (never the secret itself).",
        .example_response = "200 {\"items\":[{\"id\":3,\"name\":\"erp sync\",\"created_at\":"
                            "\"2026-11-27T06:00:00.000Z\",\"expires_at\":null,\"last_used_at\":"
                            "null,\"revoked_at\":null}]}",
    },
    {
        .method = "POST",
        .pattern = "/api/v1/tokens",
        .handler = api_tokens_create,
        .roles = ROLES_ALL,
        .json_body = 1,
        .summary = "Creates an API token for the caller, sent as `Authorization: Bearer TOKEN`. "
                   "The token is shown once, in this answer; only its hash is stored. "
                   "`expires_in_days` (1..3650) is optional. Only from a login session: a "
                   "request made with a token answers 403. A new password revokes every "
                   "token of the user.",
        .example_request = "{\"name\":\"erp sync\",\"expires_in_days\":90}",
        .example_response = "201 {\"id\":3,\"name\":\"erp sync\",\"token\":\"sdt_5be1…\","
                            "\"created_at\":\"2026-11-27T06:00:00.000Z\",\"expires_at\":"
                            "\"2027-02-25T06:00:00.000Z\"}",
    },
    {
        .method = "DELETE",
        .pattern = "/api/v1/tokens/{id}",
        .handler = api_tokens_revoke,
        .roles = ROLES_ALL,
        .summary = "Revokes one of the caller's tokens; another user's token answers 404 like "
                   "a token that does not exist.",
        .example_response = "204",
    },
    {
        .method = "GET",
        .pattern = "/api/v1/users",
        .handler = api_users_list,
        .roles = ROLE_ADMIN,
        .summary = "Every user with role, rep and status (admins only).",
        .example_response = "200 {\"items\":[{\"id\":1,\"login\":\"ada\",\"name\":\"Ada\","
                            "\"role\":\"rep\",\"rep\":\"R001\",\"status\":\"active\","
                            "\"created_at\":\"2026-11-27T06:00:00.000Z\"}]}",
    },
    {
        .method = "GET",
        .pattern = "/api/v1/orders/{id}",
        .handler = api_order_get,
        .roles = ROLES_ALL,
        .object = API_OBJECT_ORDER,
        .summary = "One order: header, lines with nets, totals, invoices (the fields of "
                   "`salesdesk order ID --json`). A rep sees only orders of accounts they own "
                   "or manage, or that they took; any other order answers 404.",
        .example_response = "200 {\"id\":\"100123\",\"account\":\"C00042\",\"status\":"
                            "\"pending\",\"lines\":[…],\"totals\":{\"net\":1234.5,…},"
                            "\"invoices\":[]}",
    },
    {
        .method = "GET",
        .pattern = "/api/v1/orders/{id}/diagnosis",
        .handler = api_order_diagnosis,
        .roles = ROLES_ALL,
        .object = API_OBJECT_ORDER,
        .query = "today",
        .summary = "The order doctor's verdict on one order with its findings and evidence "
                   "(docs/desk.md). `today=YYYY-MM-DD` sets the day (default: the demo's "
                   "day, else today). Same row-level access as the order.",
        .example_response = "200 {\"id\":\"100123\",\"status\":\"pending\",\"verdict\":"
                            "\"blocked\",\"findings\":[{\"code\":\"CREDIT_LIMIT\",…}]}",
    },
    {
        .method = "POST",
        .pattern = "/api/v1/imports",
        .handler = api_imports_create,
        .roles = ROLE_ADMIN | ROLE_MANAGER | ROLE_SUPPORT,
        .query = "kind map format dry_run sheet delimiter encoding",
        .summary = "Uploads a file to import as a job: the body is the file itself "
                   "(Content-Type text/csv, application/vnd.openxmlformats-officedocument."
                   "spreadsheetml.sheet, application/json, application/x-ndjson, or "
                   "application/octet-stream with `format=csv|xlsx|json`), up to --max-upload "
                   "bytes (default 256 MiB; 413 beyond, nothing imported). `kind` is one "
                   "native kind; `map` a built-in preset (default native; mapping files are "
                   "the command line's); `dry_run=true` counts without applying; `sheet`, "
                   "`delimiter`, `encoding` as for `salesdesk import`. Answers 202 at once "
                   "with the job and its address (Location); the job runs on the server's "
                   "import thread, one at a time, exactly as `salesdesk import`: all or "
                   "nothing, in one transaction. An unknown kind or preset answers 400 with "
                   "details.",
        .example_request = "(the file) POST /api/v1/imports?kind=orders&map=native "
                           "Content-Type: text/csv",
        .example_response = "202 {\"job\":7,\"status\":\"queued\",\"links\":{\"self\":"
                            "\"/api/v1/imports/7\",\"errors\":\"/api/v1/imports/7/errors\"}}",
    },
    {
        .method = "GET",
        .pattern = "/api/v1/imports/{job}",
        .handler = api_imports_get,
        .roles = ROLE_ADMIN | ROLE_MANAGER | ROLE_SUPPORT,
        .summary = "One import job: `status` queued, running, succeeded, rejected (the input "
                   "had problems: nothing applied, see errors) or failed (nothing applied; a "
                   "job the server stopped during is failed); counts in all and per kind, "
                   "change_log rows appended (`changes`), duration, who sent it; while it "
                   "runs, `progress` (rows read, rows written of how many, rows per second, "
                   "ETA once writing).",
        .example_response = "200 {\"job\":7,\"status\":\"succeeded\",\"kind\":\"orders\","
                            "\"mapping\":\"native\",\"format\":\"csv\",\"dry_run\":false,"
                            "\"who\":\"api:ada\",\"duration_ms\":84,\"counts\":{\"read\":830,"
                            "\"inserted\":830,…},\"kinds\":{\"orders\":{…}},\"changes\":830,"
                            "\"error_count\":0,\"error\":null,…}",
    },
    {
        .method = "GET",
        .pattern = "/api/v1/imports/{job}/errors",
        .handler = api_imports_errors,
        .roles = ROLE_ADMIN | ROLE_MANAGER | ROLE_SUPPORT,
        .query = "limit cursor",
        .summary = "The problems of a rejected import job, in the order found: file, row, "
                   "column (1-based, null when not tied to one), field and reason. The first "
                   "100 are kept; `error_count` counts all of them.",
        .example_response = "200 {\"job\":8,\"status\":\"rejected\",\"error_count\":1,"
                            "\"items\":[{\"file\":\"orders.csv\",\"row\":17,\"column\":4,"
                            "\"field\":\"orders.order_date\",\"reason\":\"orders.csv:17: "
                            "column 'order_date' (orders.order_date): '2024-13-01' is not a "
                            "date…\"}],\"next_cursor\":null}",
    },
    {
        .method = "GET",
        .pattern = "/api/v1/imports",
        .handler = api_imports_list,
        .roles = ROLE_ADMIN | ROLE_MANAGER | ROLE_SUPPORT,
        .query = "limit cursor",
        .summary = "Import jobs, newest first (those of the command line too), as in "
                   "GET /api/v1/imports/{job} without the counts per kind.",
        .example_response = "200 {\"items\":[{\"job\":8,\"status\":\"rejected\",…}],"
                            "\"next_cursor\":null}",
    },
};

const size_t api_routes_count = sizeof(api_routes) / sizeof(api_routes[0]);

static int method_is(const char *method, const char *route_method)
{
    if (strcmp(method, route_method) == 0)
        return 1;
    return strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0;
}

/* The route for the request, or an answered 404/405 (NULL). */
static const struct api_route *find_route(struct api_call *c)
{
    char allow[64] = "";
    size_t path_len = strlen(c->req->path);
    for (size_t i = 0; i < api_routes_count; i++) {
        const struct api_route *r = &api_routes[i];
        if (!http_path_match(r->pattern, c->req->path, path_len, &c->params))
            continue;
        if (method_is(c->req->method, r->method)) {
            c->req->tag = (int)i;
            return r;
        }
        size_t used = strlen(allow);
        snprintf(allow + used, sizeof(allow) - used, "%s%s", used ? ", " : "", r->method);
    }
    if (allow[0]) {
        http_response_header(c->req, c->resp, "Allow", allow);
        api_fail(c, 405, "method_not_allowed", "%s is not allowed on %s (allowed: %s)",
                 c->req->method, c->req->path, allow);
    } else {
        api_fail(c, 404, "not_found", "no route %s", c->req->path);
    }
    return NULL;
}

static int content_type_json(const char *ct)
{
    static const char json[] = "application/json";
    if (!ct || strncasecmp(ct, json, sizeof(json) - 1) != 0)
        return 0;
    char next = ct[sizeof(json) - 1];
    return next == '\0' || next == ';' || next == ' ';
}

/* Parses the JSON object body; 0, or 1 when answered (415/400). */
static int parse_body(struct api_call *c, struct arena *parse_arena)
{
    struct sd_error err = {0};
    struct jval *v = NULL;
    if (!content_type_json(http_header(c->req, "Content-Type")))
        return !api_fail(c, 415, "unsupported_media_type",
                         "the body must be JSON (Content-Type: application/json)");
    int rc = jval_parse(c->req->body, c->req->body_len, "body", API_JSON_MAX_DEPTH, parse_arena, &v,
                        &err);
    if (rc)
        return !api_fail(c, 400, "invalid_json", "%s", err.message);
    if (v->type != JVAL_OBJECT)
        return !api_fail(c, 400, "invalid_json", "the body must be a JSON object, not %s",
                         jval_type_name(v->type));
    c->body = v;
    return 0;
}

static enum store_entity object_entity(enum api_object o)
{
    switch (o) {
    case API_OBJECT_ACCOUNT:
        return ENTITY_ACCOUNT;
    case API_OBJECT_REQUEST:
        return ENTITY_REQUEST;
    default:
        return ENTITY_ORDER;
    }
}

/* Resolves {id} to the record and checks the caller may see it; 1 when answered (404). */
static int check_object(struct api_call *c)
{
    struct sd_error err = {0};
    int visible = 1;
    if (c->route->object == API_OBJECT_NONE)
        return 0;
    enum store_entity e = object_entity(c->route->object);
    int rc = store_resolve(c->db, e, c->id, &c->object_id, &err);
    if (rc == 0 && c->scope_rep_id)
        rc = store_visible_to_rep(c->db, e, c->object_id, c->scope_rep_id, &visible, &err);
    if (rc == 0 && visible)
        return 0;
    /* A rep must not learn that an id exists in several sources either. */
    if (rc == 0 || rc == SD_ENOTFOUND || (rc == SD_ECONFLICT && c->scope_rep_id))
        return !api_fail(c, 404, "not_found", "no %s with id '%s'", store_entity_name(e), c->id);
    api_fail_status(c, rc, &err);
    return 1;
}

/* The decoded {id} as a C string. */
static void take_id(struct api_call *c)
{
    size_t len = 0;
    const char *id = http_path_param(&c->params, "id", &len);
    if (id)
        c->id = arena_strndup(c->req->arena, id, len);
}

/* Everything before the handler; 0 to go on, 1 when already answered. */
static int admit(struct api_call *c, struct arena *parse_arena)
{
    if (c->req->limit == HTTP_LIMIT_BODY)
        return !api_fail(c, 413, "too_large", "the request body is larger than %zu bytes",
                         api_is_upload(c->req->method, c->req->path) ? c->app->opt.max_upload
                                                                     : c->app->opt.max_body);
    if (c->req->limit == HTTP_LIMIT_SPOOL) {
        log_error("request %s: the upload could not be written to a temporary file",
                  c->req->id);
        return !api_fail(c, 507, "insufficient_storage",
                         "the upload could not be stored (request id %s)", c->req->id);
    }
    if (c->req->limit == HTTP_LIMIT_PARAMS)
        return !api_fail(c, 400, "too_many_parameters", "too many query parameters");
    c->route = find_route(c);
    if (!c->route)
        return 1;
    take_id(c);
    struct api_thread *t = c->req->thread_ctx;
    c->db = t ? t->db : NULL;
    if (!c->db && c->route->handler != api_healthz && c->route->handler != api_metrics_get)
        return !api_fail(c, 503, "unavailable", "the store cannot be opened (request id %s)",
                         c->req->id);
    if (c->route->roles != ROLES_PUBLIC) {
        if (api_authenticate(c))
            return 1;
        if (!(c->route->roles & c->who.role_bit))
            return !api_fail(c, 403, "forbidden", "role %s may not %s %s", c->who.role,
                             c->route->method, c->route->pattern);
        /* A rep's lists and look-ups are scoped to their rows; a rep user without a rep sees none. */
        if (c->who.role_bit & ROLE_REP)
            c->scope_rep_id = c->who.rep_id ? c->who.rep_id : -1;
    }
    if (api_check_query(c))
        return 1;
    if (c->route->json_body && parse_body(c, parse_arena))
        return 1;
    return check_object(c);
}

void api_dispatch(struct api_server *app, struct http_request *req, struct http_response *resp)
{
    struct api_call c = {.app = app, .req = req, .resp = resp};
    struct arena parse_arena;
    struct sd_error err = {0};
    arena_init(&parse_arena, req->body_len * 16 + 65536);
    if (!admit(&c, &parse_arena)) {
        int rc = c.route->handler(&c, &err);
        if (rc)
            api_fail_status(&c, rc, &err);
    }
    arena_release(&parse_arena);
}

int api_body_fields(struct api_call *c, const char *const *allowed)
{
    int bad = 0;
    for (size_t i = 0; i < c->body->n; i++) {
        const char *key = c->body->members[i].key;
        int known = 0;
        for (const char *const *a = allowed; *a && !known; a++)
            known = strcmp(*a, key) == 0;
        if (!known) {
            api_detail(c, key, "unknown field");
            bad = 1;
        }
    }
    return bad ? SD_EINVAL : 0;
}

const char *api_body_string(struct api_call *c, const char *key, size_t max, int required)
{
    const struct jval *v = jval_get(c->body, key);
    if (!v || v->type == JVAL_NULL) {
        if (required)
            api_detail(c, key, "is required");
        return NULL;
    }
    if (v->type != JVAL_STRING) {
        api_detail(c, key, "must be a string, not %s", jval_type_name(v->type));
        return NULL;
    }
    if (v->len == 0 || v->len > max || strlen(v->text) != v->len) {
        api_detail(c, key, "must be 1 to %zu characters (no NUL)", max);
        return NULL;
    }
    return v->text;
}
