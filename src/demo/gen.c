/* SPDX-License-Identifier: MIT */
/*
 * gen: the demo builder's driver and its master data: regions, teams and reps,
 * accounts with their Pareto weights, buying rhythm, payment behaviour and
 * contacts, the product catalogue, and daily currency rates.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/date.h"
#include "base/json.h"
#include "base/money.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "demo/gen-int.h"
#include "base/banned.h"

static const struct scale_spec scales[] = {
    [DEMO_SMALL] = {"small", 200, 150, 12, 20000},
    [DEMO_MEDIUM] = {"medium", 5000, 1000, 60, 1000000},
    [DEMO_LARGE] = {"large", 50000, 5000, 200, 10800000},
};

static const char *const plant_codes[PLANT_COUNT] = {
    [PLANT_NONE] = "",
    [PLANT_CREDIT_LIMIT] = "CREDIT_LIMIT",
    [PLANT_OVERDUE_INVOICES] = "OVERDUE_INVOICES",
    [PLANT_STOCK_SHORT] = "STOCK_SHORT",
    [PLANT_DISCONTINUED_PRODUCT] = "DISCONTINUED_PRODUCT",
    [PLANT_PRICE_BELOW_LIST] = "PRICE_BELOW_LIST",
    [PLANT_DISCOUNT_OVER_LIMIT] = "DISCOUNT_OVER_LIMIT",
    [PLANT_STUCK_IN_STATUS] = "STUCK_IN_STATUS",
    [PLANT_LATE_AGAINST_PROMISE] = "LATE_AGAINST_PROMISE",
    [PLANT_SHIPPED_NOT_INVOICED] = "SHIPPED_NOT_INVOICED",
    [PLANT_INVOICE_MISMATCH] = "INVOICE_MISMATCH",
    [PLANT_DUPLICATE_ORDER] = "DUPLICATE_ORDER",
};

static const char *const na_countries[] = {"US", "US", "US", "CA", "MX"};
static const char *const emea_countries[] = {"DE", "GB", "FR", "NL", "SE", "ES", "IT", "PL"};
static const char *const apac_countries[] = {"AU", "JP", "SG", "IN", "NZ"};
static const char *const latam_countries[] = {"BR", "AR", "CL", "CO"};

const struct gen_region gen_regions[] = {
    {"North America", na_countries, ARRAY_LEN(na_countries), "USD"},
    {"EMEA", emea_countries, ARRAY_LEN(emea_countries), "EUR"},
    {"APAC", apac_countries, ARRAY_LEN(apac_countries), "USD"},
    {"LATAM", latam_countries, ARRAY_LEN(latam_countries), "USD"},
};
const size_t gen_regions_count = ARRAY_LEN(gen_regions);
/* Share of accounts and reps per region. */
static const double region_share[] = {0.45, 0.30, 0.15, 0.10};

const char *const gen_categories[] = {
    "Fasteners", "Power Tools", "Hand Tools", "Safety",   "Electrical",
    "Plumbing",  "Adhesives",   "Packaging",  "Lighting", "Lab Supplies",
};
const size_t gen_categories_count = ARRAY_LEN(gen_categories);

static const char *const first_names[] = {
    "Anna",  "Ben",   "Carla", "David", "Elena", "Farid", "Grace", "Hiro",  "Ines",  "Jonas",
    "Kara",  "Liam",  "Maya",  "Noah",  "Olga",  "Pedro", "Quinn", "Rosa",  "Sven",  "Tara",
    "Umar",  "Vera",  "Wei",   "Ximena", "Yusuf", "Zoe",  "Marta", "Kenji", "Lucia", "Omar",
};
static const char *const last_names[] = {
    "Andersen", "Becker",  "Costa",   "Dubois", "Eriksen", "Fischer", "Garcia", "Hoffmann",
    "Ito",      "Jensen",  "Kowalski", "Lopez", "Moreau",  "Nakamura", "Olsen", "Patel",
    "Rossi",    "Schmidt", "Tanaka",  "Urban",  "Varga",   "Weber",   "Young",  "Zimmermann",
};
static const char *const name_heads[] = {
    "North", "Blue",  "Iron",  "Silver", "Oak",   "Summit", "River", "Granite", "Pioneer",
    "Bright", "Delta", "Apex", "Harbor", "Cedar", "Falcon", "Atlas", "Nordic",  "Golden",
};
static const char *const name_tails[] = {
    "line", "stone", "works", "field", "point", "gate", "bridge", "wood", "crest", "way",
};
static const char *const name_kinds[] = {
    "Industries", "Supply", "Trading", "Manufacturing", "Logistics", "Builders", "Systems",
    "Services",   "Group",  "Engineering",
};
static const char *const cities[] = {
    "Springfield", "Riverside", "Fairview", "Kingston", "Newport", "Ashford", "Milton",
    "Bristol",     "Lakeside",  "Hamilton", "Oakridge", "Westbury",
};
static const char *const streets[] = {
    "Market Street", "Harbour Road", "Industrial Way", "Mill Lane", "Station Road",
    "Commerce Drive", "Canal Street", "Airport Boulevard",
};
static const char *const titles[] = {
    "Purchasing Manager", "Buyer", "Operations Director", "CFO", "Accounts Payable",
    "Plant Manager",      "Procurement Lead",
};
static const char *const product_words[] = {
    "Pro", "Max", "Lite", "Heavy-Duty", "Compact", "Industrial", "Precision", "Eco", "Ultra",
};
static const char *const category_items[][3] = {
    {"Hex Bolt", "Wood Screw", "Anchor"},       {"Drill", "Impact Driver", "Angle Grinder"},
    {"Wrench Set", "Plier", "Hammer"},          {"Safety Glasses", "Work Gloves", "Hard Hat"},
    {"Cable Reel", "Breaker", "Junction Box"},  {"Pipe Fitting", "Valve", "Sealant Tape"},
    {"Epoxy", "Contact Cement", "Glue Stick"},  {"Stretch Film", "Carton", "Tape Roll"},
    {"LED Panel", "Floodlight", "Work Lamp"},   {"Pipette", "Beaker", "Nitrile Gloves"},
};

const char *demo_plant_code(enum demo_plant plant)
{
    return (unsigned)plant < PLANT_COUNT ? plant_codes[plant] : "";
}

int demo_scale_parse(const char *text, enum demo_scale *out)
{
    for (size_t i = 0; i < ARRAY_LEN(scales); i++) {
        if (strcmp(text, scales[i].name) == 0) {
            *out = (enum demo_scale)i;
            return 0;
        }
    }
    return SD_EINVAL;
}

const char *gen_strf(struct gen *g, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return arena_strndup(&g->strings, buf, strlen(buf));
}

void gen_progress(struct gen *g, const char *phase, uint64_t done, uint64_t total)
{
    if (g->progress)
        g->progress(g->progress_ctx, phase, done, total);
}

int gen_quarter_index(const struct gen *g, int32_t day)
{
    int y0, m0, d0, y, m, d;
    date_to_civil(g->first_day, &y0, &m0, &d0);
    date_to_civil(day, &y, &m, &d);
    return (y - y0) * 4 + (m - 1) / 3 - (m0 - 1) / 3;
}

/* Rates move smoothly and deterministically around a centre, rounded to 1/10000. */
int64_t gen_fx_rate(const struct gen *g, const char *currency, int32_t day)
{
    (void)g;
    double centre = strcmp(currency, "EUR") == 0 ? 1.09 : strcmp(currency, "GBP") == 0 ? 1.27 : 0;
    if (centre == 0)
        return 100000000;
    double x = centre * (1.0 + 0.04 * sin(day / 58.0) + 0.015 * sin(day / 13.0 + 1.0));
    return (int64_t)llround(x * 10000.0) * 10000;
}

int64_t gen_to_base(const struct gen *g, int64_t amount, const char *currency, int32_t day)
{
    int64_t rate = gen_fx_rate(g, currency, day);
    if (rate == 100000000)
        return amount;
    int64_t out = 0;
    money_div_round((__int128)amount * rate, 100000000, &out);
    return out;
}

/* Lower-cases an arena string in place (ASCII). */
static const char *lowercase(const char *s)
{
    for (char *p = (char *)s; *p; p++) {
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p + 32);
    }
    return s;
}

static int write_teams_and_reps(struct gen *g)
{
    static const char *const team_kinds[] = {"Enterprise", "Commercial", "Inside Sales"};
    int reps_per_team = 8;
    g->n_reps = g->spec->reps;
    g->reps = xcalloc((size_t)g->n_reps, sizeof(*g->reps));
    g->teams = xcalloc((size_t)g->n_reps, sizeof(*g->teams));
    int next_rep = 0;
    for (size_t region = 0; region < gen_regions_count; region++) {
        int region_reps = region + 1 == gen_regions_count
                              ? g->n_reps - next_rep
                              : (int)lround(g->n_reps * region_share[region]);
        for (int k = 0; region_reps > 0; k++) {
            struct gen_team *t = &g->teams[g->n_teams++];
            t->region = (int)region;
            t->first_rep = next_rep;
            t->n_reps = region_reps < reps_per_team ? region_reps : reps_per_team;
            struct team row = {
                .source = DEMO_SOURCE,
                .ext_id = gen_strf(g, "T%02d", g->n_teams),
                /* "North America Commercial", then "... Commercial 2", "... 3": unique names */
                .name = k < (int)ARRAY_LEN(team_kinds)
                            ? gen_strf(g, "%s %s", gen_regions[region].name, team_kinds[k])
                            : gen_strf(g, "%s %s %d", gen_regions[region].name,
                                       team_kinds[k % ARRAY_LEN(team_kinds)],
                                       k / (int)ARRAY_LEN(team_kinds) + 1),
                .region = gen_regions[region].name,
            };
            enum store_write w;
            int rc = store_team_upsert(g->db, &row, &w, g->err);
            if (rc)
                return rc;
            t->id = row.id;
            for (int i = 0; i < t->n_reps; i++) {
                struct gen_rep *r = &g->reps[next_rep++];
                r->team = g->n_teams - 1;
                r->region = (int)region;
            }
            region_reps -= t->n_reps;
        }
    }
    for (int i = 0; i < g->n_reps; i++) {
        struct gen_rep *r = &g->reps[i];
        const struct gen_team *t = &g->teams[r->team];
        int is_lead = t->first_rep == i;
        const char *first = rng_pick(&g->rng, first_names, ARRAY_LEN(first_names));
        const char *last = rng_pick(&g->rng, last_names, ARRAY_LEN(last_names));
        static const int64_t limits[] = {100000, 150000, 200000};
        r->discount_limit = is_lead ? 250000 : limits[rng_next(&g->rng) % ARRAY_LEN(limits)];
        snprintf(r->ext_id, sizeof(r->ext_id), "R%03d", i + 1);
        struct rep row = {
            .source = DEMO_SOURCE,
            .ext_id = r->ext_id,
            .name = gen_strf(g, "%s %s", first, last),
            .email = lowercase(gen_strf(g, "%c.%s%d@example.com", first[0], last, i + 1)),
            .team_id = t->id,
            .region = gen_regions[r->region].name,
            .manager_id = is_lead ? 0 : g->reps[t->first_rep].id,
            .discount_limit = r->discount_limit,
            .status = "active",
        };
        enum store_write w;
        int rc = store_rep_upsert(g->db, &row, &w, g->err);
        if (rc)
            return rc;
        r->id = row.id;
    }
    return 0;
}

static int pick_region(struct gen *g)
{
    double x = rng_unit(&g->rng);
    for (size_t i = 0; i + 1 < gen_regions_count; i++) {
        if (x < region_share[i])
            return (int)i;
        x -= region_share[i];
    }
    return (int)gen_regions_count - 1;
}

/* A rep of the region's teams; `avoid` is a rep index not to return (or -1). */
static int pick_rep(struct gen *g, int region, int avoid)
{
    int candidates[512];
    int n = 0;
    for (int i = 0; i < g->n_reps && n < (int)ARRAY_LEN(candidates); i++) {
        if (g->reps[i].region == region && i != avoid)
            candidates[n++] = i;
    }
    return n ? candidates[rng_next(&g->rng) % (size_t)n] : 0;
}

static const char *const segment_names[SEG_COUNT] = {"Enterprise", "Mid-Market", "SMB"};

/* Segment, weight, rhythm, payment habits and lifetime of one account. */
static void draw_account(struct gen *g, struct gen_account *a)
{
    struct rng *r = &g->rng;
    a->region = pick_region(g);
    double u = rng_unit(r);
    a->segment = u < 0.08 ? SEG_ENTERPRISE : u < 0.35 ? SEG_MIDMARKET : SEG_SMB;
    /* Pareto (alpha 1.16: the 80/20 rule), larger for larger segments. */
    static const double segment_scale[SEG_COUNT] = {6.0, 2.0, 1.0};
    double pareto = pow(1.0 - rng_unit(r), -1.0 / 1.16);
    a->weight = segment_scale[a->segment] * (pareto < 400 ? pareto : 400);
    a->regularity = rng_unit(r) * 0.85;
    u = rng_unit(r);
    a->payer = u < 0.78 ? PAYER_PROMPT : u < 0.95 ? PAYER_LATE : PAYER_BAD;
    static const int terms[] = {30, 30, 45, 60};
    a->terms_days = terms[rng_next(r) % ARRAY_LEN(terms)];
    a->first_day = rng_chance(r, 0.7) ? g->first_day
                                      : (int32_t)rng_range(r, g->first_day, g->today - 30);
    a->last_day = g->today;
    u = rng_unit(r);
    a->status = u < 0.95 ? 0 : u < 0.98 ? 1 : 2;
    if (a->status == 2) { /* closed at least 90 days ago, even when it opened late */
        a->last_day = (int32_t)rng_range(r, a->first_day + 60, g->today - 90);
        if (a->last_day > g->today - 90)
            a->last_day = g->today - 90;
    }
    /* On hold since some weeks: no order since then, so none is open (the demo plants no
       ACCOUNT_ON_HOLD; an open order of the account would be blocked by it). */
    if (a->status == 1)
        a->last_day = g->today - (int32_t)rng_range(r, GEN_MAX_LEAD_DAYS + 9, 150);
    if (a->last_day < a->first_day)
        a->last_day = a->first_day;
    const struct gen_region *region = &gen_regions[a->region];
    a->currency = region->currency;
    if (a->region == 1 && rng_chance(r, 0.3))
        a->currency = "GBP";
    else if (a->region == 1 && rng_chance(r, 0.2))
        a->currency = "USD";
    a->country = rng_pick(r, region->countries, region->n_countries);
    a->city = rng_pick(r, cities, ARRAY_LEN(cities));
    a->address = gen_strf(g, "%d %s, %s", (int)rng_range(r, 1, 250),
                          rng_pick(r, streets, ARRAY_LEN(streets)), a->city);
    a->owner_rep = pick_rep(g, a->region, -1);
    a->manager_rep = a->segment == SEG_SMB ? -1 : pick_rep(g, a->region, a->owner_rep);
}

static void draw_company_name(struct gen *g, struct strbuf *name)
{
    struct rng *r = &g->rng;
    strbuf_reset(name);
    strbuf_addf(name, "%s%s %s", rng_pick(r, name_heads, ARRAY_LEN(name_heads)),
                rng_pick(r, name_tails, ARRAY_LEN(name_tails)),
                rng_pick(r, name_kinds, ARRAY_LEN(name_kinds)));
}

static int write_contacts(struct gen *g, int index, const char *company)
{
    struct gen_account *a = &g->accounts[index];
    int n = (int)rng_range(&g->rng, 1, a->segment == SEG_SMB ? 2 : 4);
    for (int i = 0; i < n; i++) {
        const char *first = rng_pick(&g->rng, first_names, ARRAY_LEN(first_names));
        const char *last = rng_pick(&g->rng, last_names, ARRAY_LEN(last_names));
        struct contact c = {
            .source = DEMO_SOURCE,
            .ext_id = gen_strf(g, "%s-%d", a->ext_id, i + 1),
            .account_id = a->id,
            .name = gen_strf(g, "%s %s", first, last),
            .title = rng_pick(&g->rng, titles, ARRAY_LEN(titles)),
            .email = lowercase(gen_strf(g, "%s.%s@%.6s.example", first, last, company)),
            .phone = gen_strf(g, "+1-555-%04d", (int)rng_range(&g->rng, 0, 9999)),
            .is_primary = i == 0,
        };
        enum store_write w;
        int rc = store_contact_upsert(g->db, &c, &w, g->err);
        if (rc)
            return rc;
    }
    return 0;
}

static void draw_accounts(struct gen *g)
{
    g->n_accounts = g->spec->accounts;
    g->accounts = xcalloc((size_t)g->n_accounts, sizeof(*g->accounts));
    for (int i = 0; i < g->n_accounts; i++) {
        draw_account(g, &g->accounts[i]);
        snprintf(g->accounts[i].ext_id, sizeof(g->accounts[i].ext_id), "C%05d", i + 1);
    }
}

/* Mean list price weighted by popularity: what a typical line costs per unit. */
static double mean_unit_price(const struct gen *g)
{
    double sum = 0, weight = 0;
    for (int i = 0; i < g->n_products; i++) {
        sum += g->products[i].popularity * (double)g->products[i].list_price / MONEY_SCALE;
        weight += g->products[i].popularity;
    }
    return weight > 0 ? sum / weight : 50.0;
}

/*
 * Credit limit from the account's last year of demand: a month and a half of
 * spend beyond its payment terms, rounded up to 5,000, at least 5,000.
 */
static int64_t credit_limit_for(const struct gen *g, const struct gen_account *a,
                                int orders_last_year, double unit_price)
{
    double order_value = gen_mean_lines(a->segment) * gen_mean_qty(a->segment) * unit_price;
    double monthly = orders_last_year / 12.0 * order_value;
    double limit = monthly * (a->terms_days / 30.0 + 1.5);
    int64_t rounded = ((int64_t)(limit / 5000.0) + 1) * 5000;
    (void)g;
    return (rounded < 5000 ? 5000 : rounded) * MONEY_SCALE;
}

static int *orders_last_year(const struct gen *g)
{
    int *counts = xcalloc((size_t)g->n_accounts, sizeof(*counts));
    for (size_t i = 0; i < g->orders.len; i++) {
        const struct gen_order *o = VEC_AT(&g->orders, struct gen_order, i);
        if (o->day > g->today - 365 && !o->plant)
            counts[o->account]++;
    }
    return counts;
}

static int write_account(struct gen *g, struct gen_account *a)
{
    static const char *const statuses[] = {"active", "on_hold", "closed"};
    const struct gen_region *region = &gen_regions[a->region];
    struct account row = {
        .source = DEMO_SOURCE,
        .ext_id = a->ext_id,
        .name = a->name,
        .segment = segment_names[a->segment],
        .region = region->name,
        .country = a->country,
        .city = a->city,
        .owner_rep_id = g->reps[a->owner_rep].id,
        .account_manager_id = a->manager_rep >= 0 ? g->reps[a->manager_rep].id : 0,
        .credit_limit = a->credit_limit,
        .payment_terms_days = a->terms_days,
        .status = statuses[a->status],
        .currency = a->currency,
    };
    enum store_write w;
    int rc = store_account_upsert(g->db, &row, &w, g->err);
    a->id = row.id;
    return rc;
}

int gen_write_accounts(struct gen *g)
{
    struct strbuf name = STRBUF_INIT;
    int *counts = orders_last_year(g);
    double unit_price = mean_unit_price(g);
    int rc = 0;
    for (int i = 0; rc == 0 && i < g->n_accounts; i++) {
        struct gen_account *a = &g->accounts[i];
        draw_company_name(g, &name);
        a->name = gen_strf(g, "%s", name.buf);
        a->credit_limit = credit_limit_for(g, a, counts[i], unit_price);
        rc = write_account(g, a);
        if (rc == 0)
            rc = write_contacts(g, i, a->name);
        if (i % 1000 == 0)
            gen_progress(g, "accounts", (uint64_t)i, (uint64_t)g->n_accounts);
    }
    free(counts);
    strbuf_release(&name);
    return rc;
}

/*
 * Credit control's review on today: an account whose exposure (unpaid
 * invoices + open orders, as the doctor counts it) outgrew the limit drawn
 * from its demand gets a limit a quarter above the exposure, rounded up to
 * 5,000. Only the accounts of planted CREDIT_LIMIT orders keep theirs.
 */
int gen_review_credit(struct gen *g)
{
    const int64_t step = 5000 * MONEY_SCALE;
    for (int i = 0; i < g->n_accounts; i++) {
        struct gen_account *a = &g->accounts[i];
        if (a->plant == PLANT_CREDIT_LIMIT || a->exposure <= a->credit_limit)
            continue;
        int64_t wanted = a->exposure + a->exposure / 4;
        a->credit_limit = (wanted / step + 1) * step;
        int rc = write_account(g, a);
        if (rc)
            return rc;
    }
    return 0;
}

/* Prices end in .99 or .49, drawn log-normally (median about 30). */
static int64_t draw_price(struct rng *r)
{
    double x = exp(3.4 + 1.1 * rng_normal(r));
    if (x < 1)
        x = 1;
    if (x > 20000)
        x = 20000;
    int64_t whole = (int64_t)x;
    return whole * MONEY_SCALE + (rng_chance(r, 0.7) ? 9900 : 4900);
}

static void draw_product(struct gen *g, struct gen_product *p, int index)
{
    struct rng *r = &g->rng;
    p->category = (int)(rng_next(r) % gen_categories_count);
    p->list_price = draw_price(r);
    int64_t cost_pct = rng_range(r, 45, 78);
    p->cost = p->list_price * cost_pct / 100 / 100 * 100; /* whole cents */
    p->popularity = 1.0 / pow(index + 1.0, 0.85) * (0.5 + rng_unit(r));
    p->launch_day = DATE_NONE;
    p->discontinued_day = DATE_NONE;
    p->stock_cap = -1;
    double u = rng_unit(r);
    if (u < 0.04)
        p->launch_day = (int32_t)rng_range(r, g->first_day + 90, g->today - 45);
    else if (u < 0.08) /* before any order still open today was placed (see GEN_OPEN_DAYS) */
        p->discontinued_day =
            (int32_t)rng_range(r, g->first_day + 180, g->today - GEN_OPEN_DAYS - 10);
    snprintf(p->sku, sizeof(p->sku), "SKU-%05d", 10001 + index);
}

static int write_products(struct gen *g)
{
    g->n_products = g->spec->products;
    g->products = xcalloc((size_t)g->n_products, sizeof(*g->products));
    g->product_cdf = xcalloc((size_t)g->n_products, sizeof(*g->product_cdf));
    double total = 0;
    for (int i = 0; i < g->n_products; i++) {
        struct gen_product *p = &g->products[i];
        draw_product(g, p, i);
        total += p->popularity;
        g->product_cdf[i] = total;
        const char *item = category_items[p->category][rng_next(&g->rng) % 3];
        struct product row = {
            .source = DEMO_SOURCE,
            .ext_id = p->sku,
            .name = gen_strf(g, "%s %s %d", rng_pick(&g->rng, product_words,
                                                    ARRAY_LEN(product_words)),
                             item, (int)rng_range(&g->rng, 10, 990)),
            .category = gen_categories[p->category],
            .list_price = p->list_price,
            .cost = p->cost,
            .status = p->discontinued_day != DATE_NONE ? "discontinued" : "active",
            .launch_date = p->launch_day,
        };
        enum store_write w;
        int rc = store_product_upsert(g->db, &row, &w, g->err);
        if (rc)
            return rc;
        p->id = row.id;
    }
    return 0;
}

static int write_fx(struct gen *g)
{
    static const char *const currencies[] = {"EUR", "GBP"};
    for (size_t c = 0; c < ARRAY_LEN(currencies); c++) {
        for (int32_t day = g->first_day; day <= g->today; day++) {
            struct fx_rate fx = {currencies[c], day, gen_fx_rate(g, currencies[c], day)};
            enum store_write w;
            int rc = store_fx_set(g->db, &fx, &w, g->err);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int gen_master_data(struct gen *g)
{
    int rc = write_teams_and_reps(g);
    if (rc == 0)
        rc = write_products(g);
    if (rc == 0)
        rc = write_fx(g);
    draw_accounts(g);
    return rc;
}

static int write_settings(struct gen *g)
{
    char today[DATE_TEXT_MAX];
    date_format(g->today, today);
    const char *rows[][2] = {
        {"base_currency", "USD"},
        {"fiscal_year_start_month", "1"},
        {"demo_scale", g->spec->name},
        {"demo_seed", gen_strf(g, "%llu", (unsigned long long)g->opt->seed)},
        {"demo_today", today},
    };
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        int rc = store_setting_set(g->db, rows[i][0], rows[i][1], g->err);
        if (rc)
            return rc;
    }
    return 0;
}

/* The largest accounts by revenue, for the summary. */
static int record_top_accounts(struct gen *g)
{
    int top[DEMO_SAMPLE_MAX];
    int n = 0;
    for (int i = 0; i < g->n_accounts; i++) {
        int pos = n < DEMO_SAMPLE_MAX ? n++ : DEMO_SAMPLE_MAX;
        while (pos > 0 && g->accounts[top[pos - 1]].revenue < g->accounts[i].revenue) {
            if (pos < DEMO_SAMPLE_MAX)
                top[pos] = top[pos - 1];
            pos--;
        }
        if (pos < DEMO_SAMPLE_MAX)
            top[pos] = i;
    }
    for (int k = 0; k < n; k++)
        snprintf(g->result->top_accounts[k], sizeof(g->result->top_accounts[k]), "%s",
                 g->accounts[top[k]].ext_id);
    return 0;
}

static int run_phases(struct gen *g)
{
    int (*const phases[])(struct gen *) = {
        gen_master_data,   gen_order_calendar, gen_write_accounts,  gen_write_orders,
        gen_review_credit, gen_write_stock,    gen_write_pipeline,  gen_write_requests,
        gen_write_quotas,  write_settings,     record_top_accounts,
    };
    for (size_t i = 0; i < ARRAY_LEN(phases); i++) {
        int rc = phases[i](g);
        if (rc)
            return rc;
    }
    return 0;
}

static void gen_release(struct gen *g)
{
    free(g->teams);
    free(g->reps);
    free(g->accounts);
    free(g->products);
    free(g->product_cdf);
    free(g->rep_quarter_revenue);
    vec_release(&g->orders);
    arena_release(&g->strings);
}

int demo_build(struct db *db, const struct demo_options *opt, demo_progress_fn *progress,
               void *progress_ctx, struct demo_result *out, struct sd_error *err)
{
    struct gen g = {
        .db = db,
        .err = err,
        .opt = opt,
        .spec = &scales[opt->scale],
        .progress = progress,
        .progress_ctx = progress_ctx,
        .today = opt->today,
        .first_day = date_add_months(opt->today, -36) + 1,
        .result = out,
    };
    memset(out, 0, sizeof(*out));
    rng_seed(&g.rng, opt->seed);
    arena_init(&g.strings, 0);
    vec_init(&g.orders, sizeof(struct gen_order));
    int rc = db_begin(db, err);
    if (rc == 0)
        rc = run_phases(&g);
    if (rc == 0)
        rc = db_commit(db, err);
    else
        db_rollback(db);
    gen_release(&g);
    return rc;
}
