/* SPDX-License-Identifier: MIT */
/*
 * test-api-thread: a worker thread's store connection. A store that cannot
 * be opened is tried again after a wait that doubles (not never again), and
 * a connection on which a COMMIT failed is closed after the request and a
 * fresh one opened for the next (a failed COMMIT is final); a transaction
 * a request left open is rolled back.
 *
 * With SALESDESK_TEST_PG set (see test-util.h) both cases run on PostgreSQL:
 * the store is moved away by renaming its database instead of its file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "api/api-int.h"
#include "base/log.h"
#include "db/db.h"
#include "store/store.h"
#include "test-util.h"
#include "base/banned.h"

/* The server of SALESDESK_TEST_PG and this run's database on it; "" on SQLite. */
static const char *pg_server = "";
static char pg_url[TEST_PATH_MAX];

struct fixture {
    char dir[TEST_PATH_MAX];
    char path[TEST_PATH_MAX]; /* the store: a file, or pg_url */
    char away[TEST_PATH_MAX]; /* where move_store puts it: another file, or database */
    struct api_options opt;
};

static int setup(void **state)
{
    static struct fixture f;
    struct sd_error err = {0};
    struct db *db = NULL;
    test_tmpdir_make(f.dir, sizeof(f.dir));
    test_path(f.path, f.dir, "store.db");
    test_path(f.away, f.dir, "away.db");
    if (pg_url[0]) {
        snprintf(f.path, sizeof(f.path), "%s", pg_url);
        int n = snprintf(f.away, sizeof(f.away), "%.*s_away", TEST_PATH_MAX - 6, pg_url);
        if (n < 0 || (size_t)n >= sizeof(f.away) || test_pg_empty(pg_url, &err))
            fail_msg("%s", err.message);
    }
    if (db_open(&db, f.path, DB_OPEN_CREATE, &err) || db_migrate(db, NULL, NULL, &err))
        fail_msg("%s", err.message);
    db_close(db);
    api_options_defaults(&f.opt);
    f.opt.db_url = f.path;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    test_tmpdir_remove(f->dir);
    return 0;
}

/* Moves the store from `from` to `to`: renames the file, or on PostgreSQL the database. */
static void move_store(const char *from, const char *to)
{
    struct sd_error err = {0};
    char sql[2 * TEST_PATH_MAX];
    if (!pg_url[0]) {
        assert_int_equal(rename(from, to), 0);
        return;
    }
    snprintf(sql, sizeof(sql), "ALTER DATABASE %s RENAME TO %s", strrchr(from, '/') + 1,
             strrchr(to, '/') + 1);
    assert_sd_ok(test_pg_server_exec(pg_server, sql, &err), &err);
}

static void test_open_is_retried_with_backoff(void **state)
{
    struct fixture *f = *state;
    struct api_thread t = {0};
    move_store(f->path, f->away);
    assert_null(api_thread_db(&f->opt, &t, 1000));
    assert_true(t.open_error.message[0] != 0);
    assert_int_equal(t.retry_at_ms, 1000 + API_REOPEN_FIRST_MS);
    assert_null(api_thread_db(&f->opt, &t, 1000 + API_REOPEN_FIRST_MS));
    assert_int_equal(t.retry_at_ms, 1000 + 3 * API_REOPEN_FIRST_MS); /* waited twice as long */
    move_store(f->away, f->path);
    assert_null(api_thread_db(&f->opt, &t, 1000 + 2 * API_REOPEN_FIRST_MS)); /* not yet */
    assert_non_null(api_thread_db(&f->opt, &t, 1000 + 3 * API_REOPEN_FIRST_MS));
    assert_int_equal(t.backoff_ms, 0);
    /* The wait stops doubling at its cap. */
    struct api_thread u = {.backoff_ms = API_REOPEN_MAX_MS};
    struct api_options missing = f->opt;
    missing.db_url = f->away;
    assert_null(api_thread_db(&missing, &u, 0));
    assert_int_equal(u.retry_at_ms, API_REOPEN_MAX_MS);
    api_thread_done(&t, "test");
    db_close(t.db);
}

/* A deferred foreign key makes COMMIT itself fail, the way a full disk would. */
static void test_failed_commit_reopens(void **state)
{
    struct fixture *f = *state;
    struct sd_error err = {0};
    struct api_thread t = {0};
    struct db *first = api_thread_db(&f->opt, &t, 0);
    assert_non_null(first);
    int64_t first_backend = pg_url[0] ? test_sql_int(first, "SELECT pg_backend_pid()") : 0;
    test_exec(first, "CREATE TEMP TABLE parent(id INTEGER PRIMARY KEY)");
    test_exec(first, "CREATE TEMP TABLE child(parent_id INTEGER REFERENCES parent(id) "
                     "DEFERRABLE INITIALLY DEFERRED)");
    assert_int_equal(db_begin(first, &err), 0);
    test_exec(first, "INSERT INTO child VALUES (42)");
    assert_int_not_equal(db_commit(first, &err), 0);
    assert_true(db_failed(first));
    assert_false(db_in_transaction(first));
    api_thread_done(&t, "test");
    assert_null(t.db);
    struct db *second = api_thread_db(&f->opt, &t, 1);
    assert_non_null(second);
    assert_false(db_failed(second));
    /* A new connection: SQLite's has none of the old one's temporary tables, PostgreSQL's is
     * another server process. */
    if (pg_url[0])
        assert_int_not_equal(test_sql_int(second, "SELECT pg_backend_pid()"), first_backend);
    else
        assert_int_equal(test_sql_int(second, "SELECT count(*) FROM sqlite_temp_master"), 0);
    /* A transaction a request leaves open is rolled back after it. */
    assert_int_equal(db_begin(second, &err), 0);
    api_thread_done(&t, "test");
    assert_ptr_equal(t.db, second);
    assert_false(db_in_transaction(second));
    db_close(t.db);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_is_retried_with_backoff, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_commit_reopens, setup, teardown),
    };
    const char *server = getenv("SALESDESK_TEST_PG");
    if (server && *server) {
        pg_server = server;
        return test_pg_run_group(server, "api_thread", pg_url, tests,
                                 sizeof(tests) / sizeof(tests[0]));
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
