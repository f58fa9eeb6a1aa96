/* SPDX-License-Identifier: MIT */
/*
 * test-util: what several unit tests share: assertions that print the
 * sd_error message when a call fails, temporary directories under /tmp, and
 * reading single values back with plain SQL (so that tests check what is
 * stored independently of the reader under test).
 *
 * Header-only: every helper is static inline, so a test program that does not
 * use one gets no warning. Include it after <cmocka.h>.
 *
 * The SQL helpers go through db_prepare, which caches statements by the
 * address of the SQL text: pass string constants only, never a buffer whose
 * address may later hold other SQL.
 */
#ifndef SD_TEST_UTIL_H
#define SD_TEST_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "db/db.h"

#define TEST_PATH_MAX 512

/* Fails the test with the call, its status and err's message unless `call` returns 0. */
#define assert_sd_ok(call, err)                                                                    \
    do {                                                                                           \
        const struct sd_error *err_ok_ = (err);                                                    \
        int rc_ok_ = (call);                                                                       \
        if (rc_ok_ != 0)                                                                           \
            fail_msg("%s returned %d (%s): %s", #call, rc_ok_, sd_status_name(rc_ok_),             \
                     err_ok_ ? err_ok_->message : "(no error record)");                            \
    } while (0)

/* Fails the test unless `call` returns `want`; err (if any) must then carry the same code. */
#define assert_sd_status(call, want, err)                                                          \
    do {                                                                                           \
        const struct sd_error *err_st_ = (err);                                                    \
        int rc_st_ = (call);                                                                       \
        if (rc_st_ != (want))                                                                      \
            fail_msg("%s returned %d (%s), expected %d (%s): %s", #call, rc_st_,                   \
                     sd_status_name(rc_st_), (int)(want), sd_status_name(want),                    \
                     err_st_ ? err_st_->message : "(no error record)");                            \
        if (err_st_ && rc_st_ != 0 && err_st_->code != rc_st_)                                     \
            fail_msg("%s: err->code is %d, the call returned %d", #call, err_st_->code, rc_st_);   \
    } while (0)

/* Fails the test unless `haystack` contains `needle`. */
#define assert_contains(haystack, needle)                                                          \
    do {                                                                                           \
        const char *hay_ = (haystack);                                                             \
        const char *needle_ = (needle);                                                            \
        if (!hay_ || !strstr(hay_, needle_))                                                       \
            fail_msg("expected \"%s\" to contain \"%s\"", hay_ ? hay_ : "(null)", needle_);        \
    } while (0)

/* Creates a fresh directory /tmp/sd-unit-XXXXXX; its name goes into dir (size bytes). */
static inline void test_tmpdir_make(char *dir, size_t size)
{
    int n = snprintf(dir, size, "/tmp/sd-unit-XXXXXX");
    if (n < 0 || (size_t)n >= size)
        fail_msg("temporary directory name does not fit");
    if (!mkdtemp(dir))
        fail_msg("mkdtemp: %s", strerror(errno));
}

/* dir + "/" + name into buf (TEST_PATH_MAX bytes). */
static inline void test_path(char *buf, const char *dir, const char *name)
{
    int n = snprintf(buf, TEST_PATH_MAX, "%s/%s", dir, name);
    if (n < 0 || n >= TEST_PATH_MAX)
        fail_msg("path %s/%s is too long", dir, name);
}

/* Removes a directory made by test_tmpdir_make with the files and empty directories in it. */
static inline void test_tmpdir_remove(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *entry;

    if (!d)
        return;
    while ((entry = readdir(d)) != NULL) {
        char path[TEST_PATH_MAX];
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        test_path(path, dir, entry->d_name);
        if (unlink(path) != 0)
            rmdir(path);
    }
    closedir(d);
    rmdir(dir);
}

/* Writes `len` bytes to a new file at `path`. */
static inline void test_write_file(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    if (!fp)
        fail_msg("cannot create %s: %s", path, strerror(errno));
    if (fwrite(data, 1, len, fp) != len || fclose(fp) != 0)
        fail_msg("cannot write %s", path);
}

/* Runs SQL that returns nothing; fails the test on error. */
static inline void test_exec(struct db *db, const char *sql)
{
    struct sd_error err = {0};
    int rc = db_exec(db, sql, &err);
    if (rc != 0)
        fail_msg("%s: %d: %s", sql, rc, err.message);
}

/* Prepares `sql` (a constant); fails the test when it cannot be prepared. */
static inline struct db_stmt *test_prepare(struct db *db, const char *sql)
{
    struct sd_error err = {0};
    struct db_stmt *st = NULL;
    int rc = db_prepare(db, sql, &st, &err);
    if (rc != 0)
        fail_msg("prepare %s: %d: %s", sql, rc, err.message);
    return st;
}

/* Steps `st` expecting a row; fails the test otherwise. */
static inline void test_step_row(struct db_stmt *st, const char *sql)
{
    struct sd_error err = {0};
    int rc = db_step(st, &err);
    if (rc != DB_ROW)
        fail_msg("%s: expected a row, got %d: %s", sql, rc, err.message);
}

/* The integer in the first column of the first row of `sql` (a constant, no parameters). */
static inline int64_t test_sql_int(struct db *db, const char *sql)
{
    struct db_stmt *st = test_prepare(db, sql);
    test_step_row(st, sql);
    int64_t value = db_column_int64(st, 0);
    db_reset(st);
    return value;
}

/* Like test_sql_int, with one integer parameter. */
static inline int64_t test_sql_int_i(struct db *db, const char *sql, int64_t param)
{
    struct db_stmt *st = test_prepare(db, sql);
    db_bind_int64(st, 1, param);
    test_step_row(st, sql);
    int64_t value = db_column_int64(st, 0);
    db_reset(st);
    return value;
}

/* Like test_sql_int, with one text parameter. */
static inline int64_t test_sql_int_s(struct db *db, const char *sql, const char *param)
{
    struct db_stmt *st = test_prepare(db, sql);
    db_bind_text(st, 1, param);
    test_step_row(st, sql);
    int64_t value = db_column_int64(st, 0);
    db_reset(st);
    return value;
}

/* The text of the first column of the first row of `sql` with one integer parameter, into buf. */
static inline void test_sql_text_i(struct db *db, const char *sql, int64_t param, char *buf,
                                   size_t size)
{
    struct db_stmt *st = test_prepare(db, sql);
    db_bind_int64(st, 1, param);
    test_step_row(st, sql);
    snprintf(buf, size, "%s", db_column_text(st, 0));
    db_reset(st);
}

/*
 * PostgreSQL runs. A test that runs on PostgreSQL too takes the server from
 * SALESDESK_TEST_PG (libpq's URL, ending in /DBNAME) and works in a database
 * of its own beside DBNAME: test_pg_database makes it (verb "CREATE") or drops
 * it ("DROP"), named sd_test_PROGRAM_PID, its URL written into url
 * (TEST_PATH_MAX bytes). 0 or a negative status, with err filled.
 */
static inline int test_pg_database(const char *server, const char *program, const char *verb,
                                   char *url, struct sd_error *err)
{
    char sql[160];
    char name[64];
    struct db *db = NULL;
    const char *slash = strrchr(server, '/');
    if (!slash || slash - server < 10 || strchr(slash, '?'))
        return sd_error_set(err, SD_EINVAL, "SALESDESK_TEST_PG '%s': not postgresql://.../DBNAME",
                            server);
    snprintf(name, sizeof(name), "sd_test_%s_%ld", program, (long)getpid());
    snprintf(url, TEST_PATH_MAX, "%.*s/%s", (int)(slash - server), server, name);
    snprintf(sql, sizeof(sql), "%s DATABASE %s%s", verb, name,
             strcmp(verb, "DROP") == 0 ? " WITH (FORCE)" : "");
    int rc = db_open(&db, server, DB_OPEN_EXISTING, err);
    if (rc == 0)
        rc = db_exec(db, sql, err);
    db_close(db);
    return rc;
}

/* Runs `sql` on the server of SALESDESK_TEST_PG itself (its database DBNAME): 0 or a status. */
static inline int test_pg_server_exec(const char *server, const char *sql, struct sd_error *err)
{
    struct db *db = NULL;
    int rc = db_open(&db, server, DB_OPEN_EXISTING, err);
    if (rc == 0)
        rc = db_exec(db, sql, err);
    db_close(db);
    return rc;
}

/*
 * Runs the `n` tests as the cmocka group "postgresql" in a database of the
 * program's own beside the server's (test_pg_database; its URL into url,
 * TEST_PATH_MAX bytes, for the tests' setups), made before and dropped after.
 * The number of tests failed, plus one when the database could not be made
 * or dropped.
 */
static inline int test_pg_run_group(const char *server, const char *program, char *url,
                                    const struct CMUnitTest *tests, size_t n)
{
    struct sd_error err = {0};
    if (test_pg_database(server, program, "CREATE", url, &err) != 0) {
        fprintf(stderr, "test-%s: %s\n", program, err.message);
        return 1;
    }
    int failed = _cmocka_run_group_tests("postgresql", tests, n, NULL, NULL);
    if (test_pg_database(server, program, "DROP", url, &err) != 0) {
        fprintf(stderr, "test-%s: %s\n", program, err.message);
        failed++;
    }
    return failed;
}

/* Empties the database at url (a PostgreSQL one): its public schema made again. */
static inline int test_pg_empty(const char *url, struct sd_error *err)
{
    struct db *db = NULL;
    int rc = db_open(&db, url, DB_OPEN_EXISTING, err);
    if (rc == 0)
        rc = db_exec(db, "DROP SCHEMA public CASCADE; CREATE SCHEMA public", err);
    db_close(db);
    return rc;
}

/*
 * A migrated store for a test's setup: the file `file` in `dir`, or on a
 * PostgreSQL run (pg_url not "") that database, emptied first. Its URL goes
 * into path (TEST_PATH_MAX bytes), the open connection into *db. 0 or a
 * negative status, with err filled.
 */
static inline int test_store_make(char *path, const char *dir, const char *file,
                                  const char *pg_url, struct db **db, struct sd_error *err)
{
    int rc = 0;
    if (pg_url[0]) {
        snprintf(path, TEST_PATH_MAX, "%s", pg_url);
        rc = test_pg_empty(pg_url, err);
    } else {
        test_path(path, dir, file);
    }
    if (rc == 0)
        rc = db_open(db, path, DB_OPEN_CREATE, err);
    if (rc == 0)
        rc = db_migrate(*db, NULL, NULL, err);
    return rc;
}

#endif
