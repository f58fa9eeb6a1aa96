/* SPDX-License-Identifier: MIT */
/*
 * main: the salesdesk command: finds the command in the table
 * (cli-commands.c), parses its arguments and runs it.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "base/banned.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        cli_print_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        const struct cli_command *cmd = argc > 2 ? cli_find_command(argv[2]) : NULL;
        if (cmd)
            cli_print_help(stdout, cmd);
        else
            cli_print_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("salesdesk %s\n", SALESDESK_VERSION);
        return CLI_EXIT_OK;
    }
    const struct cli_command *cmd = cli_find_command(argv[1]);
    if (!cmd) {
        fprintf(stderr, "salesdesk: unknown command '%s' (see 'salesdesk --help')\n", argv[1]);
        return CLI_EXIT_USAGE;
    }
    struct cli_args args;
    int rc = cli_parse(cmd, argc - 2, argv + 2, &args);
    if (rc < 0)
        return CLI_EXIT_OK;
    if (rc)
        return rc;
    return cmd->run(&args);
}
