/* SPDX-License-Identifier: MIT */
/*
 * secret: passwords and tokens, on libsodium. Passwords are stored as
 * argon2id strings (crypto_pwhash_str, interactive limits: the string holds
 * its own salt and parameters). Tokens (session, CSRF, API) are 256 random
 * bits written as 64 lower-case hex digits; only a hash of a token is ever
 * stored (BLAKE2b-256, hex), so a copy of the database opens no session.
 * Comparisons of secrets are constant-time.
 */
#ifndef SD_BASE_SECRET_H
#define SD_BASE_SECRET_H

#include <stddef.h>

#include "base/error.h"

#define SECRET_TOKEN_HEX    64  /* hex digits of a token */
#define SECRET_HASH_HEX     64  /* hex digits of a token hash */
#define SECRET_PASSWORD_STR 128 /* bytes of an argon2id string with its NUL */
#define SECRET_PASSWORD_MIN 8
#define SECRET_PASSWORD_MAX 1024

/* Initialises libsodium; SD_ERR when it cannot. Safe to call more than once. */
int secret_init(struct sd_error *err);

/* A fresh random token: SECRET_TOKEN_HEX hex digits and a NUL into `out`. */
void secret_token(char out[SECRET_TOKEN_HEX + 1]);

/* The hash of `len` bytes of `token` as hex (SECRET_HASH_HEX digits and a NUL). */
void secret_token_hash(const char *token, size_t len, char out[SECRET_HASH_HEX + 1]);

/* 1 when the two NUL-terminated strings are equal, in time independent of where they differ. */
int secret_equal(const char *a, const char *b);
/* Zeroes `len` bytes in a way the compiler cannot drop (a password after use). */
void secret_wipe(void *p, size_t len);

/*
 * The argon2id string of a password (SECRET_PASSWORD_STR bytes). SD_EINVAL
 * when it is shorter than SECRET_PASSWORD_MIN or longer than
 * SECRET_PASSWORD_MAX bytes; SD_ENOMEM when the hash cannot get its memory.
 */
int secret_password_hash(const char *password, size_t len, char out[SECRET_PASSWORD_STR],
                         struct sd_error *err);

/* 1 when `password` matches the argon2id string `stored`, else 0 (also for a bad string). */
int secret_password_check(const char *stored, const char *password, size_t len);

/* Spends about the time of a password check against nothing (unknown logins). */
void secret_password_dummy(const char *password, size_t len);

#endif
