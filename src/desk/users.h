/* SPDX-License-Identifier: MIT */
/*
 * users: the people who log in, administered from the command line
 * (`salesdesk user add|passwd`) and by admins through the API, with one set
 * of rules and one audit form for both.
 *
 * Rules: a login is 1 to USER_LOGIN_MAX bytes without spaces or control
 * characters, and unique; the role is one of admin manager support rep
 * viewer; a user with role rep has a rep (the one they are); a name is at
 * most USER_NAME_MAX bytes; the status is active or disabled. A disabled user
 * cannot log in, and disabling ends their sessions and revokes their API
 * tokens at once. Nobody disables themself, and the last active admin stays
 * an active admin (SD_ECONFLICT), so an installation always has one.
 *
 * Every write is one transaction (the caller's when one is open, which then
 * commits or rolls back) with an audit_log row of entity "user": "create"
 * (after: login, name, role, rep, password: whether one is set — never the
 * password or its hash), "update" (before/after: the changed fields),
 * "password". Refusals write nothing: SD_EINVAL for bad values, SD_ENOTFOUND
 * for an unknown rep or user, SD_ECONFLICT for a login taken or a change the
 * rules above refuse. Strings returned live in the arena passed in.
 */
#ifndef SD_DESK_USERS_H
#define SD_DESK_USERS_H

#include <stdint.h>

#include "base/arena.h"
#include "base/error.h"
#include "db/db.h"
#include "desk/actor.h"
#include "store/model.h"

#define USER_LOGIN_MAX 128 /* bytes */
#define USER_NAME_MAX  200 /* bytes */

/* 0 for a valid login; SD_EINVAL with "login '…': 1 to 128 characters, …" otherwise. */
int user_login_check(const char *login, struct sd_error *err);
/* 0 for a role name; SD_EINVAL with "'…' is not one of admin, …" otherwise. */
int user_role_check(const char *role, struct sd_error *err);
/* 0 for active or disabled; SD_EINVAL naming the status otherwise. */
int user_status_check(const char *status, struct sd_error *err);

struct user_new {
    const char *login;
    const char *name;          /* NULL: none */
    const char *role;
    const char *rep;           /* a rep's external id, or NULL (required for role rep) */
    const char *password_hash; /* argon2id string, or NULL: cannot log in until one is set */
};

/* Creates a user (status active, created at the real time); *out is the stored user. */
int user_create(struct db *db, struct arena *arena, const struct desk_actor *actor,
                const struct user_new *in, struct user *out, struct sd_error *err);

/* What to change: each member NULL (or its set_ flag 0) keeps the value. */
struct user_change {
    const char *role;
    const char *status; /* active disabled */
    int set_name;
    const char *name;   /* with set_name: the new name, NULL to clear it */
    int set_rep;
    const char *rep;    /* with set_rep: a rep's external id, NULL to clear it */
};

/*
 * Changes user `id` as `ch` says at `now`. A change to the values the user
 * already has writes nothing (no audit row) and succeeds. *out is the user
 * afterwards.
 */
int user_change(struct db *db, struct arena *arena, const struct desk_actor *actor, int64_t id,
                const struct user_change *ch, int64_t now, struct user *out,
                struct sd_error *err);

/* Sets the password hash of user `login`, ending their sessions and revoking their tokens. */
int user_password(struct db *db, struct arena *arena, const struct desk_actor *actor,
                  const char *login, const char *password_hash, int64_t now,
                  struct sd_error *err);

#endif
