/* SPDX-License-Identifier: MIT */
/* kpis: see kpis.h. */
#include "desk/kpis.h"

#include <string.h>

#include "base/arena.h"
#include "base/date.h"
#include "base/json.h"
#include "base/strbuf.h"
#include "store/store.h"
#include "base/banned.h"

/* The stored definition of KPI `name`: 1 in *found and *out (strings in `arena`), else 0. */
static int definition_of(struct db *db, struct arena *arena, const char *name,
                         struct kpi_definition *out, int *found, struct sd_error *err)
{
    struct kpi_definition *items;
    size_t n;
    *found = 0;
    int rc = store_kpi_definitions(db, arena, &items, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (strcmp(items[i].name, name) == 0) {
            *out = items[i];
            *found = 1;
        }
    }
    return rc;
}

static void definition_fields(struct strbuf *out, const struct kpi_definition *d)
{
    struct json_writer w;
    json_writer_init(&w, out, 0);
    json_object_begin(&w);
    json_kv_string(&w, "label", d->label);
    json_kv_string(&w, "formula", d->formula);
    json_kv_string(&w, "unit", d->unit);
    json_kv_bool(&w, "higher_is_better", d->higher_is_better);
    json_object_end(&w);
}

int desk_kpi_define(struct db *db, const struct desk_actor *actor, const char *name,
                    const char *label, const char *formula, enum measure_unit unit,
                    int higher_is_better, enum store_write *result, struct sd_error *err)
{
    struct arena arena;
    struct kpi_definition before, after;
    int had_before = 0, found = 0;
    arena_init(&arena, 0);
    int rc = definition_of(db, &arena, name, &before, &had_before, err);
    if (rc == 0)
        rc = kpi_define(db, name, label, formula, unit, higher_is_better, result, err);
    if (rc == 0 && *result != STORE_UNCHANGED)
        rc = definition_of(db, &arena, name, &after, &found, err);
    if (rc == 0 && found) {
        struct strbuf before_text = STRBUF_INIT, after_text = STRBUF_INIT;
        if (had_before)
            definition_fields(&before_text, &before);
        definition_fields(&after_text, &after);
        struct audit_entry a = {.at = ts_now_ms(),
                                .user_id = actor->user_id,
                                .actor = actor->name,
                                .action = had_before ? "kpi_definition.update"
                                                     : "kpi_definition.create",
                                .entity = "kpi_definition",
                                .entity_id = after.id,
                                .before_json = had_before ? before_text.buf : NULL,
                                .after_json = after_text.buf};
        rc = store_audit_append(db, &a, err);
        strbuf_release(&before_text);
        strbuf_release(&after_text);
    }
    arena_release(&arena);
    return rc;
}

/* The explicit target the write replaces: 1 and *out, 0 when there is none. */
static int target_before(struct db *db, const char *name, const struct kpi_scope *scope,
                         const struct period *period, struct kpi_target *out,
                         struct sd_error *err, int *found)
{
    struct kpi_targets all;
    char text[PERIOD_TEXT_MAX];
    period_format(period, text);
    *found = 0;
    int rc = kpi_targets_load(db, &all, err);
    for (size_t i = 0; rc == 0 && i < all.n_explicit; i++) {
        const struct kpi_target *t = &all.explicit_targets[i];
        if (strcmp(t->kpi_name, name) == 0 && strcmp(t->scope_kind, kpi_scope_kind(scope)) == 0 &&
            strcmp(t->scope_key, scope->key) == 0 && strcmp(t->period, text) == 0) {
            *out = *t; /* only its numbers are used, after `all` is released */
            *found = 1;
        }
    }
    if (rc == 0)
        kpi_targets_release(&all);
    return rc;
}

static void target_fields(struct json_writer *w, int64_t target, int64_t green_at,
                          int64_t amber_at)
{
    json_object_begin(w);
    json_kv_money(w, "target", target);
    json_kv_money(w, "green_at_pct", green_at);
    json_kv_money(w, "amber_at_pct", amber_at);
    json_object_end(w);
}

int desk_kpi_target_set(struct db *db, const struct desk_actor *actor, const struct kpi_set *set,
                        const char *name, const struct kpi_scope *scope,
                        const struct period *period, int64_t value, int64_t green_at,
                        int64_t amber_at, enum store_write *result, int64_t *target_id,
                        struct sd_error *err)
{
    struct kpi_target before;
    int had_before = 0;
    int64_t id = 0;
    int rc = target_before(db, name, scope, period, &before, err, &had_before);
    if (rc == 0)
        rc = kpi_target_set(db, set, name, scope, period, value, green_at, amber_at, result, &id,
                            err);
    if (target_id)
        *target_id = id;
    if (rc || *result == STORE_UNCHANGED)
        return rc;
    struct strbuf before_text = STRBUF_INIT, after_text = STRBUF_INIT;
    struct json_writer w;
    json_writer_init(&w, &after_text, 0);
    target_fields(&w, value, green_at, amber_at);
    if (had_before) {
        json_writer_init(&w, &before_text, 0);
        target_fields(&w, before.target, before.green_at, before.amber_at);
    }
    struct audit_entry a = {.at = ts_now_ms(),
                            .user_id = actor->user_id,
                            .actor = actor->name,
                            .action = had_before ? "kpi_target.update" : "kpi_target.create",
                            .entity = "kpi_target",
                            .entity_id = id,
                            .before_json = had_before ? before_text.buf : NULL,
                            .after_json = after_text.buf};
    rc = store_audit_append(db, &a, err);
    strbuf_release(&before_text);
    strbuf_release(&after_text);
    return rc;
}

int alert_ack(struct db *db, const struct desk_actor *actor, int64_t id, int64_t at,
              struct sd_error *err)
{
    int rc = store_kpi_alert_ack(db, id, actor->user_id, at, err);
    if (rc)
        return rc;
    struct strbuf after = STRBUF_INIT;
    struct json_writer w;
    json_writer_init(&w, &after, 0);
    json_object_begin(&w);
    json_kv_ts(&w, "acked_at", at);
    json_kv_int(&w, "acked_by", actor->user_id ? actor->user_id : INT_NONE);
    json_object_end(&w);
    struct audit_entry e = {.at = at,
                            .user_id = actor->user_id,
                            .actor = actor->name,
                            .action = "kpi_alert.ack",
                            .entity = "kpi_alert",
                            .entity_id = id,
                            .before_json = "{\"acked_at\":null,\"acked_by\":null}",
                            .after_json = after.buf};
    rc = store_audit_append(db, &e, err);
    strbuf_release(&after);
    return rc;
}
