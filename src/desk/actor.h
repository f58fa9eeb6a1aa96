/* SPDX-License-Identifier: MIT */
/*
 * actor: who makes a write at the desk, for the audit log and the author of
 * notes. Until logins exist (issue 6) the command line sends user_id 0 and a
 * name "cli:<OS user>"; the audit row then has a NULL user_id and that text.
 */
#ifndef SD_DESK_ACTOR_H
#define SD_DESK_ACTOR_H

#include <stdint.h>

struct desk_actor {
    int64_t user_id;  /* users.id; 0: no logged-in user */
    const char *name; /* "cli:alice", later the user's login */
};

#endif
