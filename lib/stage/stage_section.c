/* stage_section.c - a section of a pipeline file (include/tsct/ini.h, docs/pipeline.md) into
 * a stage's params, through the stage's option table and setter (stage_options.c): what
 * `tsct run` does for every step, so that any front end reading a pipeline file fills the
 * same params, with the same checks and messages, and prints the same equivalent command
 * line.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsct/ini.h"
#include "tsct/stage.h"

void tsct_stage_path_resolve_embedded(const tsct_ini *c, const char *key, const char *w,
                                      char *buf, size_t size)
{
    snprintf(buf, size, "%s", w);
    const char *eq = strchr(w, '=');
    if (!eq || (strcmp(key, "ticks") != 0 && strcmp(key, "unmix") != 0))
        return;
    const char *file = eq + 1;
    if (strcmp(key, "unmix") == 0) {
        const char *colon = strchr(file, ':');
        if (!colon || (strncmp(file, "cif:", 4) != 0 && strncmp(file, "nano:", 5) != 0 &&
                       strncmp(file, "xy:", 3) != 0))
            return;
        file = colon + 1;
    }
    /* xy:FILE takes the rest; the others end at the next ':' */
    const size_t len = strncmp(eq + 1, "xy:", 3) == 0 ? strlen(file) : strcspn(file, ":");
    char name[PATH_MAX], cand[PATH_MAX];
    if (len == 0 || file[0] == '/' || len >= sizeof name)
        return;
    memcpy(name, file, len);
    name[len] = '\0';
    tsct_stage_path_resolve(c, name, cand, sizeof cand);
    if (strcmp(c->dir, ".") == 0 || access(cand, R_OK) != 0)
        return;
    int n = snprintf(buf, size, "%.*s%s%s", (int)(file - w), w, cand, file + len);
    if (n < 0 || (size_t)n >= size) /* too long to resolve: as written */
        snprintf(buf, size, "%s", w);
}

const char *tsct_stage_pipeline_keep(tsct_stage_pipeline_values *v, const char *text)
{
    if (v->n == v->cap) {
        int64_t cap = v->cap ? 2 * v->cap : 64;
        char **s = realloc(v->s, (size_t)cap * sizeof *s);
        if (!s)
            return NULL;
        v->s = s, v->cap = cap;
    }
    char *c = strdup(text);
    if (c)
        v->s[v->n++] = c;
    return c;
}

void tsct_stage_pipeline_values_release(tsct_stage_pipeline_values *v)
{
    for (int64_t i = 0; i < v->n; i++)
        free(v->s[i]);
    free(v->s);
    memset(v, 0, sizeof *v);
}

const char *tsct_stage_pipeline_file(const tsct_stage_pipeline_values *v, const char *name)
{
    for (int i = 0; i < v->nfiles; i++)
        if (strcmp(v->file_name[i], name) == 0)
            return v->file_path[i];
    return NULL;
}

void tsct_stage_line_add(char *line, size_t size, const char *word)
{
    size_t used = strlen(line);
    if (used + 1 < size)
        snprintf(line + used, size - used, " %s", word);
}

tsct_status tsct_stage_pipeline_section(const tsct_ini *c, const char *section,
                                        tsct_stage_id stage, void *params,
                                        tsct_stage_pipeline_values *values, char *line,
                                        size_t line_size, tsct_error *err)
{
    const char *command = tsct_stage_id_name(stage);
    for (int64_t i = 0; i < c->n; i++) {
        const tsct_ini_entry *e = &c->e[i];
        if (strcmp(e->section, section) != 0 || strcmp(e->key, "enabled") == 0)
            continue;
        const tsct_stage_option *o = tsct_stage_option_find(stage, e->key);
        if (!o)
            return tsct_error_set(err, TSCT_ERR_VALUE, c->path, e->key, e->line,
                                  "line %lld: [%s] %s: 'tsct %s' has no option --%s",
                                  (long long)e->line, section, e->key, command, e->key);
        if (strcmp(e->value, "no") == 0 || strcmp(e->value, "false") == 0)
            continue;
        char opt[96];
        snprintf(opt, sizeof opt, "--%s", e->key);
        tsct_stage_line_add(line, line_size, opt);
        const char *value = NULL;
        if (o->kind != TSCT_STAGE_OPTION_FLAG ||
            (strcmp(e->value, "yes") != 0 && strcmp(e->value, "true") != 0)) {
            /* Each word resolved as a path or for files inside it, as the command sees it. */
            char words[8192] = "", copy[2048];
            snprintf(copy, sizeof copy, "%s", e->value);
            for (char *save = NULL, *w = strtok_r(copy, " \t", &save); w;
                 w = strtok_r(NULL, " \t", &save)) {
                char path[PATH_MAX];
                if (o->path)
                    tsct_stage_path_resolve(c, w, path, sizeof path);
                else
                    tsct_stage_path_resolve_embedded(c, e->key, w, path, sizeof path);
                tsct_stage_line_add(line, line_size, path);
                size_t used = strlen(words);
                snprintf(words + used, sizeof words - used, "%s%s", used ? " " : "", path);
            }
            if (!(value = tsct_stage_pipeline_keep(values, words)))
                return tsct_error_set(err, TSCT_ERR_NOMEM, c->path, e->key, e->line, "value");
        }
        if (o->front) {
            if (values->nfiles == TSCT_STAGE_PIPELINE_FILES)
                return tsct_error_set(err, TSCT_ERR_VALUE, c->path, e->key, e->line,
                                      "line %lld: [%s] more than %d files", (long long)e->line,
                                      section, TSCT_STAGE_PIPELINE_FILES);
            values->file_name[values->nfiles] = o->name;
            values->file_path[values->nfiles++] = value;
            continue;
        }
        tsct_error why = TSCT_ERROR_INIT;
        if (tsct_stage_option_set(stage, params, e->key, value, &why) != TSCT_OK)
            return tsct_error_set(err, why.status, c->path, e->key, e->line,
                                  "line %lld: [%s] %s: %s", (long long)e->line, section, e->key,
                                  why.detail);
    }
    return TSCT_OK;
}
