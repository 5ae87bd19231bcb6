#!/usr/bin/python3
"""make_reference.py OUTDIR - peak fits by scipy.optimize.curve_fit (MINPACK lmder) for
tests/test_fit.c.

Three noisy synthetic patterns (numpy's PCG64 with fixed seeds, so the data are reproducible)
with the model of include/tsct/fit.h: area-normalised Gaussian / Lorentzian / pseudo-Voigt
peaks (FWHM width, one width for both pseudo-Voigt parts) on a polynomial background in
(x - xc), xc the window centre. curve_fit starts near the truth, runs with tight tolerances
(ftol = xtol = 1e-15) and no bounds; ESDs are sqrt(diag(pcov)): scaled by the reduced chi2 for
unit weights (curve_fit's default), absolute_sigma=True when sigma is given.

Files (little-endian float64):
  cases.txt          one line per case: NAME XMIN XMAX BG_DEGREE WEIGHTED PEAK_SPEC...
  NAME_data.f64      [n][3]: x, y, sigma
  NAME_fit.f64       [2][k]: curve_fit parameters (layout of fit.h), then their ESDs
"""
import os
import sys

import numpy as np
from scipy.optimize import curve_fit

GA = 4 * np.log(2)
GC = np.sqrt(GA / np.pi)
LC = 2 / np.pi


def profile(kind, x, x0, w, eta):
    u = (x - x0) / w
    g = GC / w * np.exp(-GA * u * u)
    lo = LC / w / (1 + 4 * u * u)
    return {"g": g, "l": lo, "pv": eta * lo + (1 - eta) * g}[kind]


def make_model(kinds, deg, xc):
    def f(x, *p):
        y = np.zeros_like(x)
        i = 0
        for kind in kinds:
            eta = p[i + 3] if kind == "pv" else 0.0
            y = y + p[i] * profile(kind, x, p[i + 1], p[i + 2], eta)
            i += 4 if kind == "pv" else 3
        for j in range(deg + 1):
            y = y + p[i + j] * (x - xc) ** j
        return y
    return f


# name, window, background degree, weighted, [(kind, area, pos, fwhm, eta)], bg, n, noise, seed
CASES = [
    ("pv_linear", 1.2, 1.8, 1, False, [("pv", 2.0, 1.503, 0.061, 0.37)], [5.0, -1.5],
     60, 0.2, 11),
    ("gauss_quad", 2.0, 2.6, 2, True, [("g", 1.2, 2.312, 0.045, 0.0)], [1.0, 0.8, -2.0],
     80, 0.15, 12),
    ("two_peaks", 3.0, 4.0, 1, False, [("l", 0.8, 3.36, 0.08, 0.0), ("pv", 1.5, 3.55, 0.07, 0.6)],
     [2.0, 0.3], 100, 0.1, 13),
]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    lines = []
    for name, xmin, xmax, deg, weighted, peaks, bg, n, noise, seed in CASES:
        rng = np.random.Generator(np.random.PCG64(seed))
        x = np.linspace(xmin, xmax, n)
        xc = 0.5 * (xmin + xmax)
        kinds = [p[0] for p in peaks]
        truth = []
        for kind, a, x0, w, eta in peaks:
            truth += [a, x0, w] + ([eta] if kind == "pv" else [])
        truth += bg
        f = make_model(kinds, deg, xc)
        clean = f(x, *truth)
        sigma = noise * (0.5 + 0.5 * np.sqrt(np.abs(clean) / np.abs(clean).max()))
        y = clean + sigma * rng.standard_normal(n)
        p0 = np.array(truth) * 1.01 + 1e-3
        popt, pcov = curve_fit(f, x, y, p0=p0, sigma=sigma if weighted else None,
                               absolute_sigma=weighted, ftol=1e-15, xtol=1e-15, gtol=0.0,
                               maxfev=100000)
        esd = np.sqrt(np.diag(pcov))
        np.stack([x, y, sigma], axis=1).astype("<f8").tofile(os.path.join(out, name + "_data.f64"))
        np.stack([popt, esd]).astype("<f8").tofile(os.path.join(out, name + "_fit.f64"))
        specs = ["%s@%.4f" % (kind, x0) for kind, a, x0, w, eta in peaks]
        lines.append("%s %.6g %.6g %d %d %s" % (name, xmin, xmax, deg, int(weighted),
                                                 " ".join(specs)))
    with open(os.path.join(out, "cases.txt"), "w") as fh:
        fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
