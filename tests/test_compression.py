"""test_compression.py - every `tsct --compression` choice writes containers and plain arrays
that h5py (Debian's, which loads the system's HDF5 filter plugins) and silx read back exactly,
with the filter that docs/FORMAT.md names; a bad choice is a usage error naming the choices;
a command's --deflate 0 still stores raw whatever the default."""
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_check import TMP, check, finish, run  # noqa: E402


def tsct(*args, status=0):
    return run(*args, status=status)


src = os.path.join(TMP, "src.h5")
rng = np.random.default_rng(5)
patterns = rng.random((9, 11, 60), dtype=np.float32)
patterns[4, 5, 6] = np.nan
with h5py.File(src, "w") as f:
    f["patterns"] = patterns
    f["q"] = np.linspace(0.5, 5.0, 60)

# filter ids as h5py lists them: gzip (deflate), 32004 (LZ4), 32001 (Blosc; cd[6] = 5: zstd)
want = {"none": set(), "lz4": {"shuffle", "32004"}, "zstd": {"32001"},
        "deflate": {"shuffle", "gzip"}, "deflate:6": {"shuffle", "gzip"}, None: {"32001"}}
for choice, filters in want.items():
    name = (choice or "default").replace(":", "_")
    exp = os.path.join(TMP, "exp_%s.h5" % name)
    if os.path.exists(exp):
        os.remove(exp)
    opt = ["--compression", choice] if choice else []
    r = tsct(*opt, "import", src + "::/patterns", "-a", src + "::/q", "-o", exp)
    if r.returncode != 0:
        continue
    with h5py.File(exp, "r") as f:
        d = f["entry/recon/data"]
        check(set(d._filters) == filters, "%s: filters %s, expected %s" % (name, set(d._filters), filters))
        if choice == "deflate:6":
            check(d.compression_opts == 6, "deflate:6: level %s" % d.compression_opts)
        if choice in ("zstd", None):
            check(d._filters["32001"][6] == 5, "%s: Blosc codec %s, expected 5 (zstd)" % (name, d._filters["32001"]))
        check(np.array_equal(d[0, 0], patterns, equal_nan=True), "%s: h5py reads the values back" % name)
    try:
        import silx.io
        with silx.io.open(exp) as f:
            check(np.array_equal(f["/entry/recon/data"][0, 0], patterns, equal_nan=True),
                  "%s: silx reads the values back" % name)
    except ImportError:
        check(False, "silx missing (python3-silx)")
    # a plain array (tsct recon's output file) with the same choice
    out = os.path.join(TMP, "img_%s.h5" % name)
    if os.path.exists(out):
        os.remove(out)
    sino = os.path.join(TMP, "sino.h5")
    if not os.path.exists(sino):
        with h5py.File(sino, "w") as f:
            f["s"] = rng.random((20, 16, 3), dtype=np.float32)
    r = tsct(*opt, "recon", sino + "::/s", "--angle-range", "0:180", "--centre", "none", "-o", out)
    if r.returncode == 0:
        with h5py.File(out, "r") as f:
            img = f["data"]
            check(set(img._filters) == filters, "%s: recon filters %s" % (name, set(img._filters)))
            check(img.shape == (16, 16, 3) and np.isfinite(img[8, 8]).all(), "%s: recon image" % name)

# the same image whatever the compression: the compression is lossless (exact above, for
# import); the FBP kernel plans its FFTs with FFTW_MEASURE, whose choice of algorithm varies
# from run to run in the last bits (1e-7 relative), hence the tolerance here
imgs = []
for name in ("none", "lz4", "zstd", "deflate", "default"):
    p = os.path.join(TMP, "img_%s.h5" % name)
    if os.path.exists(p):
        with h5py.File(p, "r") as f:
            imgs.append(f["data"][...])
tol = 1e-6 * float(np.nanmax(np.abs(imgs[0]))) if imgs else 0.0
check(len(imgs) == 5 and all(np.allclose(imgs[0], x, rtol=0, atol=tol, equal_nan=True)
                             for x in imgs[1:]),
      "recon images the same whatever the compression (to 1e-6 of the maximum)")

# --deflate 0 of a command stays raw under the default
exp = os.path.join(TMP, "raw.h5")
if os.path.exists(exp):
    os.remove(exp)
tsct("import", src + "::/patterns", "-o", exp, "--deflate", "0")
with h5py.File(exp, "r") as f:
    check(not f["entry/recon/data"]._filters, "--deflate 0: no filter")

r = tsct("--compression", "brotli", "version", status=2)
check("expected none, lz4, zstd, deflate" in r.stderr, "bad choice: " + r.stderr)
tsct("--compression", "deflate:0", "version", status=2)

finish("test_compression")
