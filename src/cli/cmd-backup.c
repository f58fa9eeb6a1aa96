/* SPDX-License-Identifier: MIT */
/*
 * cmd-backup: `salesdesk backup FILE`: a consistent copy of a live SQLite
 * store, taken while the server and imports go on. The copy is written to
 * FILE.partial-PID, checked, synced, and only then renamed to FILE (and the
 * directory synced), so FILE is always either the old file or a whole, checked
 * copy; a failure leaves no partial file behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/xalloc.h"
#include "cli/cli.h"
#include "db/db.h"
#include "store/store.h"
#include "base/banned.h"

/* fsync of a file or directory by path; 0, or SD_EIO in err. */
static int sync_path(const char *path, int directory, struct sd_error *err)
{
    int fd = open(path, (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return sd_error_set(err, SD_EIO, "backup: syncing '%s': %s", path, strerror(e));
    }
    close(fd);
    return 0;
}

/* The directory of `path` (".", or everything before its last '/'), in a new string. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    size_t n = (size_t)(slash - path);
    char *dir = xmalloc(n + 1);
    memcpy(dir, path, n);
    dir[n] = '\0';
    return dir;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

int cmd_backup(const struct cli_args *args)
{
    struct sd_error err = {0};
    struct db *db = NULL;
    const char *url = cli_db_url(args);
    const char *file = args->args[0];
    const char *source = strncmp(url, "sqlite:", 7) == 0 ? url + 7 : url;
    struct stat to, from;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (stat(file, &to) == 0) {
        if (stat(source, &from) == 0 && from.st_dev == to.st_dev && from.st_ino == to.st_ino)
            return cli_usage_error(args, "'%s' is the database itself", file);
        if (!cli_flag(args, "force")) {
            sd_error_set(&err, SD_ECONFLICT, "'%s' exists (--force replaces it)", file);
            return cli_fail(&err);
        }
    }
    size_t size = strlen(file) + 32;
    char *partial = xmalloc(size);
    snprintf(partial, size, "%s.partial-%ld", file, (long)getpid());
    char *dir = dir_of(file);
    (void)unlink(partial);
    int rc = store_open(&db, url, DB_OPEN_EXISTING, &err);
    if (rc == 0)
        rc = db_backup(db, partial, &err);
    db_close(db);
    if (rc == 0)
        rc = sync_path(partial, 0, &err);
    if (rc == 0 && rename(partial, file) != 0)
        rc = sd_error_set(&err, SD_EIO, "backup: renaming '%s' to '%s': %s", partial, file,
                          strerror(errno));
    if (rc == 0)
        rc = sync_path(dir, 1, &err);
    if (rc)
        (void)unlink(partial);
    struct stat done;
    if (rc == 0 && stat(file, &done) == 0)
        printf("backup: %s -> %s (%.1f MiB) in %.1f s\n", url, file,
               (double)done.st_size / (1024.0 * 1024.0), seconds_since(&t0));
    free(partial);
    free(dir);
    return rc ? cli_fail(&err) : CLI_EXIT_OK;
}
