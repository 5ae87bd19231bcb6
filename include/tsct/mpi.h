/* tsct/mpi.h - MPI ranks: the same stage call on every rank, results in the one container.
 *
 * A stage whose ctx carries a tsct_mpi handle of more than one rank (tsct_stage_ctx.mpi) splits
 * its units of work (frame-rows for integration, (time, slice, channel block) for
 * reconstruction) over the ranks: unit i of the units not yet done goes to rank i mod size.
 * Every rank computes its units with its own threads (ctx->nthreads); rank 0 alone owns the
 * step (its work file, its record of finished units, its commit) and writes every result,
 * received from the other ranks in unit order, through the same serial HDF5 calls as a
 * single-process run. The container is therefore byte for byte the one a single process
 * writes (the same compressed chunks in the same order), and a run interrupted under N ranks
 * resumes under any other number. docs/mpi.md says why the writes are gathered rather than
 * made collectively with parallel HDF5, and how the work scales.
 *
 * Every rank must make the same stage calls in the same order with the same arguments
 * (SPMD), as `mpirun -n N tsct CMD ...` does. Stages that do not split their work run on
 * rank 0 only (the program leaves the other ranks idle); a library user calls them on rank 0.
 *
 * Ranks other than 0 open the container read-only while rank 0 holds it open for writing,
 * which HDF5's file locks forbid; tsct_mpi_init therefore sets HDF5_USE_FILE_LOCKING=FALSE
 * for its process when it starts more than one rank (unless the environment sets it). This
 * is safe because a step changes the container only at its commit, after every rank has
 * finished reading.
 *
 * In a build without MPI (TSCT_WITH_MPI=OFF, the default) every function here exists: a
 * handle is never made (NULL), rank 0 of 1.
 *
 * Thread safety: a handle is used by one thread at a time (MPI is initialised with
 * MPI_THREAD_FUNNELED: only the thread that called tsct_mpi_init makes MPI calls; the
 * stages make them from the calling thread only).
 */
#ifndef TSCT_MPI_H
#define TSCT_MPI_H

#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tsct_mpi tsct_mpi;

/* 1 when this build of libtsct has MPI (TSCT_WITH_MPI=ON), 0 otherwise. */
int tsct_mpi_built(void);

/* Start MPI on MPI_COMM_WORLD when this process was started by an MPI launcher (mpirun,
 * mpiexec, srun: OMPI_COMM_WORLD_SIZE, PMI_SIZE or PMIX_RANK in the environment) and this
 * build has MPI; otherwise *out = NULL (one rank, nothing started). argc and argv are
 * passed to MPI_Init_thread (may be NULL). Free with tsct_mpi_destroy, which finalises MPI.
 * Errors: TSCT_ERR_UNSUPPORTED when MPI cannot give MPI_THREAD_FUNNELED, TSCT_ERR_INTERNAL
 * when MPI fails to start. */
tsct_status tsct_mpi_init(int *argc, char ***argv, tsct_mpi **out, tsct_error *err);

/* A handle over a communicator the caller started: comm points to an MPI_Comm (duplicated;
 * the caller keeps and frees its own). MPI must be initialised with at least
 * MPI_THREAD_FUNNELED and stays the caller's to finalise. Errors: TSCT_ERR_UNSUPPORTED in a
 * build without MPI, TSCT_ERR_VALUE for NULL, TSCT_ERR_NOMEM. */
tsct_status tsct_mpi_create(const void *comm, tsct_mpi **out, tsct_error *err);

/* This process's rank (0 for NULL) and the number of ranks (1 for NULL). */
int tsct_mpi_rank(const tsct_mpi *m);
int tsct_mpi_size(const tsct_mpi *m);

/* The largest of every rank's code (an exit status), on every rank: collective; code itself
 * for NULL. The program exits with it so that every rank reports the same outcome. */
int tsct_mpi_max(const tsct_mpi *m, int code);

/* Free the handle; finalises MPI when tsct_mpi_init started it. NULL does nothing. */
void tsct_mpi_destroy(tsct_mpi *m);

#ifdef __cplusplus
}
#endif

#endif
