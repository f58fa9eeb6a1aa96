/* SPDX-License-Identifier: MIT */
/* users: creating and changing users, one rule set and audit form for CLI and API (users.h). */
#include <string.h>

#include "base/date.h"
#include "base/json.h"
#include "base/strbuf.h"
#include "desk/users.h"
#include "store/store.h"
#include "base/banned.h"

static const char *const roles[] = {"admin", "manager", "support", "rep", "viewer", NULL};

int user_login_check(const char *login, struct sd_error *err)
{
    size_t len = login ? strlen(login) : 0;
    int ok = len >= 1 && len <= USER_LOGIN_MAX;
    for (size_t i = 0; ok && i < len; i++)
        ok = (unsigned char)login[i] > ' ' && login[i] != 0x7f;
    if (ok)
        return 0;
    return sd_error_set(err, SD_EINVAL,
                        "login '%.40s': 1 to %d characters, no spaces or control characters",
                        login ? login : "", USER_LOGIN_MAX);
}

int user_role_check(const char *role, struct sd_error *err)
{
    for (int i = 0; role && roles[i]; i++)
        if (strcmp(roles[i], role) == 0)
            return 0;
    return sd_error_set(err, SD_EINVAL,
                        "'%.40s' is not one of admin, manager, support, rep, viewer",
                        role ? role : "");
}

static int check_name(const char *name, struct sd_error *err)
{
    if (name && strlen(name) > USER_NAME_MAX)
        return sd_error_set(err, SD_EINVAL, "a name has at most %d bytes", USER_NAME_MAX);
    return 0;
}

int user_status_check(const char *status, struct sd_error *err)
{
    if (strcmp(status, "active") == 0 || strcmp(status, "disabled") == 0)
        return 0;
    return sd_error_set(err, SD_EINVAL, "status '%.40s' is not active or disabled", status);
}

/* Same as desk/requests.c: join an open transaction, else own one. */
static int start(struct db *db, int *own, struct sd_error *err)
{
    *own = !db_in_transaction(db);
    return *own ? db_begin(db, err) : 0;
}

static int finish(struct db *db, int own, int rc, struct sd_error *err)
{
    if (!own)
        return rc;
    if (rc == 0)
        return db_commit(db, err);
    if (db_in_transaction(db))
        db_rollback(db);
    return rc;
}

static int audit(struct db *db, const struct desk_actor *actor, const char *action, int64_t id,
                 const char *before, const char *after, struct sd_error *err)
{
    struct audit_entry e = {.at = ts_now_ms(),
                            .user_id = actor->user_id,
                            .actor = actor->name,
                            .action = action,
                            .entity = "user",
                            .entity_id = id,
                            .before_json = before,
                            .after_json = after};
    return store_audit_append(db, &e, err);
}

/* The fields of a user the audit shows (never the password hash, only whether one is set). */
static int audit_whole(struct db *db, const struct desk_actor *actor, const char *action,
                       const struct user *u, struct sd_error *err)
{
    struct strbuf after = STRBUF_INIT;
    struct json_writer w;
    json_writer_init(&w, &after, 0);
    json_object_begin(&w);
    json_kv_string(&w, "login", u->login);
    json_kv_string(&w, "name", u->name);
    json_kv_string(&w, "role", u->role);
    json_kv_string(&w, "rep", u->rep_ext_id);
    json_kv_bool(&w, "password", u->password_hash != NULL);
    json_object_end(&w);
    int rc = audit(db, actor, action, u->id, NULL, after.buf, err);
    strbuf_release(&after);
    return rc;
}

/* The rep a user with `role` is: resolved into *rep_id; role rep needs one. */
static int resolve_rep(struct db *db, const char *role, const char *rep, int64_t *rep_id,
                       struct sd_error *err)
{
    int rc = 0;
    *rep_id = 0;
    if (rep)
        rc = store_resolve(db, ENTITY_REP, rep, rep_id, err);
    if (rc == 0 && strcmp(role, "rep") == 0 && !*rep_id)
        rc = sd_error_set(err, SD_EINVAL, "a user with role rep needs a rep (the rep they are)");
    return rc;
}

int user_create(struct db *db, struct arena *arena, const struct desk_actor *actor,
                const struct user_new *in, struct user *out, struct sd_error *err)
{
    struct user u = {.login = in->login,
                     .name = in->name,
                     .role = in->role,
                     .password_hash = in->password_hash,
                     .status = "active",
                     .created_at = ts_now_ms()};
    int own = 0;
    int rc = user_login_check(in->login, err);
    if (rc == 0)
        rc = user_role_check(in->role, err);
    if (rc == 0)
        rc = check_name(in->name, err);
    if (rc == 0)
        rc = start(db, &own, err);
    if (rc == 0)
        rc = resolve_rep(db, in->role, in->rep, &u.rep_id, err);
    if (rc == 0)
        rc = store_user_add(db, &u, err);
    if (rc == 0)
        rc = store_user_by_id(db, arena, u.id, out, err);
    if (rc == 0)
        rc = audit_whole(db, actor, "create", out, err);
    return finish(db, own, rc, err);
}

/* Fills `after` from `before` and `ch`, checking every value. */
static int apply_change(struct db *db, const struct user *before, const struct user_change *ch,
                        struct user *after, struct sd_error *err)
{
    *after = *before;
    if (ch->role)
        after->role = ch->role;
    if (ch->status)
        after->status = ch->status;
    if (ch->set_name)
        after->name = ch->name;
    int rc = user_role_check(after->role, err);
    if (rc == 0)
        rc = user_status_check(after->status, err);
    if (rc == 0)
        rc = check_name(after->name, err);
    if (rc)
        return rc;
    if (ch->set_rep)
        return resolve_rep(db, after->role, ch->rep, &after->rep_id, err);
    if (strcmp(after->role, "rep") == 0 && !after->rep_id)
        return sd_error_set(err, SD_EINVAL, "a user with role rep needs a rep (the rep they are)");
    return 0;
}

static int is_active_admin(const struct user *u)
{
    return strcmp(u->role, "admin") == 0 && strcmp(u->status, "active") == 0;
}

/* The changes the rules refuse whatever the values: disabling oneself, losing the last admin. */
static int check_allowed(struct db *db, const struct desk_actor *actor, const struct user *before,
                         const struct user *after, struct sd_error *err)
{
    int64_t admins = 0;
    if (before->id == actor->user_id && strcmp(after->status, "disabled") == 0 &&
        strcmp(before->status, "disabled") != 0)
        return sd_error_set(err, SD_ECONFLICT, "you cannot disable yourself");
    if (!is_active_admin(before) || is_active_admin(after))
        return 0;
    int rc = store_user_active_admins(db, &admins, err);
    if (rc == 0 && admins <= 1)
        rc = sd_error_set(err, SD_ECONFLICT,
                          "'%s' is the last active admin: make another user admin first",
                          before->login);
    return rc;
}

static int same_text(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Writes the fields that differ between a and b into an object; returns how many. */
static int changed_fields(struct json_writer *w, const struct user *a, const struct user *b,
                          const char *a_rep)
{
    int n = 0;
    json_object_begin(w);
    if (!same_text(a->name, b->name) && ++n)
        json_kv_string(w, "name", a->name);
    if (!same_text(a->role, b->role) && ++n)
        json_kv_string(w, "role", a->role);
    if (a->rep_id != b->rep_id && ++n)
        json_kv_string(w, "rep", a_rep);
    if (!same_text(a->status, b->status) && ++n)
        json_kv_string(w, "status", a->status);
    json_object_end(w);
    return n;
}

/* The update's audit row (nothing when nothing changed), and the end of access on disabling. */
static int write_change(struct db *db, struct arena *arena, const struct desk_actor *actor,
                        const struct user *before, const struct user *after, int64_t now,
                        struct user *out, struct sd_error *err)
{
    struct strbuf was = STRBUF_INIT, is = STRBUF_INIT;
    struct json_writer w;
    int rc = store_user_update(db, after, err);
    if (rc == 0)
        rc = store_user_by_id(db, arena, after->id, out, err);
    if (rc == 0 && strcmp(before->status, "active") == 0 && strcmp(out->status, "disabled") == 0)
        rc = store_user_end_access(db, out->id, now, err);
    if (rc == 0) {
        json_writer_init(&w, &was, 0);
        changed_fields(&w, before, out, before->rep_ext_id);
        json_writer_init(&w, &is, 0);
        changed_fields(&w, out, before, out->rep_ext_id);
        rc = audit(db, actor, "update", out->id, was.buf, is.buf, err);
    }
    strbuf_release(&was);
    strbuf_release(&is);
    return rc;
}

int user_change(struct db *db, struct arena *arena, const struct desk_actor *actor, int64_t id,
                const struct user_change *ch, int64_t now, struct user *out,
                struct sd_error *err)
{
    struct user before, after;
    struct strbuf probe = STRBUF_INIT;
    struct json_writer w;
    int own = 0;
    int rc = start(db, &own, err);
    if (rc == 0)
        rc = store_user_by_id(db, arena, id, &before, err);
    if (rc == 0)
        rc = apply_change(db, &before, ch, &after, err);
    json_writer_init(&w, &probe, 0);
    if (rc == 0 && changed_fields(&w, &after, &before, NULL) == 0) {
        *out = before; /* nothing to change: nothing written */
    } else {
        if (rc == 0)
            rc = check_allowed(db, actor, &before, &after, err);
        if (rc == 0)
            rc = write_change(db, arena, actor, &before, &after, now, out, err);
    }
    strbuf_release(&probe);
    return finish(db, own, rc, err);
}

int user_password(struct db *db, struct arena *arena, const struct desk_actor *actor,
                  const char *login, const char *password_hash, int64_t now,
                  struct sd_error *err)
{
    struct user u;
    int own = 0;
    int rc = start(db, &own, err);
    if (rc == 0)
        rc = store_user_by_login(db, arena, login, &u, err);
    if (rc == 0)
        rc = store_user_set_password(db, u.id, password_hash, now, err);
    if (rc == 0) {
        u.password_hash = password_hash;
        rc = audit_whole(db, actor, "password", &u, err);
    }
    return finish(db, own, rc, err);
}
