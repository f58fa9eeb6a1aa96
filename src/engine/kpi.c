/* SPDX-License-Identifier: MIT */
/*
 * kpi: the built-in KPI table, loading users' definitions, evaluating a
 * formula through one query per period shift, targets, pacing, status and
 * alerts (see kpi.h for the rules).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/money.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "engine/kpi.h"
#include "engine/series.h"
#include "base/banned.h"

static const struct {
    const char *name, *label, *formula;
    enum measure_unit unit;
    int higher_is_better;
} builtins[] = {
    {"revenue", "Revenue", "revenue", UNIT_MONEY, 1},
    {"margin", "Gross margin", "margin", UNIT_MONEY, 1},
    {"margin_pct", "Gross margin %", "margin_pct", UNIT_PERCENT, 1},
    {"orders", "Orders", "orders", UNIT_COUNT, 1},
    {"aov", "Average order value", "aov", UNIT_MONEY, 1},
    {"accounts", "Active accounts", "accounts", UNIT_COUNT, 1},
    {"new_accounts", "New accounts", "new_accounts", UNIT_COUNT, 1},
    {"units", "Units", "units", UNIT_COUNT, 1},
    {"on_time_rate", "On-time ship rate", "on_time_rate", UNIT_PERCENT, 1},
    {"days_to_ship", "Days to ship", "days_to_ship", UNIT_DAYS, 0},
    {"fill_rate", "Fill rate", "fill_rate", UNIT_PERCENT, 1},
    {"return_rate", "Return rate", "return_rate", UNIT_PERCENT, 0},
    {"discount", "Discount given", "discount", UNIT_MONEY, 0},
    {"pipeline", "Open pipeline", "pipeline", UNIT_MONEY, 1},
    {"weighted_pipeline", "Weighted pipeline", "weighted_pipeline", UNIT_MONEY, 1},
    {"win_rate", "Win rate", "win_rate", UNIT_PERCENT, 1},
    {"avg_deal", "Average deal size", "avg_deal", UNIT_MONEY, 1},
    {"sales_cycle", "Sales cycle (days)", "sales_cycle", UNIT_DAYS, 0},
    {"first_response", "First response (hours)", "first_response", UNIT_HOURS, 0},
    {"resolution", "Resolution (hours)", "resolution", UNIT_HOURS, 0},
    {"sla_breach_rate", "SLA breach rate", "sla_breach_rate", UNIT_PERCENT, 0},
    {"receivables", "Receivables", "receivables", UNIT_MONEY, 0},
    {"overdue", "Overdue receivables", "overdue", UNIT_MONEY, 0},
    {"dso", "Days sales outstanding", "dso", UNIT_DAYS, 0},
    {"revenue_growth", "Revenue vs previous period %", "revenue / prev(revenue) * 100 - 100",
     UNIT_PERCENT, 1},
    {"revenue_yoy", "Revenue vs last year %", "revenue / yoy(revenue) * 100 - 100", UNIT_PERCENT,
     1},
};

#define N_BUILTINS (sizeof(builtins) / sizeof(builtins[0]))

const char *kpi_status_name(enum kpi_status s)
{
    static const char *const names[] = {"none", "green", "amber", "red"};
    return names[s];
}

/* Formulas name measures by their table names; a measure's id is its enum value. */
static int parse_formula(const char *text, struct formula **out, struct sd_error *err)
{
    const char *names[MEASURE_COUNT];
    for (int m = 0; m < MEASURE_COUNT; m++)
        names[m] = measure_table[m].name;
    return formula_parse(text, strlen(text), names, MEASURE_COUNT, out, err);
}

static int unit_parse(const char *text, enum measure_unit *out)
{
    for (int u = UNIT_MONEY; u <= UNIT_HOURS; u++) {
        if (text && strcmp(text, measure_unit_name((enum measure_unit)u)) == 0) {
            *out = (enum measure_unit)u;
            return 0;
        }
    }
    return SD_EINVAL;
}

/* Parses the formula and notes whether it is one additive measure (pacing applies). */
static int kpi_compile(struct kpi *k, struct sd_error *err)
{
    int rc = parse_formula(k->formula_text, &k->formula, err);
    if (rc)
        return rc;
    enum measure m;
    k->single_measure = -1;
    if (measure_parse(k->formula_text, &m, NULL) == 0 && measure_is_flow(m))
        k->single_measure = (int)m;
    return 0;
}

static struct kpi *set_push(struct kpi_set *set, size_t *cap)
{
    if (set->n == *cap) {
        *cap = *cap ? *cap * 2 : 32;
        set->items = xreallocarray(set->items, *cap, sizeof(*set->items));
    }
    struct kpi *k = &set->items[set->n++];
    memset(k, 0, sizeof(*k));
    return k;
}

static int load_builtins(struct kpi_set *set, size_t *cap, struct sd_error *err)
{
    for (size_t i = 0; i < N_BUILTINS; i++) {
        struct kpi *k = set_push(set, cap);
        k->name = builtins[i].name;
        k->label = builtins[i].label;
        k->formula_text = builtins[i].formula;
        k->unit = builtins[i].unit;
        k->higher_is_better = builtins[i].higher_is_better;
        k->builtin = 1;
        int rc = kpi_compile(k, err);
        if (rc)
            return rc;
    }
    return 0;
}

/* Adds the stored definitions: ids for built-ins, whole KPIs for users' ones. */
static int load_stored(struct db *db, struct kpi_set *set, size_t *cap, struct sd_error *err)
{
    struct kpi_definition *defs;
    size_t n;
    int rc = store_kpi_definitions(db, &set->arena, &defs, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct kpi *known = (struct kpi *)kpi_find(set, defs[i].name);
        if (known && known->builtin) {
            known->id = defs[i].id;
            continue;
        }
        struct kpi *k = set_push(set, cap);
        k->id = defs[i].id;
        k->name = defs[i].name;
        k->label = defs[i].label;
        k->formula_text = defs[i].formula;
        k->higher_is_better = defs[i].higher_is_better;
        if (unit_parse(defs[i].unit, &k->unit))
            k->unit = UNIT_MONEY;
        rc = kpi_compile(k, err);
        if (rc)
            sd_error_prefix(err, "stored KPI '%s'", defs[i].name);
    }
    return rc;
}

int kpi_set_load(struct db *db, struct kpi_set *out, struct sd_error *err)
{
    size_t cap = 0;
    memset(out, 0, sizeof(*out));
    arena_init(&out->arena, 0);
    int rc = load_builtins(out, &cap, err);
    if (rc == 0 && db)
        rc = load_stored(db, out, &cap, err);
    if (rc)
        kpi_set_release(out);
    return rc;
}

void kpi_set_release(struct kpi_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        formula_free(set->items[i].formula);
    free(set->items);
    arena_release(&set->arena);
    memset(set, 0, sizeof(*set));
}

const struct kpi *kpi_find(const struct kpi_set *set, const char *name)
{
    for (size_t i = 0; i < set->n; i++) {
        if (strcmp(set->items[i].name, name) == 0)
            return &set->items[i];
    }
    return NULL;
}

/* ---- scopes and targets ---- */

int kpi_scope_parse(const char *text, struct kpi_scope *out, struct sd_error *err)
{
    static const enum dim scoped[] = {DIM_REGION, DIM_TEAM, DIM_REP, DIM_CATEGORY};
    *out = (struct kpi_scope){DIM_NONE, ""};
    if (strcmp(text, "company") == 0)
        return 0;
    const char *eq = strchr(text, '=');
    for (size_t i = 0; eq && eq[1] && i < sizeof(scoped) / sizeof(scoped[0]); i++) {
        const char *name = dim_name(scoped[i]);
        if (strlen(name) == (size_t)(eq - text) && strncmp(text, name, strlen(name)) == 0) {
            *out = (struct kpi_scope){scoped[i], eq + 1};
            return 0;
        }
    }
    return sd_error_set(err, SD_EINVAL,
                        "'%s' is not a scope (company, region=R, team=T, rep=R, category=C)",
                        text);
}

const char *kpi_scope_kind(const struct kpi_scope *s)
{
    return s->dim == DIM_NONE ? "company" : dim_name(s->dim);
}

int kpi_targets_load(struct db *db, struct kpi_targets *out, struct sd_error *err)
{
    memset(out, 0, sizeof(*out));
    arena_init(&out->arena, 0);
    int rc = store_kpi_targets(db, &out->arena, 0, &out->explicit_targets, &out->n_explicit, err);
    if (rc == 0)
        rc = store_kpi_targets(db, &out->arena, 1, &out->quotas, &out->n_quotas, err);
    if (rc)
        kpi_targets_release(out);
    return rc;
}

void kpi_targets_release(struct kpi_targets *t)
{
    arena_release(&t->arena);
    memset(t, 0, sizeof(*t));
}

static int target_matches(const struct kpi_target *t, const char *kpi_name,
                          const struct kpi_scope *scope, const struct period *p)
{
    return strcmp(t->kpi_name, kpi_name) == 0 && strcmp(t->scope_kind, kpi_scope_kind(scope)) == 0 &&
           strcmp(t->scope_key, scope->key) == 0 && t->first_day == p->first &&
           t->last_day == p->last;
}

static const struct kpi_target *find_target(const struct kpi_targets *ts, const struct kpi *k,
                                            const struct kpi_scope *scope,
                                            const struct period *p, const char **source)
{
    for (size_t i = 0; ts && i < ts->n_explicit; i++) {
        if (target_matches(&ts->explicit_targets[i], k->name, scope, p)) {
            *source = "target";
            return &ts->explicit_targets[i];
        }
    }
    for (size_t i = 0; ts && i < ts->n_quotas; i++) {
        if (target_matches(&ts->quotas[i], k->name, scope, p)) {
            *source = "quota";
            return &ts->quotas[i];
        }
    }
    return NULL;
}

/* ---- evaluation ---- */

/* Every measure over one window of days, per dimension value, computed once. */
struct window {
    int32_t from, to;
    int64_t *values; /* nkeys × MEASURE_COUNT */
};

#define MAX_WINDOWS 32

struct eval {
    const struct facts *f;
    const struct period *period;
    int32_t today;
    struct query_filter filter;
    const char *filter_value;
    int scoped;
    enum dim by;     /* DIM_NONE: one scope */
    uint32_t nkeys;  /* values of `by` (1 when none) */
    uint32_t key;    /* the value being evaluated */
    uint32_t measures; /* every measure any KPI needs */
    struct window windows[MAX_WINDOWS];
    size_t nwindows;
    int64_t target;  /* of the KPI being evaluated; QUERY_NONE when none */
    const struct query_rows *rows;
};

static void eval_release(struct eval *e)
{
    for (size_t i = 0; i < e->nwindows; i++)
        free(e->windows[i].values);
    free(e);
}

/* The window of P shifted back: whole, or cut to as many days as P has had so far. */
static void shifted_window(const struct eval *e, struct formula_shift s, int32_t *from,
                           int32_t *to)
{
    struct period p = *e->period;
    for (int i = 0; i < s.prev; i++)
        p = period_prev(&p);
    for (int i = 0; i < s.years; i++)
        p = period_last_year(&p);
    int32_t elapsed = e->today - e->period->first; /* days done before today */
    *from = p.first;
    *to = p.last;
    if (e->today < e->period->last && e->today >= e->period->first && p.first + elapsed < p.last)
        *to = p.first + elapsed;
}

static int run_window(struct eval *e, struct window *w, struct sd_error *err)
{
    struct query q = {
        .measures = e->measures,
        .by = {e->by, DIM_NONE},
        .from = w->from,
        .to = w->to,
        .where = e->scoped ? &e->filter : NULL,
        .nwhere = e->scoped ? 1 : 0,
        .rows = e->rows,
    };
    struct query_result r;
    int rc = query_run(e->f, &q, &r, err);
    if (rc)
        return rc;
    w->values = xmalloc((size_t)e->nkeys * MEASURE_COUNT * sizeof(*w->values));
    for (uint32_t k = 0; k < e->nkeys; k++) {
        for (int m = 0; m < MEASURE_COUNT; m++)
            w->values[(size_t)k * MEASURE_COUNT + m] =
                measure_is_additive((enum measure)m) ? 0 : QUERY_NONE;
    }
    for (size_t i = 0; i < r.n; i++)
        memcpy(&w->values[(size_t)r.rows[i].key[0] * MEASURE_COUNT], r.rows[i].value,
               sizeof(r.rows[i].value));
    query_result_release(&r);
    return 0;
}

/* The values of window from..to for the current key (computed on first use). */
static const int64_t *window_get(struct eval *e, int32_t from, int32_t to, struct sd_error *err,
                                 int *rc)
{
    struct window *w = NULL;
    for (size_t i = 0; i < e->nwindows && !w; i++) {
        if (e->windows[i].from == from && e->windows[i].to == to)
            w = &e->windows[i];
    }
    if (!w) {
        if (e->nwindows == MAX_WINDOWS) {
            *rc = sd_error_set(err, SD_ELIMIT, "KPI formulas look at more than %d periods",
                               MAX_WINDOWS);
            return NULL;
        }
        w = &e->windows[e->nwindows];
        *w = (struct window){from, to, NULL};
        *rc = run_window(e, w, err);
        if (*rc)
            return NULL;
        e->nwindows++;
    }
    return &w->values[(size_t)e->key * MEASURE_COUNT];
}

static int value_cb(void *ctx, int measure, struct formula_shift shift, int64_t *value,
                    struct sd_error *err)
{
    struct eval *e = ctx;
    if (measure == FORMULA_TARGET) {
        *value = e->target == QUERY_NONE ? FORMULA_NONE : e->target;
        return 0;
    }
    int rc = 0;
    int32_t from, to;
    shifted_window(e, shift, &from, &to);
    const int64_t *v = window_get(e, from, to, err, &rc);
    if (!v)
        return rc;
    *value = v[measure] == QUERY_NONE ? FORMULA_NONE : v[measure];
    return 0;
}

static int64_t scale(int64_t v, __int128 num, __int128 den)
{
    if (v == QUERY_NONE || den == 0)
        return QUERY_NONE;
    __int128 x = (__int128)v * num;
    __int128 mag = x < 0 ? -x : x;
    __int128 q = (mag * 2 + den) / (den * 2);
    q = x < 0 ? -q : q;
    return q > INT64_MAX || q < -INT64_MAX ? QUERY_NONE : (int64_t)q;
}

/* Expected-by-today and projection for an additive single-measure KPI in a running period. */
static int pace_running(struct eval *e, struct kpi_card *c, struct sd_error *err)
{
    const struct kpi *k = c->kpi;
    struct period ly = period_last_year(e->period);
    int32_t part_end = ly.first + c->days_elapsed - 1;
    int rc = 0;
    const int64_t *full = window_get(e, ly.first, ly.last, err, &rc);
    const int64_t *part = full ? window_get(e, ly.first, part_end < ly.last ? part_end : ly.last,
                                            err, &rc)
                               : NULL;
    if (!part)
        return rc;
    int64_t ly_part = part[k->single_measure], ly_full = full[k->single_measure];
    if (ly_full > 0 && ly_part > 0) {
        c->pace = "seasonal";
        c->expected = c->has_target ? scale(c->target, ly_part, ly_full) : QUERY_NONE;
        c->projected = scale(c->value, ly_full, ly_part);
    } else {
        c->pace = "linear";
        c->expected = c->has_target ? scale(c->target, c->days_elapsed, c->days_total)
                                    : QUERY_NONE;
        c->projected = scale(c->value, c->days_total, c->days_elapsed);
    }
    return 0;
}

static void set_status(struct kpi_card *c)
{
    c->status = KPI_NO_STATUS;
    c->attainment = QUERY_NONE;
    if (!c->has_target || c->value == QUERY_NONE || c->expected == QUERY_NONE ||
        c->days_elapsed == 0)
        return;
    int64_t num = c->kpi->higher_is_better ? c->value : c->expected;
    int64_t den = c->kpi->higher_is_better ? c->expected : c->value;
    int64_t millionths;
    if (den <= 0) {
        /* Nothing expected yet, or nothing to beat: met when at least as good. */
        millionths = num >= den ? c->green_at : 0;
    } else {
        millionths = scale(num, 1000000, den);
        c->attainment = millionths; /* percent × 10^4 is the same number as millionths */
    }
    c->status = millionths >= c->green_at   ? KPI_GREEN
                : millionths >= c->amber_at ? KPI_AMBER
                                            : KPI_RED;
}

static int card(struct eval *e, const struct kpi *k, const struct kpi_targets *targets,
                const struct kpi_scope *scope, struct kpi_card *c, struct sd_error *err)
{
    memset(c, 0, sizeof(*c));
    const struct kpi_target *t = find_target(targets, k, scope, e->period, &c->target_source);
    c->kpi = k;
    c->has_target = t != NULL;
    c->target = t ? t->target : QUERY_NONE;
    c->green_at = t ? t->green_at : 0;
    c->amber_at = t ? t->amber_at : 0;
    c->days_total = e->period->last - e->period->first + 1;
    c->days_elapsed = e->today < e->period->first  ? 0
                      : e->today >= e->period->last ? c->days_total
                                                    : e->today - e->period->first + 1;
    e->target = c->target;
    int rc = formula_eval(k->formula, value_cb, e, &c->value, err);
    if (rc) {
        sd_error_prefix(err, "KPI '%s'", k->name);
        return rc;
    }
    c->value = c->value == FORMULA_NONE ? QUERY_NONE : c->value;
    c->expected = c->target;
    c->projected = c->days_elapsed == c->days_total ? c->value : QUERY_NONE;
    if (c->days_elapsed == 0)
        c->pace = "not started";
    else if (c->days_elapsed == c->days_total)
        c->pace = "closed";
    else if (k->single_measure >= 0)
        rc = pace_running(e, c, err);
    else
        c->pace = "level";
    if (rc == 0)
        set_status(c);
    return rc;
}

static struct eval *eval_new(const struct facts *f, const struct kpi_set *set,
                             const struct period *period, int32_t today,
                             const struct query_rows *rows)
{
    struct eval *e = xcalloc(1, sizeof(*e));
    e->f = f;
    e->rows = rows;
    e->period = period;
    e->today = today;
    e->nkeys = 1;
    for (size_t i = 0; i < set->n; i++) {
        size_t n;
        const struct formula_need *needs = formula_needs(set->items[i].formula, &n);
        for (size_t j = 0; j < n; j++) {
            if (needs[j].measure >= 0)
                e->measures |= 1u << needs[j].measure;
        }
    }
    return e;
}

int kpi_evaluate(const struct facts *f, const struct kpi_set *set,
                 const struct kpi_targets *targets, const struct period *period, int32_t today,
                 const struct kpi_scope *scope, const struct query_rows *rows,
                 struct kpi_card *cards, struct sd_error *err)
{
    struct eval *e = eval_new(f, set, period, today, rows);
    uint32_t key;
    e->scoped = scope->dim != DIM_NONE;
    e->filter_value = scope->key;
    e->filter = (struct query_filter){scope->dim, &e->filter_value, 1};
    int rc = e->scoped ? facts_dim_find(f, scope->dim, scope->key, &key, err) : 0;
    for (size_t i = 0; rc == 0 && i < set->n; i++)
        rc = card(e, &set->items[i], targets, scope, &cards[i], err);
    eval_release(e);
    return rc;
}

/* 1 when a target of any KPI names this scope value for the period. */
static int has_targets(const struct kpi_targets *ts, enum dim by, const char *key,
                       const struct period *p)
{
    const struct kpi_target *lists[2] = {ts ? ts->explicit_targets : NULL, ts ? ts->quotas : NULL};
    size_t counts[2] = {ts ? ts->n_explicit : 0, ts ? ts->n_quotas : 0};
    for (int l = 0; l < 2; l++) {
        for (size_t i = 0; i < counts[l]; i++) {
            const struct kpi_target *t = &lists[l][i];
            if (strcmp(t->scope_kind, dim_name(by)) == 0 && strcmp(t->scope_key, key) == 0 &&
                t->first_day == p->first && t->last_day == p->last)
                return 1;
        }
    }
    return 0;
}

int kpi_evaluate_by(const struct facts *f, const struct kpi_set *set,
                    const struct kpi_targets *targets, const struct period *period,
                    int32_t today, enum dim by, const struct query_rows *rows,
                    struct kpi_row_set *out, struct sd_error *err)
{
    struct eval *e = eval_new(f, set, period, today, rows);
    int rc = 0;
    memset(out, 0, sizeof(*out));
    e->by = by;
    e->nkeys = facts_dim_count(f, by);
    e->measures |= 1u << MEASURE_LINES;
    const int64_t *here = window_get(e, period->first, period->last, err, &rc);
    uint32_t *order = facts_dim_sorted(f, by);
    out->keys = xmalloc(e->nkeys * sizeof(*out->keys));
    out->cards = xmalloc((size_t)e->nkeys * set->n * sizeof(*out->cards));
    for (uint32_t i = 0; here && rc == 0 && i < e->nkeys; i++) {
        uint32_t k = order[i];
        const char *text = facts_dim_key(f, by, k);
        struct kpi_scope scope = {by, text};
        int seen = e->windows[0].values[(size_t)k * MEASURE_COUNT + MEASURE_LINES] > 0;
        if ((!seen && !has_targets(targets, by, text, period)) || !query_rows_names(rows, by, k))
            continue;
        e->key = k;
        for (size_t j = 0; rc == 0 && j < set->n; j++)
            rc = card(e, &set->items[j], targets, &scope, &out->cards[out->n * set->n + j], err);
        out->keys[out->n++] = k;
    }
    free(order);
    eval_release(e);
    if (rc)
        kpi_row_set_release(out);
    return rc;
}

void kpi_row_set_release(struct kpi_row_set *r)
{
    free(r->keys);
    free(r->cards);
    memset(r, 0, sizeof(*r));
}

/* ---- writing definitions and targets ---- */

static int name_ok(const char *name)
{
    if (!(name[0] >= 'a' && name[0] <= 'z') || strlen(name) > 64)
        return 0;
    for (const char *p = name; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    }
    return 1;
}

int kpi_define(struct db *db, const char *name, const char *label, const char *formula,
               enum measure_unit unit, int higher_is_better, enum store_write *result,
               struct sd_error *err)
{
    struct formula *parsed = NULL;
    if (!name_ok(name))
        return sd_error_set(err, SD_EINVAL,
                            "KPI name '%s': lower-case letters, digits and _, starting with a "
                            "letter, at most 64",
                            name);
    for (size_t i = 0; i < N_BUILTINS; i++) {
        if (strcmp(builtins[i].name, name) == 0)
            return sd_error_set(err, SD_EINVAL, "'%s' is a built-in KPI", name);
    }
    int rc = parse_formula(formula, &parsed, err);
    formula_free(parsed);
    if (rc)
        return rc;
    struct kpi_definition d = {
        .name = name,
        .label = label && *label ? label : name,
        .formula = formula,
        .unit = measure_unit_name(unit),
        .higher_is_better = higher_is_better,
    };
    return store_kpi_define(db, &d, result, err);
}

/* The stored id of a KPI, storing a built-in's definition row when it has none yet. */
static int kpi_row(struct db *db, const struct kpi *k, int64_t *id, struct sd_error *err)
{
    enum store_write w;
    if (k->id) {
        *id = k->id;
        return 0;
    }
    struct kpi_definition d = {
        .name = k->name,
        .label = k->label,
        .formula = k->formula_text,
        .unit = measure_unit_name(k->unit),
        .higher_is_better = k->higher_is_better,
        .builtin = k->builtin,
    };
    int rc = store_kpi_define(db, &d, &w, err);
    *id = d.id;
    return rc;
}

int kpi_target_set(struct db *db, const struct kpi_set *set, const char *name,
                   const struct kpi_scope *scope, const struct period *period, int64_t value,
                   int64_t green_at, int64_t amber_at, enum store_write *result,
                   int64_t *target_id, struct sd_error *err)
{
    char text[PERIOD_TEXT_MAX];
    const struct kpi *k = kpi_find(set, name);
    if (!k)
        return sd_error_set(err, SD_ENOTFOUND, "no KPI '%s' (salesdesk kpi --list shows them)",
                            name);
    period_format(period, text);
    struct kpi_target t = {
        .scope_kind = kpi_scope_kind(scope),
        .scope_key = scope->key,
        .period = text,
        .first_day = period->first,
        .last_day = period->last,
        .target = value,
        .green_at = green_at,
        .amber_at = amber_at,
    };
    int rc = kpi_row(db, k, &t.kpi_id, err);
    if (rc == 0)
        rc = store_kpi_target_set(db, &t, result, err);
    if (rc == 0 && target_id)
        *target_id = t.id;
    return rc;
}

/* ---- alerts ---- */

/* Periods that ended longer ago than this are history: they raise no alert. */
#define KPI_ALERT_LOOKBACK_DAYS 31

static void alert_message(const struct kpi_card *c, const struct kpi_target *t, char *buf,
                          size_t size)
{
    char value[MONEY_TEXT_MAX], expected[MONEY_TEXT_MAX], target[MONEY_TEXT_MAX];
    char att[MONEY_TEXT_MAX] = "-";
    money_format(c->value == QUERY_NONE ? 0 : c->value, value);
    money_format(c->expected == QUERY_NONE ? 0 : c->expected, expected);
    money_format(c->target, target);
    if (c->attainment != QUERY_NONE)
        money_format_fixed(c->attainment, 1, att);
    snprintf(buf, size, "%s %s%s%s in %s is %s: %s against %s expected (%s%% of pace, %s; target %s)",
             c->kpi->name, t->scope_kind, *t->scope_key ? " " : "", t->scope_key, t->period,
             kpi_status_name(c->status), value, expected, att, c->pace, target);
}

static int check_one(struct db *db, const struct facts *f, const struct kpi_set *set,
                     const struct kpi_targets *all, const struct kpi_target *t, int32_t today,
                     int fy_start_month, int64_t now_ms, int *raised, struct sd_error *err)
{
    struct period p;
    struct kpi_scope scope = {DIM_NONE, t->scope_key};
    const struct kpi *k = kpi_find(set, t->kpi_name);
    if (!k || t->first_day > today || t->last_day < today - KPI_ALERT_LOOKBACK_DAYS ||
        period_parse(t->period, strlen(t->period), fy_start_month, &p, NULL) ||
        (strcmp(t->scope_kind, "company") != 0 && dim_parse(t->scope_kind, &scope.dim, NULL)))
        return 0; /* a KPI removed, a period not begun, or a scope this binary does not know */
    struct kpi_set one = {(struct kpi *)k, 1, set->arena};
    struct kpi_card c;
    int rc = kpi_evaluate(f, &one, all, &p, today, &scope, NULL, &c, err);
    if (rc == SD_ENOTFOUND)
        return 0; /* the scope's rep, team... has no facts */
    if (rc || (c.status != KPI_AMBER && c.status != KPI_RED))
        return rc;
    char message[512];
    int64_t id;
    alert_message(&c, t, message, sizeof(message));
    rc = kpi_row(db, k, &id, err);
    struct kpi_alert a = {
        .kpi_id = id,
        .scope_kind = t->scope_kind,
        .scope_key = t->scope_key,
        .period = t->period,
        .level = kpi_status_name(c.status),
        .message = message,
        .value = c.value,
        .target = c.target,
        .expected = c.expected,
        .raised_at = now_ms,
    };
    int new_alert = 0;
    if (rc == 0)
        rc = store_kpi_alert_raise(db, &a, &new_alert, err);
    *raised += new_alert;
    return rc;
}

int kpi_check_alerts(struct db *db, const struct facts *f, const struct kpi_set *set,
                     int32_t today, int fy_start_month, int64_t now_ms, int *raised,
                     struct sd_error *err)
{
    struct kpi_targets all;
    *raised = 0;
    int rc = kpi_targets_load(db, &all, err);
    for (size_t i = 0; rc == 0 && i < all.n_explicit; i++)
        rc = check_one(db, f, set, &all, &all.explicit_targets[i], today, fy_start_month, now_ms,
                       raised, err);
    for (size_t i = 0; rc == 0 && i < all.n_quotas; i++)
        rc = check_one(db, f, set, &all, &all.quotas[i], today, fy_start_month, now_ms, raised,
                       err);
    kpi_targets_release(&all);
    return rc;
}
