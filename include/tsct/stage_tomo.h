/* tsct/stage_tomo.h - sinograms from the integrated cube, and their reconstruction.
 *
 * Part of the stage library: include "tsct/stage.h", which has the contract every stage
 * follows (params, context, report, errors, incremental runs, threads). */
#ifndef TSCT_STAGE_TOMO_H
#define TSCT_STAGE_TOMO_H

#include "tsct/stage_core.h"
#include "tsct/tomo.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- sinogram -------------------------------------------------------------------------------
 * /entry/integrated/data [nt][nz][na][ns][nq] -> /entry/sinograms/data [nt][nz][na][ms][mq]
 * (and /entry/sinograms/q, /entry/sinograms/centre [nt*nz]): zigzag rows flipped back, bad
 * channels and zingers filtered, air scatter subtracted, projections normalised, centre-of-
 * mass jitter removed, centred on the rotation axis and cropped, binned. docs/tomo.md. */

typedef enum {
    TSCT_STAGE_ZIGZAG_AUTO = 0,
    TSCT_STAGE_ZIGZAG_YES,
    TSCT_STAGE_ZIGZAG_NO
} tsct_stage_zigzag_mode;
typedef enum {
    TSCT_STAGE_AIR_BOTH = 0,
    TSCT_STAGE_AIR_FIRST,
    TSCT_STAGE_AIR_LAST
} tsct_stage_air_side;
typedef enum {
    TSCT_STAGE_NORMALISE_NONE = 0,     /* as measured */
    TSCT_STAGE_NORMALISE_TOTAL,        /* each projection to the same total */
    TSCT_STAGE_NORMALISE_TRANSMISSION, /* divide by /entry/scan/transmission at every point */
    TSCT_STAGE_NORMALISE_MONITOR       /* divide by the monitor in `monitor` (FILE.h5::/path) */
} tsct_stage_normalise_mode;
typedef enum {
    TSCT_STAGE_CENTRE_AUTO = 0,   /* 0/180 degree pairs, Vo's method reported beside (or used when
                               the scan has no pairs) */
    TSCT_STAGE_CENTRE_PAIR = 1,   /* 0/180 degree pairs */
    TSCT_STAGE_CENTRE_VO = 2,     /* Vo et al., Opt. Express 22 (2014) 19078 */
    TSCT_STAGE_CENTRE_NONE = 3,   /* not centred */
    TSCT_STAGE_CENTRE_FIXED = 4,  /* centre_value, bins of the translation axis */
    TSCT_STAGE_CENTRE_DEFAULT = 5 /* recon: AUTO for sinograms not centred by the sinogram stage,
                               NONE for those */
} tsct_stage_centre_mode;

typedef struct tsct_stage_sinogram_params {
    tsct_stage_zigzag_mode zigzag; /* AUTO: /entry/scan attribute zigzag */
    int64_t air;                   /* translations at the edges taken as air (0: none) */
    tsct_stage_air_side air_side;
    int air_per_angle;             /* 1: one air pattern per projection */
    tsct_stage_normalise_mode normalise;
    const char *monitor;           /* TSCT_STAGE_NORMALISE_MONITOR: FILE.h5::/dataset, [na] or
                                      [na][ns] values */
    int com;                       /* 1: remove centre-of-mass jitter */
    tsct_stage_centre_mode centre;
    double centre_value;           /* TSCT_STAGE_CENTRE_FIXED: the centre, translation bins */
    int crop;                      /* 1: crop symmetrically about the centre */
    int64_t bin_translation;       /* >= 1 */
    int64_t bin_channels;          /* >= 1 */
    double bad_channels;           /* > 0: threshold of the bad-channel filter (0: off) */
    double zingers;                /* > 0: threshold of the zinger filter (0: off) */
    int64_t block;                 /* channels per unit of work (rounded up to whole bins) */
    int deflate;                   /* 0-9 */
} tsct_stage_sinogram_params;

#define TSCT_STAGE_SINOGRAM_PARAMS_DEFAULT                                                         \
    {                                                                                              \
        TSCT_STAGE_ZIGZAG_AUTO, 0, TSCT_STAGE_AIR_BOTH, 0, TSCT_STAGE_NORMALISE_NONE, NULL, 0,     \
            TSCT_STAGE_CENTRE_AUTO, 0.0, 1, 1, 1, 0.0, 0.0, 256, 1                                 \
    }

/* Errors: those of the container and steps; TSCT_ERR_SHAPE (integrated not 5-D, angles or
 * transmission of another length, a centre that leaves no positions), TSCT_ERR_VALUE
 * (non-finite angles, binning beyond the data, parameters out of range), TSCT_ERR_NOT_FOUND
 * (transmission asked for but not measured). */
tsct_status tsct_stage_sinogram(const char *container, const tsct_stage_sinogram_params *params,
                                const tsct_stage_ctx *ctx, tsct_stage_report *report,
                                tsct_error *err);

/* ---- recon ----------------------------------------------------------------------------------
 * /entry/sinograms/data [nt][nz][na][ns][nq] (angles /entry/scan/angle [na], degrees) ->
 * /entry/recon/data [nt][nz][n][n][nq] (and /entry/recon/q [nq] when /entry/sinograms/q
 * exists): every channel of every (time, slice) reconstructed by filtered back projection
 * (skimage's iradon) or by SIRT / CGLS (ASTRA's), through a resumable step "recon" whose unit
 * is one block of `block` channels of one (time, slice). The centre of rotation is found once,
 * on the channel sum of the first (time, slice), and the sinograms are resampled about it and
 * cropped symmetrically (tsct_sino_centre_crop_width) before reconstruction. docs/tomo.md. */

typedef enum {
    TSCT_STAGE_RECON_FBP = 0, /* filtered back projection (params.filter) */
    TSCT_STAGE_RECON_SIRT =
        1, /* simultaneous iterative reconstruction (params.iterations, nonneg) */
    TSCT_STAGE_RECON_CGLS = 2 /* conjugate gradient least squares (params.iterations) */
} tsct_stage_recon_method;

typedef struct tsct_stage_recon_params {
    tsct_stage_recon_method method;
    tsct_tomo_fbp_filter filter; /* FBP's filter (include/tsct/tomo.h) */
    int64_t iterations;        /* SIRT / CGLS iterations, run in full (no tolerance); 0: 100
                                  for SIRT, 30 for CGLS (and recorded as 100 for FBP) */
    int nonneg;                /* SIRT: clip to >= 0 after each update */
    int64_t size;              /* image size n; 0: the sinogram width after centring */
    int circle;                /* 1: only the inscribed circle (pixels outside are 0) */
    tsct_stage_centre_mode centre; /* DEFAULT: AUTO for sinograms without /entry/sinograms/centre,
                                NONE for those the sinogram stage centred (and for plain
                                arrays AUTO) */
    double centre_value;           /* TSCT_STAGE_CENTRE_FIXED: the centre, translation bins */
    int64_t block;             /* channels per unit of work (and per chunk), >= 1 */
    int deflate;               /* 0-9 */
    int64_t rings;             /* ring-artefact removal first (tsct_tomo_rings_sort): the odd
                                  window in detector positions; 0: none */
} tsct_stage_recon_params;

#define TSCT_STAGE_RECON_PARAMS_DEFAULT                                                            \
    {                                                                                              \
        TSCT_STAGE_RECON_FBP, TSCT_TOMO_FBP_FILTER_RAMP, 0, 0, 0, 1, TSCT_STAGE_CENTRE_DEFAULT,    \
            0.0, 256, 1, 0                                                                         \
    }

/* Reconstruct the container's sinograms into /entry/recon. The settings record (and so the
 * fingerprint) holds the method, filter, iterations, nonneg, the image size n, circle, the
 * centre used (-1: none), the block and deflate; the step's inputs are the sinogram and
 * import_sinograms steps. Incremental runs (ctx->incremental) keep unchanged leading time
 * steps (see the top of this file). report->units counts the channel blocks computed.
 * Errors: those of the container and steps; TSCT_ERR_SHAPE (sinograms not 5-D, a number of
 * angles other than na), TSCT_ERR_VALUE (non-finite angles, parameters out of range, a fixed
 * centre outside the positions or one that leaves fewer than 2 of them), TSCT_ERR_NOMEM. A
 * SIRT / CGLS run that stops before convergence is not an error (it runs its iterations). */
tsct_status tsct_stage_recon(const char *container, const tsct_stage_recon_params *params,
                             const tsct_stage_ctx *ctx, tsct_stage_report *report, tsct_error *err);

/* A plain sinogram (or a row of a projection stack) outside any container: where it comes
 * from, its angles and the absorption corrections it needs. */
typedef struct tsct_stage_recon_array_params {
    const char *angles;        /* FILE.h5::/dataset of na angles in degrees, or NULL: */
    double angle_range[2];     /* na angles A + i (B - A) / na, A = [0], B = [1] (A != B) */
    int64_t row;               /* >= 0: the input is a projection stack [na][ny][nx]: use row
                                  `row` as the sinogram [na][nx]; -1: the input is a sinogram */
    const char *flat;          /* flat field FILE.h5::/dataset (or image): [ns], [k][ns] or,
                                  with row, [k][ny][ns], averaged over k; NULL: none */
    const char *dark;          /* dark field, as flat (needs flat); NULL: none */
    int neglog;                /* 1: -log of the (flat-normalised) transmission */
    int64_t air;               /* > 0: subtract the air of the first / last `air` positions,
                                  one air value per angle and channel (0: none) */
} tsct_stage_recon_array_params;

#define TSCT_STAGE_RECON_ARRAY_PARAMS_DEFAULT                                                      \
    {                                                                                              \
        NULL, {0.0, 180.0}, -1, NULL, NULL, 0, 0                                                   \
    }

/* Reconstruct a plain array into a new HDF5 file: input is FILE.h5::/dataset or an image file
 * (TIFF, EDF, ...) holding a sinogram [na][ns] or [na][ns][nc] (or with array->row a stack
 * [na][ny][ns]); the corrections run in the order flat / dark, -log, air, then the centre
 * (params->centre, DEFAULT meaning AUTO) and the reconstruction of params (block unused).
 * The image goes to /entry/image/data of `output` (TSCT_PATH_IMAGE; /data is
 * a soft link to it, the path of earlier versions), [n][n] (a 2-D input or a row) or
 * [n][n][nc], float32, with its voxel axes y and x (translation steps from the rotation
 * axis), the angles in /entry/scan/angle and attributes method, filter, iterations and
 * centre (input positions; -1 when not centred): an NXdata that viewers plot. The file is
 * written under a temporary name and renamed (include/tsct/publish.h): a failed run leaves
 * none; an existing output is replaced only as tsct_publish_set_replace() allows, an input
 * never. In memory: the whole sinogram and image. report->units = nc.
 * Errors: TSCT_ERR_EXISTS (output exists), TSCT_ERR_SHAPE (input rank, row out of range,
 * fewer than 1 angle or 2 positions, angles or fields of another length), TSCT_ERR_VALUE
 * (angle range A == B, non-finite angles, dark without flat, the centre),
 * TSCT_ERR_UNSUPPORTED (flat fields of a multi-channel sinogram), the file errors of the
 * readers and the writer, TSCT_ERR_NOMEM. */
tsct_status tsct_stage_recon_array(const char *input, const char *output,
                                   const tsct_stage_recon_params *params,
                                   const tsct_stage_recon_array_params *array,
                                   const tsct_stage_ctx *ctx, tsct_stage_report *report,
                                   tsct_error *err);

/* A sinogram held in memory (the Python module's numpy path), reconstructed as
 * tsct_stage_recon_array does once it has read and corrected its input, so both give the same
 * image: sino [na][ns][nc] float32, C order, not modified (copied: na x ns x nc floats more);
 * angles_deg [na] in degrees. Centred as params->centre asks (DEFAULT meaning AUTO), then
 * reconstructed by params' method (block and deflate unused). *image receives the image
 * [n][n][nc] (malloc'd: the caller frees it with free(), or tsct_bind_free from a front end
 * that cannot call free), *n its size, *centre (may be NULL) the centre used in translation
 * bins (-1: not centred). Thread-safe for distinct outputs. Errors: TSCT_ERR_VALUE (NULL
 * pointers, a non-finite angle, parameters out of range, the centre), TSCT_ERR_SHAPE (fewer
 * than 1 angle, 2 positions or 1 channel), TSCT_ERR_NOMEM; *image is NULL on error. */
tsct_status tsct_stage_recon_memory(const float *sino, int64_t na, int64_t ns, int64_t nc,
                                    const double *angles_deg,
                                    const tsct_stage_recon_params *params,
                                    const tsct_stage_ctx *ctx, float **image, int64_t *n,
                                    double *centre, tsct_error *err);

#ifdef __cplusplus
}
#endif

#endif /* TSCT_STAGE_TOMO_H */
