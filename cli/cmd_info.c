/* cmd_info.c - `tsct info FILE.h5`: a human summary of an experiment container.
 *
 * What a user wants to see before deciding what to run next: the geometry and scan axes,
 * which stages exist and their shapes, which steps are complete (when, how long, with which
 * command), and which were interrupted and will resume. -v lists every object with its
 * attributes, as h5dump would but shorter.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tsct/array.h"
#include "tsct/container.h"
#include "tsct/publish.h"

const char tsct_usage_info[] =
    "usage: tsct info [-v] FILE.h5\n"
    "\n"
    "Summarise a tsct experiment container: detector geometry, scan axes, every stage present\n"
    "with its shape, the steps that made them (version, command, times) and any interrupted\n"
    "step that will resume when run again. With -v, list every group and dataset with its\n"
    "attributes. Exits 1 with a message naming the file if it is missing, not HDF5,\n"
    "truncated or not a tsct container.\n";

struct info_ctx {
    tsct_container *c;
    const char *prefix;  /* only objects directly below this group */
    int count;
};

static const char *leaf(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* 1 if path is a direct child of group (group without trailing slash). */
static int is_child(const char *group, const char *path)
{
    size_t n = strlen(group);
    return strncmp(path, group, n) == 0 && path[n] == '/' && !strchr(path + n + 1, '/');
}

static void print_geometry(tsct_container *c)
{
    tsct_poni g;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_status st = tsct_container_read_geometry(c, &g, &err);
    if (st == TSCT_ERR_NOT_FOUND && !tsct_container_exists(c, TSCT_PATH_GEOMETRY)) {
        printf("geometry: none recorded\n");
        return;
    }
    if (st != TSCT_OK) {
        printf("geometry: unreadable (%s)\n", err.message);
        return;
    }
    printf("geometry: %s, %lld x %lld pixels of %.1f x %.1f um\n", g.detector,
           (long long)g.shape[0], (long long)g.shape[1], g.pixel1 * 1e6, g.pixel2 * 1e6);
    double kev = g.wavelength > 0 ? 12.398419843320026 / (g.wavelength * 1e10) : 0;
    printf("  distance %.3f mm, PONI %.3f, %.3f mm, rotations %.6g %.6g %.6g rad\n",
           g.dist * 1e3, g.poni1 * 1e3, g.poni2 * 1e3, g.rot1, g.rot2, g.rot3);
    printf("  wavelength %.6f A (%.2f keV)\n", g.wavelength * 1e10, kev);
}

static void print_axis(tsct_container *c, const char *path, const char *label)
{
    double *v = NULL;
    int64_t n = 0;
    if (tsct_container_read_vector(c, path, &v, &n, NULL) != TSCT_OK)
        return;
    char units[64] = "";
    tsct_container_get_attr_string(c, path, "units", units, sizeof units, NULL);
    if (n > 0)
        printf("  %-12s %7lld points  %g .. %g %s\n", label, (long long)n, v[0], v[n - 1],
               units);
    else
        printf("  %-12s empty\n", label);
    free(v);
}

static void print_scan(tsct_container *c)
{
    if (!tsct_container_exists(c, TSCT_PATH_SCAN)) {
        printf("scan: none recorded\n");
        return;
    }
    printf("scan:\n");
    static const char *axes[] = {"angle", "translation", "z", "time"};
    for (int i = 0; i < 4; i++) {
        char path[64];
        snprintf(path, sizeof path, "%s/%s", TSCT_PATH_SCAN, axes[i]);
        print_axis(c, path, axes[i]);
    }
    int64_t zigzag = 0;
    char fast[64] = "";
    if (tsct_container_get_attr_int(c, TSCT_PATH_SCAN, "zigzag", &zigzag, NULL) == TSCT_OK)
        printf("  zigzag       %s\n", zigzag ? "yes" : "no");
    if (tsct_container_get_attr_string(c, TSCT_PATH_SCAN, "fast_axis", fast, sizeof fast,
                                       NULL) == TSCT_OK)
        printf("  fast axis    %s\n", fast);
}

static int print_child_dataset(void *user, const tsct_object_info *info)
{
    struct info_ctx *x = user;
    if (info->is_group || !is_child(x->prefix, info->path))
        return 0;
    char shape[128];
    tsct_shape_format(shape, sizeof shape, info->ndim, info->shape);
    printf("    %-14s %-28s %-8s %s\n", leaf(info->path), shape, info->dtype, info->filters);
    x->count++;
    return 0;
}

static void print_group(tsct_container *c, const char *group, const char *title)
{
    if (!tsct_container_exists(c, group))
        return;
    printf("  %s (%s)\n", title, group);
    struct info_ctx x = {c, group, 0};
    tsct_container_walk(c, group, print_child_dataset, &x, NULL);
    if (!x.count)
        printf("    (empty)\n");
}

static int print_fit(void *user, const tsct_object_info *info)
{
    struct info_ctx *x = user;
    if (!info->is_group || !is_child(TSCT_PATH_FITS, info->path))
        return 0;
    print_group(x->c, info->path, "fit");
    return 0;
}

static void print_stages(tsct_container *c)
{
    static const char *stages[][2] = {
        {"/entry/integrated", "integrated  [nt][nz][na][ns][nq]"},
        {"/entry/sinograms", "sinograms   [nt][nz][na][ns][nq]"},
        {"/entry/recon", "recon       [nt][nz][ny][nx][nq]"},
        {"/entry/pdf", "pdf         [nt][nz][ny][nx][nr]"},
        {TSCT_PATH_MAPS, "maps        [nt][nz][ny][nx]"},
    };
    printf("stages:\n");
    int any = 0;
    for (size_t i = 0; i < sizeof stages / sizeof stages[0]; i++) {
        if (tsct_container_exists(c, stages[i][0])) {
            print_group(c, stages[i][0], stages[i][1]);
            any = 1;
        }
    }
    if (tsct_container_exists(c, TSCT_PATH_FITS)) {
        struct info_ctx x = {c, TSCT_PATH_FITS, 0};
        tsct_container_walk(c, TSCT_PATH_FITS, print_fit, &x, NULL);
        any = 1;
    }
    if (!any)
        printf("  (none yet)\n");
}

static int print_process(void *user, const tsct_object_info *info)
{
    struct info_ctx *x = user;
    if (!info->is_group || !is_child(TSCT_PATH_PROCESS, info->path))
        return 0;
    char status[32] = "?", end[64] = "", wall[32] = "", version[32] = "", command[2048] = "",
         resumed[8] = "";
    tsct_container_get_attr_string(x->c, info->path, "status", status, sizeof status, NULL);
    tsct_container_get_attr_string(x->c, info->path, "end_time", end, sizeof end, NULL);
    tsct_container_get_attr_string(x->c, info->path, "wall_time_s", wall, sizeof wall, NULL);
    tsct_container_get_attr_string(x->c, info->path, "version", version, sizeof version, NULL);
    tsct_container_get_attr_string(x->c, info->path, "command", command, sizeof command, NULL);
    tsct_container_get_attr_string(x->c, info->path, "resumed", resumed, sizeof resumed, NULL);
    printf("  %-12s %-9s %s  %8ss  tsct %s%s\n", leaf(info->path), status, end, wall, version,
           strcmp(resumed, "yes") == 0 ? "  (resumed)" : "");
    if (command[0])
        printf("  %-12s %s\n", "", command);
    x->count++;
    return 0;
}

/* Interrupted steps leave FILE.h5.STEP.partial beside the container. */
static void print_partial_steps(const char *path)
{
    char dir[TSCT_PATH_MAX];
    const char *base = leaf(path);
    if (base == path) {
        snprintf(dir, sizeof dir, ".");
    } else {
        size_t n = (size_t)(base - path);
        snprintf(dir, sizeof dir, "%.*s", (int)n, path);
    }
    DIR *d = opendir(dir);
    if (!d)
        return;
    size_t blen = strlen(base);
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *name = e->d_name;
        size_t len = strlen(name);
        static const char suffix[] = ".partial";
        size_t slen = sizeof suffix - 1;
        if (len <= blen + 1 + slen || strncmp(name, base, blen) != 0 || name[blen] != '.' ||
            strcmp(name + len - slen, suffix) != 0)
            continue;
        char step[256];
        snprintf(step, sizeof step, "%.*s", (int)(len - blen - 1 - slen), name + blen + 1);
        if (strchr(step, '.'))
            continue;
        char work[TSCT_PATH_MAX + 256];
        snprintf(work, sizeof work, "%s/%s", dir, name);
        if (!count++)
            printf("interrupted steps (run them again to resume):\n");
        tsct_container *w = NULL;
        tsct_error err = TSCT_ERROR_INIT;
        tsct_cli_guard_file(work);
        if (tsct_h5file_open(work, TSCT_OPEN_READ, &w, &err) != TSCT_OK) {
            printf("  %-12s %s: unreadable, will restart (%s)\n", step, work, err.detail);
            continue;
        }
        int64_t nunits = 0;
        double *done = NULL;
        int64_t n = 0, ndone = 0;
        tsct_container_get_attr_int(w, "/", "nunits", &nunits, NULL);
        if (tsct_container_read_vector(w, "/tsct_done", &done, &n, NULL) == TSCT_OK)
            for (int64_t i = 0; i < n; i++)
                ndone += done[i] != 0;
        free(done);
        tsct_container_close(w, NULL);
        printf("  %-12s %lld of %lld units done  (%s)\n", step, (long long)ndone,
               (long long)nunits, work);
    }
    closedir(d);
}

static int print_attr(void *user, const char *name, const char *value)
{
    (void)user;
    /* Values come from the file: keep control bytes of a corrupt one off the terminal. */
    char clean[4096];
    size_t n = 0;
    for (const char *p = value; *p && n < sizeof clean - 1; p++)
        clean[n++] = (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p;
    clean[n] = '\0';
    printf("      @%s = %s\n", name, clean);
    return 0;
}

static int print_object(void *user, const tsct_object_info *info)
{
    struct info_ctx *x = user;
    char shape[128] = "", chunk[128] = "";
    if (!info->is_group) {
        tsct_shape_format(shape, sizeof shape, info->ndim, info->shape);
        if (info->chunk[0])
            tsct_shape_format(chunk, sizeof chunk, info->ndim, info->chunk);
    }
    printf("  %s%s  %s %s%s%s%s%s\n", info->path, info->is_group ? "/" : "", shape, info->dtype,
           info->filters[0] ? "  " : "", info->filters, chunk[0] ? "  chunks " : "", chunk);
    tsct_container_attrs(x->c, info->path, print_attr, NULL, NULL);
    return 0;
}

int tsct_cmd_info(tsct_cli *cli, int argc, char **argv)
{
    if (argc != 2)
        return tsct_cli_usage_error(cli, argc < 2 ? "missing FILE.h5" : "one file at a time");
    const char *path = argv[1];
    tsct_error err = TSCT_ERROR_INIT;
    tsct_container *c = NULL;
    tsct_cli_guard_file(path);
    if (tsct_container_open(path, TSCT_OPEN_READ, &c, &err) != TSCT_OK)
        return tsct_cli_fail(cli, &err);

    char format[32] = "", creator[64] = "", created[64] = "";
    tsct_container_get_attr_string(c, "/entry", "tsct_format", format, sizeof format, NULL);
    tsct_container_get_attr_string(c, "/", "creator", creator, sizeof creator, NULL);
    tsct_container_get_attr_string(c, "/", "file_time", created, sizeof created, NULL);
    printf("%s: tsct container, format %s, created %s by %s\n", path, format, created, creator);
    print_geometry(c);
    print_scan(c);
    print_stages(c);
    if (tsct_container_exists(c, TSCT_PATH_PROCESS)) {
        printf("steps done:\n");
        struct info_ctx x = {c, TSCT_PATH_PROCESS, 0};
        tsct_container_walk(c, TSCT_PATH_PROCESS, print_process, &x, NULL);
    }
    print_partial_steps(path);
    tsct_cli_guard_file(path);
    if (cli->verbosity >= 1) {
        printf("all objects:\n");
        struct info_ctx x = {c, "/", 0};
        tsct_status st = tsct_container_walk(c, "/", print_object, &x, &err);
        if (st != TSCT_OK) {
            tsct_container_close(c, NULL);
            return tsct_cli_fail(cli, &err);
        }
    }
    tsct_container_close(c, NULL);
    return TSCT_EXIT_OK;
}
