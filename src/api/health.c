/* SPDX-License-Identifier: MIT */
/*
 * health: GET /healthz (the server and its store answer; the engine is
 * loading, ready or failed) and GET /metrics
 * (Prometheus text: the request counters of metrics.c, the import jobs of
 * jobs.c, plus gauges read now).
 */
#include <inttypes.h>
#include <string.h>

#include "api/api-int.h"
#include "base/date.h"
#include "base/json.h"
#include "base/log.h"
#include "store/store.h"
#include "base/banned.h"

int api_healthz(struct api_call *c, struct sd_error *err)
{
    struct json_writer w;
    int64_t seq = 0;
    const struct api_thread *t = c->req->thread_ctx;
    int rc = c->db ? store_change_last(c->db, &seq, err) : SD_EDB;
    if (rc)
        log_warn("request %s: health check: %s", c->req->id,
                 c->db ? err->message : (t ? t->open_error.message : "no store"));
    /* An engine still loading is healthy (the rest answers); one that failed is not. */
    const char *engine = api_engine_state(c->app->engine);
    int down = rc || strcmp(engine, "failed") == 0;
    api_json_begin(c, down ? 503 : 200, &w);
    json_object_begin(&w);
    json_kv_string(&w, "status", down ? "unavailable" : "ok");
    json_kv_string(&w, "store", rc ? "failing" : "ok");
    json_kv_string(&w, "engine", engine);
    json_object_end(&w);
    return 0;
}

int api_metrics_get(struct api_call *c, struct sd_error *err)
{
    struct strbuf *out = &c->resp->body;
    int64_t seq = 0;
    c->resp->status = 200;
    c->resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    strbuf_reset(out);
    api_metrics_render(c->app->metrics, out);
    strbuf_addf(out,
                "# HELP salesdesk_http_requests_in_flight Requests being answered now.\n"
                "# TYPE salesdesk_http_requests_in_flight gauge\n"
                "salesdesk_http_requests_in_flight %u\n",
                http_server_in_flight(c->app->http));
    strbuf_addf(out,
                "# HELP salesdesk_uptime_seconds Seconds since the server started.\n"
                "# TYPE salesdesk_uptime_seconds gauge\nsalesdesk_uptime_seconds %" PRId64 "\n",
                (ts_now_ms() - c->app->started_ms) / 1000);
    api_jobs_metrics(c->app->jobs, out);
    if (c->db && store_change_last(c->db, &seq, err) == 0)
        strbuf_addf(out,
                    "# HELP salesdesk_change_log_seq The last change_log sequence number "
                    "in the store.\n# TYPE salesdesk_change_log_seq gauge\n"
                    "salesdesk_change_log_seq %" PRId64 "\n",
                    seq);
    api_engine_metrics(c, out);
    return 0;
}
