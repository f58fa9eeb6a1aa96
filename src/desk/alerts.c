/* SPDX-License-Identifier: MIT */
/* alerts: see alerts.h. */
#include "desk/alerts.h"

#include "base/json.h"
#include "base/strbuf.h"
#include "store/store.h"
#include "base/banned.h"

int alert_ack(struct db *db, const struct desk_actor *actor, int64_t id, int64_t at,
              struct sd_error *err)
{
    int rc = store_kpi_alert_ack(db, id, actor->user_id, at, err);
    if (rc)
        return rc;
    struct strbuf after = STRBUF_INIT;
    struct json_writer w;
    json_writer_init(&w, &after, 0);
    json_object_begin(&w);
    json_kv_ts(&w, "acked_at", at);
    json_kv_int(&w, "acked_by", actor->user_id ? actor->user_id : INT_NONE);
    json_object_end(&w);
    struct audit_entry e = {.at = at,
                            .user_id = actor->user_id,
                            .actor = actor->name,
                            .action = "kpi_alert.ack",
                            .entity = "kpi_alert",
                            .entity_id = id,
                            .before_json = "{\"acked_at\":null,\"acked_by\":null}",
                            .after_json = after.buf};
    rc = store_audit_append(db, &e, err);
    strbuf_release(&after);
    return rc;
}
