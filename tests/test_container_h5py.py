"""test_container_h5py.py - containers written by tsct are read by h5py and silx without tsct,
with the layout of docs/FORMAT.md: groups and NeXus classes, float32 row-chunked datasets with
an unlimited time axis and the default compression (Blosc-zstd), axes with units, provenance attributes."""
import os
import subprocess
import sys

import h5py
import numpy as np

TSCT = os.environ["TSCT"]
TMP = os.environ["TSCT_TMP"]
os.makedirs(TMP, exist_ok=True)
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def text(v):
    """Our string attributes are fixed-length UTF-8: h5py returns them as bytes."""
    return v.decode("utf-8") if isinstance(v, bytes) else v


def tsct(*args):
    r = subprocess.run([TSCT, *args], capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stderr, file=sys.stderr)
    return r


src = os.path.join(TMP, "src.h5")
exp = os.path.join(TMP, "exp.h5")
for p in (src, exp):
    if os.path.exists(p):
        os.remove(p)
rng = np.random.default_rng(3)
recon = rng.random((6, 7, 50), dtype=np.float32)
recon[2, 3, 4] = np.nan
integ = (rng.random((2, 3, 9, 11, 40)) * 1000).astype(np.int32)  # ints are stored as float32
gr = rng.standard_normal((1, 1, 6, 7, 80)).astype(np.float32)
with h5py.File(src, "w") as f:
    f["recon"] = recon
    f["q"] = np.linspace(0.5, 5.0, 50)
    f["integ"] = integ
    f["q40"] = np.linspace(1.0, 4.0, 40)
    f["gr"] = gr
    f["r"] = np.linspace(0.1, 8.0, 80)
    f["more"] = recon[np.newaxis] * 2

check(tsct("import", src + "::/recon", "-a", src + "::/q", "-o", exp).returncode == 0, "import recon")
check(tsct("import", src + "::/integ", "-a", src + "::/q40", "-s", "integrated", "-o", exp).returncode == 0,
      "import integrated")
check(tsct("import", src + "::/gr", "-a", src + "::/r", "-s", "pdf", "-o", exp, "--deflate", "0").returncode == 0,
      "import pdf")
# Operando: append a second time step to recon.
check(tsct("import", src + "::/more", "-o", exp, "--time", "1").returncode == 0, "append time step")

with h5py.File(exp, "r") as f:
    check(text(f.attrs["default"]) == "entry", "root default attribute")
    e = f["entry"]
    check(text(e.attrs["NX_class"]) == "NXentry", "NXentry")
    check(text(e.attrs["tsct_format"]) == "1.0", "format version")
    for stage, signal in (("recon", "data"), ("integrated", "data"), ("pdf", "G")):
        g = e[stage]
        check(text(g.attrs["NX_class"]) == "NXdata", stage + " NXdata")
        check(text(g.attrs["signal"]) == signal, stage + " signal")

    d = e["recon/data"]
    check(d.dtype == np.float32, "float32")
    check(d.shape == (2, 1, 6, 7, 50), "recon shape %s" % (d.shape,))
    check(d.maxshape[0] is None and d.maxshape[1:] == (1, 6, 7, 50), "time axis unlimited")
    check(d.chunks == (1, 1, 1, 7, 50), "one voxel-row per chunk: %s" % (d.chunks,))
    check("32001" in d._filters, "the default compression, Blosc-zstd: %s" % (d._filters,))
    got = d[0, 0]
    check(np.array_equal(got, recon, equal_nan=True), "recon values (NaN kept)")
    check(np.array_equal(d[1, 0], recon * 2, equal_nan=True), "appended time step")
    q = e["recon/q"]
    check(q.dtype == np.float64 and text(q.attrs["units"]) == "A^-1", "q axis and units")
    check(np.allclose(q[...], np.linspace(0.5, 5.0, 50)), "q values")

    i = e["integrated/data"]
    check(i.shape == (1, 2, 3, 9, 11, 40)[1:] or i.shape == (2, 3, 9, 11, 40), "integrated shape %s" % (i.shape,))
    check(np.array_equal(i[...], integ.astype(np.float32)), "integers stored exactly as float32")
    check(i.chunks == (1, 1, 1, 11, 40), "one frame-row per chunk")

    g = e["pdf/G"]
    check(g.compression is None, "--deflate 0 stores uncompressed")
    check(np.array_equal(g[...], gr), "G values")
    check(text(e["pdf/r"].attrs["units"]) == "A", "r units")

    p = e["process/import_recon"]
    check(text(p.attrs["NX_class"]) == "NXprocess", "NXprocess")
    for key in ("program", "version", "command", "start_time", "end_time", "wall_time_s",
                "fingerprint", "status"):
        check(key in p.attrs, "process attribute " + key)
    check(text(p.attrs["status"]) == "complete", "status complete")
    check("--time 1" in text(p.attrs["command"]), "command recorded")
    check("config" in p, "config dataset")

# silx opens it as `silx view` does, and finds the NXdata signal.
import silx.io
import silx.io.nxdata

with silx.io.open(exp) as f:
    check(silx.io.nxdata.is_valid_nxdata(f["/entry/recon"]), "silx: /entry/recon is valid NXdata")
    nx = silx.io.nxdata.NXdata(f["/entry/recon"])
    check(nx.signal.shape == (2, 1, 6, 7, 50), "silx signal shape")

print("%d failures" % len(failures))
sys.exit(1 if failures else 0)
