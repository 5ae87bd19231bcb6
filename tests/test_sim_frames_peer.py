"""test_sim_frames_peer.py - the simulator's frame level read and integrated by its peers.

`tsct simulate --preset demo --level frames --time-steps 1` writes one time step (1488 frames
of 16 x 1920 pixels). pyFAI 0.21 (Debian) reads DIR/detector.poni and fabio DIR/mask.edf;
h5py reads the bitshuffle-LZ4 frame stack; then:

- noiseless frames (--noiseless: expected counts rounded to integers) integrated by pyFAI's
  integrate1d_ng with solid-angle and polarization corrections over scan.ini's bins give back
  the beam position's noiseless pattern (/ground_truth/expected, times the detector's counts
  per unit). pyFAI returns the mean over each bin of the rendered image, which is the
  pattern's linear interpolant: over bin i that mean is (I[i-1] + 6 I[i] + I[i+1]) / 8 (the
  integral of the hat functions over one channel). Against that: correlation > 0.999 and the
  median ratio within 0.2 % of 1 (measured 0.99999 and 1e-4; the residue is the rounding to
  whole counts and the three-pixel sampling of a channel), on frames with at least 20 counts
  per pixel on average (the air around the cell rounds to a few counts).
- noisy frames against the expected image built from pyFAI's own per-pixel q, solid angle and
  polarization: z = (counts - expected) / sqrt(expected) on pixels expecting >= 5 counts has
  mean 0 within 0.01 and variance 1 within 0.02 (Poisson; about 1e7 pixels, so the standard
  errors are 3e-4 and 5e-4), once the single-crystal spots are set apart: pixels with
  |z| > 10 (a Poisson count of mean >= 5 is that far out with probability < 1e-9). Spots must
  appear in 2 % of the frames (the demo's spot_fraction): between 10 and 60 of 1488 frames,
  and only in the frames /ground_truth/spots names.
"""
import configparser
import os
import subprocess
import sys

# Debian's h5py finds the bitshuffle plugin by itself; an explicit HDF5_PLUGIN_PATH (set before
# h5py loads HDF5) makes that independent of how h5py was built.
PLUGINS = "/usr/lib/x86_64-linux-gnu/hdf5/serial/plugins"
if os.path.isdir(PLUGINS):
    os.environ.setdefault("HDF5_PLUGIN_PATH", PLUGINS)

import fabio  # noqa: E402
import h5py  # noqa: E402
import numpy as np  # noqa: E402
import pyFAI  # noqa: E402

from cli_check import TMP, TSCT, check, failures


def simulate(name, *extra):
    out = os.path.join(TMP, name + ".h5")
    r = subprocess.run([TSCT, "simulate", "--preset", "demo", "-o", out, "--level", "frames",
                        "--time-steps", "1", *extra], capture_output=True, text=True)
    check(r.returncode == 0, "simulate %s: %s" % (name, r.stderr))
    return out, os.path.join(TMP, name + "_frames")


def scan_ini(folder):
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(os.path.join(folder, "scan.ini"))
    return cfg["scan"]


def hat_mean(pattern):
    """Mean of the linear interpolant of pattern over each channel (ends left as they are)."""
    out = pattern.astype(np.float64).copy()
    out[1:-1] = (pattern[:-2] + 6.0 * pattern[1:-1] + pattern[2:]) / 8.0
    return out


# ---- noiseless frames through pyFAI ------------------------------------------------------
exp_path, folder = simulate("quiet", "--noiseless")
sc = scan_ini(folder)
ai = pyFAI.load(os.path.join(folder, "detector.poni"))
mask_img = fabio.open(os.path.join(folder, "mask.edf"))
mask = mask_img.data
check(mask.dtype == np.uint8, "mask.edf is %s, not uint8" % mask.dtype)
check(h5py.h5z.filter_avail(32008), "h5py cannot load the bitshuffle filter (32008)")
counts = float(sc["counts"])  # the detector's counts per unit of pattern

with h5py.File(os.path.join(folder, sc["frames"] % 0), "r") as f, \
        h5py.File(exp_path, "r") as g:
    data = f[sc["dataset"]]
    check(data.dtype == np.uint32, "frames are %s, not uint32" % data.dtype)
    check("32008" in data._filters, "frames not bitshuffle-compressed: %s" % data._filters)
    check(data.chunks == (1,) + data.shape[1:], "chunks %s, not one frame" % (data.chunks,))
    check(data.shape[1:] == mask.shape, "frame %s vs mask %s" % (data.shape, mask.shape))
    monitor = f[sc["monitor"]][()]
    expected = g["/ground_truth/expected"][0, 0]  # [na][ns][nq], acquisition order
    q = g["/ground_truth/q"][()]
    na, ns, nq = expected.shape
    check(data.shape[0] == na * ns == monitor.shape[0], "frame count %s" % (data.shape,))
    check(int(sc["npt"]) == nq, "npt %s vs nq %d" % (sc["npt"], nq))
    check(abs(float(sc["polarization"]) - 0.99) < 1e-15, "polarization %s" % sc["polarization"])
    check(abs(ai.wavelength * 1e10 - float(sc["wavelength"])) < 1e-15, "wavelength")
    tested = 0
    for k in range(0, na * ns, 37):
        a, s = divmod(k, ns)
        e = expected[a, s] * counts
        if expected[a, s].mean() < 0.2:  # the air around the cell (20 counts at 100 per unit)
            continue
        frame = data[k].astype(np.float64)
        r = ai.integrate1d_ng(frame, nq, unit="q_A^-1", mask=mask,
                              radial_range=(float(sc["qmin"]), float(sc["qmax"])),
                              correctSolidAngle=True,
                              polarization_factor=float(sc["polarization"]),
                              method=("no", "histogram", "cython"))
        check(np.abs(r.radial - q).max() < 1e-6, "bins not centred on the truth's q")
        ref = hat_mean(e)[1:-1]
        got = r.intensity[1:-1]
        c = np.corrcoef(got, ref)[0, 1]
        ratio = np.median(got / ref)
        check(c > 0.999 and abs(ratio - 1) < 2e-3,
              "frame %d: correlation %.6f, ratio %.5f" % (k, c, ratio))
        tested += 1
    check(tested >= 20, "only %d frames with enough counts" % tested)

# ---- noisy frames: Poisson statistics and spots -------------------------------------------
exp_path, folder = simulate("noisy", "--seed", "3")
shape = mask.shape
qpix = ai.qArray(shape) / 10.0  # 1/nm -> 1/A
factor = ai.solidAngleArray(shape) * ai.polarization(shape, factor=0.99)
zsum = z2sum = 0.0
npix = nclipped = 0
spotted = 0
with h5py.File(os.path.join(folder, "frames_t0000.h5"), "r") as f, \
        h5py.File(exp_path, "r") as g:
    data = f["/entry/data/data"]
    expected = g["/ground_truth/expected"][0, 0]
    truth_spots = g["/ground_truth/spots"][0, 0].ravel()
    q = g["/ground_truth/q"][()]
    na, ns, nq = expected.shape
    good = mask == 0
    stray = 0
    for k in range(na * ns):
        a, s = divmod(k, ns)
        lam = counts * np.interp(qpix, q, expected[a, s], left=0, right=0) * factor
        use = good & (lam >= 5)
        if not use.any():
            continue
        z = (data[k][use] - lam[use]) / np.sqrt(lam[use])
        out = np.abs(z) > 10
        spotted += bool(out.any())
        stray += bool(out.any()) and truth_spots[k] == 0
        nclipped += int(out.sum())
        z = z[~out]
        zsum += z.sum()
        z2sum += (z * z).sum()
        npix += z.size
mean = zsum / npix
var = z2sum / npix - mean * mean
print("noise: %d pixels, mean %.5f, variance %.5f; %d frames with spots, %d spot pixels"
      % (npix, mean, var, spotted, nclipped))
check(npix > 1e6, "only %d pixels with >= 5 counts" % npix)
check(abs(mean) < 0.01, "normalised residual mean %.5f" % mean)
check(abs(var - 1) < 0.02, "normalised residual variance %.5f" % var)
check(10 <= spotted <= 60, "%d frames with spots, expected about 30" % spotted)
check(nclipped < 0.01 * npix, "%d pixels set apart as spots" % nclipped)
check(stray == 0, "%d frames with outliers that /ground_truth/spots does not name" % stray)
check(spotted <= int((truth_spots > 0).sum()), "more frames with outliers than with spots")

print("%d failures" % len(failures))
sys.exit(1 if failures else 0)
