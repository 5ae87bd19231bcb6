"""pdf_scale.py - how PDFgetX3's intensity scale was established (docs/pdf.md, "Scale").

Run from the repository root with Debian's python3 (numpy only, ~10 s):
    /usr/bin/python3 docs/pdf_scale.py

On PDFgetX3's three examples (tests/data/pdf/pdfgetx3_examples) it
1. finds the scale alpha_x3 that PDFgetX3 used: every step after the scale is affine in
   alpha (F = alpha t - h0, G = T F), so the alpha that makes tsct's G equal to PDFgetX3's
   is a one-parameter least-squares fit; the residual shows the rest of the method agrees;
2. prints, for each candidate rule, alpha_rule / alpha_x3 on the three samples. A rule is
   PDFgetX3's only if the ratio is 1 on all three.
"""
import re

import numpy as np
from numpy.polynomial import chebyshev as cheb

D = "tests/data/pdf/pdfgetx3_examples/"
EX = {"Ni": ("ni300mesh_300k_nor_1-5", "kapton_bgrd_300k_nor_2-3.chi", {"Ni": 1}),
      "CeO2": ("ceo2_300k_nor_1-6", "kapton_bgrd_300k_nor_2-3.chi", {"Ce": 1, "O": 2}),
      "BaTiO3": ("BaTiO3_nor", None, {"Ba": 1, "Ti": 1, "O": 3})}
TABLE = open("lib/physics/formfactor_table.c").read()


def f0(el, q):
    """Waasmaier-Kirfel f0, as lib/physics uses it."""
    m = re.search(r'\{"%s", \d+, -?\d+, \{([^}]*)\}, \{([^}]*)\}, ([-\d.e]+)\}' % el, TABLE)
    a, b = ([float(x) for x in m.group(i).split(",")] for i in (1, 2))
    s2 = (q / (4 * np.pi)) ** 2
    return sum(ai * np.exp(-bi * s2) for ai, bi in zip(a, b)) + float(m.group(3))


def columns(path):
    rows = []
    text = open(path).read().split("#### start data")[-1]
    for line in text.splitlines():
        t = line.split()
        try:
            rows.append([float(t[0]), float(t[1])])
        except (ValueError, IndexError):
            pass
    return np.array(rows).T


def cfg(path, key):
    head = open(path).read().split("#### start data")[0]
    return float(re.search(r"^%s\s*=\s*(\S+)" % key, head, re.M).group(1))


def trapezoid(x):
    w = np.zeros_like(x)
    w[1:-1] = 0.5 * (x[2:] - x[:-2])
    w[0], w[-1] = 0.5 * (x[1] - x[0]), 0.5 * (x[-1] - x[-2])
    return w


rules = {}
for name, (stem, bg, comp) in EX.items():
    c = D + name + "/" + stem + "-pdfgetx3.gr"   # its header: every setting PDFgetX3 used
    lam, qmi, qmax, rpoly = (cfg(c, k) for k in ("wavelength", "qmaxinst", "qmax", "rpoly"))
    tth, I = columns(D + name + "/" + stem + ".chi")
    q = 4 * np.pi * np.sin(np.radians(tth) / 2) / lam
    if bg:
        tb, ib = columns(D + name + "/" + bg)
        I = I - np.interp(q, 4 * np.pi * np.sin(np.radians(tb) / 2) / lam, ib)
    r, gx = columns(D + name + "/" + stem + "-pdfgetx3.gr")
    n = sum(comp.values())
    fm = sum(x / n * f0(e, q) for e, x in comp.items())
    f2 = sum(x / n * f0(e, q) ** 2 for e, x in comp.items())
    inst = q <= qmi * (1 + 1e-9)
    q, I, fm, f2 = q[inst], I[inst], fm[inst], f2[inst]
    # tsct's steps after the scale: F = alpha Q I / <f>^2 - Q <f^2> / <f>^2 less the
    # polynomial Q sum_k<n c_k T_k(2Q / qmaxinst - 1), n = round(rpoly qmaxinst / pi); G by
    # the trapezoid rule over Q <= qmax.
    tr = q <= qmax * (1 + 1e-9)
    wt = np.zeros_like(q)
    wt[tr] = trapezoid(q[tr]) * 2 / np.pi
    T = np.sin(np.outer(r, q)) * wt
    m = (r >= 1.5) & (r <= 30)

    def fit(deg):
        """alpha_x3 and the residual RMS / max |G| with a polynomial of deg terms."""
        B = np.stack([q * cheb.chebval(2 * q / qmi - 1, np.eye(deg)[k]) for k in range(deg)], 1)

        def less_poly(y):
            return y - B @ np.linalg.lstsq(B, y, rcond=None)[0]
        gt, g0 = T @ less_poly(q * I / fm ** 2), T @ less_poly(q * f2 / fm ** 2)
        a = (gt[m] @ (gx[m] + g0[m])) / (gt[m] @ gt[m])
        return a, np.sqrt(np.mean((a * gt - g0 - gx)[m] ** 2)) / np.abs(gx[m]).max()

    deg = int(np.floor(rpoly * qmi / np.pi + 0.5))
    ax3, res = fit(deg)
    print("%-6s alpha_x3 = %.6g: residual RMS %.3f %% of max |G| over 1.5-30 A; "
          "rpoly qmaxinst / pi = %.2f, degree %d; residual with degree %s" %
          (name, ax3, 100 * res, rpoly * qmi / np.pi, deg,
           ", ".join("%d: %.3f %%" % (d, 100 * fit(d)[1]) for d in (deg - 1, deg + 1))))
    w = trapezoid(q)
    cand = {}
    for lo in (0.0, 0.25, 0.5, 0.75, 0.9):
        s = q >= lo * qmi
        cand["I -> <f^2> averaged over [%.2f qmaxinst, qmaxinst]" % lo] = f2[s].sum() / I[s].sum()
    for p in (1, 2, 3):
        cand["I -> <f^2> Q^%d-weighted over [0, qmaxinst]" % p] = \
            (q ** p * f2).sum() / (q ** p * I).sum()
    for label, wl in (("1", 1), ("Q^2", q ** 2), ("1/<f^2>^2", 1 / f2 ** 2),
                      ("Q^2/<f>^4 (F space)", q ** 2 / fm ** 4),
                      ("1/<f>^4 (S space)", 1 / fm ** 4)):
        cand["least squares alpha I ~ <f^2>, weight %s, per point" % label] = \
            (wl * I * f2).sum() / (wl * I * I).sum()
    cand["least squares, weight 1/<f>^4, trapezoid in Q (tsct)"] = \
        (w * I * f2 / fm ** 4).sum() / (w * I * I / fm ** 4).sum()
    for k, v in cand.items():
        rules.setdefault(k, []).append(v / ax3)

print("\nalpha_rule / alpha_x3 for Ni, CeO2, BaTiO3:")
for k, v in rules.items():
    print("  %-68s %s" % (k, "  ".join("%.4f" % x for x in v)))
