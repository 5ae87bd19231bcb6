/* fuzz_xyz.c - libFuzzer entry point for the XYZ cluster reader
 * (tsct_debye_cluster_parse_xyz) and what consumes a cluster: its pair list and, for clusters
 * of up to 200 atoms, a calculated G(r) (tsct/pdfmodel.h). A parsed cluster must hold the
 * announced number of atoms at finite positions; G(r) must be finite. Built and run by
 * tests/fuzz/run.sh. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "tsct/debye.h"
#include "tsct/pdfmodel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tsct_debye_cluster *c = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_status st = tsct_debye_cluster_parse_xyz(&c, (const char *)data, size, &err);
    FUZZ_CHECK_MESSAGE(st, err);
    if (st != TSCT_OK)
        return 0;
    const int64_t n = tsct_debye_cluster_atom_count(c);
    const double *x = tsct_debye_cluster_positions(c);
    if (n < 1 || n > TSCT_DEBYE_XYZ_MAX_ATOMS)
        __builtin_trap();
    for (int64_t i = 0; i < 3 * n; i++)
        if (!isfinite(x[i]))
            __builtin_trap();
    if (n <= 200) {
        double r[301], g[301];
        for (int i = 0; i < 301; i++)
            r[i] = 0.05 * i;
        tsct_pdfmodel *m = NULL;
        st = tsct_pdfmodel_create_cluster(&m, c, r, 301, 20.0, &err);
        FUZZ_CHECK_MESSAGE(st, err);
        if (st == TSCT_OK) {
            tsct_pdfmodel_params p = TSCT_PDFMODEL_PARAMS_DEFAULT;
            p.uiso = 0.005;
            st = tsct_pdfmodel_evaluate(m, &p, 0, g, NULL, &err);
            FUZZ_CHECK_MESSAGE(st, err);
            for (int i = 0; st == TSCT_OK && i < 301; i++)
                if (!isfinite(g[i]))
                    __builtin_trap();
            tsct_pdfmodel_destroy(m);
        }
    }
    tsct_debye_cluster_destroy(c);
    return 0;
}
