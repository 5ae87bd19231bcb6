#!/usr/bin/python3
"""`tsct figure image`: quick looks at files that are not containers.

1. A plain image: FILE.h5::/img [40][64], the left half 0 and the right half 1, drawn 720 x 600
   in viridis: both ends of the map, (68, 1, 84) and (253, 231, 37), fill the two halves of
   the plot (each > 30 % of the plot's pixels, the left one left of the right one); a plain
   `tsct recon` output (OUT.h5, its /data) [ny][nx][3] is drawn as its sum over channels
   (the same PNG as the 2-D sum written by hand); --log draws log10(v + 1) (an image of
   0 and 9 gives the same PNG as one of 0 and 1 with --log: both span the map).
2. A detector frame: the Pilatus 2M CeO2 frame with its PONI. Its module gaps are masked: the
   NaN grey (216, 216, 216) covers > 5000 pixels; with --calibrant CeO2 the yellow rings
   (255, 204, 0, antialiased) appear (> 2000 pixels, none without), and they lie on the
   diffraction rings: the frame's grey level under them (from the figure without rings) is
   brighter than the frame's median by > 10 levels. --ticks CeO2=CeO2_COD9009008.cif:red
   draws the phase's rings in red (230, 25, 25) on bright pixels too.
3. --calibrant without --poni is a usage error (exit 2).
"""
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_check  # noqa: E402
from cli_check import TMP, run  # noqa: E402

DATA = os.environ["TSCT_DATA"]


def check(cond, msg):
    """cli_check's, with the measured figures printed, passed or not."""
    print(("ok   " if cond else "FAIL ") + msg)
    cli_check.check(cond, msg)


def rgb(png):
    import matplotlib.image
    return np.round(matplotlib.image.imread(png)[..., :3] * 255).astype(int)


def near(a, colour, tol=2):
    return np.all(np.abs(a - np.array(colour)) <= tol, axis=-1)


def plain():
    img = np.zeros((40, 64), np.float32)
    img[:, 32:] = 1
    src = os.path.join(TMP, "img.h5")
    with h5py.File(src, "w") as f:
        f["img"] = img
        f["nine"] = 9 * img
    out = os.path.join(TMP, "img.png")
    run("figure", "image", src + "::/img", "-o", out)
    a = rgb(out)
    check(a.shape[:2] == (600, 720), "plain image: 720 x 600 (%s)" % (a.shape,))
    lo, hi = near(a, (68, 1, 84)), near(a, (253, 231, 37))
    cols_lo, cols_hi = np.nonzero(lo)[1], np.nonzero(hi)[1]
    check(lo.sum() > 0.3 * (lo.sum() + hi.sum()) and hi.sum() > 0.3 * (lo.sum() + hi.sum()) and
          np.median(cols_lo) < np.median(cols_hi),
          "plain image: viridis ends on the left (%d px) and right (%d px) halves"
          % (lo.sum(), hi.sum()))
    # a reconstruction [ny][nx][3] in a plain recon output's /data: its channel sum
    cube = np.random.default_rng(0).random((40, 64, 3)).astype(np.float32)
    with h5py.File(os.path.join(TMP, "recon.h5"), "w") as f:
        f["data"] = cube
    with h5py.File(os.path.join(TMP, "sum.h5"), "w") as f:
        f["s"] = cube.astype(np.float64).sum(axis=-1).astype(np.float32)
    run("figure", "image", os.path.join(TMP, "recon.h5"), "--label", "L", "--title", "T",
        "-o", os.path.join(TMP, "cube.png"))
    run("figure", "image", os.path.join(TMP, "sum.h5") + "::/s", "--label", "L", "--title", "T",
        "-o", os.path.join(TMP, "sum.png"))
    check(np.array_equal(rgb(os.path.join(TMP, "cube.png")), rgb(os.path.join(TMP, "sum.png"))),
          "a recon output [ny][nx][3] is drawn as its sum over channels")
    run("figure", "image", src + "::/nine", "--log", "--label", "L", "--title", "T", "-o",
        os.path.join(TMP, "log.png"))
    run("figure", "image", src + "::/img", "--label", "L", "--title", "T", "-o",
        os.path.join(TMP, "lin.png"))
    a, b = rgb(os.path.join(TMP, "log.png")), rgb(os.path.join(TMP, "lin.png"))
    check(near(a, (253, 231, 37)).sum() == near(b, (253, 231, 37)).sum() > 0,
          "--log: log10(9 + 1) = 1 fills the map's top as 1 does")


def frame():
    d = os.path.join(DATA, "detector_images", "ndtomo_CeO2_Pilatus2M")
    cbf, poni = os.path.join(d, "CeO2.cbf"), os.path.join(d, "CeO2.poni")
    cif = os.path.join(DATA, "cif", "CeO2_COD9009008.cif")
    outs = {k: os.path.join(TMP, "frame_%s.png" % k) for k in ("bare", "cal", "phase")}
    run("figure", "image", cbf, "--poni", poni, "--title", "T", "-o", outs["bare"])
    run("figure", "image", cbf, "--poni", poni, "--calibrant", "CeO2", "--title", "T",
        "-o", outs["cal"])
    run("figure", "image", cbf, "--poni", poni, "--ticks", "CeO2=%s:red" % cif, "--title", "T",
        "-o", outs["phase"])
    bare, cal, phase = (rgb(outs[k]) for k in ("bare", "cal", "phase"))
    grey = near(bare, (216, 216, 216), 0)
    check(grey.sum() > 5000, "frame: the module gaps are masked (%d NaN-grey pixels)"
          % grey.sum())
    # the frame's area: the gaps cross it from edge to edge
    rows, cols = np.nonzero(grey)
    box = np.zeros(grey.shape, bool)
    box[rows.min():rows.max() + 1, cols.min():cols.max() + 1] = True
    plot = box & ~grey & np.all(bare == bare[..., :1], axis=-1)
    median = np.median(bare[plot][:, 0])
    r, g, b = (cal[..., k] for k in range(3))
    yellow = box & (r > 200) & (g > 150) & (g < 220) & (b < 80)  # (255, 204, 0), antialiased
    check(yellow.sum() > 2000 and not (box & (bare[..., 2] < 80) & (bare[..., 0] > 200)).any(),
          "frame: --calibrant CeO2 draws yellow rings (%d pixels, none without)" % yellow.sum())
    under = bare[yellow & plot][:, 0].mean()
    check(under > median + 10, "frame: the rings lie on bright pixels (mean %.1f under the "
          "rings, median %.1f)" % (under, median))
    r, g, b = (phase[..., k] for k in range(3))
    red = box & (r > 180) & (g < 90) & (b < 90)  # (230, 25, 25), antialiased
    under = bare[red & plot][:, 0].mean() if (red & plot).any() else 0
    check(red.sum() > 2000 and under > median + 10,
          "frame: --ticks draws the phase's rings in red (%d pixels, mean %.1f under them, "
          "median %.1f)" % (red.sum(), under, median))


def usage():
    d = os.path.join(DATA, "detector_images", "ndtomo_CeO2_Pilatus2M")
    r = cli_check.run("figure", "image", os.path.join(d, "CeO2.cbf"), "--calibrant", "CeO2",
                      "-o", os.path.join(TMP, "x.png"), status=2)
    check("--poni" in r.stderr, "--calibrant without --poni: %s" % r.stderr.strip())


def main():
    plain()
    frame()
    usage()
    cli_check.finish("test_figure_image")


if __name__ == "__main__":
    main()
