/* SPDX-License-Identifier: MIT */
/*
 * cmd-user: `salesdesk user add|list|passwd`: the people who log in to the
 * API. Passwords come from stdin (one line; never from the command line,
 * where other users of the machine could read them) and are stored as
 * argon2id strings. The rules, the writes and their audit rows (user 0: the
 * command line) are desk/users.h's, shared with the API; a new password ends
 * the user's sessions.
 */
#include <stdio.h>
#include <string.h>

#include "base/date.h"
#include "base/json.h"
#include "base/secret.h"
#include "cli/cli.h"
#include "cli/cli-desk.h"
#include "desk/users.h"
#include "store/store.h"
#include "base/banned.h"

/* One line from stdin without its line end; CLI_EXIT_FAIL (printed) when empty or too long. */
static int read_password(char *buf, size_t size)
{
    struct sd_error err = {0};
    if (!fgets(buf, (int)size, stdin)) {
        sd_error_set(&err, SD_EINVAL, "no password on stdin");
        return cli_fail(&err);
    }
    size_t len = strcspn(buf, "\r\n");
    if (len == size - 1 && buf[len] == '\0') {
        sd_error_set(&err, SD_EINVAL, "the password is longer than %d characters",
                     SECRET_PASSWORD_MAX);
        return cli_fail(&err);
    }
    buf[len] = '\0';
    return 0;
}

static int hash_stdin_password(char *hash)
{
    char password[SECRET_PASSWORD_MAX + 2];
    struct sd_error err = {0};
    int rc = read_password(password, sizeof(password));
    if (rc)
        return rc;
    rc = secret_init(&err);
    if (rc == 0)
        rc = secret_password_hash(password, strlen(password), hash, &err);
    secret_wipe(password, sizeof(password));
    return rc ? cli_fail(&err) : 0;
}

static int check_role(const struct cli_args *args, const char *role)
{
    struct sd_error err = {0};
    return user_role_check(role, &err) ? cli_usage_error(args, "--role: %s", err.message) : 0;
}

static int check_login(const struct cli_args *args, const char *login)
{
    struct sd_error err = {0};
    return user_login_check(login, &err) ? cli_usage_error(args, "%s", err.message) : 0;
}

static int user_add(const struct cli_args *args, struct db *db, const char *hash,
                    struct sd_error *err)
{
    char name[128];
    struct desk_actor actor;
    struct arena arena;
    struct user u;
    struct user_new in = {.login = args->args[1],
                          .name = cli_opt(args, "name"),
                          .role = cli_opt(args, "role"),
                          .rep = cli_opt(args, "rep"),
                          .password_hash = hash};
    cli_desk_actor(name, sizeof(name), &actor);
    arena_init(&arena, 0);
    int rc = user_create(db, &arena, &actor, &in, &u, err);
    arena_release(&arena);
    return rc;
}

static int user_passwd(struct db *db, const char *login, const char *hash, struct sd_error *err)
{
    char name[128];
    struct desk_actor actor;
    struct arena arena;
    cli_desk_actor(name, sizeof(name), &actor);
    arena_init(&arena, 0);
    int rc = user_password(db, &arena, &actor, login, hash, ts_now_ms(), err);
    arena_release(&arena);
    return rc;
}

static void list_text(struct strbuf *out, const struct user *items, size_t n)
{
    strbuf_addf(out, "%-20s %-8s %-10s %-8s %s\n", "login", "role", "rep", "status", "name");
    for (size_t i = 0; i < n; i++)
        strbuf_addf(out, "%-20s %-8s %-10s %-8s %s\n", items[i].login, items[i].role,
                    items[i].rep_ext_id ? items[i].rep_ext_id : "-", items[i].status,
                    items[i].name ? items[i].name : "");
}

static void list_json(struct strbuf *out, const struct user *items, size_t n)
{
    struct json_writer w;
    json_writer_init(&w, out, 1);
    json_array_begin(&w);
    for (size_t i = 0; i < n; i++) {
        json_object_begin(&w);
        json_kv_string(&w, "login", items[i].login);
        json_kv_string(&w, "name", items[i].name);
        json_kv_string(&w, "role", items[i].role);
        json_kv_string(&w, "rep", items[i].rep_ext_id);
        json_kv_string(&w, "status", items[i].status);
        json_kv_bool(&w, "password", items[i].password_hash != NULL);
        json_kv_ts(&w, "created_at", items[i].created_at);
        json_object_end(&w);
    }
    json_array_end(&w);
    strbuf_addch(out, '\n');
}

/* Usage checks that need no database. */
static int check_usage(const struct cli_args *args, const char *sub)
{
    if (strcmp(sub, "list") == 0)
        return args->n_args == 1 ? 0 : cli_usage_error(args, "user list takes no LOGIN");
    if (strcmp(sub, "add") != 0 && strcmp(sub, "passwd") != 0)
        return cli_usage_error(args, "unknown subcommand '%s' (add, list or passwd)", sub);
    if (args->n_args != 2)
        return cli_usage_error(args, "missing argument LOGIN");
    if (strcmp(sub, "passwd") == 0 && !cli_flag(args, "password-stdin"))
        return cli_usage_error(args, "user passwd reads the password with --password-stdin");
    if (strcmp(sub, "add") == 0 && !cli_opt(args, "role"))
        return cli_usage_error(args, "user add needs --role ROLE");
    if (strcmp(sub, "add") == 0 && check_login(args, args->args[1]))
        return CLI_EXIT_USAGE;
    if (strcmp(sub, "add") == 0)
        return check_role(args, cli_opt(args, "role"));
    return 0;
}

int cmd_user(const struct cli_args *args)
{
    struct sd_error err = {0};
    struct db *db = NULL;
    struct strbuf out = STRBUF_INIT;
    char hash[SECRET_PASSWORD_STR] = "";
    const char *sub = args->args[0];
    int rc = check_usage(args, sub);
    if (rc)
        return rc;
    if (strcmp(sub, "list") != 0 && cli_flag(args, "password-stdin") &&
        (rc = hash_stdin_password(hash)) != 0)
        return rc;
    rc = store_open(&db, cli_db_url(args), DB_OPEN_EXISTING, &err);
    if (rc == 0 && strcmp(sub, "add") == 0) {
        rc = user_add(args, db, hash[0] ? hash : NULL, &err);
        if (rc == 0)
            strbuf_addf(&out, "user '%s' added (%s)%s\n", args->args[1], cli_opt(args, "role"),
                        hash[0] ? "" : "; no password yet: set one with 'user passwd'");
    } else if (rc == 0 && strcmp(sub, "passwd") == 0) {
        rc = user_passwd(db, args->args[1], hash, &err);
        if (rc == 0)
            strbuf_addf(&out, "password of '%s' changed; their sessions are ended\n",
                        args->args[1]);
    } else if (rc == 0) {
        struct arena arena;
        struct user *items;
        size_t n;
        arena_init(&arena, 0);
        rc = store_user_list(db, &arena, &items, &n, &err);
        if (rc == 0 && cli_flag(args, "json"))
            list_json(&out, items, n);
        else if (rc == 0)
            list_text(&out, items, n);
        arena_release(&arena);
    }
    int exit_code = rc ? cli_fail(&err) : cli_write_stdout(out.buf, out.len);
    strbuf_release(&out);
    db_close(db);
    return exit_code;
}
