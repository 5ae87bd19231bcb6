"""test_sim_preset_frames.py - the si, cylindrical and nmc presets at the frame level.

Each preset, cut to one slice of a small phantom, two angles and the central translations, is
simulated down to the frames of its detector (a Pilatus CdTe 2M for all three, 2.5 Mpixels,
module gaps), and the frames go through `tsct integrate --container` with the values of the
scan.ini written beside them (geometry, mask, q bins, polarization, zigzag, monitor and
transmission datasets). Checks, per preset:

- every frame with signal and without single-crystal spots (/ground_truth/spots): its
  integrated pattern times its monitor over the detector's counts per unit correlates with
  the noiseless pattern it was rendered from (/ground_truth/expected, averaged over each
  channel as binning pixels does) above 0.99, and their median ratio is within 2 % of 1;
- the transmission integrate stores from the frames equals the simulator's own record, and
  is below 1 somewhere (the beam crosses the cell).
"""
import configparser
import os
import sys

import h5py
import numpy as np

from cli_check import TMP, check, failures, fresh_experiment, run

# One slice, one time step, 2 angles, the central translations; sizes each preset's geometry
# allows (2.5-Mpixel frames: a few dozen per preset keep the test short under the sanitizers).
PRESETS = {
    "si": ["--set", "n=32", "--set", "ns=16"],
    "nmc": ["--set", "n=32", "--set", "ns=16"],
    "cylindrical": ["--set", "n=48", "--set", "ns=24", "--set", "tube_wall=2", "--set",
                    "layer_voxels=4"],
}


def hat_mean(p):
    out = p.astype(np.float64).copy()
    out[..., 1:-1] = (p[..., :-2] + 6.0 * p[..., 1:-1] + p[..., 2:]) / 8.0
    return out


for preset, sizes in PRESETS.items():
    exp = fresh_experiment(os.path.join(TMP, "pf_%s.h5" % preset))
    folder = os.path.join(TMP, "pf_%s_frames" % preset)
    run("simulate", "--preset", preset, "--level", "frames", "-o", exp, "--seed", "2",
        "--set", "nz=1", "--set", "nt=1", "--set", "na=2", *sizes)
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(os.path.join(folder, "scan.ini"))
    sc = cfg["scan"]
    integrated = os.path.join(TMP, "pf_%s_int.h5" % preset)
    if os.path.exists(integrated):
        os.remove(integrated)
    args = ["integrate", os.path.join(folder, sc["frames"] % 0) + "::" + sc["dataset"],
            "--poni", os.path.join(folder, sc["poni"]),
            "--mask", os.path.join(folder, sc["mask"]), "--container", integrated,
            "--angles", sc["angles"], "--angle-range", sc["angle_range"],
            "--translations", sc["translations"], "--translation-step", sc["translation_step"],
            "--slices", sc["slices"], "--npt", sc["npt"],
            "--radial-range", sc["qmin"], sc["qmax"], "--polarization", sc["polarization"],
            "--monitor-dataset", sc["monitor"], "--transmission-dataset", sc["transmission"]]
    if sc["zigzag"] == "1":
        args.append("--zigzag")
    run(*args)
    counts = float(sc["counts"])
    with h5py.File(integrated, "r") as fi, h5py.File(exp, "r") as fe, \
            h5py.File(os.path.join(folder, "frames_t0000.h5"), "r") as ff:
        got = fi["/entry/integrated/data"][0, 0]        # [na][ns][nq], acquisition order
        expected = fe["/ground_truth/expected"][0, 0]   # the same order, monitor included
        spots = fe["/ground_truth/spots"][0, 0]
        monitor = ff["/entry/instrument/monitor/data"][()].reshape(got.shape[:2])
        trans_int = fi["/entry/scan/transmission"][()]
        trans_sim = fe["/entry/scan/transmission"][()]
    scaled = got * monitor[..., None] / counts
    smooth = hat_mean(expected)
    level = 0.05 * smooth.mean(-1).max()
    nframes = corr_ok = 0
    worst = 1.0
    ratios = []
    for a in range(got.shape[0]):
        for s in range(got.shape[1]):
            if smooth[a, s].mean() < level or spots[a, s] > 0:
                continue
            nframes += 1
            c = np.corrcoef(scaled[a, s, 1:-1], smooth[a, s, 1:-1])[0, 1]
            worst = min(worst, c)
            corr_ok += c > 0.99
            live = smooth[a, s, 1:-1] > 0.1 * smooth[a, s].max()
            ratios.append(np.median(scaled[a, s, 1:-1][live] / smooth[a, s, 1:-1][live]))
    ratio = np.median(ratios) if ratios else np.nan
    print("%-11s %d frames with signal, worst correlation %.5f, median ratio %.5f"
          % (preset, nframes, worst, ratio))
    check(nframes >= 0.3 * got.shape[0] * got.shape[1],
          "%s: only %d frames with signal" % (preset, nframes))
    check(corr_ok == nframes, "%s: %d of %d frames correlate < 0.99 (worst %.4f)"
          % (preset, nframes - corr_ok, nframes, worst))
    check(abs(ratio - 1) < 0.02, "%s: median ratio %.4f" % (preset, ratio))
    check(trans_int.shape == trans_sim.shape and np.array_equal(trans_int, trans_sim)
          and trans_sim.min() < 0.999,
          "%s: transmission from the frames %s, %.4f..%.4f" % (preset, trans_int.shape,
                                                              trans_int.min(), trans_int.max()))

print("%d failures" % len(failures))
sys.exit(1 if failures else 0)
