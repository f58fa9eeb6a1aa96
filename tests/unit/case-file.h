/* SPDX-License-Identifier: MIT */
/*
 * case-file: reads the data-driven test cases in tests/data/: tab-separated
 * files with a header line naming the columns, '#' comment lines, and the
 * escapes \s \t \n \r \0 \\ in fields. Header-only (static functions);
 * include it after <cmocka.h>. Tests are compiled with -DSD_TEST_DATA_DIR.
 */
#ifndef SD_TEST_CASE_FILE_H
#define SD_TEST_CASE_FILE_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

#ifndef SD_TEST_DATA_DIR
#error "compile with -DSD_TEST_DATA_DIR='\"/path/to/tests/data\"'"
#endif

#define CASE_LINE_MAX 2048
#define CASE_COLUMNS_MAX 12
#define CASE_TEXT_MAX 512

/* A case file being read row by row. */
struct case_file {
    const char *name; /* relative to SD_TEST_DATA_DIR, for messages */
    FILE *fp;
    long line_no;
    int columns;
    char header[CASE_LINE_MAX];
    char *column_names[CASE_COLUMNS_MAX];
    char line[CASE_LINE_MAX];
    char *fields[CASE_COLUMNS_MAX];
    int rows;
    int failures;
};

/* Splits `line` in place at tabs; returns the number of fields. */
static int split_fields(char *line, char **fields)
{
    int count = 0;
    char *start = line;

    for (;;) {
        char *tab = strchr(start, '\t');
        if (count == CASE_COLUMNS_MAX)
            return CASE_COLUMNS_MAX + 1;
        fields[count++] = start;
        if (!tab)
            return count;
        *tab = '\0';
        start = tab + 1;
    }
}

/* Reads the next line that is neither blank nor a comment; 0 at end of file. */
static int read_content_line(struct case_file *cf, char *buf)
{
    while (fgets(buf, CASE_LINE_MAX, cf->fp)) {
        cf->line_no++;
        size_t len = strlen(buf);
        if (len + 1 == CASE_LINE_MAX && buf[len - 1] != '\n')
            fail_msg("%s:%ld: line too long", cf->name, cf->line_no);
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            buf[--len] = '\0';
        if (len > 0 && buf[0] != '#')
            return 1;
    }
    return 0;
}

static void case_open(struct case_file *cf, const char *name)
{
    char path[1024];

    memset(cf, 0, sizeof(*cf));
    cf->name = name;
    snprintf(path, sizeof(path), "%s/%s", SD_TEST_DATA_DIR, name);
    cf->fp = fopen(path, "r");
    if (!cf->fp)
        fail_msg("cannot open case file %s: %s", path, strerror(errno));
    if (!read_content_line(cf, cf->header))
        fail_msg("%s: no header line", name);
    cf->columns = split_fields(cf->header, cf->column_names);
    if (cf->columns > CASE_COLUMNS_MAX)
        fail_msg("%s: too many columns", name);
}

/* Moves to the next row; 0 when there are no more. */
static int case_next(struct case_file *cf)
{
    if (!read_content_line(cf, cf->line))
        return 0;
    int count = split_fields(cf->line, cf->fields);
    if (count != cf->columns)
        fail_msg("%s:%ld: %d fields, the header names %d", cf->name, cf->line_no, count,
                 cf->columns);
    cf->rows++;
    return 1;
}

static const char *case_field(const struct case_file *cf, const char *column)
{
    for (int i = 0; i < cf->columns; i++) {
        if (strcmp(cf->column_names[i], column) == 0)
            return cf->fields[i];
    }
    fail_msg("%s: no column '%s'", cf->name, column);
    return "";
}

static char unescape_char(char c)
{
    switch (c) {
    case 's': return ' ';
    case 't': return '\t';
    case 'n': return '\n';
    case 'r': return '\r';
    case '0': return '\0';
    default: return c;
    }
}

/* The column's text with escapes resolved, into buf (CASE_TEXT_MAX); returns its length. */
static size_t case_text(const struct case_file *cf, const char *column, char *buf)
{
    const char *raw = case_field(cf, column);
    size_t len = 0;

    for (size_t i = 0; raw[i] != '\0' && len + 1 < CASE_TEXT_MAX; i++) {
        if (raw[i] == '\\' && raw[i + 1] != '\0')
            buf[len++] = unescape_char(raw[++i]);
        else
            buf[len++] = raw[i];
    }
    buf[len] = '\0';
    return len;
}

__attribute__((format(printf, 2, 3))) static void case_fail(struct case_file *cf,
                                                             const char *fmt, ...)
{
    char message[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    print_error("%s/%s:%ld: %s\n", SD_TEST_DATA_DIR, cf->name, cf->line_no, message);
    cf->failures++;
}

static void case_close(struct case_file *cf)
{
    fclose(cf->fp);
    if (cf->rows == 0)
        fail_msg("%s: no cases", cf->name);
    if (cf->failures > 0)
        fail_msg("%s: %d of %d cases failed", cf->name, cf->failures, cf->rows);
}


#endif
