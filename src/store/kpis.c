/* SPDX-License-Identifier: MIT */
/*
 * kpis: KPI definitions, their targets per scope and period, quotas read as
 * revenue targets, and the alerts raised when a KPI goes amber or red.
 */
#include <string.h>

#include "base/date.h"
#include "base/json.h"
#include "store/store-int.h"
#include "base/banned.h"

static const char def_find_sql[] =
    "SELECT id, label, formula, unit, higher_is_better, builtin FROM kpi_definitions "
    "WHERE name = ?";
static const char def_insert_sql[] =
    "INSERT INTO kpi_definitions(name, label, formula, unit, higher_is_better, builtin) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id";
static const char def_update_sql[] =
    "UPDATE kpi_definitions SET label = ?2, formula = ?3, unit = ?4, higher_is_better = ?5, "
    "builtin = ?6 WHERE name = ?1";
static const char def_list_sql[] =
    "SELECT id, name, label, formula, unit, higher_is_better, builtin FROM kpi_definitions "
    "ORDER BY builtin DESC, name";

static const char target_find_sql[] =
    "SELECT id, first_day, last_day, target, green_at, amber_at FROM kpi_targets "
    "WHERE kpi_id = ?1 AND scope_kind = ?2 AND scope_key = ?3 AND period = ?4";
static const char target_insert_sql[] =
    "INSERT INTO kpi_targets(kpi_id, scope_kind, scope_key, period, first_day, last_day, "
    "target, green_at, amber_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id";
static const char target_update_sql[] =
    "UPDATE kpi_targets SET first_day = ?5, last_day = ?6, target = ?7, green_at = ?8, "
    "amber_at = ?9 WHERE kpi_id = ?1 AND scope_kind = ?2 AND scope_key = ?3 AND period = ?4";
static const char target_list_sql[] =
    "SELECT t.id, t.kpi_id, d.name, t.scope_kind, t.scope_key, t.period, t.first_day, "
    "t.last_day, t.target, t.green_at, t.amber_at FROM kpi_targets t "
    "JOIN kpi_definitions d ON d.id = t.kpi_id ORDER BY d.name, t.first_day, t.scope_kind, "
    "t.scope_key";
static const char quota_targets_sql[] =
    "SELECT q.id, q.scope_kind, COALESCE(r.ext_id, t.ext_id), q.period, q.first_day, "
    "q.last_day, q.amount FROM quotas q "
    "LEFT JOIN reps r ON q.scope_kind = 'rep' AND r.id = q.scope_id "
    "LEFT JOIN teams t ON q.scope_kind = 'team' AND t.id = q.scope_id "
    "ORDER BY q.first_day, q.scope_kind, 3";

static const char alert_insert_sql[] =
    "INSERT INTO kpi_alerts(kpi_id, scope_kind, scope_key, period, level, message, value, "
    "target, expected, raised_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
    "ON CONFLICT (kpi_id, scope_kind, scope_key, period, level) DO NOTHING RETURNING id";
static const char alert_list_sql[] =
    "SELECT a.id, a.kpi_id, d.name, a.scope_kind, a.scope_key, a.period, a.level, a.message, "
    "a.value, a.target, a.expected, a.raised_at, a.acked_by, a.acked_at FROM kpi_alerts a "
    "JOIN kpi_definitions d ON d.id = a.kpi_id WHERE ?1 = 0 OR a.acked_at IS NULL "
    "ORDER BY a.raised_at DESC, a.id DESC";
static const char alert_page_sql[] =
    "SELECT a.id, a.kpi_id, d.name, a.scope_kind, a.scope_key, a.period, a.level, a.message, "
    "a.value, a.target, a.expected, a.raised_at, a.acked_by, a.acked_at FROM kpi_alerts a "
    "JOIN kpi_definitions d ON d.id = a.kpi_id "
    "WHERE (?1 = 0 OR (?1 = 1 AND a.acked_at IS NULL) OR (?1 = 2 AND a.acked_at IS NOT NULL)) "
    "AND (?2 IS NULL OR d.name = ?2) "
    "AND (?3 = 0 OR (a.scope_kind = 'rep' AND a.scope_key = (SELECT ext_id FROM reps "
    "WHERE id = ?3))) "
    "AND (?5 = 0 OR a.raised_at < ?4 OR (a.raised_at = ?4 AND a.id < ?5)) "
    "AND (?6 = 0 OR a.id = ?6) "
    "ORDER BY a.raised_at DESC, a.id DESC LIMIT ?7";
static const char alert_ack_sql[] =
    "UPDATE kpi_alerts SET acked_by = ?2, acked_at = ?3 WHERE id = ?1 AND acked_at IS NULL";
static const char alert_state_sql[] = "SELECT acked_at FROM kpi_alerts WHERE id = ?";

static int text_eq(struct db_stmt *st, int col, const char *s)
{
    const char *v = db_column_text(st, col);
    return v && strcmp(v, s) == 0;
}

static void bind_def(struct db_stmt *st, const struct kpi_definition *d)
{
    db_bind_text(st, 1, d->name);
    db_bind_text(st, 2, d->label);
    db_bind_text(st, 3, d->formula);
    db_bind_text(st, 4, d->unit);
    db_bind_int64(st, 5, d->higher_is_better != 0);
    db_bind_int64(st, 6, d->builtin != 0);
}

int store_kpi_define(struct db *db, struct kpi_definition *d, enum store_write *result,
                     struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, def_find_sql, &st, err);
    if (rc)
        return rc;
    db_bind_text(st, 1, d->name);
    rc = db_step(st, err);
    if (rc < 0)
        return rc;
    int found = rc == DB_ROW;
    int same = found && text_eq(st, 1, d->label) && text_eq(st, 2, d->formula) &&
               text_eq(st, 3, d->unit) && db_column_int64(st, 4) == (d->higher_is_better != 0) &&
               db_column_int64(st, 5) == (d->builtin != 0);
    d->id = found ? db_column_int64(st, 0) : 0;
    db_reset(st);
    *result = same ? STORE_UNCHANGED : found ? STORE_UPDATED : STORE_INSERTED;
    if (same)
        return 0;
    rc = db_prepare(db, found ? def_update_sql : def_insert_sql, &st, err);
    if (rc)
        return rc;
    bind_def(st, d);
    rc = db_step(st, err);
    if (rc == DB_ROW) {
        d->id = db_column_int64(st, 0);
        db_reset(st);
        rc = 0;
    }
    if (rc == 0)
        rc = store_change_append(db, "kpi_definition", d->id, found ? "update" : "insert", err);
    return rc;
}

int store_kpi_definitions(struct db *db, struct arena *arena, struct kpi_definition **items,
                          size_t *n, struct sd_error *err)
{
    struct db_stmt *st;
    size_t cap = 0;
    *items = NULL;
    *n = 0;
    int rc = db_prepare(db, def_list_sql, &st, err);
    if (rc)
        return rc;
    while ((rc = db_step(st, err)) == DB_ROW) {
        *items = store_grow_array(arena, *items, *n, &cap, sizeof(**items));
        (*items)[(*n)++] = (struct kpi_definition){
            .id = db_column_int64(st, 0),
            .name = store_col_str(st, 1, arena),
            .label = store_col_str(st, 2, arena),
            .formula = store_col_str(st, 3, arena),
            .unit = store_col_str(st, 4, arena),
            .higher_is_better = (int)db_column_int64(st, 5),
            .builtin = (int)db_column_int64(st, 6),
        };
    }
    return rc;
}

static void bind_target(struct db_stmt *st, const struct kpi_target *t)
{
    db_bind_int64(st, 1, t->kpi_id);
    db_bind_text(st, 2, t->scope_kind);
    db_bind_text(st, 3, t->scope_key ? t->scope_key : "");
    db_bind_text(st, 4, t->period);
    db_bind_int64(st, 5, t->first_day);
    db_bind_int64(st, 6, t->last_day);
    db_bind_int64(st, 7, t->target);
    db_bind_int64(st, 8, t->green_at);
    db_bind_int64(st, 9, t->amber_at);
}

int store_kpi_target_set(struct db *db, struct kpi_target *t, enum store_write *result,
                         struct sd_error *err)
{
    struct db_stmt *st;
    if (t->amber_at > t->green_at || t->amber_at < 0)
        return sd_error_set(err, SD_EINVAL, "a target's amber threshold must be between 0 and "
                                            "its green threshold");
    int rc = db_prepare(db, target_find_sql, &st, err);
    if (rc)
        return rc;
    bind_target(st, t);
    rc = db_step(st, err);
    if (rc < 0)
        return rc;
    int found = rc == DB_ROW;
    int same = found && db_column_int64(st, 1) == t->first_day &&
               db_column_int64(st, 2) == t->last_day && db_column_int64(st, 3) == t->target &&
               db_column_int64(st, 4) == t->green_at && db_column_int64(st, 5) == t->amber_at;
    t->id = found ? db_column_int64(st, 0) : 0;
    db_reset(st);
    *result = same ? STORE_UNCHANGED : found ? STORE_UPDATED : STORE_INSERTED;
    if (same)
        return 0;
    rc = db_prepare(db, found ? target_update_sql : target_insert_sql, &st, err);
    if (rc)
        return rc;
    bind_target(st, t);
    rc = db_step(st, err);
    if (rc == DB_ROW) {
        t->id = db_column_int64(st, 0);
        db_reset(st);
        rc = 0;
    }
    if (rc == 0)
        rc = store_change_append(db, "kpi_target", t->id, found ? "update" : "insert", err);
    return rc;
}

static void read_target(struct db_stmt *st, struct arena *arena, struct kpi_target *t)
{
    *t = (struct kpi_target){
        .id = db_column_int64(st, 0),
        .kpi_id = db_column_int64(st, 1),
        .kpi_name = store_col_str(st, 2, arena),
        .scope_kind = store_col_str(st, 3, arena),
        .scope_key = store_col_str(st, 4, arena),
        .period = store_col_str(st, 5, arena),
        .first_day = (int32_t)db_column_int64(st, 6),
        .last_day = (int32_t)db_column_int64(st, 7),
        .target = db_column_int64(st, 8),
        .green_at = db_column_int64(st, 9),
        .amber_at = db_column_int64(st, 10),
    };
}

static void read_quota(struct db_stmt *st, struct arena *arena, struct kpi_target *t)
{
    *t = (struct kpi_target){
        .id = db_column_int64(st, 0),
        .kpi_name = "revenue",
        .scope_kind = store_col_str(st, 1, arena),
        .scope_key = store_col_str(st, 2, arena),
        .period = store_col_str(st, 3, arena),
        .first_day = (int32_t)db_column_int64(st, 4),
        .last_day = (int32_t)db_column_int64(st, 5),
        .target = db_column_int64(st, 6),
        .green_at = 1000000,
        .amber_at = 900000,
    };
    if (!t->scope_key)
        t->scope_key = "";
}

int store_kpi_targets(struct db *db, struct arena *arena, int quotas, struct kpi_target **items,
                      size_t *n, struct sd_error *err)
{
    struct db_stmt *st;
    size_t cap = 0;
    *items = NULL;
    *n = 0;
    int rc = db_prepare(db, quotas ? quota_targets_sql : target_list_sql, &st, err);
    if (rc)
        return rc;
    while ((rc = db_step(st, err)) == DB_ROW) {
        *items = store_grow_array(arena, *items, *n, &cap, sizeof(**items));
        if (quotas)
            read_quota(st, arena, &(*items)[(*n)++]);
        else
            read_target(st, arena, &(*items)[(*n)++]);
    }
    return rc;
}

int store_kpi_alert_raise(struct db *db, struct kpi_alert *a, int *raised, struct sd_error *err)
{
    struct db_stmt *st;
    *raised = 0;
    int rc = db_prepare(db, alert_insert_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, a->kpi_id);
    db_bind_text(st, 2, a->scope_kind);
    db_bind_text(st, 3, a->scope_key ? a->scope_key : "");
    db_bind_text(st, 4, a->period);
    db_bind_text(st, 5, a->level);
    db_bind_text(st, 6, a->message);
    db_bind_opt_int64(st, 7, a->value);
    db_bind_opt_int64(st, 8, a->target);
    db_bind_opt_int64(st, 9, a->expected);
    db_bind_int64(st, 10, a->raised_at);
    rc = db_step(st, err);
    if (rc == DB_ROW) {
        a->id = db_column_int64(st, 0);
        db_reset(st);
        *raised = 1;
        return store_change_append(db, "kpi_alert", a->id, "insert", err);
    }
    return rc;
}

static void read_alert(struct db_stmt *st, struct arena *arena, struct kpi_alert *a)
{
        *a = (struct kpi_alert){
            .id = db_column_int64(st, 0),
            .kpi_id = db_column_int64(st, 1),
            .kpi_name = store_col_str(st, 2, arena),
            .scope_kind = store_col_str(st, 3, arena),
            .scope_key = store_col_str(st, 4, arena),
            .period = store_col_str(st, 5, arena),
            .level = store_col_str(st, 6, arena),
            .message = store_col_str(st, 7, arena),
            .value = db_column_opt_int64(st, 8),
            .target = db_column_opt_int64(st, 9),
            .expected = db_column_opt_int64(st, 10),
            .raised_at = db_column_int64(st, 11),
            .acked_by = store_col_ref(st, 12),
            .acked_at = db_column_opt_int64(st, 13),
        };
}

/* Reads every row of a prepared alert statement into *items. */
static int read_alerts(struct db_stmt *st, struct arena *arena, struct kpi_alert **items,
                       size_t *n, struct sd_error *err)
{
    size_t cap = 0;
    int rc;
    while ((rc = db_step(st, err)) == DB_ROW) {
        *items = store_grow_array(arena, *items, *n, &cap, sizeof(**items));
        read_alert(st, arena, &(*items)[(*n)++]);
    }
    return rc;
}

int store_kpi_alerts(struct db *db, struct arena *arena, int open_only, struct kpi_alert **items,
                     size_t *n, struct sd_error *err)
{
    struct db_stmt *st;
    *items = NULL;
    *n = 0;
    int rc = db_prepare(db, alert_list_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, open_only != 0);
    return read_alerts(st, arena, items, n, err);
}

int store_kpi_alert_page(struct db *db, struct arena *arena, const struct kpi_alert_filter *f,
                         struct kpi_alert **items, size_t *n, struct sd_error *err)
{
    struct db_stmt *st;
    *items = NULL;
    *n = 0;
    int rc = db_prepare(db, alert_page_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, f->state);
    if (f->kpi)
        db_bind_text(st, 2, f->kpi);
    else
        db_bind_null(st, 2);
    db_bind_int64(st, 3, f->rep_id);
    db_bind_int64(st, 4, f->after_raised_at);
    db_bind_int64(st, 5, f->after_id);
    db_bind_int64(st, 6, f->id);
    db_bind_int64(st, 7, f->limit);
    return read_alerts(st, arena, items, n, err);
}

void store_kpi_alert_json(struct json_writer *w, const struct kpi_alert *a)
{
    json_object_begin(w);
    json_kv_int(w, "id", a->id);
    json_kv_string(w, "kpi", a->kpi_name);
    json_kv_string(w, "scope", a->scope_kind);
    json_kv_string(w, "scope_key", a->scope_key);
    json_kv_string(w, "period", a->period);
    json_kv_string(w, "level", a->level);
    json_kv_string(w, "message", a->message);
    json_kv_money(w, "value", a->value);
    json_kv_money(w, "target", a->target);
    json_kv_money(w, "expected", a->expected);
    json_kv_ts(w, "raised_at", a->raised_at);
    json_kv_ts(w, "acked_at", a->acked_at);
    json_object_end(w);
}

void store_kpi_target_json(struct json_writer *w, const struct kpi_target *t, int quota)
{
    json_object_begin(w);
    json_kv_string(w, "kpi", t->kpi_name);
    json_kv_string(w, "scope", t->scope_kind);
    json_kv_string(w, "scope_key", t->scope_key);
    json_kv_string(w, "period", t->period);
    json_kv_money(w, "target", t->target);
    json_kv_money(w, "green_at_pct", t->green_at);
    json_kv_money(w, "amber_at_pct", t->amber_at);
    json_kv_string(w, "source", quota ? "quota" : "target");
    json_object_end(w);
}

int store_kpi_alert_ack(struct db *db, int64_t id, int64_t user_id, int64_t at,
                        struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, alert_ack_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, id);
    store_bind_ref(st, 2, user_id);
    db_bind_int64(st, 3, at);
    rc = store_run(st, err);
    if (rc)
        return rc;
    if (db_changes(db) == 1)
        return store_change_append(db, "kpi_alert", id, "update", err);
    rc = db_prepare(db, alert_state_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, id);
    rc = db_step(st, err);
    if (rc < 0)
        return rc;
    db_reset(st);
    if (rc == DB_DONE)
        return sd_error_set(err, SD_ENOTFOUND, "no alert %lld", (long long)id);
    return sd_error_set(err, SD_ECONFLICT, "alert %lld was acknowledged already", (long long)id);
}
