"""test_papercuts.py - what a new user tripped over (issue 22), each checked the way it failed.

1. `region -o DIR` made no DIR and exited 1 after writing the region: now DIR is made, and an
   existing text file is refused before anything is written (no region left behind).
2. One overwrite rule for every file a command writes: an existing output is refused without
   --force (exit 1, the file untouched) and replaced with it - recon -o, region -o, pdf
   --region -o, figure -o, fit -o (integrate and pdf files: test_robust.py, test_pdf_cli.sh).
3. A PONI of another detector (its detector's shape is not the frame's) is refused, naming
   both shapes.
4. A projection stack [angles][rows][columns] given to recon without --row: the message says
   how the input was read and suggests --row.
5. The .xy header names the module gaps the integration masked (it said "none").
6. The centre of rotation of a slice is reported once by `tsct sinogram` (it was twice).
7. `-v` shows every iteration of SIRT and CGLS with its residual.
"""
import hashlib
import os
import re
import shutil

import h5py
import numpy as np

from cli_check import TMP, check, finish, fresh_experiment, run

DATA = os.environ["TSCT_DATA"]
os.chdir(TMP)


def md5(p):
    with open(p, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def refused(args, out):
    """args must stop at the existing output `out`: exit 1, a message naming it, untouched;
    with --force they run and replace it."""
    h = md5(out)
    r = run(*args, status=1)
    check(out in r.stderr and "already exists" in r.stderr and "--force" in r.stderr,
          "%s: %s" % (out, r.stderr))
    check(md5(out) == h, "%s changed without --force" % out)
    run(*args, "--force")


exp = fresh_experiment("pc.h5")
r = run("simulate", "--preset", "demo", "--set", "n=16", "--set", "ns=16", "--set", "na=12",
        "--set", "nq=40", "--set", "nt=2", "-o", exp)

# ---- 6: the centre once per slice and time step --------------------------------------------
r = run("sinogram", exp)
lines = [l for l in r.stderr.splitlines() if "centre of rotation" in l]
check(len(lines) == 2 and lines[0].startswith("t=0 z=0") and lines[1].startswith("t=1 z=0"),
      "centre lines: %s" % lines)
run("recon", exp)

# ---- 1: region -o DIR ----------------------------------------------------------------------
r = run("region", exp, "--name", "core", "--circle", "0,0,3", "-o", "newdir")
check(sorted(os.listdir("newdir")) == ["core_t0000.xy", "core_t0001.xy"],
      "region -o made %s" % (os.listdir("newdir") if os.path.isdir("newdir") else "no folder"))
with open("newdir/core_t0000.xy") as f:
    rows = [l for l in f if not l.startswith("#")]
with h5py.File(exp, "r") as f:
    pat = f["entry/regions/core/pattern"][0]
check(len(rows) == len(pat) and abs(float(rows[5].split()[1]) - pat[5]) <= 1e-6 * abs(pat[5]),
      "the .xy holds the region's pattern")
refused(("region", exp, "--name", "core", "--circle", "0,0,3", "-o", "newdir"),
        "newdir/core_t0000.xy")
# A refused text file leaves no region behind.
shutil.copy("newdir/core_t0000.xy", "newdir/other_t0000.xy")
r = run("region", exp, "--name", "other", "--circle", "0,0,2", "-o", "newdir", status=1)
check("other_t0000.xy" in r.stderr and "already exists" in r.stderr, r.stderr)
with h5py.File(exp, "r") as f:
    check("other" not in f["entry/regions"], "a refused region was written")
with open("afile", "w") as f:
    f.write("x")
r = run("region", exp, "--name", "x", "--circle", "0,0,2", "-o", "afile", status=1)
check("afile" in r.stderr and "not a folder" in r.stderr, r.stderr)

# ---- 2: the overwrite rule -----------------------------------------------------------------
cfg = os.path.join(TMP, "pdf.cfg")
with open(cfg, "w") as f:
    f.write("[DEFAULT]\ndataformat = QA\ncomposition = BiVO4\nqmin = 0.9\nqmax = 4.4\n"
            "qmaxinst = 4.4\nrmin = 0.5\nrmax = 12\nrstep = 0.2\nrpoly = 0.9\n")
run("pdf", "-c", cfg, "--container", exp, "--region", "core", "-o", "grdir")  # made too
check(sorted(os.listdir("grdir")) == ["core_t0000.gr", "core_t0001.gr"], "pdf --region -o")
refused(("pdf", "-c", cfg, "--container", exp, "--region", "core", "-o", "grdir"),
        "grdir/core_t0000.gr")
with h5py.File("sino.h5", "w") as f:
    with h5py.File(exp, "r") as e:
        f["s"] = e["entry/sinograms/data"][0, 0].sum(-1)
    f["th"] = np.arange(12) * 15.0
run("recon", "sino.h5::/s", "--angles", "sino.h5::/th", "-o", "img.h5")
refused(("recon", "sino.h5::/s", "--angles", "sino.h5::/th", "-o", "img.h5"), "img.h5")
run("map", exp, "--total", "total")
run("figure", "map", exp, "--map", "total", "-o", "map.png")
refused(("figure", "map", exp, "--map", "total", "-o", "map.png"), "map.png")
run("fit", "peak", "--series", exp + "::/entry/regions/core/pattern", "--window", "1.1:1.9",
    "--peak", "g@1.36", "-o", "fit.csv")
refused(("fit", "peak", "--series", exp + "::/entry/regions/core/pattern", "--window",
         "1.1:1.9", "--peak", "g@1.36", "-o", "fit.csv"), "fit.csv")

# ---- 7: -v shows the iterations ------------------------------------------------------------
for method in ("sirt", "cgls"):
    r = run("-v", "recon", "sino.h5::/s", "--angles", "sino.h5::/th", "--method", method,
            "--iterations", "4", "-o", method + ".h5")
    its = re.findall(method + r" iteration (\d+)/4: residual ([0-9.e+-]+)", r.stderr)
    check([int(i) for i, _ in its] == [1, 2, 3, 4], "%s -v: %s" % (method, r.stderr))
    res = [float(v) for _, v in its]
    check(len(res) == 4 and all(np.isfinite(res)) and res[-1] < res[0],
          "%s residuals fall: %s" % (method, res))
    r = run("recon", "sino.h5::/s", "--angles", "sino.h5::/th", "--method", method,
            "--iterations", "4", "-o", method + "2.h5")
    check("iteration" not in r.stderr, "%s without -v: %s" % (method, r.stderr))

# ---- 4: a projection stack without --row ---------------------------------------------------
tooth = os.path.join(DATA, "tomography", "tomopy_tooth.h5")
r = run("recon", tooth + "::/exchange/data", "--angles", tooth + "::/exchange/theta",
        "-o", "tooth.h5", status=1)
check("--row" in r.stderr and "[181][2][640]" in r.stderr and "0 .. 1" in r.stderr, r.stderr)
check(not os.path.exists("tooth.h5"), "no output")

# ---- 3, 5: PONI and frame of two detectors; the mask in the header -------------------------
img = os.path.join(DATA, "detector_images")
poni = os.path.join(img, "ssrl_LaB6_Pilatus300kw", "b_toney_lab6_th3_scan1_0008.poni")
other = os.path.join(img, "dioptas_CeO2_Pilatus1M", "CeO2_Pilatus1M.tif")
r = run("integrate", other, "--poni", poni, "-n", "100", "-o", "other.xy", status=1)
check(poni in r.stderr and "195 x 1475" in r.stderr and "1043 x 981" in r.stderr
      and "another detector" in r.stderr, r.stderr)
check(not os.path.exists("other.xy"), "no output for another detector's PONI")
tif = os.path.join(img, "ssrl_LaB6_Pilatus300kw", "b_toney_lab6_th3_scan1_0008.tif")
run("integrate", tif, "--poni", poni, "-n", "100", "-o", "lab6.xy")
with open("lab6.xy") as f:
    head = [l for l in f if l.startswith("# Mask applied")]
check(head == ["# Mask applied: the module gaps of the Pilatus300kw (and negative pixels)\n"],
      "mask header: %s" % head)
with open("mask.npy", "wb") as f:
    np.save(f, np.zeros((195, 1475), np.uint8))
run("integrate", tif, "--poni", poni, "-n", "100", "--mask", "mask.npy", "-o", "lab6m.xy")
with open("lab6m.xy") as f:
    head = [l for l in f if l.startswith("# Mask applied")]
check(head == ["# Mask applied: mask.npy, the module gaps of the Pilatus300kw (and negative "
               "pixels)\n"], "mask header with a file: %s" % head)

finish("test_papercuts")
