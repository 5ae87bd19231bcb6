#!/usr/bin/python3
"""Peer reference lines for the powder pattern tests (tests/test_powder.c), written once
and committed.

    /usr/bin/python3 tests/data/powder_reference/make_reference.py [OUTDIR]

Peer: Debian's python3-xrayutilities 1.7.4 (from /usr/bin/python3). For each CIF,
xu.materials.Crystal.fromCIF expands the structure with xrayutilities' own CIF reader and
space-group tables, and xu.simpack.PowderDiffraction lists the powder lines up to 2theta
TT_MAX at WAVELENGTH: positions, and the line strength

    r = sum over the line's hkl of |F(hkl)|^2 * L P / V^2,
    L = 1 / (sin^2 theta cos theta),  P = (1 + cos^2 2theta) / 2

(its correction_factor, after L. S. Zevin, Quantitative X-Ray Diffractometry, p. 18): the
same Lorentz and polarisation factors as tsct's Debye-Scherrer model with
TSCT_POWDER_POLARIZATION_UNPOLARIZED. Its F uses f0 + f' + i f'' at the energy (tables
f0_xop: a fit to Kissel's RTAB f0, neutral atoms; Henke / Chantler f', f'') and Debye-Waller
factors exp(-B s^2) from _atom_site_U_iso / B_iso (anisotropic ADPs are ignored).

Written per line (file lines_<name>.txt):
  two_theta   degrees, xrayutilities' line position
  q           1/Angstrom
  r_model     r * V^2: xrayutilities' powder model as it stands (f0 + f' + i f'', its DW)
  r_f0        the same lines with F recomputed on xrayutilities' expanded atoms from its f0
              alone, occupancies, no DW, times its correction_factor * V^2: what tsct's model
              with neutral atoms and no ADP computes, up to the form-factor table
BiVO4_monoclinic_scheelite.cif is left out: xrayutilities 1.7.4 cannot expand its I 1 2/b 1
setting ("Wyckoff positions missing, using P1") and would describe a different crystal.
"""
import glob
import math
import os
import sys
import warnings

import numpy as np

warnings.filterwarnings("ignore")

import xrayutilities as xu
from xrayutilities.simpack import PowderDiffraction

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
WAVELENGTH = 0.5                      # Angstrom
ENERGY_EV = 12398.419843320026 / WAVELENGTH
QMAX = 8.0                            # 1/Angstrom
TT_MAX = 2 * math.degrees(math.asin(QMAX * WAVELENGTH / (4 * math.pi)))
SKIP = {"BiVO4_monoclinic_scheelite.cif"}


def cif_files():
    files = sorted(glob.glob(os.path.join(ROOT, "tests", "data", "cif", "*.cif")))
    files += sorted(glob.glob(os.path.join(ROOT, "data", "structures", "*.cif")))
    return [f for f in files if os.path.basename(f) not in SKIP]


def lines(path):
    xu.config.VERBOSITY = 0
    mat = xu.materials.Crystal.fromCIF(path)
    pd = PowderDiffraction(mat, en=ENERGY_EV, tt_cutoff=TT_MAX, enable_simulation=False)
    vol = mat.lattice.UnitCellVolume()
    # recompute every hkl's |F|^2 with f0 only and no DW, merged as xrayutilities merges
    base = list(mat.lattice.base())
    data = pd.reflection_strength(TT_MAX)
    hkls = np.array([list(h) for h in data["hkl"]], dtype=float)
    q = mat.Q(hkls)
    qn = np.linalg.norm(q, axis=1)
    F = np.zeros(len(qn), dtype=complex)
    for atom, pos, occ, _b in base:
        r = mat.lattice.GetPoint(pos)
        F += atom.f0(qn) * occ * np.exp(-1j * q.dot(r))
    f2 = np.abs(F) ** 2
    rows = []
    for line in sorted(pd.data.values(), key=lambda v: v["qpos"]):
        qpos = line["qpos"]
        sel = np.isclose(qn - qpos, 0)
        theta = line["ang"]
        corr = pd.correction_factor(np.array([theta]))[0]
        rows.append((2 * theta, qpos, line["r"] * vol ** 2, f2[sel].sum() * corr * vol ** 2))
    pd.close()
    return rows


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else HERE
    os.makedirs(out, exist_ok=True)
    for path in cif_files():
        name = os.path.splitext(os.path.basename(path))[0]
        with open(os.path.join(out, "lines_%s.txt" % name), "w") as fh:
            fh.write("# %s: xrayutilities %s powder lines, lambda %g Angstrom, 2theta <= %.6f\n"
                     % (os.path.relpath(path, ROOT), xu.__version__, WAVELENGTH, TT_MAX))
            fh.write("# two_theta(deg) q(1/Angstrom) r_model(|F|^2 L P, f0+f'+if'', DW) "
                     "r_f0(|F|^2 L P, f0 only, no DW)\n")
            for tt, qq, rm, rf in lines(path):
                fh.write("%.10f %.10f %.8g %.8g\n" % (tt, qq, rm, rf))


if __name__ == "__main__":
    main()
