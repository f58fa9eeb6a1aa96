/* SPDX-License-Identifier: MIT */
/*
 * api: the JSON API under /api/v1 plus /healthz and /metrics, served by
 * http/. This header is what `salesdesk serve` needs: start a server with
 * its options, learn its port, stop it gracefully, and print the API docs
 * (generated from the routes table, so docs/api.md cannot drift from it) or
 * the table itself as JSON.
 */
#ifndef SD_API_API_H
#define SD_API_API_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"

struct api_options {
    const char *db_url;
    const char *listen;     /* "127.0.0.1:8080" */
    unsigned threads;       /* 0: one per core */
    int secure_cookies;     /* add Secure to the session cookie */
    int64_t session_idle_s; /* a session ends after this long unused */
    int64_t session_max_s;  /* and this long after login, whatever happens */
    unsigned max_sessions;  /* sessions per user; a new login ends the oldest beyond */
    unsigned login_limit;   /* failed logins per login in the window before 429 */
    unsigned address_limit; /* failed logins per client address in the window */
    int64_t throttle_window_s;
    size_t max_body;           /* request body bytes (413 beyond) */
    unsigned max_conns_per_ip; /* connections from one client address */
    size_t max_buffered;       /* body bytes buffered by all requests (503 beyond) */
    size_t max_upload;         /* an import upload, spooled to a temporary file (413 beyond) */
};

/* Default options (sessions 30 min idle and 12 h at most, 5 failed logins in 15 min...). */
void api_options_defaults(struct api_options *opt);

struct api_server;

/*
 * Checks that the store opens, then listens and serves on worker threads,
 * each with its own store connection. SD_EINVAL for a bad listen address,
 * SD_EIO when it cannot listen, the store's status when it cannot open.
 */
int api_server_start(const struct api_options *opt, struct api_server **out, struct sd_error *err);
unsigned api_server_port(const struct api_server *srv);
/*
 * Refuses new connections and new import jobs, tells a running import to
 * stop (it rolls back and is marked failed), lets requests in flight finish,
 * marks the jobs still waiting failed, stops, frees.
 */
void api_server_stop(struct api_server *srv);

/* docs/api.md: every route of the table with its roles, description and example. */
void api_docs_markdown(struct strbuf *out);
/*
 * The routes table as a JSON array, one object per route: method, pattern,
 * roles (names; [] for a public route), object ("order", "account",
 * "request" or null: what {id} names), json_body, query (parameter names).
 */
void api_routes_json(struct strbuf *out);

#endif
