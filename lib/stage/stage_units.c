/* stage_units.c - a step's loop over its units of work, in one process or over MPI ranks.
 *
 * The stages that split their work over ranks (integrate, recon) write their loop as two
 * callbacks, compute (any rank) and write (rank 0), and call tsct__stage_units_run. In one
 * process it is the plain loop every stage had: each unit not done is computed, written and
 * marked done in increasing order. With ranks it hands the same units to stage_mpi.c, which
 * deals them round robin and has rank 0 write them in the same order, so the container's
 * bytes do not depend on the number of ranks.
 */
#include <stdlib.h>

#include "stage_internal.h"

int tsct__stage_root(const tsct_stage_ctx *ctx)
{
    return tsct_mpi_rank(ctx->mpi) == 0;
}

tsct_status tsct__stage_agree(const tsct_stage_ctx *ctx, tsct_status st, tsct_error *err)
{
    if (tsct_mpi_size(ctx->mpi) <= 1)
        return st;
    return tsct__mpi_first_error(ctx->mpi, st, err);
}

tsct_status tsct__stage_units_mark(tsct_step *step, const tsct__stage_units *w,
                                   tsct_stage_batch *b, int64_t u, tsct_error *err)
{
    if (w->batched)
        return tsct_stage_batch_add(step, b, u, err);
    return tsct_step_mark_done(step, u, 1, err);
}

tsct_status tsct__stage_units_flush(tsct_step *step, tsct_stage_batch *b, tsct_error *err)
{
    return tsct_stage_batch_flush(step, b, err);
}

/* Rank 0's decision, sent to the others: its status, whether there is work, the units and
 * the shared values. */
static tsct_status units_announce(const tsct_stage_ctx *ctx, tsct_step *step,
                                  tsct__stage_units *w, tsct_status st, int *run,
                                  tsct_error *err)
{
    int64_t head[5] = {(int64_t)st, step != NULL, w->nunits, w->shared[0], w->shared[1]};
    TSCT_TRY(tsct__mpi_bcast(ctx->mpi, head, sizeof head, err));
    if (tsct__stage_root(ctx))
        return st;
    if (head[0] != TSCT_OK && head[0] != TSCT_NOT_CONVERGED)
        return tsct_error_set(err, TSCT_ERR_STATE, NULL, "rank 0", -1,
                              "failed before the units were dealt (see its message)");
    w->nunits = head[2];
    w->shared[0] = head[3];
    w->shared[1] = head[4];
    if (run)
        *run = head[1] != 0;
    return TSCT_OK;
}

tsct_status tsct__stage_units_run(const tsct_stage_ctx *ctx, tsct_step *step,
                                  tsct__stage_units *w, tsct_status st, int *run,
                                  tsct_progress *progress, int64_t per_unit, int64_t *computed,
                                  tsct_error *err)
{
    if (computed)
        *computed = 0;
    if (run)
        *run = 0;
    if (tsct_mpi_size(ctx->mpi) > 1) {
        int go = 0;
        TSCT_TRY(units_announce(ctx, step, w, st, &go, err));
        if (tsct__stage_root(ctx) ? !step : !go)
            return TSCT_OK;
        if (run)
            *run = 1;
        return tsct__mpi_units(ctx->mpi, step, w, progress, per_unit, computed, err);
    }
    if ((st != TSCT_OK && st != TSCT_NOT_CONVERGED) || !step)
        return st;
    if (run)
        *run = 1;
    void *out = malloc(w->unit_bytes ? w->unit_bytes : 1);
    if (!out)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "unit", -1, "%zu bytes",
                              w->unit_bytes);
    st = TSCT_OK;
    tsct_stage_batch batch = {0, 0, tsct_clock()};
    for (int64_t u = 0; st == TSCT_OK && u < w->nunits; u++) {
        if (tsct_step_is_done(step, u))
            continue;
        st = w->compute(w->user, u, out, err);
        if (st == TSCT_OK)
            st = w->write(w->user, u, out, err);
        if (st == TSCT_OK)
            st = tsct__stage_units_mark(step, w, &batch, u, err);
        if (st == TSCT_OK) {
            tsct_progress_add(progress, per_unit);
            if (computed)
                (*computed)++;
        }
    }
    if (st == TSCT_OK)
        st = tsct__stage_units_flush(step, &batch, err);
    free(out);
    return st;
}
