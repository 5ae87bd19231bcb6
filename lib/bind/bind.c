/* bind.c - the struct descriptions of tsct/bind.h: what a front end without a C
 * compiler (the Python module's ctypes) needs to fill the library's params structs by name.
 *
 * Each table is written from the C declarations with offsetof and sizeof, so a field added to
 * a struct moves nothing here; a front end sets the fields it names and keeps the defaults of
 * the others. A field left out of a table is only out of reach of the front ends. The enum
 * names are the words the CLI takes. It sits above the stages and the simulator, which it
 * both describes, so that neither of those depends on the other.
 */
#include <stdlib.h>
#include <string.h>

#include "tsct/bind.h"
#include "tsct/image.h"
#include "tsct/log.h"
#include "tsct/powder.h"
#include "tsct/simulate.h"
#include "tsct/stage.h"

/* ---- enum names (index = value) ------------------------------------------------------------ */

static const char *const units[] = {"q_A^-1", "q_nm^-1", "2th_deg", "2th_rad", "r_mm", NULL};
static const char *const splits[] = {"no", "bbox", "full", NULL};
static const char *const filters[] = {"mean", "trimmed", "sigma", NULL};
static const char *const fbp_filters[] = {"ramp", "shepp-logan", "cosine", "hamming",
                                          "hann", "none",        NULL};
static const char *const methods[] = {"fbp", "sirt", "cgls", NULL};
static const char *const centres[] = {"auto", "pair", "vo", "none", "fixed", "default", NULL};
static const char *const zigzags[] = {"auto", "yes", "no", NULL};
static const char *const air_sides[] = {"both", "first", "last", NULL};
static const char *const normalises[] = {"none", "total", "transmission", "monitor", NULL};
static const char *const thresholds[] = {"otsu", "absolute", "percentile", NULL};
static const char *const regions[] = {"circle", "map", "file", NULL};
static const char *const imports[] = {"integrated", "sinograms", "recon", "pdf", NULL};
static const char *const pdf_methods[] = {"auto", "direct", "chirpz", NULL};
static const char *const powder_axes[] = {"q", "2theta", NULL};
static const char *const polarizations[] = {"none", "unpolarized", NULL};
static const char *const frame_values[] = {"none", "dataset", "header", NULL};
static const char *const figure_kinds[] = {"map", "grid", "composite", "film", "patterns",
                                           "fit", "plot", "all", "image", NULL};
static const char *const figure_sources[] = {"default", "pattern", "pdf", "dpdf", NULL};
static const char *const colormaps[] = {"viridis", "magma", "greys", "diverging", NULL};
static const char *const log_levels[] = {"error", "warning", "info", "debug", NULL};
static const char *const debye_shapes[] = {"sphere", "cube", NULL};

/* A field of struct T: member m (nested members with '.') of kind K, n elements, names N. */
#define FIELD(T, m, K, n, N)                                                                       \
    {                                                                                              \
#m, TSCT_BIND_##K, offsetof(T, m), n, N                                                    \
    }
#define F1(T, m, K) FIELD(T, m, K, 1, NULL)
#define FE(T, m, N) FIELD(T, m, ENUM, 1, N)
#define FN(T, m, K) FIELD(T, m, K, (int64_t)(sizeof(((T *)0)->m) / sizeof(((T *)0)->m[0])), NULL)
/* An init function from a _PARAMS_DEFAULT initialiser. */
#define INIT_FROM(fn, T, DEFAULT)                                                                  \
    static void fn(void *p)                                                                        \
    {                                                                                              \
        const T d = DEFAULT;                                                                       \
        memcpy(p, &d, sizeof d);                                                                   \
    }

/* The fields of a tsct_integrate_params at byte offset B of a struct, named with prefix N. */
#define IFIELD(B, N, m, K, E)                                                                      \
    {                                                                                              \
        N #m, TSCT_BIND_##K, (B) + offsetof(tsct_integrate_params, m), 1, E                        \
    }
#define INTEGRATE_FIELDS(B, N)                                                                     \
    IFIELD(B, N, npt, INT64, NULL), IFIELD(B, N, unit, ENUM, units),                               \
        IFIELD(B, N, split, ENUM, splits), IFIELD(B, N, filter, ENUM, filters),                    \
        IFIELD(B, N, trim_lo, DOUBLE, NULL), IFIELD(B, N, trim_hi, DOUBLE, NULL),                  \
        IFIELD(B, N, clip_thres, DOUBLE, NULL), IFIELD(B, N, clip_iterations, INT, NULL),          \
        IFIELD(B, N, solid_angle, INT, NULL), IFIELD(B, N, polarization, DOUBLE, NULL),            \
        IFIELD(B, N, polarization_offset, DOUBLE, NULL), IFIELD(B, N, radial_min, DOUBLE, NULL),   \
        IFIELD(B, N, radial_max, DOUBLE, NULL), IFIELD(B, N, azimuth_min, DOUBLE, NULL),           \
        IFIELD(B, N, azimuth_max, DOUBLE, NULL), IFIELD(B, N, use_dummy, INT, NULL),               \
        IFIELD(B, N, dummy, FLOAT, NULL), IFIELD(B, N, delta_dummy, FLOAT, NULL),                  \
        IFIELD(B, N, empty, FLOAT, NULL), IFIELD(B, N, nthreads, INT, NULL)
#define THRESHOLD_FIELDS(T)                                                                        \
    FE(T, threshold.rule, thresholds), F1(T, threshold.value, DOUBLE),                             \
        F1(T, threshold.percentile, DOUBLE), F1(T, threshold.fraction, DOUBLE)

/* ---- core types ----------------------------------------------------------------------------- */

static void init_zero_error(void *p)
{
    tsct_error_clear(p);
}
static const tsct_bind_field error_fields[] = {
    F1(tsct_error, status, INT),  FN(tsct_error, file, CHARS),   FN(tsct_error, item, CHARS),
    F1(tsct_error, index, INT64), FN(tsct_error, detail, CHARS), FN(tsct_error, message, CHARS),
};

static void init_poni(void *p)
{
    tsct_poni_init(p);
}
static const tsct_bind_field poni_fields[] = {
    FN(tsct_poni, detector, CHARS),  F1(tsct_poni, pixel1, DOUBLE),
    F1(tsct_poni, pixel2, DOUBLE),   FN(tsct_poni, shape, INT64),
    F1(tsct_poni, orientation, INT), F1(tsct_poni, dist, DOUBLE),
    F1(tsct_poni, poni1, DOUBLE),    F1(tsct_poni, poni2, DOUBLE),
    F1(tsct_poni, rot1, DOUBLE),     F1(tsct_poni, rot2, DOUBLE),
    F1(tsct_poni, rot3, DOUBLE),     F1(tsct_poni, wavelength, DOUBLE),
};

static void init_image(void *p)
{
    tsct_image_init(p);
}
static const tsct_bind_field image_fields[] = {
    F1(tsct_image, rows, INT64),
    F1(tsct_image, cols, INT64),
    F1(tsct_image, data, POINTER),
    F1(tsct_image, frame, INT64),
};

INIT_FROM(init_image_read, tsct_image_read_params, TSCT_IMAGE_READ_PARAMS_DEFAULT)
static const tsct_bind_field image_read_fields[] = {
    F1(tsct_image_read_params, frame, INT64),
    F1(tsct_image_read_params, check_md5, INT),
    F1(tsct_image_read_params, max_pixels, INT64),
};

static void init_zero_detector(void *p)
{
    memset(p, 0, sizeof(tsct_poni_detector));
}
static const tsct_bind_field detector_fields[] = {
    F1(tsct_poni_detector, name, STRING),   F1(tsct_poni_detector, pixel1, DOUBLE),
    F1(tsct_poni_detector, pixel2, DOUBLE), FN(tsct_poni_detector, shape, INT64),
    FN(tsct_poni_detector, module, INT64),  FN(tsct_poni_detector, gap, INT64),
};

static void init_log(void *p)
{
    const tsct_log d = {TSCT_LOG_INFO, NULL, NULL};
    memcpy(p, &d, sizeof d);
}
static const tsct_bind_field log_fields[] = {
    FE(tsct_log, level, log_levels),
    F1(tsct_log, fn, POINTER),
    F1(tsct_log, user, POINTER),
};

/* ---- kernels -------------------------------------------------------------------------------- */

INIT_FROM(init_integrate, tsct_integrate_params, TSCT_INTEGRATE_PARAMS_DEFAULT)
static const tsct_bind_field integrate_fields[] = {INTEGRATE_FIELDS(0, "")};

INIT_FROM(init_pdf, tsct_pdf_params, TSCT_PDF_PARAMS_DEFAULT)
static const tsct_bind_field pdf_fields[] = {
    F1(tsct_pdf_params, qmin, DOUBLE),     F1(tsct_pdf_params, qmax, DOUBLE),
    F1(tsct_pdf_params, qmaxinst, DOUBLE), F1(tsct_pdf_params, rmin, DOUBLE),
    F1(tsct_pdf_params, rmax, DOUBLE),     F1(tsct_pdf_params, rstep, DOUBLE),
    F1(tsct_pdf_params, rpoly, DOUBLE),    F1(tsct_pdf_params, lorch, INT),
    F1(tsct_pdf_params, scale, DOUBLE),    FE(tsct_pdf_params, method, pdf_methods),
    F1(tsct_pdf_params, nthreads, INT),
};

static void init_pdf_config(void *p)
{
    tsct_pdf_config_init(p);
}
static const tsct_bind_field pdf_config_fields[] = {
    FN(tsct_pdf_config, composition, CHARS),   FN(tsct_pdf_config, dataformat, CHARS),
    F1(tsct_pdf_config, wavelength, DOUBLE),   F1(tsct_pdf_config, params.qmin, DOUBLE),
    F1(tsct_pdf_config, params.qmax, DOUBLE),  F1(tsct_pdf_config, params.qmaxinst, DOUBLE),
    F1(tsct_pdf_config, params.rmin, DOUBLE),  F1(tsct_pdf_config, params.rmax, DOUBLE),
    F1(tsct_pdf_config, params.rstep, DOUBLE), F1(tsct_pdf_config, params.rpoly, DOUBLE),
    F1(tsct_pdf_config, params.lorch, INT),
};

INIT_FROM(init_powder, tsct_powder_params, TSCT_POWDER_PARAMS_DEFAULT)
static const tsct_bind_field powder_fields[] = {
    F1(tsct_powder_params, wavelength, DOUBLE),
    FE(tsct_powder_params, axis, powder_axes),
    FE(tsct_powder_params, polarization, polarizations),
    F1(tsct_powder_params, qmax, DOUBLE),
    F1(tsct_powder_params, margin, DOUBLE),
    F1(tsct_powder_params, window, DOUBLE),
    F1(tsct_powder_params, scherrer_k, DOUBLE),
    F1(tsct_powder_params, nbackground, INT64),
    F1(tsct_powder_params, neutral_atoms, INT),
    F1(tsct_powder_params, apply_adp, INT),
};

static void init_zero_preset(void *p)
{
    memset(p, 0, sizeof(tsct_sim_preset));
}
static const tsct_bind_field preset_fields[] = {F1(tsct_sim_preset, name, STRING)};

static void init_zero_sim_run(void *p)
{
    memset(p, 0, sizeof(tsct_sim_run_params));
}
static const tsct_bind_field sim_run_fields[] = {
    F1(tsct_sim_run_params, seed, INT64),       F1(tsct_sim_run_params, data_dirs, STRING),
    F1(tsct_sim_run_params, echem_csv, STRING), F1(tsct_sim_run_params, command, STRING),
    F1(tsct_sim_run_params, nthreads, INT),     F1(tsct_sim_run_params, time_steps, INT64),
};

/* ---- stages --------------------------------------------------------------------------------- */

INIT_FROM(init_ctx, tsct_stage_ctx, TSCT_STAGE_CTX_DEFAULT)
static const tsct_bind_field ctx_fields[] = {
    F1(tsct_stage_ctx, nthreads, INT),        F1(tsct_stage_ctx, log, POINTER),
    F1(tsct_stage_ctx, progress, POINTER),    F1(tsct_stage_ctx, incremental, INT),
    F1(tsct_stage_ctx, command_line, STRING),
};

static void init_zero_report(void *p)
{
    memset(p, 0, sizeof(tsct_stage_report));
}
static const tsct_bind_field report_fields[] = {
    F1(tsct_stage_report, ran, INT),
    F1(tsct_stage_report, units, INT64),
    F1(tsct_stage_report, time_first, INT64),
    FN(tsct_stage_report, what, CHARS),
};

#define T tsct_stage_sinogram_params
INIT_FROM(init_sinogram, T, TSCT_STAGE_SINOGRAM_PARAMS_DEFAULT)
static const tsct_bind_field sinogram_fields[] = {
    FE(T, zigzag, zigzags),
    F1(T, air, INT64),
    FE(T, air_side, air_sides),
    F1(T, air_per_angle, INT),
    FE(T, normalise, normalises),
    F1(T, monitor, STRING),
    F1(T, com, INT),
    FE(T, centre, centres),
    F1(T, centre_value, DOUBLE),
    F1(T, crop, INT),
    F1(T, bin_translation, INT64),
    F1(T, bin_channels, INT64),
    F1(T, bad_channels, DOUBLE),
    F1(T, zingers, DOUBLE),
    F1(T, block, INT64),
    F1(T, deflate, INT),
};
#undef T

#define T tsct_stage_recon_params
INIT_FROM(init_recon, T, TSCT_STAGE_RECON_PARAMS_DEFAULT)
static const tsct_bind_field recon_fields[] = {
    FE(T, method, methods), FE(T, filter, fbp_filters),  F1(T, iterations, INT64),
    F1(T, nonneg, INT),     F1(T, size, INT64),          F1(T, circle, INT),
    FE(T, centre, centres), F1(T, centre_value, DOUBLE), F1(T, block, INT64),
    F1(T, deflate, INT),    F1(T, rings, INT64),
};
#undef T

#define T tsct_stage_recon_array_params
INIT_FROM(init_recon_array, T, TSCT_STAGE_RECON_ARRAY_PARAMS_DEFAULT)
static const tsct_bind_field recon_array_fields[] = {
    F1(T, angles, STRING), FN(T, angle_range, DOUBLE), F1(T, row, INT64), F1(T, flat, STRING),
    F1(T, dark, STRING),   F1(T, neglog, INT),         F1(T, air, INT64),
};
#undef T

#define T tsct_stage_map_params
INIT_FROM(init_map, T, TSCT_STAGE_MAP_PARAMS_DEFAULT)
static const tsct_bind_field map_fields[] = {
    F1(T, definitions, POINTER),
    F1(T, unmix_background, INT),
    F1(T, wavelength, DOUBLE),
    F1(T, data_dirs, STRING),
};
#undef T

#define T tsct_stage_pdf_params
INIT_FROM(init_stage_pdf, T, TSCT_STAGE_PDF_PARAMS_DEFAULT)
static const tsct_bind_field stage_pdf_fields[] = {
    F1(T, config, POINTER), F1(T, threshold, DOUBLE),  F1(T, reference, INT64),
    F1(T, region, STRING),  F1(T, output_dir, STRING), F1(T, output, STRING),
};
#undef T

#define T tsct_stage_region_params
INIT_FROM(init_region, T, TSCT_STAGE_REGION_PARAMS_DEFAULT)
static const tsct_bind_field region_fields[] = {
    F1(T, name, STRING),   FE(T, kind, regions),  F1(T, dx, DOUBLE),      F1(T, dy, DOUBLE),
    F1(T, radius, DOUBLE), F1(T, map, STRING),    F1(T, map_time, INT64), THRESHOLD_FIELDS(T),
    F1(T, file, STRING),   F1(T, xy_dir, STRING),
};
#undef T

#define T tsct_stage_coverage_params
INIT_FROM(init_coverage, T, TSCT_STAGE_COVERAGE_PARAMS_DEFAULT)
static const tsct_bind_field coverage_fields[] = {
    F1(T, map, STRING), THRESHOLD_FIELDS(T),      F1(T, threshold_time, INT64),
    F1(T, open, INT64), F1(T, close, INT64),      F1(T, min_size, INT64),
    F1(T, masks, INT),  F1(T, difference, INT64), F1(T, table, POINTER),
};
#undef T

#define T tsct_stage_particles_params
INIT_FROM(init_particles, T, TSCT_STAGE_PARTICLES_PARAMS_DEFAULT)
static const tsct_bind_field particles_fields[] = {
    F1(T, map, STRING),   THRESHOLD_FIELDS(T),   F1(T, min_size, INT64),   F1(T, parameter, STRING),
    F1(T, shells, INT64), F1(T, table, POINTER), F1(T, by_depth, POINTER),
};
#undef T

#define T tsct_stage_import_params
INIT_FROM(init_import, T, TSCT_STAGE_IMPORT_PARAMS_DEFAULT)
static const tsct_bind_field import_fields[] = {
    F1(T, source, STRING),     FE(T, target, imports), F1(T, axis, STRING),
    F1(T, axis_units, STRING), F1(T, time, INT64),     F1(T, deflate, INT),
};
#undef T

#define T tsct_stage_integrate_scan_params
INIT_FROM(init_integrate_scan, T, TSCT_STAGE_INTEGRATE_SCAN_PARAMS_DEFAULT)
static const tsct_bind_field integrate_scan_fields[] = {
    F1(T, frames, POINTER),
    F1(T, nframes, INT64),
    F1(T, poni, STRING),
    F1(T, mask, STRING),
    F1(T, dark, STRING),
    F1(T, flat, STRING),
    INTEGRATE_FIELDS(offsetof(T, integrate), "integrate."),
    F1(T, filter, STRING),
    F1(T, angles, INT64),
    F1(T, angle_range, DOUBLE),
    F1(T, translations, INT64),
    F1(T, translation_step, DOUBLE),
    F1(T, slices, INT64),
    F1(T, zigzag, INT),
    F1(T, time_offset, INT64),
    FE(T, monitor_source, frame_values),
    F1(T, monitor, STRING),
    FE(T, transmission_source, frame_values),
    F1(T, transmission, STRING),
};
#undef T

#define T tsct_stage_integrate_files_params
INIT_FROM(init_integrate_files, T, TSCT_STAGE_INTEGRATE_FILES_PARAMS_DEFAULT)
static const tsct_bind_field integrate_files_fields[] = {
    F1(T, images, POINTER), F1(T, nimages, INT64),
    F1(T, output, STRING),  F1(T, poni, STRING),
    F1(T, mask, STRING),    F1(T, dark, STRING),
    F1(T, flat, STRING),    INTEGRATE_FIELDS(offsetof(T, integrate), "integrate."),
    F1(T, filter, STRING),  F1(T, monitor, DOUBLE),
};
#undef T

#define T tsct_stage_refine_params
INIT_FROM(init_refine, T, TSCT_STAGE_REFINE_PARAMS_DEFAULT)
static const tsct_bind_field refine_fields[] = {
    F1(T, config, STRING), F1(T, output, STRING), F1(T, instrument, INT), F1(T, png, INT),
    F1(T, report, POINTER),
};
#undef T

#define T tsct_stage_run_params
INIT_FROM(init_run, T, TSCT_STAGE_RUN_PARAMS_DEFAULT)
static const tsct_bind_field run_fields[] = {
    F1(T, force, INT), F1(T, dry_run, INT), F1(T, tables, POINTER), F1(T, user, POINTER),
};
#undef T

static void init_zero_run_report(void *p)
{
    memset(p, 0, sizeof(tsct_stage_run_report));
}
#define T tsct_stage_run_report
static const tsct_bind_field run_report_fields[] = {
    F1(T, nran, INT),          F1(T, nskipped, INT),   F1(T, seconds, DOUBLE),
    F1(T, available, INT64),   FN(T, waiting_for, CHARS), FN(T, container, CHARS),
    FN(T, failed, CHARS),      FN(T, failed_command, CHARS), FN(T, line, CHARS),
};
#undef T

#define T tsct_stage_pattern_params
INIT_FROM(init_pattern, T, TSCT_STAGE_PATTERN_PARAMS_DEFAULT)
static const tsct_bind_field pattern_fields[] = {
    F1(T, cif, STRING),        F1(T, output, STRING),      F1(T, wavelength, DOUBLE),
    F1(T, energy, DOUBLE),     F1(T, qmin, DOUBLE),        F1(T, qmax, DOUBLE),
    F1(T, step, DOUBLE),       FE(T, axis, powder_axes),   F1(T, size_nm, DOUBLE),
    F1(T, u, DOUBLE),          F1(T, v, DOUBLE),           F1(T, w, DOUBLE),
    F1(T, eta, DOUBLE),        F1(T, scale, DOUBLE),       FE(T, polarization, polarizations),
    F1(T, neutral_atoms, INT), F1(T, apply_adp, INT),      F1(T, peaks, INT),
};
#undef T

#define T tsct_stage_debye_params
INIT_FROM(init_debye, T, TSCT_STAGE_DEBYE_PARAMS_DEFAULT)
static const tsct_bind_field debye_fields[] = {
    F1(T, cif, STRING),      F1(T, output, STRING),  FE(T, shape, debye_shapes),
    F1(T, radius, DOUBLE),   FN(T, centre, DOUBLE),  F1(T, qmin, DOUBLE),
    F1(T, qmax, DOUBLE),     F1(T, step, DOUBLE),    F1(T, bin_width, DOUBLE),
    F1(T, neutral_atoms, INT),
};
#undef T

#define T tsct_stage_echem_params
INIT_FROM(init_echem, T, TSCT_STAGE_ECHEM_PARAMS_DEFAULT)
static const tsct_bind_field echem_fields[] = {
    F1(T, file, STRING),
    F1(T, columns.time, STRING),
    F1(T, columns.voltage, STRING),
    F1(T, columns.current, STRING),
    F1(T, columns.time_scale, DOUBLE),
    F1(T, mass_mg, DOUBLE),
    F1(T, period, DOUBLE),
    F1(T, start, DOUBLE),
    F1(T, duration, DOUBLE),
    F1(T, windows, STRING),
};
#undef T

#define T tsct_stage_figure_params
INIT_FROM(init_figure, T, TSCT_STAGE_FIGURE_PARAMS_DEFAULT)
static const tsct_bind_field figure_fields[] = {
    FE(T, kind, figure_kinds), F1(T, input, STRING),
    F1(T, output, STRING),     F1(T, p.width, INT),
    F1(T, p.height, INT),      F1(T, p.title, STRING),
    F1(T, p.label, STRING),    F1(T, p.xlabel, STRING),
    F1(T, p.ylabel, STRING),   F1(T, p.pixel_mm, DOUBLE),
    F1(T, p.x0, DOUBLE),       F1(T, p.x1, DOUBLE),
    F1(T, p.y0, DOUBLE),       F1(T, p.y1, DOUBLE),
    F1(T, p.vmin, DOUBLE),     F1(T, p.vmax, DOUBLE),
    FE(T, p.cmap, colormaps),  F1(T, p.sequential, INT),
    F1(T, have_size, INT),     F1(T, map, STRING),
    F1(T, composite, STRING),  F1(T, x, STRING),
    F1(T, y, STRING),          F1(T, errs, STRING),
    F1(T, where, STRING),      F1(T, split, STRING),
    F1(T, region, STRING),     FE(T, source, figure_sources),
    F1(T, fit, STRING),        F1(T, param, STRING),
    F1(T, t, INT64),           F1(T, z, INT64),
    FN(T, voxel, INT64),       F1(T, have_voxel, INT),
    F1(T, no_echem, INT),      F1(T, have_range, INT),
    FN(T, range, DOUBLE),      F1(T, wavelength, DOUBLE),
    F1(T, offset, DOUBLE),     F1(T, ninputs, INT),
    FN(T, inputs, STRING),     F1(T, nphase, INT),
    FN(T, phase, STRING),      F1(T, nticks, INT),
    FN(T, ticks, STRING),      F1(T, nsteps, INT),
    FN(T, steps, INT64), F1(T, poni, STRING), F1(T, mask, STRING), F1(T, calibrant, STRING),
    F1(T, log_scale, INT),
};
#undef T

/* ---- the table ------------------------------------------------------------------------------ */

#define STRUCT(T, init, fields)                                                                    \
    {                                                                                              \
#T, sizeof(T), init, sizeof fields / sizeof fields[0], fields                              \
    }

static const tsct_bind_struct structs[] = {
    STRUCT(tsct_error, init_zero_error, error_fields),
    STRUCT(tsct_poni, init_poni, poni_fields),
    STRUCT(tsct_image, init_image, image_fields),
    STRUCT(tsct_image_read_params, init_image_read, image_read_fields),
    STRUCT(tsct_poni_detector, init_zero_detector, detector_fields),
    STRUCT(tsct_log, init_log, log_fields),
    STRUCT(tsct_integrate_params, init_integrate, integrate_fields),
    STRUCT(tsct_pdf_params, init_pdf, pdf_fields),
    STRUCT(tsct_pdf_config, init_pdf_config, pdf_config_fields),
    STRUCT(tsct_powder_params, init_powder, powder_fields),
    STRUCT(tsct_sim_preset, init_zero_preset, preset_fields),
    STRUCT(tsct_sim_run_params, init_zero_sim_run, sim_run_fields),
    STRUCT(tsct_stage_ctx, init_ctx, ctx_fields),
    STRUCT(tsct_stage_report, init_zero_report, report_fields),
    STRUCT(tsct_stage_sinogram_params, init_sinogram, sinogram_fields),
    STRUCT(tsct_stage_recon_params, init_recon, recon_fields),
    STRUCT(tsct_stage_recon_array_params, init_recon_array, recon_array_fields),
    STRUCT(tsct_stage_map_params, init_map, map_fields),
    STRUCT(tsct_stage_pdf_params, init_stage_pdf, stage_pdf_fields),
    STRUCT(tsct_stage_region_params, init_region, region_fields),
    STRUCT(tsct_stage_coverage_params, init_coverage, coverage_fields),
    STRUCT(tsct_stage_particles_params, init_particles, particles_fields),
    STRUCT(tsct_stage_import_params, init_import, import_fields),
    STRUCT(tsct_stage_integrate_scan_params, init_integrate_scan, integrate_scan_fields),
    STRUCT(tsct_stage_integrate_files_params, init_integrate_files, integrate_files_fields),
    STRUCT(tsct_stage_echem_params, init_echem, echem_fields),
    STRUCT(tsct_stage_refine_params, init_refine, refine_fields),
    STRUCT(tsct_stage_run_params, init_run, run_fields),
    STRUCT(tsct_stage_run_report, init_zero_run_report, run_report_fields),
    STRUCT(tsct_stage_figure_params, init_figure, figure_fields),
    STRUCT(tsct_stage_pattern_params, init_pattern, pattern_fields),
    STRUCT(tsct_stage_debye_params, init_debye, debye_fields),
};

int64_t tsct_bind_struct_count(void)
{
    return (int64_t)(sizeof structs / sizeof structs[0]);
}

const tsct_bind_struct *tsct_bind_struct_at(int64_t i)
{
    return i >= 0 && i < tsct_bind_struct_count() ? &structs[i] : NULL;
}

const tsct_bind_struct *tsct_bind_struct_find(const char *name)
{
    for (int64_t i = 0; name && i < tsct_bind_struct_count(); i++)
        if (strcmp(structs[i].name, name) == 0)
            return &structs[i];
    return NULL;
}

void tsct_bind_free(void *p)
{
    free(p);
}
