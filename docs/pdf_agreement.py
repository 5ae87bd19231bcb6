"""pdf_agreement.py - the figures of docs/pdf.md, "Agreement with PDFgetX3": why the PDFgetX3
.gr shipped with xpdAcq/PDFstream's Ni pattern cannot be reproduced from that pattern.

Run from the repository root with Debian's python3 (numpy only):  /usr/bin/python3 docs/pdf_agreement.py

It re-implements tsct's definitions (docs/pdf.md) in numpy, recovers PDFgetX3's F(Q) from its
G(r) as F(Q) = int_0^60 G(r) sin(Qr) dr, and compares the two like for like: tsct's F is sent
through the same round trip (transform to r <= 60 A, back to Q) before any comparison in Q.
"""
import numpy as np
from numpy.polynomial import chebyshev as cheb

NI = "tests/data/pdf/ni_xpd_pdfstream/"
q, I = np.loadtxt(NI + "Ni_chi_file.chi", comments="#", unpack=True)
text = open(NI + "Ni_gr_file.gr").read().split("#### start data")[1]
r, gx = np.array([[float(v) for v in ln.split()] for ln in text.splitlines()
                  if ln and ln[0] != "#"]).T
spike = np.argmax(I * ((q > 15.8) & (q < 15.95)))
I[spike] = 0.5 * (I[spike - 1] + I[spike + 1])  # the one-point outlier at Q = 15.872

# Waasmaier-Kirfel f0 of Ni (lib/physics/formfactor_table.c), s = Q / 4 pi.
A = [13.521865, 6.947285, 3.866028, 2.1359, 4.284731]
B = [4.077277, 0.286763, 14.622634, 71.96608, 0.004437]
s2 = (q / (4 * np.pi)) ** 2
f2 = (sum(a * np.exp(-b * s2) for a, b in zip(A, B)) - 2.762697) ** 2
QMAXINST, QMAX, DEG = 25.0, 24.0, 16            # the .gr's settings; round(2 * 25 / pi)
inst, tr = q <= QMAXINST, q <= QMAX
w = np.zeros_like(q)                            # trapezoid weights over [0, qmax], x 2/pi
qt = q[tr]
w[tr] = np.gradient(qt) * 2 / np.pi
w[np.where(tr)[0][[0, -1]]] = 0.5 * np.diff(qt)[[0, -1]] * 2 / np.pi
SIN = np.sin(np.outer(r, q))
fit = (r >= 1.5 - 1e-9) & (r <= 30 + 1e-9)


def transform(F):
    return SIN @ (w * np.where(tr, F, 0))


def tsct_f(I, lo=None, deg=DEG):
    """F(Q) as tsct defines it: alpha, PDFgetX3's least-squares match of S to 1 over
    [0, qmaxinst] (trapezoid weights / <f>^4; or, given lo, the former I -> <f^2> averaged over
    [lo qmaxinst, qmaxinst]), minus the least-squares fit Q sum_k<n c_k T_k(2Q/qmaxinst - 1)
    over [0, qmaxinst]."""
    if lo is None:
        wq = np.where(inst, np.gradient(q), 0) / f2 ** 2     # single element: <f>^4 = <f^2>^2
        alpha = (wq * I * f2).sum() / (wq * I * I).sum()
    else:
        sel = (q >= lo * QMAXINST) & inst
        alpha = f2[sel].sum() / I[sel].sum()
    Fm = q * (alpha * I / f2 - 1)
    basis = np.stack([q[inst] * cheb.chebval(2 * q[inst] / QMAXINST - 1, np.eye(deg)[k])
                      for k in range(deg)], 1)
    F = np.zeros_like(q)
    F[inst] = Fm[inst] - basis @ np.linalg.lstsq(basis, Fm[inst], rcond=None)[0]
    return F


def peak(g, r0):
    m = np.abs(r - r0) <= 0.15
    j = np.where(m)[0][np.argmax(g[m])]
    a, b, c = g[j - 1: j + 2]
    return r[j] + 0.5 * (a - c) / (a - 2 * b + c) * 0.01


def score(g):
    k = (g[fit] @ gx[fit]) / (g[fit] @ g[fit])
    rms = np.sqrt(np.mean((k * g[fit] - gx[fit]) ** 2)) / np.abs(gx[fit]).max()
    return np.corrcoef(g[fit], gx[fit])[0, 1], k, rms


F = tsct_f(I)
g = transform(F)
rr, k, rms = score(g)
print("tsct vs PDFgetX3 over 1.5-30 A: r = %.4f, best scale %.4f, RMS %.4f of max |G|, "
      "first peak %.4f vs %.4f A" % (rr, k, rms, peak(g, 2.49), peak(gx, 2.49)))

print("\n1. Q axis: a shift or a scale of tsct's Q only lowers r")
for d in (-0.0106, -0.005, 0.005, 0.0106):
    gd = np.sin(np.outer(r, q + d)) @ (w * np.where(tr, F, 0))
    print("   Q + %+.4f: r = %.4f" % (d, score(gd)[0]))
for c in (0.999, 1.001):
    gd = np.sin(np.outer(r, q * c)) @ (w * np.where(tr, F, 0))
    print("   Q x %.3f: r = %.4f" % (c, score(gd)[0]))

print("\n2. Every variant of the ad hoc method changes F by a smooth factor and a smooth term,\n"
      "   F' = a(Q) F + b(Q). The best such a, b (Chebyshev, degree da and db, least squares\n"
      "   against PDFgetX3's G) still leave:")
x = 2 * q / QMAX - 1
for da, db in ((0, 0), (4, 16), (20, 20)):
    cols = [transform(F * cheb.chebval(x, np.eye(da + 1)[j])) for j in range(da + 1)]
    cols += [transform(q * cheb.chebval(x, np.eye(db)[j])) for j in range(db)]
    M = np.stack(cols, 1)
    gb = M @ np.linalg.lstsq(M[fit], gx[fit], rcond=None)[0]
    rb, _, rmsb = score(gb)
    print("   da = %2d, db = %2d: r = %.4f, RMS %.4f, first peak %.4f A" % (da, db, rb, rmsb,
                                                                        peak(gb, 2.49)))

print("\n3. Method variants tried on this .chi (r, scale, first peak):")
for lo in (0.0, 0.5, 0.8, 0.96):
    print("   scale I -> <f^2> over [%.2f qmaxinst, qmaxinst]: r = %.4f, k = %.4f" %
          ((lo,) + score(transform(tsct_f(I, lo=lo)))[:2]))
for deg in (8, 12, 20, 24):
    gd = transform(tsct_f(I, deg=deg))
    print("   polynomial degree %2d: r = %.4f, first peak %.4f" % (deg, score(gd)[0],
                                                                  peak(gd, 2.49)))

# PDFgetX3's F(Q), and tsct's after the same round trip through r <= 60 A.
Fx = np.trapz(gx * np.sin(np.outer(q, r)), r, axis=1)
Fr = np.trapz(g * np.sin(np.outer(q, r)), r, axis=1)
print("\n4. Correlation of F(Q) in windows of 1.5 1/A (both through the same round trip):")
for lo in np.arange(0.5, 24, 1.5):
    m = (q >= lo) & (q < lo + 1.5)
    print("   Q %5.1f-%5.1f: r = %.4f, local scale %.3f" %
          (lo, lo + 1.5, np.corrcoef(Fx[m], Fr[m])[0, 1], Fx[m] @ Fr[m] / (Fr[m] @ Fr[m])))
print("   narrow features of the .chi that PDFgetX3's F lacks (F x %.3f, tsct / PDFgetX3):" % k)
for q0 in (13.19, 19.00, 21.17):
    i = np.argmin(np.abs(q - q0))
    print("   Q = %.3f: %+.2f / %+.2f" % (q[i], k * Fr[i], Fx[i]))

print("\n5. Where the first-peak shift comes from: PDFgetX3's F below or above Qc, tsct's "
      "(x %.3f) elsewhere" % k)
for qc in (4, 8, 12, 16, 20):
    lo_, hi_ = transform(np.where(q < qc, Fx, k * F)), transform(np.where(q >= qc, Fx, k * F))
    print("   Qc = %2d: PDFgetX3 below: %.4f A; PDFgetX3 above: %.4f A" % (qc, peak(lo_, 2.49),
                                                                       peak(hi_, 2.49)))

rho0 = 4 / 3.524 ** 3
shell = (r >= 2.15 - 1e-9) & (r <= 2.85 + 1e-9)
print("\n6. First-shell coordination of fcc Ni (12), int (r G + 4 pi rho0 r^2) dr over "
      "2.15-2.85 A:")
for name, gg in (("tsct", g), ("PDFgetX3", gx)):
    print("   %-8s %.2f" % (name, np.trapz(r[shell] * gg[shell] + 4 * np.pi * rho0 *
                                          r[shell] ** 2, r[shell])))
