/* SPDX-License-Identifier: MIT */
/*
 * quotas: sales quotas per rep or team and period, currency rates, and the
 * demo's record of planted problems.
 */
#include "store/store-int.h"
#include "base/banned.h"

static const char quota_find_sql[] =
    "SELECT amount, first_day, last_day, id FROM quotas "
    "WHERE scope_kind = ?1 AND scope_id = ?2 AND period = ?3";
static const char quota_insert_sql[] =
    "INSERT INTO quotas(scope_kind, scope_id, period, first_day, last_day, amount) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id";
static const char quota_update_sql[] =
    "UPDATE quotas SET first_day = ?4, last_day = ?5, amount = ?6 "
    "WHERE scope_kind = ?1 AND scope_id = ?2 AND period = ?3";

static void bind_quota(struct db_stmt *st, const struct quota *q)
{
    db_bind_text(st, 1, q->rep_id > 0 ? "rep" : "team");
    db_bind_int64(st, 2, q->rep_id > 0 ? q->rep_id : q->team_id);
    db_bind_text(st, 3, q->period);
    db_bind_int64(st, 4, q->first_day);
    db_bind_int64(st, 5, q->last_day);
    db_bind_int64(st, 6, q->amount);
}

int store_quota_set(struct db *db, const struct quota *q, enum store_write *result,
                    struct sd_error *err)
{
    if ((q->rep_id > 0) == (q->team_id > 0))
        return sd_error_set(err, SD_EINVAL, "quota '%s': give a rep or a team, not both",
                            q->period);
    struct db_stmt *st;
    int rc = db_prepare(db, quota_find_sql, &st, err);
    if (rc)
        return rc;
    bind_quota(st, q);
    rc = db_step(st, err);
    if (rc < 0)
        return rc;
    int found = rc == DB_ROW;
    int same = found && db_column_int64(st, 0) == q->amount &&
               db_column_int64(st, 1) == q->first_day && db_column_int64(st, 2) == q->last_day;
    int64_t id = found ? db_column_int64(st, 3) : 0;
    db_reset(st);
    if (same) {
        *result = STORE_UNCHANGED;
        return 0;
    }
    *result = found ? STORE_UPDATED : STORE_INSERTED;
    rc = db_prepare(db, found ? quota_update_sql : quota_insert_sql, &st, err);
    if (rc)
        return rc;
    bind_quota(st, q);
    rc = db_step(st, err);
    if (rc == DB_ROW) {
        id = db_column_int64(st, 0); /* the new row's id, from RETURNING */
        db_reset(st);
        rc = 0;
    }
    if (rc == 0)
        rc = store_change_append(db, "quota", id, found ? "update" : "insert", err);
    return rc;
}

static const char fx_find_sql[] = "SELECT rate_to_base FROM fx_rates WHERE currency = ? AND day = ?";
static const char fx_upsert_sql[] =
    "INSERT INTO fx_rates(currency, day, rate_to_base) VALUES (?, ?, ?) "
    "ON CONFLICT (currency, day) DO UPDATE SET rate_to_base = excluded.rate_to_base";

int store_fx_set(struct db *db, const struct fx_rate *fx, enum store_write *result,
                 struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, fx_find_sql, &st, err);
    if (rc)
        return rc;
    db_bind_text(st, 1, fx->currency);
    db_bind_int64(st, 2, fx->day);
    rc = db_step(st, err);
    if (rc < 0)
        return rc;
    int found = rc == DB_ROW;
    int same = found && db_column_int64(st, 0) == fx->rate_to_base;
    db_reset(st);
    if (same) {
        *result = STORE_UNCHANGED;
        return 0;
    }
    *result = found ? STORE_UPDATED : STORE_INSERTED;
    rc = db_prepare(db, fx_upsert_sql, &st, err);
    if (rc)
        return rc;
    db_bind_text(st, 1, fx->currency);
    db_bind_int64(st, 2, fx->day);
    db_bind_int64(st, 3, fx->rate_to_base);
    rc = store_run(st, err);
    if (rc == 0)
        rc = store_change_append(db, "fx_rate", fx->day, found ? "update" : "insert", err);
    return rc;
}

static const char planted_sql[] =
    "INSERT INTO demo_planted(order_id, code) VALUES (?, ?) ON CONFLICT DO NOTHING";

int store_demo_planted_add(struct db *db, const char *order_ext_id, const char *code,
                           struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, planted_sql, &st, err);
    if (rc)
        return rc;
    db_bind_text(st, 1, order_ext_id);
    db_bind_text(st, 2, code);
    return store_run(st, err);
}
