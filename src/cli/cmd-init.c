/* SPDX-License-Identifier: MIT */
/* cmd-init: `salesdesk init`: create a database or bring its schema up to date. */
#include <stdio.h>

#include "cli/cli.h"
#include "db/db.h"
#include "base/banned.h"

int cmd_init(const struct cli_args *args)
{
    struct sd_error err = {0};
    struct db *db = NULL;
    const char *url = cli_db_url(args);
    int from = 0, to = 0;
    int rc = db_open(&db, url, DB_OPEN_CREATE, &err);
    if (rc == 0)
        rc = db_migrate(db, &from, &to, &err);
    db_close(db);
    if (rc)
        return cli_fail(&err);
    if (from == to)
        printf("%s: schema is current (version %d)\n", url, to);
    else if (from == 0)
        printf("%s: created (schema version %d)\n", url, to);
    else
        printf("%s: upgraded schema from version %d to %d\n", url, from, to);
    return CLI_EXIT_OK;
}
