/* SPDX-License-Identifier: MIT */
/*
 * cmd-demo: `salesdesk demo`: builds the demo company into a new database file.
 * The file is built under a temporary name next to the target and renamed into
 * place only when complete, so an interrupted build never leaves a half-made
 * database behind, and bulk-load settings are safe to use while building.
 * A PostgreSQL database (--db postgresql://...) has no file to build aside:
 * it must hold no rows (--force deletes them first), and the demo goes in as
 * one transaction, so an interrupted build leaves it empty.
 * With --serve it then adds the demo logins (demo_logins_add), prints them
 * and serves the API on the new database (cli_serve).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "base/date.h"
#include "base/strbuf.h"
#include "cli/cli.h"
#include "db/db.h"
#include "demo/demo.h"
#include "store/store.h"
#include "base/banned.h"

struct progress {
    int enabled;
    const char *phase;
    int last_percent;
};

static void show_progress(void *ctx, const char *phase, uint64_t done, uint64_t total)
{
    struct progress *p = ctx;
    if (!p->enabled || total == 0)
        return;
    int percent = (int)(done * 100 / total);
    if (phase == p->phase && percent == p->last_percent)
        return;
    if (p->phase && phase != p->phase)
        fputc('\n', stderr);
    p->phase = phase;
    p->last_percent = percent;
    char bar[41];
    int filled = percent * 40 / 100;
    memset(bar, '#', (size_t)filled);
    memset(bar + filled, ' ', (size_t)(40 - filled));
    bar[40] = '\0';
    fprintf(stderr, "\r  %-14s [%s] %3d%%  %" PRIu64 "/%" PRIu64, phase, bar, percent, done,
            total);
    fflush(stderr);
}

static void print_summary(const char *path, const struct store_counts *c,
                          const struct demo_result *r)
{
    printf("demo company written to %s\n\n", path);
    printf("  %-22s %12" PRId64 "\n", "teams", c->entities[ENTITY_TEAM]);
    printf("  %-22s %12" PRId64 "\n", "reps", c->entities[ENTITY_REP]);
    printf("  %-22s %12" PRId64 "\n", "accounts", c->entities[ENTITY_ACCOUNT]);
    printf("  %-22s %12" PRId64 "\n", "contacts", c->entities[ENTITY_CONTACT]);
    printf("  %-22s %12" PRId64 "\n", "products", c->entities[ENTITY_PRODUCT]);
    printf("  %-22s %12" PRId64 "\n", "stock levels", c->stock_levels);
    printf("  %-22s %12" PRId64 "\n", "orders", c->entities[ENTITY_ORDER]);
    printf("  %-22s %12" PRId64 "\n", "order lines", c->order_lines);
    printf("  %-22s %12" PRId64 "\n", "invoices", c->entities[ENTITY_INVOICE]);
    printf("  %-22s %12" PRId64 "\n", "opportunities", c->entities[ENTITY_OPPORTUNITY]);
    printf("  %-22s %12" PRId64 "\n", "opportunity stages", c->opportunity_stages);
    printf("  %-22s %12" PRId64 "\n", "customer requests", c->entities[ENTITY_REQUEST]);
    printf("  %-22s %12" PRId64 "\n", "quotas", c->quotas);
    printf("  %-22s %12" PRId64 "\n", "fx rates", c->fx_rates);
    printf("  %-22s %12" PRId64 "\n", "planted problems", c->planted);
    printf("\ntry:\n");
    for (int i = 0; i < DEMO_SAMPLE_MAX && r->top_accounts[i][0]; i++)
        printf("  salesdesk account %-8s --db %s   (a top account)\n", r->top_accounts[i], path);
    for (int i = 0; i < DEMO_SAMPLE_MAX && r->recent_orders[i][0]; i++)
        printf("  salesdesk order %-10s --db %s   (an open order)\n", r->recent_orders[i], path);
    for (int p = 1; p < PLANT_COUNT; p++) {
        if (r->planted_sample[p][0])
            printf("  salesdesk order %-10s --db %s   (planted: %s)\n", r->planted_sample[p], path,
                   demo_plant_code((enum demo_plant)p));
    }
}

static int parse_options(const struct cli_args *args, struct demo_options *opt)
{
    const char *scale = cli_opt(args, "scale");
    uint64_t seed = 1;
    opt->scale = DEMO_SMALL;
    if (scale && demo_scale_parse(scale, &opt->scale))
        return cli_usage_error(args, "--scale: '%s' is not one of small, medium, large", scale);
    int rc = cli_opt_uint(args, "seed", UINT64_MAX, &seed);
    if (rc == 0)
        rc = cli_opt_date(args, "today", &opt->today);
    opt->seed = seed;
    if (rc == 0 && (opt->today < date_from_civil(1900, 1, 1) ||
                    opt->today > date_from_civil(9000, 1, 1)))
        rc = cli_usage_error(args, "--today: the demo needs a day between 1900 and 9000");
    return rc;
}

/* The demo writes a new file: refuse to replace one unless told to. */
static int check_target(const struct cli_args *args, const char *path, struct sd_error *err)
{
    struct stat sb;
    if (stat(path, &sb) == 0 && !cli_flag(args, "force"))
        return sd_error_set(err, SD_ECONFLICT, "'%s' already exists (use --force to replace it)",
                            path);
    return 0;
}

/* A server's database: schema brought up to date, refused when it holds rows unless --force. */
static int clear_server(const struct cli_args *args, const char *url, struct sd_error *err)
{
    struct db *db = NULL;
    int64_t removed = 0;
    int rc = db_open(&db, url, DB_OPEN_CREATE, err);
    if (rc == 0)
        rc = db_migrate(db, NULL, NULL, err);
    if (rc == 0)
        rc = db_begin(db, err);
    if (rc == 0)
        rc = store_clear(db, cli_flag(args, "force"), &removed, err);
    if (rc == 0)
        rc = db_commit(db, err);
    db_close(db);
    return rc;
}

static int build(const char *target, const struct demo_options *opt, struct progress *progress,
                 struct store_counts *counts, struct demo_result *result, struct sd_error *err)
{
    struct db *db = NULL;
    int rc = db_open(&db, target, DB_OPEN_CREATE, err);
    if (rc == 0)
        rc = db_migrate(db, NULL, NULL, err);
    if (rc == 0)
        rc = db_bulk_begin(db, err);
    if (rc == 0)
        rc = demo_build(db, opt, show_progress, progress, result, err);
    if (rc == 0 && progress->enabled)
        fputs("\n  building indexes...", stderr);
    if (rc == 0)
        rc = db_bulk_end(db, err);
    if (rc == 0)
        rc = store_counts(db, counts, err);
    db_close(db);
    return rc;
}

/* Removes a SQLite database file with its -wal and -shm companions. */
static void remove_db_files(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    struct strbuf name = STRBUF_INIT;
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        strbuf_reset(&name);
        strbuf_addf(&name, "%s%s", path, suffixes[i]);
        unlink(name.buf);
    }
    strbuf_release(&name);
}

/* What each demo login may do, for the table the demo prints. */
static const char *login_note(const struct demo_login *l, char *buf, size_t size)
{
    static const struct {
        const char *role;
        const char *note;
    } notes[] = {
        {"admin", "everything, users and settings"},
        {"manager", "all data, targets, KPI definitions"},
        {"support", "all accounts and orders, queues, requests, imports"},
        {"viewer", "reads everything, changes nothing"},
    };
    if (l->rep[0]) {
        snprintf(buf, size, "rep %s: only their accounts (e.g. %s), orders, requests", l->rep,
                 l->account);
        return buf;
    }
    for (size_t i = 0; i < sizeof(notes) / sizeof(notes[0]); i++)
        if (strcmp(notes[i].role, l->role) == 0)
            return notes[i].note;
    return "";
}

/* Adds the demo logins to the new database and serves it until a signal. */
static int serve(const char *path, const char *listen, const struct demo_result *result)
{
    struct sd_error err = {0};
    struct db *db = NULL;
    struct demo_login logins[DEMO_LOGINS];
    struct api_options opt;
    int rc = store_open(&db, path, DB_OPEN_EXISTING, &err);
    if (rc == 0)
        rc = demo_logins_add(db, result, logins, &err);
    db_close(db);
    if (rc)
        return cli_fail(&err);
    struct strbuf intro = STRBUF_INIT;
    char note[128];
    strbuf_addf(&intro, "\ndemo logins (known passwords: only for this demo database):\n");
    strbuf_addf(&intro, "  %-10s %-14s %s\n", "login", "password", "may");
    for (int i = 0; i < DEMO_LOGINS; i++)
        strbuf_addf(&intro, "  %-10s %-14s %s\n", logins[i].login, logins[i].password,
                    login_note(&logins[i], note, sizeof(note)));
    strbuf_addf(&intro, "(POST /api/v1/auth/login with {\"login\",\"password\"}; "
                        "docs/api.md)\n\n");
    api_options_defaults(&opt);
    opt.db_url = path;
    if (listen)
        opt.listen = listen;
    rc = cli_serve(&opt, intro.buf);
    strbuf_release(&intro);
    return rc;
}

int cmd_demo(const struct cli_args *args)
{
    struct demo_options opt = {0};
    struct sd_error err = {0};
    struct store_counts counts = {0};
    struct demo_result result;
    const char *url = cli_db_url(args);
    const char *file = db_url_file(url);
    const char *path = file ? file : url;
    int rc = parse_options(args, &opt);
    if (rc)
        return rc;
    if (cli_opt(args, "listen") && !cli_flag(args, "serve"))
        return cli_usage_error(args, "--listen goes with --serve");
    struct progress progress = {
        .enabled = !cli_flag(args, "quiet") && opt.scale != DEMO_SMALL && isatty(STDERR_FILENO),
        .last_percent = -1,
    };
    if (file) {
        if (check_target(args, file, &err))
            return cli_fail(&err);
        struct strbuf tmp = STRBUF_INIT;
        strbuf_addf(&tmp, "%s.building-%ld", file, (long)getpid());
        rc = build(tmp.buf, &opt, &progress, &counts, &result, &err);
        if (rc == 0) {
            remove_db_files(file);
            if (rename(tmp.buf, file) != 0)
                rc = sd_error_set(&err, SD_EIO, "cannot rename '%s' to '%s': %s", tmp.buf, file,
                                  strerror(errno));
        }
        if (rc)
            remove_db_files(tmp.buf);
        strbuf_release(&tmp);
    } else {
        rc = clear_server(args, url, &err);
        if (rc == 0)
            rc = build(url, &opt, &progress, &counts, &result, &err);
    }
    if (progress.enabled)
        fputc('\n', stderr);
    if (rc)
        return cli_fail(&err);
    if (!cli_flag(args, "quiet"))
        print_summary(path, &counts, &result);
    if (cli_flag(args, "serve"))
        return serve(path, cli_opt(args, "listen"), &result);
    return CLI_EXIT_OK;
}
