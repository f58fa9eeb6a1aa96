/* SPDX-License-Identifier: MIT */
/*
 * trends: GET /api/v1/trends, a measure over time buckets (the object of
 * `salesdesk trend --json`, written by engine/view.c for both).
 *
 * Row-level access: for a rep, the series are computed over the order lines
 * the rep may see; by=account shows only the accounts the rep owns or
 * manages, and where=account=X for any other account answers the same 400
 * as an account that does not exist.
 */
#include <string.h>

#include "api/api-int.h"
#include "base/date.h"
#include "engine/view.h"
#include "base/banned.h"

#define PARAM_MAX 256

struct trend_params {
    const char *measure, *by, *bucket, *period, *where, *movers;
    int64_t top, forecast;
    int32_t from, to;
    struct query_filters filters;
};

static int read_params(struct api_call *c, struct trend_params *p)
{
    int bad = 0;
    p->from = p->to = DATE_NONE;
    bad |= api_query_text(c, "measure", 64, &p->measure) != 0;
    bad |= api_query_text(c, "by", 64, &p->by) != 0;
    bad |= api_query_text(c, "bucket", 64, &p->bucket) != 0;
    bad |= api_query_text(c, "period", 64, &p->period) != 0;
    bad |= api_query_text(c, "where", sizeof(p->filters.storage) - 1, &p->where) != 0;
    bad |= api_query_text(c, "movers", 8, &p->movers) != 0;
    bad |= api_query_date(c, "from", &p->from) != 0;
    bad |= api_query_date(c, "to", &p->to) != 0;
    bad |= api_query_int(c, "top", 0, 100000, 0, &p->top) != 0;
    bad |= api_query_int(c, "forecast", 0, 1000, 3, &p->forecast) != 0;
    if (!p->measure && !bad)
        api_detail(c, "measure", "is required");
    return bad || !p->measure ? SD_EINVAL : 0;
}

/* The texts into the view's spec; details for those that do not parse. */
static int parse_spec(struct api_call *c, const struct trend_params *p, struct trend_view *v,
                      int fy_start_month)
{
    struct sd_error why = {0};
    struct series_spec *s = &v->spec;
    int bad = 0;
    s->bucket = PERIOD_MONTH;
    s->fy_start_month = fy_start_month;
    s->from = p->from;
    s->to = p->to;
    s->top = (size_t)p->top;
    v->horizon = (size_t)p->forecast;
#define CHECK(cond, field)                          \
    if (cond) {                                     \
        api_detail(c, field, "%s", why.message);    \
        bad = 1;                                    \
        why.message[0] = '\0';                      \
    }
    CHECK(measure_parse(p->measure, &s->measure, &why), "measure");
    CHECK(p->by && dim_parse(p->by, &s->by, &why), "by");
    CHECK(p->bucket && series_bucket_parse(p->bucket, &s->bucket, &why), "bucket");
    struct period per;
    CHECK(p->period && period_parse(p->period, strlen(p->period), fy_start_month, &per, &why),
          "period");
#undef CHECK
    if (p->period && !bad) {
        s->from = p->from != DATE_NONE ? p->from : per.first;
        s->to = p->to != DATE_NONE ? p->to : per.last;
    }
    if (p->movers && strcmp(p->movers, "true") && strcmp(p->movers, "false")) {
        api_detail(c, "movers", "must be true or false");
        bad = 1;
    }
    v->want_movers = p->movers && strcmp(p->movers, "true") == 0;
    if (v->want_movers && !s->by && !bad) {
        api_detail(c, "movers", "needs by");
        bad = 1;
    }
    return bad ? SD_EINVAL : 0;
}

/*
 * The where filters, each value checked against the facts: an unknown value,
 * and for a rep an account they may not name, answer the same detail.
 */
static int parse_where(struct api_call *c, struct trend_params *p, struct trend_view *v,
                       const struct query_rows *rows)
{
    struct sd_error why = {0};
    if (!p->where)
        return 0;
    if (query_filters_parse(p->where, &p->filters, &why)) {
        api_detail(c, "where", "%s", why.message);
        return SD_EINVAL;
    }
    for (size_t i = 0; i < p->filters.n; i++) {
        const struct query_filter *f = &p->filters.items[i];
        for (size_t j = 0; j < f->n; j++) {
            uint32_t key;
            if (facts_dim_find(v->f, f->dim, f->values[j], &key, NULL) ||
                !query_rows_names(rows, f->dim, key)) {
                api_detail(c, "where", "no %s '%s'", dim_name(f->dim), f->values[j]);
                return SD_EINVAL;
            }
        }
    }
    v->spec.where = p->filters.items;
    v->spec.nwhere = p->filters.n;
    return 0;
}

int api_trends_get(struct api_call *c, struct sd_error *err)
{
    struct trend_params *p = arena_alloc(c->req->arena, sizeof(*p));
    struct trend_view v;
    struct api_engine_use u;
    memset(p, 0, sizeof(*p));
    memset(&v, 0, sizeof(v));
    if (read_params(c, p))
        return sd_error_set(err, SD_EINVAL, "bad trend parameters");
    int rc = api_engine_begin(c, &u, err);
    if (rc)
        return rc;
    v.f = u.f;
    v.spec.rows = u.scope;
    if (parse_spec(c, p, &v, u.fy_start_month) || parse_where(c, p, &v, u.scope))
        rc = sd_error_set(err, SD_EINVAL, "bad trend parameters");
    if (rc == 0)
        rc = trend_view_run(&v, err);
    if (rc == SD_ELIMIT)
        rc = SD_EINVAL; /* too many points: a coarser bucket or a filter will do */
    if (rc == 0) {
        struct json_writer w;
        api_json_begin(c, 200, &w);
        trend_view_json(&v, &w);
    }
    trend_view_release(&v);
    api_engine_end(c, &u);
    return rc;
}
