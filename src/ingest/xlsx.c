/* SPDX-License-Identifier: MIT */
/*
 * xlsx: the streaming XLSX reader (see xlsx.h). A workbook is a zip of XML
 * parts found through the package relationships: _rels/.rels names the
 * workbook part, whose own relationships name the sheets, the shared strings
 * and the styles. The shared strings and the date-ness of every cell style are
 * loaded into memory; the chosen sheet is streamed through expat one zip_fread
 * chunk at a time and each <row> becomes a record, so only one row is held
 * however long the sheet is.
 *
 * Safety: a member's declared size and compression ratio are checked before
 * it is opened, and the bytes actually unzipped are counted as they arrive
 * (a member may lie about its size); DOCTYPE declarations are refused, so no
 * entity can expand; a single XML tag, which expat buffers whole, may not grow
 * past the field limit plus 1 MiB. Every value goes through a bounded buffer.
 *
 * Numbers are parsed and printed with strtod/snprintf, which follow
 * LC_NUMERIC: the program keeps the "C" locale (it never calls setlocale).
 */
#include "ingest/xlsx.h"

#include <errno.h>
#include <expat.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zip.h>

#include "base/arena.h"
#include "base/date.h"
#include "base/hashmap.h"
#include "base/strbuf.h"
#include "base/vec.h"
#include "base/xalloc.h"
#include "base/banned.h"

#define CHUNK_BYTES       ((size_t)64 << 10)      /* one zip_fread → XML_Parse step */
#define PART_MAX          512                     /* longest zip member name we resolve */
#define SHEET_MAX_ROW     1048576L                /* ECMA-376 / Excel: rows 1..1048576 */
#define SHEET_MAX_COL     16384L                  /* columns A..XFD */
#define RATIO_GRACE_BYTES ((zip_uint64_t)1 << 20) /* smaller members skip the ratio check */
#define TAG_SLACK_BYTES   ((size_t)1 << 20)       /* a tag may be this much longer than a field */
#define NUMBER_TEXT_MAX   48
#define ISO_TEXT_MAX      24 /* "YYYY-MM-DDTHH:MM:SS" + NUL */
#define SECONDS_PER_DAY   86400
#define SERIAL_MAX        2958466.0 /* 1900 system: 10000-01-01 */

enum doc_kind { DOC_RELS, DOC_WORKBOOK, DOC_STYLES, DOC_SST, DOC_SHEET };

enum cell_type {
    CELL_NUMBER,   /* t="n" or no t */
    CELL_SHARED,   /* t="s": <v> is an index into the shared strings */
    CELL_INLINE,   /* t="inlineStr": <is><t>… or rich runs <is><r><t>… */
    CELL_STR,      /* t="str": a formula's text result in <v> */
    CELL_BOOL,     /* t="b" */
    CELL_ERROR,    /* t="e": "#N/A", "#DIV/0!"… */
    CELL_ISO_DATE, /* t="d": ISO 8601 text in <v> */
};

/* The zip member being parsed; handlers stop the parser by setting `status`. */
struct xml_doc {
    enum doc_kind kind;
    const char *member;
    XML_Parser parser;
    int status;
};

struct rel {
    const char *id;
    const char *type;
    const char *part; /* the target resolved to a member name */
};

struct sheet_entry {
    const char *name;
    const char *rel_id;
};

/* A shared string: `len` bytes at `off` in the shared text, followed by a NUL. */
struct span {
    size_t off;
    size_t len;
};

/* One value of the current row: in the row text at `off`, or at `ext` (a shared string). */
struct slot {
    enum ingest_kind kind;
    const char *ext;
    size_t off;
    size_t len;
};

struct cell {
    long col; /* 1-based */
    enum cell_type type;
    unsigned long style;
};

struct sheet {
    int in_data; /* inside <sheetData> */
    int in_row;
    int in_cell;
    int in_is;
    int rph_depth; /* inside <rPh> (phonetic runs, not part of the text) */
    long row;
    long last_row;
    long last_col;
    struct cell cell;
    struct slot *slots; /* the current row's values, slots[col - 1] */
    size_t n_slots;     /* last column present in the row */
    size_t slots_cap;
    int row_has_value;
    struct strbuf row_text;
    size_t n_cols; /* 0 until the header row is read */
    const char **names;
    struct ingest_value *values;
    struct ingest_columns columns;
    long records;
};

struct xlsx {
    zip_t *zip;
    const char *file;
    const struct ingest_limits *limits;
    const char *sheet_wanted;
    const char *sheet_name; /* the sheet being read */
    ingest_record_fn *fn;
    void *ctx;
    struct sd_error *err;
    char *chunk;
    zip_uint64_t unzipped; /* all members so far */
    struct xml_doc doc;
    struct strbuf text; /* character data being collected */
    int collecting;
    struct arena strings; /* names, ids and part names from the package */
    /* relationships of the part last read, targets resolved against rels_base */
    const char *rels_base;
    struct vec rels;        /* struct rel */
    struct hashmap rel_ids; /* id → index in rels */
    /* workbook */
    const char *workbook_part;
    int date1904;
    struct vec sheets;
    /* styles */
    int in_numfmts;
    int in_cell_xfs;
    struct hashmap numfmts; /* custom numFmtId (binary key) → 1 for a date format */
    struct vec xf_numfmt;   /* unsigned long per cellXfs entry */
    unsigned char *xf_date; /* 1 when cellXfs entry i has a date format */
    size_t n_xf;
    /* shared strings */
    int in_si;
    int sst_rph_depth;
    struct strbuf sst_text;
    struct vec sst; /* struct span */
    struct sheet sheet;
};

void xlsx_options_init(struct xlsx_options *opt)
{
    opt->sheet = NULL;
    opt->limits = ingest_default_limits;
}

/* ---- small text helpers ------------------------------------------------ */

/*
 * Names are matched without their prefix ("x:c" is "c", "r:id" is "id"):
 * the parser does no namespace processing, which is faster, and writers differ
 * in the prefixes they use (ECMA-376 transitional and strict namespaces too).
 */
static const char *local_name(const XML_Char *name)
{
    const char *colon = strrchr(name, ':');
    return colon ? colon + 1 : name;
}

static int is_xmlns(const char *name)
{
    return strncmp(name, "xmlns", 5) == 0 && (name[5] == '\0' || name[5] == ':');
}

/* The value of the attribute with local name `name` (namespace declarations aside), or NULL. */
static const char *attr(const XML_Char **atts, const char *name)
{
    for (size_t i = 0; atts[i] && atts[i + 1]; i += 2) {
        if (strcmp(local_name(atts[i]), name) == 0 && !is_xmlns(atts[i]))
            return atts[i + 1];
    }
    return NULL;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Decimal digits only, 1..max; 0 or -1. */
static int parse_ulong(const char *s, size_t len, unsigned long max, unsigned long *out)
{
    unsigned long value = 0;
    if (len == 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (!is_digit(s[i]))
            return -1;
        unsigned long digit = (unsigned long)(s[i] - '0');
        if (value > (max - digit) / 10)
            return -1;
        value = value * 10 + digit;
    }
    *out = value;
    return 0;
}

static void trim_spaces(const char **s, size_t *len)
{
    while (*len && (**s == ' ' || **s == '\t' || **s == '\n' || **s == '\r')) {
        (*s)++;
        (*len)--;
    }
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t' || (*s)[*len - 1] == '\n' ||
                    (*s)[*len - 1] == '\r'))
        (*len)--;
}

/* Column number 1..16384 as letters ("A", "AB", "XFD"); out holds 4 bytes. */
static void column_letters(long col, char *out)
{
    char tmp[4];
    size_t n = 0;
    while (col > 0 && n < 3) {
        tmp[n++] = (char)('A' + (col - 1) % 26);
        col = (col - 1) / 26;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
}

/* "AB12" → column 28, row 12; 0 or -1. */
static int parse_cell_ref(const char *ref, long *col, long *row)
{
    long letters = 0, value = 0;
    const char *p = ref;
    for (; (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'); p++) {
        if (++letters > 3)
            return -1;
        value = value * 26 + ((*p & ~0x20) - 'A' + 1);
    }
    unsigned long row_number;
    if (letters == 0 || value > SHEET_MAX_COL ||
        parse_ulong(p, strlen(p), SHEET_MAX_ROW, &row_number) != 0 || row_number == 0)
        return -1;
    *col = value;
    *row = (long)row_number;
    return 0;
}

static int hex_value(char c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The code point of an "_xHHHH_" escape at s (len bytes available), or -1. */
static long escape_at(const char *s, size_t len)
{
    if (len < 7 || s[0] != '_' || s[1] != 'x' || s[6] != '_')
        return -1;
    long cp = 0;
    for (size_t i = 2; i < 6; i++) {
        int h = hex_value(s[i]);
        if (h < 0)
            return -1;
        cp = cp * 16 + h;
    }
    /* NUL and lone surrogates cannot be text: keep such escapes as written. */
    if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    return cp;
}

static size_t utf8_encode(long cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

/*
 * Appends text to `sb`, decoding the "_xHHHH_" escapes OOXML uses for
 * characters XML cannot carry (ECMA-376 Part 1, 22.9.2.19 ST_Xstring):
 * "_x000D_" is a carriage return, "_x005F_" an underscore.
 */
static void append_unescaped(struct strbuf *sb, const char *s, size_t len)
{
    size_t done = 0;
    for (const char *u = memchr(s, '_', len); u;
         u = memchr(u + 1, '_', len - (size_t)(u + 1 - s))) {
        size_t at = (size_t)(u - s);
        if (at < done || at + 1 >= len)
            continue;
        long cp = escape_at(u, len - at);
        if (cp < 0)
            continue;
        char utf8[4];
        strbuf_add(sb, s + done, at - done);
        strbuf_add(sb, utf8, utf8_encode(cp, utf8));
        done = at + 7;
    }
    strbuf_add(sb, s + done, len - done);
}

/* ---- numbers and dates ------------------------------------------------- */

/*
 * Text that is already the shortest form of its double: an optional '-', no
 * superfluous zeros, at most 15 significant digits (DBL_DIG: such a decimal
 * and its double map one to one) and at most 6 zeros after "0.", so that the
 * slow path would print exactly the same text.
 */
static int is_plain_decimal(const char *s, size_t len)
{
    size_t i = 0, significant = 0, lead_zeros = 0;
    int negative = len && s[0] == '-', int_zero;
    i += (size_t)negative;
    if (i >= len || !is_digit(s[i]))
        return 0;
    int_zero = s[i] == '0';
    if (int_zero)
        i++;
    for (; i < len && is_digit(s[i]); i++)
        significant++;
    if (i == len)
        return !(int_zero && (negative || significant)) && significant <= 15;
    if (s[i] != '.' || (!int_zero && significant == 0) || (int_zero && significant))
        return 0;
    size_t frac = ++i;
    for (; i < len && s[i] == '0' && int_zero && significant == 0; i++)
        lead_zeros++;
    for (; i < len && is_digit(s[i]); i++)
        significant++;
    return i == len && i > frac && s[len - 1] != '0' && lead_zeros <= 6 && significant <= 15;
}

static int parse_double(const char *s, size_t len, double *out)
{
    if (len == 0 || strspn(s, "0123456789+-.eE") < len)
        return -1;
    char *end = NULL;
    double value = strtod(s, &end);
    if (end != s + len || !isfinite(value))
        return -1;
    *out = value;
    return 0;
}

/* digits[0].digits[1..n)e<exp>: "1.5e-8", "1e21". */
static size_t exponent_form(const char *digits, size_t n, long exp, char *out, size_t len)
{
    out[len++] = digits[0];
    if (n > 1)
        out[len++] = '.';
    memcpy(out + len, digits + 1, n - 1);
    len += n - 1;
    return len + (size_t)snprintf(out + len, NUMBER_TEXT_MAX - len, "e%ld", exp);
}

/* The same without an exponent (-7 <= exp <= 20): "0.0000001", "123456789012345680000". */
static size_t positional_form(const char *digits, size_t n, long exp, char *out, size_t len)
{
    if (exp < 0) {
        memcpy(out + len, "0.000000", (size_t)(1 - exp));
        len += (size_t)(1 - exp);
        memcpy(out + len, digits, n);
        len += n;
    } else {
        for (long i = 0; i <= exp; i++)
            out[len++] = (size_t)i < n ? digits[i] : '0';
        if (n > (size_t)exp + 1) {
            out[len++] = '.';
            memcpy(out + len, digits + exp + 1, n - (size_t)exp - 1);
            len += n - (size_t)exp - 1;
        }
    }
    out[len] = '\0';
    return len;
}

/* "%.Ne" text as decimal: trailing zeros of the mantissa dropped, an exponent only past -7..20. */
static size_t sci_to_decimal(const char *sci, char *out)
{
    char digits[32];
    size_t n = 0, len = 0;
    const char *p = sci;
    if (*p == '-')
        out[len++] = *p++;
    for (; *p && *p != 'e' && n < sizeof(digits); p++) {
        if (*p != '.')
            digits[n++] = *p;
    }
    long exp = *p == 'e' ? strtol(p + 1, NULL, 10) : 0;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    if (exp < -7 || exp > 20)
        return exponent_form(digits, n, exp, out, len);
    return positional_form(digits, n, exp, out, len);
}

/* The shortest decimal text (15, 16 or 17 significant digits) that reads back as `value`. */
static size_t format_double(double value, char *out)
{
    char sci[40];
    if (value == 0) {
        memcpy(out, "0", 2);
        return 1;
    }
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(sci, sizeof(sci), "%.*e", digits - 1, value);
        if (strtod(sci, NULL) == value)
            break;
    }
    return sci_to_decimal(sci, out);
}

/*
 * A date serial as ISO text: "YYYY-MM-DD" when integral, else
 * "YYYY-MM-DDTHH:MM:SS" rounded to the second. In the 1900 system serial 1 is
 * 1900-01-01 and serial 60 is the 1900-02-29 Excel pretends existed (Lotus
 * 1-2-3's leap-year bug), so serials up to 59 count from 1899-12-31 and later
 * ones from 1899-12-30. In the 1904 system serial 0 is 1904-01-01.
 * Returns 0, 1 when the serial is no date within 0001..9999 (the caller keeps
 * it as a number), or SD_EINVAL for the phantom day.
 */
static int serial_to_iso(double serial, int date1904, char *out, size_t *len)
{
    if (!(serial >= 0) || serial >= SERIAL_MAX)
        return 1;
    long long seconds = llround(serial * SECONDS_PER_DAY);
    long day = (long)(seconds / SECONDS_PER_DAY);
    long of_day = (long)(seconds % SECONDS_PER_DAY);
    int32_t days;
    if (date1904)
        days = date_from_civil(1904, 1, 1) + (int32_t)day;
    else if (day == 60)
        return SD_EINVAL;
    else
        days = date_from_civil(1899, 12, day < 60 ? 31 : 30) + (int32_t)day;
    int year, month, mday;
    date_to_civil(days, &year, &month, &mday);
    if (year > DATE_MAX_YEAR)
        return 1;
    char date[DATE_TEXT_MAX];
    date_format(days, date);
    int n = serial == floor(serial) ? snprintf(out, ISO_TEXT_MAX, "%s", date)
                                    : snprintf(out, ISO_TEXT_MAX, "%sT%02ld:%02ld:%02ld", date,
                                               of_day / 3600, of_day / 60 % 60, of_day % 60);
    *len = (size_t)n;
    return 0;
}

/* Built-in number formats that show dates or times (ECMA-376 Part 1, 18.8.30). */
static int builtin_is_date(unsigned long id)
{
    return (id >= 14 && id <= 22) || (id >= 45 && id <= 47) || /* all locales */
           (id >= 27 && id <= 36) || (id >= 50 && id <= 58);   /* CJK locales */
}

/*
 * A custom format shows a date or time when one of d m y h s appears outside
 * quoted text, [..] sections (colours, locales, conditions, and the elapsed
 * [h] which still has :mm:ss next to it), and the one character after \, _
 * or * (literal, padding, fill).
 */
static int format_code_is_date(const char *code)
{
    for (const char *p = code; *p; p++) {
        switch (*p) {
        case '"': p = strchr(p + 1, '"'); break;
        case '[': p = strchr(p + 1, ']'); break;
        case '\\':
        case '_':
        case '*':
            if (p[1])
                p++;
            break;
        default:
            if (strchr("dDmMyYhHsS", *p))
                return 1;
        }
        if (!p)
            return 0;
    }
    return 0;
}

/* ---- errors ------------------------------------------------------------ */

static void set_position(struct xlsx *x, long row, long col)
{
    if (x->err) {
        x->err->row = row;
        x->err->column = (int)col;
    }
}

/* "FILE: MEMBER line L, column C: what" (XML position), row set to the sheet row if any. */
static int doc_error(struct xlsx *x, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int doc_error(struct xlsx *x, int code, const char *fmt, ...)
{
    char what[SD_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    sd_error_set(x->err, code, "%s: %s line %lu, column %lu: %s", x->file, x->doc.member,
                 (unsigned long)XML_GetCurrentLineNumber(x->doc.parser),
                 (unsigned long)XML_GetCurrentColumnNumber(x->doc.parser) + 1, what);
    set_position(x, x->doc.kind == DOC_SHEET ? x->sheet.row : 0, 0);
    return code;
}

/* "FILE:ROW: what" */
static int row_error(struct xlsx *x, int code, long col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int row_error(struct xlsx *x, int code, long col, const char *fmt, ...)
{
    char what[SD_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    sd_error_set(x->err, code, "%s:%ld: %s", x->file, x->sheet.row, what);
    set_position(x, x->sheet.row, col);
    return code;
}

/* "FILE:ROW: column 'NAME': what", or "FILE:ROW: cell D7: what" before the header is known. */
static int cell_error(struct xlsx *x, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int cell_error(struct xlsx *x, int code, const char *fmt, ...)
{
    const struct sheet *sh = &x->sheet;
    char what[SD_ERROR_MSG_MAX], letters[4];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    size_t col = (size_t)sh->cell.col;
    if (col <= sh->n_cols) {
        const char *name = sh->names[col - 1];
        sd_error_set(x->err, code, "%s:%ld: column " SD_QUOTE_FMT ": %s", x->file, sh->row,
                     SD_QUOTE_ARGS(name, strlen(name)), what);
    } else {
        column_letters(sh->cell.col, letters);
        sd_error_set(x->err, code, "%s:%ld: cell %s%ld: %s", x->file, sh->row, letters, sh->row,
                     what);
    }
    set_position(x, sh->row, sh->cell.col);
    return code;
}

/* "FILE: what" for the package as a whole. */
static int file_error(struct xlsx *x, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int file_error(struct xlsx *x, int code, const char *fmt, ...)
{
    char what[SD_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    sd_error_set(x->err, code, "%s: %s", x->file, what);
    set_position(x, 0, 0);
    return code;
}

/* Stops the parser from inside a handler; the first status wins. */
static void doc_stop(struct xlsx *x, int status)
{
    if (!status || x->doc.status)
        return;
    x->doc.status = status;
    XML_StopParser(x->doc.parser, XML_FALSE);
}

/* ---- character data ---------------------------------------------------- */

static int text_too_long(struct xlsx *x)
{
    size_t max = x->limits->max_field_bytes;
    if (x->doc.kind == DOC_SHEET)
        return cell_error(x, SD_ELIMIT, "value longer than %zu bytes", max);
    return doc_error(x, SD_ELIMIT, "a string longer than %zu bytes", max);
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    struct xlsx *x = ud;
    if (x->doc.status || !x->collecting)
        return;
    if ((size_t)len > x->limits->max_field_bytes - x->text.len ||
        x->text.len > x->limits->max_field_bytes) {
        doc_stop(x, text_too_long(x));
        return;
    }
    strbuf_add(&x->text, s, (size_t)len);
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal_subset)
{
    struct xlsx *x = ud;
    (void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
    if (!x->doc.status)
        doc_stop(x, doc_error(x, SD_EINVAL, "a DOCTYPE declaration is not allowed"));
}

/* ---- relationships (_rels/NAME.rels) ---------------------------------- */

/*
 * Resolves a relationship target against the directory of its source part
 * (`base`, "" or ending in '/'); an absolute target starts at the package root.
 * "." and ".." segments are folded. 0, or -1 when it does not fit or escapes.
 */
static int resolve_part(const char *base, const char *target, char *out)
{
    char joined[PART_MAX];
    size_t len = 0;
    int n = target[0] == '/' ? snprintf(joined, sizeof(joined), "%s", target + 1)
                             : snprintf(joined, sizeof(joined), "%s%s", base, target);
    if (n < 0 || (size_t)n >= sizeof(joined))
        return -1;
    char *next = NULL;
    for (char *seg = joined; seg; seg = next) {
        next = strchr(seg, '/');
        if (next)
            *next++ = '\0';
        if (seg[0] == '\0' || strcmp(seg, ".") == 0)
            continue;
        if (strcmp(seg, "..") == 0) {
            if (len == 0)
                return -1;
            while (len && out[len - 1] != '/')
                len--;
            len -= len > 0;
            continue;
        }
        size_t seg_len = strlen(seg);
        if (len + 1 + seg_len >= PART_MAX)
            return -1;
        if (len)
            out[len++] = '/';
        memcpy(out + len, seg, seg_len);
        len += seg_len;
    }
    out[len] = '\0';
    return len ? 0 : -1;
}

static void XMLCALL rels_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct xlsx *x = ud;
    if (x->doc.status || strcmp(local_name(name), "Relationship") != 0)
        return;
    const char *id = attr(atts, "Id"), *type = attr(atts, "Type"), *target = attr(atts, "Target");
    const char *mode = attr(atts, "TargetMode");
    char part[PART_MAX];
    if (!id || !type || !target || (mode && strcmp(mode, "External") == 0) ||
        resolve_part(x->rels_base, target, part) != 0)
        return;
    hashmap_put(&x->rel_ids, id, strlen(id), (int64_t)x->rels.len);
    struct rel *rel = vec_push_zero(&x->rels);
    rel->id = arena_strndup(&x->strings, id, strlen(id));
    rel->type = arena_strndup(&x->strings, type, strlen(type));
    rel->part = arena_strndup(&x->strings, part, strlen(part));
}

static const struct rel *rel_by_type(const struct xlsx *x, const char *suffix)
{
    for (size_t i = 0; i < x->rels.len; i++) {
        const struct rel *rel = VEC_AT(&x->rels, struct rel, i);
        if (ends_with(rel->type, suffix))
            return rel;
    }
    return NULL;
}

/* By id, through a hash: a workbook may list many sheets (a repeated id: the last one). */
static const struct rel *rel_by_id(const struct xlsx *x, const char *id)
{
    int64_t index;
    if (!hashmap_get(&x->rel_ids, id, strlen(id), &index))
        return NULL;
    return VEC_AT(&x->rels, struct rel, (size_t)index);
}

/* ---- workbook ---------------------------------------------------------- */

static void XMLCALL workbook_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct xlsx *x = ud;
    const char *tag = local_name(name);
    if (x->doc.status)
        return;
    if (strcmp(tag, "workbookPr") == 0) {
        const char *v = attr(atts, "date1904");
        x->date1904 = v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
    } else if (strcmp(tag, "sheet") == 0) {
        const char *sheet_name = attr(atts, "name"), *id = attr(atts, "id");
        if (!sheet_name || !id) {
            doc_stop(x, doc_error(x, SD_EINVAL, "a <sheet> without a name or r:id"));
            return;
        }
        struct sheet_entry *entry = vec_push_zero(&x->sheets);
        entry->name = arena_strndup(&x->strings, sheet_name, strlen(sheet_name));
        entry->rel_id = arena_strndup(&x->strings, id, strlen(id));
    }
}

/* ---- styles ------------------------------------------------------------ */

static void XMLCALL styles_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct xlsx *x = ud;
    const char *tag = local_name(name);
    if (x->doc.status)
        return;
    if (strcmp(tag, "numFmts") == 0) {
        x->in_numfmts = 1;
    } else if (strcmp(tag, "cellXfs") == 0) {
        x->in_cell_xfs = 1;
    } else if (strcmp(tag, "numFmt") == 0 && x->in_numfmts) {
        const char *id = attr(atts, "numFmtId"), *code = attr(atts, "formatCode");
        unsigned long fmt_id;
        if (!id || parse_ulong(id, strlen(id), UINT32_MAX, &fmt_id) != 0)
            return;
        hashmap_put(&x->numfmts, (const char *)&fmt_id, sizeof(fmt_id),
                    code && format_code_is_date(code));
    } else if (strcmp(tag, "xf") == 0 && x->in_cell_xfs) {
        const char *id = attr(atts, "numFmtId");
        unsigned long fmt_id = 0;
        if (id && parse_ulong(id, strlen(id), UINT32_MAX, &fmt_id) != 0)
            fmt_id = 0;
        vec_push(&x->xf_numfmt, &fmt_id);
    }
}

static void XMLCALL styles_end(void *ud, const XML_Char *name)
{
    struct xlsx *x = ud;
    const char *tag = local_name(name);
    if (strcmp(tag, "numFmts") == 0)
        x->in_numfmts = 0;
    else if (strcmp(tag, "cellXfs") == 0)
        x->in_cell_xfs = 0;
}

/* A custom format with the id wins over the built-in one (a repeated id: the last one). */
static int numfmt_is_date(const struct xlsx *x, unsigned long id)
{
    int64_t is_date;
    if (hashmap_get(&x->numfmts, (const char *)&id, sizeof(id), &is_date))
        return is_date != 0;
    return builtin_is_date(id);
}

static void styles_resolve(struct xlsx *x)
{
    x->n_xf = x->xf_numfmt.len;
    x->xf_date = xcalloc(x->n_xf ? x->n_xf : 1, 1);
    for (size_t i = 0; i < x->n_xf; i++)
        x->xf_date[i] = (unsigned char)numfmt_is_date(x, *VEC_AT(&x->xf_numfmt, unsigned long, i));
}

static int style_is_date(const struct xlsx *x, unsigned long style)
{
    return style < x->n_xf && x->xf_date[style];
}

/* ---- shared strings ---------------------------------------------------- */

static void XMLCALL sst_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct xlsx *x = ud;
    const char *tag = local_name(name);
    (void)atts;
    if (x->doc.status)
        return;
    if (strcmp(tag, "si") == 0) {
        x->in_si = 1;
        x->sst_rph_depth = 0;
        strbuf_reset(&x->text);
    } else if (strcmp(tag, "rPh") == 0 && x->in_si) {
        x->sst_rph_depth++;
    } else if (strcmp(tag, "t") == 0 && x->in_si) {
        x->collecting = x->sst_rph_depth == 0;
    }
}

static void XMLCALL sst_end(void *ud, const XML_Char *name)
{
    struct xlsx *x = ud;
    const char *tag = local_name(name);
    if (x->doc.status)
        return;
    if (strcmp(tag, "t") == 0) {
        x->collecting = 0;
    } else if (strcmp(tag, "rPh") == 0) {
        x->sst_rph_depth -= x->sst_rph_depth > 0;
    } else if (strcmp(tag, "si") == 0 && x->in_si) {
        struct span *span = vec_push_zero(&x->sst);
        span->off = x->sst_text.len;
        append_unescaped(&x->sst_text, x->text.buf, x->text.len);
        span->len = x->sst_text.len - span->off;
        strbuf_addch(&x->sst_text, '\0');
        x->in_si = 0;
    }
}

/* ---- sheet: cells ------------------------------------------------------ */

static int cell_type_parse(const char *t, enum cell_type *out)
{
    static const struct {
        const char *name;
        enum cell_type type;
    } types[] = {
        {"n", CELL_NUMBER}, {"s", CELL_SHARED}, {"inlineStr", CELL_INLINE}, {"str", CELL_STR},
        {"b", CELL_BOOL},   {"e", CELL_ERROR},  {"d", CELL_ISO_DATE},
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(t, types[i].name) == 0) {
            *out = types[i].type;
            return 0;
        }
    }
    return -1;
}

static int cell_start(struct xlsx *x, const XML_Char **atts)
{
    struct sheet *sh = &x->sheet;
    struct cell cell = {sh->last_col + 1, CELL_NUMBER, 0};
    const char *ref = attr(atts, "r"), *t = attr(atts, "t"), *s = attr(atts, "s");
    long row = sh->row;
    if (sh->in_cell)
        return doc_error(x, SD_EINVAL, "a <c> inside a cell");
    if (ref && (parse_cell_ref(ref, &cell.col, &row) != 0 || row != sh->row))
        return row_error(x, SD_EINVAL, 0,
                         "cell reference " SD_QUOTE_FMT " is not a cell of row %ld",
                         SD_QUOTE_ARGS(ref, strlen(ref)), sh->row);
    if (cell.col > SHEET_MAX_COL)
        return row_error(x, SD_EINVAL, 0, "more than %ld cells", SHEET_MAX_COL);
    if (cell.col <= sh->last_col)
        return row_error(x, SD_EINVAL, cell.col,
                         "cell %s comes after column %ld (cells out of order)", ref ? ref : "?",
                         sh->last_col);
    if (t && cell_type_parse(t, &cell.type) != 0)
        return row_error(x, SD_EINVAL, cell.col, "cell type " SD_QUOTE_FMT " is not known",
                         SD_QUOTE_ARGS(t, strlen(t)));
    if (s && parse_ulong(s, strlen(s), UINT32_MAX, &cell.style) != 0)
        return row_error(x, SD_EINVAL, cell.col, "style " SD_QUOTE_FMT " is not a number",
                         SD_QUOTE_ARGS(s, strlen(s)));
    sh->cell = cell;
    sh->last_col = cell.col;
    sh->in_cell = 1;
    sh->in_is = 0;
    sh->rph_depth = 0;
    strbuf_reset(&x->text);
    return 0;
}

static void slot_add(struct xlsx *x, struct slot *slot, enum ingest_kind kind, const char *data,
                     size_t len)
{
    slot->kind = len ? kind : INGEST_EMPTY;
    slot->ext = NULL;
    slot->off = x->sheet.row_text.len;
    slot->len = len;
    strbuf_add(&x->sheet.row_text, data, len);
}

static int convert_shared(struct xlsx *x, struct slot *slot)
{
    const char *s = x->text.buf;
    size_t len = x->text.len;
    unsigned long index;
    trim_spaces(&s, &len);
    if (parse_ulong(s, len, UINT32_MAX, &index) != 0)
        return cell_error(x, SD_EINVAL, "shared string index " SD_QUOTE_FMT " is not a number",
                          SD_QUOTE_ARGS(s, len));
    if (index >= x->sst.len)
        return cell_error(x, SD_EINVAL, "shared string %lu does not exist (the workbook has %zu)",
                          index, x->sst.len);
    const struct span *span = VEC_AT(&x->sst, struct span, index);
    slot->kind = span->len ? INGEST_TEXT : INGEST_EMPTY;
    slot->ext = x->sst_text.buf + span->off;
    slot->off = 0;
    slot->len = span->len;
    return 0;
}

static int convert_text(struct xlsx *x, struct slot *slot)
{
    struct strbuf *row_text = &x->sheet.row_text;
    size_t off = row_text->len;
    append_unescaped(row_text, x->text.buf, x->text.len);
    slot->kind = row_text->len > off ? INGEST_TEXT : INGEST_EMPTY;
    slot->ext = NULL;
    slot->off = off;
    slot->len = row_text->len - off;
    return 0;
}

static int convert_bool(struct xlsx *x, struct slot *slot)
{
    const char *s = x->text.buf;
    size_t len = x->text.len;
    trim_spaces(&s, &len);
    if (len == 0)
        slot_add(x, slot, INGEST_EMPTY, "", 0);
    else if ((len == 1 && s[0] == '1') || (len == 4 && strncmp(s, "true", 4) == 0))
        slot_add(x, slot, INGEST_BOOL, "true", 4);
    else if ((len == 1 && s[0] == '0') || (len == 5 && strncmp(s, "false", 5) == 0))
        slot_add(x, slot, INGEST_BOOL, "false", 5);
    else
        return cell_error(x, SD_EINVAL, SD_QUOTE_FMT " is not a boolean (0 or 1)",
                          SD_QUOTE_ARGS(s, len));
    return 0;
}

/* t="d": "YYYY-MM-DD" stays; a date-time becomes "YYYY-MM-DDTHH:MM:SS" in UTC. */
static int convert_iso_date(struct xlsx *x, struct slot *slot)
{
    const char *s = x->text.buf;
    size_t len = x->text.len;
    int32_t days;
    int64_t ms;
    char iso[ISO_TEXT_MAX], date[DATE_TEXT_MAX];
    trim_spaces(&s, &len);
    if (len == 0) {
        slot_add(x, slot, INGEST_EMPTY, "", 0);
        return 0;
    }
    if (len == 10 && date_parse(s, len, &days, NULL) == 0) {
        slot_add(x, slot, INGEST_DATE, s, len);
        return 0;
    }
    if (ts_parse(s, len, &ms, NULL) != 0)
        return cell_error(x, SD_EINVAL, SD_QUOTE_FMT " is not a date", SD_QUOTE_ARGS(s, len));
    int64_t seconds = (ms + 500) / 1000 - ((ms + 500) % 1000 < 0); /* rounded, floor */
    int64_t of_day = ((seconds % SECONDS_PER_DAY) + SECONDS_PER_DAY) % SECONDS_PER_DAY;
    date_format((int32_t)((seconds - of_day) / SECONDS_PER_DAY), date);
    int n = snprintf(iso, sizeof(iso), "%sT%02d:%02d:%02d", date, (int)(of_day / 3600),
                     (int)(of_day / 60 % 60), (int)(of_day % 60));
    slot_add(x, slot, INGEST_DATE, iso, (size_t)n);
    return 0;
}

static int convert_number(struct xlsx *x, struct slot *slot)
{
    const char *s = x->text.buf;
    size_t len = x->text.len, n = 0;
    int is_date = style_is_date(x, x->sheet.cell.style);
    double value;
    char text[NUMBER_TEXT_MAX];
    trim_spaces(&s, &len);
    if (len == 0) {
        slot_add(x, slot, INGEST_EMPTY, "", 0);
        return 0;
    }
    if (!is_date && is_plain_decimal(s, len)) {
        slot_add(x, slot, INGEST_NUMBER, s, len);
        return 0;
    }
    if (parse_double(s, len, &value) != 0)
        return cell_error(x, SD_EINVAL, SD_QUOTE_FMT " is not a number", SD_QUOTE_ARGS(s, len));
    int rc = is_date ? serial_to_iso(value, x->date1904, text, &n) : 1;
    if (rc == SD_EINVAL)
        return cell_error(x, SD_EINVAL,
                          SD_QUOTE_FMT " is 1900-02-29, a day that did not exist (Excel's "
                                       "1900 leap-year bug)",
                          SD_QUOTE_ARGS(s, len));
    if (rc == 0) {
        slot_add(x, slot, INGEST_DATE, text, n);
        return 0;
    }
    n = format_double(value, text);
    slot_add(x, slot, INGEST_NUMBER, text, n);
    return 0;
}

static int cell_convert(struct xlsx *x, struct slot *slot)
{
    switch (x->sheet.cell.type) {
    case CELL_SHARED: return x->text.len ? convert_shared(x, slot) : convert_text(x, slot);
    case CELL_INLINE:
    case CELL_STR: return convert_text(x, slot);
    case CELL_ERROR: slot_add(x, slot, INGEST_TEXT, x->text.buf, x->text.len); return 0;
    case CELL_BOOL: return convert_bool(x, slot);
    case CELL_ISO_DATE: return convert_iso_date(x, slot);
    case CELL_NUMBER: return convert_number(x, slot);
    }
    return convert_text(x, slot);
}

/* Room for `n` slots in the current row. */
static void slots_reserve(struct sheet *sh, size_t n)
{
    if (n <= sh->slots_cap)
        return;
    size_t cap = sh->slots_cap ? sh->slots_cap * 2 : 16;
    while (cap < n)
        cap *= 2;
    sh->slots = xreallocarray(sh->slots, cap, sizeof(*sh->slots));
    sh->slots_cap = cap;
}

/* Stores a converted cell; the columns skipped since the last cell become empty. */
static int row_put(struct xlsx *x, const struct slot *slot)
{
    struct sheet *sh = &x->sheet;
    size_t col = (size_t)sh->cell.col;
    size_t width = sh->n_cols ? sh->n_cols : x->limits->max_columns;
    if (col > width && slot->kind == INGEST_EMPTY)
        return 0;
    if (col > width && sh->n_cols)
        return cell_error(x, SD_EINVAL, "a value outside the header's %zu columns", sh->n_cols);
    if (col > width)
        return row_error(x, SD_ELIMIT, sh->cell.col, "more than %zu columns",
                         x->limits->max_columns);
    slots_reserve(sh, col);
    for (size_t i = sh->n_slots; i + 1 < col; i++)
        sh->slots[i] = (struct slot){INGEST_EMPTY, NULL, 0, 0};
    sh->slots[col - 1] = *slot;
    sh->n_slots = col;
    sh->row_has_value |= slot->kind != INGEST_EMPTY;
    return 0;
}

static int cell_finish(struct xlsx *x)
{
    struct slot slot = {INGEST_EMPTY, NULL, 0, 0};
    x->sheet.in_cell = 0;
    x->collecting = 0;
    int rc = cell_convert(x, &slot);
    return rc ? rc : row_put(x, &slot);
}

/* ---- sheet: rows ------------------------------------------------------- */

static int row_start(struct xlsx *x, const XML_Char **atts)
{
    struct sheet *sh = &x->sheet;
    const char *ref = attr(atts, "r");
    unsigned long row = (unsigned long)sh->last_row + 1;
    if (sh->in_row)
        return doc_error(x, SD_EINVAL, "a <row> inside a row");
    if (ref && (parse_ulong(ref, strlen(ref), SHEET_MAX_ROW, &row) != 0 || row == 0))
        return doc_error(x, SD_EINVAL, "row number " SD_QUOTE_FMT " is not in 1..%ld",
                         SD_QUOTE_ARGS(ref, strlen(ref)), SHEET_MAX_ROW);
    if (row > SHEET_MAX_ROW)
        return doc_error(x, SD_EINVAL, "more than %ld rows", SHEET_MAX_ROW);
    if ((long)row <= sh->last_row)
        return doc_error(x, SD_EINVAL, "row %lu comes after row %ld (rows out of order)", row,
                         sh->last_row);
    sh->row = sh->last_row = (long)row;
    sh->in_row = 1;
    sh->last_col = 0;
    sh->n_slots = 0;
    sh->row_has_value = 0;
    strbuf_reset(&sh->row_text);
    return 0;
}

static const char *slot_data(const struct sheet *sh, const struct slot *slot)
{
    return slot->ext ? slot->ext : sh->row_text.buf + slot->off;
}

/* The first row with a value names the columns: A up to its last non-empty cell. */
static int header_make(struct xlsx *x)
{
    struct sheet *sh = &x->sheet;
    size_t n = sh->n_slots;
    while (n && sh->slots[n - 1].kind == INGEST_EMPTY)
        n--;
    for (size_t i = 0; i < n; i++) {
        if (sh->slots[i].kind == INGEST_EMPTY)
            return row_error(x, SD_EINVAL, (long)i + 1, "column %zu has no name", i + 1);
    }
    sh->names = xcalloc(n, sizeof(*sh->names));
    sh->values = xcalloc(n, sizeof(*sh->values));
    for (size_t i = 0; i < n; i++) {
        const struct slot *slot = &sh->slots[i];
        sh->names[i] =
            slot->ext ? slot->ext : arena_strndup(&x->strings, slot_data(sh, slot), slot->len);
    }
    sh->n_cols = n;
    sh->columns = (struct ingest_columns){n, sh->names, 1};
    return 0;
}

static int row_emit(struct xlsx *x)
{
    struct sheet *sh = &x->sheet;
    if (sh->records >= x->limits->max_rows)
        return row_error(x, SD_ELIMIT, 0, "more than %ld rows", x->limits->max_rows);
    sh->records++;
    for (size_t i = 0; i < sh->n_slots; i++) {
        sh->values[i].data = slot_data(sh, &sh->slots[i]);
        sh->values[i].len = sh->slots[i].len;
        sh->values[i].kind = sh->slots[i].kind;
    }
    struct ingest_record rec = {
        .file = x->file,
        .row = sh->row,
        .columns = &sh->columns,
        .values = sh->values,
        .n_values = sh->n_slots,
    };
    return x->fn(x->ctx, &rec, x->err);
}

/* Rows without any value (formatting only) are skipped like missing ones. */
static int row_finish(struct xlsx *x)
{
    struct sheet *sh = &x->sheet;
    sh->in_row = 0;
    if (!sh->row_has_value)
        return 0;
    return sh->n_cols ? row_emit(x) : header_make(x);
}

/* The sheet elements the reader acts on; anything else is passed over. */
enum sheet_tag { TAG_OTHER, TAG_SHEET_DATA, TAG_ROW, TAG_C, TAG_V, TAG_IS, TAG_T, TAG_RPH };

/* One switch instead of a strcmp chain: this runs for every element of the sheet. */
static enum sheet_tag sheet_tag(const XML_Char *name)
{
    const char *tag = local_name(name);
    switch (tag[0]) {
    case 'c': return tag[1] == '\0' ? TAG_C : TAG_OTHER;
    case 'v': return tag[1] == '\0' ? TAG_V : TAG_OTHER;
    case 't': return tag[1] == '\0' ? TAG_T : TAG_OTHER;
    case 'i': return strcmp(tag, "is") == 0 ? TAG_IS : TAG_OTHER;
    case 'r':
        if (strcmp(tag, "row") == 0)
            return TAG_ROW;
        return strcmp(tag, "rPh") == 0 ? TAG_RPH : TAG_OTHER;
    case 's': return strcmp(tag, "sheetData") == 0 ? TAG_SHEET_DATA : TAG_OTHER;
    default: return TAG_OTHER;
    }
}

static void XMLCALL sheet_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct xlsx *x = ud;
    struct sheet *sh = &x->sheet;
    enum sheet_tag tag = sheet_tag(name);
    int rc = 0;
    if (x->doc.status)
        return;
    if (!sh->in_data)
        sh->in_data = tag == TAG_SHEET_DATA;
    else if (tag == TAG_ROW)
        rc = row_start(x, atts);
    else if (!sh->in_row)
        return;
    else if (tag == TAG_C)
        rc = cell_start(x, atts);
    else if (!sh->in_cell)
        return;
    else if (tag == TAG_V)
        x->collecting = sh->cell.type != CELL_INLINE;
    else if (tag == TAG_IS)
        sh->in_is = 1;
    else if (tag == TAG_RPH)
        sh->rph_depth++;
    else if (tag == TAG_T)
        x->collecting = sh->cell.type == CELL_INLINE && sh->in_is && sh->rph_depth == 0;
    doc_stop(x, rc);
}

static void XMLCALL sheet_end(void *ud, const XML_Char *name)
{
    struct xlsx *x = ud;
    struct sheet *sh = &x->sheet;
    int rc = 0;
    if (x->doc.status || !sh->in_data)
        return;
    switch (sheet_tag(name)) {
    case TAG_SHEET_DATA: sh->in_data = 0; break;
    case TAG_ROW: rc = sh->in_row ? row_finish(x) : 0; break;
    case TAG_C: rc = sh->in_cell ? cell_finish(x) : 0; break;
    case TAG_V:
    case TAG_T: x->collecting = 0; break;
    case TAG_IS: sh->in_is = 0; break;
    case TAG_RPH: sh->rph_depth -= sh->rph_depth > 0; break;
    case TAG_OTHER: break;
    }
    doc_stop(x, rc);
}

/* ---- zip members through expat ----------------------------------------- */

static const struct {
    XML_StartElementHandler start;
    XML_EndElementHandler end;
    XML_CharacterDataHandler text;
} doc_handlers[] = {
    [DOC_RELS] = {rels_start, NULL, NULL},           /* Relationship elements */
    [DOC_WORKBOOK] = {workbook_start, NULL, NULL},   /* workbookPr, sheet */
    [DOC_STYLES] = {styles_start, styles_end, NULL}, /* numFmts, cellXfs */
    [DOC_SST] = {sst_start, sst_end, on_text},       /* si, t, rPh */
    [DOC_SHEET] = {sheet_start, sheet_end, on_text}, /* sheetData, row, c, v, is, t, rPh */
};

/* libzip's error codes as statuses: the system failing us, or the archive being bad. */
static int zip_status(const zip_error_t *ze)
{
    switch (zip_error_code_zip(ze)) {
    case ZIP_ER_READ:
    case ZIP_ER_SEEK:
    case ZIP_ER_OPEN:
    case ZIP_ER_NOENT:
    case ZIP_ER_TMPOPEN: return SD_EIO;
    case ZIP_ER_MEMORY: return SD_ENOMEM;
    default: return SD_EINVAL;
    }
}

/* The declared sizes against the limits, before anything is unzipped. */
static int member_check(struct xlsx *x, const char *member, const zip_stat_t *st)
{
    const struct ingest_limits *lim = x->limits;
    zip_uint64_t left = lim->max_decompressed_bytes - x->unzipped;
    if (!(st->valid & ZIP_STAT_SIZE) || !(st->valid & ZIP_STAT_COMP_SIZE))
        return file_error(x, SD_EINVAL, "%s: the zip directory lacks its sizes", member);
    if ((st->valid & ZIP_STAT_ENCRYPTION_METHOD) && st->encryption_method != ZIP_EM_NONE)
        return file_error(x, SD_EINVAL, "%s is encrypted", member);
    if (st->size > left)
        return file_error(x, SD_ELIMIT,
                          "%s unzips to %llu bytes, past the limit of %zu bytes for the workbook",
                          member, (unsigned long long)st->size, lim->max_decompressed_bytes);
    if (st->size > RATIO_GRACE_BYTES &&
        (lim->max_compression_ratio == 0 || st->size / lim->max_compression_ratio > st->comp_size))
        return file_error(
            x, SD_ELIMIT,
            "%s unzips %llu bytes into %llu, a ratio past the limit of %zu (a zip bomb?)", member,
            (unsigned long long)st->comp_size, (unsigned long long)st->size,
            lim->max_compression_ratio);
    return 0;
}

/* The bytes actually unzipped, whatever the directory said. */
static int member_count(struct xlsx *x, const zip_stat_t *st, zip_uint64_t done, zip_int64_t n)
{
    const struct ingest_limits *lim = x->limits;
    x->unzipped += (zip_uint64_t)n;
    if (x->unzipped > lim->max_decompressed_bytes)
        return file_error(x, SD_ELIMIT, "%s: more than %zu bytes unzipped for the workbook",
                          x->doc.member, lim->max_decompressed_bytes);
    if (done + (zip_uint64_t)n > st->size)
        return file_error(x, SD_ELIMIT, "%s unzips to more than the %llu bytes it declares",
                          x->doc.member, (unsigned long long)st->size);
    return 0;
}

/* expat buffers an unfinished tag whole; refuse one that keeps growing. */
static int tag_check(struct xlsx *x, zip_uint64_t fed)
{
    XML_Index at = XML_GetCurrentByteIndex(x->doc.parser);
    zip_uint64_t parsed = at > 0 ? (zip_uint64_t)at : 0;
    size_t max = x->limits->max_field_bytes + TAG_SLACK_BYTES;
    if (fed <= parsed || fed - parsed <= max)
        return 0;
    return doc_error(x, SD_ELIMIT, "an XML tag longer than %zu bytes", max);
}

static int xml_error(struct xlsx *x)
{
    if (x->doc.status)
        return x->doc.status;
    return doc_error(x, SD_EINVAL, "%s", XML_ErrorString(XML_GetErrorCode(x->doc.parser)));
}

/* Feeds the open member to the parser chunk by chunk. */
static int member_parse(struct xlsx *x, zip_file_t *zf, const zip_stat_t *st)
{
    zip_uint64_t done = 0;
    for (;;) {
        zip_int64_t n = zip_fread(zf, x->chunk, CHUNK_BYTES);
        if (n < 0) {
            zip_error_t *ze = zip_file_get_error(zf);
            return file_error(x, zip_status(ze), "%s: cannot unzip: %s", x->doc.member,
                              zip_error_strerror(ze));
        }
        int rc = member_count(x, st, done, n);
        if (rc)
            return rc;
        done += (zip_uint64_t)n;
        if (XML_Parse(x->doc.parser, x->chunk, (int)n, n == 0) != XML_STATUS_OK)
            return xml_error(x);
        if (x->doc.status)
            return x->doc.status;
        if (n == 0)
            return 0;
        rc = tag_check(x, done);
        if (rc)
            return rc;
    }
}

static XML_Parser parser_new(struct xlsx *x, enum doc_kind kind)
{
    XML_Parser parser = XML_ParserCreate(NULL);
    if (!parser)
        return NULL;
    XML_SetUserData(parser, x);
    XML_SetElementHandler(parser, doc_handlers[kind].start, doc_handlers[kind].end);
    XML_SetCharacterDataHandler(parser, doc_handlers[kind].text);
    XML_SetStartDoctypeDeclHandler(parser, on_doctype);
    return parser;
}

/*
 * Parses one member with the handlers of `kind`. SD_ENOTFOUND (no message)
 * when the archive has no such member, so that the caller decides whether it
 * was optional.
 */
static int doc_read(struct xlsx *x, enum doc_kind kind, const char *member)
{
    zip_file_t *zf = NULL;
    zip_stat_t st;
    int rc = SD_ENOTFOUND;
    zip_int64_t index = zip_name_locate(x->zip, member, ZIP_FL_NOCASE);
    if (index < 0)
        goto out;
    zip_stat_init(&st);
    if (zip_stat_index(x->zip, (zip_uint64_t)index, 0, &st) != 0) {
        rc = file_error(x, SD_EINVAL, "%s: %s", member, zip_strerror(x->zip));
        goto out;
    }
    rc = member_check(x, member, &st);
    if (rc)
        goto out;
    zf = zip_fopen_index(x->zip, (zip_uint64_t)index, 0);
    if (!zf) {
        rc = file_error(x, zip_status(zip_get_error(x->zip)), "%s: cannot unzip: %s", member,
                        zip_strerror(x->zip));
        goto out;
    }
    x->doc = (struct xml_doc){kind, member, parser_new(x, kind), 0};
    x->collecting = 0;
    strbuf_reset(&x->text);
    rc = x->doc.parser ? member_parse(x, zf, &st) : SD_ENOMEM;
out:
    if (x->doc.parser)
        XML_ParserFree(x->doc.parser);
    x->doc.parser = NULL;
    if (zf)
        zip_fclose(zf);
    return rc;
}

/* ---- the package ------------------------------------------------------- */

/* Reads the relationships of `part` (which may have none), targets resolved next to it. */
static int rels_read(struct xlsx *x, const char *part)
{
    char dir[PART_MAX], rels[PART_MAX];
    const char *slash = strrchr(part, '/');
    int dir_len = slash ? (int)(slash - part + 1) : 0;
    int n =
        snprintf(rels, sizeof(rels), "%.*s_rels/%s.rels", dir_len, part, slash ? slash + 1 : part);
    if (n < 0 || (size_t)n >= sizeof(rels))
        return file_error(x, SD_EINVAL, "part name %s is too long", part);
    snprintf(dir, sizeof(dir), "%.*s", dir_len, part);
    x->rels.len = 0;
    hashmap_release(&x->rel_ids);
    x->rels_base = dir;
    int rc = doc_read(x, DOC_RELS, rels);
    x->rels_base = NULL;
    return rc == SD_ENOTFOUND ? 0 : rc;
}

static int workbook_read(struct xlsx *x)
{
    int rc = rels_read(x, "");
    if (rc)
        return rc;
    const struct rel *office = rel_by_type(x, "/officeDocument");
    x->workbook_part = office ? office->part : "xl/workbook.xml";
    rc = doc_read(x, DOC_WORKBOOK, x->workbook_part);
    if (rc == SD_ENOTFOUND)
        return file_error(x, SD_EINVAL, "not an xlsx workbook (no %s in the zip archive)",
                          x->workbook_part);
    return rc ? rc : rels_read(x, x->workbook_part);
}

/* Optional parts: a workbook without shared strings or styles is fine. */
static int parts_read(struct xlsx *x)
{
    const struct rel *styles = rel_by_type(x, "/styles");
    const struct rel *sst = rel_by_type(x, "/sharedStrings");
    int rc = styles ? doc_read(x, DOC_STYLES, styles->part) : 0;
    if (rc == 0 || rc == SD_ENOTFOUND)
        rc = sst ? doc_read(x, DOC_SST, sst->part) : 0;
    styles_resolve(x);
    return rc == SD_ENOTFOUND ? 0 : rc;
}

static const struct sheet_entry *sheet_at(const struct xlsx *x, size_t i)
{
    return VEC_AT(&x->sheets, struct sheet_entry, i);
}

static int sheet_not_found(struct xlsx *x, const char *wanted)
{
    struct strbuf names = STRBUF_INIT;
    for (size_t i = 0; i < x->sheets.len; i++) {
        const char *name = sheet_at(x, i)->name;
        strbuf_addf(&names, "%s" SD_QUOTE_FMT, i ? ", " : "", SD_QUOTE_ARGS(name, strlen(name)));
    }
    int rc = file_error(x, SD_ENOTFOUND, "no sheet " SD_QUOTE_FMT "; the sheets are %s",
                        SD_QUOTE_ARGS(wanted, strlen(wanted)), names.len ? names.buf : "(none)");
    strbuf_release(&names);
    return rc;
}

/* A sheet by exact name, then by number 1..n, then by name ignoring ASCII case. */
static const struct sheet_entry *sheet_find(const struct xlsx *x, const char *wanted)
{
    unsigned long number;
    for (size_t i = 0; i < x->sheets.len; i++) {
        if (strcmp(sheet_at(x, i)->name, wanted) == 0)
            return sheet_at(x, i);
    }
    if (parse_ulong(wanted, strlen(wanted), ULONG_MAX, &number) == 0)
        return number >= 1 && number <= x->sheets.len ? sheet_at(x, number - 1) : NULL;
    for (size_t i = 0; i < x->sheets.len; i++) {
        if (strcasecmp(sheet_at(x, i)->name, wanted) == 0)
            return sheet_at(x, i);
    }
    return NULL;
}

/* The member holding the chosen sheet; without a choice, the first worksheet. */
static int sheet_pick(struct xlsx *x, const char **part)
{
    const struct sheet_entry *entry = NULL;
    const struct rel *rel = NULL;
    for (size_t i = 0; !x->sheet_wanted && !entry && i < x->sheets.len; i++) {
        rel = rel_by_id(x, sheet_at(x, i)->rel_id);
        if (rel && ends_with(rel->type, "/worksheet"))
            entry = sheet_at(x, i);
    }
    if (!x->sheet_wanted && !entry)
        return file_error(x, SD_ENOTFOUND, "the workbook has no worksheet");
    if (x->sheet_wanted) {
        entry = sheet_find(x, x->sheet_wanted);
        if (!entry)
            return sheet_not_found(x, x->sheet_wanted);
        rel = rel_by_id(x, entry->rel_id);
    }
    if (!rel)
        return file_error(x, SD_EINVAL, "sheet " SD_QUOTE_FMT " has no relationship %s",
                          SD_QUOTE_ARGS(entry->name, strlen(entry->name)), entry->rel_id);
    if (!ends_with(rel->type, "/worksheet"))
        return file_error(x, SD_EINVAL, "sheet " SD_QUOTE_FMT " is not a worksheet (a chart?)",
                          SD_QUOTE_ARGS(entry->name, strlen(entry->name)));
    *part = rel->part;
    x->sheet_name = entry->name;
    return 0;
}

/* Like a CSV file without a line, a sheet without a header row is an error. */
static int sheet_read(struct xlsx *x, const char *part)
{
    int rc = doc_read(x, DOC_SHEET, part);
    if (rc == SD_ENOTFOUND)
        return file_error(x, SD_EINVAL, "the sheet's part %s is missing from the zip archive",
                          part);
    if (rc == 0 && x->sheet.n_cols == 0)
        return file_error(x, SD_EINVAL, "sheet " SD_QUOTE_FMT " is empty (no header row)",
                          SD_QUOTE_ARGS(x->sheet_name, strlen(x->sheet_name)));
    return rc;
}

static int workbook_run(struct xlsx *x)
{
    const char *part = NULL;
    int rc = workbook_read(x);
    if (rc == 0)
        rc = sheet_pick(x, &part);
    if (rc == 0)
        rc = parts_read(x);
    if (rc == 0)
        rc = sheet_read(x, part);
    return rc;
}

static void xlsx_release(struct xlsx *x)
{
    free(x->sheet.values);
    free(x->sheet.names);
    free(x->sheet.slots);
    strbuf_release(&x->sheet.row_text);
    strbuf_release(&x->sst_text);
    vec_release(&x->sst);
    free(x->xf_date);
    vec_release(&x->xf_numfmt);
    hashmap_release(&x->numfmts);
    vec_release(&x->sheets);
    vec_release(&x->rels);
    hashmap_release(&x->rel_ids);
    arena_release(&x->strings);
    strbuf_release(&x->text);
    free(x->chunk);
}

/* Reads the archive (which this consumes) with the options given, or the defaults. */
static int archive_read(zip_t *zip, const char *file, const struct xlsx_options *opt,
                        ingest_record_fn *fn, void *ctx, struct sd_error *err)
{
    struct xlsx_options defaults;
    xlsx_options_init(&defaults);
    if (!opt)
        opt = &defaults;
    struct xlsx x = {
        .zip = zip,
        .file = file,
        .limits = &opt->limits,
        .sheet_wanted = opt->sheet,
        .fn = fn,
        .ctx = ctx,
        .err = err,
        .chunk = xmalloc(CHUNK_BYTES),
    };
    strbuf_init(&x.text, 0);
    strbuf_init(&x.sst_text, 0);
    strbuf_init(&x.sheet.row_text, 0);
    arena_init(&x.strings, 0);
    vec_init(&x.rels, sizeof(struct rel));
    vec_init(&x.sheets, sizeof(struct sheet_entry));
    hashmap_init(&x.numfmts);
    hashmap_init(&x.rel_ids);
    vec_init(&x.xf_numfmt, sizeof(unsigned long));
    vec_init(&x.sst, sizeof(struct span));
    int rc = workbook_run(&x);
    xlsx_release(&x);
    zip_discard(zip);
    return rc;
}

/* An OLE2 compound file: an old .xls, or an encrypted .xlsx (which Office wraps in one). */
static int is_compound_file(const void *head, size_t len)
{
    static const unsigned char magic[8] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};
    return len >= sizeof(magic) && memcmp(head, magic, sizeof(magic)) == 0;
}

static int open_error(const char *file, int code, int sys_errno, const void *head, size_t head_len,
                      struct sd_error *err)
{
    zip_error_t ze;
    zip_error_init_with_code(&ze, code);
    int status = zip_status(&ze);
    if (status == SD_EINVAL && is_compound_file(head, head_len))
        sd_error_set(err, status,
                     "%s: not an xlsx workbook (an encrypted workbook or an old "
                     ".xls file)",
                     file);
    else if (status == SD_EINVAL)
        sd_error_set(err, status, "%s: not an xlsx workbook (%s)", file, zip_error_strerror(&ze));
    else if (sys_errno)
        sd_error_set(err, status, "%s: cannot read: %s", file, strerror(sys_errno));
    else
        sd_error_set(err, status, "%s: cannot read: %s", file, zip_error_strerror(&ze));
    zip_error_fini(&ze);
    return status;
}

int xlsx_read_file(const char *path, const char *name, const struct xlsx_options *opt,
                   ingest_record_fn *fn, void *ctx, struct sd_error *err)
{
    const char *file = name ? name : path;
    unsigned char head[8] = {0};
    size_t head_len = 0;
    int code = 0;
    errno = 0;
    zip_t *zip = zip_open(path, ZIP_RDONLY, &code);
    int sys_errno = errno;
    if (zip)
        return archive_read(zip, file, opt, fn, ctx, err);
    FILE *fp = fopen(path, "rb");
    if (fp) {
        head_len = fread(head, 1, sizeof(head), fp);
        fclose(fp);
    }
    return open_error(file, code, sys_errno, head, head_len, err);
}

int xlsx_read_buffer(const void *data, size_t len, const char *name, const struct xlsx_options *opt,
                     ingest_record_fn *fn, void *ctx, struct sd_error *err)
{
    const char *file = name ? name : "workbook";
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(len ? data : NULL, len, 0, &ze);
    zip_t *zip = src ? zip_open_from_source(src, ZIP_RDONLY, &ze) : NULL;
    int code = zip_error_code_zip(&ze);
    zip_error_fini(&ze);
    if (zip)
        return archive_read(zip, file, opt, fn, ctx, err);
    zip_source_free(src);
    if (!src)
        return sd_error_set(err, SD_ENOMEM, "%s: out of memory", file);
    return open_error(file, code, 0, data, len, err);
}
