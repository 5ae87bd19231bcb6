#!/usr/bin/python3
"""Peer reference values for tests/test_physics.c, written once and committed.

    /usr/bin/python3 tests/data/physics_reference/make_reference.py [OUTDIR]

Peers (Debian bookworm packages, called from /usr/bin/python3):
  * python3-pymatgen 2022.11.7: CifParser expands each CIF (its own symmetry code), and
    XRDCalculator lists the peaks: d, the hkl of each peak (multiplicities), and intensities
    with pymatgen's own form factors (a 4-Gaussian fit, atomic_scattering_params.json, neutral
    atoms, no Debye-Waller factor), from which we divide out pymatgen's Lorentz-polarisation
    factor to get sum over the peak of |F|^2.
  * python3-periodictable 1.6.0: an independent evaluation of the Waasmaier-Kirfel table
    (cromermann.py reading DABAX f0_WaasKirf.dat), used for (a) f0 of every WK entry at a grid
    of s, and (b) sum |F|^2 per peak with pymatgen's expanded atoms and WK form factors of the
    CIF's atom types (ions where given), no Debye-Waller factor.
  * python3-xrayutilities 1.7.4: its default f0 (DABAX f0_xop.dat, a five-Gaussian fit to
    Kissel's RTAB relativistic form factors, neutral atoms): sum |F|^2 per peak with
    pymatgen's atoms, a form-factor table independent of Waasmaier-Kirfel; and DABAX
    f0_InterTables.dat, the International Tables Vol. C
    (1992) Table 6.1.1.4 analytic approximation of the tabulated f0 of Table 6.1.1.1.

Files written:
  formfactor_wk.txt     symbol, then f0 at s = 0 0.05 0.1 0.25 0.5 1 2 4 6 (periodictable)
  formfactor_itc.txt    element, s, f0 (International Tables 6.1.1.4 approximation)
  peaks_<name>.txt      per peak: d (Angstrom), number of hkl, sum |F|^2 with pymatgen form
                        factors, sum |F|^2 with WK form factors, sum |F|^2 with
                        xrayutilities form factors; Q <= QMAX
"""
import glob
import lzma
import math
import os
import re
import sys
import warnings

import numpy as np

warnings.filterwarnings("ignore")

import periodictable
import pymatgen.core
from periodictable import cromermann
from pymatgen.analysis.diffraction.xrd import XRDCalculator
from pymatgen.io.cif import CifParser
from xrayutilities.materials import elements as XU_ELEMENTS

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
WAVELENGTH = 0.2          # Angstrom
QMAX = 8.0                # 1/Angstrom
S_GRID = [0.0, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 6.0]
ITC_ELEMENTS = ["C", "O", "Si", "Ni", "Ce", "Bi", "Li", "V", "Co", "La"]
ITC_S = [0.0, 0.1, 0.25, 0.5, 1.0, 1.5]


def wk_symbols():
    path = os.path.join(os.path.dirname(periodictable.__file__), "xsf", "f0_WaasKirf.dat")
    with open(path) as fh:
        return [line.split()[2] for line in fh if line.startswith("#S")]


def wk_symbol(sp):
    """pymatgen species -> WK symbol (ion where the table has it)."""
    el = sp.symbol
    ox = getattr(sp, "oxi_state", 0) or 0
    if ox and float(ox).is_integer():
        cand = "%s%d%s" % (el, abs(int(ox)), "+" if ox > 0 else "-")
        if cand in WK_SET:
            return cand
    return el


WK_SET = set(wk_symbols())


def versions():
    import xrayutilities
    return "pymatgen %s, periodictable %s, xrayutilities %s" % (
        pymatgen.core.__version__, periodictable.__version__, xrayutilities.__version__)


def write_formfactors(out):
    with open(os.path.join(out, "formfactor_wk.txt"), "w") as fh:
        fh.write("# Waasmaier-Kirfel f0 evaluated by %s (cromermann.py)\n" % versions())
        fh.write("# symbol f0(s) at s = %s 1/Angstrom\n" % " ".join("%g" % s for s in S_GRID))
        for sym in wk_symbols():
            f = cromermann.fxrayatstol(sym, np.array(S_GRID))
            fh.write(sym + " " + " ".join("%.10g" % v for v in f) + "\n")
    import xrayutilities
    path = os.path.join(os.path.dirname(xrayutilities.__file__), "materials", "data",
                        "f0_InterTables.dat.xz")
    coef = {}
    sym = None
    with lzma.open(path, "rt") as fh:
        for line in fh:
            if line.startswith("#S"):
                sym = line.split()[2]
            elif sym and line.strip() and not line.startswith("#"):
                coef[sym] = [float(x) for x in line.split()]
                sym = None
    with open(os.path.join(out, "formfactor_itc.txt"), "w") as fh:
        fh.write("# International Tables Vol. C (1992) Table 6.1.1.4 approximation of the\n"
                 "# Table 6.1.1.1 f0 (DABAX f0_InterTables.dat shipped by %s)\n" % versions())
        fh.write("# element s(1/Angstrom) f0\n")
        for el in ITC_ELEMENTS:
            a1, a2, a3, a4, c, b1, b2, b3, b4 = coef[el]
            for s in ITC_S:
                f = c + sum(a * math.exp(-b * s * s) for a, b in
                            zip((a1, a2, a3, a4), (b1, b2, b3, b4)))
                fh.write("%s %g %.6f\n" % (el, s, f))


def cif_files():
    files = sorted(glob.glob(os.path.join(ROOT, "tests", "data", "cif", "*.cif")))
    files += sorted(glob.glob(os.path.join(ROOT, "data", "structures", "*.cif")))
    return files


def cif_types(path):
    """element -> WK symbol from _atom_site_type_symbol (pymatgen drops the charges)."""
    types = {}
    for block in CifParser(path).as_dict().values():
        for t in block.get("_atom_site_type_symbol", []):
            m = re.match(r"^([A-Z][a-z]?)(?:([+-])(\d?)|(\d)([+-]))?$", t)
            if not m:
                continue
            el = m.group(1)
            if m.group(2):
                sym = "%s%s%s" % (el, m.group(3) or "1", m.group(2))
            elif m.group(5):
                sym = "%s%s%s" % (el, m.group(4), m.group(5))
            else:
                sym = el
            types[el] = sym if sym in WK_SET else el
    return types


def peaks(path):
    st = CifParser(path).get_structures(primitive=False)[0]
    types = cif_types(path)
    tt_max = 2 * math.degrees(math.asin(QMAX * WAVELENGTH / (4 * math.pi)))
    calc = XRDCalculator(wavelength=WAVELENGTH)
    pat = calc.get_pattern(st, scaled=False, two_theta_range=(0, tt_max))
    # WK structure factors with pymatgen's expanded atoms
    fr, sy, oc = [], [], []
    for site in st:
        for sp, occ in site.species.items():
            fr.append(site.frac_coords)
            sy.append(types.get(sp.symbol, wk_symbol(sp)))
            oc.append(occ)
    fr = np.array(fr)
    oc = np.array(oc)
    rl = st.lattice.reciprocal_lattice_crystallographic
    pts = rl.get_points_in_sphere([[0, 0, 0]], [0, 0, 0], QMAX / (2 * math.pi) * (1 + 1e-9))
    rows = []
    for tt, inten, fams, d in zip(pat.x, pat.y, pat.hkls, pat.d_hkls):
        theta = math.radians(tt / 2)
        lp = (1 + math.cos(2 * theta) ** 2) / (math.sin(theta) ** 2 * math.cos(theta))
        nhkl = sum(f["multiplicity"] for f in fams)
        s = 1 / (2 * d)
        f0 = np.array([cromermann.fxrayatstol(x, s) for x in sy])
        fxu = np.array([getattr(XU_ELEMENTS, re.match(r"[A-Z][a-z]?", x).group(0)).f0(
            4 * math.pi * s) for x in sy])
        f2wk = 0.0
        f2xu = 0.0
        n2 = 0
        for hkl, g, _, _ in pts:
            # the peak holds every hkl whose 2theta lies within pymatgen's TWO_THETA_TOL
            # (1e-5 degree) of the peak's 2theta
            if g > 0 and g * WAVELENGTH / 2 < 1 and abs(
                    2 * math.degrees(math.asin(g * WAVELENGTH / 2)) - tt) < 1e-5:
                F = np.sum(oc * f0 * np.exp(2j * math.pi * fr.dot(np.round(hkl))))
                f2wk += abs(F) ** 2
                F = np.sum(oc * fxu * np.exp(2j * math.pi * fr.dot(np.round(hkl))))
                f2xu += abs(F) ** 2
                n2 += 1
        if n2 != nhkl:
            raise SystemExit("%s: peak at d=%g: %d hkl from the sphere, %d from pymatgen"
                             % (path, d, n2, nhkl))
        rows.append((d, nhkl, inten / lp, f2wk, f2xu))
    return rows


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else HERE
    os.makedirs(out, exist_ok=True)
    write_formfactors(out)
    for path in cif_files():
        name = os.path.splitext(os.path.basename(path))[0]
        rows = peaks(path)
        with open(os.path.join(out, "peaks_%s.txt" % name), "w") as fh:
            fh.write("# %s: peaks with Q <= %g 1/Angstrom (lambda %g Angstrom)\n"
                     % (os.path.relpath(path, ROOT), QMAX, WAVELENGTH))
            fh.write("# peers: %s\n" % versions())
            fh.write("# a peak groups the hkl whose 2theta = 2 asin(lambda / 2d) differ by < 1e-5 degree\n")
            fh.write("# d(Angstrom) n_hkl sum|F|^2(pymatgen f, neutral) sum|F|^2(WK f) sum|F|^2(xrayutilities f, neutral)\n")
            for d, n, f2p, f2w, f2x in rows:
                fh.write("%.10f %d %.8g %.8g %.8g\n" % (d, n, f2p, f2w, f2x))


if __name__ == "__main__":
    main()
