/* SPDX-License-Identifier: MIT */
/*
 * kpis: the KPI cards (GET /api/v1/kpis, the object of `salesdesk kpi
 * --json`, written by engine/view.c for both) and a KPI's targets (GET and
 * PUT /api/v1/kpis/{name}/targets).
 *
 * Row-level access: for a rep, the cards are computed over the order lines
 * the rep may see (api_engine_begin builds those rows), and the only
 * targets a rep sees — listed, or set against the cards — are those of
 * their own rep scope (rep=<their id>): a team's or the company's target
 * compared with a rep's own figures would mislead.
 */
#include <stdio.h>
#include <string.h>

#include "api/api-int.h"
#include "base/date.h"
#include "base/money.h"
#include "desk/kpis.h"
#include "engine/view.h"
#include "store/store.h"
#include "base/banned.h"

#define PARAM_MAX 256

/* The targets a rep may see: their own rep scope (`all` keeps owning the strings). */
static void rep_targets(struct api_call *c, const struct kpi_targets *all,
                        struct kpi_targets *mine)
{
    const char *rep = c->who.rep_ext_id;
    const struct kpi_target *from[2] = {all->explicit_targets, all->quotas};
    size_t counts[2] = {all->n_explicit, all->n_quotas};
    struct kpi_target *to[2];
    size_t n[2] = {0, 0};
    for (int l = 0; l < 2; l++) {
        to[l] = arena_alloc(c->req->arena, (counts[l] ? counts[l] : 1) * sizeof(*to[l]));
        for (size_t i = 0; i < counts[l]; i++) {
            if (rep && strcmp(from[l][i].scope_kind, "rep") == 0 &&
                strcmp(from[l][i].scope_key, rep) == 0)
                to[l][n[l]++] = from[l][i];
        }
    }
    memset(mine, 0, sizeof(*mine));
    mine->explicit_targets = to[0];
    mine->n_explicit = n[0];
    mine->quotas = to[1];
    mine->n_quotas = n[1];
}

/* The view's inputs from the query; SD_EINVAL with details when one is bad. */
static int read_view(struct api_call *c, struct kpi_view *v)
{
    struct sd_error why = {0};
    const char *by = NULL;
    int rc = api_query_text(c, "period", PARAM_MAX, &v->period_text);
    rc |= api_query_text(c, "scope", PARAM_MAX, &v->scope_text);
    rc |= api_query_text(c, "kpi", PARAM_MAX, &v->kpi_names);
    rc |= api_query_text(c, "by", PARAM_MAX, &by);
    v->by = DIM_NONE;
    if (by && dim_parse(by, &v->by, &why)) {
        api_detail(c, "by", "%s", why.message);
        rc = SD_EINVAL;
    }
    return rc ? SD_EINVAL : 0;
}

static int cards(struct api_call *c, struct kpi_view *v, struct sd_error *err)
{
    const char *field = NULL;
    int rc = kpi_view_prepare(v, &field, err);
    if (rc) {
        api_detail(c, field, "%s", err->message);
        return rc;
    }
    struct json_writer w;
    api_json_begin(c, 200, &w);
    rc = kpi_view_json(v, &w, err);
    if (rc == SD_ENOTFOUND) { /* the scope's value: a bad parameter, not a missing resource */
        api_detail(c, "scope", "%s", err->message);
        rc = SD_EINVAL;
    }
    return rc;
}

int api_kpis_get(struct api_call *c, struct sd_error *err)
{
    struct kpi_view v = {0};
    struct kpi_set set;
    struct kpi_targets targets, mine;
    struct api_engine_use u;
    int rc = read_view(c, &v);
    if (rc)
        return sd_error_set(err, rc, "bad KPI parameters");
    rc = kpi_set_load(c->db, &set, err);
    if (rc)
        return rc;
    rc = kpi_targets_load(c->db, &targets, err);
    if (rc == 0) {
        rc = api_engine_begin(c, &u, err);
        if (rc == 0) {
            if (u.scope)
                rep_targets(c, &targets, &mine);
            v.f = u.f;
            v.set = &set;
            v.targets = u.scope ? &mine : &targets;
            v.rows = u.scope;
            v.today = u.today;
            v.fy_start_month = u.fy_start_month;
            rc = cards(c, &v, err);
            api_engine_end(c, &u);
        }
        kpi_targets_release(&targets);
    }
    kpi_set_release(&set);
    return rc;
}

/* {name}: a KPI of the set, else 404. */
static const struct kpi *named_kpi(struct api_call *c, const struct kpi_set *set,
                                   struct sd_error *err)
{
    size_t len = 0;
    const char *raw = http_path_param(&c->params, "name", &len);
    const char *name = raw ? arena_strndup(c->req->arena, raw, len) : "";
    const struct kpi *k = kpi_find(set, name);
    if (!k)
        sd_error_set(err, SD_ENOTFOUND, "no KPI '%s'", name);
    return k;
}

static void targets_json(struct api_call *c, const struct kpi *k, const struct kpi_targets *t)
{
    struct json_writer w;
    api_json_begin(c, 200, &w);
    json_object_begin(&w);
    json_kv_string(&w, "kpi", k->name);
    json_key(&w, "items");
    json_array_begin(&w);
    for (size_t i = 0; i < t->n_explicit; i++) {
        if (strcmp(t->explicit_targets[i].kpi_name, k->name) == 0)
            store_kpi_target_json(&w, &t->explicit_targets[i], 0);
    }
    for (size_t i = 0; i < t->n_quotas; i++) {
        if (strcmp(t->quotas[i].kpi_name, k->name) == 0)
            store_kpi_target_json(&w, &t->quotas[i], 1);
    }
    json_array_end(&w);
    json_object_end(&w);
}

int api_kpi_targets_get(struct api_call *c, struct sd_error *err)
{
    struct kpi_set set;
    struct kpi_targets targets, mine;
    int rc = kpi_set_load(c->db, &set, err);
    if (rc)
        return rc;
    const struct kpi *k = named_kpi(c, &set, err);
    rc = k ? kpi_targets_load(c->db, &targets, err) : SD_ENOTFOUND;
    if (rc == 0) {
        if (c->scope_rep_id)
            rep_targets(c, &targets, &mine);
        targets_json(c, k, c->scope_rep_id ? &mine : &targets);
        kpi_targets_release(&targets);
    }
    kpi_set_release(&set);
    return rc;
}

/* A body field that is a decimal number within [min, max] (×10^4); `def` when absent. */
static int body_decimal(struct api_call *c, const char *key, int64_t min, int64_t max,
                        int64_t def, int64_t *out)
{
    const struct jval *v = jval_get(c->body, key);
    struct sd_error why = {0};
    *out = def;
    if (!v && def != MONEY_NONE)
        return 0;
    if (!v || v->type != JVAL_NUMBER || money_parse(v->text, v->len, out, &why) ||
        *out < min || *out > max) {
        char lo[MONEY_TEXT_MAX], hi[MONEY_TEXT_MAX];
        money_format(min, lo);
        money_format(max, hi);
        api_detail(c, key, "%s a decimal number from %s to %s (at most 4 decimals)",
                   v ? "must be" : "is required:", lo, hi);
        return SD_EINVAL;
    }
    return 0;
}

struct target_put {
    const struct kpi_set *set;
    const struct kpi *kpi;
    struct kpi_scope scope;
    struct period period;
    int64_t value, green_at, amber_at;
    int64_t id;
    enum store_write result;
};

static int read_target_body(struct api_call *c, struct target_put *p, int fy_start_month)
{
    static const char *const fields[] = {"period", "scope",        "target",
                                         "green_at_pct", "amber_at_pct", NULL};
    struct sd_error why = {0};
    int bad = api_body_fields(c, fields) != 0;
    const char *period = api_body_string(c, "period", 64, 1);
    const char *scope = api_body_string(c, "scope", PARAM_MAX, 0);
    bad |= !period;
    if (period && period_parse(period, strlen(period), fy_start_month, &p->period, &why)) {
        api_detail(c, "period", "%s", why.message);
        bad = 1;
    }
    p->scope = (struct kpi_scope){DIM_NONE, ""};
    if (scope && kpi_scope_parse(scope, &p->scope, &why)) {
        api_detail(c, "scope", "%s", why.message);
        bad = 1;
    } else if (!scope && jval_get(c->body, "scope") &&
               jval_get(c->body, "scope")->type != JVAL_NULL) {
        bad = 1; /* not a string: api_body_string said so */
    }
    bad |= body_decimal(c, "target", -INT64_MAX / 2, INT64_MAX / 2, MONEY_NONE, &p->value) != 0;
    /* Thresholds: percentages of the expected value, stored as millionths (= percent × 10^4). */
    bad |= body_decimal(c, "green_at_pct", 0, 100000000, 1000000, &p->green_at) != 0;
    bad |= body_decimal(c, "amber_at_pct", 0, 100000000, 900000, &p->amber_at) != 0;
    if (!bad && p->amber_at > p->green_at) {
        api_detail(c, "amber_at_pct", "must not be above green_at_pct");
        bad = 1;
    }
    return bad ? SD_EINVAL : 0;
}

static int put_target(struct api_call *c, void *ctx, struct sd_error *err)
{
    struct target_put *p = ctx;
    struct desk_actor actor = {.user_id = c->who.user_id, .name = api_actor_name(c)};
    return desk_kpi_target_set(c->db, &actor, p->set, p->kpi->name, &p->scope, &p->period,
                               p->value, p->green_at, p->amber_at, &p->result, &p->id, err);
}

int api_kpi_targets_put(struct api_call *c, struct sd_error *err)
{
    struct kpi_set set;
    struct target_put p = {0};
    int rc = kpi_set_load(c->db, &set, err);
    if (rc)
        return rc;
    p.set = &set;
    p.kpi = named_kpi(c, &set, err);
    if (!p.kpi)
        rc = SD_ENOTFOUND;
    else if (read_target_body(c, &p, store_fiscal_start(c->db)))
        rc = sd_error_set(err, SD_EINVAL, "a target needs a period and a target value");
    if (rc == 0)
        rc = api_write(c, put_target, &p, err);
    if (rc == 0) {
        struct kpi_target t = {.kpi_name = p.kpi->name,
                               .scope_kind = kpi_scope_kind(&p.scope),
                               .scope_key = p.scope.key,
                               .target = p.value,
                               .green_at = p.green_at,
                               .amber_at = p.amber_at};
        char text[PERIOD_TEXT_MAX];
        period_format(&p.period, text);
        t.period = text;
        struct json_writer w;
        api_json_begin(c, p.result == STORE_INSERTED ? 201 : 200, &w);
        store_kpi_target_json(&w, &t, 0);
    }
    kpi_set_release(&set);
    return rc;
}
