/* SPDX-License-Identifier: MIT */
/* sla: request SLA targets per priority from the settings (see sla.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "engine/sla.h"
#include "store/store.h"
#include "base/banned.h"

static const char *const priority_names[SLA_PRIORITIES] = {"low", "normal", "high", "urgent"};
static const int64_t first_hours[SLA_PRIORITIES] = {24, 8, 4, 1};
static const int64_t resolve_hours[SLA_PRIORITIES] = {168, 72, 24, 8};

#define SLA_MAX_HOURS 100000

const char *sla_priority_name(enum sla_priority p)
{
    return priority_names[p];
}

int sla_priority_parse(const char *name)
{
    for (int p = 0; name && p < SLA_PRIORITIES; p++) {
        if (strcmp(name, priority_names[p]) == 0)
            return p;
    }
    return -1;
}

void sla_targets_default(struct sla_targets *t)
{
    for (int p = 0; p < SLA_PRIORITIES; p++) {
        t->first_ms[p] = first_hours[p] * SLA_HOUR_MS;
        t->resolve_ms[p] = resolve_hours[p] * SLA_HOUR_MS;
    }
}

/* Setting `prefix.PRIORITY` into *ms when set; SD_EINVAL naming the key when malformed. */
static int read_hours(struct db *db, struct arena *a, const char *prefix, int p, int64_t *ms,
                      struct sd_error *err)
{
    char key[64];
    const char *v = NULL;
    snprintf(key, sizeof(key), "%s.%s", prefix, priority_names[p]);
    int rc = store_setting_get(db, a, key, &v, err);
    if (rc || !v)
        return rc;
    char *end = NULL;
    errno = 0;
    long long hours = v[0] >= '0' && v[0] <= '9' ? strtoll(v, &end, 10) : -1;
    if (hours < 1 || hours > SLA_MAX_HOURS || errno || *end)
        return sd_error_set(err, SD_EINVAL,
                            "setting '%s': '%s' is not a whole number of hours from 1 to %d", key,
                            v, SLA_MAX_HOURS);
    *ms = hours * SLA_HOUR_MS;
    return 0;
}

int sla_targets_load(struct db *db, struct sla_targets *t, struct sd_error *err)
{
    struct arena a;
    int rc = 0;
    sla_targets_default(t);
    arena_init(&a, 0);
    for (int p = 0; rc == 0 && p < SLA_PRIORITIES; p++) {
        rc = read_hours(db, &a, "sla_first_response_hours", p, &t->first_ms[p], err);
        if (rc == 0)
            rc = read_hours(db, &a, "sla_resolution_hours", p, &t->resolve_ms[p], err);
    }
    arena_release(&a);
    return rc;
}
