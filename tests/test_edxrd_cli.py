"""test_edxrd_cli.py - the v2o5 preset through `tsct edxrd` and `tsct fit` against its ground
truth (the judged checks of docs/edxrd.md), and bad input.

 - calibration through the command: the CeO2 spectrum (Ce and Pb K lines, the 111 and 200
   reflections) from a guess 0.25 % off in gain and 0.04 deg off in 2theta gives 2theta within
   0.01 deg and the energy at the true 100 keV channel within 1 eV;
 - alpha-V2O5 (001): the fitted d per layer and time within 0.002 A of the truth wherever alpha
   is at least half of the layer (fraction >= 0.5);
 - onsets of epsilon, epsilon' and delta per layer: the time the fitted area of the phase's
   reflection first reaches half its largest (interpolated between the layer's spectra) within
   one spectrum interval of the layer (the time between two spectra of that layer, 7 x 40 s)
   of the truth (the time its fraction first reaches half its largest);
 - the lag: those onsets increase from the separator side (layer 0) inward, as in the truth;
 - bad input: spectra of another length, a missing live time, an axis outside the beam's
   energies, an incident spectrum of another length, usage errors: exit status and message.
"""
import os

import h5py
import numpy as np
from PIL import Image

from cli_check import TMP, check, finish, run
from figure_pixels import frame_lines


def text(v):
    return v.decode() if isinstance(v, bytes) else v


exp = os.path.join(TMP, "v2o5.h5")
for f in os.listdir(TMP):
    os.remove(os.path.join(TMP, f))
run("simulate", "--preset", "v2o5", "--set", "hours=3", "--set", "cycles=1", "--set", "lag=0.05",
    "-o", exp)
stem = exp[:-3]
spectra = stem + "_spectra.h5::/entry/mca/data"
base = ["edxrd", spectra, "-o", exp, "--calibration", "0,0.0401,0", "--tth", "2.25",
        "--calibrant-spectrum", stem + "_CeO2.mca", "--lines", "Ce,Pb", "--beam", "50:160",
        "--range", "3.8:5.2", "--bins", "700"]
r = run(*base)
check("over 8 peaks" in r.stderr + r.stdout, "all 8 calibration peaks used: " + r.stderr)

with h5py.File(exp, "r") as f:
    g = f["/entry/edxrd"]
    coef = [float(v) for v in text(g.attrs["coef"]).split(",")]
    tth = float(g.attrs["tth"])
    gt = f["/ground_truth/edxrd"]
    true = [float(v) for v in text(gt.attrs["calibration"]).split(",")]
    check(abs(tth - 2.29) <= 0.01, "2theta %.5f within 0.01 deg of 2.29" % tth)
    # the true channel of 100 keV
    c = np.roots([true[2], true[1], true[0] - 100.0])
    c = float(c[np.argmin(abs(c - 2500))].real)
    e100 = coef[0] + coef[1] * c + coef[2] * c * c + coef[3] * c ** 3
    check(abs(e100 - 100.0) <= 1e-3, "E at the true 100 keV channel %.5f within 1 eV" % e100)
    shape = f["/entry/integrated/data"].shape
    check(shape[1:4] == (7, 1, 1) and shape[4] == 700, "integrated shape %s" % (shape,))
    d_axis = f["/entry/integrated/q"][:]
    check(abs(d_axis[0] - 3.801) < 1e-9 and abs(d_axis[-1] - 5.199) < 1e-9, "d axis centres")
    check(text(f["/entry/integrated/q"].attrs["units"]) == "A", "d axis in A")

# alpha (001): position within 0.002 A of the truth
run("fit", "peak", exp, "--source", "integrated", "-n", "alpha", "-w", "4.30:4.43", "-p",
    "g@4.37", "-t", "0")
with h5py.File(exp, "r") as f:
    pos = f["/entry/fits/alpha/parameters"][:, :, 0, 0, 1]
    d001 = f["/ground_truth/edxrd/d001"][:, :, 0]
    frac = f["/ground_truth/edxrd/fraction"][:]
    tm = f["/entry/edxrd/time"][:]
    onset = f["/ground_truth/edxrd/onset"][:]
m = frac[:, :, 0] >= 0.5
err = np.abs(pos - d001)[m]
check(m.sum() >= 100, "alpha present in %d spectra" % m.sum())
check(np.all(np.isfinite(err)) and err.max() <= 0.002,
      "alpha (001) d within 0.002 A: largest error %.5f A over %d spectra" % (err.max(), m.sum()))
print("alpha (001): largest |d - truth| %.5f A, rms %.5f A over %d spectra"
      % (err.max(), np.sqrt((err ** 2).mean()), m.sum()))

# onsets and lags
interval = np.median(np.diff(tm, axis=0))
check(abs(interval - 280) < 1, "a layer's spectra %g s apart" % interval)
windows = {1: ("eps", "4.42:4.60", "4.46", "4.44:4.56"),
           2: ("epsp", "4.57:4.68", "4.62", "4.59:4.65"),
           3: ("delta", "4.89:5.02", "4.955", "4.92:4.99")}
for k, (name, win, start, bounds) in windows.items():
    run("fit", "peak", exp, "--source", "integrated", "-n", name, "-w", win, "-p",
        "g@%s,position=%s:%s,fwhm=0.03:0.01:0.08,area=:0:100" % (start, start, bounds), "-t", "0")
    with h5py.File(exp, "r") as f:
        area = f["/entry/fits/%s/parameters" % name][:, :, 0, 0, 0]
        esd = f["/entry/fits/%s/esd" % name][:, :, 0, 0, 0]
    area = np.where(area > 3 * esd, area, 0.0)
    found = []
    for layer in range(area.shape[1]):
        a = area[:, layer]
        half = 0.5 * np.nanmax(a)
        i = int(np.argmax(a >= half))
        check(i > 0, "%s layer %d: absent at first" % (name, layer))
        w = (half - a[i - 1]) / (a[i] - a[i - 1])
        t = tm[i - 1, layer] + w * (tm[i, layer] - tm[i - 1, layer])
        found.append(t)
    found = np.array(found)
    diff = found - onset[:, k]
    print("%s onsets: found - true = %s s" % (name, np.round(diff).astype(int).tolist()))
    check(np.all(np.abs(diff) <= interval), "%s onsets within %g s: %s" % (name, interval, diff))
    check(np.all(np.diff(found) > 0) and np.all(np.diff(onset[:, k]) > 0),
          "%s: the front reaches the layers in order from the separator" % name)

# figures, checked by their pixels as test_figure.py does: the film of a layer beside the voltage
# (each row's brightest column at the strongest reflection of the truth), and the fronts.

run("echem", exp, stem + "_echem.csv", "--mass", "5", "--period", "280")
layer = 3
png = os.path.join(TMP, "layer.png")
run("edxrd", "figure", "layer", exp, "--layer", str(layer), "-o", png)
im = np.asarray(Image.open(png).convert("RGB")).astype(int)
check(im.shape == (600, 720, 3), "layer film: size %s" % (im.shape,))
cols, rows = frame_lines(im, 1, 300), frame_lines(im, 0, 100)
check(len(cols) == 6 and len(rows) >= 2, "layer film: frames %s %s" % (cols, rows))
with h5py.File(exp, "r") as f:
    gd = f["/ground_truth/edxrd/d001"][:, layer, :]
    gf = f["/ground_truth/edxrd/fraction"][:, layer, :]
    echem_t = f["/entry/echem/time"][:]
    echem_v = f["/entry/echem/voltage"][:]
if len(cols) == 6 and len(rows) >= 2:
    L1, R1, L2, R2 = cols[:4]
    T, B = rows[0], rows[-1]
    t = tm[:, layer] / 3600
    mid = 0.5 * (t[1:] + t[:-1])
    lo = np.concatenate([[t[0] - (mid[0] - t[0])], mid])
    hi = np.concatenate([mid, [t[-1] + (t[-1] - mid[-1])]])
    ylo, yhi = lo.min(), hi.max()
    dd = d_axis[1] - d_axis[0]
    xlo, xhi = d_axis[0] - dd / 2, d_axis[-1] + dd / 2
    good = 0
    rows_checked = [j for j in range(len(t)) if gf[j].max() >= 0.99 and gf[j].argmax() != 3]
    for j in rows_checked:
        y = int(round(B - (0.5 * (lo[j] + hi[j]) - ylo) / (yhi - ylo) * (B - T)))
        band = im[y, L1 + 2:R1 - 1].sum(axis=1)
        k = np.nonzero(band == band.max())[0].mean() + L1 + 2
        dk = xlo + (k + 0.5 - L1) / (R1 - L1) * (xhi - xlo)
        good += abs(dk - gd[j, gf[j].argmax()]) < 0.01
    print("layer film: %d of %d single-phase rows brightest at the phase's d"
          % (good, len(rows_checked)))
    check(len(rows_checked) >= 20 and good >= 0.9 * len(rows_checked),
          "layer film: %d of %d single-phase rows brightest at the phase's d" % (
              good, len(rows_checked)))
    # the voltage beside it: blue pixels of the curve at the record's points
    blue = np.abs(im - np.array((31, 119, 180))).sum(axis=2) <= 90
    inside = (echem_t / 3600 >= ylo) & (echem_t / 3600 <= yhi)
    vlo, vhi = echem_v[inside].min(), echem_v[inside].max()
    vlo, vhi = vlo - 0.05 * (vhi - vlo), vhi + 0.05 * (vhi - vlo)
    hits = total = 0
    for tt, vv in zip(echem_t[inside] / 3600, echem_v[inside]):
        x = L2 + (vv - vlo) / (vhi - vlo) * (R2 - L2)
        y = B - (tt - ylo) / (yhi - ylo) * (B - T)
        if not (L2 + 3 < x < R2 - 3 and T + 3 < y < B - 3):
            continue
        total += 1
        hits += blue[int(round(y)) - 2:int(round(y)) + 3, int(round(x)) - 2:int(round(x)) + 3].any()
    print("layer film: %d of %d voltage points on the curve" % (hits, total))
    check(total > 50 and hits >= 0.97 * total,
          "layer film: %d of %d voltage points on the curve" % (hits, total))
png = os.path.join(TMP, "fronts.png")
run("edxrd", "figure", "fronts", exp, "--fit", "alpha", "--param", "position_1", "-o", png)
im = np.asarray(Image.open(png).convert("RGB")).astype(int)
tab10 = [(0x1f, 0x77, 0xb4), (0xff, 0x7f, 0x0e), (0x2c, 0xa0, 0x2c), (0xd6, 0x27, 0x28),
         (0x94, 0x67, 0xbd), (0x8c, 0x56, 0x4b), (0xe3, 0x77, 0xc2)]
counts = [int((np.abs(im - np.array(c)).sum(axis=2) <= 30).sum()) for c in tab10]
print("fronts: pixels of each layer's colour %s" % counts)
check(min(counts) > 100, "fronts: every layer's colour drawn: %s" % counts)
r = run("edxrd", "figure", "fronts", exp, "--fit", "alpha", "--param", "height", "-o", png,
        status=1)
check("no such parameter" in r.stderr and "position_1" in r.stderr,
      "unknown parameter: " + r.stderr)
r = run("edxrd", "figure", "layer", exp, "--layer", "7", "-o", png, status=1)
check("7 layers" in r.stderr, "layer beyond: " + r.stderr)

# bad input
a, b, nolive = (os.path.join(TMP, n) for n in ("a.txt", "b.txt", "nolive.txt"))
with open(a, "w") as f:
    f.write("# live_time 9\n# z 0\n# time 0\n" + "5\n" * 4096)
with open(b, "w") as f:
    f.write("# live_time 9\n# z 0\n# time 40\n" + "5\n" * 4000)
with open(nolive, "w") as f:
    f.write("# z 0\n# time 80\n" + "5\n" * 4096)
out = os.path.join(TMP, "bad.h5")
opts = ["-o", out, "--calibration", "0.085,0.04,2e-8", "--tth", "2.29", "--range", "3.8:5.2"]
r = run("edxrd", a, b, *opts, status=1)
check("b.txt" in r.stderr and "4000 channels, but" in r.stderr and "4096" in r.stderr,
      "another length named: " + r.stderr)
r = run("edxrd", a, nolive, *opts, status=1)
check("nolive.txt" in r.stderr and "no live time" in r.stderr, "missing live time: " + r.stderr)
r = run("edxrd", a, *opts[:-1], "3.8:5.6", "--beam", "60:150", status=1)
check("outside the beam's 60 .. 150 keV" in r.stderr, "energies outside the beam: " + r.stderr)
r = run("edxrd", a, *opts, "--normalise", "incident:" + b, status=1)
check("4000 channels, the spectra have 4096" in r.stderr, "incident length: " + r.stderr)
check(not os.path.exists(out), "no container after failures")
r = run("edxrd", a, "-o", out, "--tth", "2.29", "--range", "3.8:5.2", status=2)
check("--calibration" in r.stderr, "usage: " + r.stderr)
r = run("edxrd", a, *opts, "--normalise", "wavy", status=2)
check("--normalise expects" in r.stderr, "usage: " + r.stderr)

finish("test_edxrd_cli")
