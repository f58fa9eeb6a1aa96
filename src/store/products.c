/* SPDX-License-Identifier: MIT */
/* products: the catalogue (products by SKU) and stock levels per warehouse. */
#include "base/json.h"
#include "store/store-int.h"
#include "base/banned.h"

static const struct store_table product_table = {
    .entity = "product",
    .find_sql = "SELECT id FROM products WHERE source = ? AND ext_id = ?",
    .insert_sql = "INSERT INTO products(source, ext_id, name, category, list_price, cost, status, "
                  "launch_date) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
    .update_sql = "UPDATE products SET name = ?3, category = ?4, list_price = ?5, cost = ?6, "
                  "status = ?7, launch_date = ?8 WHERE id = ?9 AND "
                  "(name IS DISTINCT FROM ?3 OR category IS DISTINCT FROM ?4 OR "
                  "list_price IS DISTINCT FROM ?5 OR cost IS DISTINCT FROM ?6 OR "
                  "status IS DISTINCT FROM ?7 OR launch_date IS DISTINCT FROM ?8)",
    .n_fields = 8,
};

static void bind_product(struct db_stmt *st, const void *obj)
{
    const struct product *p = obj;
    db_bind_text(st, 1, p->source);
    db_bind_text(st, 2, p->ext_id);
    db_bind_text(st, 3, p->name);
    db_bind_text(st, 4, p->category);
    db_bind_int64(st, 5, p->list_price);
    db_bind_opt_int64(st, 6, p->cost);
    db_bind_text(st, 7, p->status ? p->status : "active");
    db_bind_opt_date(st, 8, p->launch_date);
}

int store_product_upsert(struct db *db, struct product *p, enum store_write *result,
                         struct sd_error *err)
{
    return store_upsert(db, &product_table, p->source, p->ext_id, bind_product, p, &p->id,
                        result, err);
}

static const char stock_find_sql[] =
    "SELECT on_hand, reserved FROM stock WHERE product_id = ? AND warehouse = ?";
static const char stock_insert_sql[] =
    "INSERT INTO stock(product_id, warehouse, on_hand, reserved) VALUES (?, ?, ?, ?)";
static const char stock_update_sql[] =
    "UPDATE stock SET on_hand = ?3, reserved = ?4 WHERE product_id = ?1 AND warehouse = ?2";

static void bind_stock(struct db_stmt *st, const struct stock_level *s)
{
    db_bind_int64(st, 1, s->product_id);
    db_bind_text(st, 2, s->warehouse);
    db_bind_int64(st, 3, s->on_hand);
    db_bind_int64(st, 4, s->reserved);
}

int store_stock_set(struct db *db, const struct stock_level *s, enum store_write *result,
                    struct sd_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, stock_find_sql, &st, err);
    if (rc)
        return rc;
    db_bind_int64(st, 1, s->product_id);
    db_bind_text(st, 2, s->warehouse);
    rc = db_step(st, err);
    if (rc < 0)
        return rc;
    if (rc == DB_ROW && db_column_int64(st, 0) == s->on_hand &&
        db_column_int64(st, 1) == s->reserved) {
        db_reset(st);
        *result = STORE_UNCHANGED;
        return 0;
    }
    *result = rc == DB_ROW ? STORE_UPDATED : STORE_INSERTED;
    db_reset(st);
    rc = db_prepare(db, *result == STORE_INSERTED ? stock_insert_sql : stock_update_sql, &st, err);
    if (rc)
        return rc;
    bind_stock(st, s);
    rc = store_run(st, err);
    if (rc == 0)
        rc = store_change_append(db, "stock", s->product_id,
                                 *result == STORE_INSERTED ? "insert" : "update", err);
    return rc;
}
