#!/usr/bin/python3
"""Differences are drawn with the diverging colour map, limits symmetric about 0.

1. tsct_colormap_rgb: "diverging" is ColorBrewer's RdBu reversed: dark blue (5, 48, 97) at 0,
   white (247, 247, 247) at 0.5, dark red (103, 0, 31) at 1, halfway between classes at
   0.05; `--cmap` accepts the name.
2. A difference map through the commands: a reconstruction [2][1][24][24][4] whose time step 1
   gains total intensity in the left half and loses it in the right (+2 and -1), `tsct map
   --total`, `tsct coverage --difference 0` (writes total_diff), `tsct figure map --map
   total_diff --t 1`: with limits +-2 the right half's -1 sits a quarter of the way up the
   map, mid blue (107, 172, 209), the left half's +2 at the top, dark red; time step 0 (no
   difference) is white. An explicit `--cmap magma` is kept for a difference map.
3. A difference PDF film (the film of source dpdf) is covered by tests/test_python_example.py
   (the same PNG as the program's).
"""
import ctypes
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_check  # noqa: E402

cli_check.preload_asan()
from cli_check import TMP, check, run  # noqa: E402

BUILD = os.environ["TSCT_BUILD"]


def colormap():
    lib = ctypes.CDLL(os.path.join(BUILD, "libtsct.so"))
    lib.tsct_colormap_rgb.argtypes = [ctypes.c_int, ctypes.c_double, ctypes.c_uint8 * 3]
    lib.tsct_colormap_parse.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int),
                                        ctypes.c_void_p]
    k = ctypes.c_int(-1)
    check(lib.tsct_colormap_parse(b"diverging", ctypes.byref(k), None) == 0 and k.value == 3,
          "tsct_colormap_parse knows 'diverging'")

    def rgb(v):
        out = (ctypes.c_uint8 * 3)()
        lib.tsct_colormap_rgb(k.value, v, out)
        return tuple(out)

    got = [rgb(v) for v in (0.0, 0.05, 0.5, 1.0)]
    check(got == [(5, 48, 97), (19, 75, 135), (247, 247, 247), (103, 0, 31)],
          "diverging at 0, 0.05, 0.5, 1: %s" % got)


def pixels(png):
    import matplotlib.image
    a = matplotlib.image.imread(png)[..., :3]
    return np.round(a * 255).astype(int)


def difference_map():
    rng = np.random.default_rng(1)
    base = 10 + rng.random((24, 24, 4)).astype(np.float32)
    late = base.copy()
    late[:, :12, :] += 0.5   # +2 in total over 4 channels
    late[:, 12:, :] -= 0.25  # -1
    src = os.path.join(TMP, "recon.h5")
    with h5py.File(src, "w") as f:
        f["data"] = np.stack([base, late])[:, None]
        f["q"] = np.array([1.0, 2.0, 3.0, 4.0])
    exp = os.path.join(TMP, "exp.h5")
    run("import", src + "::/data", "--axis", src + "::/q", "-o", exp)
    run("map", exp, "--total", "total")
    run("coverage", exp, "--map", "total", "--difference", "0")
    png1, png0, pngm = (os.path.join(TMP, n) for n in ("d1.png", "d0.png", "magma.png"))
    run("figure", "map", exp, "--map", "total_diff", "--t", "1", "-o", png1)
    run("figure", "map", exp, "--map", "total_diff", "--t", "0", "-o", png0)
    run("figure", "map", exp, "--map", "total_diff", "--t", "1", "--cmap", "magma", "-o", pngm)
    a = pixels(png1).reshape(-1, 3)
    light_blue = np.all(np.abs(a - (107, 172, 209)) <= 3, axis=1).sum()  # -1 of +-2: v = 0.25
    dark_red = np.all(np.abs(a - (103, 0, 31)) <= 3, axis=1).sum()
    check(light_blue > 1000 and dark_red > 1000,
          "total_diff at t=1: %d light blue (-1) and %d dark red (+2) pixels" % (light_blue,
                                                                               dark_red))
    b = pixels(png0).reshape(-1, 3)
    white = np.all(np.abs(b - 247) <= 1, axis=1).sum()
    check(white > 2000, "total_diff at t=0 (no difference): %d white pixels" % white)
    c = pixels(pngm).reshape(-1, 3)
    check(np.all(np.abs(c - (107, 172, 209)) <= 3, axis=1).sum() == 0,
          "--cmap magma is kept for a difference map")


def main():
    colormap()
    difference_map()
    cli_check.finish("test_figure_diverging")


if __name__ == "__main__":
    main()
