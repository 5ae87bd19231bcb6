"""test_sim_frames_formats.py - the frame level as CBF and EDF files (--frame-format).

A small demo experiment (2 time steps x 2 slices x 6 angles x 48 translations = 1152 frames of
16 x 1920 pixels, 2 x 10^4 counts per unit of pattern so that counts pass 32767 and the
byte-offset stream needs its 2- and 4-byte escapes, while spots stay below 2^31 - 2, where the
int32 files clip and the uint32 HDF5 frames do not) is simulated with the same seed as HDF5,
CBF and EDF. Checks:

- layout: one folder per time step, frames_tNNNN/frame_KKKKKK.cbf|.edf, nz*na*ns files and
  nothing else, no temporary ".partial." folder left; scan.ini describes the series (format,
  frames = frames_t%04d, frame_files, empty dataset and monitor, monitor_header = Flux);
- every CBF and EDF frame read by fabio equals the HDF5 frame exactly, as int32 (the HDF5
  frames' uint32 bits: masked 2^32 - 1 there is -1 here); the Flux header item equals the
  HDF5 monitor exactly (fabio's PilatusHeader for CBF, the EDF key); every CBF's Content-MD5
  is the base64 MD5 of its X-Binary-Size bytes after the start-of-binary marker;
- `tsct integrate` over the two CBF folders (--monitor-header Flux) and over the two EDF
  folders gives the identical cube (data and sigma, bit for bit) as over the two HDF5 files
  (--monitor-dataset); `tsct run` with the CBF scan.ini gives the cube of `tsct run` with the
  HDF5 scan.ini, bit for bit;
- a CBF frame truncated in its binary data: `tsct integrate` exits 1 naming the file and
  "truncated"; a missing header key: exits 1 naming the file and the key;
- resumable: a CBF run killed (SIGKILL) once frames_t0000/ exists and before frames_t0001/
  does, run again, keeps the first folder and ends with files identical byte for byte to the
  uninterrupted run's, no ".partial." folder left (retried up to 5 times if the kill comes
  too late); a folder of another simulation (another seed) is an error naming it;
- a Pilatus 2M (the bivo4 preset cut to 4 frames): masked pixels are exactly mask.edf's
  (module gaps) and hold -1 in the CBF; pyFAI 0.21 integrates the CBF frame with the written
  detector.poni and mask.edf (integrate1d_ng, no splitting, solid angle and polarization) to
  exactly its result on the HDF5 frame, and `tsct integrate` of the CBF agrees with it to
  1e-5 relative in every bin with counts (the tolerance of test_integrate_cli_peer.py) and
  gives 0 where pyFAI does (bins around the beam with pixels but no counts).
"""
import base64
import configparser
import filecmp
import hashlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import time

PLUGINS = "/usr/lib/x86_64-linux-gnu/hdf5/serial/plugins"
if os.path.isdir(PLUGINS):
    os.environ.setdefault("HDF5_PLUGIN_PATH", PLUGINS)

import fabio  # noqa: E402
import h5py  # noqa: E402
import numpy as np  # noqa: E402

logging.disable(logging.WARNING)
import pyFAI  # noqa: E402

from cli_check import TMP, TSCT, check, failures, run  # noqa: E402

SMALL = ["--preset", "demo", "--set", "nt=2", "--set", "na=6", "--set", "nz=2", "--set",
         "detector.counts=20000"]
NT, NZ, NA, NS = 2, 2, 6, 48
PER_T = NZ * NA * NS


def simulate(name, fmt, *extra, status=0, seed="3"):
    args = ["simulate", *SMALL, "-o", os.path.join(TMP, name + ".h5"), "--level", "frames",
            "--seed", seed, *extra]
    if fmt:
        args += ["--frame-format", fmt]
    r = run(*args, status=status)
    return r, os.path.join(TMP, name + "_frames")


def scan_ini(folder):
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(os.path.join(folder, "scan.ini"))
    return cfg["scan"]


def cbf_item(img, key):
    """A '# KEY VALUE' line of a mini-CBF's header contents, as a number."""
    for line in img.header["_array_data.header_contents"].splitlines():
        parts = line.lstrip("# ").split(None, 1)
        if len(parts) == 2 and parts[0] == key:
            return float(parts[1])
    return None


def cbf_md5_ok(path):
    raw = open(path, "rb").read()
    start = raw.index(b"\x0c\x1a\x04\xd5") + 4
    size = int(raw.split(b"X-Binary-Size:")[1].split(b"\r\n")[0])
    digest = base64.b64encode(hashlib.md5(raw[start:start + size]).digest())
    return (b"Content-MD5: " + digest + b"\r\n") in raw[:start]


_, h5dir = simulate("h5", None)
_, cbfdir = simulate("cbf", "cbf")
_, edfdir = simulate("edf", "edf")

# ---- layout and scan.ini -------------------------------------------------------------------
for folder, ext in ((cbfdir, "cbf"), (edfdir, "edf")):
    sc = scan_ini(folder)
    check(sc.get("format") == ext and sc.get("frames") == "frames_t%04d"
          and sc.get("frame_files") == "frame_%06d." + ext and sc.get("dataset") == ""
          and sc.get("monitor") == "" and sc.get("monitor_header") == "Flux"
          and sc.get("transmission") == "" and sc.get("transmission_header") == "Transmission",
          "%s scan.ini: %s" % (ext, dict(sc)))
    entries = sorted(os.listdir(folder))
    check(entries == ["detector.poni", "frames_t0000", "frames_t0001", "mask.edf", "scan.ini"],
          "%s folder holds %s" % (ext, entries))
    for t in range(NT):
        names = sorted(os.listdir(os.path.join(folder, sc["frames"] % t)))
        check(names == ["frame_%06d.%s" % (k, ext) for k in range(PER_T)],
              "%s time step %d: %d files, first %s" % (ext, t, len(names), names[:2]))
check(scan_ini(h5dir).get("format") == "h5", "HDF5 scan.ini has no format = h5")

# ---- every frame against the HDF5 frame ----------------------------------------------------
nbad = {"cbf": 0, "edf": 0}
nflux = {"cbf": 0, "edf": 0}
ntrans = 0
nmd5 = 0
big = 0
for t in range(NT):
    with h5py.File(os.path.join(h5dir, "frames_t%04d.h5" % t), "r") as f:
        stack = f["/entry/data/data"][()]
        monitor = f["/entry/instrument/monitor/data"][()]
        transmission = f["/entry/instrument/transmission/data"][()]
    check(stack.shape == (PER_T, 16, 1920), "HDF5 stack %s" % (stack.shape,))
    want = stack.view(np.int32)
    big += int((stack > 32767).sum())
    for k in range(PER_T):
        cbf = fabio.open(os.path.join(cbfdir, "frames_t%04d" % t, "frame_%06d.cbf" % k))
        edf = fabio.open(os.path.join(edfdir, "frames_t%04d" % t, "frame_%06d.edf" % k))
        for name, img in (("cbf", cbf), ("edf", edf)):
            if img.data.dtype != np.int32 or not np.array_equal(img.data, want[k]):
                nbad[name] += 1
        nflux["cbf"] += cbf.pilatus_headers["Flux"] != monitor[k]
        nflux["edf"] += float(edf.header["Flux"]) != monitor[k]
        # The sample's transmission: the header item reads back to the HDF5 value exactly.
        ntrans += cbf_item(cbf, "Transmission") != transmission[k]
        ntrans += float(edf.header["Transmission"]) != transmission[k]
        if k % 50 == 0:
            nmd5 += not cbf_md5_ok(cbf.filename)
for name in ("cbf", "edf"):
    check(nbad[name] == 0, "%d %s frames differ from the HDF5 frames" % (nbad[name], name))
    check(nflux[name] == 0, "%d %s Flux values differ from the HDF5 monitor" % (nflux[name], name))
check(ntrans == 0, "%d CBF/EDF Transmission values differ from the HDF5 record" % ntrans)
check(nmd5 == 0, "%d CBF files with a wrong Content-MD5" % nmd5)
check(big > 1000, "only %d pixels above 32767: the 4-byte escapes are not exercised" % big)
print("%d frames x 2 formats equal to HDF5 (fabio); %d pixels above 32767" % (NT * PER_T, big))

# ---- integration: identical cubes ----------------------------------------------------------
sc = scan_ini(h5dir)


def integrate(container, specs, *extra, status=0):
    args = ["integrate", *specs, "--poni", os.path.join(h5dir, sc["poni"]),
            "--mask", os.path.join(h5dir, sc["mask"]), "--container", container,
            "--angles", sc["angles"], "--angle-range", sc["angle_range"],
            "--translations", sc["translations"], "--translation-step", sc["translation_step"],
            "--slices", sc["slices"], "--npt", sc["npt"],
            "--radial-range", sc["qmin"], sc["qmax"], "--polarization", sc["polarization"],
            "--filter", "trimmed:10,90", *extra]
    if sc["zigzag"] == "1":
        args.append("--zigzag")
    return run(*args, status=status)


def cube(path):
    with h5py.File(path, "r") as f:
        return f["/entry/integrated/data"][()], f["/entry/integrated/sigma"][()]


t0 = time.time()
integrate(os.path.join(TMP, "int_h5.h5"),
          [os.path.join(h5dir, "frames_t%04d.h5::/entry/data/data" % t) for t in range(NT)],
          "--monitor-dataset", sc["monitor"], "--transmission-dataset", sc["transmission"])
t_h5 = time.time() - t0
t0 = time.time()
integrate(os.path.join(TMP, "int_cbf.h5"),
          [os.path.join(cbfdir, "frames_t%04d" % t) for t in range(NT)],
          "--monitor-header", "Flux", "--transmission-header", "Transmission")
t_cbf = time.time() - t0
integrate(os.path.join(TMP, "int_edf.h5"),
          [os.path.join(edfdir, "frames_t%04d" % t) for t in range(NT)],
          "--monitor-header", "Flux")
print("integrate %d frames: HDF5 %.1f s, CBF %.1f s" % (NT * PER_T, t_h5, t_cbf))
ref, ref_sigma = cube(os.path.join(TMP, "int_h5.h5"))
check(ref.shape == (NT, NZ, NA, NS, int(sc["npt"])), "cube %s" % (ref.shape,))
check(np.isfinite(ref).all() and ref.max() > 0, "HDF5 cube empty or not finite")
# The transmission per point, [nt][nz][na][ns] in acquisition order: the frames' values, the
# same from the HDF5 dataset and the CBF header, equal to the simulator's own record.
with h5py.File(os.path.join(TMP, "int_h5.h5"), "r") as f, \
        h5py.File(os.path.join(TMP, "int_cbf.h5"), "r") as g, \
        h5py.File(os.path.join(TMP, "h5.h5"), "r") as s:
    th, tc, ts = (x["/entry/scan/transmission"][()] for x in (f, g, s))
check(th.shape == (NT, NZ, NA, NS) and np.array_equal(th, tc) and np.array_equal(th, ts)
      and 0.3 < th.min() < 0.99 and th.max() == 1.0,
      "transmission from the frames: %s, %g..%g" % (th.shape, th.min(), th.max()))
# A transmission dataset the frames' file does not have, or a header item the CBF lacks:
# refused, naming the file and the item.
r = integrate(os.path.join(TMP, "int_bad.h5"),
              [os.path.join(h5dir, "frames_t0000.h5::/entry/data/data")],
              "--transmission-dataset", "/entry/instrument/diode", status=1)
check("frames_t0000.h5" in r.stderr and "/entry/instrument/diode" in r.stderr, r.stderr)
r = integrate(os.path.join(TMP, "int_bad2.h5"), [os.path.join(cbfdir, "frames_t0000")],
              "--transmission-header", "Diode", status=1)
check("frame_000000.cbf" in r.stderr and "Diode" in r.stderr, r.stderr)
r = run("integrate", os.path.join(cbfdir, "frames_t0000", "frame_000000.cbf"), "--poni",
        os.path.join(h5dir, sc["poni"]), "-o", os.path.join(TMP, "x.xy"),
        "--transmission-header", "Transmission", status=2)
check("--transmission-header needs --container" in r.stderr, r.stderr)
for name in ("cbf", "edf"):
    got, got_sigma = cube(os.path.join(TMP, "int_%s.h5" % name))
    check(np.array_equal(got, ref) and np.array_equal(got_sigma, ref_sigma),
          "%s cube differs from the HDF5 cube (largest difference %g)"
          % (name, np.abs(got - ref).max() if got.shape == ref.shape else -1))

# tsct run over each frames folder's scan.ini
for name, folder in (("h5", h5dir), ("cbf", cbfdir)):
    cfg = os.path.join(TMP, "run_%s.cfg" % name)
    with open(cfg, "w") as f:
        f.write("[experiment]\ncontainer = run_%s.h5\n\n[frames]\nscan = %s\n\n"
                "[integrate]\nfilter = trimmed:10,90\n\n[sinogram]\nenabled = no\n\n"
                "[recon]\nenabled = no\n" % (name, os.path.join(folder, "scan.ini")))
    run("run", cfg)
run_h5, _ = cube(os.path.join(TMP, "run_h5.h5"))
run_cbf, _ = cube(os.path.join(TMP, "run_cbf.h5"))
check(run_h5.shape == ref.shape and np.array_equal(run_cbf, run_h5),
      "tsct run: the CBF cube differs from the HDF5 cube")

# ---- bad frames: clear errors --------------------------------------------------------------
bad = os.path.join(TMP, "bad_t0000")
shutil.copytree(os.path.join(cbfdir, "frames_t0000"), bad)
victim = os.path.join(bad, "frame_000005.cbf")
size = os.path.getsize(victim)
with open(victim, "r+b") as f:
    f.truncate(size // 2)
r = integrate(os.path.join(TMP, "int_bad.h5"), [bad], "--monitor-header", "Flux", status=1)
check("frame_000005.cbf" in r.stderr and "truncated" in r.stderr,
      "truncated CBF: %s" % r.stderr.strip())
r = integrate(os.path.join(TMP, "int_nokey.h5"), [os.path.join(cbfdir, "frames_t0000")],
              "--monitor-header", "Monitor", status=1)
check("frame_000000.cbf" in r.stderr and "Monitor" in r.stderr,
      "missing header key: %s" % r.stderr.strip())

# ---- resumable: killed between two time steps --------------------------------------------
landed = 0
for attempt in range(5):
    name = "cut%d" % attempt
    folder = os.path.join(TMP, name + "_frames")
    first, second = (os.path.join(folder, "frames_t%04d" % t) for t in range(2))
    p = subprocess.Popen([TSCT, "simulate", *SMALL, "-o", os.path.join(TMP, name + ".h5"),
                          "--level", "frames", "--seed", "3", "--frame-format", "cbf"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while p.poll() is None and not os.path.exists(first):
        time.sleep(0.002)
    p.send_signal(signal.SIGKILL)
    p.wait()
    if os.path.exists(second) or not os.path.exists(first):
        continue
    landed += 1
    left = [e for e in os.listdir(folder) if ".partial." in e]
    print("killed with %s on disk" % sorted(left))
    before = os.stat(os.path.join(first, "frame_000000.cbf")).st_mtime_ns
    simulate(name, "cbf")
    check(os.stat(os.path.join(first, "frame_000000.cbf")).st_mtime_ns == before,
          "the resumed run rewrote the finished time step")
    for t in range(NT):
        sub = "frames_t%04d" % t
        names = sorted(os.listdir(os.path.join(cbfdir, sub)))
        match, mismatch, errors = filecmp.cmpfiles(os.path.join(cbfdir, sub),
                                                   os.path.join(folder, sub), names,
                                                   shallow=False)
        check(len(match) == PER_T, "resumed %s: %d differ, %d missing"
              % (sub, len(mismatch), len(errors)))
    check(not [e for e in os.listdir(folder) if ".partial." in e],
          "temporary folders left: %s" % os.listdir(folder))
    break
check(landed == 1, "no kill landed between the two time steps in 5 tries")

r, _ = simulate("cbf", "cbf")
check("nothing to do" in r.stderr, "complete CBF output: no 'nothing to do': %s" % r.stderr)
foreign = os.path.join(TMP, "foreign_frames")
os.makedirs(foreign)
shutil.copytree(os.path.join(cbfdir, "frames_t0000"), os.path.join(foreign, "frames_t0000"))
r, _ = simulate("foreign", "cbf", seed="4", status=1)
check("frames_t0000" in r.stderr and "another simulation" in r.stderr,
      "foreign folder: %s" % r.stderr.strip())
r = run("simulate", *SMALL, "-o", os.path.join(TMP, "x.h5"), "--frame-format", "cbf",
        status=2)
check("need --level frames" in r.stderr, "--frame-format alone: %s" % r.stderr.strip())
r = run("simulate", *SMALL, "-o", os.path.join(TMP, "x.h5"), "--level", "frames",
        "--frame-format", "tiff", status=2)
check("h5, cbf or edf" in r.stderr, "--frame-format tiff: %s" % r.stderr.strip())

# ---- a Pilatus 2M: masked pixels, pyFAI ------------------------------------------------------
PIL = ["--preset", "bivo4", "--set", "n=40", "--set", "ns=2", "--set", "na=2", "--set", "nz=1",
       "--set", "nt=1", "--set", "nq=300", "--set", "detector.counts=1000", "--seed", "2",
       "--level", "frames"]
run("simulate", *PIL, "-o", os.path.join(TMP, "pil_h5.h5"))
run("simulate", *PIL, "-o", os.path.join(TMP, "pil_cbf.h5"), "--frame-format", "cbf")
pdir, cdir = os.path.join(TMP, "pil_h5_frames"), os.path.join(TMP, "pil_cbf_frames")
psc = scan_ini(pdir)
mask = fabio.open(os.path.join(cdir, "mask.edf")).data != 0
with h5py.File(os.path.join(pdir, "frames_t0000.h5"), "r") as f:
    stack = f["/entry/data/data"][()]
check(stack.shape == (4, 1679, 1475), "Pilatus stack %s" % (stack.shape,))
check(mask.sum() > 100000, "only %d masked pixels in mask.edf" % mask.sum())
k = 2
cbf_path = os.path.join(cdir, "frames_t0000", "frame_%06d.cbf" % k)
img = fabio.open(cbf_path).data
check(np.array_equal(img, stack[k].view(np.int32)), "Pilatus CBF frame differs from HDF5")
check(np.array_equal(img < 0, mask) and (img[mask] == -1).all(),
      "masked pixels: %d negative, %d in mask.edf" % ((img < 0).sum(), mask.sum()))
check((img > 32767).sum() > 1000, "Pilatus frame: only %d pixels above 32767"
      % (img > 32767).sum())
ai = pyFAI.load(os.path.join(cdir, "detector.poni"))
npt, pol = 500, float(psc["polarization"])
kw = dict(unit="q_A^-1", polarization_factor=pol, error_model="poisson",
          method=("no", "histogram", "cython"))
res_cbf = ai.integrate1d_ng(img.astype(np.float32), npt, mask=mask | (img < 0), **kw)
h5img = stack[k].astype(np.float32)
res_h5 = ai.integrate1d_ng(h5img, npt, mask=mask | (stack[k].view(np.int32) < 0), **kw)
ok = res_cbf.count > 0
check(ok.sum() > npt // 2, "pyFAI: only %d non-empty bins" % ok.sum())
check(np.array_equal(res_cbf.intensity, res_h5.intensity)
      and np.array_equal(res_cbf.radial, res_h5.radial),
      "pyFAI on the CBF frame differs from pyFAI on the HDF5 frame")
xy = os.path.join(TMP, "pil.xy")
run("integrate", cbf_path, "--poni", os.path.join(cdir, "detector.poni"), "--mask",
    os.path.join(cdir, "mask.edf"), "-n", str(npt), "--polarization", psc["polarization"],
    "-o", xy)
mine = np.loadtxt(xy)
pos = ok & (res_cbf.intensity > 0)   # the bins around the beam hold pixels with no counts
check(pos.sum() > npt // 2 and (mine[ok & ~pos, 1] == 0).all(),
      "%d bins with counts; tsct gives %s where pyFAI gives 0"
      % (pos.sum(), mine[ok & ~pos, 1][:5]))
worst = np.abs(mine[pos, 1] / res_cbf.intensity[pos] - 1).max()
print("Pilatus 2M CBF: %d masked pixels, tsct vs pyFAI largest relative difference %.2e"
      % (mask.sum(), worst))
check(worst < 1e-5, "tsct integrate vs pyFAI on the CBF: %.3g" % worst)

print("%d failures" % len(failures))
sys.exit(1 if failures else 0)
