/* status.c - status code names and the error context (see include/tsct/status.h).
 *
 * The message is rebuilt from its parts whenever one changes, so that callers can read either
 * the parts (file, item, index, detail) or the one-line form. */
#include <stdio.h>
#include <string.h>

#include "tsct/status.h"

static const char *const status_names[TSCT_STATUS_COUNT_] = {
    [TSCT_OK] = "success",
    [TSCT_ERR_NOMEM] = "out of memory",
    [TSCT_ERR_IO] = "input/output error",
    [TSCT_ERR_NOT_FOUND] = "not found",
    [TSCT_ERR_FORMAT] = "bad or corrupt file format",
    [TSCT_ERR_SHAPE] = "wrong shape",
    [TSCT_ERR_VALUE] = "invalid value",
    [TSCT_ERR_UNSUPPORTED] = "not supported",
    [TSCT_ERR_EXISTS] = "already exists",
    [TSCT_ERR_STATE] = "operation out of order",
    [TSCT_ERR_INTERNAL] = "internal error",
    [TSCT_NOT_CONVERGED] = "not converged",
};

const char *tsct_strerror(tsct_status status)
{
    if ((int)status < 0 || status >= TSCT_STATUS_COUNT_ || !status_names[status])
        return "unknown status";
    return status_names[status];
}

void tsct_error_clear(tsct_error *err)
{
    if (!err)
        return;
    err->status = TSCT_OK;
    err->file[0] = err->item[0] = err->detail[0] = err->message[0] = '\0';
    err->index = -1;
}

static void copy_str(char *dst, size_t size, const char *src)
{
    if (!src) {
        dst[0] = '\0';
        return;
    }
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len = s[0] >= 0xF0 && s[0] <= 0xF4   ? 4
                 : s[0] >= 0xE0                 ? 3
                 : s[0] >= 0xC2 && s[0] <= 0xDF ? 2
                                                : 0;
    if (len == 0 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

/* The message is one line of text whatever the file held: control bytes and bytes that are
 * not UTF-8 (a binary key, a newline inside a value) are written as escapes. */
void tsct_text_printable(char *msg, size_t size)
{
    char out[8192];
    size_t o = 0, n = strlen(msg);
    const unsigned char *s = (const unsigned char *)msg;
    for (size_t i = 0; i < n && o + 5 < sizeof out && o + 5 < size;) {
        size_t u = s[i] >= 0x80 ? utf8_len(s + i, n - i) : 0;
        if (u) {
            memcpy(out + o, s + i, u);
            o += u;
            i += u;
        } else if (s[i] < 0x20 || s[i] == 0x7f || s[i] >= 0x80) {
            const char *esc = s[i] == '\n'   ? "\\n"
                              : s[i] == '\t' ? "\\t"
                              : s[i] == '\r' ? "\\r"
                                             : NULL;
            if (esc) {
                memcpy(out + o, esc, 2);
                o += 2;
            } else {
                o += (size_t)snprintf(out + o, sizeof out - o, "\\x%02x", s[i]);
            }
            i++;
        } else {
            out[o++] = (char)s[i++];
        }
    }
    out[o] = '\0';
    memcpy(msg, out, o + 1);
}

static void build_message(tsct_error *err)
{
    char where[sizeof err->item + 32] = "";
    if (err->item[0] && err->index >= 0)
        snprintf(where, sizeof where, "%s[%lld]", err->item, (long long)err->index);
    else if (err->item[0])
        snprintf(where, sizeof where, "%s", err->item);
    else if (err->index >= 0)
        snprintf(where, sizeof where, "index %lld", (long long)err->index);

    const char *detail = err->detail[0] ? err->detail : tsct_strerror(err->status);
    if (err->file[0] && where[0])
        snprintf(err->message, sizeof err->message, "%s: %s: %s", err->file, where, detail);
    else if (err->file[0])
        snprintf(err->message, sizeof err->message, "%s: %s", err->file, detail);
    else if (where[0])
        snprintf(err->message, sizeof err->message, "%s: %s", where, detail);
    else
        snprintf(err->message, sizeof err->message, "%s", detail);
    tsct_text_printable(err->message, sizeof err->message);
}

tsct_status tsct_error_setv(tsct_error *err, tsct_status status, const char *file,
                            const char *item, int64_t index, const char *fmt, va_list ap)
{
    if (!err || status == TSCT_OK || err->status != TSCT_OK)
        return status;
    err->status = status;
    copy_str(err->file, sizeof err->file, file);
    copy_str(err->item, sizeof err->item, item);
    err->index = index;
    if (fmt)
        vsnprintf(err->detail, sizeof err->detail, fmt, ap);
    else
        err->detail[0] = '\0';
    build_message(err);
    return status;
}

tsct_status tsct_error_set(tsct_error *err, tsct_status status, const char *file,
                           const char *item, int64_t index, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tsct_status st = tsct_error_setv(err, status, file, item, index, fmt, ap);
    va_end(ap);
    return st;
}

void tsct_error_set_file(tsct_error *err, const char *file)
{
    if (!err || err->status == TSCT_OK || err->file[0] || !file)
        return;
    copy_str(err->file, sizeof err->file, file);
    build_message(err);
}
