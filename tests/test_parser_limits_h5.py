"""test_parser_limits_h5.py - HDF5 inputs whose shapes a reader must refuse before taking
memory (bounds before allocation, tsct/container.h: TSCT_VECTOR_MAX, TSCT_DATASET_ROW_MAX,
TSCT_DATASET_SIZE_MAX), and datasets of more axes than a reader's fixed arrays hold (HDF5
allows 32: an axis read into an array of 8 wrote past it). Each file is small (unwritten
chunks cost nothing) and is given to `tsct import`, which opens the data with
tsct_dataset_open and the axis with tsct_container_read_vector: the command must exit 1 with a
one-line message naming the file, the dataset and the limit, never crash or allocate the
extents. Every case failed before its fix (a crash under ASan for the 32-axis q, an
allocation of 8 TB for the 2^40-point q). The file ends with the CLI case of issue 14 item 6
(a CIF whose reflection count had no bound)."""
import os
import subprocess
import sys

import h5py
import numpy as np

TSCT = os.environ["TSCT"]
TMP = os.environ["TSCT_TMP"]
os.makedirs(TMP, exist_ok=True)
failures = []
checks = 0


def make(name, build):
    path = os.path.join(TMP, name)
    with h5py.File(path, "w") as f:
        build(f)
    return path


def good_data(f):
    f["data"] = np.ones((2, 3, 4), dtype=np.float32)


def expect_error(what, args, needles):
    global checks
    checks += 1
    out = os.path.join(TMP, "out_%d.h5" % checks)
    r = subprocess.run([TSCT] + args + ["-o", out], capture_output=True, text=True,
                       timeout=30)
    err = r.stderr.strip()
    if r.returncode != 1:
        failures.append("%s: exit %d, expected 1: %s" % (what, r.returncode, err))
    elif len(err.splitlines()) != 1:
        failures.append("%s: expected a one-line error, got %r" % (what, err))
    else:
        for n in needles:
            if n not in err:
                failures.append("%s: message lacks %r: %s" % (what, n, err))


# q with 32 axes (of one point each), HDF5's most: read into an array of 8 extents
p = make("rank32.h5", lambda f: (good_data(f), f.create_dataset("q", data=np.ones((1,) * 32))))
expect_error("32-axis q", ["import", p + "::/data", "-a", p + "::/q"],
             ["rank32.h5", "/q", "1-D", "32 dimensions"])

# q of 2^40 points: a chunked dataset never written
p = make("longq.h5", lambda f: (good_data(f), f.create_dataset(
    "q", shape=(1 << 40,), chunks=(1024,), dtype="f8")))
expect_error("2^40-point q", ["import", p + "::/data", "-a", p + "::/q"],
             ["longq.h5", "/q", "TSCT_VECTOR_MAX"])

# data whose rows hold 2^30 floats, and data of 2^60 elements
p = make("bigrow.h5", lambda f: f.create_dataset(
    "data", shape=(2, 1 << 30), chunks=(1, 4096), dtype="f4"))
expect_error("2^30-float rows", ["import", p + "::/data"],
             ["bigrow.h5", "/data", "TSCT_DATASET_ROW_MAX"])
p = make("huge.h5", lambda f: f.create_dataset(
    "data", shape=(1 << 40, 1 << 10, 1 << 10), chunks=(1, 64, 64), dtype="f4"))
expect_error("2^60 elements", ["import", p + "::/data"],
             ["huge.h5", "/data", "TSCT_DATASET_SIZE_MAX"])

# data with 10 axes
p = make("rank10.h5", lambda f: f.create_dataset("data", data=np.ones((1,) * 10, "f4")))
expect_error("10-axis data", ["import", p + "::/data"], ["rank10.h5", "/data", "10"])

# A step's work file from an interrupted run (EXP.h5.STEP.partial, beside the container) whose
# nunits attribute is an array: it was read into one int64 on the stack (ASan:
# stack-buffer-overflow). Now the work file is not resumed, a fresh one is made.
src = make("src.h5", lambda f: f.create_dataset("data", data=np.ones((2, 3, 4), "f4")))
exp = os.path.join(TMP, "exp.h5")
for p in (exp, exp + ".import_recon.partial"):
    if os.path.exists(p):
        os.remove(p)
with h5py.File(exp + ".import_recon.partial", "w") as f:
    for k in ("tsct_step", "fingerprint", "container_id"):
        f.attrs[k] = np.bytes_("x")
    f.attrs["nunits"] = np.arange(4000, dtype=np.int64)
    f["tsct_done"] = np.zeros(6, np.uint8)
    f["tsct_done"].attrs["tsct_time_offset"] = np.arange(16, dtype=np.int64)
checks += 1
r = subprocess.run([TSCT, "import", src + "::/data", "-o", exp], capture_output=True, text=True,
                   timeout=60)
if r.returncode != 0:
    failures.append("work file with an array nunits: exit %d: %s" % (r.returncode, r.stderr))
else:
    with h5py.File(exp, "r") as f:
        if f["/entry/recon/data"].shape != (1, 1, 2, 3, 4):
            failures.append("import after a bad work file: shape %s"
                            % (f["/entry/recon/data"].shape,))

# A Dectris master whose detector description is a fixed-length string type of 2^32 - 1 bytes
# (or 2^32, which HDF5 stores as 0) in a dataset never written: the file is 8 kB, the reader
# took 4 GB (or HDF5 crashed reading a 0-byte string). The description is optional: it is
# left unread and the frames open.
from h5py import h5d, h5s, h5t  # noqa: E402


def master(size):
    def build(f):
        f.create_dataset("/entry/data/data_000001", data=np.ones((2, 4, 5), "u4"))
        t = h5t.C_S1.copy()
        t.set_size(size)
        g = f.require_group("/entry/instrument/detector")
        h5d.create(g.id, b"description", t, h5s.create(h5s.SCALAR))
    return build


for size in (2**32 - 1, 2**32):
    p = make("text%d_master.h5" % size, master(size))
    checks += 1
    r = subprocess.run([TSCT, "frames", p], capture_output=True, text=True, timeout=30)
    if r.returncode != 0 or "frames: 2" not in r.stdout:
        failures.append("master with a %d-byte description: exit %d: %s"
                        % (size, r.returncode, r.stderr.strip()))

# Issue 14 item 6: `tsct pattern` of a CIF with a 1e6 Angstrom cell up to Q = 8 ran without
# end, its memory growing; it is now refused at once (2.5e8 reflections).
cif = os.path.join(os.environ["TSCT_DATA"], "fuzz", "bigcell.cif")
expect_error("1e6 Angstrom cell", ["pattern", cif, "--energy", "60", "--qmax", "8"],
             ["too many reflections", "TSCT_REFLECTIONS_MAX"])

for f in failures:
    print("FAIL:", f)
print("%d checks, %d failed" % (checks, len(failures)))
sys.exit(1 if failures else 0)
