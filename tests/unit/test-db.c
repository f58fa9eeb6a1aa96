/* SPDX-License-Identifier: MIT */
/*
 * test-db: db/ on the SQLite driver, each test on a fresh file in its own
 * mkdtemp directory: opening (create, missing, not a database, a directory,
 * bad URLs, read-only), the connection's pragmas (WAL, foreign keys,
 * synchronous FULL, bulk mode and back), binding and reading columns with
 * NULLs and the INT64_MIN / INT32_MIN sentinels, the statement cache,
 * statements handed back reset, constraint violations as SD_ECONFLICT,
 * transactions and savepoints, and migrations (empty database, again as a
 * no-op, and a database newer than this binary refused and left untouched).
 *
 * What a call stored is read back with plain SQL (test-util.h) wherever the
 * reader itself is not what is under test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/error.h"
#include "db/db.h"

#include "test-util.h"

#include "base/banned.h"

struct fixture {
    char dir[TEST_PATH_MAX];
    char path[TEST_PATH_MAX]; /* dir/test.db, not created */
    struct db *db;            /* closed by the teardown */
    struct db *other;         /* a second connection, closed by the teardown */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    test_tmpdir_make(f->dir, sizeof(f->dir));
    test_path(f->path, f->dir, "test.db");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    db_close(f->other);
    db_close(f->db);
    test_tmpdir_remove(f->dir);
    free(f);
    return 0;
}

/* Opens (creating) f->path into f->db. */
static struct db *open_fresh(struct fixture *f)
{
    struct sd_error err = {0};
    assert_sd_ok(db_open(&f->db, f->path, DB_OPEN_CREATE, &err), &err);
    assert_non_null(f->db);
    return f->db;
}

/* Opens f->path (creating it) with the table t used by several tests. */
static struct db *open_with_table(struct fixture *f)
{
    struct db *db = open_fresh(f);
    test_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, n BIGINT, s TEXT, d INTEGER)");
    return db;
}

static int file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* ---- opening ---- */

static void test_open_missing_then_create(void **state)
{
    struct fixture *f = *state;
    struct sd_error err = {0};
    struct db *db = (struct db *)&err; /* must be set to NULL on failure */

    assert_sd_status(db_open(&db, f->path, DB_OPEN_EXISTING, &err), SD_ENOTFOUND, &err);
    assert_null(db);
    assert_contains(err.message, f->path);
    assert_false(file_exists(f->path)); /* a failed open creates nothing */

    sd_error_clear(&err);
    assert_sd_ok(db_open(&f->db, f->path, DB_OPEN_CREATE, &err), &err);
    assert_non_null(f->db);
    assert_string_equal(db_driver_name(f->db), "sqlite");
    assert_true(file_exists(f->path));
    db_close(f->db);
    f->db = NULL;

    /* Now it exists: opening without DB_OPEN_CREATE works, also through "sqlite:". */
    assert_sd_ok(db_open(&f->db, f->path, DB_OPEN_EXISTING, &err), &err);
    char url[TEST_PATH_MAX + 8];
    snprintf(url, sizeof(url), "sqlite:%s", f->path);
    assert_sd_ok(db_open(&f->other, url, DB_OPEN_EXISTING, &err), &err);
    assert_string_equal(db_driver_name(f->other), "sqlite");
}

static void test_open_not_a_database(void **state)
{
    struct fixture *f = *state;
    struct sd_error err = {0};
    struct db *db = NULL;
    char junk[4096];

    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = "order_id,qty,price\n"[i % 19];
    test_write_file(f->path, junk, sizeof(junk));

    assert_sd_status(db_open(&db, f->path, DB_OPEN_EXISTING, &err), SD_EDB, &err);
    assert_null(db);
    assert_contains(err.message, f->path);

    /* DB_OPEN_CREATE does not turn an existing file into a database either. */
    sd_error_clear(&err);
    assert_sd_status(db_open(&db, f->path, DB_OPEN_CREATE, &err), SD_EDB, &err);
    assert_null(db);
    assert_contains(err.message, f->path);

    /* The file is left as it was. */
    FILE *fp = fopen(f->path, "rb");
    char back[sizeof(junk) + 1];
    assert_non_null(fp);
    assert_int_equal(fread(back, 1, sizeof(back), fp), sizeof(junk));
    fclose(fp);
    assert_memory_equal(back, junk, sizeof(junk));
}

static void test_open_directory(void **state)
{
    struct fixture *f = *state;
    struct sd_error err = {0};
    struct db *db = NULL;
    char sub[TEST_PATH_MAX];

    test_path(sub, f->dir, "a-directory");
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_sd_status(db_open(&db, sub, DB_OPEN_EXISTING, &err), SD_EINVAL, &err);
    assert_null(db);
    assert_contains(err.message, sub);

    /* With DB_OPEN_CREATE it fails all the same (the status is the driver's choice). */
    sd_error_clear(&err);
    int rc = db_open(&db, sub, DB_OPEN_CREATE, &err);
    assert_true(rc < 0);
    assert_int_equal(err.code, rc);
    assert_null(db);
    assert_contains(err.message, sub);
}

static void test_open_bad_urls(void **state)
{
    struct sd_error err = {0};
    struct db *db = NULL;

    (void)state;
    assert_sd_status(db_open(&db, "", DB_OPEN_CREATE, &err), SD_EINVAL, &err);
    assert_null(db);
    assert_sd_status(db_open(&db, NULL, DB_OPEN_CREATE, &err), SD_EINVAL, &err);
    assert_sd_status(db_open(&db, "sqlite:", DB_OPEN_CREATE, &err), SD_EINVAL, &err);
    assert_sd_status(db_open(&db, "postgres://localhost/sales", 0, &err), SD_EINVAL, &err);
    assert_contains(err.message, "postgres://localhost/sales");
    assert_sd_status(db_open(&db, "http://example.com/x.db", 0, &err), SD_EINVAL, &err);
    assert_contains(err.message, "http://example.com/x.db");
    assert_null(db);
    db_close(NULL); /* allowed */
}

static void test_open_readonly(void **state)
{
    struct fixture *f = *state;
    struct sd_error err = {0};

    test_exec(open_with_table(f), "INSERT INTO t(id, n) VALUES (1, 10)");
    assert_sd_ok(db_open(&f->other, f->path, DB_OPEN_READONLY, &err), &err);
    assert_int_equal(test_sql_int(f->other, "SELECT n FROM t WHERE id = 1"), 10);
    assert_sd_status(db_exec(f->other, "INSERT INTO t(id, n) VALUES (2, 20)", &err), SD_EPERM,
                     &err);
    assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM t"), 1);
}

/* ---- pragmas ---- */

static void check_pragmas(struct db *db, int64_t synchronous)
{
    struct db_stmt *st = test_prepare(db, "PRAGMA journal_mode");
    test_step_row(st, "PRAGMA journal_mode");
    assert_string_equal(db_column_text(st, 0), "wal");
    db_reset(st);
    assert_int_equal(test_sql_int(db, "PRAGMA foreign_keys"), 1);
    assert_int_equal(test_sql_int(db, "PRAGMA synchronous"), synchronous);
}

static void test_pragmas(void **state)
{
    struct fixture *f = *state;
    struct sd_error err = {0};

    check_pragmas(open_fresh(f), 2); /* 2 is FULL */
    /* A second connection to the same file gets the same settings. */
    assert_sd_ok(db_open(&f->other, f->path, DB_OPEN_EXISTING, &err), &err);
    check_pragmas(f->other, 2);
    /* Bulk mode gives up durability (synchronous OFF) only until db_bulk_end. */
    assert_sd_ok(db_bulk_begin(f->db, &err), &err);
    assert_int_equal(test_sql_int(f->db, "PRAGMA synchronous"), 0);
    assert_sd_ok(db_bulk_end(f->db, &err), &err);
    check_pragmas(f->db, 2);
}

/* ---- binding and reading ---- */

static const char insert_t_sql[] = "INSERT INTO t(id, n, s, d) VALUES (?, ?, ?, ?)";
static const char select_t_sql[] = "SELECT n, s, d FROM t WHERE id = ?";

static void test_bind_and_columns(void **state)
{
    struct fixture *f = *state;
    struct db *db = open_with_table(f);
    struct sd_error err = {0};
    struct db_stmt *st = NULL;

    assert_sd_ok(db_prepare(db, insert_t_sql, &st, &err), &err);
    db_bind_int64(st, 1, 1);
    db_bind_int64(st, 2, INT64_MAX);
    db_bind_text(st, 3, "Zürich");
    db_bind_int64(st, 4, 19723);
    assert_int_equal(db_step(st, &err), DB_DONE);
    db_bind_int64(st, 1, 2);
    db_bind_int64(st, 2, INT64_MIN); /* the plain binder stores the value itself */
    db_bind_text(st, 3, NULL);
    db_bind_null(st, 4);
    assert_int_equal(db_step(st, &err), DB_DONE);
    db_bind_int64(st, 1, 3);
    db_bind_int64(st, 2, -1);
    db_bind_text_n(st, 3, "abcdef", 3);
    db_bind_int64(st, 4, -1);
    assert_int_equal(db_step(st, &err), DB_DONE);
    db_bind_int64(st, 1, 4);
    db_bind_int64(st, 2, 0);
    db_bind_text(st, 3, ""); /* empty, not NULL */
    db_bind_int64(st, 4, 0);
    assert_int_equal(db_step(st, &err), DB_DONE);

    /* Checked with SQL first. */
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM t"), 4);
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM t WHERE s IS NULL"), 1);
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM t WHERE d IS NULL"), 1);
    assert_int_equal(test_sql_int(db, "SELECT id FROM t WHERE s = ''"), 4);
    assert_int_equal(test_sql_int(db, "SELECT id FROM t WHERE s = 'abc'"), 3);
    assert_int_equal(test_sql_int(db, "SELECT id FROM t WHERE n = 9223372036854775807"), 1);
    assert_int_equal(test_sql_int(db, "SELECT id FROM t WHERE n = -9223372036854775807 - 1"), 2);
    assert_int_equal(test_sql_int(db, "SELECT length(CAST(s AS BLOB)) FROM t WHERE id = 1"), 7);

    /* Then the column readers. */
    assert_sd_ok(db_prepare(db, select_t_sql, &st, &err), &err);
    db_bind_int64(st, 1, 1);
    assert_int_equal(db_step(st, &err), DB_ROW);
    assert_int_equal(db_column_int64(st, 0), INT64_MAX);
    assert_string_equal(db_column_text(st, 1), "Zürich");
    assert_false(db_column_is_null(st, 1));
    assert_int_equal(db_column_int64(st, 2), 19723);
    char *copy = db_column_strdup(st, 1);
    assert_string_equal(copy, "Zürich");
    free(copy);
    assert_int_equal(db_step(st, &err), DB_DONE);

    db_bind_int64(st, 1, 2);
    assert_int_equal(db_step(st, &err), DB_ROW);
    assert_int_equal(db_column_int64(st, 0), INT64_MIN);
    assert_true(db_column_is_null(st, 1));
    assert_string_equal(db_column_text(st, 1), ""); /* "" for NULL */
    assert_null(db_column_strdup(st, 1));
    assert_true(db_column_is_null(st, 2));
    assert_false(db_column_is_null(st, 0));
    db_reset(st);

    db_bind_int64(st, 1, 3);
    assert_int_equal(db_step(st, &err), DB_ROW);
    assert_int_equal(db_column_int64(st, 0), -1);
    assert_string_equal(db_column_text(st, 1), "abc");
    assert_int_equal(db_column_int64(st, 2), -1);
    db_reset(st);

    db_bind_int64(st, 1, 4);
    assert_int_equal(db_step(st, &err), DB_ROW);
    assert_false(db_column_is_null(st, 1));
    copy = db_column_strdup(st, 1);
    assert_non_null(copy);
    assert_string_equal(copy, "");
    free(copy);
    db_reset(st);

    /* No such row: DB_DONE at once. */
    db_bind_int64(st, 1, 99);
    assert_int_equal(db_step(st, &err), DB_DONE);
}

static const char insert_opt_sql[] = "INSERT INTO t(id, n, d) VALUES (?, ?, ?)";
static const char select_opt_sql[] = "SELECT n, d, n IS NULL, d IS NULL FROM t WHERE id = ?";

/*
 * db_bind_opt_int64 stores INT64_MIN (MONEY_NONE) as NULL and every other value,
 * INT32_MIN included, as itself; db_bind_opt_date stores INT32_MIN (DATE_NONE)
 * as NULL. The opt readers turn NULL back into the sentinels.
 */
static void test_optional_sentinels(void **state)
{
    struct fixture *f = *state;
    struct db *db = open_with_table(f);
    struct sd_error err = {0};
    struct db_stmt *st = NULL;
    const struct {
        int64_t value;
        int is_null;
    } cases[] = {
        {INT64_MIN, 1},
        {INT32_MIN, 0},
        {0, 0},
        {-1, 0},
        {42, 0},
        {INT64_MAX, 0},
        {INT64_MIN + 1, 0},
        {INT32_MIN + 1, 0},
        {(int64_t)INT32_MIN - 1, 0},
        {INT32_MAX, 0},
    };
    const size_t n_cases = sizeof(cases) / sizeof(cases[0]);

    for (size_t i = 0; i < n_cases; i++) {
        assert_sd_ok(db_prepare(db, insert_opt_sql, &st, &err), &err);
        db_bind_int64(st, 1, (int64_t)i + 1);
        db_bind_opt_int64(st, 2, cases[i].value);
        db_bind_opt_int64(st, 3, cases[i].value);
        assert_int_equal(db_step(st, &err), DB_DONE);
    }
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM t WHERE n IS NULL"), 1);
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM t WHERE d IS NULL"), 1);

    /* db_bind_opt_date: DATE_NONE is NULL, any other day (negative ones too) is kept. */
    const int32_t bound_days[] = {INT32_MIN, -1, 0, 19723, INT32_MIN + 1};
    for (size_t i = 0; i < sizeof(bound_days) / sizeof(bound_days[0]); i++) {
        assert_sd_ok(db_prepare(db, insert_opt_sql, &st, &err), &err);
        db_bind_int64(st, 1, 200 + (int64_t)i);
        db_bind_null(st, 2);
        db_bind_opt_date(st, 3, bound_days[i]);
        assert_int_equal(db_step(st, &err), DB_DONE);
    }
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM t WHERE id >= 200 AND d IS NULL"), 1);
    assert_int_equal(test_sql_int(db, "SELECT sum(d) FROM t WHERE id >= 200"),
                     -1 + 0 + 19723 + (int64_t)INT32_MIN + 1);

    for (size_t i = 0; i < n_cases; i++) {
        assert_sd_ok(db_prepare(db, select_opt_sql, &st, &err), &err);
        db_bind_int64(st, 1, (int64_t)i + 1);
        assert_int_equal(db_step(st, &err), DB_ROW);
        if (db_column_int64(st, 2) != cases[i].is_null)
            fail_msg("db_bind_opt_int64(%" PRId64 "): stored %s", cases[i].value,
                     cases[i].is_null ? "a value, expected NULL" : "NULL, expected the value");
        int64_t want = cases[i].is_null ? INT64_MIN : cases[i].value;
        assert_int_equal(db_column_opt_int64(st, 0), want);
        db_reset(st);
    }

    /* Dates: NULL reads as INT32_MIN (DATE_NONE), any day as itself. */
    test_exec(db, "INSERT INTO t(id, d) VALUES (100, NULL), (101, 19723), (102, -719162), "
                  "(103, 2932896), (104, 0)");
    const struct {
        int64_t id;
        int32_t day;
    } days[] = {{100, INT32_MIN}, {101, 19723}, {102, -719162}, {103, 2932896}, {104, 0}};
    for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
        assert_sd_ok(db_prepare(db, select_opt_sql, &st, &err), &err);
        db_bind_int64(st, 1, days[i].id);
        assert_int_equal(db_step(st, &err), DB_ROW);
        assert_int_equal(db_column_opt_date(st, 1), days[i].day);
        assert_int_equal(db_column_opt_int64(st, 0), INT64_MIN); /* n is NULL in these rows */
        db_reset(st);
    }
}

static void test_changes(void **state)
{
    struct fixture *f = *state;
    struct db *db = open_with_table(f);

    test_exec(db, "INSERT INTO t(id, n) VALUES (1, 1), (2, 2), (3, 3), (4, 4), (5, 5)");
    assert_int_equal(db_changes(db), 5);
    test_exec(db, "UPDATE t SET n = n + 1 WHERE id <= 3");
    assert_int_equal(db_changes(db), 3);
    test_exec(db, "UPDATE t SET n = 0 WHERE id = 99");
    assert_int_equal(db_changes(db), 0);
    test_exec(db, "DELETE FROM t WHERE n >= 4");
    assert_int_equal(db_changes(db), 3); /* ids 3, 4, 5 */
}

/* ---- the statement cache ---- */

static char many_sql[300][32];

static void test_statement_cache(void **state)
{
    struct fixture *f = *state;
    struct db *db = open_fresh(f);
    struct sd_error err = {0};
    struct db_stmt *first = NULL, *again = NULL;
    static struct db_stmt *stmts[300];
    static const char one_sql[] = "SELECT 1";
    char same_text[] = "SELECT 1";

    assert_sd_ok(db_prepare(db, one_sql, &first, &err), &err);
    assert_sd_ok(db_prepare(db, one_sql, &again, &err), &err);
    assert_ptr_equal(first, again);
    /* The cache key is the pointer: the same text elsewhere is another statement. */
    assert_sd_ok(db_prepare(db, same_text, &again, &err), &err);
    assert_ptr_not_equal(first, again);

    /* Enough statements to grow the cache several times; all stay cached and correct. */
    for (int i = 0; i < 300; i++) {
        snprintf(many_sql[i], sizeof(many_sql[i]), "SELECT %d", i * 11);
        assert_sd_ok(db_prepare(db, many_sql[i], &stmts[i], &err), &err);
        for (int j = 0; j < i; j++) {
            if (stmts[j] == stmts[i])
                fail_msg("statements %d and %d are the same object", j, i);
        }
    }
    assert_sd_ok(db_prepare(db, one_sql, &again, &err), &err);
    assert_ptr_equal(first, again);
    for (int i = 0; i < 300; i++) {
        assert_sd_ok(db_prepare(db, many_sql[i], &again, &err), &err);
        assert_ptr_equal(again, stmts[i]);
        assert_int_equal(db_step(again, &err), DB_ROW);
        assert_int_equal(db_column_int64(again, 0), i * 11);
        assert_int_equal(db_step(again, &err), DB_DONE);
    }
}

/* A statement that fails to prepare is not cached: once the table exists it prepares. */
static void test_prepare_error(void **state)
{
    struct fixture *f = *state;
    struct db *db = open_fresh(f);
    struct sd_error err = {0};
    struct db_stmt *st = NULL;
    static const char sql[] = "SELECT count(*) FROM later";

    assert_sd_status(db_prepare(db, sql, &st, &err), SD_EDB, &err);
    assert_contains(err.message, f->path);
    assert_contains(err.message, "later");
    test_exec(db, "CREATE TABLE later(x INTEGER)");
    assert_sd_ok(db_prepare(db, sql, &st, &err), &err);
    assert_int_equal(db_step(st, &err), DB_ROW);
    assert_int_equal(db_column_int64(st, 0), 0);
    db_reset(st);
    assert_sd_status(db_exec(db, "THIS IS NOT SQL", &err), SD_EDB, &err);
}

static const char select_param_sql[] = "SELECT ?";
static const char select_all_sql[] = "SELECT n FROM t ORDER BY n";

/* After DB_DONE the statement starts over, and its bindings are gone. */
static void test_done_resets(void **state)
{
    struct fixture *f = *state;
    struct db *db = open_with_table(f);
    struct sd_error err = {0};
    struct db_stmt *st = NULL;

    test_exec(db, "INSERT INTO t(n) VALUES (10), (20), (30)");
    assert_sd_ok(db_prepare(db, select_all_sql, &st, &err), &err);
    for (int round = 0; round < 2; round++) {
        for (int i = 1; i <= 3; i++) {
            assert_int_equal(db_step(st, &err), DB_ROW);
            assert_int_equal(db_column_int64(st, 0), i * 10);
        }
        assert_int_equal(db_step(st, &err), DB_DONE);
    }

    assert_sd_ok(db_prepare(db, select_param_sql, &st, &err), &err);
    db_bind_int64(st, 1, 5);
    assert_int_equal(db_step(st, &err), DB_ROW);
    assert_int_equal(db_column_int64(st, 0), 5);
    assert_int_equal(db_step(st, &err), DB_DONE);
    assert_sd_ok(db_prepare(db, select_param_sql, &st, &err), &err);
    assert_int_equal(db_step(st, &err), DB_ROW);
    assert_true(db_column_is_null(st, 0));
    db_reset(st);

    /* db_reset mid-way: the next step starts from the first row. */
    assert_sd_ok(db_prepare(db, select_all_sql, &st, &err), &err);
    assert_int_equal(db_step(st, &err), DB_ROW);
    assert_int_equal(db_step(st, &err), DB_ROW);
    db_reset(st);
    assert_int_equal(db_step(st, &err), DB_ROW);
    assert_int_equal(db_column_int64(st, 0), 10);
    db_reset(st);
}

/*
 * db.h promises that db_prepare hands back the statement "reset, with no
 * bindings", also when its previous user stopped after a row without
 * db_reset.
 */
static void test_prepare_returns_reset_statement(void **state)
{
    struct fixture *f = *state;
    struct db *db = open_with_table(f);
    struct sd_error err = {0};
    struct db_stmt *st = NULL;

    test_exec(db, "INSERT INTO t(n) VALUES (10), (20), (30)");
    assert_sd_ok(db_prepare(db, select_all_sql, &st, &err), &err);
    assert_int_equal(db_step(st, &err), DB_ROW);
    assert_int_equal(db_column_int64(st, 0), 10);
    /* Left mid-way, without db_reset. */
    assert_sd_ok(db_prepare(db, select_all_sql, &st, &err), &err);
    assert_int_equal(db_step(st, &err), DB_ROW);
    /* BUG (src/db/db.c, db_prepare): a cache hit returns the statement as it was left, so
     * this step continues the old iteration and reads 20 instead of 10. src/store/orders.c
     * (lines_equal) leaves lines_select_sql like that, see test-store. */
    assert_int_equal(db_column_int64(st, 0), 10);
    db_reset(st);

    assert_sd_ok(db_prepare(db, select_param_sql, &st, &err), &err);
    db_bind_int64(st, 1, 7);
    assert_int_equal(db_step(st, &err), DB_ROW);
    assert_sd_ok(db_prepare(db, select_param_sql, &st, &err), &err);
    assert_int_equal(db_step(st, &err), DB_ROW); /* one row again, and the binding is gone */
    assert_true(db_column_is_null(st, 0));
    db_reset(st);
}

/* ---- constraints ---- */

static const char insert_u_sql[] = "INSERT INTO u(code, qty) VALUES (?, ?)";

static int insert_u(struct db *db, const char *code, int64_t qty, struct sd_error *err)
{
    struct db_stmt *st = NULL;
    int rc = db_prepare(db, insert_u_sql, &st, err);
    if (rc)
        return rc;
    db_bind_text(st, 1, code);
    db_bind_int64(st, 2, qty);
    rc = db_step(st, err);
    return rc == DB_DONE ? 0 : rc;
}

static void test_constraint_violations(void **state)
{
    struct fixture *f = *state;
    struct db *db = open_fresh(f);
    struct sd_error err = {0};

    test_exec(db, "CREATE TABLE u(id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, "
                  "qty INTEGER CHECK (qty >= 0))");
    assert_sd_ok(insert_u(db, "A-1", 1, &err), &err);
    assert_sd_status(insert_u(db, "A-1", 2, &err), SD_ECONFLICT, &err);
    assert_true(err.message[0] != '\0');
    sd_error_clear(&err);
    assert_sd_status(insert_u(db, NULL, 1, &err), SD_ECONFLICT, &err);   /* NOT NULL */
    assert_sd_status(insert_u(db, "A-2", -1, &err), SD_ECONFLICT, &err); /* CHECK */
    /* The failed statement was reset: the next use works. */
    assert_sd_ok(insert_u(db, "A-2", 2, &err), &err);
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM u"), 2);
    assert_int_equal(test_sql_int(db, "SELECT qty FROM u WHERE code = 'A-1'"), 1);
    /* A violation from db_exec maps the same way. */
    assert_sd_status(db_exec(db, "INSERT INTO u(code, qty) VALUES ('A-2', 5)", &err), SD_ECONFLICT,
                     &err);
}

static void test_foreign_keys_enforced(void **state)
{
    struct fixture *f = *state;
    struct db *db = open_fresh(f);
    struct sd_error err = {0};

    test_exec(db, "CREATE TABLE parent(id INTEGER PRIMARY KEY);"
                  "CREATE TABLE child(id INTEGER PRIMARY KEY, "
                  "parent_id INTEGER NOT NULL REFERENCES parent(id))");
    assert_sd_status(db_exec(db, "INSERT INTO child(id, parent_id) VALUES (1, 99)", &err),
                     SD_ECONFLICT, &err);
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM child"), 0);
    test_exec(db, "INSERT INTO parent(id) VALUES (99)");
    test_exec(db, "INSERT INTO child(id, parent_id) VALUES (1, 99)");
    assert_sd_status(db_exec(db, "DELETE FROM parent WHERE id = 99", &err), SD_ECONFLICT, &err);
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM parent"), 1);
}

/* ---- transactions ---- */

static void test_rollback_discards(void **state)
{
    struct fixture *f = *state;
    struct db *db = open_with_table(f);
    struct sd_error err = {0};

    assert_false(db_in_transaction(db));
    assert_sd_ok(db_begin(db, &err), &err);
    assert_true(db_in_transaction(db));
    test_exec(db, "INSERT INTO t(id, n) VALUES (1, 1), (2, 2)");
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM t"), 2);
    db_rollback(db);
    assert_false(db_in_transaction(db));
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM t"), 0);
    db_rollback(db); /* outside a transaction: nothing happens */
    assert_false(db_in_transaction(db));
}

static void test_commit_keeps(void **state)
{
    struct fixture *f = *state;
    struct db *db = open_with_table(f);
    struct sd_error err = {0};

    assert_sd_ok(db_open(&f->other, f->path, DB_OPEN_EXISTING, &err), &err);
    assert_sd_ok(db_begin(db, &err), &err);
    test_exec(db, "INSERT INTO t(id, n) VALUES (1, 1), (2, 2)");
    /* Another connection reads the last committed state meanwhile, without waiting. */
    assert_int_equal(test_sql_int(f->other, "SELECT count(*) FROM t"), 0);
    assert_sd_ok(db_commit(db, &err), &err);
    assert_false(db_in_transaction(db));
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM t"), 2);
    assert_int_equal(test_sql_int(f->other, "SELECT count(*) FROM t"), 2);

    /* And it survives closing and reopening. */
    db_close(f->db);
    f->db = NULL;
    db_close(f->other);
    f->other = NULL;
    assert_sd_ok(db_open(&f->db, f->path, DB_OPEN_EXISTING, &err), &err);
    assert_int_equal(test_sql_int(f->db, "SELECT sum(n) FROM t"), 3);
}

static void test_begin_twice(void **state)
{
    struct fixture *f = *state;
    struct db *db = open_with_table(f);
    struct sd_error err = {0};

    assert_sd_ok(db_begin(db, &err), &err);
    test_exec(db, "INSERT INTO t(id) VALUES (1)");
    int rc = db_begin(db, &err);
    assert_true(rc < 0);
    assert_true(err.message[0] != '\0');
    /* The first transaction is still open and still holds its row. */
    assert_true(db_in_transaction(db));
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM t"), 1);
    db_rollback(db);
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM t"), 0);
}

static void test_close_rolls_back(void **state)
{
    struct fixture *f = *state;
    struct db *db = open_with_table(f);
    struct sd_error err = {0};

    assert_sd_ok(db_begin(db, &err), &err);
    test_exec(db, "INSERT INTO t(id) VALUES (1)");
    db_close(f->db);
    f->db = NULL;
    assert_sd_ok(db_open(&f->db, f->path, DB_OPEN_EXISTING, &err), &err);
    assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM t"), 0);
}

static void test_savepoints(void **state)
{
    struct fixture *f = *state;
    struct db *db = open_with_table(f);
    struct sd_error err = {0};

    assert_sd_ok(db_begin(db, &err), &err);
    test_exec(db, "INSERT INTO t(id) VALUES (1)");
    assert_sd_ok(db_savepoint(db, "row_two", &err), &err);
    test_exec(db, "INSERT INTO t(id) VALUES (2)");
    assert_sd_ok(db_rollback_to(db, "row_two", &err), &err);
    test_exec(db, "INSERT INTO t(id) VALUES (3)");
    assert_sd_ok(db_release(db, "row_two", &err), &err);

    /* Nested: rolling back to the outer savepoint drops what the inner one saw. */
    assert_sd_ok(db_savepoint(db, "outer_sp", &err), &err);
    test_exec(db, "INSERT INTO t(id) VALUES (4)");
    assert_sd_ok(db_savepoint(db, "inner_sp", &err), &err);
    test_exec(db, "INSERT INTO t(id) VALUES (5)");
    assert_sd_ok(db_rollback_to(db, "outer_sp", &err), &err);
    assert_sd_ok(db_release(db, "outer_sp", &err), &err);
    assert_true(db_in_transaction(db));
    assert_sd_ok(db_commit(db, &err), &err);

    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM t"), 2);
    assert_int_equal(test_sql_int(db, "SELECT sum(id) FROM t"), 4); /* rows 1 and 3 */
}

static void test_savepoint_bad_name(void **state)
{
    struct fixture *f = *state;
    struct db *db = open_with_table(f);
    struct sd_error err = {0};

    assert_sd_ok(db_begin(db, &err), &err);
    assert_sd_status(db_savepoint(db, "x; DROP TABLE t", &err), SD_EINVAL, &err);
    assert_contains(err.message, "x; DROP TABLE t");
    assert_sd_status(db_rollback_to(db, "x'", &err), SD_EINVAL, &err);
    assert_sd_status(db_release(db, "a b", &err), SD_EINVAL, &err);
    db_rollback(db);
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 't'"), 1);
}

/* ---- migrations ---- */

static void test_migrations_table(void **state)
{
    (void)state;
    assert_true(db_migrations_count >= 1);
    assert_int_equal(db_migrations[0].version, 1);
    for (size_t i = 0; i < db_migrations_count; i++) {
        assert_non_null(db_migrations[i].name);
        assert_true(db_migrations[i].name[0] != '\0');
        assert_non_null(db_migrations[i].sql);
        if (i > 0)
            assert_true(db_migrations[i].version > db_migrations[i - 1].version);
    }
    assert_int_equal(db_schema_latest(), db_migrations[db_migrations_count - 1].version);
}

static void test_migrate_empty(void **state)
{
    struct fixture *f = *state;
    struct db *db = open_fresh(f);
    struct sd_error err = {0};
    int version = -1, from = -1, to = -1;

    assert_sd_ok(db_schema_version(db, &version, &err), &err);
    assert_int_equal(version, 0);
    assert_sd_ok(db_migrate(db, &from, &to, &err), &err);
    assert_int_equal(from, 0);
    assert_int_equal(to, db_schema_latest());
    assert_false(db_in_transaction(db));
    assert_sd_ok(db_schema_version(db, &version, &err), &err);
    assert_int_equal(version, db_schema_latest());

    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM schema_version"),
                     (int64_t)db_migrations_count);
    assert_int_equal(test_sql_int(db, "SELECT max(version) FROM schema_version"),
                     db_schema_latest());
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' "
                                      "AND name IN ('settings', 'change_log', 'accounts', "
                                      "'orders', 'order_lines', 'invoices', 'fx_rates')"),
                     7);
    /* The schema's foreign keys hold on this connection. */
    assert_sd_status(db_exec(db,
                             "INSERT INTO orders(ext_id, account_id, order_date, status, "
                             "status_date) VALUES ('O-1', 999, 0, 'draft', 0)",
                             &err),
                     SD_ECONFLICT, &err);

    /* Committed: another connection sees the schema. */
    assert_sd_ok(db_open(&f->other, f->path, DB_OPEN_EXISTING, &err), &err);
    assert_sd_ok(db_schema_version(f->other, &version, &err), &err);
    assert_int_equal(version, db_schema_latest());
}

static void test_migrate_again_is_noop(void **state)
{
    struct fixture *f = *state;
    struct db *db = open_fresh(f);
    struct sd_error err = {0};
    int from = -1, to = -1;

    assert_sd_ok(db_migrate(db, NULL, NULL, &err), &err);
    test_exec(db, "INSERT INTO settings(key, value) VALUES ('marker', 'kept')");
    int64_t objects = test_sql_int(db, "SELECT count(*) FROM sqlite_schema");

    assert_sd_ok(db_migrate(db, &from, &to, &err), &err);
    assert_int_equal(from, db_schema_latest());
    assert_int_equal(to, db_schema_latest());
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM schema_version"),
                     (int64_t)db_migrations_count);
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM sqlite_schema"), objects);
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM settings WHERE key = 'marker'"), 1);

    /* Also from a new connection. */
    db_close(f->db);
    f->db = NULL;
    assert_sd_ok(db_open(&f->db, f->path, DB_OPEN_EXISTING, &err), &err);
    assert_sd_ok(db_migrate(f->db, &from, &to, &err), &err);
    assert_int_equal(from, db_schema_latest());
    assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM schema_version"),
                     (int64_t)db_migrations_count);
}

static const char future_version_sql[] =
    "INSERT INTO schema_version(version, name, applied_at) VALUES (?, 'from the future', 0)";

/* A database a newer salesdesk migrated: refused, and nothing in it changes. */
static void test_migrate_refuses_newer(void **state)
{
    struct fixture *f = *state;
    struct db *db = open_fresh(f);
    struct sd_error err = {0};
    struct db_stmt *st = NULL;
    int version = -1;
    int newer = db_schema_latest() + 1;
    char newer_text[16];

    assert_sd_ok(db_migrate(db, NULL, NULL, &err), &err);
    test_exec(db, "INSERT INTO settings(key, value) VALUES ('marker', 'kept')");
    assert_sd_ok(db_prepare(db, future_version_sql, &st, &err), &err);
    db_bind_int64(st, 1, newer);
    assert_int_equal(db_step(st, &err), DB_DONE);
    int64_t objects = test_sql_int(db, "SELECT count(*) FROM sqlite_schema");
    db_close(f->db);
    f->db = NULL;

    assert_sd_ok(db_open(&f->db, f->path, DB_OPEN_EXISTING, &err), &err);
    db = f->db;
    snprintf(newer_text, sizeof(newer_text), "%d", newer);
    assert_sd_status(db_schema_version(db, &version, &err), SD_EVERSION, &err);
    assert_contains(err.message, newer_text);
    sd_error_clear(&err);
    assert_sd_status(db_migrate(db, NULL, NULL, &err), SD_EVERSION, &err);
    assert_contains(err.message, newer_text);
    assert_false(db_in_transaction(db));

    assert_int_equal(test_sql_int(db, "SELECT max(version) FROM schema_version"), newer);
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM schema_version"),
                     (int64_t)db_migrations_count + 1);
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM sqlite_schema"), objects);
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM settings WHERE key = 'marker'"), 1);
    /* The refusal left no lock behind: a write works. */
    assert_sd_ok(db_begin(db, &err), &err);
    test_exec(db, "INSERT INTO settings(key, value) VALUES ('after', 'ok')");
    assert_sd_ok(db_commit(db, &err), &err);
}

/* Only a schema_version table saying "newer": migrate must not create a single table. */
static void test_migrate_refuses_newer_bare(void **state)
{
    struct fixture *f = *state;
    struct db *db = open_fresh(f);
    struct sd_error err = {0};
    struct db_stmt *st = NULL;
    int from = -1;

    test_exec(db, "CREATE TABLE schema_version(version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                  "applied_at BIGINT NOT NULL)");
    assert_sd_ok(db_prepare(db, future_version_sql, &st, &err), &err);
    db_bind_int64(st, 1, db_schema_latest() + 5);
    assert_int_equal(db_step(st, &err), DB_DONE);

    assert_sd_status(db_migrate(db, &from, NULL, &err), SD_EVERSION, &err);
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM sqlite_schema"), 1);
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM schema_version"), 1);
    assert_false(db_in_transaction(db));
}

#define DB_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* Suspended indexes are gone inside the transaction and back after commit or rollback. */
static void test_indexes_suspend(void **state)
{
    struct fixture *f = *state;
    struct db *db = open_with_table(f);
    struct sd_error err = {0};
    test_exec(db, "CREATE INDEX t_n ON t(n); CREATE INDEX t_s ON t(s); "
                  "CREATE TABLE u(id INTEGER PRIMARY KEY, code TEXT UNIQUE); CREATE INDEX u_id ON u(id)");
    /* Outside a transaction it is refused. */
    assert_int_equal(db_indexes_suspend(db, "t", &err), SD_ERR);

    assert_sd_ok(db_begin(db, &err), &err);
    assert_sd_ok(db_indexes_suspend(db, "t", &err), &err);
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' "
                                      "AND tbl_name = 't'"), 0);
    /* Other tables and unique constraints keep theirs. */
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' "
                                      "AND tbl_name = 'u'"), 2);
    test_exec(db, "INSERT INTO t(id, n, s) VALUES (1, 5, 'x'), (2, 6, 'y')");
    assert_sd_ok(db_commit(db, &err), &err);
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' "
                                      "AND tbl_name = 't'"), 2);
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM t INDEXED BY t_n WHERE n = 6"), 1);

    assert_sd_ok(db_begin(db, &err), &err);
    assert_sd_ok(db_indexes_suspend(db, "t", &err), &err);
    db_rollback(db);
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' "
                                      "AND tbl_name = 't'"), 2);
    /* Nothing is left suspended for the next commit to rebuild. */
    assert_sd_ok(db_begin(db, &err), &err);
    assert_sd_ok(db_commit(db, &err), &err);
    /* t_n, t_s, u_id and u's unique constraint */
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'index'"),
                     4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DB_TEST(test_open_missing_then_create),
        DB_TEST(test_open_not_a_database),
        DB_TEST(test_open_directory),
        DB_TEST(test_open_bad_urls),
        DB_TEST(test_open_readonly),
        DB_TEST(test_pragmas),
        DB_TEST(test_bind_and_columns),
        DB_TEST(test_optional_sentinels),
        DB_TEST(test_changes),
        DB_TEST(test_statement_cache),
        DB_TEST(test_prepare_error),
        DB_TEST(test_done_resets),
        DB_TEST(test_prepare_returns_reset_statement),
        DB_TEST(test_constraint_violations),
        DB_TEST(test_foreign_keys_enforced),
        DB_TEST(test_rollback_discards),
        DB_TEST(test_commit_keeps),
        DB_TEST(test_begin_twice),
        DB_TEST(test_close_rolls_back),
        DB_TEST(test_savepoints),
        DB_TEST(test_savepoint_bad_name),
        DB_TEST(test_migrations_table),
        DB_TEST(test_migrate_empty),
        DB_TEST(test_migrate_again_is_noop),
        DB_TEST(test_migrate_refuses_newer),
        DB_TEST(test_migrate_refuses_newer_bare),
        DB_TEST(test_indexes_suspend),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
