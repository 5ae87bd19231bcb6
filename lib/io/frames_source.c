/* frames_source.c - the list of frame sources of a tsct_frames (frames_internal.h): adding
 * one, freeing one. Shared by frames.c (image files, specs) and frames_h5.c (HDF5 stacks), so
 * that neither depends on the other for it. */
#include <stdlib.h>
#include <string.h>

#include "io/frames_internal.h"

char *tsct__frames_strdup(const char *s)
{
    size_t n = strlen(s ? s : "");
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, s ? s : "", n + 1);
    return d;
}

tsct__frames_source *tsct__frames_add(tsct_frames *f, int kind, const char *file,
                                      const char *dataset, const char *via, int64_t nframes)
{
    if (f->nsrc == f->cap) {
        int64_t cap = f->cap ? 2 * f->cap : 16;
        void *p = realloc(f->src, (size_t)cap * sizeof *f->src);
        if (!p)
            return NULL;
        f->src = p;
        f->cap = cap;
    }
    tsct__frames_source *s = &f->src[f->nsrc];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->file = tsct__frames_strdup(file);
    s->dataset = tsct__frames_strdup(dataset);
    s->via = tsct__frames_strdup(via);
    s->h5_dset = -1;
    if (!s->file || !s->dataset || !s->via) {
        free(s->file);
        free(s->dataset);
        free(s->via);
        return NULL;
    }
    s->nframes = nframes;
    s->step = 1;
    f->nsrc++;
    return s;
}

void tsct__frames_source_free(tsct__frames_source *s)
{
    free(s->file);
    free(s->dataset);
    free(s->via);
}

