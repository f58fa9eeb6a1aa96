/* SPDX-License-Identifier: MIT */
/*
 * metrics: request counters by route and status and a latency histogram per
 * route, as lock-free atomic counters written by the worker threads when a
 * request completes, read by GET /metrics. Routes are the table's rows plus
 * one "unmatched" row (404s and limit errors before a route was found).
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "api/api-int.h"
#include "base/xalloc.h"
#include "base/banned.h"

static const int statuses[] = {200, 201, 202, 204, 400, 401, 403, 404, 405,
                               409, 413, 415, 429, 431, 500, 503, 507};
#define N_STATUSES   (sizeof(statuses) / sizeof(statuses[0]))
#define STATUS_OTHER N_STATUSES

/* Upper bounds of the latency buckets in microseconds (then +Inf). */
static const int64_t bounds_us[] = {500,    1000,   2500,   5000,    10000,   25000,  50000,
                                    100000, 250000, 500000, 1000000, 2500000, 5000000};
static const char *const bounds_text[] = {"0.0005", "0.001", "0.0025", "0.005", "0.01",
                                          "0.025",  "0.05",  "0.1",    "0.25",  "0.5",
                                          "1",      "2.5",   "5"};
#define N_BUCKETS (sizeof(bounds_us) / sizeof(bounds_us[0]))

struct route_metrics {
    atomic_uint_fast64_t by_status[N_STATUSES + 1];
    atomic_uint_fast64_t buckets[N_BUCKETS + 1]; /* not cumulative; the last is +Inf */
    atomic_uint_fast64_t sum_us;
    atomic_uint_fast64_t other_status; /* the last status outside the list, for the label */
};

struct api_metrics {
    size_t n_routes;
    struct route_metrics *routes; /* n_routes + 1: the last is "unmatched" */
};

struct api_metrics *api_metrics_new(size_t n_routes)
{
    struct api_metrics *m = xcalloc(1, sizeof(*m));
    m->n_routes = n_routes;
    m->routes = xcalloc(n_routes + 1, sizeof(*m->routes));
    return m;
}

void api_metrics_free(struct api_metrics *m)
{
    if (!m)
        return;
    free(m->routes);
    free(m);
}

void api_metrics_record(struct api_metrics *m, int route, int status, int64_t duration_us)
{
    if (status <= 0)
        return; /* the connection ended before an answer */
    struct route_metrics *r =
        &m->routes[route >= 0 && (size_t)route < m->n_routes ? (size_t)route : m->n_routes];
    size_t s = 0;
    while (s < N_STATUSES && statuses[s] != status)
        s++;
    atomic_fetch_add(&r->by_status[s], 1);
    size_t b = 0;
    while (b < N_BUCKETS && duration_us > bounds_us[b])
        b++;
    atomic_fetch_add(&r->buckets[b], 1);
    atomic_fetch_add(&r->sum_us, (uint_fast64_t)(duration_us > 0 ? duration_us : 0));
}

static void labels(struct strbuf *out, const struct api_metrics *m, size_t i)
{
    if (i < m->n_routes)
        strbuf_addf(out, "method=\"%s\",route=\"%s\"", api_routes[i].method, api_routes[i].pattern);
    else
        strbuf_addstr(out, "method=\"\",route=\"unmatched\"");
}

static void render_counts(const struct api_metrics *m, struct strbuf *out)
{
    strbuf_addstr(out, "# HELP salesdesk_http_requests_total HTTP requests answered, by route "
                       "and status.\n# TYPE salesdesk_http_requests_total counter\n");
    for (size_t i = 0; i <= m->n_routes; i++) {
        for (size_t s = 0; s <= N_STATUSES; s++) {
            uint_fast64_t n = atomic_load(&m->routes[i].by_status[s]);
            if (!n)
                continue;
            strbuf_addstr(out, "salesdesk_http_requests_total{");
            labels(out, m, i);
            if (s < N_STATUSES)
                strbuf_addf(out, ",status=\"%d\"} %llu\n", statuses[s], (unsigned long long)n);
            else
                strbuf_addf(out, ",status=\"other\"} %llu\n", (unsigned long long)n);
        }
    }
}

static void render_histograms(const struct api_metrics *m, struct strbuf *out)
{
    strbuf_addstr(out, "# HELP salesdesk_http_request_duration_seconds Time from the request "
                       "headers to the end of the answer.\n"
                       "# TYPE salesdesk_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i <= m->n_routes; i++) {
        const struct route_metrics *r = &m->routes[i];
        uint_fast64_t cumulative = 0;
        for (size_t b = 0; b <= N_BUCKETS; b++)
            cumulative += atomic_load(&r->buckets[b]);
        if (!cumulative)
            continue;
        uint_fast64_t total = cumulative;
        cumulative = 0;
        for (size_t b = 0; b <= N_BUCKETS; b++) {
            cumulative += atomic_load(&r->buckets[b]);
            strbuf_addstr(out, "salesdesk_http_request_duration_seconds_bucket{");
            labels(out, m, i);
            strbuf_addf(out, ",le=\"%s\"} %llu\n", b < N_BUCKETS ? bounds_text[b] : "+Inf",
                        (unsigned long long)cumulative);
        }
        uint_fast64_t sum = atomic_load(&r->sum_us);
        strbuf_addstr(out, "salesdesk_http_request_duration_seconds_sum{");
        labels(out, m, i);
        strbuf_addf(out, "} %llu.%06llu\n", (unsigned long long)(sum / 1000000),
                    (unsigned long long)(sum % 1000000));
        strbuf_addstr(out, "salesdesk_http_request_duration_seconds_count{");
        labels(out, m, i);
        strbuf_addf(out, "} %llu\n", (unsigned long long)total);
    }
}

void api_metrics_render(const struct api_metrics *m, struct strbuf *out)
{
    render_counts(m, out);
    render_histograms(m, out);
}
