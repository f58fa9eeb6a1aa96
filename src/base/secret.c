/* SPDX-License-Identifier: MIT */
/* secret: passwords and tokens on libsodium (see secret.h). */
#include "base/secret.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "base/banned.h"

static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[crypto_pwhash_STRBYTES];

int secret_init(struct sd_error *err)
{
    if (sodium_init() < 0)
        return sd_error_set(err, SD_ERR, "libsodium could not be initialised");
    return 0;
}

void secret_token(char out[SECRET_TOKEN_HEX + 1])
{
    unsigned char raw[SECRET_TOKEN_HEX / 2];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(out, SECRET_TOKEN_HEX + 1, raw, sizeof(raw));
    sodium_memzero(raw, sizeof(raw));
}

void secret_token_hash(const char *token, size_t len, char out[SECRET_HASH_HEX + 1])
{
    unsigned char h[SECRET_HASH_HEX / 2];
    crypto_generichash(h, sizeof(h), (const unsigned char *)token, len, NULL, 0);
    sodium_bin2hex(out, SECRET_HASH_HEX + 1, h, sizeof(h));
}

int secret_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return 0;
    return sodium_memcmp(a, b, la) == 0;
}

int secret_password_hash(const char *password, size_t len, char out[SECRET_PASSWORD_STR],
                         struct sd_error *err)
{
    _Static_assert(crypto_pwhash_STRBYTES <= SECRET_PASSWORD_STR, "argon2id string size");
    if (len < SECRET_PASSWORD_MIN)
        return sd_error_set(err, SD_EINVAL, "a password needs at least %d characters",
                            SECRET_PASSWORD_MIN);
    if (len > SECRET_PASSWORD_MAX)
        return sd_error_set(err, SD_EINVAL, "a password has at most %d characters",
                            SECRET_PASSWORD_MAX);
    if (crypto_pwhash_str_alg(out, password, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return sd_error_set(err, SD_ENOMEM, "not enough memory to hash the password");
    return 0;
}

int secret_password_check(const char *stored, const char *password, size_t len)
{
    if (!stored || !*stored || len > SECRET_PASSWORD_MAX)
        return 0;
    return crypto_pwhash_str_verify(stored, password, len) == 0;
}

static void make_dummy(void)
{
    static const char pw[] = "salesdesk dummy password";
    if (crypto_pwhash_str_alg(dummy_hash, pw, sizeof(pw) - 1, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        dummy_hash[0] = '\0';
}

void secret_password_dummy(const char *password, size_t len)
{
    pthread_once(&dummy_once, make_dummy);
    if (dummy_hash[0] && len <= SECRET_PASSWORD_MAX &&
        crypto_pwhash_str_verify(dummy_hash, password, len) == 0)
        return; /* the dummy password itself: still no user */
}

void secret_wipe(void *p, size_t len)
{
    sodium_memzero(p, len);
}
