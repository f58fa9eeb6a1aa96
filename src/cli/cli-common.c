/* SPDX-License-Identifier: MIT */
/* cli-common: argument parsing, help and error output shared by every command. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/date.h"
#include "cli/cli.h"
#include "store/store.h"
#include "base/banned.h"

static int option_index(const struct cli_command *cmd, const char *name, size_t len)
{
    for (int i = 0; cmd->options && cmd->options[i].name; i++) {
        if (strlen(cmd->options[i].name) == len && strncmp(cmd->options[i].name, name, len) == 0)
            return i;
    }
    return -1;
}

static int usage(const struct cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int usage(const struct cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("salesdesk: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see 'salesdesk %s --help')\n", cmd->name);
    return CLI_EXIT_USAGE;
}

/* Handles one "--name[=value]" at argv[*i]; advances *i past a separate value. */
static int parse_option(const struct cli_command *cmd, int argc, char **argv, int *i,
                        struct cli_args *out)
{
    const char *word = argv[*i] + 2;
    const char *eq = strchr(word, '=');
    size_t len = eq ? (size_t)(eq - word) : strlen(word);
    int idx = option_index(cmd, word, len);
    if (idx < 0)
        return usage(cmd, "unknown option '--%.*s'", (int)len, word);
    const struct cli_option *opt = &cmd->options[idx];
    if (!opt->value) {
        if (eq)
            return usage(cmd, "option '--%s' takes no value", opt->name);
        out->values[idx] = "";
        return 0;
    }
    if (eq) {
        out->values[idx] = eq + 1;
        return 0;
    }
    if (*i + 1 >= argc)
        return usage(cmd, "option '--%s' needs a value (%s)", opt->name, opt->value);
    out->values[idx] = argv[++*i];
    return 0;
}

int cli_parse(const struct cli_command *cmd, int argc, char **argv, struct cli_args *out)
{
    memset(out, 0, sizeof(*out));
    out->command = cmd;
    int only_args = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!only_args && strcmp(a, "--help") == 0) {
            cli_print_help(stdout, cmd);
            return -1;
        }
        if (!only_args && strcmp(a, "--") == 0) {
            only_args = 1;
        } else if (!only_args && strncmp(a, "--", 2) == 0) {
            int rc = parse_option(cmd, argc, argv, &i, out);
            if (rc)
                return rc;
        } else if (!only_args && a[0] == '-' && a[1] != '\0') {
            return usage(cmd, "unknown option '%s'", a);
        } else {
            if (out->n_args >= cmd->max_args)
                return usage(cmd, "unexpected argument '%s'", a);
            out->args[out->n_args++] = a;
        }
    }
    if (out->n_args < cmd->min_args)
        return usage(cmd, "missing argument %s", cmd->args);
    return 0;
}

const char *cli_opt(const struct cli_args *args, const char *name)
{
    int idx = option_index(args->command, name, strlen(name));
    return idx < 0 ? NULL : args->values[idx];
}

int cli_flag(const struct cli_args *args, const char *name)
{
    return cli_opt(args, name) != NULL;
}

const char *cli_db_url(const struct cli_args *args)
{
    const char *url = cli_opt(args, "db");
    if (url)
        return url;
    url = getenv("SALESDESK_DB");
    return url && *url ? url : "./salesdesk.db";
}

void cli_print_help(FILE *out, const struct cli_command *cmd)
{
    fprintf(out, "usage: salesdesk %s%s%s [options]\n\n%s\n", cmd->name, cmd->args ? " " : "",
            cmd->args ? cmd->args : "", cmd->summary);
    if (cmd->details)
        fprintf(out, "\n%s\n", cmd->details);
    fputs("\noptions:\n", out);
    for (int i = 0; cmd->options && cmd->options[i].name; i++) {
        const struct cli_option *o = &cmd->options[i];
        char left[64];
        snprintf(left, sizeof(left), "--%s%s%s", o->name, o->value ? " " : "",
                 o->value ? o->value : "");
        fprintf(out, "  %-22s %s\n", left, o->help);
    }
    fprintf(out, "  %-22s %s\n", "--help", "show this help");
}

void cli_print_usage(FILE *out)
{
    fputs("usage: salesdesk COMMAND [options]\n\ncommands:\n", out);
    for (int i = 0; i < cli_commands_count; i++)
        fprintf(out, "  %-10s %s\n", cli_commands[i].name, cli_commands[i].summary);
    fputs("\n'salesdesk COMMAND --help' describes a command.\n"
          "exit codes: 0 ok, 1 failure, 2 usage error, 3 bad input rejected\n",
          out);
}

int cli_fail(const struct sd_error *err)
{
    fprintf(stderr, "salesdesk: %s\n", err->message[0] ? err->message : sd_status_name(err->code));
    return CLI_EXIT_FAIL;
}

int cli_usage_error(const struct cli_args *args, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    return usage(args->command, "%s", message);
}

int cli_opt_uint(const struct cli_args *args, const char *name, uint64_t max, uint64_t *out)
{
    const char *text = cli_opt(args, name);
    if (!text)
        return 0;
    char *end = NULL;
    errno = 0;
    if (text[0] < '0' || text[0] > '9')
        return cli_usage_error(args, "--%s: '%s' is not a whole number", name, text);
    uint64_t v = strtoull(text, &end, 10);
    if (errno || *end)
        return cli_usage_error(args, "--%s: '%s' is not a whole number", name, text);
    if (v > max)
        return cli_usage_error(args, "--%s: %s is larger than %" PRIu64, name, text, max);
    *out = v;
    return 0;
}

int cli_opt_date(const struct cli_args *args, const char *name, int32_t *out)
{
    const char *text = cli_opt(args, name);
    if (!text) {
        *out = ts_to_date(ts_now_ms());
        return 0;
    }
    struct sd_error err = {0};
    if (date_parse(text, strlen(text), out, &err))
        return cli_usage_error(args, "--%s: %s", name, err.message);
    return 0;
}

int cli_today(const struct cli_args *args, struct db *db, int32_t *today, struct sd_error *err)
{
    if (args && cli_opt(args, "today"))
        return 0; /* parsed by cli_opt_date before the store was opened */
    int set;
    return store_demo_today(db, today, &set, err);
}

int cli_write_stdout(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "salesdesk: cannot write output: %s\n", strerror(errno));
            return CLI_EXIT_FAIL;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}
