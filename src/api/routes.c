/* SPDX-License-Identifier: MIT */
/*
 * routes: the routes table and api_dispatch, the one function every request
 * goes through. In order: limits the transport reported (413, 503, 400), the
 * route (404, 405 with Allow), the worker's store connection (503), who is
 * calling (401) with the CSRF token for cookie sessions (403), the route's
 * roles (403), the JSON body (415, 400), and the record {id} names: a record
 * that does not exist and one the caller may not see answer the same 404.
 * Handlers never check roles or ownership themselves. A GET reads one
 * snapshot from authentication on (api_call.read_snapshot). An upload goes
 * through the same checks before its body is read (http_request.preflight),
 * so a caller that may not import never has a byte of it written to disk.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api-int.h"
#include "base/date.h"
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
                   "a query, 503 otherwise. `engine` is `loading` while the numbers engine "
                   "reads the store after a start (a large store takes tens of seconds; the KPI "
                   "and trend routes then answer 503 `engine_loading` with Retry-After, every "
                   "other route answers), `ready`, or `failed` (the build failed: 503 here and "
                   "on the engine routes; the log says why).",
        .example_response = "200 {\"status\":\"ok\",\"store\":\"ok\",\"engine\":\"ready\"}",
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
                   "address (429 with Retry-After). A user has at most 20 sessions: a new "
                   "login ends their oldest one beyond that.",
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
                   "day, else today). Same row-level access as the order; for a rep, another "
                   "order a finding names (a duplicate) that the rep may not see is \"another "
                   "order\", without its id.",
        .example_response = "200 {\"id\":\"100123\",\"status\":\"pending\",\"verdict\":"
                            "\"blocked\",\"findings\":[{\"code\":\"CREDIT_LIMIT\",…}]}",
    },
    {
        .method = "GET",
        .pattern = "/api/v1/requests",
        .handler = api_requests_list,
        .roles = ROLES_ALL,
        .query = "status priority assignee account breached limit cursor",
        .summary = "The request queue (`salesdesk queue requests --json`): customer requests not "
                   "yet resolved, most urgent first (time left to the next SLA deadline, then "
                   "priority, then age), with their SLA clocks as of the desk's clock (`now`: "
                   "17:00 UTC of the demo's day on a demo database). Filters: `status` (open, "
                   "in_progress, waiting; comma-separated), `priority`, `assignee` (a rep's id), "
                   "`account`, `breached` (true or false). `total` counts every match. A rep "
                   "sees only the requests of accounts they own or manage, on orders they took, "
                   "or assigned to them; an `account` they may not see is refused like one that "
                   "does not exist.",
        .example_response = "200 {\"now\":\"2026-06-30T17:00:00.000Z\",\"total\":12,\"items\":[{"
                            "\"id\":\"Q1042\",\"account\":\"C00042\",\"order\":null,\"priority\":"
                            "\"high\",\"status\":\"open\",\"assignee\":\"R007\",…,\"left_ms\":"
                            "-3600000,\"breached\":true}],\"next_cursor\":\"MTc4…\"}",
    },
    {
        .method = "POST",
        .pattern = "/api/v1/requests",
        .handler = api_requests_create,
        .roles = ROLE_ADMIN | ROLE_MANAGER | ROLE_SUPPORT | ROLE_REP,
        .json_body = 1,
        .summary = "Opens a customer request at the desk's clock (as `salesdesk request new`): "
                   "`account`, `kind`, `subject` required; `order` (of that account), `priority` "
                   "(low, normal, high, urgent; default normal), `assignee` (a rep) optional. "
                   "Answers 201 with the request as GET shows it; its id is R<n>. A rep may "
                   "name only accounts and orders they see (any other answers 404 like one that "
                   "does not exist) and only themself as assignee (403).",
        .example_request = "{\"account\":\"C00042\",\"order\":\"100123\",\"kind\":\"delivery\","
                           "\"subject\":\"Where is my order?\",\"priority\":\"high\"}",
        .example_response = "201 {\"id\":\"R13\",\"source\":\"salesdesk\",\"account\":\"C00042\","
                            "…,\"status\":\"open\",\"sla\":{…},\"notes\":[]}",
    },
    {
        .method = "GET",
        .pattern = "/api/v1/requests/{id}",
        .handler = api_request_get,
        .roles = ROLES_ALL,
        .object = API_OBJECT_REQUEST,
        .summary = "One customer request with its SLA clocks and notes (`salesdesk request ID "
                   "--json`). A rep sees the requests of accounts they own or manage, on orders "
                   "they took, or assigned to them; any other answers 404.",
        .example_response = "200 {\"id\":\"R13\",\"account\":\"C00042\",\"status\":\"open\","
                            "\"priority\":\"high\",…,\"sla\":{\"first_response\":{\"target_hours\":"
                            "4,…},\"breached\":false},\"notes\":[]}",
    },
    {
        .method = "PATCH",
        .pattern = "/api/v1/requests/{id}",
        .handler = api_request_update,
        .roles = ROLE_ADMIN | ROLE_MANAGER | ROLE_SUPPORT | ROLE_REP,
        .object = API_OBJECT_REQUEST,
        .json_body = 1,
        .summary = "Changes a request's `assignee` (a rep) and/or `status` in one transaction "
                   "(`salesdesk request assign|status`), each with its audit row. A status the "
                   "transition table refuses, the status or assignee it already has, or any "
                   "change of a closed request answers 409 and changes nothing. `priority` is "
                   "fixed at creation (400). A rep may assign only to themself (403); the same "
                   "row-level access as GET.",
        .example_request = "{\"status\":\"in_progress\",\"assignee\":\"R007\"}",
        .example_response = "200 {\"id\":\"R13\",\"status\":\"in_progress\",\"assignee\":\"R007\","
                            "\"first_response_at\":\"2026-06-30T17:00:00.000Z\",…}",
    },
    {
        .method = "POST",
        .pattern = "/api/v1/notes",
        .handler = api_notes_create,
        .roles = ROLE_ADMIN | ROLE_MANAGER | ROLE_SUPPORT | ROLE_REP,
        .json_body = 1,
        .summary = "Adds a note (`salesdesk note`): `subject` order, account or request, its "
                   "`id`, and `text` (up to 10000 bytes). A note on a request without a first "
                   "response records it. A subject a rep may not see answers 404 like one that "
                   "does not exist.",
        .example_request = "{\"subject\":\"request\",\"id\":\"R13\",\"text\":\"Called the "
                           "customer.\"}",
        .example_response = "201 {\"on\":\"request\",\"id\":\"R13\",\"created_at\":"
                            "\"2026-06-30T17:00:00.000Z\",\"author\":\"api:ada\",\"body\":"
                            "\"Called the customer.\"}",
    },
    {
        .method = "GET",
        .pattern = "/api/v1/audit",
        .handler = api_audit_list,
        .roles = ROLE_ADMIN,
        .query = "user entity entity_id from to limit cursor",
        .summary = "The audit log, newest first (admins only). Filters: `user` (a login: rows "
                   "written by that user through the API), `entity` (request, note, user, "
                   "api_token), `entity_id` (the row's internal id, as the items show it), "
                   "`from`/`to` (ISO dates, `to` including its day, or ISO timestamps). "
                   "`before`/`after` are the changed fields as JSON objects (null for none); "
                   "`user` is null for writes made on the command line (see `actor`).",
        .example_response = "200 {\"items\":[{\"id\":41,\"at\":\"2026-11-27T09:00:00.000Z\","
                            "\"user\":\"ada\",\"actor\":\"api:ada\",\"action\":\"request.status\","
                            "\"entity\":\"request\",\"entity_id\":13,\"before\":{\"status\":"
                            "\"open\"},\"after\":{\"status\":\"in_progress\"}}],\"next_cursor\":"
                            "null}",
    },
    {
        .method = "POST",
        .pattern = "/api/v1/users",
        .handler = api_users_create,
        .roles = ROLE_ADMIN,
        .json_body = 1,
        .summary = "Creates a user (admins only) with the rules of `salesdesk user add`: "
                   "`login` (1-128 characters, no spaces or control characters) and `role` "
                   "(admin, manager, support, rep, viewer) required; `rep` (required for role "
                   "rep), `name`, `password` (8-1024 characters; without one the user cannot "
                   "log in yet) optional. 409 when the login exists. The audit row never holds "
                   "the password.",
        .example_request = "{\"login\":\"rita\",\"name\":\"Rita Rep\",\"role\":\"rep\",\"rep\":"
                           "\"R007\",\"password\":\"correct horse\"}",
        .example_response = "201 {\"id\":7,\"login\":\"rita\",\"name\":\"Rita Rep\",\"role\":"
                            "\"rep\",\"rep\":\"R007\",\"status\":\"active\",\"created_at\":"
                            "\"2026-11-27T09:00:00.000Z\"}",
    },
    {
        .method = "PATCH",
        .pattern = "/api/v1/users/{id}",
        .handler = api_users_update,
        .roles = ROLE_ADMIN,
        .json_body = 1,
        .summary = "Changes a user (admins only; {id} as in GET /api/v1/users): `role`, `rep` "
                   "(null clears it), `name` (null clears it), `status` (active or disabled). "
                   "Disabling ends the user's sessions and revokes their API tokens at once. An "
                   "admin cannot disable themself, and the last active admin cannot be disabled "
                   "or lose the role (409). Values the user already has change nothing.",
        .example_request = "{\"status\":\"disabled\"}",
        .example_response = "200 {\"id\":7,\"login\":\"rita\",\"name\":\"Rita Rep\",\"role\":"
                            "\"rep\",\"rep\":\"R007\",\"status\":\"disabled\",\"created_at\":"
                            "\"2026-11-27T09:00:00.000Z\"}",
    },
    {
        .method = "GET",
        .pattern = "/api/v1/orders",
        .handler = api_orders_list,
        .roles = ROLES_ALL,
        .query = "status account rep from to limit cursor",
        .summary = "Orders, newest order date first (then the higher internal id), with each "
                   "order's net (the sum of its rounded line nets). Filters: `status` (one order "
                   "status), `account` and `rep` (external ids; one that does not exist, or an "
                   "account a rep may not see, is a 400 naming the parameter), `from` and `to` "
                   "(order dates, both included). A rep sees only orders of accounts they own or "
                   "manage, or that they took.",
        .example_response = "200 {\"items\":[{\"id\":\"100123\",\"account\":\"C00042\","
                            "\"rep\":\"R001\",\"order_date\":\"2026-11-20\","
                            "\"requested_date\":\"2026-11-30\",\"promised_date\":null,"
                            "\"ship_date\":null,\"status\":\"pending\",\"currency\":\"USD\","
                            "\"net\":1234.5}],\"next_cursor\":\"MjAyNi0xMS0yMHwxMjM\"}",
    },
    {
        .method = "GET",
        .pattern = "/api/v1/accounts",
        .handler = api_accounts_list,
        .roles = ROLES_ALL,
        .query = "q segment region status owner_rep limit cursor",
        .summary = "Accounts by name (then internal id), with the fields of accounts.csv. `q` "
                   "finds a text anywhere in the name, ignoring ASCII case (`%`, `_` and `\\` "
                   "are plain characters); `segment`, `region`, `status` and `owner_rep` (a "
                   "rep's external id; an unknown one is a 400) must match exactly. A rep sees "
                   "only accounts they own or manage.",
        .example_response = "200 {\"items\":[{\"id\":\"C00042\",\"name\":\"Acme Tools\","
                            "\"segment\":\"SMB\",\"region\":\"EMEA\",\"country\":\"DE\","
                            "\"city\":\"Berlin\",\"owner_rep\":\"R001\",\"account_manager\":"
                            "null,\"credit_limit\":50000,\"payment_terms_days\":30,\"status\":"
                            "\"active\",\"currency\":\"EUR\"}],\"next_cursor\":null}",
    },
    {
        .method = "GET",
        .pattern = "/api/v1/accounts/{id}",
        .handler = api_account_get,
        .roles = ROLES_ALL,
        .object = API_OBJECT_ACCOUNT,
        .summary = "One account with the fields of accounts.csv. A rep sees only accounts they "
                   "own or manage; any other answers 404.",
        .example_response = "200 {\"id\":\"C00042\",\"name\":\"Acme Tools\",\"segment\":\"SMB\","
                            "\"region\":\"EMEA\",…,\"status\":\"active\",\"currency\":\"EUR\"}",
    },
    {
        .method = "GET",
        .pattern = "/api/v1/accounts/{id}/status",
        .handler = api_account_status,
        .roles = ROLES_ALL,
        .object = API_OBJECT_ACCOUNT,
        .query = "today",
        .summary = "The account status of `salesdesk account ID --json` (docs/desk.md): health "
                   "with its reasons, open orders, receivables ageing, credit use, revenue and "
                   "its months, rhythm, top products, open requests, contacts, open invoices. "
                   "`today=YYYY-MM-DD` sets the day (default: the demo's day, else today).",
        .example_response = "200 {\"id\":\"C00042\",\"name\":\"Acme Tools\",…,\"today\":"
                            "\"2026-11-27\",\"health\":{\"score\":72,\"churn_risk\":false,…},"
                            "\"receivables\":{\"total\":1520.25,…},…}",
    },
    {
        .method = "GET",
        .pattern = "/api/v1/accounts/{id}/timeline",
        .handler = api_account_timeline,
        .roles = ROLES_ALL,
        .object = API_OBJECT_ACCOUNT,
        .query = "limit cursor",
        .summary = "What happened to the account, newest first (`salesdesk account ID "
                   "--timeline --json`): orders placed and shipped, invoices issued and paid, "
                   "requests opened, answered and resolved, notes, opportunity stages. "
                   "`events` counts them all.",
        .example_response = "200 {\"account\":\"C00042\",\"events\":118,\"items\":[{\"at\":"
                            "\"2026-11-20T00:00:00.000Z\",\"date\":\"2026-11-20\",\"dated\":true,"
                            "\"kind\":\"order_placed\",\"id\":\"100123\",\"status\":\"pending\","
                            "\"net\":1234.5,\"currency\":\"USD\",\"units\":12}],"
                            "\"next_cursor\":\"…\"}",
    },
    {
        .method = "GET",
        .pattern = "/api/v1/queue/pending",
        .handler = api_queue_pending,
        .roles = ROLES_ALL,
        .query = "team rep region rule verdict today limit cursor",
        .summary = "The pending-order queue of `salesdesk queue pending --json` (docs/desk.md): "
                   "every open order ranked by priority score, with the order doctor's verdict "
                   "and top finding. Filters: `team`, `rep` (external ids), `region`, `rule` "
                   "(a doctor rule code), `verdict` (blocked, at_risk, ok); `today` as for the "
                   "diagnosis. The counts are of the whole queue; a rep's queue holds only the "
                   "orders they may see.",
        .example_response = "200 {\"today\":\"2026-11-27\",\"pending\":812,\"matching\":812,"
                            "\"blocked\":95,\"at_risk\":240,\"ok\":477,\"items\":[{\"order\":"
                            "\"100123\",\"status\":\"pending\",\"score\":83,…,\"verdict\":"
                            "\"blocked\",…}],\"next_cursor\":\"…\"}",
    },
    {
        .method = "GET",
        .pattern = "/api/v1/kpis",
        .handler = api_kpis_get,
        .roles = ROLES_ALL,
        .query = "period scope by kpi today",
        .summary = "KPI cards (value, target, expected by today, projection, pace, status) for "
                   "`period` (default: the quarter holding today) and `scope` (`company`, "
                   "`region=R`, `team=T`, `rep=R`, `category=C`), or one row of cards per value "
                   "of `by` (a dimension: region segment country account rep team product "
                   "category); `kpi=a,b` picks KPIs; `today=YYYY-MM-DD` sets the day (default: "
                   "the demo's day, else today). The same object as `salesdesk kpi --json`. "
                   "The numbers include every write made before the request. For a rep they "
                   "are computed only over the order lines the rep may see (the orders they "
                   "took and the orders of the accounts they own or manage); `by=account` "
                   "lists only the accounts they own or manage; the only targets applied are "
                   "those of their own rep scope. A bad parameter answers 400 naming it.",
        .example_response = "200 {\"period\":\"2024-Q3\",\"first\":\"2024-07-01\",\"last\":"
                            "\"2024-09-30\",\"today\":\"2024-08-15\",\"scope\":\"company\","
                            "\"scope_key\":\"\",\"cards\":[{\"name\":\"revenue\",\"label\":"
                            "\"Revenue\",\"unit\":\"money\",\"value\":1234567.5,\"target\":"
                            "2500000,\"status\":\"green\",…}]}",
    },
    {
        .method = "GET",
        .pattern = "/api/v1/kpis/{name}/targets",
        .handler = api_kpi_targets_get,
        .roles = ROLES_ALL,
        .summary = "The targets of KPI `name` (and, for revenue, the quotas that count as its "
                   "targets), as `salesdesk kpi targets --json`. An unknown KPI answers 404. "
                   "A rep sees only the targets of their own rep scope.",
        .example_response = "200 {\"kpi\":\"revenue\",\"items\":[{\"kpi\":\"revenue\","
                            "\"scope\":\"company\",\"scope_key\":\"\",\"period\":"
                            "\"2024-Q3\",\"target\":2500000,\"green_at_pct\":100,"
                            "\"amber_at_pct\":90,\"source\":\"target\"}]}",
    },
    {
        .method = "PUT",
        .pattern = "/api/v1/kpis/{name}/targets",
        .handler = api_kpi_targets_put,
        .roles = ROLE_ADMIN | ROLE_MANAGER,
        .json_body = 1,
        .summary = "Sets the target of KPI `name` for `period` and `scope` (default company): "
                   "`target` in the KPI's unit, `green_at_pct` (default 100) and `amber_at_pct` "
                   "(default 90, at most green) as percentages of the value expected by the "
                   "day. 201 when new, 200 when changed or unchanged; audited with the values "
                   "before and after. An unknown KPI answers 404.",
        .example_request = "{\"period\":\"2024-Q3\",\"scope\":\"rep=R001\",\"target\":"
                           "250000,\"green_at_pct\":100,\"amber_at_pct\":85}",
        .example_response = "201 {\"kpi\":\"revenue\",\"scope\":\"rep\",\"scope_key\":"
                            "\"R001\",\"period\":\"2024-Q3\",\"target\":250000,"
                            "\"green_at_pct\":100,\"amber_at_pct\":85,\"source\":\"target\"}",
    },
    {
        .method = "GET",
        .pattern = "/api/v1/alerts",
        .handler = api_alerts_list,
        .roles = ROLES_ALL,
        .query = "state kpi limit cursor",
        .summary = "KPI alerts (a target gone amber or red), newest first: `state` `open` "
                   "(default), `acknowledged` or `all`; `kpi` one KPI. A rep sees only the "
                   "alerts of their own rep scope (an alert's value covers every order of its "
                   "scope).",
        .example_response = "200 {\"items\":[{\"id\":7,\"kpi\":\"revenue\",\"scope\":"
                            "\"rep\",\"scope_key\":\"R001\",\"period\":\"2024-Q3\","
                            "\"level\":\"red\",\"message\":\"revenue rep R001 in 2024-Q3 is "
                            "red: …\",\"value\":81000,\"target\":250000,\"expected\":"
                            "125000,\"raised_at\":\"2024-08-15T06:00:00.000Z\",\"acked_at\":"
                            "null}],\"next_cursor\":null}",
    },
    {
        .method = "POST",
        .pattern = "/api/v1/alerts/{id}/ack",
        .handler = api_alert_ack,
        .roles = ROLE_ADMIN | ROLE_MANAGER,
        .summary = "Acknowledges an open alert (those who set targets do); audited. 404 for no "
                   "such alert, 409 when it was acknowledged already.",
        .example_response = "200 {\"id\":7,\"kpi\":\"revenue\",…,\"acked_at\":"
                            "\"2024-08-15T09:12:00.000Z\"}",
    },
    {
        .method = "GET",
        .pattern = "/api/v1/trends",
        .handler = api_trends_get,
        .roles = ROLES_ALL,
        .query = "measure by bucket period from to where top forecast movers",
        .summary = "A measure (required: revenue, margin, orders, aov, on_time_rate, …) over "
                   "time buckets (`bucket` day, week, month (default), quarter, year, fquarter, "
                   "fyear) from `from` to `to` (or `period`), one series per value of `by`, "
                   "filtered by `where=DIM=V[,V][;DIM=V]`; `top` keeps the largest series; "
                   "one series is analysed (growth, moving average, `forecast` periods "
                   "(default 3), anomalies); `movers=true` ranks the series' last change. The "
                   "same object as `salesdesk trend MEASURE --json`. For a rep the series "
                   "count only the order lines the rep may see; `by=account` shows only the "
                   "accounts they own or manage, and `where` naming another account answers "
                   "400 like one that does not exist.",
        .example_response = "200 {\"measure\":\"revenue\",\"unit\":\"money\",\"bucket\":"
                            "\"month\",\"by\":null,\"periods\":[{\"period\":\"2024-07\","
                            "\"first\":\"2024-07-01\",\"last\":\"2024-07-31\"}],\"series\":"
                            "[{\"key\":null,\"label\":null,\"values\":[1234.5]}],"
                            "\"partial_last\":false,\"vs_prev_pct\":[null],…}",
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
        .pattern = "/api/v1/imports/{id}",
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
        .pattern = "/api/v1/imports/{id}/errors",
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
                   "GET /api/v1/imports/{id} without the counts per kind.",
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

int api_resolve_visible(struct api_call *c, enum store_entity e, const char *text, int64_t *id,
                        struct sd_error *err)
{
    int visible = 1;
    int rc = store_resolve(c->db, e, text, id, err);
    if (rc == 0 && c->scope_rep_id)
        rc = store_visible_to_rep(c->db, e, *id, c->scope_rep_id, &visible, err);
    if (rc == 0 && visible)
        return 0;
    /* A rep must not learn that an id exists in several sources either. */
    if (rc == 0 || rc == SD_ENOTFOUND || (rc == SD_ECONFLICT && c->scope_rep_id))
        return sd_error_set(err, SD_ENOTFOUND, "no %s with id '%s'", store_entity_name(e), text);
    return rc;
}

/* Resolves {id} to the record and checks the caller may see it; 1 when answered (404). */
static int check_object(struct api_call *c)
{
    struct sd_error err = {0};
    if (c->route->object == API_OBJECT_NONE)
        return 0;
    int rc = api_resolve_visible(c, object_entity(c->route->object), c->id, &c->object_id, &err);
    if (rc)
        api_fail_status(c, rc, &err);
    return rc != 0;
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
    if (c->req->limit == HTTP_LIMIT_BUSY) {
        http_response_header(c->req, c->resp, "Retry-After", "1");
        return !api_fail(c, 503, "busy", "the server holds too many request bodies at once; "
                                         "try again");
    }
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
    c->db = t ? api_thread_db(&c->app->opt, t, ts_now_ms()) : NULL;
    if (!c->db && c->route->handler != api_healthz && c->route->handler != api_metrics_get)
        return !api_fail(c, 503, "unavailable", "the store cannot be opened (request id %s)",
                         c->req->id);
    /* A GET reads in one snapshot from here on, its authentication included. */
    if (c->db && strcmp(c->route->method, "GET") == 0)
        c->read_snapshot = db_begin_read(c->db, NULL) == 0;
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
    if (c->req->preflight) /* the body is not read yet (an upload): the rest waits for it */
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
        if (rc && rc != API_ANSWERED)
            api_fail_status(&c, rc, &err);
    }
    if (c.read_snapshot && db_in_transaction(c.db))
        db_rollback(c.db);
    api_auth_finish(&c);
    api_thread_done(req->thread_ctx, req->id);
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
