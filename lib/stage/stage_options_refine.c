/* stage_options_refine.c - the options of the refinement stage (tsct_stage_refine_params,
 * tsct/stage_refine.h) as keys and values, for the option layer of stage_options.c: the
 * [refine] step of `tsct run` reads its section through them.
 */
#include <string.h>

#include "stage_internal.h"
#include "tsct/stage.h"

const tsct_stage_option tsct__stage_refine_options[] = {
    {"config", 'c', TSCT_STAGE_OPTION_VALUE, 1, 0, "REFINE.cfg: the refinement (required)"},
    {"output", 'o', TSCT_STAGE_OPTION_VALUE, 1, 0, "PREFIX or FOLDER/: where results go"},
    {"instrument", 0, TSCT_STAGE_OPTION_FLAG, 0, 0, "instrument profile from a calibrant"},
    {"no-png", 0, TSCT_STAGE_OPTION_FLAG, 0, 0, "no observed/calculated figure"},
    {NULL, 0, 0, 0, 0, NULL}};

tsct_status tsct__stage_refine_set(void *params, const char *k, const char *v, tsct_error *err)
{
    (void)err;
    tsct_stage_refine_params *p = params;
    if (strcmp(k, "config") == 0)
        p->config = v;
    else if (strcmp(k, "output") == 0)
        p->output = v;
    else if (strcmp(k, "instrument") == 0)
        p->instrument = 1;
    else if (strcmp(k, "no-png") == 0)
        p->png = 0;
    return TSCT_OK;
}

tsct_status tsct__stage_refine_check(const tsct_stage_refine_params *p, tsct_error *err)
{
    if (!p->config)
        return tsct__stage_refuse(err, "config", "missing -c REFINE.cfg");
    return TSCT_OK;
}
