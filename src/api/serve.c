/* SPDX-License-Identifier: MIT */
/*
 * serve: the API server's life: options, the http/ server wired to
 * api_dispatch, one store connection per worker thread (opened on the
 * thread's first request, closed when the server stops), the engine's facts
 * (built on a thread of their own while the server already answers, engine.c),
 * the metrics hook, the import
 * job thread (jobs.c) and which request bodies are spooled.
 */
#include <stdlib.h>

#include "api/api-int.h"
#include "base/date.h"
#include "base/log.h"
#include "base/secret.h"
#include "base/xalloc.h"
#include "store/store.h"
#include "base/banned.h"

void api_options_defaults(struct api_options *opt)
{
    *opt = (struct api_options){
        .listen = "127.0.0.1:8080",
        .session_idle_s = 30 * 60,
        .session_max_s = 12 * 3600,
        .max_sessions = 20,
        .login_limit = 5,
        .address_limit = 20,
        .throttle_window_s = 15 * 60,
        .max_body = (size_t)1 << 20,
        .max_conns_per_ip = 64,
        .max_buffered = (size_t)64 << 20,
        .max_upload = (size_t)256 << 20,
    };
}

struct db *api_thread_db(const struct api_options *opt, struct api_thread *t, int64_t now_ms)
{
    if (t->db || now_ms < t->retry_at_ms)
        return t->db;
    sd_error_clear(&t->open_error);
    if (store_open(&t->db, opt->db_url, DB_OPEN_EXISTING, &t->open_error) == 0) {
        t->backoff_ms = 0;
        return t->db;
    }
    t->db = NULL;
    t->backoff_ms = t->backoff_ms ? t->backoff_ms * 2 : API_REOPEN_FIRST_MS;
    if (t->backoff_ms > API_REOPEN_MAX_MS)
        t->backoff_ms = API_REOPEN_MAX_MS;
    t->retry_at_ms = now_ms + t->backoff_ms;
    log_warn("the store cannot be opened (next try in %lld ms): %s", (long long)t->backoff_ms,
             t->open_error.message);
    return NULL;
}

void api_thread_done(struct api_thread *t, const char *request_id)
{
    if (!t || !t->db)
        return;
    if (db_in_transaction(t->db)) {
        log_error("request %s: left a transaction open; rolled back", request_id);
        db_rollback(t->db);
    }
    if (db_failed(t->db)) {
        log_warn("request %s: a COMMIT failed; the store connection is opened again",
                 request_id);
        db_close(t->db);
        t->db = NULL;
        t->retry_at_ms = 0;
    }
}

static void *thread_open(void *app)
{
    struct api_server *srv = app;
    struct api_thread *t = xcalloc(1, sizeof(*t));
    api_thread_db(&srv->opt, t, ts_now_ms());
    return t;
}

static void thread_close(void *app, void *ctx)
{
    struct api_thread *t = ctx;
    (void)app;
    if (!t)
        return;
    db_close(t->db);
    free(t);
}

static void handle(void *app, struct http_request *req, struct http_response *resp)
{
    api_dispatch(app, req, resp);
}

static size_t spool(void *app, const char *method, const char *path)
{
    struct api_server *srv = app;
    return api_is_upload(method, path) ? srv->opt.max_upload : 0;
}

static void complete(void *app, const struct http_request *req, int status, int64_t duration_us)
{
    struct api_server *srv = app;
    api_metrics_record(srv->metrics, req->tag, status, duration_us);
}

int api_server_start(const struct api_options *opt, struct api_server **out, struct sd_error *err)
{
    struct db *db = NULL;
    char host[64];
    unsigned port = 0;
    int rc = http_listen_parse(opt->listen, host, sizeof(host), &port, err);
    if (rc == 0)
        rc = secret_init(err);
    if (rc == 0)
        rc = store_open(&db, opt->db_url, DB_OPEN_EXISTING, err);
    db_close(db); /* the store opens: the rest opens its own connections */
    struct api_server *srv = xcalloc(1, sizeof(*srv));
    if (rc == 0)
        rc = api_engine_start(srv, opt->db_url, err);
    if (rc) {
        free(srv);
        return rc;
    }
    srv->opt = *opt;
    srv->throttle = api_throttle_new();
    srv->metrics = api_metrics_new(api_routes_count);
    srv->started_ms = ts_now_ms();
    struct http_config cfg;
    http_config_defaults(&cfg);
    cfg.listen = opt->listen;
    cfg.threads = opt->threads;
    cfg.max_body = opt->max_body;
    cfg.max_conns_per_ip = opt->max_conns_per_ip;
    cfg.max_buffered = opt->max_buffered;
    cfg.handler = handle;
    cfg.thread_open = thread_open;
    cfg.thread_close = thread_close;
    cfg.complete = complete;
    cfg.spool = spool;
    cfg.app = srv;
    rc = api_jobs_start(opt->db_url, &srv->jobs, err);
    if (rc == 0)
        rc = http_server_start(&cfg, &srv->http, err);
    if (rc) {
        api_jobs_stop(srv->jobs);
        api_throttle_free(srv->throttle);
        api_metrics_free(srv->metrics);
        api_engine_free(srv->engine);
        free(srv);
        return rc;
    }
    *out = srv;
    return 0;
}

unsigned api_server_port(const struct api_server *srv)
{
    return http_server_port(srv->http);
}

void api_server_stop(struct api_server *srv)
{
    if (!srv)
        return;
    api_jobs_stop_begin(srv->jobs);
    http_server_stop(srv->http);
    api_jobs_stop(srv->jobs);
    api_engine_free(srv->engine);
    api_throttle_free(srv->throttle);
    api_metrics_free(srv->metrics);
    free(srv);
}
