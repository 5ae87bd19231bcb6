"""test_nexus.py - the container is NeXus that viewers understand (docs/FORMAT.md, "NeXus").

A small demo experiment goes through the chain (simulate, sinogram, recon, map, region, pdf,
fit, echem) and a plain sinogram through `tsct recon -o`; silx's own NXdata parser
(silx.io.nxdata, what `silx view` uses) then checks every group: each has an NX_class, every
NXdata is valid with one axis name per dimension, the axes carry the layout's units (q in
A^-1, r in A, x / y in mm, time in s, angle in deg), their values are the scan's (voxel
pitch = translation step, rotation axis at pixel n/2), /entry@default resolves to a plottable
NXdata, and the plain reconstruction records its centre, angles and filter. A container
stripped of every NeXus attribute and link (as earlier versions wrote them) still reads and
is labelled again by the next writing command; a command that changes nothing leaves the
file byte for byte as it was.
"""
import hashlib
import os
import subprocess

import h5py
import numpy as np
from silx.io import nxdata

from cli_check import TMP, TSCT, check, finish, fresh_experiment, run

exp = fresh_experiment(os.path.join(TMP, "nx.h5"))
run("simulate", "--preset", "demo", "--set", "n=16", "--set", "ns=16", "--set", "na=12",
    "--set", "nq=40", "--set", "nt=2", "-o", exp)
run("sinogram", exp)
run("recon", exp)
run("map", exp, "--total", "total", "--window", "wide=1.1:1.9")
run("region", exp, "--name", "core", "--circle", "0,0,3")
cfg = os.path.join(TMP, "pdf.cfg")
with open(cfg, "w") as f:
    f.write("[DEFAULT]\ndataformat = QA\ncomposition = BiVO4\nqmin = 0.9\nqmax = 4.4\n"
            "qmaxinst = 4.4\nrmin = 0.5\nrmax = 12\nrstep = 0.2\nrpoly = 0.9\n")
run("pdf", "-c", cfg, "--container", exp, "--reference", "0")
run("pdf", "-c", cfg, "--container", exp, "--region", "core")
run("fit", "peak", exp, "--window", "1.1:1.9", "--peak", "g@1.36", "--name", "b")
run("echem", exp, exp.replace(".h5", "_echem.csv"), "--mass", "5", "--period", "36000")


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def units(ds):
    return text(ds.attrs.get("units", b""))


def all_groups(f):
    out = [f]
    f.visititems(lambda n, o: out.append(o) if isinstance(o, h5py.Group) else None)
    return out


# Units every axis of this name must carry.
AXIS_UNITS = {"q": "A^-1", "r": "A", "x": "mm", "y": "mm", "time": "s", "z": "mm",
              "angle": "deg", "translation": "mm"}
EXPECTED = {  # group: (signal, axes)
    "/entry/integrated": ("data", ["time", "z", "angle", "translation", "q"]),
    "/entry/sinograms": ("data", ["time", "z", "angle", ".", "q"]),  # cropped by centring
    "/entry/recon": ("data", ["time", "z", "y", "x", "q"]),
    "/entry/pdf": ("G", ["time", "z", "y", "x", "r"]),
    "/entry/maps": ("total", ["time", "z", "y", "x"]),
    "/entry/regions/core": ("pattern", ["time", "q"]),
    "/entry/fits/b": ("rwp", ["time", "z", "y", "x"]),
    "/entry/echem": ("voltage", ["time"]),
}

with h5py.File(exp, "r") as f:
    for g in all_groups(f)[1:]:
        check("NX_class" in g.attrs, "%s: no NX_class" % g.name)
    seen = set()
    for g in all_groups(f):
        if text(g.attrs.get("NX_class", b"")) != "NXdata":
            continue
        seen.add(g.name)
        nx = nxdata.NXdata(g)
        check(nx.is_valid, "%s: silx says %s" % (g.name, nx.issues))
        if not nx.is_valid:
            continue
        check(len(nx.axes_dataset_names) == nx.signal.ndim, "%s: one axis per dimension"
              % g.name)
        for name, ax in zip(nx.axes_dataset_names, nx.axes):
            if name is None:
                continue
            check(ax.ndim == 1, "%s/%s: 1-D" % (g.name, name))
            want = AXIS_UNITS.get(name)
            check(want is None or units(ax) == want,
                  "%s/%s: units %r, expected %r" % (g.name, name, units(ax), want))
            check(text(ax.attrs.get("long_name", b"")).startswith(name + " ("),
                  "%s/%s: long_name %r" % (g.name, name, ax.attrs.get("long_name")))
        if g.name in EXPECTED:
            sig, axes = EXPECTED[g.name]
            got = [n if n is not None else "." for n in nx.axes_dataset_names]
            check(nx.signal.name == g.name + "/" + sig, "%s: signal %s" % (g.name, nx.signal.name))
            check(got == axes, "%s: axes %s, expected %s" % (g.name, got, axes))
    check(seen >= set(EXPECTED), "NXdata groups: %s, missing %s" % (sorted(seen),
                                                                   set(EXPECTED) - seen))
    aux = [text(a) for a in f["entry/maps"].attrs.get("auxiliary_signals", [])]
    check(aux == ["wide"], "maps: auxiliary signals %s" % aux)
    aux = [text(a) for a in f["entry/pdf"].attrs.get("auxiliary_signals", [])]
    check(aux == ["dpdf"], "pdf: auxiliary signals %s" % aux)
    check(units(f["entry/pdf/G"]) == "A^-2", "G in A^-2")

    # The axes hold the scan's values: the voxel pitch is the translation step.
    t = f["entry/scan/translation"][...]
    step = abs(t[-1] - t[0]) / (len(t) - 1)
    x, y = f["entry/recon/x"][...], f["entry/recon/y"][...]
    n = f["entry/recon/data"].shape[3]
    check(len(x) == n and np.allclose(np.diff(x), step, rtol=1e-12, atol=0),
          "recon x: pitch %s, translation step %s" % (np.diff(x)[:3], step))
    check(x[n // 2] == 0.0 and np.array_equal(x, y), "rotation axis at pixel n/2: %s" % x)
    check(np.array_equal(f["entry/maps/x"][...], x), "maps/x is recon/x")
    check(np.array_equal(f["entry/integrated/time"][...], f["entry/scan/time"][...]),
          "time axis is /entry/scan/time")

    # /entry@default resolves to a plottable NXdata: the maps.
    check(text(f.attrs["default"]) == "entry", "/@default")
    check(text(f["entry"].attrs.get("default", b"")) == "maps", "/entry@default")
    d = nxdata.get_default(f)
    check(d is not None and d.is_valid and d.group.name == "/entry/maps" and d.signal.ndim == 4,
          "get_default: %s" % (d.group.name if d else None))

# ---- a plain reconstruction ----------------------------------------------------------------
src, img = os.path.join(TMP, "sino.h5"), os.path.join(TMP, "img.h5")
with h5py.File(src, "w") as f:
    with h5py.File(exp, "r") as e:
        f["s"] = e["entry/sinograms/data"][0, 0].sum(-1)
    f["th"] = np.arange(12) * 15.0
run("recon", src + "::/s", "--angles", src + "::/th", "--centre", "6.25", "-o", img)
with h5py.File(img, "r") as f:
    d = nxdata.get_default(f)
    check(d is not None and d.is_valid and d.group.name == "/entry/image", "image: default")
    if d is not None and d.is_valid:
        check([a.name for a in d.axes] == ["/entry/image/y", "/entry/image/x"], "image axes")
        check(units(d.axes[1]) == "steps", "image x in translation steps")
    data = f["entry/image/data"]
    check(np.array_equal(f["data"][...], data[...]), "/data still reads the image")
    check(data.attrs["centre"] == 6.25, "centre recorded: %s" % data.attrs.get("centre"))
    check(text(data.attrs["filter"]) == "ramp" and text(data.attrs["method"]) == "fbp",
          "filter, method: %s %s" % (data.attrs.get("filter"), data.attrs.get("method")))
    check(np.array_equal(f["entry/scan/angle"][...], np.arange(12) * 15.0)
          and units(f["entry/scan/angle"]) == "deg", "angles recorded")
    for g in all_groups(f)[1:]:
        check("NX_class" in g.attrs, "%s: no NX_class" % g.name)
run("recon", src + "::/s", "--angles", src + "::/th", "--method", "sirt", "-o", img, "--force")
with h5py.File(img, "r") as f:
    data = f["entry/image/data"]
    check(text(data.attrs["method"]) == "sirt" and data.attrs["iterations"] == 100
          and text(data.attrs["filter"]) == "none", "sirt recorded")

# ---- old containers: no NeXus attributes, no links ----------------------------------------
def md5(p):
    with open(p, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


h = md5(exp)
env = dict(os.environ, TSCT_TEST_FREE_BYTES="1000")  # a full disk: the map step fails
r = subprocess.run([TSCT, "map", exp, "--total", "t2"], capture_output=True, text=True, env=env)
check(r.returncode == 1 and md5(exp) == h, "a failed step changed the container's labels")
with h5py.File(exp, "r+") as f:
    links = [g.name + "/" + k for g in all_groups(f) for k in g
             if isinstance(g.get(k, getlink=True), h5py.SoftLink)]
    check(len(links) > 10, "axis links: %s" % links)
    for n in links:
        del f[n]
    for g in all_groups(f):
        for a in ("signal", "axes", "auxiliary_signals", "default"):
            if a in g.attrs and g.name != "/":
                del g.attrs[a]
with h5py.File(exp, "r") as f:
    check(nxdata.get_default(f) is None, "stripped")
r = run("info", exp)
check("recon" in r.stdout and "maps" in r.stdout and "/entry/maps/x" not in r.stdout, r.stdout)
run("map", exp, "--total", "total", "--window", "wide=1.1:1.9")
with h5py.File(exp, "r") as f:
    d = nxdata.get_default(f)
    check(d is not None and d.is_valid and d.group.name == "/entry/maps", "labelled again")
    check(nxdata.is_valid_nxdata(f["entry/recon"]), "recon labelled again")

finish("test_nexus")
