/* SPDX-License-Identifier: MIT */
/*
 * gen-int: state shared by the demo builder's files: the random generator and
 * the in-memory plan of the company (master data and the order calendar)
 * that is drawn first and then written to the store.
 */
#ifndef SD_DEMO_GEN_INT_H
#define SD_DEMO_GEN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/vec.h"
#include "demo/demo.h"
#include "store/store.h"

/* xoshiro256** seeded through splitmix64: fast, good, and the same everywhere. */
struct rng {
    uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, 1). */
double rng_unit(struct rng *r);
/* Uniform integer in [lo, hi]. */
int64_t rng_range(struct rng *r, int64_t lo, int64_t hi);
/* 1 with probability p. */
int rng_chance(struct rng *r, double p);
/* Standard normal (Box-Muller). */
double rng_normal(struct rng *r);
/* Index drawn from a cumulative weight table cdf[0..n-1] (increasing, cdf[n-1] = total). */
size_t rng_pick_cdf(struct rng *r, const double *cdf, size_t n);
/* A string from a list. */
const char *rng_pick(struct rng *r, const char *const *list, size_t n);

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum segment { SEG_ENTERPRISE, SEG_MIDMARKET, SEG_SMB, SEG_COUNT };
enum payer { PAYER_PROMPT, PAYER_LATE, PAYER_BAD };

struct scale_spec {
    const char *name;
    int accounts;
    int products;
    int reps;
    int64_t target_lines;
};

struct gen_region {
    const char *name;
    const char *const *countries;
    size_t n_countries;
    const char *currency; /* most accounts' currency */
};

struct gen_rep {
    int64_t id;
    int team;
    int region;
    int64_t discount_limit; /* millionths */
    char ext_id[12];
};

struct gen_team {
    int64_t id;
    int region;
    int first_rep;
    int n_reps;
};

/* Orders remembered per account to keep ordinary orders from repeating one another. */
#define GEN_RECENT_ORDERS 8

struct gen_account {
    int64_t id;
    int region;
    enum segment segment;
    enum payer payer;
    int owner_rep;
    int manager_rep; /* -1: none */
    int terms_days;
    int status;           /* 0 active, 1 on_hold, 2 closed */
    int32_t first_day;    /* first possible order */
    int32_t last_day;     /* last possible order (closed accounts stop early) */
    double weight;        /* Pareto share of demand */
    double gap_mean;      /* mean days between candidate orders */
    double regularity;    /* 0 (Poisson-like) .. 0.9 (clockwork) */
    int64_t credit_limit; /* money */
    const char *currency;
    const char *country;
    const char *city;
    const char *address;    /* street and city, where orders ship */
    const char *name;       /* company name, drawn when the account is first written */
    int64_t revenue;        /* base currency, filled while writing */
    int32_t last_order_day; /* its last ordinary order in the calendar (DATE_NONE: none) */
    int plant;              /* enum demo_plant of the planted order on it, 0: none */
    int n_overdue;          /* its invoices left unpaid and past due on today */
    int64_t exposure;       /* on today: unpaid invoices + open orders (account currency) */
    uint64_t recent_lines[GEN_RECENT_ORDERS]; /* line signatures of its last orders */
    int32_t recent_days[GEN_RECENT_ORDERS];   /* and their days: a ring, filled while writing */
    int n_recent;                             /* orders written so far */
    char ext_id[12];
};

struct gen_product {
    int64_t id;
    int category;
    int64_t list_price;
    int64_t cost;
    int32_t launch_day;       /* DATE_NONE: in the catalogue before the history */
    int32_t discontinued_day; /* DATE_NONE: still sold */
    double popularity;
    int64_t open_demand;      /* unshipped qty on open orders, filled while writing */
    int64_t stock_cap;        /* >= 0: on_hand forced for a planted shortage; -1 otherwise */
    char sku[16];
};

/* Why an order without a plant code is in the calendar. */
enum order_role {
    ROLE_NORMAL,
    ROLE_OVERDUE_COMPANION,  /* an old unpaid order behind a planted OVERDUE_INVOICES */
    ROLE_DUPLICATE_ORIGINAL, /* the open order a planted DUPLICATE_ORDER copies */
};

/*
 * The longest lead time of an ordinary order (order day to ship day): one
 * placed on or before today - GEN_MAX_LEAD_DAYS has shipped (or was
 * cancelled) by today, so it is not open.
 */
#define GEN_MAX_LEAD_DAYS 21

/* The oldest order still open on today: a planted STUCK_IN_STATUS one. */
#define GEN_OPEN_DAYS 35

/* The doctor's default DUPLICATE_ORDER window (doctor.duplicate_days). */
#define GEN_DUPLICATE_DAYS 7

/* The doctor's default OVERDUE_INVOICES policy (doctor.overdue_grace_days, _max_count). */
#define GEN_OVERDUE_GRACE_DAYS 30
#define GEN_OVERDUE_MAX_COUNT  3

struct gen_order {
    int32_t day;
    uint32_t account;
    uint64_t line_seed; /* lines are drawn from this, so a duplicate can copy them */
    uint8_t plant;      /* enum demo_plant */
    uint8_t role;       /* enum order_role */
    uint32_t seq;       /* draw order, the final tie-break of the sort */
};

struct gen {
    struct db *db;
    struct sd_error *err;
    const struct demo_options *opt;
    const struct scale_spec *spec;
    demo_progress_fn *progress;
    void *progress_ctx;
    struct rng rng;
    struct arena strings;
    int32_t first_day; /* first day of the history */
    int32_t today;
    struct gen_team *teams;
    int n_teams;
    struct gen_rep *reps;
    int n_reps;
    struct gen_account *accounts;
    int n_accounts;
    struct gen_product *products;
    int n_products;
    double *product_cdf; /* by popularity, for drawing lines */
    struct vec orders;   /* struct gen_order, sorted by day before writing */
    int64_t *rep_quarter_revenue; /* [rep][quarter index], base currency */
    int n_quarters;
    int64_t first_order_id; /* orders get consecutive ids in calendar order */
    struct demo_result *result;
};

extern const struct gen_region gen_regions[];
extern const size_t gen_regions_count;
extern const char *const gen_categories[];
extern const size_t gen_categories_count;

/* Phases, in the order demo_build runs them. Each returns 0 or an SD_E status with g->err set. */
int gen_master_data(struct gen *g);    /* teams, reps, products, fx; draws accounts */
int gen_order_calendar(struct gen *g); /* draws every order's day and account, plants */
int gen_write_accounts(struct gen *g); /* accounts (credit limits from demand), contacts */
int gen_write_orders(struct gen *g);   /* orders, lines, invoices, planted records */
int gen_review_credit(struct gen *g);  /* raises limits that today's exposure outgrew */
int gen_write_stock(struct gen *g);
int gen_write_pipeline(struct gen *g); /* opportunities and stage histories */
int gen_write_requests(struct gen *g);
int gen_write_quotas(struct gen *g);

/* 1 when the account has an ordinary order that may still be open on today. */
int gen_account_may_have_open_orders(const struct gen *g, const struct gen_account *a);

/* Mean lines per order and mean units per line of a segment. */
double gen_mean_lines(enum segment segment);
double gen_mean_qty(enum segment segment);

/* The source name of every demo row. */
#define DEMO_SOURCE "demo"
/* Base-currency value of `amount` in `currency` on `day`. */
int64_t gen_to_base(const struct gen *g, int64_t amount, const char *currency, int32_t day);
/* A string copied into the generator's arena. */
const char *gen_strf(struct gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reports progress when a callback is set. */
void gen_progress(struct gen *g, const char *phase, uint64_t done, uint64_t total);
/* Quarter index of a day since the first quarter of the history. */
int gen_quarter_index(const struct gen *g, int32_t day);
/* Rate to base × 10^8 of a currency on a day. */
int64_t gen_fx_rate(const struct gen *g, const char *currency, int32_t day);

#endif
