/* SPDX-License-Identifier: MIT */
/*
 * logins: the demo's users, one per role, with known passwords (demo.h).
 * Like the rest of the demo company they are written without audit rows:
 * they are part of what the demo builds, not a change someone made.
 */
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/date.h"
#include "base/json.h"
#include "base/secret.h"
#include "demo/demo.h"
#include "store/store.h"
#include "base/banned.h"

static const struct {
    const char *role;
    const char *password;
    const char *name;
} demo_users[DEMO_LOGINS] = {
    {"admin", "demo-admin", "Demo Admin"},
    {"manager", "demo-manager", "Demo Manager"},
    {"support", "demo-support", "Demo Support"},
    {"rep", "demo-rep", "Demo Rep"},
    {"viewer", "demo-viewer", "Demo Viewer"},
};

/* The owner of the first of the demo's top accounts that has one: *rep_id and its ids. */
static int owning_rep(struct db *db, const struct demo_result *result, int64_t *rep_id,
                      struct demo_login *login, struct sd_error *err)
{
    struct arena arena;
    int rc = SD_ENOTFOUND;
    arena_init(&arena, 0);
    for (int i = 0; i < DEMO_SAMPLE_MAX && result->top_accounts[i][0] && *rep_id == 0; i++) {
        struct account_view v;
        rc = store_account_view(db, &arena, result->top_accounts[i], DATE_NONE, &v, err);
        if (rc)
            break;
        if (!v.owner_rep_ext_id)
            continue;
        snprintf(login->rep, sizeof(login->rep), "%s", v.owner_rep_ext_id);
        snprintf(login->account, sizeof(login->account), "%s", result->top_accounts[i]);
        rc = store_resolve(db, ENTITY_REP, v.owner_rep_ext_id, rep_id, err);
    }
    arena_release(&arena);
    if (rc == 0 && *rep_id == 0)
        rc = sd_error_set(err, SD_ENOTFOUND, "the demo's top accounts have no owner rep");
    return rc;
}

static int add_one(struct db *db, int i, int64_t rep_id, struct demo_login *out,
                   struct sd_error *err)
{
    char hash[SECRET_PASSWORD_STR];
    const char *password = demo_users[i].password;
    int rc = secret_password_hash(password, strlen(password), hash, err);
    struct user u = {.login = demo_users[i].role,
                     .name = demo_users[i].name,
                     .role = demo_users[i].role,
                     .rep_id = strcmp(demo_users[i].role, "rep") == 0 ? rep_id : 0,
                     .password_hash = hash,
                     .created_at = ts_now_ms()};
    if (rc == 0)
        rc = store_user_add(db, &u, err);
    out->login = demo_users[i].role;
    out->password = password;
    out->role = demo_users[i].role;
    return rc;
}

int demo_logins_add(struct db *db, const struct demo_result *result,
                    struct demo_login out[DEMO_LOGINS], struct sd_error *err)
{
    int64_t rep_id = 0;
    memset(out, 0, sizeof(struct demo_login) * DEMO_LOGINS);
    int rc = secret_init(err);
    if (rc == 0)
        rc = db_begin(db, err);
    if (rc)
        return rc;
    for (int i = 0; i < DEMO_LOGINS && rc == 0; i++) {
        if (strcmp(demo_users[i].role, "rep") == 0)
            rc = owning_rep(db, result, &rep_id, &out[i], err);
        if (rc == 0)
            rc = add_one(db, i, rep_id, &out[i], err);
    }
    if (rc == 0)
        return db_commit(db, err);
    db_rollback(db);
    return rc;
}
