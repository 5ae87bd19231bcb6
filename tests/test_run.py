"""test_run.py - `tsct run`: the pipeline from detector frames, incremental and resumable.

A two-time-step demo experiment is simulated down to the frames. Its frame files are then
"delivered" one at a time into a watched folder, as during an operando experiment, and
`tsct run` processes them: the first run integrates and reconstructs time step 0; a repeated
run does nothing; the second file is integrated alone and appended; a changed map window
re-runs the map step only; a failing step exits non-zero, names the step and leaves the
earlier results untouched; a run killed mid-step finishes on the next run with the same
results as an uninterrupted one; bad configurations are refused with file, line and key.
"""
import os
import shutil
import signal
import subprocess
import time

import h5py
import numpy as np

from cli_check import TMP, TSCT, check, finish, run

W = os.path.join(TMP, "run")
shutil.rmtree(W, ignore_errors=True)
os.makedirs(W)
src = os.path.join(W, "src")
# A smaller scan than the preset's (24 voxels, 26 translations x 16 angles): the test is about
# the pipeline's bookkeeping, and the sanitizer build runs it too.
run("simulate", "--preset", "demo", "--level", "frames", "-o", os.path.join(W, "src.h5"),
    "--frames", src, "--time-steps", "2", "--set", "n=24", "--set", "ns=26", "--set", "na=16")
live = os.path.join(W, "live")
os.makedirs(live)
for name in ("scan.ini", "detector.poni", "mask.edf", "frames_t0000.h5"):
    shutil.copy(os.path.join(src, name), live)

CFG = """[experiment]
container = live.h5

[frames]
scan = live/scan.ini

[integrate]
filter = trimmed:5,75

[sinogram]
normalise = transmission

[pdf]
config = pdf.cfg
reference = 0

[map]
window = BiVO4=1.29:1.42
total = total

[fit]
name = bivo4
window = 1.25:1.46
peak = g@1.36
maps = position_1
"""
with open(os.path.join(W, "pdf.cfg"), "w") as f:
    f.write("[DEFAULT]\ndataformat = QA\ncomposition = BiVO4\nqmin = 0.9\nqmax = 4.4\n"
            "qmaxinst = 4.4\nrmin = 0.5\nrmax = 12\nrstep = 0.2\nrpoly = 0.9\n")


def write_cfg(text, name="pipeline.cfg"):
    p = os.path.join(W, name)
    with open(p, "w") as f:
        f.write(text)
    return p


def records(path):
    """end_time of every step record."""
    with h5py.File(path, "r") as f:
        return {k: f["entry/process"][k].attrs["end_time"] for k in f["entry/process"]}


cfg = write_cfg(CFG)
exp = os.path.join(W, "live.h5")
r = run("run", cfg)
check("integrate  done" in r.stderr and "recon      done" in r.stderr, r.stderr)
with h5py.File(exp, "r") as f:
    check(f["entry/integrated/data"].shape == (1, 1, 16, 26, 600), "one time step integrated")
    check(f["entry/maps/BiVO4"].shape[0] == 1, "map of time step 0")
    first = f["entry/integrated/data"][0]
before = records(exp)

# Again: nothing to do, nothing rewritten.
r = run("run", cfg)
check("0 step(s) run" in r.stderr, "a repeated run does nothing: " + r.stderr)
check(records(exp) == before, "no step record changed")

# The next frame file arrives: only it is integrated, appended after time step 0.
shutil.copy(os.path.join(src, "frames_t0001.h5"), live)
r = run("run", cfg)
with h5py.File(exp, "r") as f:
    check(f["entry/integrated/data"].shape[0] == 2, "two time steps integrated")
    check(np.array_equal(f["entry/integrated/data"][0], first), "time step 0 not integrated again")
    cmd = f["entry/process/integrate"].attrs["command"].decode()
    check("--time-offset=1" in cmd and "frames_t0000" not in cmd,
          "only the new file integrated: " + cmd)
    check(f["entry/maps/BiVO4"].shape[0] == 2, "maps of both time steps")
    # The sample's transmission came with the frames (scan.ini's transmission), appended
    # with the new time step, and is the simulator's own record.
    with h5py.File(os.path.join(W, "src.h5"), "r") as s:
        want = s["entry/scan/transmission"][...]
    got = f["entry/scan/transmission"][...]
    check(got.shape == want.shape and np.array_equal(got, want),
          "transmission of both time steps from the frames: %s" % (got.shape,))
    check("--normalise transmission" in f["entry/process/sinogram"].attrs["command"].decode(),
          "sinograms corrected with the transmission")
    recon = f["entry/recon/data"][...]
    # The steps after integration compute the new time step only: time step 0 keeps its
    # stamp (the end time of the run that wrote it), and the records say where they began.
    for step, path in (("sinogram", "entry/sinograms/data"), ("recon", "entry/recon/data"),
                       ("pdf", "entry/pdf/G"), ("pdf", "entry/pdf/dpdf"),
                       ("map", "entry/maps/BiVO4"),
                       ("fit_bivo4", "entry/fits/bivo4/parameters")):
        rec = f["entry/process/" + step].attrs
        check(rec.get("time_first", b"").decode() == "1",
              "%s computed from time step 1 only (time_first %s)" % (step, rec.get("time_first")))
        stamps = f[path].attrs["time_stamps"].decode().split(";")
        check(len(stamps) == 2 and stamps[0].endswith("*1") and stamps[1].endswith("*1") and
              stamps[0] != stamps[1], "%s: one stamp per run (%s)" % (path, stamps))

after_new = records(exp)

# A changed map window: the map step runs again, nothing before it.
write_cfg(CFG.replace("BiVO4=1.29:1.42", "BiVO4=1.30:1.41"))
r = run("run", cfg)
now = records(exp)
for step in ("integrate", "sinogram", "recon"):
    check(now[step] == after_new[step], step + " not run again for a map setting")
check(now["map"] != after_new["map"], "map run again")

# A failing step stops the run, names the step, and keeps what came before.
write_cfg(CFG.replace("BiVO4=1.29:1.42", "BiVO4=9.0:9.5"))
r = run("run", cfg, status=1)
check("step map failed" in r.stderr, r.stderr)
with h5py.File(exp, "r") as f:
    check(np.array_equal(f["entry/recon/data"][...], recon), "recon intact after the failure")
    check("BiVO4" in f["entry/maps"], "earlier maps intact")

# Killed during a step, then run again: the same results as without the interruption.
write_cfg(CFG.replace("live.h5", "killed.h5"), "killed.cfg")
killed = os.path.join(W, "killed.h5")
p = subprocess.Popen([TSCT, "run", os.path.join(W, "killed.cfg")],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
partial = killed + ".integrate.partial"
t0 = time.time()
while p.poll() is None and not os.path.exists(partial) and time.time() - t0 < 60:
    time.sleep(0.05)
time.sleep(0.3)
interrupted = p.poll() is None
if interrupted:
    p.send_signal(signal.SIGKILL)
p.wait()
print("run killed mid-step:", interrupted)
r = run("run", os.path.join(W, "killed.cfg"))
write_cfg(CFG)
run("run", cfg)  # live.h5's maps back to the original window
with h5py.File(exp, "r") as a, h5py.File(killed, "r") as b:
    for path in ("entry/integrated/data", "entry/sinograms/data"):
        check(np.array_equal(a[path][...], b[path][...], equal_nan=True),
              path + ": interrupted and uninterrupted runs agree exactly")
    # FBP's FFTs use plans FFTW picks by timing (FFTW_MEASURE), so two runs may round
    # differently: agreement to float rounding (2e-7 of the largest value seen).
    # Peak fits amplify that rounding where a fit is ill-conditioned: converged fits agree
    # to a hundredth of their ESD.
    sa, sb = a["entry/fits/bivo4/status"][...], b["entry/fits/bivo4/status"][...]
    both = (sa == 0) & (sb == 0)
    pa, pb = a["entry/fits/bivo4/parameters"][...], b["entry/fits/bivo4/parameters"][...]
    esd = a["entry/fits/bivo4/esd"][...]
    both = both[..., None] & np.isfinite(esd) & (esd > 0)
    z = np.abs(pa - pb)[both] / esd[both]
    check(both.sum() > 100 and np.array_equal(np.isnan(sa), np.isnan(sb)) and z.max() < 0.01,
          "peak fits: interrupted and uninterrupted runs agree (%d converged, %.1e ESD)"
          % (both.sum(), z.max()))
    for path in ("entry/recon/data", "entry/pdf/G", "entry/pdf/dpdf", "entry/maps/BiVO4"):
        x, y = a[path][...], b[path][...]
        dev = np.nanmax(np.abs(x - y)) / np.nanmax(np.abs(x))
        check(x.shape == y.shape and np.array_equal(np.isnan(x), np.isnan(y)) and dev < 1e-5,
              "%s: interrupted and uninterrupted runs agree (%.1e)" % (path, dev))

# Bad configurations.
r = run("run", write_cfg("[experiment]\ncontainer = x.h5\n[mapz]\nwindow = a\n", "bad1.cfg"),
        status=1)
check("bad1.cfg" in r.stderr and "line 4" in r.stderr and "unknown section [mapz]" in r.stderr,
      r.stderr)
r = run("run", write_cfg("[experiment]\ncontainr = x.h5\n", "bad2.cfg"), status=1)
check("line 2: unknown key 'containr' in [experiment]" in r.stderr, r.stderr)
r = run("run", write_cfg("[experiment]\ncontainer = live.h5\n[map]\nwindw = a=1:2\n",
                         "bad3.cfg"), status=1)
check("line 4" in r.stderr and "'tsct map' has no option --windw" in r.stderr, r.stderr)
r = run("run", write_cfg("[frames]\nscan = s.ini\n", "bad4.cfg"), status=1)
check("[experiment] needs 'container = EXP.h5'" in r.stderr, r.stderr)
r = run("run", write_cfg("container = x.h5\n", "bad5.cfg"), status=1)
check("outside any [section]" in r.stderr, r.stderr)
r = run("run", os.path.join(W, "missing.cfg"), status=1)
check("missing.cfg" in r.stderr and "cannot open" in r.stderr, r.stderr)
r = run("run", status=2)
check("missing PIPELINE.cfg" in r.stderr, r.stderr)

# Files named inside option values are found beside the configuration when they are there,
# and left to the command's structure folders when not.
open(os.path.join(W, "local.xy"), "w").close()
open(os.path.join(W, "mine.cif"), "w").close()
r = run("run", "--dry-run", write_cfg("[experiment]\ncontainer = live.h5\n[map]\n"
                                      "unmix = a=xy:local.xy\nunmix = b=cif:LiBi.cif:20\n"
                                      "[figures]\nticks = M=mine.cif:blue\n", "embedded.cfg"))
check("a=xy:" + os.path.join(W, "local.xy") in r.stdout, "xy file resolved: " + r.stdout)
check(" b=cif:LiBi.cif:20" in r.stdout, "a structure-folder CIF left as written: " + r.stdout)
check("M=" + os.path.join(W, "mine.cif") + ":blue" in r.stdout, "tick CIF resolved: " + r.stdout)

# The template is a valid configuration (every section known, every option exists).
r = run("run", "--template")
tpl = write_cfg(r.stdout, "template.cfg")
os.makedirs(os.path.join(W, "frames"), exist_ok=True)
shutil.copy(os.path.join(src, "scan.ini"), os.path.join(W, "frames"))
r = run("run", "--dry-run", tpl)
check("no frames yet" in r.stderr, "the template names frames that are not there: " + r.stderr)

finish("test_run")
