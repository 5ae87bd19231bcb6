"""test_sim_frames_scan.py - the frame level through `tsct integrate --container`.

The demo preset's first time step is simulated twice with the same seed: at the pattern level
(/entry/integrated: noiseless patterns with counting noise) and at the frame level (1488
frames). The frames are integrated by `tsct integrate --container` with scan.ini's values
(bins centred on the truth's q, polarization, mask, zigzag), the 10 % trimmed mean that removes
the single-crystal spots (2 % of the frames have some), and --monitor-dataset, which divides
each frame's pattern by its monitor. Checks:

- every frame's integrated pattern, times its monitor over the detector's counts per unit,
  against the pattern level's pattern of the same beam position (both in acquisition order, so
  a wrong snake order or monitor would show): correlation > 0.99 for frames with signal (mean
  above 0.05 per channel: the air outside the cell is a few counts per pixel) and without
  spots, and the median ratio within 1 % of 1. The pattern level is compared after the mean
  over each channel of its linear interpolant ((I[i-1] + 6 I[i] + I[i+1]) / 8), as that is
  what binning pixels gives. Frames with spots (/ground_truth/spots, 2 % of them: between 10
  and 60 of 1488) are left out: on the demo's 16-pixel-high strip a spot covers a large part
  of a ring, more than the 10 % the trimmed mean removes;
- the monitor: with the plain mean, the ratio of a run without --monitor-dataset to a run with
  it is each frame's monitor (relative 1e-5; the trimmed mean's cut between pixels may move
  with float rounding, so it is not exactly linear);
- /ground_truth of the frame-level container holds what the pattern level's does, equal,
  and no /entry/integrated;
- a monitor dataset missing from the frame files is an error naming the file and dataset.
"""
import configparser
import os
import subprocess
import sys
import time

import h5py
import numpy as np

from cli_check import TMP, TSCT, check, failures, run


def hat_mean(p):
    out = p.astype(np.float64).copy()
    out[..., 1:-1] = (p[..., :-2] + 6.0 * p[..., 1:-1] + p[..., 2:]) / 8.0
    return out


patterns = os.path.join(TMP, "patterns.h5")
frames_exp = os.path.join(TMP, "frames.h5")
run("simulate", "--preset", "demo", "-o", patterns, "--time-steps", "1", "--seed", "5")
t0 = time.time()
run("simulate", "--preset", "demo", "-o", frames_exp, "--time-steps", "1", "--seed", "5",
    "--level", "frames")
t_render = time.time() - t0
folder = os.path.join(TMP, "frames_frames")
cfg = configparser.ConfigParser(interpolation=None)
cfg.read(os.path.join(folder, "scan.ini"))
sc = cfg["scan"]


def integrate(container, *extra, status=0, filt="trimmed:10,90", angles=None):
    spec = os.path.join(folder, sc["frames"] % 0) + "::" + sc["dataset"]
    if angles:
        spec += "[0:%d]" % (angles * int(sc["translations"]))
    args = ["integrate", spec, "--poni", os.path.join(folder, sc["poni"]),
            "--mask", os.path.join(folder, sc["mask"]), "--container", container,
            "--angles", str(angles) if angles else sc["angles"],
            "--angle-range", sc["angle_range"],
            "--translations", sc["translations"], "--translation-step", sc["translation_step"],
            "--slices", sc["slices"], "--npt", sc["npt"],
            "--radial-range", sc["qmin"], sc["qmax"], "--polarization", sc["polarization"],
            "--filter", filt]
    if sc["zigzag"] == "1":
        args.append("--zigzag")
    return run(*args, *extra, status=status)


with_monitor = os.path.join(TMP, "integrated.h5")
t0 = time.time()
integrate(with_monitor, "--monitor-dataset", sc["monitor"])
t_integrate = time.time() - t0
print("1488 frames: simulate %.1f s, integrate %.1f s (2 cores, shared machine)"
      % (t_render, t_integrate))
mean_mon = os.path.join(TMP, "integrated_mean.h5")
integrate(mean_mon, "--monitor-dataset", sc["monitor"], filt="mean", angles=2)
without = os.path.join(TMP, "integrated_raw.h5")
integrate(without, filt="mean", angles=2)
bad = os.path.join(TMP, "integrated_bad.h5")
r = integrate(bad, "--monitor-dataset", "/entry/no/such", status=1)
check("frames_t0000.h5" in r.stderr and "/entry/no/such" in r.stderr,
      "missing monitor dataset: %s" % r.stderr.strip())

counts = float(sc["counts"])  # the detector's counts per unit of pattern
with h5py.File(with_monitor, "r") as fi, h5py.File(without, "r") as fr, \
        h5py.File(patterns, "r") as fp, h5py.File(frames_exp, "r") as fe, \
        h5py.File(os.path.join(folder, "frames_t0000.h5"), "r") as ff:
    got = fi["/entry/integrated/data"][0, 0]       # [na][ns][nq]
    raw = fr["/entry/integrated/data"][0, 0]       # the first two angles, plain mean
    with h5py.File(mean_mon, "r") as fm:
        got_mean = fm["/entry/integrated/data"][0, 0]
    spots = fe["/ground_truth/spots"][0, 0]
    ref = fp["/entry/integrated/data"][0, 0]
    check(np.abs(fi["/entry/integrated/q"][()] - fp["/entry/integrated/q"][()]).max() < 1e-6,
          "integrated q differs from the pattern level's")
    monitor = ff["/entry/instrument/monitor/data"][()].reshape(got.shape[:2])
    scaled = got * monitor[..., None] / counts
    smooth = hat_mean(ref)
    nspotted = int((spots > 0).sum())
    check(10 <= nspotted <= 60, "%d frames with spots, expected about 30" % nspotted)
    nframes = corr_ok = 0
    worst = 1.0
    ratios = []
    for a in range(got.shape[0]):
        for s in range(got.shape[1]):
            if ref[a, s].mean() < 0.05 or spots[a, s] > 0:
                continue
            nframes += 1
            c = np.corrcoef(scaled[a, s, 1:-1], smooth[a, s, 1:-1])[0, 1]
            worst = min(worst, c)
            corr_ok += c > 0.99
            ratios.append(np.median(scaled[a, s, 1:-1] / smooth[a, s, 1:-1]))
    print("%d frames with signal, worst correlation %.5f, median ratio %.5f"
          % (nframes, worst, np.median(ratios)))
    check(nframes > 500, "only %d frames with signal" % nframes)
    check(corr_ok == nframes, "%d of %d frames correlate < 0.99 (worst %.4f)"
          % (nframes - corr_ok, nframes, worst))
    check(abs(np.median(ratios) - 1) < 0.01, "median ratio %.4f" % np.median(ratios))
    live = raw > 0
    mon2 = np.broadcast_to(monitor[:2, :, None], raw.shape)
    rel = np.abs(raw[live] / got_mean[live] / mon2[live] - 1)
    check(rel.max() < 1e-5, "without/with monitor differs from the monitor by %.2e" % rel.max())
    check("/entry/integrated" not in fe, "the frame level wrote /entry/integrated")
    for name in ("phase_fraction", "patterns", "lattice_scale", "sinograms", "regions",
                 "particles", "q"):
        check(np.array_equal(fe["/ground_truth/" + name][()], fp["/ground_truth/" + name][()]),
              "/ground_truth/%s differs between the levels" % name)
    check(fe["/ground_truth/expected"].shape == fp["/entry/integrated/data"].shape,
          "/ground_truth/expected shape")

print("%d failures" % len(failures))
sys.exit(1 if failures else 0)
