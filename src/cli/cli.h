/* SPDX-License-Identifier: MIT */
/*
 * cli: the command-line frame. Commands are rows of a const table (main.c)
 * with their options; argument parsing, --help and usage errors come from the
 * table, so help text and behaviour cannot drift apart.
 *
 * Exit codes (DESIGN.md): 0 ok, 1 failure, 2 usage, 3 bad input rejected
 * (nothing applied). Only cli/ prints and exits.
 */
#ifndef SD_CLI_CLI_H
#define SD_CLI_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "base/error.h"

enum cli_exit { CLI_EXIT_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_USAGE = 2, CLI_EXIT_REJECTED = 3 };

#define CLI_MAX_OPTIONS 16
#define CLI_MAX_ARGS 256

struct cli_option {
    const char *name;  /* without the leading "--" */
    const char *value; /* placeholder for the value ("URL"), NULL for a flag */
    const char *help;
};

struct cli_args;

struct cli_command {
    const char *name;
    const char *args;    /* positional arguments for the synopsis ("ID") */
    const char *summary; /* one line */
    const char *details; /* paragraph for --help, may be NULL */
    int min_args;
    int max_args;
    const struct cli_option *options; /* terminated by a zeroed row */
    int (*run)(const struct cli_args *args);
};

/* Parsed command line: positional arguments and option values by option index. */
struct cli_args {
    const struct cli_command *command;
    int n_args;
    const char *args[CLI_MAX_ARGS];
    const char *values[CLI_MAX_OPTIONS]; /* NULL: not given; "" for a given flag */
};

/* Options several commands share, for their option tables. */
#define CLI_OPT_DB                                                                                 \
    {"db", "URL",                                                                                  \
     "database: a SQLite file path or a postgresql:// URL (default ./salesdesk.db, or "           \
     "$SALESDESK_DB)"}
#define CLI_OPT_JSON {"json", NULL, "print JSON instead of text"}

/* The command table (main.c) and its size. */
extern const struct cli_command cli_commands[];
extern const int cli_commands_count;
/* The command called `name`, or NULL. */
const struct cli_command *cli_find_command(const char *name);

/*
 * Parses argv (after the command name) against the command's options. On a
 * usage error prints it with a hint to --help and returns CLI_EXIT_USAGE.
 * Returns -1 when --help was given and printed (the caller exits 0).
 */
int cli_parse(const struct cli_command *cmd, int argc, char **argv, struct cli_args *out);

/* The value of option `name`, or NULL when not given. */
const char *cli_opt(const struct cli_args *args, const char *name);
/* 1 when flag `name` was given. */
int cli_flag(const struct cli_args *args, const char *name);

/* --db, else $SALESDESK_DB, else ./salesdesk.db. */
const char *cli_db_url(const struct cli_args *args);

/* Prints --help of one command / the list of commands. */
void cli_print_help(FILE *out, const struct cli_command *cmd);
void cli_print_usage(FILE *out);

/* Prints "salesdesk: <message>" to stderr and returns CLI_EXIT_FAIL. */
int cli_fail(const struct sd_error *err);
/* Prints a usage error and returns CLI_EXIT_USAGE. */
int cli_usage_error(const struct cli_args *args, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Parses a non-negative decimal integer option; CLI_EXIT_USAGE (printed) when malformed. */
int cli_opt_uint(const struct cli_args *args, const char *name, uint64_t max, uint64_t *out);
/* Parses an ISO date option, or today (UTC) when absent; CLI_EXIT_USAGE (printed) when malformed. */
int cli_opt_date(const struct cli_args *args, const char *name, int32_t *out);

struct db;
/*
 * "Today" for commands that judge dates: --today (already parsed into *today
 * by cli_opt_date), else the setting demo_today (a demo database's last day),
 * else *today as it is (the current date from cli_opt_date). `args` may be
 * NULL (no --today).
 */
int cli_today(const struct cli_args *args, struct db *db, int32_t *today, struct sd_error *err);

/* Writes a whole buffer to stdout; 0, or CLI_EXIT_FAIL when stdout fails. */
int cli_write_stdout(const char *buf, size_t len);

struct api_options;
/*
 * Serves the API with `opt` until SIGTERM or SIGINT (cmd-serve.c): prints
 * `intro` (may be NULL), then "salesdesk: serving DB on http://HOST:PORT/" on
 * stdout; on the signal, finishes the requests in flight. The exit code.
 */
int cli_serve(const struct api_options *opt, const char *intro);

/* Command entry points (one file each). */
int cmd_init(const struct cli_args *args);
int cmd_backup(const struct cli_args *args);
int cmd_demo(const struct cli_args *args);
int cmd_order(const struct cli_args *args);
int cmd_account(const struct cli_args *args);
int cmd_import(const struct cli_args *args);
int cmd_trend(const struct cli_args *args);
int cmd_kpi(const struct cli_args *args);
int cmd_alerts(const struct cli_args *args);
int cmd_account_timeline(const struct cli_args *args); /* account ID --timeline */
int cmd_request(const struct cli_args *args);
int cmd_queue(const struct cli_args *args);
int cmd_note(const struct cli_args *args);
int cmd_serve(const struct cli_args *args);
int cmd_user(const struct cli_args *args);
int cmd_copy(const struct cli_args *args);

#endif
