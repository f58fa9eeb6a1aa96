/* SPDX-License-Identifier: MIT */
/* queue: the pending-order queue (queue.h has the priority formula). */
#include <math.h>
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
    return strcmp(x->diagnosis.order_ext_id, y->diagnosis.order_ext_id);
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

int queue_pending(struct db *db, struct arena *arena, const struct doctor_settings *ds,
                  const struct queue_settings *qs, int32_t today, const struct queue_filter *f,
                  struct queue_item **items, size_t *n, size_t *total, struct sd_error *err)
{
    struct store_doctor_data d;
    struct doctor_diagnosis *dg = NULL;
    size_t n_dg = 0;
    *items = NULL;
    *n = *total = 0;
    int rc = store_doctor_load_open(db, arena, (int)doctor_window_days(ds), &d, err);
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
            if (!order_status_is_open(so->order.status))
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
