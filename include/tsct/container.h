/* tsct/container.h - the experiment container: one HDF5 file per experiment.
 *
 * Every stage reads and writes the layout of docs/FORMAT.md:
 *
 *   /entry                      NXentry; attribute tsct_format = TSCT_FORMAT_VERSION
 *   /entry/geometry             attributes: PONI values (SI), detector name, shape, pixels
 *   /entry/scan/{angle,translation,time,z}   float64 axes; attributes zigzag, fast_axis
 *   /entry/integrated/{data,sigma}  [nt][nz][na][ns][nq] float32, q [nq]
 *   /entry/sinograms/data       [nt][nz][na][ns][nq], q [nq]
 *   /entry/recon/data           [nt][nz][ny][nx][nq], q [nq]
 *   /entry/pdf/G                [nt][nz][ny][nx][nr], r [nr]; dpdf (G_t - G_T) likewise
 *   /entry/regions/NAME         pattern [nt][nq], q; pdf, dpdf [nt][nr], r
 *   /entry/maps/NAME            [nt][nz][ny][nx]
 *   /entry/fits/NAME/{parameters,esd}  [nt][nz][ny][nx][k], rwp [nt][nz][ny][nx]
 *   /entry/process/STEP         attributes: provenance of each step
 *
 * Axis 0 (time) of every dataset is extendible, so operando scans are appended while the
 * experiment runs. Datasets are read and written by rows: the trailing `row_rank` axes for
 * fixed leading indices (one frame-row [ns][nq], one voxel-row [nx][nq], one map row [nx]),
 * so a stage never loads a dataset. A chunk holds whole rows: one row, or a tile of
 * neighbouring rows of about TSCT_CHUNK_TARGET_BYTES (see chunk_axes), and every open dataset
 * gets a chunk cache that holds the chunks one row touches, twice over.
 *
 * Long steps write through a tsct_step: their output goes to a work file beside the container
 * ("EXP.h5.STEP.partial") together with a record of the finished units of work; an interrupted
 * step resumes from that record, and only tsct_step_commit() copies the results into the
 * container and records /entry/process/STEP. The container therefore never holds a result that
 * looks complete but is not, and a crash during a step never touches earlier results.
 *
 * Errors name the file and the dataset path. The HDF5 library is not thread-safe in Debian's
 * build: every function here takes one process-wide lock, so they may be called from several
 * threads, but they run one at a time (compute in parallel, write in turn).
 *
 * Ownership: handles from _create/_open are freed by the matching _close (NULL allowed).
 * A dataset handle must be closed before its container.
 */
#ifndef TSCT_CONTAINER_H
#define TSCT_CONTAINER_H

#include <stdint.h>

#include "tsct/log.h"
#include "tsct/poni.h"
#include "tsct/progress.h"
#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the layout written in /entry@tsct_format. Readers accept files with the same
 * major number. */
#define TSCT_FORMAT_VERSION "1.0"

/* Standard paths of the layout. */
#define TSCT_PATH_GEOMETRY "/entry/geometry"
#define TSCT_PATH_SCAN "/entry/scan"
#define TSCT_PATH_INTEGRATED "/entry/integrated/data"
#define TSCT_PATH_INTEGRATED_SIGMA "/entry/integrated/sigma"
#define TSCT_PATH_INTEGRATED_Q "/entry/integrated/q"
#define TSCT_PATH_SINOGRAMS "/entry/sinograms/data"
#define TSCT_PATH_SINOGRAMS_Q "/entry/sinograms/q"
#define TSCT_PATH_RECON "/entry/recon/data"
#define TSCT_PATH_RECON_Q "/entry/recon/q"
/* The voxel centres along rows (y) and columns (x) relative to the rotation axis [n]: mm when
 * the scan's translations are in mm, else translation steps. */
#define TSCT_PATH_RECON_Y "/entry/recon/y"
#define TSCT_PATH_RECON_X "/entry/recon/x"
/* The image of a plain reconstruction (tsct_stage_recon_array) [n][n] or [n][n][nc], and its
 * voxel axes [n] in translation steps from the rotation axis. */
#define TSCT_PATH_IMAGE "/entry/image/data"
#define TSCT_PATH_IMAGE_Y "/entry/image/y"
#define TSCT_PATH_IMAGE_X "/entry/image/x"
#define TSCT_PATH_PDF "/entry/pdf/G"
#define TSCT_PATH_PDF_R "/entry/pdf/r"
#define TSCT_PATH_PDF_DIFF "/entry/pdf/dpdf"
#define TSCT_PATH_REGIONS "/entry/regions"
#define TSCT_PATH_MAPS "/entry/maps"
#define TSCT_PATH_FITS "/entry/fits"
#define TSCT_PATH_PROCESS "/entry/process"
/* The electrochemistry (tsct_stage_echem, read back by tsct_echem_stored_read): the
 * potentiostat's record [n] and the state of charge of each tomogram [nt]. */
#define TSCT_PATH_ECHEM "/entry/echem"
#define TSCT_PATH_ECHEM_TIME TSCT_PATH_ECHEM "/time"                 /* [n] s */
#define TSCT_PATH_ECHEM_VOLTAGE TSCT_PATH_ECHEM "/voltage"           /* [n] V */
#define TSCT_PATH_ECHEM_CURRENT TSCT_PATH_ECHEM "/current"           /* [n] mA */
#define TSCT_PATH_ECHEM_CAPACITY TSCT_PATH_ECHEM "/capacity"         /* [n] mAh/g, half cycle */
#define TSCT_PATH_ECHEM_TOMOGRAM_START TSCT_PATH_ECHEM "/tomogram_start"       /* [nt] s */
#define TSCT_PATH_ECHEM_TOMOGRAM_END TSCT_PATH_ECHEM "/tomogram_end"           /* [nt] s */
#define TSCT_PATH_ECHEM_TOMOGRAM_CAPACITY TSCT_PATH_ECHEM "/tomogram_capacity" /* [nt] mAh/g */
#define TSCT_PATH_ECHEM_TOMOGRAM_VOLTAGE TSCT_PATH_ECHEM "/tomogram_voltage"   /* [nt] V */
#define TSCT_PATH_ECHEM_TOMOGRAM_HALF_CYCLE TSCT_PATH_ECHEM "/tomogram_half_cycle" /* [nt] */

typedef struct tsct_container tsct_container;
typedef struct tsct_dataset tsct_dataset;

/* ---- files ---------------------------------------------------------------------------------- */

typedef enum tsct_open_mode {
    TSCT_OPEN_READ = 0,   /* read only */
    TSCT_OPEN_WRITE = 1,  /* read and write */
} tsct_open_mode;

/* Create a new, empty container at path: the file is built under a temporary name and renamed
 * into place, so path is either absent or a valid empty container. With overwrite = 0 an
 * existing path is refused (TSCT_ERR_EXISTS). The container is returned open for writing.
 * Errors: TSCT_ERR_EXISTS, TSCT_ERR_IO. */
tsct_status tsct_container_create(const char *path, int overwrite, tsct_container **out,
                                  tsct_error *err);

/* Open an existing container. The file must be HDF5 and carry /entry@tsct_format with a
 * supported major version. Errors: TSCT_ERR_NOT_FOUND (no such file), TSCT_ERR_IO (not
 * readable), TSCT_ERR_FORMAT (not HDF5, truncated, corrupt, not a tsct container or a newer
 * format). */
tsct_status tsct_container_open(const char *path, tsct_open_mode mode, tsct_container **out,
                                tsct_error *err);

/* Open any HDF5 file (not necessarily a container) for reading its datasets with
 * tsct_dataset_open() and tsct_container_read_vector(); used for inputs such as
 * "file.h5::/exchange/data". Errors as tsct_container_open(), without the layout check. */
tsct_status tsct_h5file_open(const char *path, tsct_open_mode mode, tsct_container **out,
                             tsct_error *err);

/* Flush and close. A container opened (or created) for writing is first labelled for NeXus
 * viewers from what it holds (docs/FORMAT.md, "NeXus"): NX_class on every group, the layout's
 * result groups NXdata with @signal, @axes and soft links to axes kept elsewhere,
 * /entry@default naming the most useful result; only what differs is written. Returns the
 * first error of the labelling or the flush (the handle is freed regardless). NULL is
 * allowed. */
tsct_status tsct_container_close(tsct_container *c, tsct_error *err);

/* Write all buffered data and metadata to disk (H5Fflush). */
tsct_status tsct_container_flush(tsct_container *c, tsct_error *err);

/* The path the container was opened with (owned by the container). */
const char *tsct_container_path(const tsct_container *c);

/* Split "FILE::/dataset/path" into its parts (both NUL-terminated, truncated to size).
 * Without "::" the whole string is the file and dataset is "". */
void tsct_path_split(const char *spec, char *file, size_t file_size, char *dataset,
                     size_t dataset_size);

/* ---- geometry, axes and attributes -------------------------------------------------------- */

/* Store / read the detector geometry as attributes of /entry/geometry (see docs/FORMAT.md).
 * Errors: TSCT_ERR_NOT_FOUND (no geometry yet), TSCT_ERR_FORMAT (an attribute has the wrong
 * type). */
tsct_status tsct_container_write_geometry(tsct_container *c, const tsct_poni *g,
                                          tsct_error *err);
tsct_status tsct_container_read_geometry(tsct_container *c, tsct_poni *g, tsct_error *err);

/* Write a 1-D float64 dataset (an axis: /entry/scan/angle, /entry/integrated/q, ...),
 * replacing an existing one. units may be NULL. Parent groups are created. If the axis is one
 * of the layout's (q of a stage, the scan axes) and the stage's data already exist, its length
 * must match the matching data axis (TSCT_ERR_SHAPE). */
tsct_status tsct_container_write_vector(tsct_container *c, const char *path, const double *v,
                                        int64_t n, const char *units, tsct_error *err);

/* Limits on what a file may ask readers to allocate, checked before memory is taken: an axis
 * read by tsct_container_read_vector() holds at most TSCT_VECTOR_MAX values (512 MB); a
 * dataset opened by tsct_dataset_open() has rows of at most TSCT_DATASET_ROW_MAX floats
 * (1 GB) and at most TSCT_DATASET_SIZE_MAX elements in all (a 5-D cube of 2^50 floats is a
 * corrupt or hostile file, not an experiment). */
#define TSCT_VECTOR_MAX ((int64_t)1 << 26)
#define TSCT_DATASET_ROW_MAX ((int64_t)1 << 28)
#define TSCT_DATASET_SIZE_MAX ((int64_t)1 << 50)

/* Read a 1-D numeric dataset as float64 into a new malloc'd buffer (*v, freed by the caller
 * with free()), length in *n. Errors: TSCT_ERR_NOT_FOUND, TSCT_ERR_SHAPE (not 1-D, more than
 * TSCT_VECTOR_MAX values). */
tsct_status tsct_container_read_vector(tsct_container *c, const char *path, double **v,
                                       int64_t *n, tsct_error *err);

/* Scalar attributes on any existing object (group or dataset). Writing replaces. Reading
 * converts numeric types; a missing attribute gives TSCT_ERR_NOT_FOUND. Strings are UTF-8;
 * tsct_container_get_attr_string copies at most size - 1 bytes and NUL-terminates. */
tsct_status tsct_container_set_attr_string(tsct_container *c, const char *path,
                                           const char *name, const char *value,
                                           tsct_error *err);
tsct_status tsct_container_set_attr_double(tsct_container *c, const char *path,
                                           const char *name, double value, tsct_error *err);
tsct_status tsct_container_set_attr_int(tsct_container *c, const char *path, const char *name,
                                        int64_t value, tsct_error *err);
tsct_status tsct_container_get_attr_string(tsct_container *c, const char *path,
                                           const char *name, char *value, size_t size,
                                           tsct_error *err);
tsct_status tsct_container_get_attr_double(tsct_container *c, const char *path,
                                           const char *name, double *value, tsct_error *err);
tsct_status tsct_container_get_attr_int(tsct_container *c, const char *path, const char *name,
                                        int64_t *value, tsct_error *err);

/* Make `path` a soft link to `target` (an alias: h5py and viewers open target through it;
 * tsct_container_walk does not list it), replacing an earlier link. Parent groups are
 * created. Errors: TSCT_ERR_EXISTS (path is a dataset or group), TSCT_ERR_IO. */
tsct_status tsct_container_link(tsct_container *c, const char *path, const char *target,
                                tsct_error *err);

/* 1 if an object exists at path, else 0. */
int tsct_container_exists(tsct_container *c, const char *path);

/* ---- walking the file (for `tsct info` and tools) ---------------------------------------- */

typedef struct tsct_object_info {
    const char *path;       /* full path, valid during the callback */
    int is_group;           /* 1 for groups, 0 for datasets */
    int ndim;               /* datasets: rank */
    int64_t shape[8];       /* datasets: current extents */
    int extendible;         /* datasets: 1 if axis 0 is unlimited */
    char dtype[16];         /* datasets: "float32", "float64", "int32", "uint8", "string", ... */
    char filters[64];       /* datasets: "deflate:1+shuffle", "lz4", "" */
    int64_t chunk[8];       /* datasets: chunk extents, all 0 if contiguous */
} tsct_object_info;

/* Callback for tsct_container_walk; return non-zero to stop. */
typedef int (*tsct_walk_fn)(void *user, const tsct_object_info *info);

/* Visit every group and dataset below `root` ("/" for all) in name order, parents first.
 * Soft links (the NeXus axis aliases of tsct_container_close) are not visited: every object
 * is listed once, at its own path. */
tsct_status tsct_container_walk(tsct_container *c, const char *root, tsct_walk_fn fn,
                                void *user, tsct_error *err);

/* Callback for tsct_container_attrs: attribute name and value formatted as text (numbers in
 * %.17g, arrays as "[a, b, c]", strings as they are). */
typedef int (*tsct_attr_fn)(void *user, const char *name, const char *value);

/* Visit the attributes of the object at path in name order. */
tsct_status tsct_container_attrs(tsct_container *c, const char *path, tsct_attr_fn fn,
                                 void *user, tsct_error *err);

/* ---- datasets --------------------------------------------------------------------------- */

/* How a dataset's chunks are compressed (docs/FORMAT.md, "Compression"). Every choice goes
 * through an HDF5 filter that h5py and silx load too: deflate is built into HDF5, lz4 is
 * filter 32004 and zstd is Blosc (filter 32001) with its zstd codec and byte shuffle, from
 * Debian's hdf5-filter-plugin and hdf5-filter-plugin-blosc-serial. */
typedef enum tsct_compression {
    TSCT_COMPRESSION_DEFAULT = 0, /* deflate at tsct_dataset_params.deflate (0: none), but
                                     the default level 1 follows the process default when one
                                     is set (tsct_compression_set_default) */
    TSCT_COMPRESSION_NONE,
    TSCT_COMPRESSION_DEFLATE,     /* byte shuffle + zlib at level `deflate` (1..9) */
    TSCT_COMPRESSION_LZ4,         /* byte shuffle + LZ4 (filter 32004) */
    TSCT_COMPRESSION_ZSTD         /* Blosc (filter 32001): byte shuffle + zstd level 1 */
} tsct_compression;

/* Parse "none", "lz4", "zstd", "deflate" or "deflate:LEVEL" (LEVEL 1..9, default 1) into *kind
 * and *level. Errors: TSCT_ERR_VALUE naming the text and the choices. */
tsct_status tsct_compression_parse(const char *text, tsct_compression *kind, int *level,
                                   tsct_error *err);

/* The compression of every dataset created afterwards with TSCT_COMPRESSION_DEFAULT, in this
 * process (like the umask: a front end sets it once per command, from `tsct --compression`);
 * TSCT_COMPRESSION_DEFAULT restores the datasets' own deflate level. Thread-safe. */
void tsct_compression_set_default(tsct_compression kind, int level);

/* The filter of a choice available in this process (a plugin is loaded on the first call):
 * TSCT_OK, or TSCT_ERR_UNSUPPORTED naming the filter and the Debian package that has it. */
tsct_status tsct_compression_check(tsct_compression kind, tsct_error *err);

typedef struct tsct_dataset_params {
    int deflate;          /* 0: no compression; 1..9: zlib level (readable everywhere) */
    int shuffle;          /* 1: byte shuffle before deflate (better ratios for floats) */
    int row_rank;         /* trailing axes per chunk; 0: 2 for rank >= 5, else 1 */
    const char *units;    /* "units" attribute, or NULL */
    const char *long_name;/* NeXus "long_name" attribute, or NULL */
    int64_t chunk_last;   /* > 0: at most this many elements of the last axis per chunk (a
                             step whose unit of work is a block of channels stages with the
                             block, so no unit rewrites the chunk of a finished one: a kill
                             could leave that chunk torn); 0: the whole axis */
    int chunk_axes;       /* leading axes just before the row over which a chunk may extend
                             towards TSCT_CHUNK_TARGET_BYTES (docs/FORMAT.md, "Chunks"):
                             > 0 that many; -1 none (one row per chunk); 0 the default: none
                             in a step's datasets (a step's unit of work writes whole chunks,
                             so its caller says how many axes one unit covers), else every
                             axis but time and slice (rank >= 4) or every axis (rank <= 3) */
    tsct_compression compression; /* TSCT_COMPRESSION_DEFAULT: see the enum */
} tsct_dataset_params;

#define TSCT_DATASET_PARAMS_DEFAULT {1, 1, 0, NULL, NULL, 0, 0, TSCT_COMPRESSION_DEFAULT}

/* The size a chunk grows towards: a tile of rows of about 2 MiB, so per-chunk costs (an index
 * entry, one filter call, one read or write) are small against the data while a few chunks
 * per open dataset fit its chunk cache. */
#define TSCT_CHUNK_TARGET_BYTES ((int64_t)2 << 20)

/* Create a float32 dataset at path with the given shape (1 <= ndim <= 8, axis 0 extendible),
 * creating parent groups (NeXus classes for the layout's groups). Layout paths are checked:
 * the rank (5 for stage data, 4 for maps), and the last axis against the stage's q / r axis
 * and the scan axes against /entry/scan when those exist (TSCT_ERR_SHAPE with both shapes in
 * the message). Errors: TSCT_ERR_EXISTS (dataset exists), TSCT_ERR_SHAPE, TSCT_ERR_IO.
 * params may be NULL for the defaults. */
tsct_status tsct_dataset_create(tsct_container *c, const char *path, int ndim,
                                const int64_t *shape, const tsct_dataset_params *params,
                                tsct_dataset **out, tsct_error *err);

/* Open an existing numeric dataset of any integer or float type; reads convert to float32.
 * Errors: TSCT_ERR_NOT_FOUND, TSCT_ERR_FORMAT (not numeric, rank > 8), TSCT_ERR_SHAPE (rows
 * or a size beyond TSCT_DATASET_ROW_MAX / TSCT_DATASET_SIZE_MAX, above). */
tsct_status tsct_dataset_open(tsct_container *c, const char *path, tsct_dataset **out,
                              tsct_error *err);

/* Close a dataset handle. NULL allowed. */
void tsct_dataset_close(tsct_dataset *d);

/* Current rank and extents (shape must hold 8 values). */
int tsct_dataset_shape(const tsct_dataset *d, int64_t *shape);

/* Floats in one row: the product of the trailing row_rank extents. */
int64_t tsct_dataset_row_size(const tsct_dataset *d);

/* Number of leading indices that select a row (ndim - row_rank). */
int tsct_dataset_row_lead(const tsct_dataset *d);

/* Grow axis 0 to n0 (appending time steps). New elements read as NaN until written.
 * Shrinking is refused (TSCT_ERR_VALUE). */
tsct_status tsct_dataset_extend(tsct_dataset *d, int64_t n0, tsct_error *err);

/* Write / read the hyperslab start[i] .. start[i] + count[i] - 1 from / to the contiguous C-order
 * buffer buf of prod(count) floats. Errors: TSCT_ERR_SHAPE (outside the dataset, with both
 * shapes named), TSCT_ERR_IO. NaN and infinities are stored as they are. */
tsct_status tsct_dataset_write(tsct_dataset *d, const int64_t *start, const int64_t *count,
                               const float *buf, tsct_error *err);
tsct_status tsct_dataset_read(tsct_dataset *d, const int64_t *start, const int64_t *count,
                              float *buf, tsct_error *err);

/* Write / read one row selected by the leading indices lead[0 .. row_lead - 1]; buf holds
 * tsct_dataset_row_size() floats. */
tsct_status tsct_dataset_write_row(tsct_dataset *d, const int64_t *lead, const float *buf,
                                   tsct_error *err);
tsct_status tsct_dataset_read_row(tsct_dataset *d, const int64_t *lead, float *buf,
                                  tsct_error *err);

/* Threads that compress and decompress the chunks of one tsct_dataset_write / _read (0: all
 * cores, as tsct_threads_resolve; 1, the default: the calling thread). A write or read that
 * covers whole chunks runs the dataset's filters (shuffle, deflate, LZ4 32004, Blosc 32001)
 * itself, in parallel, making the chunks the HDF5 filter plugins make (docs/FORMAT.md,
 * "Compression"); others go through HDF5's filters. The handle's other calls stay serialised. */
void tsct_dataset_set_threads(tsct_dataset *d, int nthreads);

/* The dataset's path (owned by the handle). */
const char *tsct_dataset_path(const tsct_dataset *d);

/* Set a string attribute on the dataset (replacing one of the same name); for datasets of a
 * step it travels with the data into the container at the commit. */
tsct_status tsct_dataset_set_attr_string(tsct_dataset *d, const char *name, const char *value,
                                         tsct_error *err);

/* Set a float64 scalar attribute on the dataset (replacing one of the same name); travels with
 * a step's data like tsct_dataset_set_attr_string. */
tsct_status tsct_dataset_set_attr_double(tsct_dataset *d, const char *name, double value,
                                         tsct_error *err);

/* ---- steps: resumable, atomically published work ---------------------------------------- */

typedef struct tsct_step tsct_step;

typedef struct tsct_step_info {
    const char *name;        /* step name: [a-z0-9_]+; also /entry/process/NAME */
    const char *command;     /* the command line, for provenance; may be NULL */
    const char *config;      /* the configuration text, for provenance; may be NULL */
    const char *fingerprint; /* identifies inputs and settings; a partial run resumes only if
                                its fingerprint is the same. NULL is the empty string. */
    int64_t nunits;          /* units of work (rows, frames, channels); >= 1 */
    const char *settings;    /* what the results depend on besides the input data, and      */
    const char *inputs;      /* the time stamps of the input datasets (tsct_step_input_stamps):
                                recorded so that a later run can keep the time steps whose
                                inputs did not change (tsct_step_reusable_time_steps). NULL:
                                none, every run starts afresh. */
    int64_t time_first;      /* the first time step this run writes (0: all; > 0: earlier ones
                                are kept from the last run), recorded as provenance */
} tsct_step_info;

/* Begin a step on container c (open for writing), or resume it: if a work file from an
 * interrupted run with the same name, fingerprint and nunits exists, its finished units are
 * kept; otherwise (absent, different settings, or unreadable after a crash) a fresh work file
 * is made, and a message saying why goes to log. The container is not modified until commit.
 * Errors: TSCT_ERR_VALUE (bad name or nunits), TSCT_ERR_IO. */
tsct_status tsct_step_begin(tsct_container *c, const tsct_step_info *info, const tsct_log *log,
                            tsct_step **out, tsct_error *err);

/* Create (fresh run) or reopen (resumed run) an output dataset of the step. path is where it
 * will land in the container. time_offset >= 0 means the dataset holds time steps
 * time_offset ... time_offset + shape[0] - 1 to be appended to (or overwrite those of) an
 * existing dataset at path; -1 means it replaces path entirely. On resume the shape and
 * offset must be those of the first run (TSCT_ERR_SHAPE otherwise). */
tsct_status tsct_step_dataset(tsct_step *s, const char *path, int ndim, const int64_t *shape,
                              int64_t time_offset, const tsct_dataset_params *params,
                              tsct_dataset **out, tsct_error *err);

/* Stage a 1-D axis (q, r, ...) that the commit writes to the container with
 * tsct_container_write_vector(). */
tsct_status tsct_step_vector(tsct_step *s, const char *path, const double *v, int64_t n,
                             const char *units, tsct_error *err);

/* Record that units first .. first + count - 1 are finished: their rows must have been
 * written. Flushes the work file so a crash after this call does not redo them. Call it in
 * batches (every few hundred rows or seconds), not per row. */
tsct_status tsct_step_mark_done(tsct_step *s, int64_t first, int64_t count, tsct_error *err);

/* 1 if unit i is recorded as finished. */
int tsct_step_is_done(const tsct_step *s, int64_t i);

/* Number of finished units (including those of the interrupted runs). */
int64_t tsct_step_done_count(const tsct_step *s);

/* 1 if this step resumed a partial run. */
int tsct_step_resumed(const tsct_step *s);

/* Publish: check that every unit is finished (TSCT_ERR_STATE otherwise), copy each staged
 * dataset and vector into the container (replacing, or appending along time), write
 * /entry/process/NAME (program, version, command, config, fingerprint, start and end time,
 * wall time, units), flush, and remove the work file. Frees the step (also on error; the work
 * file is then kept for another try). Dataset handles of the step must be closed first. */
tsct_status tsct_step_commit(tsct_step *s, tsct_error *err);

/* Stop without publishing: flush and keep the work file for a later resume (or remove it if
 * no unit was finished, as there is nothing to resume). Frees the step. NULL allowed. */
void tsct_step_close(tsct_step *s);

/* 1 if /entry/process/NAME records a complete step with exactly this fingerprint: running
 * the step again with the same inputs and settings would write the same results (`tsct run`
 * skips it). 0 otherwise, also when the record cannot be read. */
int tsct_step_is_current(tsct_container *c, const char *name, const char *fingerprint);

/* What identifies the inputs of a step that reads the results of the steps named in `steps`
 * (NULL-terminated): "container=ID inputs=STEP=END_TIME;..." with the end time of each one's
 * record in /entry/process (empty if it has none). A step whose fingerprint includes this
 * text is out of date as soon as an upstream step is re-run. buf gets at most size - 1
 * bytes, NUL-terminated. */
void tsct_step_inputs_id(tsct_container *c, const char *const *steps, char *buf, size_t size);

/* ---- time stamps: what an incremental run may keep ----------------------------------------
 *
 * Every dataset a step commits carries the attribute "time_stamps": for each index of its
 * axis 0 (the time step), the end time of the step run that wrote it (the end_time of its
 * /entry/process record), run-length coded "END*COUNT;END*COUNT;...". A run that appends or
 * rewrites time steps from T on (tsct_step_dataset with time_offset T) keeps the stamps of
 * the first T. "?" marks an unknown origin; "" means unknown throughout (old containers, or
 * more than a few thousand appending runs). A step whose info has settings and inputs records
 * them; a later run compares them with the current ones and need only compute the time steps
 * from the first one whose input changed (tsct run on an operando experiment). */

/* Most time steps one segment "END*COUNT" may count (2^40); a larger count, like any other
 * malformed text, ends the string's known part (what follows is unknown). Counts saturate at
 * INT64_MAX (a string of over 2^23 such segments). */
#define TSCT_TIME_STAMPS_STEPS_MAX ((int64_t)1 << 40)

/* Number of time steps a stamp string covers. */
int64_t tsct_time_stamps_count(const char *stamps);

/* Number of leading time steps on which two stamp strings agree ("?" agrees with nothing). */
int64_t tsct_time_stamps_common(const char *a, const char *b);

/* "PATH=STAMPS\n" for each of the NULL-terminated dataset paths (STAMPS empty for a path that
 * does not exist or has none): the inputs of a tsct_step_info. malloc'd; NULL without memory. */
char *tsct_step_input_stamps(tsct_container *c, const char *const *paths);

/* How many leading time steps of step `name`'s recorded results a run with these settings
 * and inputs would compute identically: 0 when there is no complete record, it was made with
 * other settings or without stamps, or an input path is new; otherwise, over the input paths,
 * the fewest leading time steps whose stamps are unchanged. The caller also bounds it by the
 * time steps its outputs hold. */
int64_t tsct_step_reusable_time_steps(tsct_container *c, const char *name, const char *settings,
                                      const char *inputs);

/* The work file path of step `name` for container path (for messages and tools). */
void tsct_step_work_path(const char *container_path, const char *name, char *buf, size_t size);

/* ---- features ------------------------------------------------------------------------ */

/* Runtime facts about HDF5: version of the library in use and whether each compression
 * filter is available (built in or as a plugin). Used by `tsct version -v`. */
typedef struct tsct_hdf5_info {
    unsigned major, minor, release;
    int deflate, szip, lz4, bitshuffle, zstd, blosc;  /* 1 if the filter can be used */
    char plugin_path[512];                            /* where plugins are searched */
} tsct_hdf5_info;

void tsct_hdf5_info_get(tsct_hdf5_info *info);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_CONTAINER_H */
