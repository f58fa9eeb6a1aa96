/* SPDX-License-Identifier: MIT */
/* cli-desk: the clock, the actor and the formats of the desk commands (cli-desk.h). */
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/date.h"
#include "base/json.h"
#include "cli/cli-desk.h"
#include "store/store.h"
#include "base/banned.h"

int cli_desk_now_option(const struct cli_args *args, int64_t *now, int *given)
{
    const char *text = cli_opt(args, "now");
    struct sd_error err = {0};
    *given = text != NULL;
    if (text && ts_parse(text, strlen(text), now, &err))
        return cli_usage_error(args, "--now: %s", err.message);
    return 0;
}

int cli_desk_now(struct db *db, int64_t *now)
{
    struct sd_error err = {0};
    return store_desk_now(db, now, &err) ? cli_fail(&err) : 0;
}

void cli_desk_actor(char *buf, size_t size, struct desk_actor *actor)
{
    const struct passwd *pw = getpwuid(geteuid());
    const char *user = pw && pw->pw_name && *pw->pw_name ? pw->pw_name : getenv("USER");
    if (user && *user)
        snprintf(buf, size, "cli:%s", user);
    else
        snprintf(buf, size, "cli:uid%lu", (unsigned long)geteuid());
    actor->user_id = 0;
    actor->name = buf;
}

int cli_desk_fail_write(const struct sd_error *err)
{
    cli_fail(err);
    int refused = err->code == SD_EINVAL || err->code == SD_ENOTFOUND ||
                  err->code == SD_ECONFLICT;
    return refused ? CLI_EXIT_REJECTED : CLI_EXIT_FAIL;
}

void cli_desk_duration(int64_t ms, char *buf, size_t size)
{
    const char *sign = ms < 0 ? "-" : "";
    uint64_t minutes = (uint64_t)(ms < 0 ? -(ms / 60000) : ms / 60000);
    if (minutes >= 24 * 60)
        snprintf(buf, size, "%s%" PRIu64 "d %" PRIu64 "h", sign, minutes / (24 * 60),
                 minutes / 60 % 24);
    else
        snprintf(buf, size, "%s%" PRIu64 "h %02" PRIu64 "m", sign, minutes / 60, minutes % 60);
}

void cli_desk_time(int64_t ms, char *buf, size_t size)
{
    char ts[TS_TEXT_MAX];
    if (ms == INT_NONE) {
        snprintf(buf, size, "-");
        return;
    }
    ts_format(ms, ts);
    snprintf(buf, size, "%.10s %.5s", ts, ts + 11);
}
