"""test_figure.py - `tsct figure`: PNG figures of maps, grids, composites, films, patterns with
reflection ticks, fitted parameters and tables.

A known map (a ramp from 0 to 899 over 30 x 30 voxels, one NaN voxel) is imported as a
reconstruction with two channels of half the value each, turned into a map (`tsct map --total`) and drawn. Checked
with PIL and matplotlib (Debian's /usr/bin/python3): the PNG has the requested size; the
image area holds exactly the colours of matplotlib's viridis for the map's values (every
voxel colour is viridis at (v - vmin) / (vmax - vmin), quantised to 256 entries as tsct does),
the NaN voxel is light grey, the colour bar runs through the whole of viridis, top to
bottom; grids, composites, films and line plots are valid PNGs that are not blank;
bad input gets clear errors.

Series figures, on a container whose time steps each have one peak at a known q and an
electrochemical record written by `tsct echem` (frames are found as 1 px black lines, then
every value is mapped to pixels with the layout figure.h documents):
- film: each time step's row lies at its acquisition window on the time axis with its peak at
  the right q (time grows upwards); the voltage panel's curve passes through the pixel of every
  record point (time, voltage) and nowhere else; each tomogram's dot sits at its mean voltage;
  also against time step, and for a region's G(r); capacity across half cycles and missing
  electrochemistry are refused.
- patterns: the tick marks of two phases fill exactly the pixel columns of the reflections that
  `tsct pattern FILE.cif --peaks` lists (+-1 px), in their own rows and colours; a missing CIF,
  ticks on an r axis are errors.
- fit: error bars from a `tsct fit peak --series` table and from /entry/fits (one voxel, and
  the mean of the converged voxels with the ESD of the mean, sqrt(sum esd^2) / N) are as long
  in pixels as 2 ESD maps to (+-2 px); an unknown parameter is an error naming the known ones.
- all: draws the film, region and fit figures.
"""
import os
import re

import h5py
import numpy as np
from matplotlib import cm
from PIL import Image

from cli_check import TMP, check, finish, run
from figure_pixels import frame_lines

W = os.path.join(TMP, "figure")
os.makedirs(W, exist_ok=True)
src, exp = os.path.join(W, "src.h5"), os.path.join(W, "exp.h5")
for p in (src, exp):
    if os.path.exists(p):
        os.remove(p)
ny = nx = 30
ramp = np.arange(ny * nx, dtype=np.float32).reshape(ny, nx)
ramp[5, 7] = np.nan
with h5py.File(src, "w") as f:
    f["recon"] = np.stack([ramp / 2, ramp / 2], axis=-1)  # two channels: total = ramp
    f["q"] = np.array([1.0, 2.0])
run("import", src + "::/recon", "-a", src + "::/q", "-o", exp)
run("map", exp, "--total", "ramp")

png = os.path.join(W, "ramp.png")
run("figure", "map", exp, "--map", "ramp", "--vmin", "0", "--vmax", "899", "--size",
    "640x560", "-o", png)
img = np.asarray(Image.open(png).convert("RGB")).astype(int)
check(img.shape == (560, 640, 3), "size %s" % (img.shape,))
colours = {tuple(c) for c in img.reshape(-1, 3)}
viridis = (np.asarray(cm.get_cmap("viridis")(np.arange(256) / 255.0))[:, :3] * 255 + 0.5)
viridis = viridis.astype(int)
want = set()
for v in ramp.ravel():
    if np.isfinite(v):
        want.add(tuple(viridis[int(np.floor(v / 899.0 * 255 + 0.5))]))
missing = [c for c in want if c not in colours]
check(not missing, "%d voxel colours of viridis missing from the figure" % len(missing))
check((216, 216, 216) in colours, "NaN voxel drawn light grey")
# The colour bar: a column right of the image whose colours are viridis entries, top to
# bottom with falling luminance.
vset = {tuple(c) for c in viridis}
best = None
for col in range(img.shape[1] - 1, img.shape[1] // 2, -1):  # from the right edge
    run_ = [tuple(c) for c in img[:, col] if tuple(c) in vset]
    if len(run_) > img.shape[0] // 2:
        best = [c for c in img[:, col] if tuple(c) in vset]
        break
check(best is not None, "colour bar found")
if best is not None:
    index = {tuple(c): i for i, c in enumerate(viridis)}
    idx = [index[tuple(c)] for c in best]
    check(all(a >= b for a, b in zip(idx, idx[1:])) and idx[0] >= 250 and idx[-1] <= 5,
          "colour bar runs through viridis from top (%d) to bottom (%d)" % (idx[0], idx[-1]))

# Grid, composite, film, plot, all.
for kind, args in (("grid", ["--map", "ramp"]),
                   ("composite", ["--phase", "ramp:red"]),
                   ("film", [])):
    out = os.path.join(W, kind + ".png")
    run("figure", kind, exp, *args, "-o", out)
    im = np.asarray(Image.open(out).convert("RGB"))
    check(im.shape == (600, 720, 3), "%s: default size %s" % (kind, im.shape))
    check(len({tuple(c) for c in im.reshape(-1, 3)}) > 50, kind + ": not blank")
table = os.path.join(W, "table.csv")
with open(table, "w") as f:
    f.write("t,a,a_esd,b\n" + "".join("%d,%g,%g,%g\n" % (t, t * t, 0.5, 3 - t) for t in range(6)))
out = os.path.join(W, "plot.png")
run("figure", "plot", table, "--x", "t", "--y", "a,b", "--err", "a_esd,a_esd", "-o", out)
check(len({tuple(c) for c in np.asarray(Image.open(out).convert("RGB")).reshape(-1, 3)}) > 20,
      "plot not blank")
# --split: one curve per value of a column (capacity restarts at each half cycle) is the
# same picture as the columns split by hand, NaN (a break in the curve) elsewhere.
half = [0, 0, 0, 1, 1, 1]
capx = [10, 50, 90, 80, 40, 5]
with open(os.path.join(W, "halves.csv"), "w") as f:
    f.write("cap,a,half_cycle\n" + "".join("%g,%g,%d\n" % (x, t * t, h)
                                           for t, (x, h) in enumerate(zip(capx, half))))
with open(os.path.join(W, "halves_by_hand.csv"), "w") as f:
    f.write("cap,half_cycle 0,half_cycle 1\n" +
            "".join("%g,%s,%s\n" % (x, t * t if h == 0 else "nan", t * t if h == 1 else "nan")
                    for t, (x, h) in enumerate(zip(capx, half))))
s1, s2 = os.path.join(W, "split.png"), os.path.join(W, "split_by_hand.png")
run("figure", "plot", os.path.join(W, "halves.csv"), "--x", "cap", "--y", "a", "--split",
    "half_cycle", "--label", "a", "-o", s1)
run("figure", "plot", os.path.join(W, "halves_by_hand.csv"), "--x", "cap", "--y",
    "half_cycle 0,half_cycle 1", "--label", "a", "-o", s2)
i1, i2 = (np.asarray(Image.open(p).convert("RGB")) for p in (s1, s2))
check(i1.shape == i2.shape and np.array_equal(i1, i2), "--split draws the columns split by hand")
r = run("figure", "plot", os.path.join(W, "halves.csv"), "--x", "cap", "--y", "a,cap",
        "--split", "half_cycle", "-o", s1, status=1)
check("splits one --y column" in r.stderr, r.stderr)
r = run("figure", "plot", os.path.join(W, "halves.csv"), "--x", "cap", "--y", "a",
        "--split", "nope", "-o", s1, status=1)
check("nope: no such column" in r.stderr, r.stderr)
folder = os.path.join(W, "all")
run("figure", "all", exp, "-o", folder, "--composite", "ramp:green")
check(sorted(os.listdir(folder)) == ["composite_t0000.png", "film.png", "map_ramp.png"],
      "all: %s" % os.listdir(folder))

# Bad input.
r = run("figure", "map", exp, "--map", "nothing", "-o", png, status=1)
check("/entry/maps/nothing: no such map" in r.stderr, r.stderr)
r = run("figure", "plot", table, "--x", "t", "--y", "zz", "-o", out, status=1)
check("zz: no such column" in r.stderr, r.stderr)
r = run("figure", "map", exp, "--map", "ramp", "--t", "3", "-o", png, status=1)
check("1 time steps" in r.stderr, r.stderr)
r = run("figure", "map", exp, "--map", "ramp", "-o", os.path.join(W, "no/such/dir/x.png"),
        status=1)
check("x.png" in r.stderr, r.stderr)
r = run("figure", "wheel", exp, "-o", png, status=2)
check("unknown kind 'wheel'" in r.stderr, r.stderr)
r = run("figure", "composite", exp, "--phase", "ramp:mauve", "-o", png, status=1)
check("unknown colour 'mauve'" in r.stderr, r.stderr)

# ---- series figures ------------------------------------------------------------------------
def near(im, rgb, tol):
    return np.abs(im - np.array(rgb)).sum(axis=2) <= tol


S = os.path.join(W, "series")
os.makedirs(S, exist_ok=True)
fsrc, fexp = os.path.join(S, "src.h5"), os.path.join(S, "film.h5")
for p in (fsrc, fexp):
    if os.path.exists(p):
        os.remove(p)
nt, nq = 4, 400
q = np.linspace(1.0, 5.0, nq)
dq = q[1] - q[0]
peak_q = [1.5 + 0.8 * t for t in range(nt)]
pat = np.array([100 + 1000 * np.exp(-0.5 * ((q - pq) / 0.03) ** 2) for pq in peak_q],
               np.float32)
vol = np.broadcast_to(pat[:, None, None, None, :], (nt, 1, 6, 6, nq)).copy()
with h5py.File(fsrc, "w") as f:
    f["recon"], f["q"] = vol, q
run("import", fsrc + "::/recon", "-a", fsrc + "::/q", "-o", fexp)
# The electrochemistry: 4 tomograms of an hour; discharge for 2 h, then charge.
et = np.arange(0, 4 * 3600 + 1, 60.0)
ev = 1.2 + 0.5 * np.cos(2 * np.pi * et / 14400.0) + 0.1 * np.sin(2 * np.pi * et / 2400.0)
ei = np.where(et < 7200, -0.5, 0.5)
ecsv = os.path.join(S, "echem.csv")
with open(ecsv, "w") as f:
    f.write("time/s,Ewe/V,<I>/mA\n")
    f.writelines("%.1f,%.6f,%.3f\n" % v for v in zip(et, ev, ei))
run("echem", fexp, ecsv, "--mass", "1", "--period", "3600")
r_axis = np.arange(1, 201) * 0.05
with h5py.File(fexp, "a") as f:
    f["entry/regions/core/pattern"] = pat
    f["entry/regions/core/pdf"] = np.sin(r_axis[None, :] * (1 + np.arange(nt)[:, None])
                                         ).astype(np.float32)
    f["entry/regions/core/r"] = r_axis
    e = f["entry/echem"]
    start, end = e["tomogram_start"][...], e["tomogram_end"][...]
    tvolt = e["tomogram_voltage"][...]


def check_film(png, ylo, yhi, row_lo, row_hi, curve_t, curve_v, what):
    im = np.asarray(Image.open(png).convert("RGB")).astype(int)
    check(im.shape == (600, 720, 3), "%s: size %s" % (what, im.shape))
    cols = frame_lines(im, 1, 300)  # film, side panel and colour bar edges
    rows = frame_lines(im, 0, 100)
    check(len(cols) == 6 and len(rows) >= 2, "%s: frames %s %s" % (what, cols, rows))
    if len(cols) != 6 or len(rows) < 2:
        return
    L1, R1, L2, R2 = cols[:4]
    T, B = rows[0], rows[-1]

    def PY(v):
        return T + (B - T) - (v - ylo) / (yhi - ylo) * (B - T)

    # Film rows: the brightest column of the middle pixel row of each band is its peak's q.
    xlo, xhi = q[0] - dq / 2, q[-1] + dq / 2
    for j in range(nt):
        y = int(round(0.5 * (PY(row_lo[j]) + PY(row_hi[j]))))
        band = im[y, L1 + 2:R1 - 1].sum(axis=1)
        k = np.nonzero(band == band.max())[0].mean() + L1 + 2  # the middle of a clipped top
        qk = xlo + (k + 0.5 - L1) / (R1 - L1) * (xhi - xlo)
        check(abs(qk - peak_q[j]) < 2 * dq,
              "%s: row %d at y %d has its peak at q %.3f, wanted %.3f" % (what, j, y, qk,
                                                                           peak_q[j]))
    # The side panel's x range: the curve points inside the y range and the markers, +5 %.
    inside = (curve_t >= ylo) & (curve_t <= yhi) & np.isfinite(curve_v)
    slo = min(curve_v[inside].min(), tvolt.min())
    shi = max(curve_v[inside].max(), tvolt.max())
    slo, shi = slo - 0.05 * (shi - slo), shi + 0.05 * (shi - slo)

    def SX(v):
        return L2 + (v - slo) / (shi - slo) * (R2 - L2)

    blue = near(im, (31, 119, 180), 90)
    hits = total = 0
    for t_, v_ in zip(curve_t[inside], curve_v[inside]):
        x, y = SX(v_), PY(t_)
        if not (L2 + 3 < x < R2 - 3 and T + 3 < y < B - 3):
            continue
        total += 1
        hits += blue[int(round(y)) - 2:int(round(y)) + 3, int(round(x)) - 2:int(round(x)) + 3].any()
    check(total > 20 and hits >= 0.97 * total,
          "%s: %d of %d voltage points have the curve at their pixel" % (hits, total, what)
          if False else "%s: %d of %d voltage points have the curve at their pixel"
          % (what, hits, total))
    # ... and nowhere else: the curve's pixels in each pixel row lie within 3 px of where the
    # densified record crosses that row.
    dense_t, dense_v = [], []
    for a in range(len(curve_t) - 1):
        if not (np.isfinite(curve_v[a]) and np.isfinite(curve_v[a + 1])):
            continue
        f_ = np.linspace(0, 1, 30)
        dense_t.extend(curve_t[a] + f_ * (curve_t[a + 1] - curve_t[a]))
        dense_v.extend(curve_v[a] + f_ * (curve_v[a + 1] - curve_v[a]))
    dy, dx = PY(np.array(dense_t)), SX(np.array(dense_v))
    red = near(im, (214, 39, 40), 90)
    stray = 0
    for y in range(T + 2, B - 1):
        xs = np.nonzero(blue[y, L2 + 2:R2 - 1] & ~red[y, L2 + 2:R2 - 1])[0] + L2 + 2
        if xs.size == 0:
            continue
        sel = np.abs(dy - y) <= 1.5
        if not sel.any():
            stray += xs.size
            continue
        stray += int(((xs < dx[sel].min() - 3) | (xs > dx[sel].max() + 3)).sum())
    check(stray == 0, "%s: %d curve pixels off the voltage record" % (what, stray))
    # A dot per tomogram at its mean voltage, at the middle of its row.
    for j in range(nt):
        x, y = int(round(SX(tvolt[j]))), int(round(PY(0.5 * (row_lo[j] + row_hi[j]))))
        check(red[y - 2:y + 3, x - 2:x + 3].any(),
              "%s: tomogram %d's dot at (%d, %d)" % (what, j, x, y))


png = os.path.join(S, "film.png")
run("figure", "film", fexp, "-o", png)
check_film(png, start.min() / 3600, end.max() / 3600, start / 3600, end / 3600, et / 3600, ev,
           "film against time")
# Against time step: each window's record fills its row.
png = os.path.join(S, "film_step.png")
run("figure", "film", fexp, "--region", "core", "--y", "step", "-o", png)
ct, cv = [], []
for j in range(nt):
    sel = (et >= start[j]) & (et <= end[j])
    ct.extend(j - 0.5 + (et[sel] - start[j]) / (end[j] - start[j]))
    cv.extend(ev[sel])
    ct.append(np.nan)
    cv.append(np.nan)
check_film(png, -0.5, nt - 0.5, np.arange(nt) - 0.5, np.arange(nt) + 0.5, np.array(ct),
           np.array(cv), "region film against time step")
png = os.path.join(S, "film_pdf.png")
run("figure", "film", fexp, "--region", "core", "--source", "pdf", "-o", png)
im = np.asarray(Image.open(png).convert("RGB"))
check(im.shape == (600, 720, 3) and len({tuple(c) for c in im.reshape(-1, 3)}) > 50,
      "G(r) film: size and not blank")
r = run("figure", "film", fexp, "--y", "capacity", "-o", png, status=1)
check("restarts at each half cycle" in r.stderr, "capacity across half cycles: " + r.stderr)
r = run("figure", "film", exp, "--y", "time", "-o", png, status=1)
check("/entry/echem" in r.stderr and "tsct echem" in r.stderr, "no echem: " + r.stderr)
r = run("figure", "film", fexp, "--region", "nowhere", "-o", png, status=1)
check("/entry/regions/nowhere: no such region" in r.stderr, r.stderr)
r = run("figure", "film", fexp, "--y", "sideways", "-o", png, status=1)
check("expected time, capacity or step" in r.stderr, r.stderr)

# Patterns with the reflections of two phases as tick marks.
CIFS = os.path.join(os.environ["TSCT_SRC"], "data", "structures")
ticks_q = {}
for name in ("LiBi", "Li3Bi"):
    r = run("pattern", os.path.join(CIFS, name + ".cif"), "--wavelength", "0.2", "--qmax", "5",
            "--peaks")
    rows_ = [l.split() for l in r.stdout.splitlines()[1:] if l.strip()]
    ticks_q[name] = np.array([float(v[4]) for v in rows_])
png = os.path.join(S, "patterns.png")
run("figure", "patterns", fexp, "--region", "core", "--t", "0,2,3", "--size", "900x600",
    "--ticks", "LiBi=%s:blue" % os.path.join(CIFS, "LiBi.cif"), "--ticks", "Li3Bi.cif:#00aa00",
    "-o", png)
im = np.asarray(Image.open(png).convert("RGB")).astype(int)
check(im.shape == (600, 900, 3), "patterns: size %s" % (im.shape,))
cols, rows = frame_lines(im, 1, 300), frame_lines(im, 0, 300)
check(len(cols) == 2 and len(rows) == 2, "patterns: one frame, got %s %s" % (cols, rows))
if len(cols) == 2 and len(rows) == 2:
    L, R = cols
    mean_y = {}
    for name, rgb in (("LiBi", (38, 89, 255)), ("Li3Bi", (0, 170, 0))):
        mask = near(im, rgb, 40)[:, L + 1:R]
        found = {c + L + 1 for c in np.nonzero(mask.sum(axis=0) >= 5)[0]}
        qs = ticks_q[name][(ticks_q[name] >= q[0]) & (ticks_q[name] <= q[-1])]
        want = {int(np.floor(L + (v - q[0]) / (q[-1] - q[0]) * (R - L))) for v in qs}
        want = {min(max(w, L + 1), R - 1) for w in want}
        miss = [w for w in want if not any(abs(w - f) <= 1 for f in found)]
        extra = [f for f in found if not any(abs(w - f) <= 1 for w in want)]
        check(len(want) >= 3 and not miss and not extra,
              "%s ticks: %d expected columns, missing %s, extra %s" % (name, len(want), miss,
                                                                     extra))
        mean_y[name] = np.nonzero(mask)[0].mean() if mask.any() else 0
    check(mean_y["LiBi"] < mean_y["Li3Bi"], "LiBi's row above Li3Bi's: %s" % mean_y)
# Text patterns take ticks too; a missing CIF and ticks on r are errors.
xy = []
for t in range(2):
    xy.append(os.path.join(S, "p%d.xy" % t))
    np.savetxt(xy[-1], np.c_[q, pat[t]])
png = os.path.join(S, "patterns_xy.png")
run("figure", "patterns", *xy, "--ticks", "LiBi.cif", "--offset", "0.5", "-o", png)
im = np.asarray(Image.open(png).convert("RGB"))
check(im.shape == (600, 960, 3) and near(im.astype(int), (230, 26, 26), 40).any(),
      "text patterns with red ticks (default colour), default legend size 960x600")
r = run("figure", "patterns", fexp, "--region", "core", "--ticks", "X=nope.cif", "-o", png,
        status=1)
check("nope.cif" in r.stderr and "CIF not found" in r.stderr, r.stderr)
r = run("figure", "patterns", fexp, "--region", "core", "--source", "pdf", "--ticks",
        "LiBi.cif", "-o", png, status=1)
check("need a q axis" in r.stderr, r.stderr)
r = run("figure", "patterns", fexp, "--region", "core", "--t", "9", "-o", png, status=1)
check("time step 9 of 4" in r.stderr, r.stderr)


def bar_lengths(png, xs, ys, es, what):
    """Measured and expected error bar lengths (pixels) of a one-series plot."""
    im = np.asarray(Image.open(png).convert("RGB")).astype(int)
    cols, rows = frame_lines(im, 1, 200), frame_lines(im, 0, 200)
    check(len(cols) == 2 and len(rows) == 2, "%s: one frame, got %s %s" % (what, cols, rows))
    if len(cols) != 2 or len(rows) != 2:
        return
    L, R = cols
    T, B = rows
    xlo, xhi = min(xs), max(xs)
    xlo, xhi = xlo - 0.03 * (xhi - xlo), xhi + 0.03 * (xhi - xlo)  # <= 200 points: padded
    ylo, yhi = min(y - e for y, e in zip(ys, es)), max(y + e for y, e in zip(ys, es))
    ylo, yhi = ylo - 0.05 * (yhi - ylo), yhi + 0.05 * (yhi - ylo)
    blue = near(im, (31, 119, 180), 200) & (im.sum(axis=2) < 600)  # bar pixels, antialiased
    for x, y, e in zip(xs, ys, es):
        col = int(np.floor(L + (x - xlo) / (xhi - xlo) * (R - L)))
        cy = int(round(T + (B - T) - (y - ylo) / (yhi - ylo) * (B - T)))
        top = bot = cy
        while top - 1 > T and blue[top - 1, col]:
            top -= 1
        while bot + 1 < B and blue[bot + 1, col]:
            bot += 1
        want = 2 * e / (yhi - ylo) * (B - T)
        check(want > 20, "%s: a bar of %.1f px would hide behind its dot" % (what, want))
        check(abs((bot - top) - want) <= 2,
              "%s: error bar at x = %g is %d px, 2 ESD = %.1f px" % (what, x, bot - top, want))


# Fitted parameters from a `tsct fit peak --series` table: flat values, known ESDs.
table = os.path.join(S, "fit.csv")
cap, pos, esd = [10, 20, 30, 40, 50], [2.0] * 5, [0.01, 0.02, 0.005, 0.03, 0.015]
with open(table, "w") as f:
    f.write("index,source,capacity,voltage,area_1,area_1_esd,position_1,position_1_esd,"
            "redchi2,rwp,status\n")
    for i in range(5):
        f.write("%d,x.h5::/p,%g,1.0,5,0.1,%g,%g,1,0.01,0\n" % (i, cap[i], pos[i], esd[i]))
png = os.path.join(S, "fit_table.png")
run("figure", "fit", table, "--param", "position_1", "-o", png)
bar_lengths(png, cap, pos, esd, "fit table")
r = run("figure", "fit", table, "--param", "height_1", "-o", png, status=1)
check("height_1" in r.stderr and "area_1, position_1" in r.stderr, r.stderr)
# From /entry/fits: voxels with status 0 count, the others not.
nyv = nxv = 6
P = np.full((nt, 1, nyv, nxv, 2), np.nan, np.float32)
E = np.full_like(P, np.nan)
Sx = np.full((nt, 1, nyv, nxv), np.nan, np.float32)
rng = np.random.default_rng(3)
for t in range(nt):
    for i in range(nyv):
        for k in range(nxv):
            ok = (i + k + t) % 3 != 0
            P[t, 0, i, k] = (7.0, 2.5 if ok else 40.0)
            E[t, 0, i, k] = (0.5, rng.uniform(0.005, 0.03) * (1 + t) if ok else 30.0)
            Sx[t, 0, i, k] = 0 if ok else 1
    P[t, 0, 2, 3], E[t, 0, 2, 3], Sx[t, 0, 2, 3] = (7.0, 2.5), (0.5, [0.05, 0.1, 0.02, 0.08][t]), 0
with h5py.File(fexp, "a") as f:
    g = f.create_group("entry/fits/pk")
    g["parameters"], g["esd"], g["status"] = P, E, Sx
    g["parameters"].attrs["parameters"] = np.bytes_("area_1,position_1")
    g["parameters"].attrs["source"] = np.bytes_("recon")
want_mean, want_esd = [], []
for t in range(nt):
    ok = Sx[t, 0] == 0
    want_mean.append(float(P[t, 0][ok][:, 1].mean()))
    want_esd.append(float(np.sqrt((E[t, 0][ok][:, 1].astype(float) ** 2).sum()) / ok.sum()))
tmid = list(0.5 * (start + end) / 3600)
png = os.path.join(S, "fit_mean.png")
run("figure", "fit", fexp, "--param", "position_1", "--x", "time", "-o", png)
bar_lengths(png, tmid, want_mean, want_esd, "fit mean")
png = os.path.join(S, "fit_voxel.png")
run("figure", "fit", fexp, "--fit", "pk", "--param", "position_1", "--voxel", "2,3", "--x",
    "time", "-o", png)
bar_lengths(png, tmid, [float(v) for v in P[:, 0, 2, 3, 1]],
            [float(v) for v in E[:, 0, 2, 3, 1]], "fit voxel 2,3")
png = os.path.join(S, "fit_cap.png")
run("figure", "fit", fexp, "--param", "area_1", "-o", png)  # capacity: one series per half cycle
im = np.asarray(Image.open(png).convert("RGB")).astype(int)
check(near(im, (31, 119, 180), 30).any() and near(im, (255, 127, 14), 30).any(),
      "fit against capacity: two half cycles in two colours")
r = run("figure", "fit", fexp, "--param", "width_9", "-o", png, status=1)
check("no parameter 'width_9' (fit pk has area_1,position_1)" in r.stderr, r.stderr)
r = run("figure", "fit", fexp, "--fit", "nofit", "--param", "area_1", "-o", png, status=1)
check("/entry/fits/nofit/parameters: no such fit" in r.stderr, r.stderr)
r = run("figure", "fit", exp, "--param", "area_1", "-o", png, status=1)
check("no fits" in r.stderr, r.stderr)
r = run("figure", "fit", fexp, "-o", png, status=2)
check("--param" in r.stderr, r.stderr)

folder = os.path.join(S, "all")
run("figure", "all", fexp, "-o", folder, "--ticks", "LiBi.cif")
check(sorted(os.listdir(folder)) == ["film.png", "fit_pk_area_1.png", "fit_pk_position_1.png",
                                     "region_core_film.png", "region_core_patterns.png",
                                     "region_core_pdf_film.png"],
      "all with regions and fits: %s" % sorted(os.listdir(folder)))
usage = run("figure", "--help").stdout + run("figure", "--help").stderr
for word in ("film", "patterns", "--ticks", "--param", "--voxel", "--no-echem"):
    check(word in usage, "--help mentions " + word)
finish("test_figure")
