/* SPDX-License-Identifier: MIT */
/*
 * error: status codes and the error record every fallible function fills.
 *
 * A function that can fail returns int: 0 (SD_OK) or a negative SD_E... status.
 * It may also fill a caller-provided struct sd_error (which may be NULL) with a
 * message a person can act on: lower case, what failed first, the subject
 * quoted, the row and column where they apply. Library code never prints and
 * never exits; cli/ and api/ turn statuses into exit codes or HTTP responses.
 */
#ifndef SD_BASE_ERROR_H
#define SD_BASE_ERROR_H

#include <stddef.h>

enum sd_status {
    SD_OK = 0,
    SD_ERR = -1,        /* failure not covered below */
    SD_ENOMEM = -2,     /* out of memory */
    SD_EINVAL = -3,     /* input is malformed or out of range: rejected, nothing applied */
    SD_ENOTFOUND = -4,  /* the thing asked for does not exist */
    SD_ECONFLICT = -5,  /* unique key or foreign key violated */
    SD_ELIMIT = -6,     /* a size limit was reached */
    SD_EIO = -7,        /* the operating system failed a read or write */
    SD_EDB = -8,        /* the database failed (corrupt, not a database, locked...) */
    SD_EBUSY = -9,      /* the database stayed locked past the busy timeout */
    SD_EVERSION = -10,  /* the database schema is newer than this binary */
    SD_EOVERFLOW = -11, /* arithmetic result does not fit */
    SD_EPERM = -12,     /* not allowed: read-only file, missing permission */
};

#define SD_ERROR_MSG_MAX 512

/* Where an error was found in tabular input; 0 means not applicable. */
struct sd_error {
    int code;
    long row;
    int column;
    char message[SD_ERROR_MSG_MAX];
};

/*
 * Records `code` and a printf-style message into `err` (if not NULL) and
 * returns `code`, so that `return sd_error_set(err, SD_EINVAL, "...")` reads as
 * one statement. A message longer than SD_ERROR_MSG_MAX is cut with "...".
 */
int sd_error_set(struct sd_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Puts `prefix: ` in front of the message already in `err` (if not NULL). It
 * returns nothing on purpose: the caller returns the status it already holds.
 */
void sd_error_prefix(struct sd_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Quoting input in messages: printf(SD_QUOTE_FMT, SD_QUOTE_ARGS(s, len)) writes
 * 's' in single quotes, cut to SD_QUOTE_MAX bytes with "..." after a cut, and
 * copes with s == NULL. `s` need not be NUL-terminated.
 */
#define SD_QUOTE_MAX 64
#define SD_QUOTE_FMT "'%.*s%s'"
#define SD_QUOTE_ARGS(s, len)                                                                      \
    ((len) > SD_QUOTE_MAX ? SD_QUOTE_MAX : (int)(len)), ((s) ? (s) : ""),                          \
        ((len) > SD_QUOTE_MAX ? "..." : "")

/* Clears `err` (if not NULL) to SD_OK and an empty message. */
void sd_error_clear(struct sd_error *err);

/* A short constant name for a status: "invalid input", "not found"... */
const char *sd_status_name(int code);

#endif
