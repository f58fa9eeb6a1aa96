/* SPDX-License-Identifier: MIT */
/* queue: the pending-order queue (queue.h has the priority formula). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "desk/queue.h"
#include "store/store.h"
#include "base/banned.h"

#define TIER_POINTS_MAX 10
#define VALUE_POINTS_MAX 20

static int tiers_error(struct sd_error *err, const char *item, size_t len)
{
    return sd_error_set(err, SD_EINVAL,
                        "setting queue.tiers: '%.*s' is not SEGMENT=POINTS with points 0 to %d",
                        (int)len, item, TIER_POINTS_MAX);
}

int queue_tiers_parse(struct arena *arena, const char *text, struct queue_settings *out,
                      struct sd_error *err)
{
    out->n_tiers = 0;
    for (const char *p = text; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (!eq || eq == p || eq == p + len - 1)
            return tiers_error(err, p, len);
        int points = 0;
        for (const char *d = eq + 1; d < p + len; d++) {
            if (*d < '0' || *d > '9' || (points = points * 10 + (*d - '0')) > TIER_POINTS_MAX)
                return tiers_error(err, p, len);
        }
        if (out->n_tiers == QUEUE_TIERS_MAX)
            return sd_error_set(err, SD_EINVAL, "setting queue.tiers: more than %d segments",
                                QUEUE_TIERS_MAX);
        struct queue_tier *t = &out->tiers[out->n_tiers++];
        t->segment = arena_strndup(arena, p, (size_t)(eq - p));
        if (!t->segment)
            abort(); /* settings are read with unbounded arenas */
        t->points = points;
        p = end ? end + 1 : p + len;
    }
    return 0;
}

int queue_settings_load(struct db *db, struct arena *arena, struct queue_settings *out,
                        struct sd_error *err)
{
    const char *value = NULL;
    int rc = store_setting_get(db, arena, "queue.tiers", &value, err);
    return rc ? rc : queue_tiers_parse(arena, value ? value : QUEUE_TIERS_DEFAULT, out, err);
}

/* Thresholds of the value points, in 1/10000: 10^(2 + k/5) rounded to the cent. */
static int64_t value_threshold(int k)
{
    return (int64_t)llround(pow(10.0, 2.0 + k / 5.0) * 100.0) * 100;
}

int queue_value_points(int64_t net)
{
    int points = 0;
    for (int k = 1; k <= VALUE_POINTS_MAX; k++)
        if (net >= value_threshold(k))
            points = k;
    return points;
}

static int clamp(int64_t v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : (int)v;
}

static int tier_points(const struct queue_settings *qs, const char *segment)
{
    if (!segment)
        return 0;
    for (size_t i = 0; i < qs->n_tiers; i++)
        if (strcmp(qs->tiers[i].segment, segment) == 0)
            return qs->tiers[i].points;
    return 0;
}

static int text_is(const char *value, const char *wanted)
{
    return !wanted || (value && strcmp(value, wanted) == 0);
}

static int has_code(const struct doctor_diagnosis *dg, const char *code)
{
    if (!code)
        return 1;
    for (size_t i = 0; i < dg->n_findings; i++)
        if (strcmp(dg->findings[i].rule->code, code) == 0)
            return 1;
    return 0;
}

static void score(struct queue_item *it, const struct queue_settings *qs, int32_t today)
{
    static const int verdict_points[] = {[DOCTOR_BLOCKED] = 40, [DOCTOR_AT_RISK] = 20,
                                         [DOCTOR_OK] = 0};
    it->age_days = today - it->order_date;
    it->verdict_points = verdict_points[it->diagnosis.verdict];
    if (it->due != DATE_NONE) {
        it->days_left = it->due - today;
        it->date_points = clamp(20 - 2 * (int64_t)it->days_left, 0, 30);
    } else {
        it->days_left = 0;
        it->date_points = clamp((int64_t)it->age_days - 14, 0, 20);
    }
    it->value_points = queue_value_points(it->diagnosis.net);
    it->tier_points = tier_points(qs, it->tier);
    it->score = it->verdict_points + it->date_points + it->value_points + it->tier_points;
}

static int cmp_item(const void *a, const void *b)
{
    const struct queue_item *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    int xd = x->due != DATE_NONE, yd = y->due != DATE_NONE;
    if (xd != yd)
        return xd ? -1 : 1;
    if (xd && x->days_left != y->days_left)
        return x->days_left < y->days_left ? -1 : 1;
    if (x->order_date != y->order_date)
        return x->order_date < y->order_date ? -1 : 1;
    int c = strcmp(x->diagnosis.order_ext_id, y->diagnosis.order_ext_id);
    if (c)
        return c;
    return x->order_id < y->order_id ? -1 : x->order_id > y->order_id;
}

/* Fills one item from its order and context; 1 when it passes the filter. */
static int fill(struct queue_item *it, const struct store_doctor_data *d,
                const struct store_doctor_order *so, const struct doctor_diagnosis *dg,
                const struct queue_settings *qs, int32_t today, const struct queue_filter *f)
{
    const struct order *o = &so->order;
    size_t ai = store_doctor_find(d->accounts, d->n_accounts, sizeof(*d->accounts), o->account_id);
    const struct store_doctor_account *a = ai == SIZE_MAX ? NULL : &d->accounts[ai];
    size_t ri = o->rep_id ? store_doctor_find(d->reps, d->n_reps, sizeof(*d->reps), o->rep_id)
                         : SIZE_MAX;
    const struct store_doctor_rep *r = ri == SIZE_MAX ? NULL : &d->reps[ri];
    memset(it, 0, sizeof(*it));
    it->diagnosis = *dg;
    it->order_id = o->id;
    it->top = dg->n_findings ? &dg->findings[0] : NULL;
    it->currency = o->currency;
    if (a) {
        it->account_ext_id = a->ext_id;
        it->account_name = a->name;
        it->tier = a->segment;
        it->region = a->region;
    }
    if (r) {
        it->rep_ext_id = r->ext_id;
        it->rep_name = r->name;
        it->team_ext_id = r->team_ext_id;
        it->team_name = r->team_name;
    }
    it->order_date = o->order_date;
    it->due = o->promised_date != DATE_NONE    ? o->promised_date
              : o->requested_date != DATE_NONE ? o->requested_date
                                               : DATE_NONE;
    score(it, qs, today);
    return text_is(it->team_ext_id, f->team) && text_is(it->rep_ext_id, f->rep) &&
           text_is(it->region, f->region) && has_code(dg, f->code) &&
           (f->verdict < 0 || (int)dg->verdict == f->verdict);
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* 1 when the order is in the rep's scope (or there is no scope). */
static int in_scope(const int64_t *ids, size_t n, int64_t scope_rep_id, int64_t order_id)
{
    return !scope_rep_id || (n && bsearch(&order_id, ids, n, sizeof(*ids), cmp_id));
}

int queue_pending(struct db *db, struct arena *arena, const struct doctor_settings *ds,
                  const struct queue_settings *qs, int32_t today, const struct queue_filter *f,
                  struct queue_item **items, size_t *n, size_t *total, struct sd_error *err)
{
    struct store_doctor_data d;
    struct doctor_diagnosis *dg = NULL;
    size_t n_dg = 0, n_scope = 0;
    int64_t *scope = NULL;
    *items = NULL;
    *n = *total = 0;
    /* A rep's queue: the orders the store's one visibility rule lets them see. */
    int rc = f->scope_rep_id
                 ? store_rep_open_orders(db, arena, f->scope_rep_id, &scope, &n_scope, err)
                 : 0;
    if (rc == 0)
        rc = store_doctor_load_open(db, arena, (int)doctor_window_days(ds), &d, err);
    if (rc)
        return rc;
    rc = doctor_diagnose_loaded(arena, ds, &d, today, &dg, &n_dg, err);
    if (rc == 0) {
        *items = arena_alloc(arena, (n_dg ? n_dg : 1) * sizeof(**items));
        size_t k = 0;
        for (size_t i = 0; i < d.n_orders; i++) {
            const struct store_doctor_order *so = &d.orders[i];
            if (!so->subject)
                continue;
            const struct doctor_diagnosis *one = &dg[k++];
            if (!order_status_is_open(so->order.status) ||
                !in_scope(scope, n_scope, f->scope_rep_id, so->order.id))
                continue; /* shipped: the doctor's batch has it, the queue does not */
            (*total)++;
            if (fill(&(*items)[*n], &d, so, one, qs, today, f))
                (*n)++;
        }
        qsort(*items, *n, sizeof(**items), cmp_item);
    }
    store_doctor_release(&d);
    return rc;
}

/* ---- cursors ---- */

const char *queue_item_key(struct arena *arena, const struct queue_item *it)
{
    const char *ext = it->diagnosis.order_ext_id ? it->diagnosis.order_ext_id : "";
    size_t size = strlen(ext) + 96;
    char *key = arena_alloc(arena, size);
    if (!key)
        abort(); /* the key is small; request arenas have room for it */
    snprintf(key, size, "%d|%d|%d|%d|%lld|%s", it->score, it->due != DATE_NONE,
             it->due != DATE_NONE ? it->days_left : 0, it->order_date, (long long)it->order_id,
             ext);
    return key;
}

/* A decimal integer in [min, max] up to the next '|'; advances *p past it. */
static int key_field(const char **p, int64_t min, int64_t max, int64_t *out)
{
    const char *s = *p;
    int negative = *s == '-';
    int64_t v = 0;
    s += negative;
    if (*s < '0' || *s > '9')
        return SD_EINVAL;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (INT64_MAX - 9) / 10)
            return SD_EINVAL;
        v = v * 10 + (*s - '0');
    }
    v = negative ? -v : v;
    if (*s != '|' || v < min || v > max)
        return SD_EINVAL;
    *out = v;
    *p = s + 1;
    return 0;
}

int queue_after_key(const struct queue_item *items, size_t n, const char *key, size_t *first)
{
    struct queue_item k;
    int64_t v[5];
    static const int64_t lo[5] = {0, 0, INT32_MIN, INT32_MIN, 1};
    static const int64_t hi[5] = {1000, 1, INT32_MAX, INT32_MAX, INT64_MAX};
    const char *p = key;
    for (int i = 0; i < 5; i++)
        if (key_field(&p, lo[i], hi[i], &v[i]))
            return SD_EINVAL;
    memset(&k, 0, sizeof(k));
    k.score = (int)v[0];
    k.due = v[1] ? 0 : DATE_NONE;
    k.days_left = (int32_t)v[2];
    k.order_date = (int32_t)v[3];
    k.order_id = v[4];
    k.diagnosis.order_ext_id = p;
    size_t lo_i = 0, hi_i = n; /* the first item that sorts after k */
    while (lo_i < hi_i) {
        size_t mid = lo_i + (hi_i - lo_i) / 2;
        if (cmp_item(&items[mid], &k) <= 0)
            lo_i = mid + 1;
        else
            hi_i = mid;
    }
    *first = lo_i;
    return 0;
}

/* ---- JSON (salesdesk queue pending --json, GET /api/v1/queue/pending) ---- */

void queue_item_json(struct json_writer *w, const struct queue_item *it)
{
    json_object_begin(w);
    json_kv_string(w, "order", it->diagnosis.order_ext_id);
    json_kv_string(w, "status", order_status_name(it->diagnosis.status));
    json_kv_int(w, "score", it->score);
    json_key(w, "score_parts");
    json_object_begin(w);
    json_kv_int(w, "verdict", it->verdict_points);
    json_kv_int(w, "date", it->date_points);
    json_kv_int(w, "value", it->value_points);
    json_kv_int(w, "tier", it->tier_points);
    json_object_end(w);
    json_kv_string(w, "verdict", doctor_verdict_name(it->diagnosis.verdict));
    json_kv_string(w, "account", it->account_ext_id);
    json_kv_string(w, "account_name", it->account_name);
    json_kv_string(w, "tier", it->tier);
    json_kv_string(w, "region", it->region);
    json_kv_string(w, "rep", it->rep_ext_id);
    json_kv_string(w, "rep_name", it->rep_name);
    json_kv_string(w, "team", it->team_ext_id);
    json_kv_string(w, "team_name", it->team_name);
    json_kv_date(w, "order_date", it->order_date);
    json_kv_int(w, "age_days", it->age_days);
    json_kv_date(w, "due", it->due);
    json_kv_int(w, "days_left", it->due == DATE_NONE ? INT_NONE : it->days_left);
    json_kv_money(w, "value", it->diagnosis.net);
    json_kv_string(w, "currency", it->currency);
    json_key(w, "top_finding");
    if (it->top) {
        json_object_begin(w);
        json_kv_string(w, "code", it->top->rule->code);
        json_kv_string(w, "severity", doctor_severity_name(it->top->rule->severity));
        json_kv_string(w, "owner", doctor_owner_name(it->top->rule->owner));
        json_kv_string(w, "message", it->top->message);
        json_kv_string(w, "action", it->top->rule->action);
        json_object_end(w);
    } else {
        json_null(w);
    }
    json_key(w, "codes"); /* every rule that found something, in the findings' order */
    json_array_begin(w);
    for (size_t k = 0; k < it->diagnosis.n_findings; k++)
        if (k == 0 || it->diagnosis.findings[k].rule != it->diagnosis.findings[k - 1].rule)
            json_string(w, it->diagnosis.findings[k].rule->code);
    json_array_end(w);
    json_object_end(w);
}

void queue_summary_json(struct json_writer *w, const struct queue_item *items, size_t n,
                        size_t total, int32_t today)
{
    size_t counts[3] = {0, 0, 0};
    for (size_t i = 0; i < n; i++)
        counts[items[i].diagnosis.verdict]++;
    json_kv_date(w, "today", today);
    json_kv_int(w, "pending", (int64_t)total);
    json_kv_int(w, "matching", (int64_t)n);
    json_kv_int(w, "blocked", (int64_t)counts[DOCTOR_BLOCKED]);
    json_kv_int(w, "at_risk", (int64_t)counts[DOCTOR_AT_RISK]);
    json_kv_int(w, "ok", (int64_t)counts[DOCTOR_OK]);
}
