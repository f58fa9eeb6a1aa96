/* SPDX-License-Identifier: MIT */
/*
 * accounts: teams, reps, accounts and contacts (the parties of a sale), and the
 * account view the CLI and API show.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/money.h"
#include "store/store-int.h"
#include "base/banned.h"

static const struct store_table team_table = {
    .entity = "team",
    .find_sql = "SELECT id FROM teams WHERE source = ? AND ext_id = ?",
    .insert_sql = "INSERT INTO teams(source, ext_id, name, region) VALUES (?1, ?2, ?3, ?4) "
                  "RETURNING id",
    .update_sql = "UPDATE teams SET name = ?3, region = ?4 WHERE id = ?5 AND "
                  "(name IS DISTINCT FROM ?3 OR region IS DISTINCT FROM ?4)",
    .n_fields = 4,
};

static void bind_team(struct db_stmt *st, const void *obj)
{
    const struct team *t = obj;
    db_bind_text(st, 1, t->source);
    db_bind_text(st, 2, t->ext_id);
    db_bind_text(st, 3, t->name);
    db_bind_text(st, 4, t->region);
}

int store_team_upsert(struct db *db, struct team *t, enum store_write *result,
                      struct sd_error *err)
{
    return store_upsert(db, &team_table, t->source, t->ext_id, bind_team, t, &t->id, result,
                        err);
}

static const struct store_table rep_table = {
    .entity = "rep",
    .find_sql = "SELECT id FROM reps WHERE source = ? AND ext_id = ?",
    .insert_sql = "INSERT INTO reps(source, ext_id, name, email, team_id, region, manager_id, "
                  "discount_limit, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
                  "RETURNING id",
    .update_sql = "UPDATE reps SET name = ?3, email = ?4, team_id = ?5, region = ?6, "
                  "manager_id = ?7, discount_limit = ?8, status = ?9 WHERE id = ?10 AND "
                  "(name IS DISTINCT FROM ?3 OR email IS DISTINCT FROM ?4 OR "
                  "team_id IS DISTINCT FROM ?5 OR region IS DISTINCT FROM ?6 OR "
                  "manager_id IS DISTINCT FROM ?7 OR discount_limit IS DISTINCT FROM ?8 OR "
                  "status IS DISTINCT FROM ?9)",
    .n_fields = 9,
};

static void bind_rep(struct db_stmt *st, const void *obj)
{
    const struct rep *r = obj;
    db_bind_text(st, 1, r->source);
    db_bind_text(st, 2, r->ext_id);
    db_bind_text(st, 3, r->name);
    db_bind_text(st, 4, r->email);
    store_bind_ref(st, 5, r->team_id);
    db_bind_text(st, 6, r->region);
    store_bind_ref(st, 7, r->manager_id);
    db_bind_opt_int64(st, 8, r->discount_limit);
    db_bind_text(st, 9, r->status ? r->status : "active");
}

int store_rep_upsert(struct db *db, struct rep *r, enum store_write *result,
                     struct sd_error *err)
{
    return store_upsert(db, &rep_table, r->source, r->ext_id, bind_rep, r, &r->id, result, err);
}

static const struct store_table account_table = {
    .entity = "account",
    .find_sql = "SELECT id FROM accounts WHERE source = ? AND ext_id = ?",
    .insert_sql = "INSERT INTO accounts(source, ext_id, name, segment, region, country, city, "
                  "owner_rep_id, account_manager_id, credit_limit, payment_terms_days, status, "
                  "currency) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
                  "RETURNING id",
    .update_sql = "UPDATE accounts SET name = ?3, segment = ?4, region = ?5, country = ?6, "
                  "city = ?7, owner_rep_id = ?8, account_manager_id = ?9, credit_limit = ?10, "
                  "payment_terms_days = ?11, status = ?12, currency = ?13 WHERE id = ?14 AND "
                  "(name IS DISTINCT FROM ?3 OR segment IS DISTINCT FROM ?4 OR "
                  "region IS DISTINCT FROM ?5 OR country IS DISTINCT FROM ?6 OR "
                  "city IS DISTINCT FROM ?7 OR owner_rep_id IS DISTINCT FROM ?8 OR "
                  "account_manager_id IS DISTINCT FROM ?9 OR credit_limit IS DISTINCT FROM ?10 "
                  "OR payment_terms_days IS DISTINCT FROM ?11 OR status IS DISTINCT FROM ?12 OR "
                  "currency IS DISTINCT FROM ?13)",
    .n_fields = 13,
};

static void bind_account(struct db_stmt *st, const void *obj)
{
    const struct account *a = obj;
    db_bind_text(st, 1, a->source);
    db_bind_text(st, 2, a->ext_id);
    db_bind_text(st, 3, a->name);
    db_bind_text(st, 4, a->segment);
    db_bind_text(st, 5, a->region);
    db_bind_text(st, 6, a->country);
    db_bind_text(st, 7, a->city);
    store_bind_ref(st, 8, a->owner_rep_id);
    store_bind_ref(st, 9, a->account_manager_id);
    db_bind_opt_int64(st, 10, a->credit_limit);
    db_bind_opt_int64(st, 11, a->payment_terms_days);
    db_bind_text(st, 12, a->status ? a->status : "active");
    db_bind_text(st, 13, a->currency ? a->currency : "USD");
}

int store_account_upsert(struct db *db, struct account *a, enum store_write *result,
                         struct sd_error *err)
{
    return store_upsert(db, &account_table, a->source, a->ext_id, bind_account, a, &a->id,
                        result, err);
}

static const struct store_table contact_table = {
    .entity = "contact",
    .find_sql = "SELECT id FROM contacts WHERE source = ? AND ext_id = ?",
    .insert_sql = "INSERT INTO contacts(source, ext_id, account_id, name, title, email, phone, "
                  "is_primary) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
    .update_sql = "UPDATE contacts SET account_id = ?3, name = ?4, title = ?5, email = ?6, "
                  "phone = ?7, is_primary = ?8 WHERE id = ?9 AND "
                  "(account_id IS DISTINCT FROM ?3 OR name IS DISTINCT FROM ?4 OR "
                  "title IS DISTINCT FROM ?5 OR email IS DISTINCT FROM ?6 OR "
                  "phone IS DISTINCT FROM ?7 OR is_primary IS DISTINCT FROM ?8)",
    .n_fields = 8,
};

static void bind_contact(struct db_stmt *st, const void *obj)
{
    const struct contact *c = obj;
    db_bind_text(st, 1, c->source);
    db_bind_text(st, 2, c->ext_id);
    db_bind_int64(st, 3, c->account_id);
    db_bind_text(st, 4, c->name);
    db_bind_text(st, 5, c->title);
    db_bind_text(st, 6, c->email);
    db_bind_text(st, 7, c->phone);
    db_bind_int64(st, 8, c->is_primary ? 1 : 0);
}

int store_contact_upsert(struct db *db, struct contact *c, enum store_write *result,
                         struct sd_error *err)
{
    return store_upsert(db, &contact_table, c->source, c->ext_id, bind_contact, c, &c->id,
                        result, err);
}

static const char account_currency_sql[] = "SELECT currency FROM accounts WHERE id = ?";

int store_account_currency(struct db *db, int64_t id, char *buf, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = store_row_by_id(db, account_currency_sql, id, "account", &st, err);
    if (rc)
        return rc;
    snprintf(buf, CURRENCY_TEXT_MAX, "%s", db_column_text(st, 0));
    db_reset(st);
    return 0;
}

/* ---- the account view ---- */

static const char account_view_sql[] =
    "SELECT a.id, a.source, a.ext_id, a.name, a.segment, a.region, a.country, a.city, "
    "a.owner_rep_id, a.account_manager_id, a.credit_limit, a.payment_terms_days, a.status, "
    "a.currency, o.ext_id, o.name, m.ext_id, m.name "
    "FROM accounts a LEFT JOIN reps o ON o.id = a.owner_rep_id "
    "LEFT JOIN reps m ON m.id = a.account_manager_id WHERE a.id = ?";
static const char account_contacts_sql[] =
    "SELECT id, source, ext_id, name, title, email, phone, is_primary FROM contacts "
    "WHERE account_id = ? ORDER BY is_primary DESC, name, id";
static const char account_open_orders_sql[] =
    "SELECT id, ext_id, order_date, promised_date, status, currency FROM orders "
    "WHERE account_id = ? AND status IN ('draft', 'pending', 'confirmed', 'on_hold') "
    "ORDER BY order_date, id";
/*
 * The unpaid invoices are found in the partial index invoices_unpaid (the
 * subquery is covered by it); asked directly, SQLite walks invoices_account
 * and reads every invoice the account ever had (9,600 rows instead of 554 for
 * the largest account of the large demo: 130 ms instead of 20 ms).
 */
static const char account_open_invoices_sql[] =
    "SELECT id, source, ext_id, order_id, issue_date, due_date, amount, paid_amount, paid_date, "
    "currency FROM invoices WHERE id IN (SELECT id FROM invoices WHERE account_id = ?1 "
    "AND paid_amount < amount) ORDER BY due_date, id";
static const char account_totals_sql[] =
    "SELECT (SELECT count(*) FROM orders WHERE account_id = ?1), "
    "(SELECT count(*) FROM invoices WHERE account_id = ?1)";

static void read_account_row(struct db_stmt *st, struct arena *arena, struct account *a);

static void read_account(struct db_stmt *st, struct arena *arena, struct account_view *out)
{
    read_account_row(st, arena, &out->account);
    out->owner_rep_ext_id = store_col_str(st, 14, arena);
    out->owner_rep_name = store_col_str(st, 15, arena);
    out->account_manager_ext_id = store_col_str(st, 16, arena);
    out->account_manager_name = store_col_str(st, 17, arena);
}

static int load_account(struct db *db, struct arena *arena, int64_t id,
                        struct account_view *out, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = store_row_by_id(db, account_view_sql, id, "account", &st, err);
    if (rc)
        return rc;
    read_account(st, arena, out);
    db_reset(st);
    return 0;
}

static int load_contacts(struct db *db, struct arena *arena, struct account_view *out,
                         struct sd_error *err)
{
    struct db_stmt *st;
    size_t cap = 0;
    int rc = db_prepare(db, account_contacts_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, out->account.id);
    while ((rc = db_step(st, err)) == DB_ROW) {
        out->contacts = store_grow_array(arena, out->contacts, out->n_contacts, &cap,
                                   sizeof(*out->contacts));
        struct contact *c = &out->contacts[out->n_contacts++];
        c->id = db_column_int64(st, 0);
        c->source = store_col_str(st, 1, arena);
        c->ext_id = store_col_str(st, 2, arena);
        c->account_id = out->account.id;
        c->name = store_col_str(st, 3, arena);
        c->title = store_col_str(st, 4, arena);
        c->email = store_col_str(st, 5, arena);
        c->phone = store_col_str(st, 6, arena);
        c->is_primary = (int)db_column_int64(st, 7);
    }
    return rc;
}

static int load_open_orders(struct db *db, struct arena *arena, struct account_view *out,
                            struct sd_error *err)
{
    struct db_stmt *st;
    size_t cap = 0;
    int rc = db_prepare(db, account_open_orders_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, out->account.id);
    while ((rc = db_step(st, err)) == DB_ROW) {
        out->open_orders = store_grow_array(arena, out->open_orders, out->n_open_orders, &cap,
                                      sizeof(*out->open_orders));
        struct order_summary *o = &out->open_orders[out->n_open_orders++];
        o->id = db_column_int64(st, 0);
        o->ext_id = store_col_str(st, 1, arena);
        o->order_date = db_column_opt_date(st, 2);
        o->promised_date = db_column_opt_date(st, 3);
        order_status_parse(db_column_text(st, 4), &o->status);
        o->currency = store_col_str(st, 5, arena);
    }
    if (rc)
        return rc;
    out->open_orders_net = 0;
    for (size_t i = 0; i < out->n_open_orders; i++) {
        rc = store_order_net(db, out->open_orders[i].id, &out->open_orders[i].net, err);
        if (rc)
            return rc;
        out->open_orders_net += out->open_orders[i].net;
    }
    return 0;
}

static int load_open_invoices(struct db *db, struct arena *arena, int32_t today,
                              struct account_view *out, struct sd_error *err)
{
    struct db_stmt *st;
    size_t cap = 0;
    int rc = db_prepare(db, account_open_invoices_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, out->account.id);
    while ((rc = db_step(st, err)) == DB_ROW) {
        out->open_invoices = store_grow_array(arena, out->open_invoices, out->n_open_invoices, &cap,
                                        sizeof(*out->open_invoices));
        struct invoice *inv = &out->open_invoices[out->n_open_invoices++];
        inv->id = db_column_int64(st, 0);
        inv->source = store_col_str(st, 1, arena);
        inv->ext_id = store_col_str(st, 2, arena);
        inv->order_id = store_col_ref(st, 3);
        inv->account_id = out->account.id;
        inv->issue_date = db_column_opt_date(st, 4);
        inv->due_date = db_column_opt_date(st, 5);
        inv->amount = db_column_int64(st, 6);
        inv->paid_amount = db_column_int64(st, 7);
        inv->paid_date = db_column_opt_date(st, 8);
        inv->currency = store_col_str(st, 9, arena);
        int64_t balance = inv->amount - inv->paid_amount;
        if (money_add(out->receivables, balance, &out->receivables) ||
            (inv->due_date < today && money_add(out->overdue, balance, &out->overdue))) {
            db_reset(st);
            return sd_error_set(err, SD_EOVERFLOW, "account '%s': receivables out of range",
                                out->account.ext_id);
        }
    }
    return rc;
}

static int load_totals(struct db *db, struct account_view *out, struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, account_totals_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, out->account.id);
    rc = db_step(st, err);
    if (rc < 0)
        return rc;
    out->orders_total = db_column_int64(st, 0);
    out->invoices_total = db_column_int64(st, 1);
    db_reset(st);
    return 0;
}

int store_account_view(struct db *db, struct arena *arena, const char *ext_id, int32_t today,
                       struct account_view *out, struct sd_error *err)
{
    int64_t id = 0;
    memset(out, 0, sizeof(*out));
    int rc = store_resolve(db, ENTITY_ACCOUNT, ext_id, &id, err);
    if (rc == 0)
        rc = load_account(db, arena, id, out, err);
    if (rc == 0)
        rc = load_contacts(db, arena, out, err);
    if (rc == 0)
        rc = load_open_orders(db, arena, out, err);
    if (rc == 0)
        rc = load_open_invoices(db, arena, today, out, err);
    if (rc == 0)
        rc = load_totals(db, out, err);
    return rc;
}

/*
 * The account list, by name then id, as a keyset page after (?7 name, ?8 id):
 * accounts_name (name, and the rowid id) gives that order, and the cursor
 * bounds it from below. The name search is a LIKE pattern made by
 * name_pattern (lower case, metacharacters escaped with '\'). A rep's scope
 * (?9) is STORE_REP_SEES_ACCOUNT.
 */
static const char account_list_sql[] =
    "SELECT a.id, a.source, a.ext_id, a.name, a.segment, a.region, a.country, a.city, "
    "a.owner_rep_id, a.account_manager_id, a.credit_limit, a.payment_terms_days, a.status, "
    "a.currency, o.ext_id, o.name, m.ext_id, m.name "
    "FROM accounts a LEFT JOIN reps o ON o.id = a.owner_rep_id "
    "LEFT JOIN reps m ON m.id = a.account_manager_id "
    "WHERE (?1 IS NULL OR a.region = ?1) AND (?2 IS NULL OR a.segment = ?2) "
    "AND (?3 IS NULL OR a.status = ?3) AND (?4 = 0 OR a.owner_rep_id = ?4) "
    "AND (?5 IS NULL OR lower(a.name) LIKE ?5 ESCAPE '\\') "
    "AND (?9 = 0 OR " STORE_REP_SEES_ACCOUNT("a", "?9") ") "
    "AND a.name >= ?7 AND (a.name > ?7 OR a.id > ?8) ORDER BY a.name, a.id LIMIT ?6";

static void read_account_row(struct db_stmt *st, struct arena *arena, struct account *a)
{
    a->id = db_column_int64(st, 0);
    a->source = store_col_str(st, 1, arena);
    a->ext_id = store_col_str(st, 2, arena);
    a->name = store_col_str(st, 3, arena);
    a->segment = store_col_str(st, 4, arena);
    a->region = store_col_str(st, 5, arena);
    a->country = store_col_str(st, 6, arena);
    a->city = store_col_str(st, 7, arena);
    a->owner_rep_id = store_col_ref(st, 8);
    a->account_manager_id = store_col_ref(st, 9);
    a->credit_limit = db_column_opt_int64(st, 10);
    a->payment_terms_days = db_column_opt_int64(st, 11);
    a->status = store_col_str(st, 12, arena);
    a->currency = store_col_str(st, 13, arena);
}

static void read_row(struct db_stmt *st, struct arena *arena, struct account_row *out)
{
    read_account_row(st, arena, &out->account);
    out->owner_rep_ext_id = store_col_str(st, 14, arena);
    out->account_manager_ext_id = store_col_str(st, 16, arena);
}

/* "%text%" in lower case (ASCII), with % _ and \ escaped by '\'; in `arena`. */
static const char *name_pattern(struct arena *arena, const char *text)
{
    size_t len = strlen(text);
    char *p = arena_alloc(arena, 2 * len + 3), *q = p;
    if (!p)
        abort(); /* store reads use unbounded arenas */
    *q++ = '%';
    for (const char *s = text; *s; s++) {
        if (*s == '%' || *s == '_' || *s == '\\')
            *q++ = '\\';
        *q++ = (*s >= 'A' && *s <= 'Z') ? (char)(*s - 'A' + 'a') : *s;
    }
    *q++ = '%';
    *q = '\0';
    return p;
}

int store_account_list(struct db *db, struct arena *arena, const struct account_filter *f,
                       struct account_row **items, size_t *n, int *more, struct sd_error *err)
{
    struct db_stmt *st;
    size_t cap = 0;
    *items = NULL;
    *n = 0;
    *more = 0;
    if (f->limit < 1 || f->limit > STORE_LIST_MAX)
        return sd_error_set(err, SD_EINVAL, "limit must be 1..%d", STORE_LIST_MAX);
    int rc = db_prepare(db, account_list_sql, &st, err);
    if (rc)
        return rc;
    db_bind_text(st, 1, f->region);
    db_bind_text(st, 2, f->segment);
    db_bind_text(st, 3, f->status);
    db_bind_int64(st, 4, f->owner_rep_id);
    db_bind_text(st, 5, f->name_contains ? name_pattern(arena, f->name_contains) : NULL);
    db_bind_int64(st, 6, f->limit + 1);
    db_bind_text(st, 7, f->after_name ? f->after_name : "");
    db_bind_int64(st, 8, f->after_name ? f->after_id : 0);
    db_bind_int64(st, 9, f->scope_rep_id);
    while ((rc = db_step(st, err)) == DB_ROW) {
        if (*n == (size_t)f->limit) {
            *more = 1;
            db_reset(st);
            return 0;
        }
        *items = store_grow_array(arena, *items, *n, &cap, sizeof(**items));
        read_row(st, arena, &(*items)[(*n)++]);
    }
    return rc;
}

int store_account_row(struct db *db, struct arena *arena, int64_t id, struct account_row *out,
                      struct sd_error *err)
{
    struct db_stmt *st;
    int rc = store_row_by_id(db, account_view_sql, id, "account", &st, err);
    if (rc)
        return rc;
    read_row(st, arena, out);
    db_reset(st);
    return 0;
}

void store_account_row_json(struct json_writer *w, const struct account_row *r)
{
    const struct account *a = &r->account;
    json_object_begin(w);
    json_kv_string(w, "id", a->ext_id);
    json_kv_string(w, "name", a->name);
    json_kv_string(w, "segment", a->segment);
    json_kv_string(w, "region", a->region);
    json_kv_string(w, "country", a->country);
    json_kv_string(w, "city", a->city);
    json_kv_string(w, "owner_rep", r->owner_rep_ext_id);
    json_kv_string(w, "account_manager", r->account_manager_ext_id);
    json_kv_money(w, "credit_limit", a->credit_limit);
    json_kv_int(w, "payment_terms_days", a->payment_terms_days);
    json_kv_string(w, "status", a->status);
    json_kv_string(w, "currency", a->currency);
    json_object_end(w);
}
