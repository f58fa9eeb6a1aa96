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
#include "engine/sla.h"

#define FACTS_DEAD 15 /* the status of a line whose order was replaced or deleted */
#define FACTS_NONE UINT32_MAX /* no slot (the end of an account's chain), no raw nets */

/* Text values of one attribute (region, team...) → dense keys; key 0 is "" (none). */
struct facts_dict {
    struct hashmap map;
    const char **text;
    const char **label;
    uint32_t n, cap;
};

/*
 * Store ids → dense indexes. Ids are mostly 1..N (autoincrement), so an id
 * below a few times the number of entries goes into a plain array (4 bytes
 * an id); others into an open-addressing table (12 bytes a slot, at most 70 %
 * full).
 */
struct facts_idmap {
    uint32_t *direct; /* index + 1 by id; 0: absent */
    size_t direct_cap, direct_count;
    int64_t *keys;    /* 0: empty (store ids start at 1) */
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

/*
 * Opportunities, customer requests and invoices: small tables, reloaded whole
 * when any row of theirs changes. Amounts in the base currency (opportunities
 * at their created day, invoices at their issue day); reps as rep keys.
 */
struct facts_side {
    size_t nopps;
    uint32_t *opp_account, *opp_rep, *opp_stage; /* stage: key in `stages` */
    uint8_t *opp_outcome;                        /* 0 open, 1 won, 2 lost */
    int32_t *opp_created, *opp_closed;
    int64_t *opp_amount;
    uint32_t *opp_hist_first, *opp_hist_n;       /* the opportunity's stage history */
    size_t nhist;
    uint32_t *hist_stage;
    int32_t *hist_day;
    int64_t *stage_win;                          /* per stage key: won share, millionths */
    struct facts_dict stages;

    size_t nrequests;
    uint32_t *req_account, *req_rep;
    uint8_t *req_priority;                       /* 0 low, 1 normal, 2 high, 3 urgent */
    int64_t *req_opened, *req_first, *req_resolved; /* ms; INT64_MIN: not yet */
    struct sla_targets sla; /* request SLA targets (engine/sla.h) */

    size_t ninvoices;
    uint32_t *inv_account, *inv_rep;
    int32_t *inv_issue, *inv_due, *inv_paid_day;
    int64_t *inv_amount, *inv_paid;
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
    uint32_t *slot_id; /* the order's store id (ids past 2^32 are refused) */
    int32_t *slot_ship;
    int32_t *slot_due;
    uint32_t *slot_first;
    uint32_t *slot_nlines;
    uint8_t *slot_unrated; /* 1: the order's currency had no rate (taken at 1) */
    uint32_t *slot_prev;   /* the account's slot before this one (dead ones too); FACTS_NONE */
    uint32_t *slot_raw;    /* where the nets of its lines in the order currency start in raw[] */
    struct facts_idmap order_slot;

    /*
     * The nets in the order currency of the lines whose rate is not 1 (other
     * currencies), one entry a line, in slot order: raw[slot_raw[s] + k] is
     * line k of slot s. slot_raw is FACTS_NONE when net[] is the order
     * currency's net already.
     */
    int64_t *raw;
    size_t nraw, raw_cap;

    /* By account index: the account's newest slot (a chain through slot_prev); FACTS_NONE. */
    uint32_t *acct_last;
    size_t acct_cap;
    int grouped; /* facts_group_accounts was called: a rebuild groups again */

    struct facts_entities accounts; /* attr: region, segment, country */
    struct facts_entities reps;     /* attr: team */
    struct facts_entities products; /* attr: category; cost */
    struct facts_dict regions, segments, countries, teams, categories, currencies;
    struct facts_fx *fx; /* per currency key */
    uint32_t fx_n;
    char base_currency[16];

    struct facts_side side;

    int64_t seq;
    int64_t unrated; /* live lines of orders whose currency had no rate */
    int32_t first_day, last_day;
    struct arena strings;
};

/* Shared by facts.c, query.c and side.c. */
void facts_idmap_put(struct facts_idmap *m, int64_t key, uint32_t value);
int facts_idmap_get(const struct facts_idmap *m, int64_t key, uint32_t *value);
void facts_idmap_release(struct facts_idmap *m);
void facts_dict_init(struct facts_dict *d);
void facts_dict_release(struct facts_dict *d);
/* The key of `text` (NULL or "" → 0), added when new; `label` (may be NULL) renames it. */
uint32_t facts_dict_key(struct facts *f, struct facts_dict *d, const char *text,
                        const char *label);
/* The rate of `currency` for `day`, × 10^8 (facts.h). */
int64_t facts_fx_rate(const struct facts *f, const char *currency, int32_t day);
/* `amount` in `currency` at `day`, in the base currency, rounded half away from zero. */
int facts_to_base(const struct facts *f, int64_t amount, const char *currency, int32_t day,
                  int64_t *out);

/* side.c: (re)loads the opportunities, requests and invoices; frees them. */
int side_load(struct facts *f, struct db *db, struct sd_error *err);
void side_release(struct facts_side *s);
int64_t side_bytes(const struct facts_side *s);

#endif
