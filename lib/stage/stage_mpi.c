/* stage_mpi.c - the MPI layer (include/tsct/mpi.h) and the ranks' side of a step's loop.
 *
 * The only file of the library that includes mpi.h. Built with TSCT_WITH_MPI=ON; without it
 * the second half of the file gives a library in which no handle is ever made (one rank).
 *
 * The loop (tsct__mpi_units): rank 0 sends every rank the step's record of finished units;
 * the units still to do, in increasing order, are dealt round robin (the i-th to rank
 * i mod size). Rank 0 walks the same list: its own units it computes, the others' it
 * receives (a header, then the result or an error message) from their owners in that order,
 * and writes each one and marks it done. The order of the writes, and therefore the bytes of
 * the step's datasets, are those of one process. A worker computes its next unit while rank
 * 0 takes the previous one, so rank 0's writes are the part that does not scale
 * (docs/mpi.md measures it). After a failure every rank still sends one header per unit, so
 * no rank waits for a message that never comes; rank 0 then drains and reports the first
 * error, with the rank that had it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage_internal.h"
#include "tsct_config.h"

#if TSCT_HAVE_MPI
#include <mpi.h>
#include <signal.h>
#include <time.h>

struct tsct_mpi {
    MPI_Comm comm;
    int rank, size;
    int finalize; /* 1: tsct_mpi_init started MPI */
};

int tsct_mpi_built(void)
{
    return 1;
}

static int launched_by_mpi(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK") ||
           getenv("MPI_LOCALNRANKS");
}

static tsct_status handle_make(MPI_Comm comm, int finalize, tsct_mpi **out, tsct_error *err)
{
    tsct_mpi *m = calloc(1, sizeof *m);
    if (!m)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "MPI", -1, "handle");
    if (MPI_Comm_dup(comm, &m->comm) != MPI_SUCCESS) {
        free(m);
        return tsct_error_set(err, TSCT_ERR_INTERNAL, NULL, "MPI", -1,
                              "MPI_Comm_dup failed");
    }
    MPI_Comm_rank(m->comm, &m->rank);
    MPI_Comm_size(m->comm, &m->size);
    m->finalize = finalize;
    *out = m;
    return TSCT_OK;
}

tsct_status tsct_mpi_init(int *argc, char ***argv, tsct_mpi **out, tsct_error *err)
{
    *out = NULL;
    if (!launched_by_mpi())
        return TSCT_OK;
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return tsct_error_set(err, TSCT_ERR_INTERNAL, NULL, "MPI", -1,
                              "MPI_Init_thread failed");
    if (provided < MPI_THREAD_FUNNELED) {
        MPI_Finalize();
        return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, "MPI", -1,
                              "MPI_THREAD_FUNNELED is not available (got level %d)", provided);
    }
    tsct_status st = handle_make(MPI_COMM_WORLD, 1, out, err);
    if (st != TSCT_OK) {
        MPI_Finalize();
        return st;
    }
    /* Ranks > 0 read the container rank 0 holds open for writing (see tsct/mpi.h). */
    if ((*out)->size > 1)
        setenv("HDF5_USE_FILE_LOCKING", "FALSE", 0);
    return TSCT_OK;
}

tsct_status tsct_mpi_create(const void *comm, tsct_mpi **out, tsct_error *err)
{
    *out = NULL;
    if (!comm)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "MPI", -1, "no communicator");
    return handle_make(*(const MPI_Comm *)comm, 0, out, err);
}

int tsct_mpi_rank(const tsct_mpi *m)
{
    return m ? m->rank : 0;
}

int tsct_mpi_size(const tsct_mpi *m)
{
    return m ? m->size : 1;
}

int tsct_mpi_max(const tsct_mpi *m, int code)
{
    int all = code;
    if (!m || m->size < 2)
        return all;
    /* The ranks that wait here while rank 0 runs a command of its own would spin in a
     * blocking collective and take a core from it: poll every millisecond instead. */
    MPI_Request req;
    MPI_Iallreduce(&code, &all, 1, MPI_INT, MPI_MAX, m->comm, &req);
    int done = 0;
    const struct timespec ms = {0, 1000000};
    while (MPI_Test(&req, &done, MPI_STATUS_IGNORE) == MPI_SUCCESS && !done)
        nanosleep(&ms, NULL);
    return all;
}

void tsct_mpi_destroy(tsct_mpi *m)
{
    if (!m)
        return;
    MPI_Comm_free(&m->comm);
    if (m->finalize)
        MPI_Finalize();
    free(m);
}

/* MPI counts are int: large results travel in pieces of at most 1 GiB. */
enum { PIECE = 1 << 30, TAG_HEAD = 71, TAG_DATA = 72 };

static int send_bytes(const tsct_mpi *m, int to, const void *buf, size_t n)
{
    const char *p = buf;
    for (size_t off = 0; off < n; off += PIECE) {
        const int k = (int)(n - off < (size_t)PIECE ? n - off : (size_t)PIECE);
        if (MPI_Send(p + off, k, MPI_BYTE, to, TAG_DATA, m->comm) != MPI_SUCCESS)
            return -1;
    }
    return 0;
}

static int recv_bytes(const tsct_mpi *m, int from, void *buf, size_t n)
{
    char *p = buf;
    for (size_t off = 0; off < n; off += PIECE) {
        const int k = (int)(n - off < (size_t)PIECE ? n - off : (size_t)PIECE);
        if (MPI_Recv(p + off, k, MPI_BYTE, from, TAG_DATA, m->comm, MPI_STATUS_IGNORE) !=
            MPI_SUCCESS)
            return -1;
    }
    return 0;
}

tsct_status tsct__mpi_bcast(const tsct_mpi *m, void *buf, size_t bytes, tsct_error *err)
{
    char *p = buf;
    for (size_t off = 0; off < bytes; off += PIECE) {
        const int k = (int)(bytes - off < (size_t)PIECE ? bytes - off : (size_t)PIECE);
        if (MPI_Bcast(p + off, k, MPI_BYTE, 0, m->comm) != MPI_SUCCESS)
            return tsct_error_set(err, TSCT_ERR_INTERNAL, NULL, "MPI", -1, "MPI_Bcast failed");
    }
    return TSCT_OK;
}

static int failed(tsct_status st)
{
    return st != TSCT_OK && st != TSCT_NOT_CONVERGED;
}

/* err's message as another rank's: "rank K: MESSAGE". */
static void name_rank(tsct_error *err, int rank)
{
    char msg[sizeof err->message];
    snprintf(msg, sizeof msg, "rank %d: %.*s", rank, (int)(sizeof msg - 24), err->message);
    memcpy(err->message, msg, sizeof msg);
}

tsct_status tsct__mpi_first_error(const tsct_mpi *m, tsct_status st, tsct_error *err)
{
    int mine = failed(st) ? m->rank : m->size, first = m->size;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, m->comm);
    if (first == m->size)
        return st;
    tsct_error e;
    if (m->rank == first)
        e = *err;
    MPI_Bcast(&e, (int)sizeof e, MPI_BYTE, first, m->comm);
    if (m->rank != first) {
        *err = e;
        name_rank(err, first);
    }
    return err->status;
}

/* One unit's header: the sender's status and what follows (1: the result, 2: its error). */
typedef struct unit_head {
    int64_t status, follows;
} unit_head;

static tsct_status root_loop(const tsct_mpi *m, tsct_step *step, const tsct__stage_units *w,
                             const int64_t *todo, int64_t ntodo, void *buf,
                             tsct_progress *progress, int64_t per_unit, int64_t *computed,
                             tsct_error *err)
{
    /* Test hook (tests/mpi/test_mpi_chain.py): a kill of the job at a known point, after the
     * K-th unit written and recorded, so that its resumption under other ranks is tested
     * without racing a timer. */
    const char *kill_after = getenv("TSCT_TEST_KILL_AFTER_UNITS");
    const int64_t kill_at = kill_after ? strtoll(kill_after, NULL, 10) : -1;
    tsct_status st = TSCT_OK;
    tsct_stage_batch batch = {0, 0, tsct_clock()};
    for (int64_t i = 0; i < ntodo; i++) {
        const int64_t u = todo[i];
        const int owner = (int)(i % m->size);
        if (owner == 0) {
            if (st == TSCT_OK)
                st = w->compute(w->user, u, buf, err);
        } else {
            unit_head h;
            MPI_Recv(&h, (int)sizeof h, MPI_BYTE, owner, TAG_HEAD, m->comm, MPI_STATUS_IGNORE);
            if (h.follows == 1 && recv_bytes(m, owner, buf, w->unit_bytes) != 0 &&
                st == TSCT_OK)
                st = tsct_error_set(err, TSCT_ERR_INTERNAL, NULL, "MPI", owner,
                                    "receiving unit %lld failed", (long long)u);
            if (h.follows == 2) {
                tsct_error e;
                recv_bytes(m, owner, &e, sizeof e);
                if (st == TSCT_OK) {
                    *err = e;
                    name_rank(err, owner);
                    st = err->status;
                }
            }
        }
        if (st == TSCT_OK)
            st = w->write(w->user, u, buf, err);
        if (st == TSCT_OK)
            st = tsct__stage_units_mark(step, w, &batch, u, err);
        if (st == TSCT_OK) {
            tsct_progress_add(progress, per_unit);
            (*computed)++;
        }
        if (st == TSCT_OK && *computed == kill_at) {
            tsct__stage_units_flush(step, &batch, err);
            raise(SIGKILL);
        }
    }
    return st == TSCT_OK ? tsct__stage_units_flush(step, &batch, err) : st;
}

static tsct_status worker_loop(const tsct_mpi *m, const tsct__stage_units *w,
                               const int64_t *todo, int64_t ntodo, void *buf, int64_t *computed,
                               tsct_error *err)
{
    tsct_status st = TSCT_OK;
    int told = 0;
    for (int64_t i = m->rank; i < ntodo; i += m->size) {
        if (st == TSCT_OK)
            st = w->compute(w->user, todo[i], buf, err);
        unit_head h = {st, st == TSCT_OK ? 1 : told ? 0 : 2};
        MPI_Send(&h, (int)sizeof h, MPI_BYTE, 0, TAG_HEAD, m->comm);
        if (h.follows == 1) {
            send_bytes(m, 0, buf, w->unit_bytes);
            (*computed)++;
        } else if (h.follows == 2) {
            send_bytes(m, 0, err, sizeof *err);
            told = 1;
        }
    }
    return st;
}

tsct_status tsct__mpi_units(const tsct_mpi *m, tsct_step *step, const tsct__stage_units *w,
                            tsct_progress *progress, int64_t per_unit, int64_t *computed,
                            tsct_error *err)
{
    int64_t dummy = 0;
    if (!computed)
        computed = &dummy;
    const int64_t n = w->nunits;
    uint8_t *done = malloc((size_t)(n > 0 ? n : 1));
    int64_t *todo = malloc((size_t)(n > 0 ? n : 1) * sizeof *todo);
    void *buf = malloc(w->unit_bytes ? w->unit_bytes : 1);
    /* An allocation failure must not leave the other ranks waiting: agree on it first. */
    tsct_status st = done && todo && buf ? TSCT_OK
                     : tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "units", -1,
                                      "%lld units of %zu bytes", (long long)n, w->unit_bytes);
    st = tsct__mpi_first_error(m, st, err);
    if (st == TSCT_OK && m->rank == 0)
        for (int64_t u = 0; u < n; u++)
            done[u] = (uint8_t)tsct_step_is_done(step, u);
    if (st == TSCT_OK)
        st = tsct__mpi_bcast(m, done, (size_t)n, err);
    int64_t ntodo = 0;
    for (int64_t u = 0; st == TSCT_OK && u < n; u++)
        if (!done[u])
            todo[ntodo++] = u;
    if (st == TSCT_OK)
        st = m->rank == 0 ? root_loop(m, step, w, todo, ntodo, buf, progress, per_unit,
                                      computed, err)
                          : worker_loop(m, w, todo, ntodo, buf, computed, err);
    /* Rank 0's outcome, so that every rank returns a failure when the step failed. */
    int64_t root_st = st;
    if (done && todo && buf)
        MPI_Bcast(&root_st, 1, MPI_INT64_T, 0, m->comm);
    if (m->rank != 0 && st == TSCT_OK && failed((tsct_status)root_st))
        st = tsct_error_set(err, TSCT_ERR_STATE, NULL, "rank 0", -1,
                            "the step failed (see its message)");
    free(done);
    free(todo);
    free(buf);
    return st;
}

#else /* one process: no handle is ever made */

int tsct_mpi_built(void)
{
    return 0;
}

tsct_status tsct_mpi_init(int *argc, char ***argv, tsct_mpi **out, tsct_error *err)
{
    (void)argc, (void)argv, (void)err;
    *out = NULL;
    return TSCT_OK;
}

tsct_status tsct_mpi_create(const void *comm, tsct_mpi **out, tsct_error *err)
{
    (void)comm;
    *out = NULL;
    return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, "MPI", -1,
                          "this build of tsct has no MPI (configure with -DTSCT_WITH_MPI=ON)");
}

int tsct_mpi_rank(const tsct_mpi *m)
{
    (void)m;
    return 0;
}

int tsct_mpi_size(const tsct_mpi *m)
{
    (void)m;
    return 1;
}

int tsct_mpi_max(const tsct_mpi *m, int code)
{
    (void)m;
    return code;
}

void tsct_mpi_destroy(tsct_mpi *m)
{
    (void)m;
}

static tsct_status no_ranks(tsct_error *err)
{
    return tsct_error_set(err, TSCT_ERR_INTERNAL, NULL, "MPI", -1, "no ranks in this build");
}

tsct_status tsct__mpi_units(const tsct_mpi *m, tsct_step *step, const tsct__stage_units *w,
                            tsct_progress *progress, int64_t per_unit, int64_t *computed,
                            tsct_error *err)
{
    (void)m, (void)step, (void)w, (void)progress, (void)per_unit, (void)computed;
    return no_ranks(err);
}

tsct_status tsct__mpi_bcast(const tsct_mpi *m, void *buf, size_t bytes, tsct_error *err)
{
    (void)m, (void)buf, (void)bytes;
    return no_ranks(err);
}

tsct_status tsct__mpi_first_error(const tsct_mpi *m, tsct_status st, tsct_error *err)
{
    (void)m, (void)err;
    return st;
}

#endif
