/* SPDX-License-Identifier: MIT */
/*
 * facts: building the column arrays from the store and keeping them current
 * from change_log (see facts.h for the layout and invariants).
 */
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/money.h"
#include "base/xalloc.h"
#include "engine/facts-int.h"
#include "store/store.h"
#include "base/banned.h"

#define COMPACT_MIN_DEAD 65536

static const char *const dim_names[DIM_COUNT] = {
    [DIM_REGION] = "region",   [DIM_SEGMENT] = "segment", [DIM_COUNTRY] = "country",
    [DIM_ACCOUNT] = "account", [DIM_REP] = "rep",         [DIM_TEAM] = "team",
    [DIM_PRODUCT] = "product", [DIM_CATEGORY] = "category",
};

const char *dim_name(enum dim d)
{
    return d > DIM_NONE && d < DIM_COUNT ? dim_names[d] : NULL;
}

int dim_parse(const char *name, enum dim *out, struct sd_error *err)
{
    for (int d = DIM_NONE + 1; d < DIM_COUNT; d++) {
        if (strcmp(name, dim_names[d]) == 0) {
            *out = (enum dim)d;
            return 0;
        }
    }
    return sd_error_set(err, SD_EINVAL,
                        "unknown dimension '%s' (region, segment, country, account, rep, team, "
                        "product, category)",
                        name);
}

/* ---- store id → index maps ---- */

void facts_idmap_release(struct facts_idmap *m)
{
    free(m->direct);
    free(m->keys);
    free(m->values);
    memset(m, 0, sizeof(*m));
}

static size_t idmap_slot(const struct facts_idmap *m, int64_t key)
{
    uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 20) & (m->cap - 1);
    while (m->keys[i] != 0 && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    return i;
}

static void hash_put(struct facts_idmap *m, int64_t key, uint32_t value);

static void idmap_grow(struct facts_idmap *m)
{
    struct facts_idmap old = *m;
    m->cap = old.cap ? old.cap * 2 : 1024;
    m->count = 0;
    m->keys = xcalloc(m->cap, sizeof(*m->keys));
    m->values = xcalloc(m->cap, sizeof(*m->values));
    for (size_t i = 0; i < old.cap; i++) {
        if (old.keys[i])
            hash_put(m, old.keys[i], old.values[i]);
    }
    free(old.keys);
    free(old.values);
}

static void hash_put(struct facts_idmap *m, int64_t key, uint32_t value)
{
    if ((m->count + 1) * 10 > m->cap * 7)
        idmap_grow(m);
    size_t i = idmap_slot(m, key);
    m->count += m->keys[i] == 0;
    m->keys[i] = key;
    m->values[i] = value;
}

void facts_idmap_put(struct facts_idmap *m, int64_t key, uint32_t value)
{
    size_t entries = m->direct_count + m->count;
    if (key > 0 && (uint64_t)key < 4 * (uint64_t)entries + 65536) {
        if ((size_t)key >= m->direct_cap) {
            size_t cap = m->direct_cap ? m->direct_cap + m->direct_cap / 2 : 1024;
            cap = cap > (size_t)key ? cap : (size_t)key + 1;
            m->direct = xreallocarray(m->direct, cap, sizeof(*m->direct));
            memset(m->direct + m->direct_cap, 0, (cap - m->direct_cap) * sizeof(*m->direct));
            m->direct_cap = cap;
        }
        m->direct_count += m->direct[key] == 0;
        m->direct[key] = value + 1;
        return;
    }
    hash_put(m, key, value);
}

int facts_idmap_get(const struct facts_idmap *m, int64_t key, uint32_t *value)
{
    if (key > 0 && (size_t)key < m->direct_cap && m->direct[key]) {
        *value = m->direct[key] - 1;
        return 1;
    }
    if (m->cap == 0)
        return 0;
    size_t i = idmap_slot(m, key);
    if (m->keys[i] == 0)
        return 0;
    *value = m->values[i];
    return 1;
}

static int64_t idmap_bytes(const struct facts_idmap *m)
{
    return (int64_t)(m->direct_cap * sizeof(*m->direct) +
                     m->cap * (sizeof(*m->keys) + sizeof(*m->values)));
}

/* ---- dictionaries ---- */

void facts_dict_init(struct facts_dict *d)
{
    memset(d, 0, sizeof(*d));
    hashmap_init(&d->map);
    d->cap = 16;
    d->text = xcalloc(d->cap, sizeof(*d->text));
    d->label = xcalloc(d->cap, sizeof(*d->label));
    d->text[0] = d->label[0] = "";
    d->n = 1;
    hashmap_put(&d->map, "", 0, 0);
}

void facts_dict_release(struct facts_dict *d)
{
    hashmap_release(&d->map);
    free(d->text);
    free(d->label);
}

/* The key of `text` (NULL or "" → 0), added when new; `label` (may be NULL) renames it. */
uint32_t facts_dict_key(struct facts *f, struct facts_dict *d, const char *text,
                         const char *label)
{
    if (!text || !*text)
        return 0;
    int64_t key;
    size_t len = strlen(text);
    if (!hashmap_get(&d->map, text, len, &key)) {
        if (d->n == d->cap) {
            d->cap *= 2;
            d->text = xreallocarray(d->text, d->cap, sizeof(*d->text));
            d->label = xreallocarray(d->label, d->cap, sizeof(*d->label));
        }
        key = d->n++;
        d->text[key] = hashmap_intern(&d->map, text, len);
        d->label[key] = d->text[key];
        hashmap_put(&d->map, text, len, key);
    }
    if (label && *label && strcmp(label, d->label[key]) != 0)
        d->label[key] = arena_strndup(&f->strings, label, strlen(label));
    return (uint32_t)key;
}

/* ---- accounts, reps, products ---- */

static void entities_init(struct facts_entities *e, int with_none)
{
    memset(e, 0, sizeof(*e));
    if (with_none) {
        e->cap = 64;
        e->id = xcalloc(e->cap, sizeof(*e->id));
        e->ext = xcalloc(e->cap, sizeof(*e->ext));
        e->name = xcalloc(e->cap, sizeof(*e->name));
        for (int a = 0; a < 3; a++)
            e->attr[a] = xcalloc(e->cap, sizeof(*e->attr[a]));
        e->cost = xcalloc(e->cap, sizeof(*e->cost));
        e->ext[0] = e->name[0] = "";
        e->n = 1;
    }
}

static void entities_release(struct facts_entities *e)
{
    facts_idmap_release(&e->ids);
    free(e->id);
    free(e->ext);
    free(e->name);
    for (int a = 0; a < 3; a++)
        free(e->attr[a]);
    free(e->cost);
}

static void entities_grow(struct facts_entities *e)
{
    e->cap = e->cap ? e->cap * 2 : 64;
    e->id = xreallocarray(e->id, e->cap, sizeof(*e->id));
    e->ext = xreallocarray(e->ext, e->cap, sizeof(*e->ext));
    e->name = xreallocarray(e->name, e->cap, sizeof(*e->name));
    for (int a = 0; a < 3; a++)
        e->attr[a] = xreallocarray(e->attr[a], e->cap, sizeof(*e->attr[a]));
    e->cost = xreallocarray(e->cost, e->cap, sizeof(*e->cost));
}

static const char *keep(struct facts *f, const char *old, const char *s)
{
    if (old && strcmp(old, s) == 0)
        return old;
    return arena_strndup(&f->strings, s, strlen(s));
}

/* Inserts or updates the entity `row.id`; returns its index. */
static uint32_t entities_put(struct facts *f, struct facts_entities *e, const struct scan_dim *row)
{
    uint32_t ix;
    if (!facts_idmap_get(&e->ids, row->id, &ix)) {
        if (e->n == e->cap)
            entities_grow(e);
        ix = e->n++;
        e->id[ix] = row->id;
        e->ext[ix] = e->name[ix] = NULL;
        facts_idmap_put(&e->ids, row->id, ix);
    }
    e->ext[ix] = keep(f, e->ext[ix], row->ext_id);
    e->name[ix] = keep(f, e->name[ix], row->name);
    e->cost[ix] = row->cost == MONEY_NONE ? 0 : row->cost;
    return ix;
}

static int account_row(void *ctx, const struct scan_dim *row)
{
    struct facts *f = ctx;
    uint32_t ix = entities_put(f, &f->accounts, row);
    f->accounts.attr[0][ix] = facts_dict_key(f, &f->regions, row->attr[0], NULL);
    f->accounts.attr[1][ix] = facts_dict_key(f, &f->segments, row->attr[1], NULL);
    f->accounts.attr[2][ix] = facts_dict_key(f, &f->countries, row->attr[2], NULL);
    return 0;
}

static int rep_row(void *ctx, const struct scan_dim *row)
{
    struct facts *f = ctx;
    if (f->reps.n > UINT16_MAX && !facts_idmap_get(&f->reps.ids, row->id, &(uint32_t){0}))
        return SD_ELIMIT;
    uint32_t ix = entities_put(f, &f->reps, row);
    f->reps.attr[0][ix] = facts_dict_key(f, &f->teams, row->attr[0], row->attr[1]);
    return 0;
}

static int product_row(void *ctx, const struct scan_dim *row)
{
    struct facts *f = ctx;
    uint32_t ix = entities_put(f, &f->products, row);
    f->products.attr[0][ix] = facts_dict_key(f, &f->categories, row->attr[0], NULL);
    return 0;
}

static int load_dims(struct facts *f, struct db *db, int64_t id_account, int64_t id_rep,
                     int64_t id_product, struct sd_error *err)
{
    int rc = 0;
    if (id_account >= 0)
        rc = store_scan_dims(db, ENTITY_ACCOUNT, id_account, account_row, f, err);
    if (rc == 0 && id_rep >= 0)
        rc = store_scan_dims(db, ENTITY_REP, id_rep, rep_row, f, err);
    if (rc == SD_ELIMIT)
        return sd_error_set(err, SD_ELIMIT, "more than %d reps: the engine keeps rep keys in 16 bits",
                            UINT16_MAX);
    if (rc == 0 && id_product >= 0)
        rc = store_scan_dims(db, ENTITY_PRODUCT, id_product, product_row, f, err);
    return rc;
}

/* ---- currency rates ---- */

static int fx_row(void *ctx, const struct fx_rate *fx)
{
    struct facts *f = ctx;
    uint32_t c = facts_dict_key(f, &f->currencies, fx->currency, NULL);
    if (c >= f->fx_n) {
        f->fx = xreallocarray(f->fx, c + 1, sizeof(*f->fx));
        memset(f->fx + f->fx_n, 0, (c + 1 - f->fx_n) * sizeof(*f->fx));
        f->fx_n = c + 1;
    }
    struct facts_fx *r = &f->fx[c];
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->day = xreallocarray(r->day, r->cap, sizeof(*r->day));
        r->rate = xreallocarray(r->rate, r->cap, sizeof(*r->rate));
    }
    r->day[r->n] = fx->day;
    r->rate[r->n++] = fx->rate_to_base;
    return 0;
}

/* The rate of `currency` for an order of `day` (× 10^8), see facts.h. */
int64_t facts_fx_rate(const struct facts *f, const char *currency, int32_t day)
{
    if (strcmp(currency, f->base_currency) == 0)
        return 100000000;
    int64_t c;
    if (!hashmap_get(&f->currencies.map, currency, strlen(currency), &c) || c >= f->fx_n ||
        f->fx[c].n == 0)
        return 100000000;
    const struct facts_fx *r = &f->fx[c];
    size_t lo = 0, hi = r->n; /* the first index with day > `day` */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->day[mid] <= day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return r->rate[lo > 0 ? lo - 1 : 0];
}

/* 1 for a currency other than the base one that has no rate at all (taken at 1). */
static int facts_unrated_currency(const struct facts *f, const char *currency)
{
    int64_t c;
    if (strcmp(currency, f->base_currency) == 0)
        return 0;
    return !hashmap_get(&f->currencies.map, currency, strlen(currency), &c) || c >= f->fx_n ||
           f->fx[c].n == 0;
}

int facts_to_base(const struct facts *f, int64_t amount, const char *currency, int32_t day,
                  int64_t *out)
{
    int64_t rate = facts_fx_rate(f, currency, day);
    if (rate == 100000000) {
        *out = amount;
        return 0;
    }
    return money_div_round((__int128)amount * rate, 100000000, out);
}

static int to_base(int64_t amount, int64_t rate, int64_t *out)
{
    if (rate == 100000000) {
        *out = amount;
        return 0;
    }
    return money_div_round((__int128)amount * rate, 100000000, out);
}

/* ---- lines and order slots ---- */

#define LINE_ARRAYS(X)                                                                 \
    X(day) X(order) X(account) X(product) X(rep) X(status) X(qty) X(shipped) X(net) \
    X(disc)
#define SLOT_ARRAYS(X)                                                                             \
    X(slot_id) X(slot_ship) X(slot_due) X(slot_first) X(slot_nlines) X(slot_unrated) X(slot_prev) \
    X(slot_raw)

static void lines_reserve(struct facts *f, size_t cap)
{
    if (cap <= f->cap)
        return;
#define GROW(a) f->a = xreallocarray(f->a, cap, sizeof(*f->a));
    LINE_ARRAYS(GROW)
#undef GROW
    f->cap = cap;
}

static void slots_reserve(struct facts *f, size_t cap)
{
    if (cap <= f->slot_cap)
        return;
#define GROW(a) f->a = xreallocarray(f->a, cap, sizeof(*f->a));
    SLOT_ARRAYS(GROW)
#undef GROW
    f->slot_cap = cap;
}

struct line_sink {
    struct facts *f;
    struct db *db;
    struct sd_error *err;
    facts_progress_fn *progress;
    void *progress_ctx;
    int64_t total;
    int64_t last_order_id;
};

/*
 * 1 and *s for the slot of order `order_id`. A dropped order's entry may
 * name a slot that a compaction or grouping gave to another order since: checked.
 */
static int order_slot(const struct facts *f, int64_t order_id, uint32_t *s)
{
    return facts_idmap_get(&f->order_slot, order_id, s) && *s < f->nslots &&
           f->slot_id[*s] == (uint64_t)order_id;
}

static uint32_t new_slot(struct facts *f, const struct scan_line *l)
{
    uint32_t old;
    if (order_slot(f, l->order_id, &old) && f->slot_nlines[old]) {
        for (uint32_t i = 0; i < f->slot_nlines[old]; i++)
            f->status[f->slot_first[old] + i] = FACTS_DEAD;
        f->dead += f->slot_nlines[old];
        f->unrated -= f->slot_unrated[old] ? f->slot_nlines[old] : 0;
        f->slot_nlines[old] = 0;
        f->live_orders--;
    }
    if (f->nslots == f->slot_cap)
        slots_reserve(f, f->slot_cap ? f->slot_cap + f->slot_cap / 2 : 1024);
    uint32_t s = (uint32_t)f->nslots++;
    f->slot_id[s] = (uint32_t)l->order_id;
    f->slot_ship[s] = l->ship_date;
    f->slot_due[s] = l->due_date;
    f->slot_first[s] = (uint32_t)f->n;
    f->slot_nlines[s] = 0;
    f->slot_prev[s] = FACTS_NONE;
    f->slot_raw[s] = FACTS_NONE;
    f->live_orders++;
    facts_idmap_put(&f->order_slot, l->order_id, s);
    return s;
}

/* Puts slot `s` at the head of account `account`'s chain. */
static void account_link(struct facts *f, uint32_t s, uint32_t account)
{
    if (account >= f->acct_cap) {
        size_t cap = f->acct_cap ? f->acct_cap * 2 : 1024;
        if (cap <= account)
            cap = (size_t)account + 1;
        f->acct_last = xreallocarray(f->acct_last, cap, sizeof(*f->acct_last));
        memset(f->acct_last + f->acct_cap, 0xFF, (cap - f->acct_cap) * sizeof(*f->acct_last));
        f->acct_cap = cap;
    }
    f->slot_prev[s] = f->acct_last[account];
    f->acct_last[account] = s;
}

/* Keeps the order-currency net of a line of slot `s` (its first line decides where). */
static void raw_push(struct facts *f, uint32_t s, int64_t net)
{
    if (f->slot_raw[s] == FACTS_NONE)
        f->slot_raw[s] = (uint32_t)f->nraw;
    if (f->nraw == f->raw_cap) {
        f->raw_cap = f->raw_cap ? f->raw_cap + f->raw_cap / 2 : 4096;
        f->raw = xreallocarray(f->raw, f->raw_cap, sizeof(*f->raw));
    }
    f->raw[f->nraw++] = net;
}

static int line_error(struct line_sink *k, const struct scan_line *l, const char *what)
{
    return sd_error_set(k->err, SD_EOVERFLOW,
                        "order id %lld: a line's %s does not fit the engine's columns",
                        (long long)l->order_id, what);
}

/*
 * Looks up the dimension indexes of a line, reading rows the facts have not
 * seen yet (written after the last refresh); SD_ENOTFOUND when the store
 * itself lacks them.
 */
static int line_keys(struct line_sink *k, const struct scan_line *l, uint32_t *account,
                     uint32_t *product, uint32_t *rep)
{
    struct facts *f = k->f;
    uint32_t ix;
    int rc = 0;
    *rep = 0;
    if (!facts_idmap_get(&f->accounts.ids, l->account_id, &ix))
        rc = load_dims(f, k->db, l->account_id, -1, -1, k->err);
    if (rc == 0 && !facts_idmap_get(&f->products.ids, l->product_id, &ix))
        rc = load_dims(f, k->db, -1, -1, l->product_id, k->err);
    if (rc == 0 && l->rep_id && !facts_idmap_get(&f->reps.ids, l->rep_id, &ix))
        rc = load_dims(f, k->db, -1, l->rep_id, -1, k->err);
    if (rc)
        return rc;
    if (!facts_idmap_get(&f->accounts.ids, l->account_id, account) ||
        !facts_idmap_get(&f->products.ids, l->product_id, product) ||
        (l->rep_id && !facts_idmap_get(&f->reps.ids, l->rep_id, rep)))
        return sd_error_set(k->err, SD_ENOTFOUND,
                            "order id %lld refers to an account, product or rep the engine "
                            "has not read",
                            (long long)l->order_id);
    return 0;
}

static int add_line(void *ctx, const struct scan_line *l)
{
    struct line_sink *k = ctx;
    struct facts *f = k->f;
    uint32_t account, product, rep;
    int64_t net, gross, rate, net_base, disc_base;
    int rc = line_keys(k, l, &account, &product, &rep);
    if (rc)
        return rc;
    if (l->qty < INT32_MIN || l->qty > INT32_MAX || l->shipped_qty < INT32_MIN ||
        l->shipped_qty > INT32_MAX)
        return line_error(k, l, "quantity");
    rate = facts_fx_rate(f, l->currency, l->order_date);
    if (money_line_net(l->unit_price, l->qty, l->discount, &net) ||
        money_mul_qty(l->unit_price, l->qty, &gross) || to_base(net, rate, &net_base) ||
        to_base(gross - net, rate, &disc_base))
        return line_error(k, l, "amount");
    if (l->order_id < 1 || l->order_id > UINT32_MAX)
        return line_error(k, l, "order id (past 2^32)");
    if (f->n > UINT32_MAX - 2)
        return line_error(k, l, "position (more than 4 billion lines)");
    uint32_t slot;
    if (l->order_id != k->last_order_id) {
        slot = new_slot(f, l);
        account_link(f, slot, account);
    } else {
        slot = (uint32_t)f->nslots - 1;
    }
    k->last_order_id = l->order_id;
    /* The lines of an order share its currency and date, so every line or none is converted. */
    if (rate != 100000000)
        raw_push(f, slot, net);
    if (f->n == f->cap)
        lines_reserve(f, f->cap ? f->cap + f->cap / 2 : 4096);
    size_t i = f->n++;
    f->day[i] = l->order_date;
    f->order[i] = slot;
    f->account[i] = account;
    f->product[i] = product;
    f->rep[i] = (uint16_t)rep;
    f->status[i] = (uint8_t)l->status;
    f->qty[i] = (int32_t)l->qty;
    f->shipped[i] = (int32_t)l->shipped_qty;
    f->net[i] = net_base;
    f->disc[i] = disc_base;
    f->slot_nlines[slot]++;
    f->slot_unrated[slot] = facts_unrated_currency(f, l->currency);
    f->unrated += f->slot_unrated[slot];
    if (f->first_day == DATE_NONE || l->order_date < f->first_day)
        f->first_day = l->order_date;
    if (f->last_day == DATE_NONE || l->order_date > f->last_day)
        f->last_day = l->order_date;
    if (k->progress && (f->n & 0xFFFF) == 0 && k->progress(k->progress_ctx, (int64_t)f->n, k->total))
        return sd_error_set(k->err, SD_ERR, "stopped");
    return 0;
}

/* ---- lifecycle ---- */

static struct facts *facts_new(void)
{
    struct facts *f = xcalloc(1, sizeof(*f));
    arena_init(&f->strings, 0);
    entities_init(&f->accounts, 0);
    entities_init(&f->reps, 1);
    entities_init(&f->products, 0);
    facts_dict_init(&f->regions);
    facts_dict_init(&f->segments);
    facts_dict_init(&f->countries);
    facts_dict_init(&f->teams);
    facts_dict_init(&f->categories);
    facts_dict_init(&f->currencies);
    f->first_day = f->last_day = DATE_NONE;
    return f;
}

void facts_free(struct facts *f)
{
    if (!f)
        return;
#define FREE(a) free(f->a);
    LINE_ARRAYS(FREE)
    SLOT_ARRAYS(FREE)
#undef FREE
    free(f->raw);
    free(f->acct_last);
    facts_idmap_release(&f->order_slot);
    entities_release(&f->accounts);
    entities_release(&f->reps);
    entities_release(&f->products);
    facts_dict_release(&f->regions);
    facts_dict_release(&f->segments);
    facts_dict_release(&f->countries);
    facts_dict_release(&f->teams);
    facts_dict_release(&f->categories);
    facts_dict_release(&f->currencies);
    for (uint32_t c = 0; c < f->fx_n; c++) {
        free(f->fx[c].day);
        free(f->fx[c].rate);
    }
    free(f->fx);
    side_release(&f->side);
    arena_release(&f->strings);
    free(f);
}

static int read_settings(struct facts *f, struct db *db, struct sd_error *err)
{
    struct arena a;
    const char *base = NULL;
    arena_init(&a, 0);
    int rc = store_setting_get(db, &a, "base_currency", &base, err);
    if (rc == 0 && !base)
        base = "USD";
    if (rc == 0 && strlen(base) >= sizeof(f->base_currency))
        rc = sd_error_set(err, SD_EINVAL, "setting base_currency '%s' is too long", base);
    if (rc == 0)
        memcpy(f->base_currency, base, strlen(base) + 1);
    arena_release(&a);
    return rc;
}

/* Reads everything into `f` (on one snapshot when no transaction is open). */
static int load_all(struct facts *f, struct db *db, facts_progress_fn *progress, void *ctx,
                    struct sd_error *err)
{
    struct store_counts counts;
    struct line_sink sink = {f, db, err, progress, ctx, 0, 0};
    int own_tx = !db_in_transaction(db);
    int rc = own_tx ? db_begin_read(db, err) : 0;
    if (rc == 0)
        rc = store_change_last(db, &f->seq, err);
    if (rc == 0)
        rc = read_settings(f, db, err);
    if (rc == 0)
        rc = store_counts(db, &counts, err);
    if (rc == 0) {
        sink.total = counts.order_lines;
        lines_reserve(f, (size_t)counts.order_lines + 1);
        slots_reserve(f, (size_t)counts.entities[ENTITY_ORDER] + 1);
        rc = load_dims(f, db, 0, 0, 0, err);
    }
    if (rc == 0)
        rc = store_scan_fx(db, fx_row, f, err);
    if (rc == 0)
        rc = store_scan_lines(db, 0, add_line, &sink, err);
    if (rc == 0)
        rc = side_load(f, db, err);
    if (own_tx && db_in_transaction(db))
        db_rollback(db);
    if (rc == 0 && progress && progress(ctx, (int64_t)f->n, sink.total))
        rc = sd_error_set(err, SD_ERR, "stopped");
    return rc;
}

int facts_build(struct db *db, facts_progress_fn *progress, void *ctx, struct facts **out,
                struct sd_error *err)
{
    struct facts *f = facts_new();
    int rc = load_all(f, db, progress, ctx, err);
    if (rc) {
        facts_free(f);
        *out = NULL;
        return rc;
    }
    *out = f;
    return 0;
}

/* ---- keeping current ---- */

/* Marks the lines of order `order_id` dead (nothing when the facts do not hold it). */
static void order_drop(struct facts *f, int64_t order_id)
{
    uint32_t s;
    if (!order_slot(f, order_id, &s) || f->slot_nlines[s] == 0)
        return;
    memset(f->status + f->slot_first[s], FACTS_DEAD, f->slot_nlines[s]);
    f->dead += f->slot_nlines[s];
    f->unrated -= f->slot_unrated[s] ? f->slot_nlines[s] : 0;
    f->slot_nlines[s] = 0;
    f->live_orders--;
}

/*
 * Rewrites the lines, slots and raw nets with the live slots grouped by
 * account (each account's oldest first) and the dead ones dropped, then
 * links the accounts' chains again: one account's orders and lines are then
 * contiguous in memory, and its status reads them in a few pages instead of
 * a cache and TLB miss per order. Peak memory: the arrays plus the largest
 * one (they are moved one at a time).
 */
void facts_group_accounts(struct facts *f)
{
    f->grouped = 1;
    size_t nacct = f->acct_cap, nlive = 0, nlines = 0, nraw = 0;
    uint32_t *start = xcalloc(nacct + 1, sizeof(*start));
    for (size_t s = 0; s < f->nslots; s++) {
        if (f->slot_nlines[s])
            start[f->account[f->slot_first[s]] + 1]++;
    }
    for (size_t a = 0; a < nacct; a++)
        start[a + 1] += start[a];
    nlive = start[nacct];
    uint32_t *perm = xreallocarray(NULL, nlive + 1, sizeof(*perm)); /* new → old slot */
    for (size_t s = 0; s < f->nslots; s++) {
        if (f->slot_nlines[s])
            perm[start[f->account[f->slot_first[s]]]++] = (uint32_t)s;
    }
    free(start);
    for (size_t k = 0; k < nlive; k++) {
        nlines += f->slot_nlines[perm[k]];
        nraw += f->slot_raw[perm[k]] == FACTS_NONE ? 0 : f->slot_nlines[perm[k]];
    }
    /* Lines and raw nets, array by array; slot_first and slot_raw still the old places. */
#define MOVE_LINES(a)                                                                              \
    {                                                                                              \
        __typeof__(f->a) to = xreallocarray(NULL, nlines + 1, sizeof(*f->a));                      \
        for (size_t k = 0, at = 0; k < nlive; at += f->slot_nlines[perm[k]], k++)                  \
            memcpy(to + at, f->a + f->slot_first[perm[k]], f->slot_nlines[perm[k]] * sizeof(*to)); \
        free(f->a);                                                                                \
        f->a = to;                                                                                 \
    }
    LINE_ARRAYS(MOVE_LINES)
#undef MOVE_LINES
    int64_t *raw = xreallocarray(NULL, nraw + 1, sizeof(*raw));
    for (size_t k = 0, at = 0; k < nlive; k++) {
        uint32_t s = perm[k], n = f->slot_nlines[s];
        if (f->slot_raw[s] == FACTS_NONE)
            continue;
        memcpy(raw + at, f->raw + f->slot_raw[s], n * sizeof(*raw));
        f->slot_raw[s] = (uint32_t)at; /* the old slot's entry, read once below */
        at += n;
    }
    free(f->raw);
    f->raw = raw;
    f->nraw = nraw;
    f->raw_cap = nraw + 1;
#define MOVE_SLOTS(a)                                                                              \
    {                                                                                              \
        __typeof__(f->a) to = xreallocarray(NULL, nlive + 1, sizeof(*f->a));                       \
        for (size_t k = 0; k < nlive; k++)                                                         \
            to[k] = f->a[perm[k]];                                                                 \
        free(f->a);                                                                                \
        f->a = to;                                                                                 \
    }
    SLOT_ARRAYS(MOVE_SLOTS)
#undef MOVE_SLOTS
    free(perm);
    f->n = nlines;
    f->cap = nlines + 1;
    f->nslots = nlive;
    f->slot_cap = nlive + 1;
    f->dead = 0;
    if (f->acct_last) /* NULL while no line was ever added */
        memset(f->acct_last, 0xFF, f->acct_cap * sizeof(*f->acct_last));
    for (uint32_t s = 0, at = 0; s < nlive; at += f->slot_nlines[s], s++) {
        f->slot_first[s] = at;
        for (uint32_t i = at; i < at + f->slot_nlines[s]; i++)
            f->order[i] = s;
        facts_idmap_put(&f->order_slot, f->slot_id[s], s);
        account_link(f, s, f->account[at]);
    }
}

/* Drops the dead lines and slots once they are many (grouping by account as it goes). */
static void compact(struct facts *f)
{
    if (f->dead < COMPACT_MIN_DEAD || f->dead * 4 < f->n)
        return;
    facts_group_accounts(f);
}

enum change_kind { CHANGE_DIMS, CHANGE_ORDER, CHANGE_SIDE, CHANGE_REBUILD };

struct change {
    enum change_kind kind;
    enum store_entity entity;
    int64_t id;
};

struct change_list {
    struct change *items;
    size_t n, cap;
    int64_t last_seq;
};

static void change_add(struct change_list *l, enum change_kind kind, enum store_entity e,
                       int64_t id)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->items = xreallocarray(l->items, l->cap, sizeof(*l->items));
    }
    l->items[l->n++] = (struct change){kind, e, id};
}

static int change_row(void *ctx, int64_t seq, const char *entity, int64_t id, const char *op)
{
    struct change_list *l = ctx;
    (void)op;
    l->last_seq = seq;
    if (strcmp(entity, "order") == 0)
        change_add(l, CHANGE_ORDER, ENTITY_ORDER, id);
    else if (strcmp(entity, "account") == 0)
        change_add(l, CHANGE_DIMS, ENTITY_ACCOUNT, id);
    else if (strcmp(entity, "rep") == 0)
        change_add(l, CHANGE_DIMS, ENTITY_REP, id);
    else if (strcmp(entity, "team") == 0)
        change_add(l, CHANGE_DIMS, ENTITY_REP, 0);
    else if (strcmp(entity, "product") == 0)
        change_add(l, CHANGE_DIMS, ENTITY_PRODUCT, id);
    else if (strcmp(entity, "opportunity") == 0 || strcmp(entity, "request") == 0 ||
             strcmp(entity, "invoice") == 0)
        change_add(l, CHANGE_SIDE, ENTITY_COUNT, 0);
    else if (strcmp(entity, "fx_rate") == 0)
        change_add(l, CHANGE_REBUILD, ENTITY_COUNT, 0);
    return 0;
}

static int apply_dims(struct facts *f, struct db *db, const struct change *c,
                      struct sd_error *err)
{
    switch (c->entity) {
    case ENTITY_ACCOUNT:
        return load_dims(f, db, c->id, -1, -1, err);
    case ENTITY_REP:
        return load_dims(f, db, -1, c->id, -1, err);
    default:
        return load_dims(f, db, -1, -1, c->id, err);
    }
}

/* Replaces the contents of `f` by a fresh build (same address for the caller). */
static int rebuild(struct facts *f, struct db *db, struct sd_error *err)
{
    struct facts *fresh;
    int rc = facts_build(db, NULL, NULL, &fresh, err);
    if (rc)
        return rc;
    if (f->grouped)
        facts_group_accounts(fresh);
    struct facts old = *f;
    *f = *fresh;
    *fresh = old;
    facts_free(fresh);
    return 0;
}

static int apply_changes(struct facts *f, struct db *db, const struct change_list *l,
                         struct sd_error *err)
{
    struct line_sink sink = {f, db, err, NULL, NULL, 0, 0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < l->n; i++) {
        if (l->items[i].kind == CHANGE_REBUILD)
            return rebuild(f, db, err);
    }
    for (size_t i = 0; rc == 0 && i < l->n; i++) {
        if (l->items[i].kind == CHANGE_DIMS)
            rc = apply_dims(f, db, &l->items[i], err);
    }
    for (size_t i = 0; rc == 0 && i < l->n; i++) {
        if (l->items[i].kind != CHANGE_ORDER)
            continue;
        order_drop(f, l->items[i].id);
        sink.last_order_id = 0;
        rc = store_scan_lines(db, l->items[i].id, add_line, &sink, err);
    }
    for (size_t i = 0; rc == 0 && i < l->n; i++) {
        if (l->items[i].kind == CHANGE_SIDE)
            return side_load(f, db, err); /* small tables: read again whole, once */
    }
    return rc;
}

int facts_refresh(struct facts *f, struct db *db, int64_t *applied, struct sd_error *err)
{
    struct change_list l = {NULL, 0, 0, f->seq};
    int own_tx = !db_in_transaction(db);
    int rc = own_tx ? db_begin_read(db, err) : 0;
    if (rc == 0)
        rc = store_scan_changes(db, f->seq, change_row, &l, err);
    if (rc == 0)
        rc = apply_changes(f, db, &l, err);
    if (own_tx && db_in_transaction(db))
        db_rollback(db);
    if (rc == 0) {
        f->seq = l.last_seq;
        compact(f);
    }
    if (applied)
        *applied = rc == 0 ? (int64_t)l.n : 0;
    free(l.items);
    return rc;
}

/* ---- statistics and dimension values ---- */

static int64_t dict_bytes(const struct facts_dict *d)
{
    return (int64_t)(d->map.cap * sizeof(struct hashmap_slot) + d->map.keys.used +
                     d->cap * 2 * sizeof(char *));
}

static int64_t entities_bytes(const struct facts_entities *e)
{
    return (int64_t)(e->cap * (sizeof(int64_t) * 2 + sizeof(char *) * 2 + sizeof(uint32_t) * 3)) +
           idmap_bytes(&e->ids);
}

void facts_stats(const struct facts *f, struct facts_stats *out)
{
    int64_t bytes = 0;
#define SIZE(a) bytes += (int64_t)(f->cap * sizeof(*f->a));
    LINE_ARRAYS(SIZE)
#undef SIZE
#define SIZE(a) bytes += (int64_t)(f->slot_cap * sizeof(*f->a));
    SLOT_ARRAYS(SIZE)
#undef SIZE
    bytes += idmap_bytes(&f->order_slot);
    bytes += (int64_t)(f->raw_cap * sizeof(*f->raw) + f->acct_cap * sizeof(*f->acct_last));
    bytes += entities_bytes(&f->accounts) + entities_bytes(&f->reps) +
             entities_bytes(&f->products);
    bytes += dict_bytes(&f->regions) + dict_bytes(&f->segments) + dict_bytes(&f->countries) +
             dict_bytes(&f->teams) + dict_bytes(&f->categories) + dict_bytes(&f->currencies);
    bytes += (int64_t)f->strings.used;
    for (uint32_t c = 0; c < f->fx_n; c++)
        bytes += (int64_t)(f->fx[c].cap * (sizeof(int32_t) + sizeof(int64_t)));
    *out = (struct facts_stats){
        .lines = (int64_t)(f->n - f->dead),
        .dead_lines = (int64_t)f->dead,
        .orders = (int64_t)f->live_orders,
        .accounts = f->accounts.n,
        .reps = f->reps.n - 1,
        .products = f->products.n,
        .seq = f->seq,
        .unrated = f->unrated,
        .bytes = bytes,
        .side_bytes = side_bytes(&f->side),
        .first_day = f->first_day,
        .last_day = f->last_day,
    };
}

/* The dictionary behind a plain-text dimension, or NULL for account, rep and product. */
static const struct facts_dict *dim_dict(const struct facts *f, enum dim d)
{
    switch (d) {
    case DIM_REGION:
        return &f->regions;
    case DIM_SEGMENT:
        return &f->segments;
    case DIM_COUNTRY:
        return &f->countries;
    case DIM_TEAM:
        return &f->teams;
    case DIM_CATEGORY:
        return &f->categories;
    default:
        return NULL;
    }
}

static const struct facts_entities *dim_entities(const struct facts *f, enum dim d)
{
    return d == DIM_ACCOUNT ? &f->accounts : d == DIM_REP ? &f->reps : &f->products;
}

uint32_t facts_dim_count(const struct facts *f, enum dim d)
{
    if (d == DIM_NONE)
        return 1;
    const struct facts_dict *dict = dim_dict(f, d);
    return dict ? dict->n : dim_entities(f, d)->n;
}

const char *facts_dim_key(const struct facts *f, enum dim d, uint32_t key)
{
    if (d == DIM_NONE || key >= facts_dim_count(f, d))
        return "";
    const struct facts_dict *dict = dim_dict(f, d);
    return dict ? dict->text[key] : dim_entities(f, d)->ext[key];
}

const char *facts_dim_label(const struct facts *f, enum dim d, uint32_t key)
{
    if (d == DIM_NONE || key >= facts_dim_count(f, d))
        return "";
    const struct facts_dict *dict = dim_dict(f, d);
    return dict ? dict->label[key] : dim_entities(f, d)->name[key];
}

int facts_dim_find(const struct facts *f, enum dim d, const char *text, uint32_t *key,
                   struct sd_error *err)
{
    uint32_t n = facts_dim_count(f, d);
    for (uint32_t k = 0; d != DIM_NONE && k < n; k++) {
        if (strcmp(facts_dim_key(f, d, k), text) == 0) {
            *key = k;
            return 0;
        }
    }
    return sd_error_set(err, SD_ENOTFOUND, "no %s '%s'", d == DIM_NONE ? "value" : dim_name(d),
                        text);
}

struct key_text {
    const char *text;
    uint32_t key;
};

static int cmp_key_text(const void *a, const void *b)
{
    const struct key_text *x = a, *y = b;
    int c = strcmp(x->text, y->text);
    return c ? c : (x->key > y->key) - (x->key < y->key);
}

uint32_t *facts_dim_sorted(const struct facts *f, enum dim d)
{
    uint32_t n = facts_dim_count(f, d);
    uint32_t *order = xmalloc((n ? n : 1) * sizeof(*order));
    struct key_text *kt = xmalloc((n ? n : 1) * sizeof(*kt));
    for (uint32_t k = 0; k < n; k++)
        kt[k] = (struct key_text){facts_dim_key(f, d, k), k};
    if (d != DIM_NONE && n > 1)
        qsort(kt, n, sizeof(*kt), cmp_key_text);
    for (uint32_t k = 0; k < n; k++)
        order[k] = kt[k].key;
    free(kt);
    return order;
}

/* ---- one account's lines (the account status) ---- */

int facts_account_lines(const struct facts *f, int64_t account_id, int32_t from, int32_t to,
                        store_account_line_fn *fn, void *ctx)
{
    uint32_t a;
    if (!facts_idmap_get(&f->accounts.ids, account_id, &a) || a >= f->acct_cap)
        return 0;
    for (uint32_t s = f->acct_last[a]; s != FACTS_NONE; s = f->slot_prev[s]) {
        uint32_t n = f->slot_nlines[s], first = f->slot_first[s];
        if (n == 0)
            continue; /* dead */
        int32_t day = f->day[first];
        enum order_status status = (enum order_status)f->status[first];
        if (day < from || day > to || status == ORDER_DRAFT || status == ORDER_CANCELLED)
            continue;
        const int64_t *net =
            f->slot_raw[s] == FACTS_NONE ? f->net + first : f->raw + f->slot_raw[s];
        for (uint32_t k = 0; k < n; k++) {
            struct store_account_line l = {
                .order_date = day,
                .status = status,
                .product_id = f->products.id[f->product[first + k]],
                .qty = f->qty[first + k],
                .net = net[k],
            };
            int rc = fn(ctx, &l);
            if (rc)
                return rc;
        }
    }
    return 0;
}
