/* tsct/bind.h - the layout of the library's parameter structs, for front ends that cannot
 * read C headers (the Python module, python/tsct, calls the library through ctypes).
 *
 * A front end that copied struct layouts by hand would break silently whenever a field is
 * added to a params struct. Instead the library describes its own structs: for each one its
 * size, a function filling it with its _PARAMS_DEFAULT (or _init) values, and its fields by
 * name with their type, byte offset (from offsetof) and element count. A front end allocates
 * `size` bytes, calls `init`, and sets the fields it is given by name; fields it does not know
 * keep their defaults. Nested structs appear as dotted names ("integrate.npt",
 * "threshold.rule"); fixed arrays with count > 1 ("range", "phase").
 *
 * Enums are listed with their value names (index = value, the words the CLI takes where it
 * has them), so a front end may accept "sirt" for TSCT_STAGE_RECON_SIRT.
 *
 * Everything here is static, read-only data: thread-safe, nothing to free.
 */
#ifndef TSCT_BIND_H
#define TSCT_BIND_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tsct_bind_type {
    TSCT_BIND_INT = 0,  /* int */
    TSCT_BIND_INT64,    /* int64_t */
    TSCT_BIND_DOUBLE,   /* double */
    TSCT_BIND_FLOAT,    /* float */
    TSCT_BIND_ENUM,     /* an enum, stored as int; `names` lists its values */
    TSCT_BIND_STRING,   /* const char *, borrowed for the call (NULL: not given) */
    TSCT_BIND_CHARS,    /* char[count], NUL-terminated text held in the struct */
    TSCT_BIND_POINTER   /* any other pointer (an object, a FILE *, a callback table) */
} tsct_bind_type;

typedef struct tsct_bind_field {
    const char *name;          /* the C member, nested members joined by '.' */
    tsct_bind_type type;
    size_t offset;             /* bytes from the start of the struct */
    int64_t count;             /* elements (1, or the length of a fixed array; CHARS: bytes) */
    const char *const *names;  /* ENUM: value names, index = value, NULL-terminated; else NULL */
} tsct_bind_field;

typedef struct tsct_bind_struct {
    const char *name;             /* the C type: "tsct_stage_recon_params" */
    size_t size;                  /* sizeof */
    void (*init)(void *s);        /* fill s (size bytes) with the defaults */
    int64_t nfields;
    const tsct_bind_field *fields;
} tsct_bind_struct;

/* The description of struct type `name` (as spelled in C), or NULL when it is not described.
 * Described: tsct_error, tsct_poni, tsct_poni_detector, tsct_image, tsct_image_read_params,
 * tsct_log, tsct_integrate_params,
 * tsct_pdf_params, tsct_pdf_config (size and init only: set its keys with
 * tsct_pdf_config_set), tsct_powder_params, tsct_sim_preset (size only: tsct_sim_preset_get
 * fills it), tsct_sim_run_params, tsct_stage_ctx, tsct_stage_report and the params of the
 * stages sinogram, recon, recon_array, map, pdf, region, coverage, particles, import,
 * integrate (scan and files), echem and figure. */
const tsct_bind_struct *tsct_bind_struct_find(const char *name);

/* The number of described structs, and the i-th (0 <= i < count; NULL otherwise). */
int64_t tsct_bind_struct_count(void);
const tsct_bind_struct *tsct_bind_struct_at(int64_t i);

/* free() for memory the library returns malloc'd to its caller (tsct_stage_recon_memory's
 * image), for front ends that do not share the C library's allocator by name. NULL is a
 * no-op. */
void tsct_bind_free(void *p);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_BIND_H */
