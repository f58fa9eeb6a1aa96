/* SPDX-License-Identifier: MIT */
/* notes: notes on orders, accounts and requests, one write transaction each (notes.h). */
#include <string.h>

#include "base/date.h"
#include "base/json.h"
#include "base/strbuf.h"
#include "desk/notes.h"
#include "desk/requests.h"
#include "store/store.h"
#include "base/banned.h"

static const char *const subject_names[NOTE_SUBJECT_COUNT] = {
    [NOTE_ORDER] = "order", [NOTE_ACCOUNT] = "account", [NOTE_REQUEST] = "request"};
static const enum store_entity subject_entities[NOTE_SUBJECT_COUNT] = {
    [NOTE_ORDER] = ENTITY_ORDER, [NOTE_ACCOUNT] = ENTITY_ACCOUNT, [NOTE_REQUEST] = ENTITY_REQUEST};

const char *note_subject_name(enum note_subject s)
{
    return subject_names[s];
}

int note_subject_parse(const char *name)
{
    for (int i = 0; name && i < NOTE_SUBJECT_COUNT; i++) {
        if (strcmp(name, subject_names[i]) == 0)
            return i;
    }
    return -1;
}

static int check_body(const char *body, struct sd_error *err)
{
    if (!body || strspn(body, " \t\r\n") == strlen(body))
        return sd_error_set(err, SD_EINVAL, "a note needs some text");
    if (strlen(body) > NOTE_BODY_MAX)
        return sd_error_set(err, SD_EINVAL, "a note is longer than %d bytes", NOTE_BODY_MAX);
    return 0;
}

static int audit_note(struct db *db, const struct desk_actor *actor, const struct note *n,
                      const char *ext_id, struct sd_error *err)
{
    struct strbuf buf = STRBUF_INIT;
    struct json_writer w;
    json_writer_init(&w, &buf, 0);
    json_object_begin(&w);
    json_kv_string(&w, "on", n->entity);
    json_kv_string(&w, "id", ext_id);
    json_kv_string(&w, "author", n->author);
    json_kv_ts(&w, "created_at", n->created_at);
    json_kv_string(&w, "body", n->body);
    json_object_end(&w);
    struct audit_entry a = {
        .at = ts_now_ms(),
        .user_id = actor->user_id,
        .actor = actor->name,
        .action = "note.create",
        .entity = "note",
        .entity_id = n->id,
        .after_json = buf.buf,
    };
    int rc = store_audit_append(db, &a, err);
    strbuf_release(&buf);
    return rc;
}

int note_add(struct db *db, struct arena *arena, const struct desk_actor *actor,
             enum note_subject subject, const char *ext_id, const char *body, int64_t now,
             struct note *out, struct sd_error *err)
{
    struct note n = {
        .entity = subject_names[subject],
        .author_user_id = actor->user_id,
        .author = actor->name,
        .body = body,
        .created_at = now,
    };
    struct request_view v;
    int own = !db_in_transaction(db); /* else join the caller's transaction */
    int rc = check_body(body, err);
    if (rc == 0 && own)
        rc = db_begin(db, err);
    if (rc == 0)
        rc = store_resolve(db, subject_entities[subject], ext_id, &n.entity_id, err);
    if (rc == 0)
        rc = store_note_add(db, &n, err);
    if (rc == 0)
        rc = audit_note(db, actor, &n, ext_id, err);
    if (rc == 0 && subject == NOTE_REQUEST)
        rc = store_request_view(db, arena, n.entity_id, &v, err);
    if (rc == 0 && subject == NOTE_REQUEST)
        rc = request_note_response(db, actor, &v, now, err);
    if (rc == 0 && own)
        rc = db_commit(db, err);
    else if (rc && own && db_in_transaction(db))
        db_rollback(db);
    if (rc == 0 && out)
        *out = n;
    return rc;
}

void note_json(struct json_writer *w, const struct note *n, const char *ext_id)
{
    json_object_begin(w);
    json_kv_string(w, "on", n->entity);
    json_kv_string(w, "id", ext_id);
    json_kv_ts(w, "created_at", n->created_at);
    json_kv_string(w, "author", n->author);
    json_kv_string(w, "body", n->body);
    json_object_end(w);
}
