/* SPDX-License-Identifier: MIT */
/* error: formatting of struct sd_error records. */
#include "base/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/banned.h"

static void mark_truncated(char *message, int wanted)
{
    if (wanted >= SD_ERROR_MSG_MAX)
        memcpy(message + SD_ERROR_MSG_MAX - 4, "...", 4);
}

int sd_error_set(struct sd_error *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    va_list ap;
    va_start(ap, fmt);
    int wanted = vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    mark_truncated(err->message, wanted);
    err->code = code;
    return code;
}

void sd_error_prefix(struct sd_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char prefix[SD_ERROR_MSG_MAX];
    char old[SD_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, err->message, sizeof(old));
    int wanted = snprintf(err->message, sizeof(err->message), "%s: %s", prefix, old);
    mark_truncated(err->message, wanted);
}

void sd_error_clear(struct sd_error *err)
{
    if (!err)
        return;
    memset(err, 0, sizeof(*err));
}

const char *sd_status_name(int code)
{
    switch (code) {
    case SD_OK: return "ok";
    case SD_ENOMEM: return "out of memory";
    case SD_EINVAL: return "invalid input";
    case SD_ENOTFOUND: return "not found";
    case SD_ECONFLICT: return "conflict";
    case SD_ELIMIT: return "limit exceeded";
    case SD_EIO: return "i/o error";
    case SD_EDB: return "database error";
    case SD_EBUSY: return "database busy";
    case SD_EVERSION: return "version mismatch";
    case SD_EOVERFLOW: return "overflow";
    case SD_EPERM: return "permission denied";
    default: return "failure";
    }
}
