/* SPDX-License-Identifier: MIT */
/* log: stderr logger with a UTC timestamp and level on each line (see log.h). */
#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/date.h"
#include "base/error.h"
#include "base/banned.h"

enum log_level log_threshold = LOG_WARN;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_set_level(enum log_level level)
{
    log_threshold = level;
}

int log_level_parse(const char *text, enum log_level *out)
{
    for (int i = 0; i <= LOG_DEBUG; i++) {
        if (strcmp(text, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return SD_EINVAL;
}

void log_write(enum log_level level, const char *fmt, ...)
{
    char stamp[TS_TEXT_MAX];
    char line[2048];
    ts_format(ts_now_ms(), stamp);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s %s %s\n", stamp, level_names[level], line);
}
