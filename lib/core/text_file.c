/* text_file.c - a whole text file into memory (tsct__read_text, core_internal.h): the readers
 * of CIF, XYZ and electrochemistry tables share it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "tsct/publish.h"

tsct_status tsct__read_text(const char *path, char **out, size_t *size, tsct_error *err)
{
    *out = NULL;
    tsct_publish_note_input(path);
    FILE *f = fopen(path, "rb");
    if (!f)
        return tsct_error_set(err, errno == ENOENT ? TSCT_ERR_NOT_FOUND : TSCT_ERR_IO, path,
                              NULL, -1, "cannot open: %s", strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    int failed = 0;
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap) {
            failed = ferror(f);
            break;
        }
        char *grown = realloc(buf, 2 * cap + 1);
        if (!grown) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = grown;
        cap *= 2;
    }
    fclose(f);
    if (!buf)
        return tsct_error_set(err, TSCT_ERR_NOMEM, path, NULL, -1,
                              "out of memory reading the file");
    if (failed) {
        free(buf);
        return tsct_error_set(err, TSCT_ERR_IO, path, NULL, -1, "read failed");
    }
    buf[n] = '\0';
    *out = buf;
    *size = n;
    return TSCT_OK;
}
