/* tsct/ini.h - configuration files: INI text read into entries, and values checked by type.
 *
 * The pipeline files of `tsct run` (PIPELINE.cfg) and the simulator's scan.ini are INI text:
 *
 *     # a comment (also ';'), on a line of its own
 *     [section]
 *     key = value          # a trailing comment after " #"
 *
 * Every entry keeps its section, key, value and line number, so each later check can name the
 * file, the line and the key. A key may appear several times (the pipeline passes an option
 * several times); tsct_ini_find() returns the last one.
 *
 * Bounds (checked before anything is stored; an error names the line): a line holds at most
 * TSCT_INI_LINE_MAX bytes, a section name TSCT_INI_SECTION_MAX - 1, a key TSCT_INI_KEY_MAX - 1
 * (letters, digits, '_', '-', '.'), a value TSCT_INI_VALUE_MAX - 1; a file has at most
 * TSCT_INI_ENTRIES_MAX entries. NUL bytes and control characters other than tab are refused;
 * a UTF-8 byte-order mark at the start is skipped.
 *
 * Values are never used as formats. The typed readers below refuse a value that is not of
 * the type or not in range, with the allowed values in the message.
 *
 * Ownership: a tsct_ini lives in caller memory; tsct_ini_read/parse fill it and
 * tsct_ini_release frees what they allocated (release of a zeroed or released ini does
 * nothing). Thread safety: none needed; an ini is read-only after parsing.
 */
#ifndef TSCT_INI_H
#define TSCT_INI_H

#include <stddef.h>
#include <stdint.h>

#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TSCT_INI_LINE_MAX 4096
#define TSCT_INI_SECTION_MAX 32
#define TSCT_INI_KEY_MAX 64
#define TSCT_INI_VALUE_MAX 2048
#define TSCT_INI_ENTRIES_MAX 100000
#define TSCT_INI_PATH_MAX 4096

typedef struct tsct_ini_entry {
    char section[TSCT_INI_SECTION_MAX];
    char key[TSCT_INI_KEY_MAX];
    char value[TSCT_INI_VALUE_MAX];
    int64_t line; /* 1-based line number in the file */
} tsct_ini_entry;

typedef struct tsct_ini {
    char path[TSCT_INI_PATH_MAX]; /* the file (or the name given to tsct_ini_parse) */
    char dir[TSCT_INI_PATH_MAX];  /* its folder ("." for a bare name), for relative paths */
    tsct_ini_entry *e;            /* n entries in file order */
    int64_t n, cap;
} tsct_ini;

/* Read the INI file at path. Errors: TSCT_ERR_IO (cannot open or read), TSCT_ERR_FORMAT (a
 * line that is not a comment, [section] or key = value; a key outside any section; a bound
 * above exceeded; a NUL or control byte), TSCT_ERR_NOMEM. On error ini is left released. */
tsct_status tsct_ini_read(tsct_ini *ini, const char *path, tsct_error *err);

/* The same from len bytes of text in memory; name stands for the file in messages and gives
 * the folder of relative paths. */
tsct_status tsct_ini_parse(tsct_ini *ini, const char *name, const char *text, size_t len,
                           tsct_error *err);

void tsct_ini_release(tsct_ini *ini);

/* The last entry section.key, or NULL. */
const tsct_ini_entry *tsct_ini_find(const tsct_ini *ini, const char *section, const char *key);
/* Its value, or NULL. */
const char *tsct_ini_get(const tsct_ini *ini, const char *section, const char *key);
/* 1 when some entry is in section. */
int tsct_ini_has_section(const tsct_ini *ini, const char *section);

/* ---- typed values ------------------------------------------------------------------------
 * Each reads entry e of ini (the message names ini->path, e's line, section and key, the
 * value found and what is allowed). Errors: TSCT_ERR_VALUE. */

/* yes / no / true / false / on / off / 1 / 0 (case as written). */
tsct_status tsct_ini_value_bool(const tsct_ini *ini, const tsct_ini_entry *e, int *out,
                                tsct_error *err);
/* A whole number in [min, max]. */
tsct_status tsct_ini_value_int(const tsct_ini *ini, const tsct_ini_entry *e, int64_t min,
                               int64_t max, int64_t *out, tsct_error *err);
/* A finite number in [min, max]. */
tsct_status tsct_ini_value_double(const tsct_ini *ini, const tsct_ini_entry *e, double min,
                                  double max, double *out, tsct_error *err);
/* One of the NULL-terminated list allowed; *out is its index. */
tsct_status tsct_ini_value_enum(const tsct_ini *ini, const tsct_ini_entry *e,
                                const char *const *allowed, int *out, tsct_error *err);

/* An error about entry e (file, line, key) with a printf detail; returns status. For checks
 * the typed readers do not cover. */
tsct_status tsct_ini_error(const tsct_ini *ini, const tsct_ini_entry *e, tsct_status status,
                           tsct_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

#ifdef __cplusplus
}
#endif

#endif /* TSCT_INI_H */
