/* nexus.c - the NeXus attributes that viewers (silx view, NeXpy, h5web) need to plot a
 * container without tsct (docs/FORMAT.md, "NeXus").
 *
 * Design: the labels are derived from what the container holds, in one pass made when a
 * container opened for writing is closed, so no stage writes them and a container written by
 * any stage (or by an earlier version of tsct) is labelled the same way. For every group of
 * the layout that holds a plottable result the pass sets NX_class = NXdata, @signal, @axes
 * (one name per dimension, "." where no axis is known), @auxiliary_signals (other datasets of
 * the signal's shape) and @AXIS_indices. NeXus wants an NXdata's axes inside the group: where
 * an axis lives elsewhere (/entry/scan/angle for the integrated cube, /entry/recon/x for a
 * map) the group gets a soft link to it under the axis' name. Links are aliases only: they
 * cost no space, always show the current axis, are dropped again when the axis no longer
 * fits, and tsct_container_walk() does not list them, so no tsct reader sees them. Axis
 * datasets get a long_name "NAME (UNITS)" from their units. /entry@default names the most
 * useful result, and every other group without a class becomes an NXcollection.
 *
 * Everything is written only when it differs from what is there, so closing an up-to-date
 * container changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5_internal.h"

/* ---- small helpers (caller holds the HDF5 lock) ----------------------------------------- */

/* Shape of the dataset at path (hard or soft link), or -1 when there is none. */
static int dataset_shape(hid_t file, const char *path, hsize_t *dims)
{
    if (!tsct__h5_exists(file, path))
        return -1;
    hid_t o = H5Oopen(file, path, H5P_DEFAULT);
    if (o < 0) {
        H5Eclear2(H5E_DEFAULT);
        return -1;
    }
    int nd = -1;
    if (H5Iget_type(o) == H5I_DATASET) {
        hid_t s = H5Dget_space(o);
        nd = tsct__h5_extent(s, dims, NULL, 8);
        H5Sclose(s);
    }
    H5Oclose(o);
    H5Eclear2(H5E_DEFAULT);
    return nd;
}

/* 1 if the link at path exists and is a soft link. */
static int is_soft_link(hid_t file, const char *path)
{
    H5L_info_t li;
    if (H5Lexists(file, path, H5P_DEFAULT) <= 0 || H5Lget_info(file, path, &li, H5P_DEFAULT) < 0) {
        H5Eclear2(H5E_DEFAULT);
        return 0;
    }
    return li.type == H5L_TYPE_SOFT;
}

/* Make path a soft link to target (nothing to do when it already is one). */
static int ensure_link(hid_t file, const char *path, const char *target)
{
    if (is_soft_link(file, path)) {
        char old[1024] = "";
        if (H5Lget_val(file, path, old, sizeof old, H5P_DEFAULT) >= 0 &&
            strcmp(old, target) == 0)
            return 0;
        if (H5Ldelete(file, path, H5P_DEFAULT) < 0)
            return -1;
    }
    return H5Lcreate_soft(target, file, path, H5P_DEFAULT, H5P_DEFAULT) < 0 ? -1 : 0;
}

/* Remove path if it is one of our soft links. */
static int drop_link(hid_t file, const char *path)
{
    if (is_soft_link(file, path) && H5Ldelete(file, path, H5P_DEFAULT) < 0)
        return -1;
    return 0;
}

/* Set a string attribute unless it already holds that value. */
static int set_string(hid_t obj, const char *name, const char *value)
{
    char old[1024];
    if (tsct__h5_get_attr_string(obj, name, old, sizeof old) == 0 && strcmp(old, value) == 0)
        return 0;
    H5Eclear2(H5E_DEFAULT);
    return tsct__h5_set_attr_string(obj, name, value);
}

/* Set an int64 attribute unless it already holds that value. */
static int set_i64(hid_t obj, const char *name, int64_t value)
{
    int64_t old = 0;
    if (tsct__h5_get_attr_i64(obj, name, &old) == 0 && old == value)
        return 0;
    H5Eclear2(H5E_DEFAULT);
    if (H5Aexists(obj, name) > 0 && H5Adelete(obj, name) < 0)
        return -1;
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a >= 0 && H5Awrite(a, H5T_NATIVE_INT64, &value) >= 0 ? 0 : -1;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    return rc;
}

/* The values of a 1-D string attribute joined by '\n' into buf ("" when missing or not a
 * string array): for comparing with what is to be written. */
static void get_strings(hid_t obj, const char *name, char *buf, size_t size)
{
    buf[0] = '\0';
    if (H5Aexists(obj, name) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return;
    }
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t t = a >= 0 ? H5Aget_type(a) : -1;
    hid_t s = a >= 0 ? H5Aget_space(a) : -1;
    hssize_t n = s >= 0 ? H5Sget_simple_extent_npoints(s) : 0;
    if (t >= 0 && H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) == 0 &&
        H5Sget_simple_extent_ndims(s) == 1 && n > 0 && n <= 16) {
        size_t len = H5Tget_size(t);
        char *raw = calloc((size_t)n, len + 1);
        if (raw && H5Aread(a, t, raw) >= 0) {
            size_t used = 0;
            for (hssize_t i = 0; i < n && used < size; i++) {
                used += (size_t)snprintf(buf + used, size - used, "%s%.*s", i ? "\n" : "",
                                         (int)len, raw + (size_t)i * len);
            }
        }
        free(raw);
    }
    if (s >= 0)
        H5Sclose(s);
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    H5Eclear2(H5E_DEFAULT);
}

/* Write a 1-D array of fixed-length strings (what NeXus' @axes and @auxiliary_signals are),
 * unless it already holds these values. n = 0 removes the attribute. */
static int set_strings(hid_t obj, const char *name, const char *const *v, int n)
{
    char want[4096] = "", have[4096];
    size_t used = 0, len = 1;
    for (int i = 0; i < n; i++) {
        used += (size_t)snprintf(want + used, sizeof want - used, "%s%s", i ? "\n" : "", v[i]);
        if (strlen(v[i]) > len)
            len = strlen(v[i]);
        if (used >= sizeof want)
            return -1;
    }
    get_strings(obj, name, have, sizeof have);
    if (n > 0 && strcmp(want, have) == 0)
        return 0;
    if (H5Aexists(obj, name) > 0 && H5Adelete(obj, name) < 0)
        return -1;
    H5Eclear2(H5E_DEFAULT);
    if (n == 0)
        return 0;
    char *raw = calloc((size_t)n, len);
    if (!raw)
        return -1;
    for (int i = 0; i < n; i++)
        memcpy(raw + (size_t)i * len, v[i], strlen(v[i]));
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, len);
    H5Tset_strpad(t, H5T_STR_NULLPAD);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hsize_t dims[1] = {(hsize_t)n};
    hid_t s = H5Screate_simple(1, dims, NULL);
    hid_t a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a >= 0 && H5Awrite(a, t, raw) >= 0 ? 0 : -1;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
    free(raw);
    return rc;
}

/* On the object at path: a string attribute, unless it is there already (keep = 1: any value
 * counts, a writer's own word wins) or holds this value. */
static int label_object(hid_t file, const char *path, const char *name, const char *value,
                        int keep)
{
    hid_t o = H5Oopen(file, path, H5P_DEFAULT);
    if (o < 0) {
        H5Eclear2(H5E_DEFAULT);
        return 0;
    }
    int rc = 0;
    if (!(keep && H5Aexists(o, name) > 0))
        rc = set_string(o, name, value);
    H5Eclear2(H5E_DEFAULT);
    H5Oclose(o);
    return rc;
}

tsct_status tsct_container_link(tsct_container *c, const char *path, const char *target,
                                tsct_error *err)
{
    if (!c->writable)
        return tsct_error_set(err, TSCT_ERR_STATE, c->path, path, -1,
                              "the file was opened read-only");
    TSCT__H5_LOCK();
    tsct_status st = TSCT_OK;
    if (H5Lexists(c->file, path, H5P_DEFAULT) > 0 && !is_soft_link(c->file, path))
        st = tsct_error_set(err, TSCT_ERR_EXISTS, c->path, path, -1,
                            "an object exists here, expected nothing or a link");
    else if (tsct__h5_ensure_groups(c->file, path, 0) < 0 || ensure_link(c->file, path, target) < 0)
        st = tsct__h5_fail(err, TSCT_ERR_IO, c, path, "cannot link to %s", target);
    H5Eclear2(H5E_DEFAULT);
    TSCT__H5_UNLOCK();
    return st;
}

/* ---- NXdata groups ----------------------------------------------------------------------- */

/* An axis a dimension may take: its name in the group and where it lives when it is not a
 * dataset of the group (NULL: only in the group). */
struct axis {
    const char *name;
    const char *target;
};

#define AX_TIME {"time", TSCT_PATH_SCAN "/time"}
#define AX_Z {"z", TSCT_PATH_SCAN "/z"}
#define AX_Y {"y", TSCT_PATH_RECON_Y}
#define AX_X {"x", TSCT_PATH_RECON_X}

/* An NXdata group of the layout: its signal (the first of `signals` that exists; "*": the
 * first dataset of the group in name order, for maps), the axes of each dimension and the
 * datasets that may stand beside the signal as auxiliary signals ("*": every other dataset of
 * the signal's shape). */
static const struct nxdata_rule {
    const char *group;
    const char *signals[3];
    const char *long_name;     /* the signal's, unless its writer gave one */
    const char *units;         /* the signal's, unless its writer gave them (NULL: none) */
    int rank;                  /* the signal's */
    struct axis axes[5];
    const char *aux[3];
} nxdata_rules[] = {
    {"/entry/integrated", {"data"}, "integrated intensity (arbitrary units)", NULL, 5,
     {AX_TIME, AX_Z, {"angle", TSCT_PATH_SCAN "/angle"},
      {"translation", TSCT_PATH_SCAN "/translation"}, {"q", NULL}}, {NULL}},
    {"/entry/sinograms", {"data"}, "sinogram intensity (arbitrary units)", NULL, 5,
     {AX_TIME, AX_Z, {"angle", TSCT_PATH_SCAN "/angle"},
      {"translation", TSCT_PATH_SCAN "/translation"}, {"q", NULL}}, {NULL}},
    {"/entry/recon", {"data"}, "intensity per voxel (arbitrary units)", NULL, 5,
     {AX_TIME, AX_Z, AX_Y, AX_X, {"q", NULL}}, {NULL}},
    {"/entry/pdf", {"G"}, "G(r) (A^-2)", "A^-2", 5,
     {AX_TIME, AX_Z, AX_Y, AX_X, {"r", NULL}}, {"dpdf"}},
    {"/entry/maps", {"*"}, NULL, NULL, 4, {AX_TIME, AX_Z, AX_Y, AX_X}, {"*"}},
    {"/entry/fits/*", {"rwp"}, "R_wp", NULL, 4, {AX_TIME, AX_Z, AX_Y, AX_X},
     {"redchi2", "status"}},
    {"/entry/regions/*", {"pattern", "pdf"}, NULL, NULL, 2,
     {AX_TIME, {"q", TSCT_PATH_RECON_Q}}, {NULL}},
    {"/entry/image", {"data"}, "reconstructed image", NULL, 0,
     {{"y", NULL}, {"x", NULL}, {"channel", NULL}}, {NULL}},
    {TSCT_PATH_ECHEM, {"voltage"}, "voltage (V)", NULL, 1, {{"time", NULL}},
     {"current", "capacity"}},
};

/* The regions' pdf is plotted against r, not q. */
static struct axis region_axis(const char *signal, int dim, const struct axis *axes)
{
    if (dim == 1 && strcmp(signal, "pdf") == 0)
        return (struct axis){"r", NULL};
    return axes[dim];
}

struct names {
    char v[64][128];
    int n;
};

static herr_t list_cb(hid_t g, const char *name, const H5L_info_t *li, void *data)
{
    (void)g;
    struct names *l = data;
    if (li->type == H5L_TYPE_HARD && l->n < 64 && strlen(name) < sizeof l->v[0])
        snprintf(l->v[l->n++], sizeof l->v[0], "%s", name);
    return 0;
}

/* The hard links directly below group path, in name order (at most 64). */
static void list_children(hid_t file, const char *path, struct names *l)
{
    l->n = 0;
    hid_t g = H5Gopen2(file, path, H5P_DEFAULT);
    if (g < 0) {
        H5Eclear2(H5E_DEFAULT);
        return;
    }
    H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, list_cb, l);
    H5Gclose(g);
    H5Eclear2(H5E_DEFAULT);
}

static int same_shape(int na, const hsize_t *a, int nb, const hsize_t *b)
{
    if (na != nb)
        return 0;
    for (int i = 0; i < na; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

/* Give an axis dataset its long_name "NAME (UNITS)" unless it has one. */
static int label_axis(hid_t file, const char *path, const char *name)
{
    hid_t d = H5Oopen(file, path, H5P_DEFAULT);
    if (d < 0) {
        H5Eclear2(H5E_DEFAULT);
        return 0;
    }
    char units[128] = "", text[256];
    int rc = 0;
    if (tsct__h5_get_attr_string(d, "units", units, sizeof units) == 0 && units[0] &&
        H5Aexists(d, "long_name") <= 0) {
        snprintf(text, sizeof text, "%s (%s)", name, units);
        rc = tsct__h5_set_attr_string(d, "long_name", text);
    }
    H5Eclear2(H5E_DEFAULT);
    H5Oclose(d);
    return rc;
}

/* Label one NXdata group; *plotted = 1 when it got a signal. */
static int label_nxdata(hid_t file, const struct nxdata_rule *r, const char *gpath, int *plotted)
{
    *plotted = 0;
    char path[1024], signal[128] = "";
    hsize_t sh[8] = {0}, ash[8];
    int nd = -1;
    struct names kids;
    list_children(file, gpath, &kids);
    for (int i = 0; i < 3 && r->signals[i] && nd < 0; i++) {
        for (int k = 0; k < kids.n && nd < 0; k++) {
            if (strcmp(r->signals[i], "*") != 0 && strcmp(r->signals[i], kids.v[k]) != 0)
                continue;
            snprintf(path, sizeof path, "%s/%s", gpath, kids.v[k]);
            int n = dataset_shape(file, path, sh);
            if (n >= 1 && (r->rank == 0 || n == r->rank)) {
                nd = n;
                snprintf(signal, sizeof signal, "%s", kids.v[k]);
            }
        }
    }
    hid_t g = H5Gopen2(file, gpath, H5P_DEFAULT);
    if (g < 0) {
        H5Eclear2(H5E_DEFAULT);
        return 0;
    }
    int rc = 0;
    if (nd < 0) {
        /* Nothing to plot (yet): a plain collection. */
        rc = set_string(g, "NX_class", "NXcollection");
        H5Gclose(g);
        return rc;
    }
    const char *axes[8];
    int naxes = nd > 5 ? 5 : nd;
    for (int i = 0; i < naxes && rc == 0; i++) {
        const struct axis a = region_axis(signal, i, r->axes);
        axes[i] = ".";
        if (!a.name)
            continue;
        snprintf(path, sizeof path, "%s/%s", gpath, a.name);
        int own = !is_soft_link(file, path) && H5Lexists(file, path, H5P_DEFAULT) > 0;
        H5Eclear2(H5E_DEFAULT);
        const char *where = own || !a.target ? path : a.target;
        int an = dataset_shape(file, where, ash);
        int fits = an == 1 && ash[0] == sh[i];
        if (fits && !own)
            rc = ensure_link(file, path, a.target);
        else if (!fits && !own)
            rc = drop_link(file, path);
        if (rc == 0 && fits) {
            axes[i] = a.name;
            rc = label_axis(file, where, a.name);
            if (rc == 0) {
                char idx[160];
                snprintf(idx, sizeof idx, "%s_indices", a.name);
                rc = set_i64(g, idx, i);
            }
        }
    }
    /* Auxiliary signals: datasets of the signal's shape. */
    const char *aux[16];
    int naux = 0;
    for (int k = 0; k < kids.n && naux < 16; k++) {
        int listed = 0;
        for (int i = 0; i < 3 && r->aux[i]; i++)
            listed |= strcmp(r->aux[i], "*") == 0 || strcmp(r->aux[i], kids.v[k]) == 0;
        if (!listed || strcmp(kids.v[k], signal) == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", gpath, kids.v[k]);
        int an = dataset_shape(file, path, ash);
        if (same_shape(an, ash, nd, sh))
            aux[naux++] = kids.v[k];
    }
    if (rc == 0)
        rc = set_string(g, "NX_class", "NXdata");
    if (rc == 0)
        rc = set_string(g, "signal", signal);
    if (rc == 0)
        rc = set_strings(g, "axes", axes, naxes);
    if (rc == 0)
        rc = set_strings(g, "auxiliary_signals", aux, naux);
    H5Gclose(g);
    snprintf(path, sizeof path, "%s/%s", gpath, signal);
    if (rc == 0 && r->long_name)
        rc = label_object(file, path, "long_name", r->long_name, 1);
    if (rc == 0 && r->units)
        rc = label_object(file, path, "units", r->units, 1);
    *plotted = rc == 0;
    return rc;
}

/* ---- every group a class ----------------------------------------------------------------- */

static herr_t class_cb(hid_t obj, const char *name, const H5O_info_t *info, void *data)
{
    int *rc = data;
    if (info->type != H5O_TYPE_GROUP || strcmp(name, ".") == 0 || *rc != 0)
        return 0;
    hid_t g = H5Gopen2(obj, name, H5P_DEFAULT);
    if (g < 0) {
        H5Eclear2(H5E_DEFAULT);
        return 0;
    }
    if (H5Aexists(g, "NX_class") <= 0)
        *rc = tsct__h5_set_attr_string(g, "NX_class", "NXcollection");
    H5Eclear2(H5E_DEFAULT);
    H5Gclose(g);
    return 0;
}

/* ---- the pass ------------------------------------------------------------------------------ */

/* Most useful first: what /entry@default names when it holds a signal. */
static const char *const default_order[] = {"maps", "recon", "image", "pdf", "sinograms",
                                            "integrated", "echem"};

tsct_status tsct__nexus_label(tsct_container *c, tsct_error *err)
{
    hid_t f = c->file;
    if (!tsct__h5_exists(f, "/entry"))
        return TSCT_OK;
    int rc = 0;
    char plotted[sizeof default_order / sizeof default_order[0]] = {0};
    char first_region[160] = "";
    for (size_t i = 0; i < sizeof nxdata_rules / sizeof nxdata_rules[0] && rc == 0; i++) {
        const struct nxdata_rule *r = &nxdata_rules[i];
        const char *star = strchr(r->group, '*');
        if (!star) {
            if (!tsct__h5_exists(f, r->group))
                continue;
            int p = 0;
            rc = label_nxdata(f, r, r->group, &p);
            for (size_t k = 0; k < sizeof default_order / sizeof default_order[0]; k++)
                if (p && strcmp(r->group + strlen("/entry/"), default_order[k]) == 0)
                    plotted[k] = 1;
            continue;
        }
        /* A pattern like /entry/fits/NAME: every group below the parent. */
        char parent[256];
        snprintf(parent, sizeof parent, "%.*s", (int)(star - r->group - 1), r->group);
        if (!tsct__h5_exists(f, parent))
            continue;
        struct names kids;
        list_children(f, parent, &kids);
        for (int k = 0; k < kids.n && rc == 0; k++) {
            char gpath[512];
            snprintf(gpath, sizeof gpath, "%s/%s", parent, kids.v[k]);
            hid_t o = H5Oopen(f, gpath, H5P_DEFAULT);
            int is_group = o >= 0 && H5Iget_type(o) == H5I_GROUP;
            if (o >= 0)
                H5Oclose(o);
            H5Eclear2(H5E_DEFAULT);
            int p = 0;
            if (is_group)
                rc = label_nxdata(f, r, gpath, &p);
            if (p && !first_region[0] && strcmp(parent, TSCT_PATH_REGIONS) == 0)
                snprintf(first_region, sizeof first_region, "regions/%s", kids.v[k]);
        }
    }
    if (rc == 0)
        rc = H5Ovisit(f, H5_INDEX_NAME, H5_ITER_INC, class_cb, &rc) < 0 ? -1 : rc;
    const char *def = first_region[0] ? first_region : NULL;
    for (size_t k = sizeof default_order / sizeof default_order[0]; k-- > 0;)
        if (plotted[k])
            def = default_order[k];
    if (rc == 0 && def) {
        hid_t e = H5Gopen2(f, "/entry", H5P_DEFAULT);
        rc = e < 0 ? -1 : set_string(e, "default", def);
        if (e >= 0)
            H5Gclose(e);
    }
    if (rc != 0)
        return tsct__h5_fail(err, TSCT_ERR_IO, c, "/entry",
                             "cannot write the NeXus attributes (NX_class, signal, axes)");
    return TSCT_OK;
}
