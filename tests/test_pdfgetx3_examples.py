"""test_pdfgetx3_examples.py - `tsct pdf` on PDFgetX3's own examples against PDFgetX3's G(r).

tests/data/pdf/pdfgetx3_examples/ holds three examples that PDFgetX3 (diffpy.pdfgetx 2.0.0)
ships (Ni and CeO2 with a Kapton background, BaTiO3 without; Fit2D .chi in 2theta), each with
its pdfgetx3.cfg and the G(r) PDFgetX3 wrote from it (README.md there). Each is run exactly as
`tsct pdf -c pdfgetx3.cfg INPUT.chi` in a copy of its folder, and its .gr compared with
PDFgetX3's without any scale factor over 1.5-30 A. The issue's bar is Pearson r >= 0.999 and
RMS difference <= 2 % of max |G|; the bounds below sit just above the measured figures
(r 0.99998-0.99999, RMS 0.12-0.17 %), so that a regression shows.

Then, on the Ni example: the outputs' identities (I = sample - background, F = Q (S - 1),
G = (2/pi) int F sin(Qr) dQ), the same G from the pattern in Q (1/A) and Q (1/nm), several
backgrounds = one background file holding their scaled sum, one scale for two backgrounds
scaling each, and a background list and a scale list of different lengths refused with file,
line and key.
"""
import os
import shutil
import subprocess
import sys

import numpy as np

TSCT = os.environ["TSCT"]
DATA = os.path.join(os.environ["TSCT_DATA"], "pdf", "pdfgetx3_examples")
TMP = os.environ["TSCT_TMP"]
EXAMPLES = {"Ni": "ni300mesh_300k_nor_1-5", "CeO2": "ceo2_300k_nor_1-6",
            "BaTiO3": "BaTiO3_nor"}
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def tsct(args, cwd, rc=0):
    p = subprocess.run([TSCT] + args, cwd=cwd, capture_output=True, text=True)
    if p.returncode != rc:
        print(p.stdout, p.stderr)
    check(p.returncode == rc, "tsct %s in %s: exit %d" % (" ".join(args), cwd, p.returncode))
    return p


def columns(path):
    """The two columns after the header ('#### start data' for .gr/.fq/..., '#' lines and
    Fit2D's four header lines for .chi)."""
    rows = []
    with open(path) as f:
        text = f.read()
    if "#### start data" in text:
        text = text.split("#### start data", 1)[1]
    for line in text.splitlines():
        t = line.replace(",", " ").split()
        if not t or t[0].startswith("#"):
            continue
        try:
            rows.append([float(t[0]), float(t[1])])
        except (ValueError, IndexError):
            rows = []           # a header line of numbers and words: the data start after
    return np.array(rows).T


# 1. The three examples, each as PDFgetX3 ran it.
for name, stem in EXAMPLES.items():
    d = os.path.join(TMP, name)
    shutil.copytree(os.path.join(DATA, name), d)
    tsct(["pdf", "-c", "pdfgetx3.cfg", stem + ".chi"], d)
    r, g = columns(os.path.join(d, stem + ".gr"))
    rx, gx = columns(os.path.join(d, stem + "-pdfgetx3.gr"))
    check(r.shape == rx.shape and np.abs(r - rx).max() < 1e-9,
          "%s: the r grid of PDFgetX3 (%d points)" % (name, rx.size))
    if r.shape != rx.shape:
        continue
    m = (r >= 1.5 - 1e-9) & (r <= 30 + 1e-9)
    pr = np.corrcoef(g[m], gx[m])[0, 1]
    rms = np.sqrt(np.mean((g[m] - gx[m]) ** 2)) / np.abs(gx[m]).max()
    k = (g[m] @ gx[m]) / (g[m] @ g[m])
    print("%s: Pearson %.6f, RMS %.4f %% of max |G| without a scale (best scale %.4f)"
          % (name, pr, 100 * rms, k))
    check(pr >= 0.99995, "%s: Pearson %.6f >= 0.99995 (issue: 0.999)" % (name, pr))
    check(rms <= 0.0025, "%s: RMS %.5f <= 0.25 %% of max |G| (issue: 2 %%)" % (name, rms))
    check(abs(k - 1) <= 0.005, "%s: best scale %.4f within 0.5 %% of 1" % (name, k))

# 2. Identities of the Ni outputs: I(Q) = sample - background (the Kapton interpolated onto
# the sample's Q), F = Q (S - 1), and G the trapezoid sine transform of F over [0, qmax].
ni = os.path.join(TMP, "Ni")
stem = EXAMPLES["Ni"]
lam = 0.142774
os.makedirs(os.path.join(ni, "all"))
tsct(["pdf", "-c", "pdfgetx3.cfg", "-t", "iq,sq,fq,gr", "-o", "all", stem + ".chi"], ni)
tth, isam = columns(os.path.join(ni, stem + ".chi"))
tbg, ibg = columns(os.path.join(ni, "kapton_bgrd_300k_nor_2-3.chi"))
qs = 4 * np.pi * np.sin(np.radians(tth) / 2) / lam
qb = 4 * np.pi * np.sin(np.radians(tbg) / 2) / lam
qi, ii = columns(os.path.join(ni, "all", stem + ".iq"))
expect = np.interp(qi, qs, isam) - np.interp(qi, qb, ibg)
check(np.abs(ii - expect).max() <= 1e-6 * np.abs(expect).max(),
      "Ni: I(Q) = sample - Kapton (max diff %.2g)" % np.abs(ii - expect).max())
qsq, s = columns(os.path.join(ni, "all", stem + ".sq"))
qf, f = columns(os.path.join(ni, "all", stem + ".fq"))
check(qsq.shape == qf.shape and qf[-1] <= 26 + 1e-9 and qf[-1] > 25.98,
      "Ni: S and F on the same Q up to qmax = 26 (last %.4f)" % qf[-1])
check(np.abs(f - qf * (s - 1)).max() <= 1e-7 * np.abs(f).max(), "Ni: F = Q (S - 1)")
r, g = columns(os.path.join(ni, "all", stem + ".gr"))
w = np.gradient(qf)
w[0], w[-1] = 0.5 * (qf[1] - qf[0]), 0.5 * (qf[-1] - qf[-2])
gt = (2 / np.pi) * np.sin(np.outer(r, qf)) @ (w * f)
check(np.abs(gt - g).max() <= 1e-6 * np.abs(g).max(),
      "Ni: G = (2/pi) int F sin(Qr) dQ (max diff %.2g of max |G|)"
      % (np.abs(gt - g).max() / np.abs(g).max()))

# 3. The same pattern and background in Q (1/A) and Q (1/nm) give the same G.
for fmt, unit in (("QA", 1.0), ("Qnm", 10.0)):
    d = os.path.join(TMP, "Ni_" + fmt)
    os.makedirs(d)
    np.savetxt(os.path.join(d, "s.xy"), np.c_[qs * unit, isam], fmt="%.17g")
    np.savetxt(os.path.join(d, "b.xy"), np.c_[qb * unit, ibg], fmt="%.17g")
    with open(os.path.join(ni, "pdfgetx3.cfg")) as src, \
            open(os.path.join(d, "q.cfg"), "w") as dst:
        for line in src:
            if line.startswith("dataformat"):
                line = "dataformat = %s\n" % fmt
            elif line.startswith("backgroundfile"):
                line = "backgroundfile = b.xy\n"
            dst.write(line)
    tsct(["pdf", "-c", "q.cfg", "s.xy"], d)
    rq, gq = columns(os.path.join(d, "s.gr"))
    check(rq.shape == r.shape and np.abs(gq - g).max() <= 1e-6 * np.abs(g).max(),
          "Ni: G from Q in %s = G from 2theta" % fmt)

# 4. Several backgrounds with one scale each = one background file holding their scaled sum
# (a second, smooth background on the Kapton's 2theta grid).
d = os.path.join(TMP, "Ni_bg")
shutil.copytree(ni, d)
ib2 = 300 + 80 * np.cos(tbg / 7.0)
np.savetxt(os.path.join(d, "air.chi"), np.c_[tbg, ib2], fmt="%.17g")
np.savetxt(os.path.join(d, "sum.chi"), np.c_[tbg, 0.8 * ibg + 0.3 * ib2], fmt="%.17g")


def variant(path, bglines):
    with open(os.path.join(ni, "pdfgetx3.cfg")) as src, open(path, "w") as dst:
        for line in src:
            dst.write(bglines if line.startswith("backgroundfile") else line)


variant(os.path.join(d, "two.cfg"), "backgroundfiles = kapton_bgrd_300k_nor_2-3.chi,\n"
                                    "    air.chi\nbgscale = 0.8 0.3\n")
variant(os.path.join(d, "sum.cfg"), "backgroundfile = sum.chi\n")
tsct(["pdf", "-c", "two.cfg", "-o", "two.gr", stem + ".chi"], d)
tsct(["pdf", "-c", "sum.cfg", "-o", "sum.gr", stem + ".chi"], d)
r2, g2 = columns(os.path.join(d, "two.gr"))
rs, gs = columns(os.path.join(d, "sum.gr"))
check(g2.shape == gs.shape and np.abs(g2 - gs).max() <= 1e-7 * np.abs(gs).max(),
      "two backgrounds = their scaled sum (max diff %.2g of max |G|)"
      % (np.abs(g2 - gs).max() / np.abs(gs).max()))
check(np.abs(g2 - g).max() > 1e-3 * np.abs(g).max(), "the second background changes G")
with open(os.path.join(d, "two.gr")) as f:
    head = f.read().split("#### start data")[0]
check("air.chi" in head and "bgscale = 0.80000000000000004, 0.29999999999999999" in head,
      "the .gr header lists both backgrounds and scales")

# One scale for several backgrounds scales each (PDFgetX3's rule): the Kapton twice at 0.5
# is the Kapton once (PDFgetX3's Multiple_Background_Subtraction example).
shutil.copy(os.path.join(d, "kapton_bgrd_300k_nor_2-3.chi"), os.path.join(d, "copy.chi"))
variant(os.path.join(d, "half.cfg"), "backgroundfiles = kapton_bgrd_300k_nor_2-3.chi, copy.chi\n"
                                     "bgscale = 0.5\n")
tsct(["pdf", "-c", "half.cfg", "-o", "half.gr", stem + ".chi"], d)
rh, gh = columns(os.path.join(d, "half.gr"))
check(gh.shape == g.shape and np.abs(gh - g).max() <= 1e-7 * np.abs(g).max(),
      "two halves of the Kapton = the Kapton (max diff %.2g of max |G|)"
      % (np.abs(gh - g).max() / np.abs(g).max()))

# The same file named twice is one background (PDFgetX3 keeps one instance of it, which is
# why its example needed a copy): Kapton, Kapton at 0.5, 0.5 = the Kapton once at 0.5.
variant(os.path.join(d, "same.cfg"), "backgroundfiles = kapton_bgrd_300k_nor_2-3.chi\n"
                                     "    kapton_bgrd_300k_nor_2-3.chi\nbgscales = 0.5, 0.5\n")
variant(os.path.join(d, "once.cfg"), "backgroundfile = kapton_bgrd_300k_nor_2-3.chi\n"
                                     "bgscale = 0.5\n")
tsct(["pdf", "-c", "same.cfg", "-o", "same.gr", stem + ".chi"], d)
tsct(["pdf", "-c", "once.cfg", "-o", "once.gr", stem + ".chi"], d)
g_same, g_once = columns(os.path.join(d, "same.gr"))[1], columns(os.path.join(d, "once.gr"))[1]
check(g_same.shape == g_once.shape and np.abs(g_same - g_once).max() == 0
      and np.abs(g_once - g).max() > 1e-3 * np.abs(g).max(),
      "a background named twice is subtracted once")

# 5. A background list and a scale list of different lengths: file, line and key.
variant(os.path.join(d, "bad.cfg"), "backgroundfile = kapton_bgrd_300k_nor_2-3.chi air.chi\n"
                                    "bgscale = 1, 0.5, 0.2\n")
p = tsct(["pdf", "-c", "bad.cfg", "-o", "bad.gr", stem + ".chi"], d, rc=1)
check("bad.cfg: bgscale[21]: 3 scales for 2 background files (backgroundfile, line 20)"
      in p.stderr, "mismatched lists named: %s" % p.stderr.strip())
check(not os.path.exists(os.path.join(d, "bad.gr")), "no output after the error")

print("%d failed" % len(failures))
sys.exit(1 if failures else 0)
