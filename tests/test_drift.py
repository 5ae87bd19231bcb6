"""test_drift.py - lattice-parameter drift recovered through the processing chain.

The demo experiment (pattern level) is run through `tsct sinogram`, `tsct recon` and
`tsct map`; `tsct region` averages the voxels of the LiBi map, and `tsct fit peak --series`
fits the LiBi (101) reflection (q = 2.384 1/A, the window of the BiVO4 study) in every time
step's region pattern. The simulator scales the LiBi lattice by /ground_truth/lattice_scale
(0.2-0.8 % as it lithiates), so the fitted positions must follow q0 / scale(t). They must do
so within their ESDs (2 sigma) and within 1e-4 relative, for every time step in which the
peak is there; q0 is the ESD-weighted mean of q(t) scale(t). Then the ESDs: a fit that
reports ESDs 100x too large would pass the first test, so they must also be below 1e-3 of
q. State of charge per tomogram from the simulated electrochemistry is tested in
test_echem_cli.py; honest per-voxel ESDs on noise-only repeats in test_fit_cli.py.
"""
import csv
import io
import os

import h5py
import numpy as np

from cli_check import TMP, check, finish, fresh_experiment, run

exp = fresh_experiment(os.path.join(TMP, "drift.h5"))
run("simulate", "--preset", "demo", "-o", exp)
run("sinogram", exp)
run("recon", exp)
run("map", exp, "--window", "LiBi=2.345:2.445")
r = run("region", exp, "--name", "libi", "--mask-map", "LiBi", "--mask-time", "2")
r = run("fit", "peak", "--series", exp + "::/entry/regions/libi/pattern", "-w", "2.30:2.47",
        "-p", "g@2.38", "-b", "1")
rows = list(csv.DictReader(io.StringIO(r.stdout)))
with h5py.File(exp, "r") as f:
    names = f["ground_truth/phase_fraction"].attrs["phases"].decode().split(",")
    scale = f["ground_truth/lattice_scale"][:, names.index("LiBi")]
    frac = f["ground_truth/phase_fraction"][..., names.index("LiBi")]
check(len(rows) == len(scale), "one fit per time step (%d rows)" % len(rows))
# Time steps in which LiBi is there (in at least a tenth of the particle voxels).
present = [t for t in range(len(scale)) if (frac[t] > 0.25).sum() > 0.1 * (frac.max(0) > 0).sum()]
check(len(present) >= 3, "LiBi present in several time steps: %s" % present)
q = np.array([float(rows[t]["position_1"]) for t in present])
e = np.array([float(rows[t]["position_1_esd"]) for t in present])
s = scale[present]
w = 1 / e ** 2
q0 = np.sum(w * q * s) / np.sum(w)
for t, qt, et, st in zip(present, q, e, s):
    dev = qt - q0 / st
    print("t=%d: q = %.6f +- %.6f, expected %.6f (scale %.5f): %+.1e = %+.2f ESD"
          % (t, qt, et, q0 / st, st, dev, dev / et))
    check(abs(dev) < 2 * et, "t=%d: the drift within 2 ESD (%.2f)" % (t, dev / et))
    check(abs(dev) < 1e-4 * qt, "t=%d: the drift within 1e-4 (%.1e)" % (t, dev / qt))
    check(et < 1e-3 * qt, "t=%d: the ESD is informative (%.1e of q)" % (t, et / qt))
check(np.ptp(s) > 0.002, "the drift is resolved: scales %s" % s)
finish("test_drift")
