"""test_refine_pdf_cli.py - `tsct refine` in real space ([data] space = r) end to end.

Judged check (issue 24): the shipped example docs/examples/ni-pdf-refine.cfg, run from the
repository root, refines PDFgetX2's Ni G(r) (APS MUCAT, Qmax 27 from the file's header) over
1.5 - 20 A with scale, a, Uiso, delta2 and Qdamp, and gives a within 0.004 A of nickel's
room-temperature 3.524 A, Uiso in 0.003 - 0.008 A^2, Qdamp in 0.02 - 0.1 1/A and Rw <= 0.15,
every value with a finite ESD, in OUTDIR/parameters.csv (name,value,esd; plus Rw). Also: the
refined configuration restarts at the same values; an .xyz cluster refines; a coarser r step (rstep) gives the same
lattice; a region's PDF in a container (/entry/regions/NAME/pdf[t]) is read at its time
step; the PNG is written; bad input is a clear error (exit 1): a fit range outside the
data, a cluster file with an unknown element, a negative diameter, an existing output.
"""
import csv
import os
import re
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_check import TMP, check, finish, run  # noqa: E402

SRC = os.environ["TSCT_SRC"]
EXAMPLE = "docs/examples/ni-pdf-refine.cfg"
GR = os.path.join(os.environ["TSCT_DATA"], "pdf", "diffpy_srfit_aps_mucat", "ni-q27r60-xray.gr")
CIF = os.path.join(os.environ["TSCT_DATA"], "cif", "Ni_COD9008476.cif")
os.chdir(SRC)  # the example is runnable from the repository root


def table(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    check(rows and rows[0] == ["name", "value", "esd"], "%s header %s" % (path, rows[:1]))
    return {r[0]: (float(r[1]), float(r[2]) if r[2] else float("nan")) for r in rows[1:]}


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


# ---- the judged Ni fit ---------------------------------------------------------------------
out = os.path.join(TMP, "ni_pdf_refine") + "/"
if os.path.isdir(out):
    for f in os.listdir(out):
        os.remove(os.path.join(out, f))
r = run("refine", "-c", EXAMPLE, "-o", out)
p = table(out + "parameters.csv")
print("Ni (PDFgetX2, Qmax 27, 1.5-20 A):")
for k, (v, e) in p.items():
    print("  %-18s %.6g  esd %.3g" % (k, v, e))
a, ua, qd, rw = p["Ni.a"][0], p["Ni.uiso"][0], p["instrument.qdamp"][0], p["Rw"][0]
check(abs(a - 3.524) <= 0.004, "a = %g (3.524 +- 0.004)" % a)
check(0.003 <= ua <= 0.008, "Uiso = %g (0.003 .. 0.008)" % ua)
check(0.02 <= qd <= 0.1, "Qdamp = %g (0.02 .. 0.1)" % qd)
check(rw <= 0.15, "Rw = %g (<= 0.15)" % rw)
for k in ("Ni.scale", "Ni.a", "Ni.uiso", "Ni.delta2", "instrument.qdamp"):
    check(k in p and p[k][1] > 0, "%s has an ESD: %s" % (k, p.get(k)))
check(set(p) == {"Ni.scale", "Ni.a", "Ni.uiso", "Ni.delta2", "instrument.qdamp", "Rw"},
      "one row per refined parameter plus Rw: %s" % sorted(p))
check("Qmax 27 1/A" in r.stdout and "Rw " in r.stdout, "report: Qmax and Rw\n" + r.stdout)
png = out + "ni-pdf-refine-refined.png"
check(os.path.getsize(png) > 10000, "PNG written")

# the refined configuration restarts where it ended
r2 = run("refine", "-c", out + "ni-pdf-refine-refined.cfg", "-o", os.path.join(TMP, "ni_restart"))
p2 = table(os.path.join(TMP, "ni_restart-parameters.csv"))
check(abs(p2["Ni.a"][0] - a) <= 0.1 * p["Ni.a"][1], "restart a %g vs %g" % (p2["Ni.a"][0], a))
check(abs(p2["Rw"][0] - rw) <= 1e-4, "restart Rw %g vs %g" % (p2["Rw"][0], rw))

# an existing output is refused
r = run("refine", "-c", EXAMPLE, "-o", out, status=1)
check("exists" in r.stderr or "--force" in r.stderr, "existing output refused: " + r.stderr)


def cfg(name, data_extra="", phase_extra="", phase=None):
    phase = phase or "cif = %s\nrefine = scale a uiso delta2" % CIF
    return write(os.path.join(TMP, name + ".cfg"), """[data]
space = r
file = %s
range = 1.5 20
%s
[instrument]
qdamp = 0.05
refine = qdamp
[phase.Ni]
%s
%s
""" % (GR, data_extra, phase, phase_extra))


# a coarser r step: the same lattice within 0.001 A
c = cfg("ni_step", "rstep = 0.05")
r = run("refine", "-c", c, "--no-png")
ps = table(c[:-4] + "-refined-parameters.csv")
check(abs(ps["Ni.a"][0] - a) <= 0.001, "rstep 0.05: a %g vs %g" % (ps["Ni.a"][0], a))
check("371 points" in r.stdout, "rstep 0.05 over 1.5 - 20 A: 371 points\n" + r.stdout[:300])

# exclude leaves points out (5.00 .. 6.00 A: 101 of them)
c = cfg("ni_exclude", "exclude = 5 6")
r = run("refine", "-c", c, "--no-png")
check("1851 points" in r.stdout and "1750 refined" in r.stdout, "exclude\n" + r.stdout[:300])

# a cluster from an .xyz (the 13-atom Ni cuboctahedron) on the first shell: refined, a cluster
xyz13 = os.path.join(TMP, "ni13.xyz")
h = 3.524 / 2
pos = [(0, 0, 0)] + [(sx * h, sy * h, 0) for sx in (1, -1) for sy in (1, -1)] + \
    [(sx * h, 0, sz * h) for sx in (1, -1) for sz in (1, -1)] + \
    [(0, sy * h, sz * h) for sy in (1, -1) for sz in (1, -1)]
write(xyz13, "13\nNi cuboctahedron\n" + "".join("Ni %g %g %g\n" % p3 for p3 in pos))
c = write(os.path.join(TMP, "cluster.cfg"), """[data]
space = r
file = %s
range = 1.8 3.0
[phase.Ni13]
xyz = %s
uiso = 0.006
refine = scale uiso
""" % (GR, xyz13))
r = run("refine", "-c", c, "--no-png")
pc = table(c[:-4] + "-refined-parameters.csv")
check(re.search(r"^Ni13\s+cluster\s+-", r.stdout, re.M) is not None, "cluster row\n" + r.stdout)
check(0.001 < pc["Ni13.uiso"][0] < 0.02 and pc["Ni13.uiso"][1] > 0,
      "cluster uiso %s" % (pc["Ni13.uiso"],))

# ---- a region's PDF in a container ---------------------------------------------------------
# /entry/regions/core/pdf [2][nr] against its r: time 0 the Ni G(r), time 1 half of it; the
# fit of time 1 has the same lattice and half the scale.
rows = []
with open(GR) as f:
    data = False
    for line in f:
        if line.startswith("#L r(A)"):
            data = True
        elif data and line.strip():
            rows.append([float(v) for v in line.split()[:2]])
rg = np.array(rows)
exp = os.path.join(TMP, "regions.h5")
with h5py.File(exp, "w") as f:
    e = f.create_group("entry")
    e.attrs["tsct_format"] = "1.0"
    g = e.create_group("regions/core")
    g["pdf"] = np.stack([rg[:, 1], 0.5 * rg[:, 1]]).astype(np.float32)
    g["r"] = rg[:, 0]
c = write(os.path.join(TMP, "region.cfg"), """[data]
space = r
container = %s
region = core
time = 1
range = 1.5 20
qmax = 27
[instrument]
qdamp = 0.05
refine = qdamp
[phase.Ni]
cif = %s
uiso = 0.005
delta2 = 1
refine = scale a uiso delta2
""" % (exp, CIF))
r = run("refine", "-c", c, "--no-png")
pr = table(c[:-4] + "-refined-parameters.csv")
check(abs(pr["Ni.a"][0] - a) <= 1e-4, "region time 1: a %g vs the file's %g" % (pr["Ni.a"][0], a))
check(abs(pr["Ni.scale"][0] / p["Ni.scale"][0] - 0.5) <= 1e-3,
      "region time 1: scale %g, half the file's %g" % (pr["Ni.scale"][0], p["Ni.scale"][0]))
check("/entry/regions/core/pdf[1]" in r.stdout, "report names the region's PDF\n" + r.stdout[:300])

# ---- bad input -----------------------------------------------------------------------------
c = cfg("bad_range", "range = 1.5 80")
r = run("refine", "-c", c, "--no-png", status=1)
check("outside the data" in r.stderr and "range" in r.stderr, "range outside: " + r.stderr)

xyz = write(os.path.join(TMP, "bad.xyz"), "2\nbad\nNi 0 0 0\nXx 2.49 0 0\n")
c = cfg("bad_xyz", phase="xyz = %s\nuiso = 0.005\nrefine = scale" % xyz)
r = run("refine", "-c", c, "--no-png", status=1)
check("Xx" in r.stderr and "bad.xyz" in r.stderr, "unknown element: " + r.stderr)

c = cfg("bad_diameter", phase_extra="diameter = -5")
r = run("refine", "-c", c, "--no-png", status=1)
check("diameter" in r.stderr and "bad_diameter.cfg" in r.stderr, "diameter < 0: " + r.stderr)

c = cfg("bad_data_key", "wavelength = 0.14")
r = run("refine", "-c", c, "--no-png", status=1)
check("wavelength" in r.stderr and "space = r" in r.stderr, "a pattern's key: " + r.stderr)

c = cfg("bad_key", phase_extra="size = 5")
r = run("refine", "-c", c, "--no-png", status=1)
check("size" in r.stderr and "diameter" in r.stderr, "reciprocal key in r space: " + r.stderr)

finish("test_refine_pdf_cli")
