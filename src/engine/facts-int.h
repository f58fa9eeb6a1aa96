/* SPDX-License-Identifier: MIT */
/*
 * facts-int: the layout of struct facts, shared by facts.c (building and
 * keeping it current) and query.c (scanning it). See facts.h for the
 * invariants.
 */
#ifndef SD_ENGINE_FACTS_INT_H
#define SD_ENGINE_FACTS_INT_H

#include "base/arena.h"
#include "base/hashmap.h"
#include "engine/facts.h"

#define FACTS_DEAD 15 /* the status of a line whose order was replaced or deleted */

/* Text values of one attribute (region, team...) → dense keys; key 0 is "" (none). */
struct facts_dict {
    struct hashmap map;
    const char **text;
    const char **label;
    uint32_t n, cap;
};

/* Store ids → dense indexes, open addressing. */
struct facts_idmap {
    int64_t *keys; /* 0: empty (store ids start at 1) */
    uint32_t *values;
    size_t cap, count;
};

/*
 * Accounts, reps or products: index → store id, external id, name, up to
 * three dictionary-encoded attributes and (products) cost. Reps keep index 0
 * for "no rep".
 */
struct facts_entities {
    struct facts_idmap ids;
    int64_t *id;
    const char **ext;
    const char **name;
    uint32_t *attr[3];
    int64_t *cost;
    uint32_t n, cap;
};

struct facts_fx {
    int32_t *day;
    int64_t *rate;
    size_t n, cap;
};

struct facts {
    /* Lines, one entry per line in every array. */
    size_t n, cap, dead;
    int32_t *day;
    uint32_t *order;
    uint32_t *account;
    uint32_t *product;
    uint16_t *rep;
    uint8_t *status;
    int32_t *qty;
    int32_t *shipped;
    int64_t *net;
    int64_t *disc;

    /* Order slots. first_line + nlines locate the lines; nlines 0: dead. */
    size_t nslots, slot_cap, live_orders;
    int64_t *slot_id;
    int32_t *slot_ship;
    int32_t *slot_due;
    uint32_t *slot_first;
    uint32_t *slot_nlines;
    struct facts_idmap order_slot;

    struct facts_entities accounts; /* attr: region, segment, country */
    struct facts_entities reps;     /* attr: team */
    struct facts_entities products; /* attr: category; cost */
    struct facts_dict regions, segments, countries, teams, categories, currencies;
    struct facts_fx *fx; /* per currency key */
    uint32_t fx_n;
    char base_currency[16];

    int64_t seq;
    int64_t unrated;
    int32_t first_day, last_day;
    struct arena strings;
};

#endif
