/* phase_broad.c - the broad scattering of amorphous and liquid materials, the "broad" phases of
 * the phase model (see include/tsct/phase.h).
 *
 * Each material is a few Gaussian humps at the maxima of its structure factor, with widths
 * typical of its short-range order, on an effective form-factor envelope exp(-B q^2 / (16
 * pi^2)) and scaled by its electron density relative to water. The positions are literature
 * values:
 *  - fused silica: first sharp diffraction peak 1.52, then 2.9 and 5.3 1/A (Mozzi & Warren,
 *    J. Appl. Cryst. 2 (1969) 164);
 *  - glassy carbon and carbon black: turbostratic (002) near 1.75 1/A, (10) near 2.95 and
 *    (11) near 5.1 1/A (Franklin, Acta Cryst. 4 (1951) 253; glassy carbon's (002) is broader);
 *  - carbonate electrolytes (EC/DMC with LiPF6): main liquid peak near 1.45 1/A, a second near
 *    3.1 1/A (liquid ethylene carbonate, e.g. Soetens et al., J. Phys. Chem. A 102 (1998)
 *    1055);
 *  - polyethylene separator: (110) 1.52 and (200) 1.69 1/A reflections of the orthorhombic
 *    crystallites, broadened, over the amorphous halo near 1.4 1/A, soaked in electrolyte;
 *  - air: molecular N2 / O2 scattering, a smooth decay with a weak maximum near 1.0 1/A at
 *    about 1/800 of the density of water.
 * These are the "broad features" of the simulator's cells, not fits to measured data.
 */
#include <math.h>
#include <string.h>

#include "tsct/phase.h"

struct hump {
    double q0, width, height;
};

static const struct broad_material {
    const char *name;
    double density;  /* electrons per volume relative to water */
    double envelope; /* B of the envelope, A^2 */
    int nhump;
    struct hump hump[5];
} materials[] = {
    {"air", 1.0 / 800, 4.0, 2, {{0.0, 0.8, 1.0}, {1.0, 0.5, 0.4}}},
    {"quartz", 2.0, 2.0, 3, {{1.52, 0.25, 1.0}, {2.90, 0.45, 0.6}, {5.30, 0.7, 0.35}}},
    {"glassy_carbon", 1.4, 2.5, 3, {{1.72, 0.35, 1.0}, {2.95, 0.25, 0.45}, {5.10, 0.35, 0.25}}},
    {"carbon", 1.0, 2.5, 3, {{1.76, 0.25, 1.0}, {2.95, 0.2, 0.5}, {5.10, 0.3, 0.25}}},
    {"electrolyte", 1.1, 3.0, 2, {{1.45, 0.35, 1.0}, {3.10, 0.6, 0.35}}},
    {"separator", 1.0, 3.0, 4,
     {{1.40, 0.35, 0.6}, {1.52, 0.05, 0.8}, {1.69, 0.06, 0.35}, {3.10, 0.6, 0.25}}},
};

tsct_status tsct_phase_broad_pattern(const char *material, const double *q, int64_t nq,
                                     float *out, tsct_error *err)
{
    const struct broad_material *m = NULL;
    for (size_t i = 0; i < sizeof materials / sizeof materials[0]; i++)
        if (material && strcmp(materials[i].name, material) == 0)
            m = &materials[i];
    if (!m)
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, NULL, "material", -1,
                              "no broad pattern for \"%s\": known are air, quartz, "
                              "glassy_carbon, carbon, electrolyte, separator",
                              material ? material : "");
    for (int64_t j = 0; j < nq; j++) {
        double x = q[j], v = 0;
        for (int h = 0; h < m->nhump; h++) {
            double d = (x - m->hump[h].q0) / m->hump[h].width;
            v += m->hump[h].height * exp(-0.5 * d * d);
        }
        double env = exp(-m->envelope * x * x / (16 * M_PI * M_PI));
        out[j] = (float)(m->density * v * env);
    }
    return TSCT_OK;
}
