/* test_echem.c - electrochemistry records: a galvanostatic trace from the simulator's model,
 * written as a generic CSV (time in minutes) and as a BioLogic .mpt (decimal commas), read
 * back: charge balance per half cycle, half cycles, tomogram windows, dQ/dV peaks at the
 * plateaus, and errors naming the file, line and columns. */
#include <math.h>

#include "tsct/echem.h"
#include "tsct/simulate.h"
#include "tsct_test.h"

static tsct_sim_reaction bivo4(void)
{
    tsct_sim_reaction r;
    memset(&r, 0, sizeof r);
    r.nphase = 1;
    r.phase[0] = "x";
    r.nstate = 4;
    for (int k = 0; k < 4; k++)
        r.state[k][0] = 1;
    double cap[4] = {0, 3 * 82.7, 4 * 82.7, 6 * 82.7};
    double dv[3] = {1.8, 0.8, 0.7}, cv[3] = {3.0, 1.1, 1.0};
    memcpy(r.capacity, cap, sizeof cap);
    memcpy(r.discharge_v, dv, sizeof dv);
    memcpy(r.charge_v, cv, sizeof cv);
    r.charge_floor = 1;
    return r;
}

static char dir[4096];

static void write_trace(const char *path, int mpt)
{
    tsct_sim_reaction r = bivo4();
    tsct_sim_cycling c = TSCT_SIM_CYCLING_DEFAULT;
    c.mass_mg = 2.0;
    FILE *f = fopen(path, "w");
    if (mpt)
        fprintf(f, "EC-Lab ASCII FILE\nNb header lines : 4\n\ntime/s\tEwe/V\t<I>/mA\tcycle number\n");
    else
        fprintf(f, "# exported by a potentiostat\ntime/min,Ewe/V,<I>/mA\n");
    for (int k = 0; k <= 2400; k++) {
        double t = k * 0.5 / 60.0;  /* every 30 s, in hours */
        tsct_sim_echem e;
        tsct_sim_echem_at(&r, &c, fmin(t, 20.0 - 1e-9), &e);
        char line[200];
        if (mpt) {
            snprintf(line, sizeof line, "%.3f\t%.6f\t%.9f\t%d\n", t * 3600, e.voltage, e.current_ma,
                     (int)(t / 10));
            for (char *p = line; *p; p++)
                if (*p == '.')
                    *p = ',';
        } else {
            snprintf(line, sizeof line, "%.6f,%.6f,%.9f\n", t * 60, e.voltage, e.current_ma);
        }
        fputs(line, f);
    }
    fclose(f);
}

static void test_trace(int mpt)
{
    tsct_error err = TSCT_ERROR_INIT;
    char path[4200];
    snprintf(path, sizeof path, "%s/trace.%s", dir, mpt ? "mpt" : "csv");
    write_trace(path, mpt);
    tsct_echem *e = NULL;
    CHECK_OK(tsct_echem_read(path, NULL, &e, &err), &err);
    if (!e)
        return;
    CHECK(e->n == 2401);
    CHECK_NEAR(e->time_s[2400], 72000.0, 0.01);
    /* Four half cycles; constant current makes the trapezoid rule exact. */
    CHECK(e->half_cycle[0] == 0 && e->half_cycle[2400] == 3);
    double g = 2e-3;
    /* The last sample of the first discharge (t = 5 h - 30 s; at 5 h the current has
     * reversed): 599/600 of its 6 Li. */
    int64_t k5 = 599;
    CHECK_NEAR(e->capacity_mah[k5], 599.0 / 600 * 6 * 82.7 * g, 1e-6);
    CHECK_NEAR(e->charge_mah[k5], -599.0 / 600 * 6 * 82.7 * g, 1e-6);
    CHECK(e->half_cycle[599] == 0 && e->half_cycle[601] == 1);
    /* After the first charge (3 Li back), to within the one sampling step at each reversal. */
    CHECK_NEAR(e->charge_mah[1199], -3 * 82.7 * g, 2 * 82.7 * 6 * g / 600);
    /* A tomogram acquired from 2.6 h to 3.2 h (capacity 258 .. 317 mAh/g, inside the LiBi
     * plateau): mean capacity that of 2.9 h, voltage 0.8 V minus the IR drop, plus about
     * 0.01 V from the tail of the smoothed 1.8 -> 0.8 V step 10 mAh/g before the window. */
    double cap, volt;
    int64_t hc;
    CHECK_OK(tsct_echem_window(e, 2.6 * 3600, 3.2 * 3600, &cap, &volt, &hc, &err), &err);
    CHECK_NEAR(cap, 2.9 / 5 * 6 * 82.7 * g, 1e-6);
    CHECK(hc == 0);
    CHECK_NEAR(volt, 0.8 - 0.03, 0.015);
    /* dQ/dV of the first discharge peaks on the conversion plateau at 1.77 V. */
    double v[4000], d[4000];
    int64_t h[4000];
    int64_t nout = tsct_echem_dqdv(e, 0.01, v, d, h, 4000);
    CHECK(nout > 10);
    int64_t best = -1;
    for (int64_t i = 0; i < nout; i++)
        if (h[i] == 0 && (best < 0 || d[i] > d[best]))
            best = i;
    CHECK_MSG(best >= 0 && fabs(v[best] - 1.77) < 0.02, "dQ/dV peak at %.3f V",
              best >= 0 ? v[best] : NAN);
    CHECK_FAILS(tsct_echem_window(e, 70000, 80000, &cap, &volt, NULL, &err), TSCT_ERR_VALUE,
                &err, "not inside the record");
    char out[4300];
    snprintf(out, sizeof out, "%s/written.csv", dir);
    CHECK_OK(tsct_echem_write_csv(e, out, &err), &err);
    tsct_echem *back = NULL;
    tsct_echem_columns cols = {"time_s", "voltage_V", "current_mA", 1.0};
    CHECK_OK(tsct_echem_read(out, &cols, &back, &err), &err);
    CHECK(back && back->n == e->n && fabs(back->capacity_mah[k5] - e->capacity_mah[k5]) < 1e-6);
    tsct_echem_destroy(back);
    tsct_echem_destroy(e);
}

static void write_text(const char *name, const char *text, char *path, size_t size)
{
    snprintf(path, size, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void test_errors(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_echem *e = NULL;
    char p[4200];
    write_text("nocurrent.csv", "time/s,Ewe/V\n0,3\n1,3\n", p, sizeof p);
    CHECK_FAILS(tsct_echem_read(p, NULL, &e, &err), TSCT_ERR_NOT_FOUND, &err,
                "nocurrent.csv: columns[1]: no current column; the header has: time/s,Ewe/V");
    tsct_echem_columns named = {NULL, NULL, "I_cell", 0};
    write_text("named.csv", "time/s;Ewe/V;<I>/mA\n0;3,1;1\n", p, sizeof p);
    CHECK_FAILS(tsct_echem_read(p, &named, &e, &err), TSCT_ERR_NOT_FOUND, &err,
                "no current column named \"I_cell\"");
    write_text("badnum.csv", "time/s,Ewe/V,<I>/mA\n0,3,1\n1,three,1\n", p, sizeof p);
    CHECK_FAILS(tsct_echem_read(p, NULL, &e, &err), TSCT_ERR_FORMAT, &err, "badnum.csv: line[3]");
    write_text("back.csv", "time/s,Ewe/V,<I>/mA\n0,3,1\n5,3,1\n4,3,1\n", p, sizeof p);
    CHECK_FAILS(tsct_echem_read(p, NULL, &e, &err), TSCT_ERR_FORMAT, &err, "time goes backwards");
    write_text("short.csv", "time/s,Ewe/V,<I>/mA\n0,3,1\n", p, sizeof p);
    CHECK_FAILS(tsct_echem_read(p, NULL, &e, &err), TSCT_ERR_FORMAT, &err, "at least 2");
    write_text("nohead.mpt", "EC-Lab ASCII FILE\nsomething\n", p, sizeof p);
    CHECK_FAILS(tsct_echem_read(p, NULL, &e, &err), TSCT_ERR_FORMAT, &err, "Nb header lines");
    snprintf(p, sizeof p, "%s/absent.csv", dir);
    CHECK_FAILS(tsct_echem_read(p, NULL, &e, &err), TSCT_ERR_NOT_FOUND, &err, "absent.csv");
    CHECK(e == NULL);
    /* Semicolons with decimal commas; hours as the time unit. */
    write_text("semi.csv", "Time/h;Voltage/V;Current/mA\n0;3,5;-1,5\n0,5;3,4;-1,5\n1;3,3;-1,5\n", p,
               sizeof p);
    CHECK_OK(tsct_echem_read(p, NULL, &e, &err), &err);
    CHECK(e && e->n == 3 && e->time_s[2] == 3600.0 && e->voltage[0] == 3.5);
    CHECK(e && fabs(e->capacity_mah[2] - 1.5) < 1e-12);
    tsct_echem_destroy(e);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s", tsct_test_tmpdir(TSCT_TEST_TMP));
    test_trace(0);
    test_trace(1);
    test_errors();
    return tsct_test_finish("test_echem");
}
