/* SPDX-License-Identifier: MIT */
/*
 * log: levelled, printf-checked logging to stderr, cheap when a level is off
 * (the level test happens before any formatting). The logger is process-wide
 * state, set once at start. Errors are returned to callers, not logged where
 * they occur; logs are for operations (what the process is doing).
 */
#ifndef SD_BASE_LOG_H
#define SD_BASE_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern enum log_level log_threshold;

void log_set_level(enum log_level level);
/* Parses "error", "warn", "info", "debug"; returns 0 or SD_EINVAL. */
int log_level_parse(const char *text, enum log_level *out);
void log_write(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define LOG_AT(level, ...)                                                                         \
    do {                                                                                           \
        if ((level) <= log_threshold)                                                              \
            log_write((level), __VA_ARGS__);                                                       \
    } while (0)
#define log_error(...) LOG_AT(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) LOG_AT(LOG_WARN, __VA_ARGS__)
#define log_info(...) LOG_AT(LOG_INFO, __VA_ARGS__)
#define log_debug(...) LOG_AT(LOG_DEBUG, __VA_ARGS__)

#endif
