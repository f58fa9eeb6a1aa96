/* SPDX-License-Identifier: MIT */
/*
 * cmd-note: `salesdesk note order|account|request ID TEXT`: a note on an
 * order, an account or a customer request (desk/notes.h). Notes show on
 * `salesdesk request ID` and in `salesdesk account ID --timeline`.
 */
#include <stdio.h>

#include "base/date.h"
#include "base/json.h"
#include "base/strbuf.h"
#include "cli/cli-desk.h"
#include "cli/cli.h"
#include "desk/notes.h"
#include "store/store.h"
#include "base/banned.h"

static void print_note(struct strbuf *out, const struct note *n, const char *ext_id, int json)
{
    char ts[TS_TEXT_MAX];
    if (!json) {
        ts_format(n->created_at, ts);
        strbuf_addf(out, "note added to %s %s at %s by %s\n", n->entity, ext_id, ts, n->author);
        return;
    }
    struct json_writer w;
    json_writer_init(&w, out, 1);
    note_json(&w, n, ext_id);
    strbuf_addch(out, '\n');
}

int cmd_note(const struct cli_args *args)
{
    struct sd_error err = {0};
    struct db *db = NULL;
    struct arena arena;
    struct strbuf out = STRBUF_INIT;
    struct desk_actor actor;
    struct note n;
    char actor_name[128];
    int64_t now = 0;
    int now_given = 0;
    int subject = note_subject_parse(args->args[0]);
    if (subject < 0)
        return cli_usage_error(args, "'%s' is not order, account or request", args->args[0]);
    int rc = cli_desk_now_option(args, &now, &now_given);
    if (rc)
        return rc;
    cli_desk_actor(actor_name, sizeof(actor_name), &actor);
    arena_init(&arena, 0);
    if (store_open(&db, cli_db_url(args), DB_OPEN_EXISTING, &err))
        rc = cli_fail(&err);
    else if (!now_given)
        rc = cli_desk_now(db, &now);
    if (rc == 0 && note_add(db, &arena, &actor, (enum note_subject)subject, args->args[1],
                            args->args[2], now, &n, &err))
        rc = cli_desk_fail_write(&err);
    if (rc == 0) {
        print_note(&out, &n, args->args[1], cli_flag(args, "json"));
        rc = cli_write_stdout(out.buf, out.len);
    }
    strbuf_release(&out);
    arena_release(&arena);
    db_close(db);
    return rc;
}
