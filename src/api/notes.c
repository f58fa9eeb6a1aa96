/* SPDX-License-Identifier: MIT */
/*
 * notes: a note on an order, an account or a customer request, as `salesdesk
 * note` writes it (desk/notes.h: the note, its change_log and audit rows, and
 * a request's first response). The subject must be one the caller may see:
 * for a rep, one they may not see answers the 404 of one that does not exist.
 */
#include <string.h>

#include "api/api-int.h"
#include "base/json.h"
#include "desk/notes.h"
#include "store/store.h"
#include "base/banned.h"

#define ID_TEXT_MAX 200

static const enum store_entity subject_entities[NOTE_SUBJECT_COUNT] = {
    [NOTE_ORDER] = ENTITY_ORDER, [NOTE_ACCOUNT] = ENTITY_ACCOUNT, [NOTE_REQUEST] = ENTITY_REQUEST};

struct note_job {
    enum note_subject subject;
    const char *id;
    const char *text;
    int64_t now;
    struct note out;
};

static int note_write(struct api_call *c, void *ctx, struct sd_error *err)
{
    struct note_job *job = ctx;
    struct desk_actor actor = {.user_id = c->who.user_id, .name = api_actor_name(c)};
    int64_t id;
    int rc = api_resolve_visible(c, subject_entities[job->subject], job->id, &id, err);
    if (rc == SD_ENOTFOUND || rc == SD_ECONFLICT)
        api_detail(c, "id", "%s", err->message);
    if (rc == 0) {
        rc = note_add(c->db, c->req->arena, &actor, job->subject, job->id, job->text, job->now,
                      &job->out, err);
        if (rc == SD_EINVAL)
            api_detail(c, "text", "%s", err->message);
    }
    return rc;
}

int api_notes_create(struct api_call *c, struct sd_error *err)
{
    static const char *const fields[] = {"subject", "id", "text", NULL};
    struct note_job job = {0};
    int rc = api_body_fields(c, fields);
    const char *subject = api_body_string(c, "subject", 16, 1);
    job.id = api_body_string(c, "id", ID_TEXT_MAX, 1);
    job.text = api_body_string(c, "text", NOTE_BODY_MAX, 1);
    int s = subject ? note_subject_parse(subject) : 0;
    if (s < 0)
        api_detail(c, "subject", "must be order, account or request");
    if (rc || c->n_details)
        return sd_error_set(err, SD_EINVAL, "a note needs subject (order, account or request), "
                                            "id and text");
    job.subject = (enum note_subject)s;
    rc = store_desk_now(c->db, &job.now, err);
    if (rc == 0)
        rc = api_write(c, note_write, &job, err);
    if (rc)
        return rc;
    struct json_writer w;
    api_json_begin(c, 201, &w);
    note_json(&w, &job.out, job.id);
    return 0;
}
