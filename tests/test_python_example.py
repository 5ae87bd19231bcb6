#!/usr/bin/python3
"""docs/python.md's example runs, and reproduces `make demo`'s figure.

The ```python cells under "## Example" in docs/python.md run in order, in one namespace, in a
scratch folder (as a notebook would), with the module from the source tree and libtsct from
the build. The same experiment then goes through the commands of scripts/demo's Si pipeline
(simulate, sinogram, recon, echem, region, pdf --region --reference 0 --lorch, figure film
--source dpdf --range 1.5:6) in another folder, and:
  - the simulated cube is identical (same preset, overrides and seed);
  - the region's difference PDFs agree to 1e-5 of their maximum (the reconstructions of two
    runs differ by ~1e-6 of the maximum: FFTW_MEASURE chooses an FFT algorithm per run);
  - the library's PNG has the demo's size, 720 x 600, and differs from the program's in
    under 0.5 % of its pixels (identical when the two reconstructions are); a difference, it
    is drawn in the diverging colour map (over 1000 red and 1000 blue pixels);
  - the matplotlib figure was written and the printed differences have the study's signs:
    the Si-Si distance (2.35 A) loses, 2.75 A gains, at the end of discharge.
"""
import contextlib
import io
import os
import re
import sys

import h5py
import numpy as np

SRC, BUILD, TMP = os.environ["TSCT_SRC"], os.environ["TSCT_BUILD"], os.environ["TSCT_TMP"]
os.environ.setdefault("TSCT_LIBRARY", os.path.join(BUILD, "libtsct.so"))
sys.path.insert(0, os.path.join(SRC, "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_check  # noqa: E402

cli_check.preload_asan()
from cli_check import check  # noqa: E402


def cells():
    with open(os.path.join(SRC, "docs", "python.md")) as f:
        text = f.read()
    example = text[text.index("\n## Example"):]
    return re.findall(r"```python\n(.*?)```", example, re.S)


def run_example(folder):
    os.makedirs(folder, exist_ok=True)
    cwd = os.getcwd()
    os.chdir(folder)
    out = io.StringIO()
    try:
        ns = {"__name__": "__example__"}
        code = cells()
        check(len(code) >= 5, "docs/python.md's example has %d cells" % len(code))
        for k, c in enumerate(code):
            with contextlib.redirect_stdout(out):
                exec(compile(c, "docs/python.md example cell %d" % (k + 1), "exec"), ns)
    finally:
        os.chdir(cwd)
    print(out.getvalue(), end="")
    return out.getvalue()


def run_cli(folder):
    os.makedirs(folder, exist_ok=True)
    cfg = os.path.join(folder, "si_pdf.cfg")
    with open(cfg, "w") as f:  # scripts/demo's si_pdf.cfg
        f.write("[DEFAULT]\ndataformat = QA\ncomposition = Si\nqmin = 1.0\nqmax = 19.5\n"
                "qmaxinst = 19.5\nrmin = 0.0\nrmax = 8.0\nrstep = 0.01\nrpoly = 0.9\n")
    exp = os.path.join(folder, "si.h5")
    run = cli_check.run
    run("simulate", "--preset", "si", "--set", "n=48", "--set", "ns=48", "--set", "na=31",
        "--set", "nz=1", "--set", "nt=8", "--set", "ncycles=1", "-o", exp)
    run("sinogram", exp, "--normalise", "transmission")
    run("recon", exp)
    run("echem", exp, os.path.join(folder, "si_echem.csv"), "--mass", "1", "--period", "9000")
    run("region", exp, "--name", "electrode", "--circle", "0,0,15")
    run("pdf", "-c", cfg, "--container", exp, "--region", "electrode", "--reference", "0",
        "--lorch")
    run("figure", "film", exp, "--region", "electrode", "--source", "dpdf", "--range", "1.5:6",
        "-o", os.path.join(folder, "electrode_dpdf_1.5-6A.png"))


def main():
    py, cli = os.path.join(TMP, "python"), os.path.join(TMP, "cli")
    printed = run_example(py)
    run_cli(cli)
    a, b = h5py.File(os.path.join(py, "si.h5"), "r"), h5py.File(os.path.join(cli, "si.h5"), "r")
    check(np.array_equal(a["/entry/integrated/data"][...], b["/entry/integrated/data"][...]),
          "the simulated cube equals the program's")
    da, db = a["/entry/regions/electrode/dpdf"][...], b["/entry/regions/electrode/dpdf"][...]
    d = np.abs(da - db).max() / np.abs(db).max() if da.shape == db.shape else np.inf
    print("dpdf %s: max |python - program| / max = %.2g" % (da.shape, d))
    check(d <= 1e-5, "the region's dPDF agrees with the program's (%.2g of the maximum)" % d)
    import matplotlib.image
    pa = matplotlib.image.imread(os.path.join(py, "electrode_dpdf_1.5-6A.png"))
    pb = matplotlib.image.imread(os.path.join(cli, "electrode_dpdf_1.5-6A.png"))
    check(pa.shape[:2] == (600, 720), "the library's figure is 720 x 600 (%s)" % (pa.shape,))
    frac = np.any(pa != pb, axis=-1).mean() if pa.shape == pb.shape else 1.0
    print("figure: %.3g %% of the pixels differ from the program's" % (100 * frac))
    check(frac < 0.005, "the figure is the program's (%.3g %% of pixels differ)" % (100 * frac))
    rgb = pa[..., :3]
    red = ((rgb[..., 0] > 0.6) & (rgb[..., 2] < 0.4)).sum()
    blue = ((rgb[..., 2] > 0.6) & (rgb[..., 0] < 0.4)).sum()
    check(red > 1000 and blue > 1000, "the dPDF film is drawn in the diverging map: %d red and "
          "%d blue pixels" % (red, blue))
    mpl = os.path.join(py, "electrode_dpdf_matplotlib.png")
    check(os.path.exists(mpl) and matplotlib.image.imread(mpl).shape[:2] == (400, 600),
          "the matplotlib figure is written, 600 x 400")
    m = re.search(r"dG\(2.35 A\) = (-?[0-9.]+), dG\(2.75 A\) = (-?[0-9.]+)", printed)
    check(m is not None and float(m.group(1)) < 0 < float(m.group(2)),
          "Si-Si at 2.35 A loses and 2.75 A gains: %s" % (m.group(0) if m else printed))
    cli_check.finish("test_python_example")


if __name__ == "__main__":
    main()
