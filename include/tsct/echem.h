/* tsct/echem.h - electrochemistry records: reading, capacity, dQ/dV, state of charge per
 * tomogram.
 *
 * An operando experiment is indexed by its electrochemistry: every map and table is plotted
 * against capacity or voltage. This module reads the potentiostat's export, integrates the
 * current into capacity, differentiates it into dQ/dV, and gives each tomogram (a time window
 * of acquisition) its mean capacity and voltage.
 *
 * Units: time in seconds, voltage in volts, current in milliamperes (negative on discharge /
 * lithiation, as potentiostats log it), capacity in mAh (and mAh/g with a mass in mg).
 * Ownership: tsct_echem_read allocates the record, freed by tsct_echem_destroy.
 */
#ifndef TSCT_ECHEM_H
#define TSCT_ECHEM_H

#include <stdint.h>

#include "tsct/container.h"
#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tsct_echem {
    int64_t n;
    double *time_s;        /* [n], increasing */
    double *voltage;       /* [n], V */
    double *current_ma;    /* [n], mA */
    double *charge_mah;    /* [n], signed charge passed since the start (trapezoid rule) */
    double *capacity_mah;  /* [n], charge passed since the start of the current half cycle
                              (a half cycle ends where the current changes sign), >= 0 */
    int64_t *half_cycle;   /* [n], 0, 1, 2, ...: index of the half cycle of each point */
} tsct_echem;

typedef struct tsct_echem_columns {
    const char *time;      /* column names, matched case-insensitively at the start of a header
                              field ("time" matches "time/s"); NULL = the defaults: */
    const char *voltage;   /*   time: "time", voltage: "Ewe" then "voltage" then "E",        */
    const char *current;   /*   current: "<I>" then "I/" then "current"                      */
    double time_scale;     /* multiply the time column by this to get seconds (0 = from the
                              column's unit: /s, /min, /h; default seconds) */
} tsct_echem_columns;

#define TSCT_ECHEM_COLUMNS_DEFAULT {NULL, NULL, NULL, 0.0}

/* Read a generic CSV (comma, semicolon or tab separated; a header row naming the columns;
 * lines starting with '#' ignored) or a BioLogic EC-Lab ".mpt" text export (its "Nb header
 * lines" respected, tab separated, decimal commas accepted). Rows with a non-numeric value in
 * a used column are errors naming the line. The record is sorted by time and must increase.
 * Errors: TSCT_ERR_NOT_FOUND (file, or a named column: the message lists the columns found),
 * TSCT_ERR_FORMAT (bad line, fewer than 2 rows, time not increasing), TSCT_ERR_NOMEM. */
tsct_status tsct_echem_read(const char *path, const tsct_echem_columns *columns,
                            tsct_echem **out, tsct_error *err);

/* Build a record from arrays (copied), computing charge and capacity; for the simulator. */
tsct_status tsct_echem_from_arrays(const double *time_s, const double *voltage,
                                   const double *current_ma, int64_t n, tsct_echem **out,
                                   tsct_error *err);

void tsct_echem_destroy(tsct_echem *e);

/* Write a record as CSV (time_s, voltage_V, current_mA, capacity_mAh), atomically. */
tsct_status tsct_echem_write_csv(const tsct_echem *e, const char *path, tsct_error *err);

/* Most voltage bins tsct_echem_dqdv() allocates (8 MB): (Vmax - Vmin) / dv must be below. */
#define TSCT_ECHEM_DQDV_BINS_MAX ((int64_t)1 << 20)

/* dQ/dV within each half cycle: the capacity is binned on a voltage grid of step dv (V), and
 * dQ/dV (mAh/V) is the capacity gained per bin divided by dv, at the bin centres. Writes at
 * most max_out (voltage, dqdv, half_cycle) triples; returns how many (0 for dv <= 0), or -1
 * when the record's voltage range needs TSCT_ECHEM_DQDV_BINS_MAX bins or more of width dv,
 * or memory runs out. */
int64_t tsct_echem_dqdv(const tsct_echem *e, double dv, double *voltage, double *dqdv,
                        int64_t *half_cycle, int64_t max_out);

/* State of charge of a tomogram acquired between t0 and t1 (s): the mean capacity (mAh) and
 * voltage over that window (time-weighted, linear between records), the half cycle at its
 * middle. Errors: TSCT_ERR_VALUE if the window lies outside the record or t1 <= t0. */
tsct_status tsct_echem_window(const tsct_echem *e, double t0, double t1, double *capacity_mah,
                              double *voltage, int64_t *half_cycle, tsct_error *err);

/* ---- the electrochemistry of a container ----------------------------------------------------
 * /entry/echem as tsct_stage_echem (include/tsct/stage.h) writes it, paths TSCT_PATH_ECHEM_*
 * of tsct/container.h: the potentiostat's record and the state of charge of each tomogram.
 * Every front end reads it through this one reader. */
typedef struct tsct_echem_stored {
    int64_t n;                   /* points of the record (0 when none is stored) */
    double *time;                /* [n] s */
    double *voltage;             /* [n] V */
    double *current;             /* [n] mA */
    double *capacity;            /* [n] mAh/g of active material, within the half cycle */
    int64_t nt;                  /* tomograms (0 when none is stored) */
    double *tomogram_start;      /* [nt] s: start and end of each tomogram's acquisition */
    double *tomogram_end;        /* [nt] s */
    double *tomogram_capacity;   /* [nt] mAh/g: mean over the window */
    double *tomogram_voltage;    /* [nt] V: mean over the window */
    double *tomogram_half_cycle; /* [nt] 0, 1, 2, ...: the half cycle at the window's middle */
} tsct_echem_stored;

/* Read every vector of /entry/echem that c holds into *out (caller memory; each vector
 * malloc'd, NULL when its dataset is absent: containers of older versions lack some), freed
 * by tsct_echem_stored_release(). The record's vectors share one length n, the tomograms' one
 * length nt. On error *out holds nothing. Errors: TSCT_ERR_NOT_FOUND (no /entry/echem: "tsct
 * echem writes it"), TSCT_ERR_SHAPE (vectors of one group with different lengths, or not
 * 1-D), those of tsct_container_read_vector. Thread safety: as the container's. */
tsct_status tsct_echem_stored_read(tsct_container *c, tsct_echem_stored *out, tsct_error *err);

/* Free the vectors of s and zero it; NULL allowed. */
void tsct_echem_stored_release(tsct_echem_stored *s);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_ECHEM_H */
