/* SPDX-License-Identifier: MIT */
/*
 * notes: notes on orders, accounts and customer requests, written by a
 * person at the desk. Adding one is one write transaction (the caller's when
 * one is open, which then commits or rolls back): the note, its
 * change_log row and its audit row ("note.create"); a note on a request that
 * has no first response yet and is not resolved or closed also records the
 * request's first response at the note's time (see desk/requests.h), with
 * the request's own change_log and audit rows. Bad input changes nothing.
 */
#ifndef SD_DESK_NOTES_H
#define SD_DESK_NOTES_H

#include <stdint.h>

#include "base/arena.h"
#include "base/error.h"
#include "base/json.h"
#include "db/db.h"
#include "desk/actor.h"
#include "store/model.h"

#define NOTE_BODY_MAX 10000 /* bytes */

enum note_subject { NOTE_ORDER, NOTE_ACCOUNT, NOTE_REQUEST, NOTE_SUBJECT_COUNT };

/* "order" "account" "request", the names the CLI and the notes table use. */
const char *note_subject_name(enum note_subject s);
/* The subject called `name`, or -1. */
int note_subject_parse(const char *name);

/*
 * Adds a note with `body` (not blank, at most NOTE_BODY_MAX bytes) on the
 * order, account or request with external id `ext_id`, created at `now`
 * (ms). SD_EINVAL for a blank or too long body, SD_ENOTFOUND for an unknown
 * id; nothing is written then. *out (may be NULL) receives the note, its
 * strings in `arena`.
 */
int note_add(struct db *db, struct arena *arena, const struct desk_actor *actor,
             enum note_subject subject, const char *ext_id, const char *body, int64_t now,
             struct note *out, struct sd_error *err);

/* The note as JSON (`salesdesk note … --json` and the API): on, id (`ext_id`), created_at, author, body. */
void note_json(struct json_writer *w, const struct note *n, const char *ext_id);

#endif
