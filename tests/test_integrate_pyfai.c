/* test_integrate_pyfai.c - azimuthal integration against pyFAI 0.21
 * (tests/data/integrate_reference, made by its make_reference.py with integrate1d_ng and
 * sigma_clip_ng): the four real detector images of tests/data (Pilatus 2M CBF with its mask,
 * the Dioptas Pilatus 1M TIFF flipped vertically, the tilted SSRL Pilatus 300K-W, the Pixium
 * with its mask) and two synthetic, strongly tilted geometries with dark, flat, NaN pixels,
 * polarization and a monitor; every method, units, radial and azimuthal ranges.
 *
 * Tolerances, and why:
 *  - bin centres: 1e-9 of the largest centre without splitting (pyFAI's linspace against
 *    min + (i + 0.5) delta, in double); 2e-6 with splitting, where the default range comes
 *    from pyFAI's float32 pixel corners;
 *  - no splitting and sigma clipping: 1e-5 relative on intensity and sigma in every non-empty
 *    bin (the criterion). Pixels fall in the same bins (same float64 radial positions
 *    and formulas); what remains is pyFAI's float32 preprocessing (solid angle and
 *    polarization stored as float32 from float32 positions, products rounded to float32),
 *    about 1e-7 per pixel;
 *  - bbox and full splitting: 1e-3 relative. pyFAI's pixel corners are float32 (tsct uses
 *    float64), which moves split fractions by ~1e-7 of a pixel's radial extent relative to
 *    bins; observed differences are far below the bound;
 *  - empty bins must be empty on both sides (value 0).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "integrate_test_util.h"
#include "tsct/image.h"
#include "tsct/integrate.h"
#include "tsct/poni.h"
#include "tsct_test.h"

typedef struct refcase {
    char name[64], image[256], mask[256], poni[256], unit[16], method[8], filter[8];
    int flip, negmask, dark, flat, sa, iter, rows, cols;
    double dist, poni1, poni2, rot1, rot2, rot3, wavelength, pixel1, pixel2;
    double thres, pol, rmin, rmax, amin, amax, monitor;
    int64_t npt;
} refcase;

static void parse_case(char *line, refcase *c)
{
    memset(c, 0, sizeof *c);
    for (char *tok = strtok(line, " \n"); tok; tok = strtok(NULL, " \n")) {
        char *eq = strchr(tok, '=');
        if (!eq)
            continue;
        *eq = '\0';
        const char *k = tok, *v = eq + 1;
#define S(f) else if (strcmp(k, #f) == 0) snprintf(c->f, sizeof c->f, "%s", v)
#define I(f) else if (strcmp(k, #f) == 0) c->f = atoi(v)
#define D(f) else if (strcmp(k, #f) == 0) c->f = strtod(v, NULL)
        if (0) {
        }
        S(name); S(image); S(mask); S(poni); S(unit); S(method); S(filter);
        I(flip); I(negmask); I(dark); I(flat); I(sa); I(iter); I(rows); I(cols);
        D(dist); D(poni1); D(poni2); D(rot1); D(rot2); D(rot3); D(wavelength); D(pixel1);
        D(pixel2); D(thres); D(pol); D(rmin); D(rmax); D(amin); D(amax); D(monitor);
        else if (strcmp(k, "npt") == 0) c->npt = atoll(v);
#undef S
#undef I
#undef D
    }
}

/* Frame, mask, dark, flat and geometry of a case; returns 0 on success. */
static int load_case(const refcase *c, tsct_poni *g, int64_t *rows, int64_t *cols, float **frame,
                     uint8_t **mask, float **dark, float **flat)
{
    tsct_error err = TSCT_ERROR_INIT;
    char path[1024];
    *dark = *flat = NULL;
    if (strcmp(c->poni, "inline") == 0) {
        tsct_poni_init(g);
        g->dist = c->dist;
        g->poni1 = c->poni1;
        g->poni2 = c->poni2;
        g->rot1 = c->rot1;
        g->rot2 = c->rot2;
        g->rot3 = c->rot3;
        g->wavelength = c->wavelength;
        g->pixel1 = c->pixel1;
        g->pixel2 = c->pixel2;
        *rows = c->rows;
        *cols = c->cols;
        int64_t n = *rows * *cols;
        *frame = malloc((size_t)n * sizeof **frame);
        *mask = malloc((size_t)n);
        if (c->dark)
            *dark = malloc((size_t)n * sizeof **dark);
        if (c->flat)
            *flat = malloc((size_t)n * sizeof **flat);
        synthetic_frame(*rows, *cols, strcmp(c->image, "spots") == 0, *frame, *dark, *flat,
                        *mask);
        return 0;
    }
    snprintf(path, sizeof path, "%s/%s", TSCT_TEST_DATA, c->poni);
    CHECK_OK(tsct_poni_read(g, path, &err), &err);
    tsct_image img;
    tsct_image_init(&img);
    snprintf(path, sizeof path, "%s/%s", TSCT_TEST_DATA, c->image);
    CHECK_OK(tsct_image_read(&img, path, NULL, &err), &err);
    if (err.status)
        return -1;
    *rows = img.rows;
    *cols = img.cols;
    int64_t n = img.rows * img.cols;
    *frame = malloc((size_t)n * sizeof **frame);
    *mask = calloc((size_t)n, 1);
    for (int64_t i = 0; i < img.rows; i++) {
        int64_t src = c->flip ? img.rows - 1 - i : i;
        memcpy(*frame + i * img.cols, img.data + src * img.cols, (size_t)img.cols * sizeof(float));
    }
    if (c->negmask)
        for (int64_t k = 0; k < n; k++)
            (*mask)[k] = (*frame)[k] < 0;
    if (strcmp(c->mask, "none") != 0) {
        snprintf(path, sizeof path, "%s/%s", TSCT_TEST_DATA, c->mask);
        CHECK_OK(tsct_image_read(&img, path, NULL, &err), &err);
        CHECK(img.rows == *rows && img.cols == *cols);
        if (err.status || img.rows != *rows || img.cols != *cols) {
            tsct_image_release(&img);
            return -1;
        }
        for (int64_t k = 0; k < n; k++)
            (*mask)[k] |= img.data[k] != 0;
    }
    tsct_image_release(&img);
    return 0;
}

static void run_case(const refcase *c, const double *ref, int64_t nbins, double *worst)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_poni g;
    int64_t rows, cols;
    float *frame = NULL, *dark = NULL, *flat = NULL;
    uint8_t *mask = NULL;
    CHECK_MSG(nbins == c->npt, "%s: %lld bins in the reference, npt %lld", c->name,
              (long long)nbins, (long long)c->npt);
    if (nbins != c->npt || load_case(c, &g, &rows, &cols, &frame, &mask, &dark, &flat) != 0)
        goto done;
    tsct_integrate_params p = TSCT_INTEGRATE_PARAMS_DEFAULT;
    p.npt = c->npt;
    CHECK_OK(tsct_unit_parse(c->unit, &p.unit, &err), &err);
    CHECK_OK(tsct_integrate_split_parse(c->method, &p.split, &err), &err);
    if (strcmp(c->filter, "sigma") == 0) {
        p.filter = TSCT_INTEGRATE_SIGMA_CLIP;
        p.clip_thres = c->thres;
        p.clip_iterations = c->iter;
    }
    p.solid_angle = c->sa;
    p.polarization = c->pol;
    p.radial_min = c->rmin;
    p.radial_max = c->rmax;
    p.azimuth_min = c->amin;
    p.azimuth_max = c->amax;
    tsct_integrate_plan *plan = NULL;
    CHECK_OK(tsct_integrate_plan_create(&p, &g, rows, cols, mask, dark, flat, &plan, &err),
             &err);
    if (!plan)
        goto done;
    size_t ws = tsct_integrate_workspace_size(plan);
    void *work = malloc(ws);
    float *inten = malloc((size_t)nbins * sizeof *inten), *sig = malloc((size_t)nbins * sizeof *sig);
    CHECK_OK(tsct_integrate_execute(plan, frame, c->monitor, inten, sig, work, ws, &err), &err);
    const double *rad = tsct_integrate_plan_radial(plan);
    const double tol = strcmp(c->method, "no") == 0 ? 1e-5 : 1e-3;
    const double rtol = tol == 1e-5 ? 1e-9 * fabs(ref[4 * (nbins - 1)])
                                    : 2e-6 * fabs(ref[4 * (nbins - 1)]);
    int nonempty = 0;
    for (int64_t b = 0; b < nbins; b++) {
        const double *r = ref + 4 * b;
        CHECK_MSG(fabs(rad[b] - r[0]) <= rtol, "%s bin %lld: radial %.17g vs %.17g",
                  c->name, (long long)b, rad[b], r[0]);
        if (r[3] > 0) {
            nonempty++;
            double ei = fabs(inten[b] - r[1]) / fabs(r[1]), es = fabs(sig[b] - r[2]) / fabs(r[2]);
            worst[0] = fmax(worst[0], tol == 1e-5 ? ei : 0);
            worst[1] = fmax(worst[1], tol == 1e-3 ? ei : 0);
            worst[2] = fmax(worst[2], es);
            CHECK_MSG(ei <= tol, "%s bin %lld (%g): intensity %.9g vs pyFAI %.9g (rel %.2g)",
                      c->name, (long long)b, r[0], inten[b], r[1], ei);
            CHECK_MSG(es <= tol, "%s bin %lld (%g): sigma %.9g vs pyFAI %.9g (rel %.2g)",
                      c->name, (long long)b, r[0], sig[b], r[2], es);
        } else {
            CHECK_MSG(inten[b] == 0 && sig[b] == 0 && r[1] == 0,
                      "%s bin %lld: empty in pyFAI (%g), tsct %g +- %g", c->name, (long long)b,
                      r[1], inten[b], sig[b]);
        }
    }
    CHECK_MSG(nonempty > nbins / 3, "%s: only %d of %lld bins hold pixels", c->name, nonempty,
              (long long)nbins);
    free(work);
    free(inten);
    free(sig);
    tsct_integrate_plan_destroy(plan);
done:
    free(frame);
    free(mask);
    free(dark);
    free(flat);
}

int main(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/integrate_reference/reference.txt", TSCT_TEST_DATA);
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "cannot open %s", path);
    if (!f)
        return tsct_test_finish("test_integrate_pyfai");
    static char line[8192];
    refcase c;
    double *ref = NULL;
    int64_t nbins = 0, cap = 0;
    int ncases = 0;
    double worst[3] = {0, 0, 0};
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "case ", 5) == 0) {
            parse_case(line + 5, &c);
            nbins = 0;
        } else if (strncmp(line, "bin ", 4) == 0) {
            if (nbins == cap) {
                cap = cap ? 2 * cap : 512;
                ref = realloc(ref, (size_t)cap * 4 * sizeof *ref);
            }
            double *r = ref + 4 * nbins++;
            CHECK(sscanf(line + 4, "%lf %lf %lf %lf", r, r + 1, r + 2, r + 3) == 4);
        } else if (strncmp(line, "end", 3) == 0) {
            run_case(&c, ref, nbins, worst);
            ncases++;
        }
    }
    fclose(f);
    free(ref);
    CHECK_MSG(ncases >= 20, "only %d cases in %s", ncases, path);
    printf("%d cases; largest relative differences: intensity %.2g (no splitting, sigma clip), "
           "%.2g (bbox, full), sigma %.2g\n", ncases, worst[0], worst[1], worst[2]);
    return tsct_test_finish("test_integrate_pyfai");
}
