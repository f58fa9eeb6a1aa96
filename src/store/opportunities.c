/* SPDX-License-Identifier: MIT */
/*
 * opportunities: the pipeline (opportunities) with their stage history. The
 * history is part of the opportunity in the change_log.
 */
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/xalloc.h"
#include "store/store-int.h"
#include "base/banned.h"

static const struct store_table opportunity_table = {
    .entity = "opportunity",
    .find_sql = "SELECT id FROM opportunities WHERE source = ? AND ext_id = ?",
    .insert_sql = "INSERT INTO opportunities(source, ext_id, account_id, rep_id, name, stage, "
                  "amount, currency, created_date, expected_close, closed_date, outcome, "
                  "lost_reason, lead_source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                  "?11, ?12, ?13, ?14) RETURNING id",
    .update_sql = "UPDATE opportunities SET account_id = ?3, rep_id = ?4, name = ?5, stage = ?6, "
                  "amount = ?7, currency = ?8, created_date = ?9, expected_close = ?10, "
                  "closed_date = ?11, outcome = ?12, lost_reason = ?13, lead_source = ?14 "
                  "WHERE id = ?15 AND (account_id IS DISTINCT FROM ?3 OR "
                  "rep_id IS DISTINCT FROM ?4 OR name IS DISTINCT FROM ?5 OR "
                  "stage IS DISTINCT FROM ?6 OR amount IS DISTINCT FROM ?7 OR "
                  "currency IS DISTINCT FROM ?8 OR created_date IS DISTINCT FROM ?9 OR "
                  "expected_close IS DISTINCT FROM ?10 OR closed_date IS DISTINCT FROM ?11 OR "
                  "outcome IS DISTINCT FROM ?12 OR lost_reason IS DISTINCT FROM ?13 OR "
                  "lead_source IS DISTINCT FROM ?14)",
    .n_fields = 14,
};

static void bind_opportunity(struct db_stmt *st, const void *obj)
{
    const struct opportunity *o = obj;
    db_bind_text(st, 1, o->source);
    db_bind_text(st, 2, o->ext_id);
    db_bind_int64(st, 3, o->account_id);
    store_bind_ref(st, 4, o->rep_id);
    db_bind_text(st, 5, o->name);
    db_bind_text(st, 6, o->stage);
    db_bind_int64(st, 7, o->amount);
    db_bind_text(st, 8, o->currency ? o->currency : "USD");
    db_bind_int64(st, 9, o->created_date);
    db_bind_opt_date(st, 10, o->expected_close);
    db_bind_opt_date(st, 11, o->closed_date);
    db_bind_text(st, 12, o->outcome);
    db_bind_text(st, 13, o->lost_reason);
    db_bind_text(st, 14, o->lead_source);
}

static const char stage_insert_sql[] =
    "INSERT INTO opportunity_stages(opportunity_id, stage, entered_date) VALUES (?, ?, ?)";
static const char stages_delete_sql[] = "DELETE FROM opportunity_stages WHERE opportunity_id = ?";
static const char stages_select_sql[] =
    "SELECT stage, entered_date FROM opportunity_stages WHERE opportunity_id = ? "
    "ORDER BY entered_date, stage";

static int insert_stages(struct db *db, int64_t id, const struct opportunity_stage *stages,
                         size_t n, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, stage_insert_sql, &st, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        db_bind_int64(st, 1, id);
        db_bind_text(st, 2, stages[i].stage);
        db_bind_int64(st, 3, stages[i].entered_date);
        rc = store_run(st, err);
    }
    return rc;
}

static int compare_stage(const void *a, const void *b)
{
    const struct opportunity_stage *x = a, *y = b;
    if (x->entered_date != y->entered_date)
        return (x->entered_date > y->entered_date) - (x->entered_date < y->entered_date);
    return strcmp(x->stage, y->stage);
}

static int stages_equal(struct db *db, int64_t id, const struct opportunity_stage *stages,
                        size_t n, int *equal, struct sd_error *err)
{
    struct opportunity_stage *sorted = xmalloc((n ? n : 1) * sizeof(*sorted));
    if (n)
        memcpy(sorted, stages, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), compare_stage);
    struct db_stmt *st;
    size_t i = 0;
    *equal = 1;
    int rc = db_prepare(db, stages_select_sql, &st, err);
    if (rc) {
        free(sorted);
        return rc;
    }
    db_bind_int64(st, 1, id);
    while ((rc = db_step(st, err)) == DB_ROW) {
        const struct opportunity_stage *s = i < n ? &sorted[i] : NULL;
        i++;
        if (!s || strcmp(db_column_text(st, 0), s->stage) != 0 ||
            db_column_int64(st, 1) != s->entered_date)
            *equal = 0;
    }
    if (i != n)
        *equal = 0;
    free(sorted);
    return rc;
}

static int replace_stages(struct db *db, int64_t id, const struct opportunity_stage *stages,
                          size_t n, int *changed, struct sd_error *err)
{
    int equal = 0;
    int rc = stages_equal(db, id, stages, n, &equal, err);
    *changed = !equal;
    if (rc || equal)
        return rc;
    struct db_stmt *st;
    rc = db_prepare(db, stages_delete_sql, &st, err);
    if (rc == 0) {
        db_bind_int64(st, 1, id);
        rc = store_run(st, err);
    }
    return rc ? rc : insert_stages(db, id, stages, n, err);
}

int store_opportunity_stages_set(struct db *db, int64_t opportunity_id,
                                 const struct opportunity_stage *stages, size_t n_stages,
                                 int *changed, struct sd_error *err)
{
    int rc = replace_stages(db, opportunity_id, stages, n_stages, changed, err);
    if (rc == 0 && *changed)
        rc = store_change_append(db, "opportunity", opportunity_id, "update", err);
    return rc;
}

int store_opportunity_upsert(struct db *db, struct opportunity *o,
                             const struct opportunity_stage *stages, size_t n_stages,
                             enum store_write *result, struct sd_error *err)
{
    int rc = store_upsert(db, &opportunity_table, o->source, o->ext_id, bind_opportunity, o,
                          &o->id, result, err);
    if (rc)
        return rc;
    if (!stages) {
        /* header only: the stored history stays */
    } else if (*result == STORE_INSERTED) {
        rc = insert_stages(db, o->id, stages, n_stages, err);
    } else {
        int changed = 0;
        rc = replace_stages(db, o->id, stages, n_stages, &changed, err);
        if (rc == 0 && changed && *result == STORE_UNCHANGED) {
            *result = STORE_UPDATED;
            rc = store_change_append(db, "opportunity", o->id, "update", err);
        }
    }
    if (rc)
        sd_error_prefix(err, "opportunity '%s'", o->ext_id);
    return rc;
}
